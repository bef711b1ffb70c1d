// tfbench check's greedy-generation reference: generated ids compared exactly, each step's logits within the
// tolerance. The comparison with a fake backend whose generate returns what a test says; then the libtorch
// addon's greedy decoding against the shared references (../shared/fixtures/generation) and any
// generate.safetensors of the config variants.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuildOptions, GreedyOutput, HostTensor } from '../src/backend/index.js';
import { TfbenchError } from '../src/errors.js';
import { readSafetensors } from '../src/models/index.js';
import { checkCheckpoint, type CheckOptions } from '../src/run/check.js';
import { backendOf, fakeModel } from './fake-backend.js';
import { safetensorsBytes, writeCheckpoint } from './safetensors-bytes.js';
import { sharedFixture, skipWithoutShared } from './shared-fixtures.js';

const TINY_GPT2 = {
  model_type: 'gpt2', architectures: ['GPT2LMHeadModel'],
  vocab_size: 99, n_embd: 32, n_layer: 2, n_head: 4, n_positions: 64,
};
const TINY_T5 = {
  model_type: 't5', architectures: ['T5ForConditionalGeneration'], vocab_size: 99, d_model: 32, d_kv: 8, d_ff: 37,
  num_layers: 2, num_decoder_layers: 2, num_heads: 4, decoder_start_token_id: 0,
};

const ids = (shape: number[], values: number[]): HostTensor => ({
  dtype: 'int64',
  shape,
  data: BigInt64Array.from(values, BigInt),
});
const floats = (shape: number[], values: number[]): HostTensor => ({
  dtype: 'float32',
  shape,
  data: Float32Array.from(values),
});

/** A safetensors file of `tensors` (int64 as I64, float32 as F32) with `metadata`. */
function tensorFile(tensors: Record<string, HostTensor>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    const dtype = t.dtype === 'int64' ? 'I64' : 'F32';
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    parts.push(bytes);
    offset += bytes.length;
  }
  const data = new Uint8Array(offset);
  parts.reduce((at, p) => (data.set(p, at), at + p.length), 0);
  return safetensorsBytes(header, data);
}

/** B = 2 prompts of S = 3 tokens, N = 2 new tokens, vocab 4. Decoder: generated = prompt + new tokens. */
const PROMPT = ids([2, 3], [5, 6, 7, 8, 9, 10]);
const DECODER_IDS = ids([2, 5], [5, 6, 7, 1, 2, 8, 9, 10, 3, 3]);
const STEP_LOGITS = floats([2, 2, 4], [0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 1]);
const EQUAL: GreedyOutput = { generatedIds: DECODER_IDS, stepLogits: STEP_LOGITS };

/** A checkpoint directory (random weights, expected.safetensors with inputs only, so no tensor is compared) with
 * a generation reference at <dir>/generate.safetensors; `metadata` and `expected` add to the two files' metadata. */
function checkpointWithReference(
  config: Record<string, unknown>,
  generated: HostTensor,
  metadata: Record<string, string> = {},
  expected: Record<string, string> = {},
): string {
  const dir = mkdtempSync(join(tmpdir(), 'tfbench-generate-'));
  writeCheckpoint(dir, config);
  writeFileSync(join(dir, 'expected.safetensors'), tensorFile({ input_ids: ids([1, 2], [1, 2]) }, expected));
  const reference = { prompt_ids: PROMPT, generated_ids: generated, step_logits: STEP_LOGITS };
  writeFileSync(join(dir, 'generate.safetensors'), tensorFile(reference, { new_tokens: '2', ...metadata }));
  return dir;
}

interface GenerateCall {
  inputIds: HostTensor;
  newTokens: number;
}

/** A backend whose models' generate returns `output` (or throws it), recording each call and build. */
function generatingBackend(output: GreedyOutput | Error, calls: GenerateCall[] = [], builds: BuildOptions[] = []) {
  const model = {
    ...fakeModel({ seconds: () => 0 }),
    generate: async (inputIds: HostTensor, options: { newTokens: number }) => {
      calls.push({ inputIds, newTokens: options.newTokens });
      if (output instanceof Error) throw output;
      return output;
    },
  };
  return backendOf(model, 2, { buildModel: async (_spec, options) => (builds.push(options), model) });
}

/** checkCheckpoint(dir) with a backend whose generate gives `output`. */
function checkWith(dir: string, output: GreedyOutput | Error, options: CheckOptions = {}, calls?: GenerateCall[]) {
  return checkCheckpoint(dir, { ...options, backend: generatingBackend(output, calls) });
}

/** `t` with the element at flat index `i` set to `value`. */
function withElement(t: HostTensor, i: number, value: number): HostTensor {
  const data = t.data.slice();
  if (data instanceof BigInt64Array) data[i] = BigInt(value);
  else data[i] = value;
  return { ...t, data } as HostTensor;
}

test('decoding equal to the reference: ids exact, logits within the tolerance, from its prompt and N', async () => {
  const dir = checkpointWithReference(TINY_GPT2, DECODER_IDS);
  const calls: GenerateCall[] = [];
  const off = withElement(STEP_LOGITS, 5, 5e-5); // within atol + rtol·|0| = 1e-4
  const r = await checkWith(dir, { generatedIds: DECODER_IDS, stepLogits: off }, {}, calls);
  assert.deepEqual(
    calls.map((c) => [c.inputIds.shape, [...(c.inputIds.data as BigInt64Array)], c.newTokens]),
    [[[2, 3], [5n, 6n, 7n, 8n, 9n, 10n], 2]],
  );
  assert.equal(r.ok, true);
  const g = r.generation!;
  assert.deepEqual(
    [g.file, g.promptShape, g.newTokens, g.dtype, g.atol, g.rtol],
    [join(dir, 'generate.safetensors'), [2, 3], 2, 'float32', 1e-4, 1e-4],
  );
  assert.deepEqual(g.generatedIds, { shape: [2, 5], ok: true, firstDifference: null, problem: null });
  assert.deepEqual([g.stepLogits.ok, g.stepLogits.mismatched], [true, 0]);
  assert.ok(Math.abs(g.stepLogits.maxAbsDiff! - 5e-5) < 1e-9, String(g.stepLogits.maxAbsDiff));
  assert.equal(g.ok, true);
});

test('a differing id is reported where it first differs: step, sequence, the token and the expected one', async () => {
  const dir = checkpointWithReference(TINY_GPT2, DECODER_IDS);
  // Both sequences' second new token (position 4) differ: sequence 0 is reported, the first in the batch.
  const wrong = withElement(withElement(DECODER_IDS, 9, 0), 4, 3);
  const r = await checkWith(dir, { generatedIds: wrong, stepLogits: STEP_LOGITS });
  assert.equal(r.ok, false);
  const firstDifference = { sequence: 0, position: 4, step: 1, expected: 2, actual: 3 };
  assert.deepEqual(r.generation!.generatedIds, { shape: [2, 5], ok: false, firstDifference, problem: null });
  assert.equal(r.generation!.stepLogits.ok, true);
  assert.equal(r.generation!.ok, false);

  // A prompt token changed: a position before the first new token, no step.
  const prompt = await checkWith(dir, { generatedIds: withElement(DECODER_IDS, 6, 42), stepLogits: STEP_LOGITS });
  const expected = { sequence: 1, position: 1, step: null, expected: 9, actual: 42 };
  assert.deepEqual(prompt.generation!.generatedIds.firstDifference, expected);
});

test('step logits past the tolerance: max abs diff, elements off; ids of another shape are a problem', async () => {
  const dir = checkpointWithReference(TINY_GPT2, DECODER_IDS);
  const off = withElement(withElement(STEP_LOGITS, 1, 1.001), 14, 0.0002); // 1e-3 > 1e-4 + 1e-4·1, 2e-4 > 1e-4
  const r = await checkWith(dir, { generatedIds: DECODER_IDS, stepLogits: off });
  assert.equal(r.ok, false);
  const s = r.generation!.stepLogits;
  assert.deepEqual([s.name, s.shape, s.mismatched, s.ok, s.problem], ['step_logits', [2, 2, 4], 2, false, null]);
  assert.ok(Math.abs(s.maxAbsDiff! - 1e-3) < 1e-6, String(s.maxAbsDiff));
  assert.equal(r.generation!.generatedIds.ok, true);

  // --atol/--rtol apply to the step logits too.
  const loose = await checkWith(dir, { generatedIds: DECODER_IDS, stepLogits: off }, { atol: 2e-3 });
  assert.deepEqual([loose.generation!.stepLogits.ok, loose.ok], [true, true]);

  const short = await checkWith(dir, { generatedIds: ids([2, 4], [5, 6, 7, 1, 8, 9, 10, 3]), stepLogits: STEP_LOGITS });
  const problem = 'shape [2,4] instead of [2,5]';
  assert.deepEqual(short.generation!.generatedIds, { shape: [2, 5], ok: false, firstDifference: null, problem });
});

test("the reference's own tolerance and dtype: beside a bfloat16 expected.safetensors, a float32 model", async () => {
  const bf16 = { dtype: 'bfloat16', atol: '0.1', rtol: '0.1' };
  const dir = checkpointWithReference(TINY_GPT2, DECODER_IDS, { atol: '0.01', rtol: '0' }, bf16);
  const builds: BuildOptions[] = [];
  const off = { generatedIds: DECODER_IDS, stepLogits: withElement(STEP_LOGITS, 0, 0.005) };
  const r = await checkCheckpoint(dir, { backend: generatingBackend(off, [], builds) });
  assert.deepEqual(builds.map((b) => b.dtype), ['bfloat16', 'float32']);
  const g = r.generation!;
  assert.deepEqual([r.dtype, r.atol, g.dtype, g.atol, g.rtol], ['bfloat16', 0.1, 'float32', 0.01, 0]);
  assert.equal(g.stepLogits.ok, true);

  // --dtype decides both: one model.
  builds.length = 0;
  await checkCheckpoint(dir, { dtype: 'float32', backend: generatingBackend(off, [], builds) });
  assert.deepEqual(builds.map((b) => b.dtype), ['float32']);
});

test('T5: generated_ids are the decoder start token and N new tokens; the prompt is the encoder input', async () => {
  const t5Ids = ids([2, 3], [0, 1, 2, 0, 3, 3]);
  const dir = checkpointWithReference(TINY_T5, t5Ids);
  const calls: GenerateCall[] = [];
  const r = await checkWith(dir, { generatedIds: withElement(t5Ids, 2, 1), stepLogits: STEP_LOGITS }, {}, calls);
  assert.deepEqual(calls.map((c) => [c.inputIds.shape, c.newTokens]), [[[2, 3], 2]]);
  assert.equal(r.generation!.newTokens, 2);
  const expected = { sequence: 0, position: 2, step: 1, expected: 2, actual: 1 };
  assert.deepEqual(r.generation!.generatedIds.firstDifference, expected);
});

test('which reference: <dir>/generate.safetensors by default, another file when named, none with false', async () => {
  const dir = checkpointWithReference(TINY_GPT2, DECODER_IDS);
  const calls: GenerateCall[] = [];
  const none = await checkWith(dir, EQUAL, { generation: false }, calls);
  assert.deepEqual([none.generation, calls.length], [null, 0]);

  const elsewhere = join(mkdtempSync(join(tmpdir(), 'tfbench-reference-')), 'gpt2.safetensors');
  const prompt_ids = ids([1, 2], [3, 4]);
  const generated_ids = ids([1, 3], [3, 4, 1]);
  writeFileSync(elsewhere, tensorFile({ prompt_ids, generated_ids, step_logits: floats([1, 1, 2], [0, 1]) }));
  const named = await checkWith(dir, EQUAL, { generation: elsewhere }, calls);
  assert.deepEqual([named.generation!.file, named.generation!.newTokens, calls.at(-1)!.newTokens], [elsewhere, 1, 1]);
  assert.equal(named.generation!.ok, false); // the fake returns the other reference's output

  const missing = join(dir, 'nope.safetensors');
  await assert.rejects(checkWith(dir, EQUAL, { generation: missing }), (err) => {
    assert.ok(err instanceof TfbenchError);
    assert.deepEqual([err.code, err.message], ['BAD_CHECKPOINT', `${missing}: no such greedy-generation reference`]);
    return true;
  });
});

test('a reference that contradicts itself, or a model that cannot generate, is refused naming the file', async () => {
  const file = (dir: string) => join(dir, 'generate.safetensors');
  const refused = async (dir: string, message: string, output: GreedyOutput | Error = EQUAL) =>
    assert.rejects(checkWith(dir, output), (err) => {
      assert.ok(err instanceof TfbenchError);
      assert.deepEqual([err.code, err.message], ['BAD_CHECKPOINT', message]);
      return true;
    });
  const stated = checkpointWithReference(TINY_GPT2, DECODER_IDS, { new_tokens: '6' });
  await refused(
    stated,
    `${file(stated)}: generated_ids [2,5] holds 2 new tokens after the 3 prompt tokens, ` +
      'but __metadata__ new_tokens is "6"',
  );
  const empty = checkpointWithReference(TINY_GPT2, PROMPT);
  await refused(empty, `${file(empty)}: generated_ids [2,3] holds no new token after the 3 prompt tokens`);
  const floatIds = checkpointWithReference(TINY_GPT2, floats([2, 5], Array(10).fill(0)));
  const notIds = 'generated_ids must be a non-empty int64 (batch, tokens) tensor, not float32 [2,5]';
  await refused(floatIds, `${file(floatIds)}: ${notIds}`);
  const badTolerance = checkpointWithReference(TINY_GPT2, DECODER_IDS, { atol: 'tight' });
  await refused(badTolerance, `${file(badTolerance)}: __metadata__ atol "tight" is not a tolerance (a number >= 0)`);
  const ok = checkpointWithReference(TINY_GPT2, DECODER_IDS);
  const cannot = Object.assign(new Error('this model has no LM head to generate with'), { code: 'BAD_INPUT' });
  await refused(ok, `${file(ok)}: cannot decode from this checkpoint: ${cannot.message}`, cannot);
});

// The libtorch addon against the shared references: each checkpoint of ../shared/fixtures/parity with its greedy
// reference, computed by full recomputation in transformers (fixtures/README.md), atol = rtol = 1e-4.
for (const name of ['gpt2', 'llama-gqa-bf16', 't5']) {
  const skip = skipWithoutShared(`parity/${name}`, `generation/${name}.safetensors`);
  const title = `${name}: greedy decoding with the KV cache: the reference's ids exactly, its logits within 1e-4`;
  test(title, { skip }, async (t) => {
    const file = sharedFixture(`generation/${name}.safetensors`);
    const r = await checkCheckpoint(sharedFixture(`parity/${name}`), { generation: file });
    const g = r.generation!;
    const settings = [g.file, g.promptShape, g.newTokens, g.dtype, g.atol, g.rtol];
    assert.deepEqual(settings, [file, [2, 5], 6, 'float32', 1e-4, 1e-4]);
    const shape = name === 't5' ? [2, 7] : [2, 11];
    assert.deepEqual(g.generatedIds, { shape, ok: true, firstDifference: null, problem: null });
    assert.equal(g.stepLogits.mismatched, 0);
    assert.ok(g.stepLogits.maxAbsDiff! <= 1e-4, `step_logits max abs diff ${g.stepLogits.maxAbsDiff}`);
    assert.ok(r.ok);
    t.diagnostic(`step_logits max abs diff ${g.stepLogits.maxAbsDiff!.toExponential(2)}`);
  });
}

// The config variants' references, where bench/reference has written them beside expected.safetensors.
const variants = fileURLToPath(new URL('./fixtures/variants', import.meta.url));
const withReference = readdirSync(variants).filter((d) => existsSync(join(variants, d, 'generate.safetensors')));
if (withReference.length === 0) {
  const skip = `no ${variants}/<case>/generate.safetensors yet (bench/reference writes them)`;
  test('config variants with a greedy-generation reference', { skip }, () => {});
}
for (const name of withReference) {
  const dir = join(variants, name);
  const metadata = readSafetensors(join(dir, 'generate.safetensors')).metadata ?? {};
  test(`variants/${name}: greedy decoding matches its reference (${metadata.new_tokens} new tokens)`, async (t) => {
    const r = await checkCheckpoint(dir);
    const g = r.generation!;
    assert.ok(g.generatedIds.ok, g.generatedIds.problem ?? JSON.stringify(g.generatedIds.firstDifference));
    const { maxAbsDiff, mismatched } = g.stepLogits;
    assert.ok(g.stepLogits.ok, `step_logits max abs diff ${maxAbsDiff}, ${mismatched} elements off`);
    t.diagnostic(`step_logits max abs diff ${g.stepLogits.maxAbsDiff!.toExponential(2)}`);
  });
}
