// Malformed safetensors files: the TypeScript reader and the addon's loadWeights end every one in a clear
// error naming the file, never a crash, an abort or a hang.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ModelError, WeightsError } from '../src/errors.js';
import { parseSafetensorsHeader, readSafetensors, readSafetensorsHeader, resolveModels } from '../src/models/index.js';
import { benchmark } from '../src/run/benchmark.js';
import { checkCheckpoint } from '../src/run/check.js';
import { safetensorsBytes, writeCheckpoint } from './safetensors-bytes.js';

/** The tiny BERT of DESIGN.md as a checkpoint config. */
const TINY_BERT = {
  model_type: 'bert', architectures: ['BertForMaskedLM'], vocab_size: 99, hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 37,
};

test('a directory or a FIFO named *.safetensors is refused without opening it', { timeout: 10_000 }, (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tfbench-st-'));
  const sub = join(dir, 'model.safetensors');
  mkdirSync(sub);
  const refused = (path: string) =>
    assert.throws(() => readSafetensorsHeader(path), (err) => err instanceof WeightsError && /^.*: not a file \(a (directory|device, FIFO or socket)\)$/.test(err.message));
  refused(sub);
  assert.throws(() => readSafetensors(sub), { message: `${sub}: not a file (a directory)` });
  const fifo = join(dir, 'pipe.safetensors');
  if (spawnSync('mkfifo', [fifo]).status !== 0) {
    t.diagnostic('mkfifo is not available here: the FIFO case is not run');
    return;
  }
  assert.throws(() => readSafetensorsHeader(fifo), { message: `${fifo}: not a file (a device, FIFO or socket)` }); // opening it would block
});

test('a checkpoint whose safetensors header is malformed is refused at models[i], naming the file, before anything runs', async () => {
  const root = mkdtempSync(join(tmpdir(), 'tfbench-ckpt-'));
  const good = join(root, 'good');
  const bad = join(root, 'bad');
  writeCheckpoint(good, TINY_BERT);
  const file = writeCheckpoint(bad, TINY_BERT);
  const args = { models: [good, bad], onlyPretrainModel: false };
  const problemsOf = () => {
    try {
      resolveModels(args, { baseDir: root });
    } catch (err) {
      assert.ok(err instanceof ModelError, String(err));
      assert.equal(err.hint, 'Check that the file is a complete safetensors file (re-download or re-save it).');
      return err.problems.map((p) => `${p.path}: ${p.message}`);
    }
    assert.fail('expected a ModelError');
  };
  const whole = readFileSync(file);
  const headerLength = Number(whole.readBigUInt64LE(0));
  const dataLength = whole.length - 8 - headerLength;

  truncateSync(file, whole.length - 100); // the last tensor loses 100 bytes
  const [last] = Object.entries(JSON.parse(whole.subarray(8, 8 + headerLength).toString()) as Record<string, { data_offsets: number[] }>)
    .filter(([name]) => name !== '__metadata__')
    .sort(([, a], [, b]) => b.data_offsets[1]! - a.data_offsets[1]!);
  assert.deepEqual(problemsOf(), [
    `models[1]: ${file}: tensor ${JSON.stringify(last![0])}: data_offsets [${last![1].data_offsets.join(', ')}] run past the end of the data (${dataLength - 100} bytes): the file is truncated`,
  ]);

  writeFileSync(file, whole.subarray(0, 4000)); // cut inside the header
  assert.deepEqual(problemsOf(), [`models[1]: ${file}: header length ${headerLength} runs past the end of the file (4000 bytes): the file is truncated or not safetensors`]);

  const garbled = Buffer.from(whole);
  garbled.write(']', 8, 'latin1'); // the header's opening brace
  writeFileSync(file, garbled);
  assert.match(problemsOf()[0]!, new RegExp(`^models\\[1\\]: ${file}: the header is not valid JSON \\(`));

  // benchmark: exit 2's error, and not one cell planned.
  const events: unknown[] = [];
  await assert.rejects(benchmark({ models: [good, bad], isolate: false, sequenceLengths: [8], batchSizes: [1] }, { baseDir: root, onProgress: (e) => events.push(e) }), (err) => {
    assert.ok(err instanceof ModelError);
    assert.match(err.message, new RegExp(`^cannot build a model:\\n  models\\[1\\]: ${file}: the header is not valid JSON`));
    return true;
  });
  assert.deepEqual(events, []);
  // tfbench check: the same error from the same place.
  writeFileSync(join(bad, 'expected.safetensors'), readFileSync(file));
  await assert.rejects(checkCheckpoint(bad), (err) => err instanceof ModelError && err.message.startsWith(`${file}: the header is not valid JSON`));
});

test('a sharded checkpoint names the shard whose header is malformed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tfbench-shards-'));
  const file = writeCheckpoint(dir, TINY_BERT);
  const bytes = readFileSync(file);
  // Two "shards": the real file and a copy whose length prefix claims 2^63 bytes of header.
  writeFileSync(join(dir, 'model-00001-of-00002.safetensors'), bytes);
  const broken = Buffer.from(bytes);
  broken.writeBigUInt64LE(2n ** 63n, 0);
  writeFileSync(join(dir, 'model-00002-of-00002.safetensors'), broken);
  writeFileSync(
    join(dir, 'model.safetensors.index.json'),
    JSON.stringify({ weight_map: { 'bert.embeddings.word_embeddings.weight': 'model-00001-of-00002.safetensors', 'cls.predictions.bias': 'model-00002-of-00002.safetensors' } }),
  );
  assert.throws(
    () => resolveModels({ models: [dir], onlyPretrainModel: false }, { baseDir: dir }),
    (err) =>
      err instanceof ModelError &&
      err.problems[0]?.message ===
        `${join(dir, 'model-00002-of-00002.safetensors')}: header length 9223372036854775808 runs past the end of the file (${bytes.length} bytes): the file is truncated or not safetensors`,
  );
});

test("invalid JSON in a header is reported on one line, whatever line breaks the header holds", () => {
  const bytes = safetensorsBytes(null, 0, '{"a":\n x\r\n}');
  // V8 quotes the text around the error, line breaks included (the wording varies between Node versions).
  assert.throws(
    () => parseSafetensorsHeader(bytes, bytes.length, 'h.safetensors'),
    (err) => err instanceof WeightsError && /^h\.safetensors: the header is not valid JSON \(.*\)$/.test(err.message) && !/[\n\r]/.test(err.message),
  );
});
