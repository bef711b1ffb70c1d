// The TensorFlow.js backend behind the Backend seam: which TensorFlow.js backend "auto" loads and how a worker builds
// the same one from the ref, the parameters (the names and shapes the libtorch models register), seeded weights,
// timed calls and their phases, the memory-measured call, and what it refuses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backendFromRef } from '../src/backend/resolve.js';
import { createBackend, TfjsModel } from '../src/backend/tfjs/index.js';
import { normaliseConfig, parameterShapes, type HfConfig } from '../src/models/index.js';

const tiny = { hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 37, vocab_size: 99 };
const CONFIGS: Readonly<Record<string, HfConfig>> = {
  bert: { model_type: 'bert', ...tiny, architectures: ['BertForMaskedLM'] },
  'bert base': { model_type: 'bert', ...tiny },
  roberta: { model_type: 'roberta', ...tiny, max_position_embeddings: 66, type_vocab_size: 1, architectures: ['RobertaForMaskedLM'] },
  distilbert: { model_type: 'distilbert', vocab_size: 99, dim: 32, n_layers: 2, n_heads: 4, hidden_dim: 37, architectures: ['DistilBertForMaskedLM'] },
  gpt2: { model_type: 'gpt2', vocab_size: 99, n_embd: 32, n_layer: 2, n_head: 4, n_inner: 37, n_positions: 64, architectures: ['GPT2LMHeadModel'] },
  llama: { model_type: 'llama', ...tiny, num_key_value_heads: 2, max_position_embeddings: 64, architectures: ['LlamaForCausalLM'] },
  // Rotary scalings (their numbers are checked in tfjs-parity.test.ts); dynamic's 4 positions < the 5 run below.
  'llama with yarn rope': { model_type: 'llama', ...tiny, max_position_embeddings: 64, rope_scaling: { rope_type: 'yarn', factor: 4, original_max_position_embeddings: 16 }, architectures: ['LlamaForCausalLM'] },
  'llama with dynamic rope': { model_type: 'llama', ...tiny, max_position_embeddings: 4, rope_scaling: { rope_type: 'dynamic', factor: 2 }, architectures: ['LlamaForCausalLM'] },
  'qwen2 with biases': { model_type: 'qwen2', ...tiny, num_key_value_heads: 1, max_position_embeddings: 64, architectures: ['Qwen2ForCausalLM'] },
  t5: { model_type: 't5', vocab_size: 99, d_model: 32, d_kv: 8, d_ff: 37, num_layers: 2, num_decoder_layers: 3, num_heads: 4, feed_forward_proj: 'gated-gelu', tie_word_embeddings: false, architectures: ['T5ForConditionalGeneration'] },
  't5 base': { model_type: 't5', vocab_size: 99, d_model: 32, d_kv: 6, d_ff: 37, num_layers: 2, num_heads: 3, architectures: ['T5Model'] },
};
// The example of a spec it refuses: dynamic NTK raises the base to the power head_dim / (head_dim - 2), so not with
// head_dim 2 (the libtorch backend refuses it too).
const LLAMA_DYNAMIC_HEAD_DIM_2: HfConfig = { ...CONFIGS['llama with dynamic rope']!, head_dim: 2 };

test('auto loads the first TensorFlow.js backend that loads (node is not installed here: wasm), and its ref names it', async () => {
  const auto = await createBackend({});
  assert.deepEqual(auto.ref, { id: 'tfjs', options: { backend: 'wasm' } });
  const info = auto.info();
  assert.equal(info.framework, 'tfjs');
  assert.equal(info.frameworkVersion, '4.22.0');
  assert.equal(info.frameworkSource, 'wasm (@tensorflow/tfjs-backend-wasm 4.22.0)');
  // A worker builds the same one from the ref, through the built-in id.
  const again = await backendFromRef(auto.ref);
  assert.deepEqual(again.ref, auto.ref);
  const cpu = await createBackend({ backend: 'cpu' });
  assert.deepEqual(cpu.ref, { id: 'tfjs', options: { backend: 'cpu' } });
  assert.equal(cpu.getThreads(), 1);
  assert.throws(() => cpu.setThreads(2), /cannot run 2 threads: TensorFlow.js's cpu backend runs JavaScript on Node's main thread/);
  assert.deepEqual(cpu.blasInfo(), { library: null, vendor: 'JavaScript kernels of tfjs-backend-cpu', threading: 'serial', threads: 1, config: null });
  assert.equal(cpu.cudaDeviceCount(), 0);
  assert.equal(await cpu.measureMemoryBandwidth('cpu'), null);
});

test('asking for tfjs-node, which tfbench never installs, is a NO_TFJS error that says how to get it', async () => {
  await assert.rejects(createBackend({ backend: 'node' }), (err: Error & { code?: string; hint?: string }) => {
    assert.equal(err.code, 'NO_TFJS');
    assert.match(err.message, /TensorFlow.js backend "node" could not be loaded \(node: .*tfjs-node/);
    assert.match(err.hint!, /never installs @tensorflow\/tfjs-node/);
    return true;
  });
  await assert.rejects(createBackend({ backend: 'webgl' }), /unknown TensorFlow.js backend "webgl"/);
});

for (const [label, config] of Object.entries(CONFIGS)) {
  test(`${label}: the tfjs model has the parameters the libtorch model registers, seeded`, async () => {
    const backend = await createBackend({ backend: 'cpu' });
    const spec = normaliseConfig(config);
    assert.equal(backend.specProblem!(spec), null);
    const model = await backend.buildModel(spec, { device: 'cpu', dtype: 'float32', seed: 3 });
    const expected = parameterShapes(spec);
    assert.deepEqual(model.parameters().map((p) => [p.name, p.shape]), expected.map((p) => [p.name, p.shape]));
    assert.equal(model.parameterCount(), expected.reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0));
    // The same seed, the same outputs; the head's output has its shape.
    const ids = { dtype: 'int64' as const, shape: [2, 5], data: BigInt64Array.from([1n, 5n, 9n, 2n, 0n, 7n, 7n, 3n, 98n, 4n]) };
    const a = await model.run({ input_ids: ids });
    const b = await (await backend.buildModel(spec, { device: 'cpu', dtype: 'float32', seed: 3 })).run({ input_ids: ids });
    const main = a.logits ?? a.last_hidden_state!;
    assert.deepEqual(main.shape, a.logits ? [2, 5, 99] : [2, 5, 32]);
    assert.deepEqual(main.data, (b.logits ?? b.last_hidden_state!).data);
    assert.ok((main.data as Float32Array).every(Number.isFinite));
  });
}

test('timed calls: inference seconds, training seconds split into forward and backward, and the memory call', async () => {
  const backend = await createBackend({ backend: 'wasm' });
  const model = await backend.buildModel(normaliseConfig(CONFIGS.bert!), { device: 'cpu', dtype: 'float32', seed: 0 });
  const call = { batchSize: 2, sequenceLength: 8, seed: 1 };
  const inference = await model.runCalls({ ...call, mode: 'inference', calls: 3 });
  assert.equal(inference.seconds.length, 3);
  assert.ok(inference.seconds.every((s) => s > 0 && s < 10));
  assert.equal(inference.phasesSeconds, null);
  assert.equal(inference.hostSeconds, null);
  const training = await model.runCalls({ ...call, mode: 'training', calls: 2 });
  assert.equal(training.seconds.length, 2);
  const phases = training.phasesSeconds!;
  assert.equal(phases.forward.length, 2);
  assert.deepEqual(phases.optimizer, []);
  training.seconds.forEach((s, i) => assert.ok(Math.abs(phases.forward[i]! + phases.backward[i]! - s) < 1e-9, 'the phases add up to the call'));
  const peaks = await model.measureMemory({ ...call, mode: 'training' });
  assert.equal(peaks.cudaMemory, null);
  assert.ok(peaks.memory!.rssBeforeBytes > 0);
  assert.ok(peaks.memory!.rssPeakBytes >= peaks.memory!.rssBeforeBytes);
  assert.ok(peaks.memory!.tensorBeforeBytes! >= 4 * model.parameterCount(), 'the float32 weights are held before the call');
  assert.ok(peaks.memory!.tensorPeakBytes! > peaks.memory!.tensorBeforeBytes!, 'activations and gradients on top of them at the peak');
  await assert.rejects(model.generate(call as never, { newTokens: 2 }), /does not generate/);
  await assert.rejects(model.measureBreakdown({ ...call, mode: 'inference' }), /no per-module breakdown/);
});

test("run()'s loss and gradients: about log(V) for random weights, and the padding row's lookups add no gradient", async () => {
  const backend = await createBackend({ backend: 'cpu' });
  // Untied: the word embeddings' gradient comes from the lookups alone (a tied head's decoder reaches every row).
  const spec = normaliseConfig({ ...CONFIGS.bert!, tie_word_embeddings: false });
  const model = await backend.buildModel(spec, { device: 'cpu', dtype: 'float32', seed: 0 });
  const ids = { dtype: 'int64' as const, shape: [1, 6], data: BigInt64Array.from([0n, 4n, 8n, 15n, 16n, 23n]) };
  const word = 'bert.embeddings.word_embeddings.weight';
  const out = await model.run({ input_ids: ids }, { loss: true, gradients: [word, 'cls.predictions.bias'] });
  const loss = (out.loss!.data as Float32Array)[0]!;
  // A random masked-LM predicts the 99 tokens about uniformly: log(99) ≈ 4.6.
  assert.deepEqual(out.loss!.shape, []);
  assert.ok(Math.abs(loss - Math.log(99)) < 0.1, `loss ${loss}`);
  const grad = out[`grad.${word}`]!.data as Float32Array;
  assert.deepEqual(out[`grad.${word}`]!.shape, [99, 32]);
  const row = (r: number) => grad.subarray(r * 32, (r + 1) * 32);
  assert.ok(row(0).every((g) => g === 0), 'pad_token_id 0: no gradient from its lookup');
  assert.ok(row(4).some((g) => g !== 0), 'a row looked up has one');
  assert.ok(row(5).every((g) => g === 0), 'a row not looked up has none');
  // The bias's gradient is softmax - one-hot, averaged over the 6 positions: it sums to zero.
  const bias = out['grad.cls.predictions.bias']!.data as Float32Array;
  assert.ok(Math.abs(bias.reduce((a, b) => a + b, 0)) < 1e-6);
  await assert.rejects(model.run({ input_ids: ids }, { gradients: [word] }), /gradients need loss: true/);
  await assert.rejects(model.run({ input_ids: ids }, { loss: true, gradients: ['nope'] }), /no parameter "nope"/);
});

test('what the tfjs backend cannot build or run is said by name', async () => {
  const backend = await createBackend({ backend: 'cpu' });
  const headDim2 = normaliseConfig(LLAMA_DYNAMIC_HEAD_DIM_2);
  assert.equal(backend.specProblem!(headDim2), 'head_dim must exceed 2 for dynamic rotary scaling, got 2');
  await assert.rejects(backend.buildModel(headDim2, { device: 'cpu', dtype: 'float32', seed: 0 }), /head_dim must exceed 2 for dynamic rotary scaling/);
  const bert = normaliseConfig(CONFIGS.bert!);
  await assert.rejects(backend.buildModel(bert, { device: 'cpu', dtype: 'bfloat16', seed: 0 }), /float32 only/);
  await assert.rejects(backend.buildModel(bert, { device: 'cuda:0', dtype: 'float32', seed: 0 }), /CPU only/);
  assert.deepEqual(Object.keys(backend.limits!).sort(), ['breakdown', 'cuda', 'dtypes', 'generate', 'threads']);
});

test("trainStep optimizer: torch's AdamW step (lr 5e-5, weight decay 0.01), its state kept between calls, timed as a phase", async () => {
  const backend = await createBackend({ backend: 'wasm' });
  const model = (await backend.buildModel(normaliseConfig(CONFIGS.bert!), { device: 'cpu', dtype: 'float32', seed: 0 })) as TfjsModel;
  const bias = 'cls.predictions.bias'; // starts at zero
  const weight = 'bert.encoder.layer.0.attention.self.query.weight'; // stored transposed, read in its HF layout
  const w0 = (await model.readParameter(weight)).data as Float32Array;
  const call = { mode: 'training' as const, trainStep: 'optimizer' as const, batchSize: 2, sequenceLength: 8, seed: 1, calls: 1 };
  const one = await model.runCalls(call);
  assert.equal(one.phasesSeconds!.optimizer.length, 1);
  assert.ok(one.phasesSeconds!.optimizer[0]! > 0);
  // The first step from zero moments moves each element by lr · g / (|g| + eps), lr in size where g is not tiny,
  // after the decay p · (1 - lr · 0.01).
  const b1 = (await model.readParameter(bias)).data as Float32Array;
  assert.ok(b1.every((x) => Math.abs(Math.abs(x) - 5e-5) < 1e-7), `bias after one step: ${b1.slice(0, 4)}`);
  const w1 = (await model.readParameter(weight)).data as Float32Array;
  const moved = w1.map((x, i) => Math.abs(x - w0[i]! * (1 - 5e-7)));
  assert.ok(moved.every((d) => d <= 5e-5 * (1 + 1e-3)) && moved.filter((d) => d > 4.9e-5).length > moved.length / 2, 'each weight moves by at most lr');
  // A second step uses the kept moments: the bias moves again, by about lr at most.
  await model.runCalls(call);
  const b2 = (await model.readParameter(bias)).data as Float32Array;
  assert.ok(b2.some((x, i) => x !== b1[i]), 'the second step moves the bias again');
  assert.ok(b2.every((x, i) => Math.abs(x - b1[i]!) < 1.1e-4));
  // Without an optimizer step, training leaves the parameters as they are.
  await model.runCalls({ ...call, trainStep: 'backward' });
  assert.deepEqual((await model.readParameter(bias)).data, b2);
});

test('t5: decoder_input_ids of their own length, causal decoder, padded encoder keys masked, and what it refuses', async () => {
  const backend = await createBackend({ backend: 'wasm' });
  const model = await backend.buildModel(normaliseConfig(CONFIGS.t5!), { device: 'cpu', dtype: 'float32', seed: 1 });
  const ids = (rows: bigint[][]) => ({ dtype: 'int64' as const, shape: [rows.length, rows[0]!.length], data: BigInt64Array.from(rows.flat()) });
  const input = ids([[5n, 9n, 2n, 7n]]);
  const out = await model.run({ input_ids: input, decoder_input_ids: ids([[0n, 5n, 9n]]) });
  assert.deepEqual(out.encoder_last_hidden_state!.shape, [1, 4, 32]);
  assert.deepEqual(out.last_hidden_state!.shape, [1, 3, 32]);
  assert.deepEqual(out.logits!.shape, [1, 3, 99]);
  // Causal: a later decoder token changes nothing before it.
  const changed = await model.run({ input_ids: input, decoder_input_ids: ids([[0n, 5n, 42n]]) });
  const row = (t: { data: unknown }, n: number) => Array.from((t.data as Float32Array).subarray(0, n));
  assert.deepEqual(row(changed.logits!, 2 * 99), row(out.logits!, 2 * 99));
  assert.notDeepEqual(Array.from(changed.logits!.data as Float32Array), Array.from(out.logits!.data as Float32Array));
  // A padded key is not attended to: relative positions make the first three positions' encoder output that of the
  // three tokens alone.
  const padded = await model.run({ input_ids: input, attention_mask: ids([[1n, 1n, 1n, 0n]]) });
  const alone = await model.run({ input_ids: ids([[5n, 9n, 2n]]) });
  const a = padded.encoder_last_hidden_state!.data as Float32Array;
  const b = alone.encoder_last_hidden_state!.data as Float32Array;
  assert.ok(b.every((v, i) => Math.abs(v - a[i]!) < 1e-5));
  // The loss's labels are input_ids: decoder inputs of another length are refused; so are token_type_ids.
  await assert.rejects(model.run({ input_ids: input, decoder_input_ids: ids([[0n, 5n, 9n]]) }, { loss: true }), /decoder_input_ids must have their length/);
  await assert.rejects(model.run({ input_ids: input, token_type_ids: ids([[0n, 0n, 0n, 0n]]) }), /t5 models take none/);
  const base = await backend.buildModel(normaliseConfig(CONFIGS['t5 base']!), { device: 'cpu', dtype: 'float32', seed: 1 });
  await assert.rejects(base.run({ input_ids: input }, { loss: true }), /loss needs head 'seq2seq-lm'/);
  // A training call: forward with labels = input_ids and a backward to every parameter.
  const training = await model.runCalls({ mode: 'training', batchSize: 2, sequenceLength: 6, seed: 1, calls: 1 });
  assert.ok(training.seconds[0]! > 0);
});
