// A checkpoint's weights are model.safetensors, or the shards model.safetensors.index.json lists, as on the Hub:
// no other safetensors file of the directory is read as weights, and a sharded checkpoint's tensor comes from the
// shard its index's weight_map names. Parity fixtures split into shards give check the same numbers as unsplit;
// shards load one at a time and never whole. Pickled weights (pytorch_model.bin, …) are refused with the reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import type { BackendModel, WeightEntry } from '../src/backend/index.js';
import { ModelError } from '../src/errors.js';
import { checkpointWeightFiles, readSafetensorsHeader, resolveModel, type SafetensorsEntry } from '../src/models/index.js';
import { checkCheckpoint, type CheckResult } from '../src/run/check.js';
import { loadCheckpointWeights } from '../src/run/weights.js';
import { fakeModel } from './fake-backend.js';
import { safetensorsBytes, writeCheckpoint } from './safetensors-bytes.js';
import { sharedFixture, skipWithoutShared } from './shared-fixtures.js';

const TINY_GPT2 = {
  model_type: 'gpt2', architectures: ['GPT2LMHeadModel'],
  vocab_size: 99, n_embd: 32, n_layer: 2, n_head: 4, n_positions: 64,
};
const opts = (dir: string) => ({ onlyPretrainModel: false, baseDir: dir });

type Loads = Array<{ file: string; entries: WeightEntry[] }>;

/** A model whose parameters are `tensors`' names and shapes, which records every loadWeights call. */
function recordingModel(tensors: readonly SafetensorsEntry[], loads: Loads): BackendModel {
  return {
    ...fakeModel({ seconds: () => 0 }),
    parameters: () => tensors.map((t) => ({ name: t.name, shape: t.shape, dtype: 'float32' as const })),
    loadWeights: async (file, entries) => void loads.push({ file, entries }),
  };
}

/** A tensor to write: its safetensors dtype, shape and raw bytes. */
interface RawTensor {
  name: string;
  dtype: string;
  shape: number[];
  data: Uint8Array;
}

/** The tensors `entries` of the safetensors file `file`, with their bytes. */
function rawTensors(file: string, entries: readonly SafetensorsEntry[]): RawTensor[] {
  const bytes = readFileSync(file);
  return entries.map((e) => ({ name: e.name, dtype: e.dtype, shape: e.shape, data: bytes.subarray(e.begin, e.end) }));
}

/** One safetensors file holding `tensors`, in order. A `tail` tensor of that many F32 zeros is declared after them,
 * its bytes left out: the caller extends the file by truncateSync, which leaves a hole (no disk blocks). */
function shardBytes(tensors: readonly RawTensor[], tail?: { name: string; elements: number }): Uint8Array {
  const header: Record<string, unknown> = {};
  const data = new Uint8Array(tensors.reduce((n, t) => n + t.data.length, 0));
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.length] };
    data.set(t.data, offset);
    offset += t.data.length;
  }
  if (tail !== undefined) header[tail.name] = { dtype: 'F32', shape: [tail.elements], data_offsets: [offset, offset + 4 * tail.elements] };
  return safetensorsBytes(header, data);
}

/** `fixture` as a sharded checkpoint in a new directory, as the Hub stores one: its config.json and
 * expected.safetensors (and generate.safetensors, where it has one), its tensors split in file order into `count`
 * shards model-0000i-of-0000n.safetensors of (nearly) equal tensor counts, and model.safetensors.index.json
 * ({ metadata: { total_size: bytes of every tensor }, weight_map }). Returns the directory, the shards, each shard's
 * tensors, the weight map and the fixture's tensors. */
function shardedCopy(fixture: string, count = 2) {
  const dir = mkdtempSync(join(tmpdir(), 'tfbench-sharded-'));
  for (const f of ['config.json', 'expected.safetensors', 'generate.safetensors']) {
    if (existsSync(join(fixture, f))) copyFileSync(join(fixture, f), join(dir, f));
  }
  const source = join(fixture, 'model.safetensors');
  const entries = readSafetensorsHeader(source).entries;
  const size = Math.ceil(entries.length / count);
  const parts = Array.from({ length: count }, (_, i) => rawTensors(source, entries.slice(i * size, (i + 1) * size)));
  const pad = (n: number) => String(n).padStart(5, '0');
  const names = parts.map((_, i) => `model-${pad(i + 1)}-of-${pad(count)}.safetensors`);
  const weightMap: Record<string, string> = {};
  parts.forEach((part, i) => {
    assert.ok(part.length > 0, `shard ${i + 1} of ${count} holds tensors`);
    writeFileSync(join(dir, names[i]!), shardBytes(part));
    for (const t of part) weightMap[t.name] = names[i]!;
  });
  const totalSize = entries.reduce((n, e) => n + (e.end - e.begin), 0);
  const index = { metadata: { total_size: totalSize }, weight_map: weightMap };
  writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify(index));
  return { dir, shards: names.map((n) => join(dir, n)), parts, weightMap, entries };
}

test('only model.safetensors is weights: expected, generate and any other safetensors file are not read', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tfbench-weights-'));
  const weights = writeCheckpoint(dir, TINY_GPT2);
  // Files that would fill no parameter, or clash with one, if they were read as weights.
  const stray = safetensorsBytes({ 'transformer.wte.weight': { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 4);
  for (const f of ['expected.safetensors', 'generate.safetensors', 'other.safetensors']) {
    writeFileSync(join(dir, f), stray);
  }
  const model = resolveModel(dir, opts(dir));
  assert.deepEqual(model.weightFiles, [weights]);

  const tensors = readSafetensorsHeader(weights).entries;
  const loads: Array<{ file: string; entries: WeightEntry[] }> = [];
  const mapping = await loadCheckpointWeights(recordingModel(tensors, loads), model.weightFiles, 'gpt2');
  assert.deepEqual(loads.map((l) => l.file), [weights]);
  assert.equal(loads[0]!.entries.length, tensors.length);
  assert.deepEqual([mapping.missing, mapping.unexpected, mapping.mismatched], [[], [], []]);
});

test('a directory with neither model.safetensors nor an index is refused, naming it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tfbench-noweights-'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(TINY_GPT2));
  writeFileSync(join(dir, 'model-00001-of-00001.safetensors'), safetensorsBytes({}));
  assert.throws(
    () => resolveModel(dir, opts(dir)),
    (err) => {
      assert.ok(err instanceof ModelError);
      const expected = `${dir}: no model.safetensors and no model.safetensors.index.json in this checkpoint directory`;
      assert.equal(err.message, expected);
      assert.match(err.hint, /For random weights, name its config\.json instead\./);
      return true;
    },
  );
});

/** What a checkpoint directory holding only pickled weights is refused with: the files, why, how to convert. */
function pickleRefusal(dir: string, files: string) {
  return (err: unknown) => {
    assert.ok(err instanceof ModelError, String(err));
    assert.equal(
      err.message,
      `${dir}: the weights are pickle files (${files}), which tfbench does not load: unpickling can execute arbitrary ` +
        'code. There is no model.safetensors and no model.safetensors.index.json in this checkpoint directory',
    );
    assert.equal(
      err.hint,
      'Convert it to safetensors once, in Python with transformers (the class its config.json names in architectures, ' +
        'e.g. LlamaForCausalLM): model = LlamaForCausalLM.from_pretrained(dir); model.save_pretrained(dir, ' +
        'safe_serialization=True). Or, for random weights, name its config.json instead.',
    );
    return true;
  };
}

test('pickled weights (pytorch_model.bin, its shards, *.pt, *.pth, *.ckpt) are refused with the reason and the conversion', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tfbench-pickle-'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(TINY_GPT2));
  writeFileSync(join(dir, 'pytorch_model.bin'), 'PK\x03\x04 not read');
  assert.throws(() => resolveModel(dir, opts(dir)), pickleRefusal(dir, 'pytorch_model.bin'));
  assert.throws(() => checkpointWeightFiles(dir), pickleRefusal(dir, 'pytorch_model.bin'));

  const sharded = mkdtempSync(join(tmpdir(), 'tfbench-pickle-shards-'));
  writeFileSync(join(sharded, 'config.json'), JSON.stringify(TINY_GPT2));
  const index = { metadata: { total_size: 8 }, weight_map: { a: 'pytorch_model-00001-of-00002.bin', b: 'pytorch_model-00002-of-00002.bin' } };
  writeFileSync(join(sharded, 'pytorch_model.bin.index.json'), JSON.stringify(index));
  for (const f of ['pytorch_model-00001-of-00002.bin', 'pytorch_model-00002-of-00002.bin', 'extra.pt', 'ema.ckpt']) {
    writeFileSync(join(sharded, f), '');
  }
  const four = 'ema.ckpt, extra.pt, pytorch_model-00001-of-00002.bin and 2 more';
  assert.throws(() => resolveModel(sharded, opts(sharded)), pickleRefusal(sharded, four));

  // A Trainer's own pickles (its arguments, optimizer, scheduler, RNG state) are not weights.
  const trainer = mkdtempSync(join(tmpdir(), 'tfbench-trainer-'));
  writeFileSync(join(trainer, 'config.json'), JSON.stringify(TINY_GPT2));
  for (const f of ['training_args.bin', 'optimizer.pt', 'scheduler.pt', 'rng_state.pth', 'rng_state_3.pth']) writeFileSync(join(trainer, f), '');
  assert.throws(
    () => resolveModel(trainer, opts(trainer)),
    (err) => err instanceof ModelError && err.message === `${trainer}: no model.safetensors and no model.safetensors.index.json in this checkpoint directory`,
  );
  writeFileSync(join(trainer, 'model.pth'), '');
  assert.throws(() => resolveModel(trainer, opts(trainer)), pickleRefusal(trainer, 'model.pth'));
});

test('safetensors beside pickled weights are used, silently, as transformers does', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tfbench-both-'));
  const weights = writeCheckpoint(dir, TINY_GPT2);
  writeFileSync(join(dir, 'pytorch_model.bin'), '');
  assert.deepEqual(resolveModel(dir, opts(dir)).weightFiles, [weights]);

  // Shards listed by model.safetensors.index.json win over pytorch_model.bin.index.json's too.
  const sharded = mkdtempSync(join(tmpdir(), 'tfbench-both-shards-'));
  writeFileSync(join(sharded, 'config.json'), JSON.stringify(TINY_GPT2));
  const shard = join(sharded, 'model-00001-of-00001.safetensors');
  writeFileSync(shard, readFileSync(weights));
  const names = readSafetensorsHeader(shard).entries.map((e) => e.name);
  const weight_map = Object.fromEntries(names.map((n) => [n, 'model-00001-of-00001.safetensors']));
  writeFileSync(join(sharded, 'model.safetensors.index.json'), JSON.stringify({ weight_map }));
  writeFileSync(join(sharded, 'pytorch_model.bin.index.json'), JSON.stringify({ weight_map: { a: 'pytorch_model.bin' } }));
  writeFileSync(join(sharded, 'pytorch_model.bin'), '');
  assert.deepEqual(resolveModel(sharded, opts(sharded)).weightFiles, [shard]);
});

const skipParity = skipWithoutShared('parity/gpt2');

test('check refuses a parity fixture whose weights are pytorch_model.bin, before building anything', { skip: skipParity }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tfbench-pickle-check-'));
  for (const f of ['config.json', 'expected.safetensors']) copyFileSync(join(sharedFixture('parity/gpt2'), f), join(dir, f));
  writeFileSync(join(dir, 'pytorch_model.bin'), '');
  await assert.rejects(checkCheckpoint(dir), pickleRefusal(dir, 'pytorch_model.bin'));
});

/** Each compared tensor's name and max abs diff, and greedy decoding's (ids equal, step_logits' max abs diff). */
function diffs(r: CheckResult) {
  const generation = r.generation && { ids: r.generation.generatedIds.ok, stepLogits: r.generation.stepLogits.maxAbsDiff };
  return { tensors: r.tensors.map((c) => [c.name, c.maxAbsDiff] as const), generation };
}

const SPLITS = [['gpt2', 2], ['llama-gqa-bf16', 3], ['t5', 3]] as const;
for (const [name, count] of SPLITS) {
  const skip = skipWithoutShared(`parity/${name}`, `generation/${name}.safetensors`);
  test(`parity/${name} split in ${count} indexed shards passes check with the max diffs of the unsharded fixture`, { skip }, async (t) => {
    const fixture = sharedFixture(`parity/${name}`);
    const generation = sharedFixture(`generation/${name}.safetensors`);
    const { dir, shards, entries } = shardedCopy(fixture, count);
    assert.deepEqual(resolveModel(dir, opts(dir)).weightFiles, shards);
    const index = JSON.parse(readFileSync(join(dir, 'model.safetensors.index.json'), 'utf8'));
    assert.equal(index.metadata.total_size, entries.reduce((n, e) => n + e.end - e.begin, 0));

    const whole = await checkCheckpoint(fixture, { generation });
    const sharded = await checkCheckpoint(dir, { generation });
    assert.ok(sharded.ok, JSON.stringify(diffs(sharded)));
    assert.deepEqual([sharded.missingParameters, sharded.unexpectedTensors], [[], []]);
    assert.deepEqual(diffs(sharded), diffs(whole), 'the same numbers as from model.safetensors');
    const compared = sharded.tensors.map((c) => c.name);
    for (const output of ['logits', 'loss']) assert.ok(compared.includes(output), `${output} in ${compared.join(', ')}`);
    assert.equal(compared.filter((c) => c.startsWith('grad.')).length, 3);
    assert.equal(sharded.generation?.generatedIds.ok, true);
    // The references were computed in float32, whatever the weights' torch_dtype (llama-gqa-bf16's is bfloat16).
    assert.equal(sharded.dtype, 'float32');
    const { tensors, generation: g } = diffs(sharded);
    t.diagnostic(`${tensors.map(([n, d]) => `${n} ${d!.toExponential(2)}`).join(', ')}; step_logits ${g!.stepLogits!.toExponential(2)}`);
  });
}

test('a sharded checkpoint is loaded one shard at a time, each load given only the tensors of its shard', { skip: skipWithoutShared('parity/llama-gqa-bf16') }, async () => {
  const { dir, shards, parts, entries } = shardedCopy(sharedFixture('parity/llama-gqa-bf16'), 3);
  const loads: Loads = [];
  let loading = 0;
  const model: BackendModel = {
    ...recordingModel(entries, loads),
    loadWeights: async (file, weights) => {
      loading++;
      assert.equal(loading, 1, `${file} is loaded while another shard still is`);
      await new Promise((done) => setTimeout(done, 10));
      loads.push({ file, entries: weights });
      loading--;
    },
  };
  await loadCheckpointWeights(model, resolveModel(dir, opts(dir)).weightFiles, 'llama');
  assert.deepEqual(
    loads.map((l) => [l.file, l.entries.map((e) => e.tensor)]),
    shards.map((s, i) => [s, parts[i]!.map((t) => t.name)]),
  );
  // Byte ranges inside each shard's data: what the backend reads, one tensor at a time.
  for (const l of loads) for (const e of l.entries) assert.ok(e.end <= statSync(l.file).size);
});

test('a shard larger than the RAM loads: only the bytes of the tensors that fill parameters are read', { skip: skipParity }, async () => {
  const fixture = sharedFixture('parity/gpt2');
  const { dir, shards, parts, weightMap } = shardedCopy(fixture, 2);
  // Shard 2 also holds a tensor of twice the RAM that fills no parameter. It is a hole in the file (nothing is
  // written to disk); a loader that read a whole shard into memory could not hold it.
  const elements = Math.ceil((2 * totalmem()) / 4);
  const bytes = shardBytes(parts[1]!, { name: 'unused.padding', elements });
  writeFileSync(shards[1]!, bytes);
  truncateSync(shards[1]!, bytes.length + 4 * elements);
  assert.ok(statSync(shards[1]!).size > 2 * totalmem());
  const index = { metadata: { total_size: 0 }, weight_map: { ...weightMap, 'unused.padding': 'model-00002-of-00002.safetensors' } };
  writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify(index));

  try {
    const r = await checkCheckpoint(dir);
    assert.deepEqual(r.unexpectedTensors, ['unused.padding']);
    assert.deepEqual(r.missingParameters, []);
    assert.deepEqual(diffs(r), diffs(await checkCheckpoint(fixture)));
  } finally {
    rmSync(dir, { recursive: true, force: true }); // a file of twice the RAM, if only on paper, is not left behind
  }
});

test("the index's weight_map decides: a tensor's copy in another shard is not read", { skip: skipParity }, async () => {
  const { dir, shards, parts, weightMap, entries } = shardedCopy(sharedFixture('parity/gpt2'));
  // Shard 1, read first, also holds a wrong copy (zeros) of a tensor the index places in shard 2: were the index
  // not followed, that copy would fill the parameter and the outputs would differ.
  const placed = parts[1]!.find((t) => t.name === 'transformer.wte.weight')!;
  assert.equal(weightMap[placed.name], 'model-00002-of-00002.safetensors');
  writeFileSync(shards[0]!, shardBytes([...parts[0]!, { ...placed, data: new Uint8Array(placed.data.length) }]));

  const loads: Array<{ file: string; entries: WeightEntry[] }> = [];
  const model = resolveModel(dir, opts(dir));
  await loadCheckpointWeights(recordingModel(entries, loads), model.weightFiles, 'gpt2');
  const from = loads.flatMap((l) => l.entries.filter((e) => e.tensor === placed.name).map(() => l.file));
  assert.deepEqual(from, [shards[1]], `${placed.name} is read from the shard the index names, once`);
  const r = await checkCheckpoint(dir);
  assert.ok(r.ok, r.tensors.map((c) => `${c.name} ${c.maxAbsDiff}`).join(', '));
  // The same shards with the index placing the tensor in shard 1: the zeros are read, and the logits differ.
  const index = join(dir, 'model.safetensors.index.json');
  const moved = { ...weightMap, [placed.name]: 'model-00001-of-00002.safetensors' };
  writeFileSync(index, JSON.stringify({ weight_map: moved }));
  const zeros = await checkCheckpoint(dir);
  assert.deepEqual(zeros.missingParameters, []);
  assert.equal(zeros.tensors.find((c) => c.name === 'logits')!.ok, false);
});

test('an index with a missing shard, or a shard without a tensor it places there, is refused naming the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tfbench-shards-'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(TINY_GPT2));
  const tensor = (name: string) => ({ [name]: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } });
  writeFileSync(join(dir, 'model-00001-of-00002.safetensors'), safetensorsBytes(tensor('a'), 4));
  const index = join(dir, 'model.safetensors.index.json');
  const second = join(dir, 'model-00002-of-00002.safetensors');
  const weight_map = { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors' };
  writeFileSync(index, JSON.stringify({ weight_map }));
  assert.throws(
    () => resolveModel(dir, opts(dir)),
    (err) => err instanceof ModelError && err.message === `${index} lists a shard that is missing: ${second}`,
  );

  writeFileSync(join(dir, 'model-00002-of-00002.safetensors'), safetensorsBytes(tensor('c'), 4));
  assert.throws(
    () => resolveModel(dir, opts(dir)),
    (err) =>
      err instanceof ModelError &&
      err.message === `${second}: no tensor "b", which ${index} places in this shard`,
  );

  writeFileSync(index, JSON.stringify({ weight_map: { a: '../model.safetensors' } }));
  assert.throws(
    () => resolveModel(dir, opts(dir)),
    (err) =>
      err instanceof ModelError &&
      err.message === `${index}: weight_map["a"] must name a shard file in ${dir}, got "../model.safetensors"`,
  );
  writeFileSync(index, JSON.stringify({ weight_map: [] }));
  assert.throws(
    () => resolveModel(dir, opts(dir)),
    (err) => err instanceof ModelError && err.message.startsWith(`${index}: weight_map must be an object`),
  );
});
