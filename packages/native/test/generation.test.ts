// Greedy generation with the KV cache: for every family, generate()'s tokens and step logits against a full
// recomputation (run() over the growing sequence, argmax of the last position), the shapes of its output, bad
// options, the timed and memory-measured generate calls, the memory bandwidth, and the shared references computed
// by Hugging Face transformers (../shared/fixtures/generation, checkpoints in ../shared/fixtures/parity).
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  loadBinding, type HostTensor, type NativeModel, type NativeModelSpec, type WeightEntry,
} from '../lib/index.js';
import {
  floats, int64Tensor, maxAbsDiff, rejectsWith, tinyGpt2Spec, tinyLlamaSpec, tinySpec, tinyT5Spec,
} from './helpers.js';

const binding = loadBinding();
const cpu = { device: 'cpu', dtype: 'float32', seed: 5 } as const;
const prompt = [
  [5, 17, 42, 8, 91],
  [11, 2, 77, 31, 9],
];
const NEW_TOKENS = 6;
/** Cached and recomputed float32 logits differ only in the order of their sums. */
const TOLERANCE = 1e-5;

/** Larger weights than Hugging Face's 0.02 init, so the tiny models' logits spread and their tokens vary. */
const spread = { initializer_range: 0.2 };
const llama3 = {
  rope_type: 'llama3', rope_factor: 8, rope_low_freq_factor: 1, rope_high_freq_factor: 4,
  rope_original_max_position_embeddings: 4,
};
const yarn = {
  rope_type: 'yarn', rope_factor: 4, rope_original_max_position_embeddings: 4, rope_attention_factor: 1.2,
};
const decoderCases: Record<string, NativeModelSpec> = {
  gpt2: tinyGpt2Spec(spread),
  'gpt2 scale_attn_by_inverse_layer_idx': tinyGpt2Spec({ ...spread, scale_attn_by_inverse_layer_idx: true }),
  'llama, grouped-query (4 query heads over 2)': tinyLlamaSpec(spread),
  'llama, 4 query heads over 1, tied': tinyLlamaSpec({ ...spread, num_key_value_heads: 1, tie_word_embeddings: true }),
  'mistral, a sliding window of 3 < prompt + new tokens': tinyLlamaSpec({ ...spread, sliding_window: 3 }),
  'qwen2, the window from layer 1 on, qkv biases': tinyLlamaSpec({
    ...spread, sliding_window: 3, first_sliding_layer: 1, attention_bias: true,
  }),
  'llama, llama3 rope': tinyLlamaSpec({ ...spread, ...llama3 }),
  'llama, yarn rope': tinyLlamaSpec({ ...spread, ...yarn }),
  'llama, linear rope': tinyLlamaSpec({ ...spread, rope_type: 'linear', rope_factor: 2 }),
};
const t5Cases: Record<string, NativeModelSpec> = {
  't5 relu': tinyT5Spec({ decoder_start_token_id: 3 }),
  't5 gated gelu, untied': tinyT5Spec({ gated_feed_forward: true, hidden_act: 'gelu_new', tie_word_embeddings: false }),
};

function argmaxRows(logits: Float32Array, rows: number, V: number, offset = 0): number[] {
  const out: number[] = [];
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let v = 1; v < V; v++) if (logits[offset + r * V + v]! > logits[offset + r * V + best]!) best = v;
    out.push(best);
  }
  return out;
}

/** Rows of an int64 (B, T) HostTensor. */
function rows(t: HostTensor): number[][] {
  const [B, T] = t.shape as [number, number];
  const data = Array.from(t.data as BigInt64Array, Number);
  return Array.from({ length: B }, (_, b) => data.slice(b * T, (b + 1) * T));
}

/** Greedy decoding by full recomputation: at each step one run() over the whole sequence so far (T5: the decoder
 * sequence from `start`), argmax of the last position. */
async function recompute(model: NativeModel, ids: number[][], newTokens: number, start?: number) {
  const sequences = start === undefined ? ids.map((r) => [...r]) : ids.map(() => [start]);
  const stepLogits: number[] = [];
  for (let step = 0; step < newTokens; step++) {
    const inputs: Record<string, HostTensor> = start === undefined
      ? { input_ids: int64Tensor(sequences) }
      : { input_ids: int64Tensor(ids), decoder_input_ids: int64Tensor(sequences) };
    const logits = (await model.run(inputs)).logits!;
    const [B, T, V] = logits.shape as [number, number, number];
    const last: number[] = [];
    for (let b = 0; b < B; b++) last.push(...floats(logits).slice((b * T + T - 1) * V, (b * T + T) * V));
    stepLogits.push(...last);
    argmaxRows(Float32Array.from(last), B, V).forEach((token, b) => sequences[b]!.push(token));
  }
  return { sequences, stepLogits };
}

async function checkAgainstRecomputation(spec: NativeModelSpec, start?: number) {
  const model = await binding.buildModel(spec, cpu);
  const out = await model.generate(int64Tensor(prompt), { newTokens: NEW_TOKENS });
  const expected = await recompute(model, prompt, NEW_TOKENS, start);
  const S = start === undefined ? prompt[0]!.length : 1;
  assert.deepEqual(out.generatedIds.shape, [2, S + NEW_TOKENS]);
  assert.equal(out.generatedIds.dtype, 'int64');
  assert.deepEqual(out.stepLogits.shape, [NEW_TOKENS, 2, 99]);
  assert.equal(out.stepLogits.dtype, 'float32');
  assert.deepEqual(rows(out.generatedIds), expected.sequences);
  const diff = maxAbsDiff(floats(out.stepLogits), expected.stepLogits);
  assert.ok(diff <= TOLERANCE, `step logits differ from the recomputation by ${diff}`);
  return { out, expected };
}

for (const [name, spec] of Object.entries(decoderCases)) {
  test(`${name}: generate = full recomputation (ids exact, step logits within ${TOLERANCE})`, async () => {
    const { out } = await checkAgainstRecomputation(spec);
    assert.deepEqual(rows(out.generatedIds).map((r) => r.slice(0, 5)), prompt, 'the prompt comes first');
  });
}

for (const [name, spec] of Object.entries(t5Cases)) {
  const title = `${name}: generate = full recomputation over the growing decoder input (encoder once, K/V cached)`;
  test(title, async () => {
    const start = spec.decoder_start_token_id as number;
    const { out } = await checkAgainstRecomputation(spec, start);
    assert.deepEqual(rows(out.generatedIds).map((r) => r[0]), [start, start], 'decoder_start_token_id comes first');
  });
}

test('dynamic rope: as the recomputation up to max_position_embeddings; past it keys keep their rotation', async () => {
  const M = 6; // prompt 5: the prefill and the first step fit, the rest run past M
  const spec = tinyLlamaSpec({ ...spread, max_position_embeddings: M, rope_type: 'dynamic', rope_factor: 2 });
  const model = await binding.buildModel(spec, cpu);
  const out = await model.generate(int64Tensor(prompt), { newTokens: NEW_TOKENS });
  assert.deepEqual(out.generatedIds.shape, [2, 5 + NEW_TOKENS]);
  const expected = await recompute(model, prompt, NEW_TOKENS);
  const perStep = 2 * 99;
  const step = (data: ArrayLike<number>, i: number) => Array.from(data).slice(i * perStep, (i + 1) * perStep);
  // Steps 0 and 1 run forwards of 5 and 6 positions: within M, frequencies as trained.
  const stepDiff = (i: number) => maxAbsDiff(step(floats(out.stepLogits), i), step(expected.stepLogits, i));
  for (const i of [0, 1]) assert.ok(stepDiff(i) <= TOLERANCE, `step ${i}`);
  // Step 2's forward has 7 positions: a full forward rotates every key with the base for 7, the cache kept the
  // keys of positions 0 … 5 rotated with the base of their own forward.
  assert.ok(stepDiff(2) > 1e-6);
});

test('batch 1 and a single new token; generate leaves run() as it was', async () => {
  const model = await binding.buildModel(tinyLlamaSpec(spread), cpu);
  const ids = int64Tensor([prompt[0]!]);
  const before = await model.run({ input_ids: ids });
  const one = await model.generate(ids, { newTokens: 1 });
  assert.deepEqual(one.generatedIds.shape, [1, 6]);
  assert.deepEqual(one.stepLogits.shape, [1, 1, 99]);
  const last = floats(before.logits).slice(4 * 99, 5 * 99);
  assert.ok(maxAbsDiff(floats(one.stepLogits), last) <= TOLERANCE, 'the prefill logits are run()\'s last position');
  assert.equal(Number((one.generatedIds.data as BigInt64Array)[5]), argmaxRows(last, 1, 99)[0]);
  const after = await model.run({ input_ids: ids });
  assert.deepEqual(after.logits!.data, before.logits!.data);
});

test('bfloat16: every family generates; ids in the vocabulary, float32 step logits, all finite', async () => {
  for (const spec of [tinyGpt2Spec(spread), tinyLlamaSpec({ ...spread, sliding_window: 3 }), tinyT5Spec()]) {
    const model = await binding.buildModel(spec, { ...cpu, dtype: 'bfloat16' });
    const out = await model.generate(int64Tensor(prompt), { newTokens: 4 });
    assert.equal(out.stepLogits.dtype, 'float32', spec.family);
    assert.ok(floats(out.stepLogits).every(Number.isFinite), spec.family);
    assert.ok(rows(out.generatedIds).flat().every((id) => id >= 0 && id < 99), spec.family);
    // Each token is the argmax of its step's logits.
    for (let i = 0; i < 4; i++) {
      const chosen = rows(out.generatedIds).map((r) => r[r.length - 4 + i]);
      assert.deepEqual(chosen, argmaxRows(floats(out.stepLogits), 2, 99, i * 2 * 99), `${spec.family} step ${i}`);
    }
    const times = await model.runGenerateCalls({ batchSize: 2, promptLength: 5, newTokens: 3, seed: 1, calls: 1 });
    assert.equal(times.calls[0]!.stepSeconds.length, 2);
  }
});

test('bad options and models that cannot generate are BAD_INPUT with a message', async () => {
  const gpt2 = await binding.buildModel(tinyGpt2Spec(), cpu);
  const ids = int64Tensor(prompt);
  await rejectsWith(gpt2.generate(ids, { newTokens: 0 }), 'BAD_INPUT', /options\.newTokens must be >= 1, got 0/);
  await rejectsWith(gpt2.generate(ids, {} as never), 'BAD_INPUT', /options\.newTokens is missing/);
  await rejectsWith(gpt2.generate(ids, { newTokens: 1.5 }), 'BAD_INPUT', /options\.newTokens must be an integer/);
  await rejectsWith(gpt2.generate(ids, { newTokens: 60 }), 'BAD_INPUT',
    /a prompt of 5 tokens and 60 new tokens need 65 positions, more than this gpt2 model's max_position_embeddings/);
  const outOfVocabulary = int64Tensor([[5, 100]]);
  await rejectsWith(gpt2.generate(outOfVocabulary, { newTokens: 1 }), 'BAD_INPUT', /lie in \[0, vocab_size = 99\)/);
  const floatIds: HostTensor = { dtype: 'float32', shape: [1, 2], data: new Float32Array(2) };
  await rejectsWith(gpt2.generate(floatIds, { newTokens: 1 }), 'BAD_INPUT', /int64/);
  const call = { batchSize: 1, promptLength: 8, newTokens: 4, seed: 0 };
  const block = (changes: Partial<typeof call> & { calls?: number }) =>
    gpt2.runGenerateCalls({ ...call, calls: 1, ...changes });
  await rejectsWith(block({ promptLength: 0 }), 'BAD_INPUT', /options\.promptLength must be >= 1, got 0/);
  await rejectsWith(block({ newTokens: 0 }), 'BAD_INPUT', /options\.newTokens must be >= 1/);
  await rejectsWith(block({ batchSize: 0 }), 'BAD_INPUT', /options\.batchSize must be >= 1/);
  await rejectsWith(block({ calls: 0 }), 'BAD_INPUT', /options\.calls must be >= 1/);
  await rejectsWith(block({ seed: -1 }), 'BAD_INPUT', /options\.seed must be >= 0/);
  await rejectsWith(block({ promptLength: 64 }), 'BAD_INPUT', /need 68 positions, more than/);
  assert.equal((await block({ promptLength: 60 })).calls.length, 1, 'S + N = 64 fits');
  await rejectsWith(gpt2.measureGenerateMemory({ ...call, promptLength: 61 }), 'BAD_INPUT',
    /65 positions, more than this gpt2 model's max_position_embeddings \(64\)/);

  const base = await binding.buildModel(tinyGpt2Spec({ head: 'base' }), cpu);
  await rejectsWith(base.generate(ids, { newTokens: 2 }), 'BAD_INPUT',
    /generate needs head 'causal-lm'; this gpt2 model has head 'base'/);
  const llamaBase = await binding.buildModel(tinyLlamaSpec({ head: 'base' }), cpu);
  await rejectsWith(llamaBase.runGenerateCalls({ ...call, calls: 1 }), 'BAD_INPUT', /this llama model has head 'base'/);
  const t5Base = await binding.buildModel(tinyT5Spec({ head: 'base' }), cpu);
  await rejectsWith(t5Base.measureGenerateMemory(call), 'BAD_INPUT',
    /generate needs head 'seq2seq-lm'; this t5 model has head 'base'/);
  const bert = await binding.buildModel(tinySpec(), cpu);
  await rejectsWith(bert.generate(ids, { newTokens: 2 }), 'BAD_INPUT',
    /encoder-only models \(bert, roberta, distilbert\) cannot generate/);
  await rejectsWith(bert.runGenerateCalls({ ...call, calls: 1 }), 'BAD_INPUT', /cannot generate/);
  await rejectsWith(binding.buildModel(tinyT5Spec({ decoder_start_token_id: 99 }), cpu), 'BAD_SPEC',
    /spec\.decoder_start_token_id \(99\) must be < spec\.vocab_size \(99\)/);
});

test('runGenerateCalls: `calls` timings of newTokens - 1 positive steps; e2e = ttft + steps on the CPU', async () => {
  for (const spec of [tinyGpt2Spec(), tinyLlamaSpec(), tinyT5Spec()]) {
    const model = await binding.buildModel(spec, cpu);
    const started = performance.now();
    const r = await model.runGenerateCalls({ batchSize: 2, promptLength: 7, newTokens: 5, seed: 3, calls: 3 });
    const elapsed = (performance.now() - started) / 1000;
    assert.equal(r.calls.length, 3, spec.family);
    assert.equal(r.hostSeconds, null, 'no host times on the CPU');
    let timed = 0;
    for (const c of r.calls) {
      assert.equal(c.stepSeconds.length, 4);
      assert.ok(c.ttftSeconds > 0 && c.stepSeconds.every((s) => s > 0), spec.family);
      const sum = c.ttftSeconds + c.stepSeconds.reduce((a, b) => a + b, 0);
      const message = `${spec.family}: ${c.e2eSeconds} vs ${sum}`;
      assert.ok(c.e2eSeconds >= c.ttftSeconds && Math.abs(c.e2eSeconds - sum) < 1e-9, message);
      timed += c.e2eSeconds;
    }
    assert.ok(timed <= elapsed, `${timed} s timed in ${elapsed} s`);
    const single = await model.runGenerateCalls({ batchSize: 1, promptLength: 3, newTokens: 1, seed: 3, calls: 1 });
    assert.deepEqual(single.calls[0]!.stepSeconds, []);
    assert.equal(single.calls[0]!.e2eSeconds, single.calls[0]!.ttftSeconds);
  }
});

test('measureGenerateMemory: kvCacheBytes is every cache tensor as allocated; the peak includes the call', async () => {
  const B = 2, S = 7, N = 5;
  const call = { batchSize: B, promptLength: S, newTokens: N, seed: 0 };
  // GPT-2: K and V of 2 layers, 4 heads of 8, S + N positions, float32
  const gpt2 = await binding.buildModel(tinyGpt2Spec(), cpu);
  const g = await gpt2.measureGenerateMemory(call);
  assert.equal(g.kvCacheBytes, 2 * 2 * B * 4 * (S + N) * 8 * 4);
  assert.ok(g.memory && g.memory.rssPeakBytes >= g.memory.rssBeforeBytes && g.memory.rssBeforeBytes > 0);
  assert.equal(g.cudaMemory, null);
  // LLaMA: only the 2 key/value heads of 8 are cached; bfloat16 halves it
  const llama = await binding.buildModel(tinyLlamaSpec(), { ...cpu, dtype: 'bfloat16' });
  assert.equal((await llama.measureGenerateMemory(call)).kvCacheBytes, 2 * 2 * B * 2 * (S + N) * 8 * 2);
  // T5: per decoder layer (3 here), self-attention K and V for 1 + N positions and cross-attention K and V for S
  const t5 = await binding.buildModel(tinyT5Spec({ num_decoder_layers: 3 }), cpu);
  assert.equal((await t5.measureGenerateMemory(call)).kvCacheBytes, 3 * 2 * B * 4 * (1 + N + S) * 8 * 4);
});

test('measureMemoryBandwidth: a positive figure for the buffers asked; options checked', async () => {
  const r = await binding.measureMemoryBandwidth({ device: 'cpu', bytes: 16 << 20, repeats: 3 });
  assert.equal(r.device, 'cpu');
  assert.equal(r.bufferBytes, 16 << 20);
  assert.equal(r.repeats, 3);
  assert.ok(r.bytesPerSecond > 0 && Number.isFinite(r.bytesPerSecond), String(r.bytesPerSecond));
  const bandwidth = binding.measureMemoryBandwidth;
  await rejectsWith(bandwidth({ device: 'cpu', bytes: 0 }), 'BAD_INPUT', /options\.bytes must be >= 1, got 0/);
  await rejectsWith(bandwidth({ device: 'cpu', repeats: 0 }), 'BAD_INPUT', /options\.repeats must be >= 1/);
  await rejectsWith(bandwidth({ device: 'tpu' }), 'BAD_INPUT', /options\.device must be 'cpu', 'cuda' or 'cuda:N'/);
  await rejectsWith(binding.measureMemoryBandwidth(undefined as never), 'BAD_INPUT', /options must be an object/);
});

const cudaSkip = binding.cudaDeviceCount() > 0 ? false : 'no CUDA device visible (or a CPU-only libtorch)';

const cudaTitle = 'CUDA: generate as the recomputation, timings from events, memory from the allocator';
test(cudaTitle, { skip: cudaSkip }, async () => {
  const onGpu = await binding.buildModel(tinyLlamaSpec({ ...spread, sliding_window: 3 }), { ...cpu, device: 'cuda' });
  const a = await onGpu.generate(int64Tensor(prompt), { newTokens: NEW_TOKENS });
  assert.deepEqual(a.generatedIds.shape, [2, 5 + NEW_TOKENS]);
  const expected = await recompute(onGpu, prompt, NEW_TOKENS);
  assert.deepEqual(rows(a.generatedIds), expected.sequences);
  assert.ok(maxAbsDiff(floats(a.stepLogits), expected.stepLogits) <= 1e-4);
  const times = await onGpu.runGenerateCalls({ batchSize: 2, promptLength: 5, newTokens: 4, seed: 0, calls: 2 });
  assert.equal(times.hostSeconds?.length, 2);
  assert.ok(times.calls.every((c) => c.ttftSeconds > 0 && c.stepSeconds.length === 3 && c.e2eSeconds >= c.ttftSeconds));
  const memory = await onGpu.measureGenerateMemory({ batchSize: 2, promptLength: 5, newTokens: 4, seed: 0 });
  const peaks = memory.cudaMemory;
  assert.ok(peaks && peaks.peakAllocatedBytes >= peaks.allocatedBeforeBytes + memory.kvCacheBytes);
  assert.equal(memory.memory, null);
  const bandwidth = await binding.measureMemoryBandwidth({ device: 'cuda', bytes: 64 << 20, repeats: 3 });
  assert.equal(bandwidth.device, 'cuda:0');
  assert.ok(bandwidth.bytesPerSecond > 0);
});

// The shared references: Hugging Face's greedy decoding (full recomputation) from the parity checkpoints.
const SHARED_FIXTURES = fileURLToPath(new URL('../../../../shared/fixtures', import.meta.url));

interface SafetensorsFile {
  header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  dataStart: number;
  bytes: Buffer;
}

function readSafetensors(path: string): SafetensorsFile {
  const bytes = readFileSync(path);
  const length = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + length).toString('utf8'));
  delete header.__metadata__;
  return { header, dataStart: 8 + length, bytes };
}

function tensorOf(file: SafetensorsFile, name: string): HostTensor {
  const { dtype, shape, data_offsets: [begin, end] } = file.header[name]!;
  const raw = file.bytes.subarray(file.dataStart + begin, file.dataStart + end);
  const copy = raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength);
  if (dtype === 'I64') return { dtype: 'int64', shape, data: new BigInt64Array(copy) };
  if (dtype === 'F32') return { dtype: 'float32', shape, data: new Float32Array(copy) };
  throw new Error(`${name}: dtype ${dtype}`);
}

/** The checkpoint's weights as loadWeights entries (absolute byte ranges; bf16 is converted on load). */
function weightEntries(file: SafetensorsFile): WeightEntry[] {
  return Object.entries(file.header).map(([name, t]) => ({
    parameter: name,
    dtype: t.dtype as WeightEntry['dtype'],
    shape: t.shape,
    begin: file.dataStart + t.data_offsets[0],
    end: file.dataStart + t.data_offsets[1],
  }));
}

const references: Record<string, { spec: NativeModelSpec; start?: number }> = {
  gpt2: { spec: tinyGpt2Spec({ intermediate_size: 128 }) },
  'llama-gqa-bf16': { spec: tinyLlamaSpec() },
  t5: { spec: tinyT5Spec(), start: 0 },
};

for (const [name, { spec, start }] of Object.entries(references)) {
  const checkpoint = `${SHARED_FIXTURES}/parity/${name}/model.safetensors`;
  const reference = `${SHARED_FIXTURES}/generation/${name}.safetensors`;
  const missing = [checkpoint, reference].find((p) => !existsSync(p));
  const skip = missing === undefined ? false : `${missing} is not there (the shared fixtures sit beside the repo)`;
  test(`${name}: greedy ids exactly as Hugging Face's, step logits within 1e-4 (float32)`, { skip }, async () => {
    const model = await binding.buildModel(spec, cpu);
    await model.loadWeights(checkpoint, weightEntries(readSafetensors(checkpoint)));
    const expected = readSafetensors(reference);
    const promptIds = tensorOf(expected, 'prompt_ids');
    const generated = tensorOf(expected, 'generated_ids');
    const stepLogits = tensorOf(expected, 'step_logits');
    const newTokens = stepLogits.shape[0]!;
    const out = await model.generate(promptIds, { newTokens });
    assert.deepEqual(out.generatedIds.shape, generated.shape);
    assert.deepEqual(rows(out.generatedIds), rows(generated));
    const diff = maxAbsDiff(floats(out.stepLogits), floats(stepLogits));
    assert.ok(diff <= 1e-4, `step logits differ by ${diff}`);
    if (start !== undefined) assert.ok(rows(out.generatedIds).every((r) => r[0] === start));
  });
}
