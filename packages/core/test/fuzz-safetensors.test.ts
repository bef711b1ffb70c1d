// Malformed safetensors files: the TypeScript reader and the addon's loadWeights end every one in a clear
// error naming the file, never a crash, an abort or a hang; a checkpoint with such a file is refused before
// anything runs. The cases (safetensors-cases.ts): truncated files, header lengths past the end or over the
// limit, overlapping and out-of-range offsets, shapes, dtypes and byte counts that disagree, invalid UTF-8
// and JSON, duplicate names; for the addon also entries no parser would make, handed to it directly.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { ModelError, WeightsError } from '../src/errors.js';
import { SAFETENSORS_DTYPE_SIZES, parseSafetensorsHeader, readSafetensors, readSafetensorsHeader, resolveModels, type SafetensorsHeader } from '../src/models/index.js';
import { benchmark } from '../src/run/benchmark.js';
import { checkCheckpoint } from '../src/run/check.js';
import { checkProperty, fuzzParameters, fuzzRuns } from './fuzz.js';
import { safetensorsCase, renderCase, TINY_BERT_CONFIG as TINY_BERT } from './safetensors-cases.js';
import { safetensorsBytes, writeCheckpoint } from './safetensors-bytes.js';

/** What a header that parsed guarantees: every range inside the data, of its shape's size, none overlapping. */
function assertConsistent(h: SafetensorsHeader): void {
  assert.equal(h.dataStart, 8 + h.headerLength);
  assert.ok(h.dataStart <= h.fileSize);
  let previousEnd = h.dataStart;
  for (const e of h.entries) {
    assert.ok(Object.hasOwn(SAFETENSORS_DTYPE_SIZES, e.dtype));
    assert.ok(e.shape.every((d) => Number.isSafeInteger(d) && d >= 0));
    assert.ok(h.dataStart <= e.begin && e.begin <= e.end && e.end <= h.fileSize, `${e.name}: [${e.begin}, ${e.end})`);
    assert.equal(e.end - e.begin, e.shape.reduce((a, b) => a * b, 1) * SAFETENSORS_DTYPE_SIZES[e.dtype]);
    if (e.begin < e.end) {
      assert.ok(e.begin >= previousEnd, `${e.name} overlaps the tensor before it`);
      previousEnd = e.end;
    }
  }
  if (h.metadata !== null) assert.ok(Object.values(h.metadata).every((v) => typeof v === 'string'));
}

/** A reader's error: a WeightsError whose one line starts with the file. */
function assertClear(err: unknown, source: string): string {
  assert.ok(err instanceof WeightsError, `expected a WeightsError, got ${err instanceof Error ? err.stack : String(err)}`);
  assert.ok(err.message.startsWith(`${source}: `), err.message);
  assert.ok(!/[\n\r]/.test(err.message), err.message);
  return err.message.slice(source.length);
}

/** What `fn` throws. */
function catching(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  assert.fail('expected an error');
}

test('fuzzed safetensors files: the reader ends each in a WeightsError naming the file, or a header whose every range checks out', { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tfbench-fuzz-st-'));
  const path = join(dir, 'fuzzed.safetensors');
  try {
    await checkProperty(
      t,
      'safetensors reader',
      fc.property(safetensorsCase, (c) => {
        const bytes = renderCase(c);
        let fromBytes: SafetensorsHeader | string;
        try {
          fromBytes = parseSafetensorsHeader(bytes, bytes.length, 'fuzzed.safetensors');
          assertConsistent(fromBytes);
        } catch (err) {
          fromBytes = assertClear(err, 'fuzzed.safetensors');
        }
        // From a file: the same verdict, and a whole read decodes every tensor or refuses one by its dtype.
        writeFileSync(path, bytes);
        let fromFile: SafetensorsHeader | string;
        try {
          fromFile = readSafetensorsHeader(path);
        } catch (err) {
          fromFile = assertClear(err, path);
        }
        if (typeof fromBytes === 'string') assert.equal(fromFile, fromBytes);
        else assert.deepEqual(fromFile, { ...fromBytes, entries: fromBytes.entries.map((e) => ({ ...e, file: path })) });
        try {
          const { tensors } = readSafetensors(path);
          if (typeof fromBytes === 'string') assert.fail(`readSafetensors read what the header parser refused${fromBytes}`);
          assert.equal(Object.keys(tensors).length, fromBytes.entries.length);
        } catch (err) {
          if (err instanceof assert.AssertionError) throw err;
          const message = assertClear(err, path);
          if (typeof fromBytes !== 'string') assert.match(message, /has dtype (F64|U64|F8_E5M2|F8_E4M3), which cannot be read to the host without loss/);
        }
      }),
      { runs: 300, seconds: 6 },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('fuzzed safetensors files and entries through the addon, in child processes: no abort, no segfault, no hang', { timeout: 3_600_000 }, async (t) => {
  const child = fileURLToPath(new URL('./fuzz-native-child.ts', import.meta.url));
  const total = fuzzRuns(120);
  const batchSize = Math.min(total, 1000);
  const { interruptAfterTimeLimit, seed: fixedSeed } = fuzzParameters({ runs: total, seconds: 10 });
  const seed = fixedSeed ?? (Math.random() * 2 ** 31) | 0;
  const progress = join(mkdtempSync(join(tmpdir(), 'tfbench-fuzz-progress-')), 'case.txt');
  const started = performance.now();
  let cases = 0;
  let batches = 0;
  for (let done = 0; done < total; done += batchSize, batches++) {
    const runs = Math.min(batchSize, total - done);
    const seconds = interruptAfterTimeLimit === undefined ? 0 : interruptAfterTimeLimit / 1000;
    const r = spawnSync(process.execPath, ['--import', 'tsx', child, String(seed + batches), String(runs), String(seconds), progress], {
      encoding: 'utf8',
      timeout: 600_000,
    });
    const last = () => {
      try {
        return readFileSync(progress, 'utf8').trim();
      } catch {
        return '(no case started)';
      }
    };
    if (r.error || r.signal !== null || r.status !== 0) {
      assert.fail(`the child for seed ${seed + batches} ended with ${r.error?.message ?? r.signal ?? `exit ${r.status}`} on ${last()}\n${r.stderr}`);
    }
    const outcome = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { numRuns: number; failed: boolean; report: string | null };
    if (outcome.failed) assert.fail(`fuzz safetensors native (seed ${seed + batches}): ${outcome.report}`);
    cases += outcome.numRuns;
    if (seconds > 0 && outcome.numRuns < runs) break; // the time limit of `pnpm test`
  }
  t.diagnostic(`fuzz safetensors native: ${cases} cases in ${((performance.now() - started) / 1000).toFixed(1)} s, 0 failures, 0 crashes (${batches} child processes, seeds ${seed}…${seed + batches - 1})`);
});

test('a header length over the safetensors limit is refused without reading the header', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tfbench-st-'));
  const path = join(dir, 'huge.safetensors');
  const fd = openSync(path, 'w');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(150_000_000n);
  writeSync(fd, prefix);
  closeSync(fd);
  truncateSync(path, 200_000_000); // sparse: no 200 MB written
  assert.throws(() => readSafetensorsHeader(path), { message: `${path}: header length 150000000 is over the safetensors limit of 100000000 bytes` });
  rmSync(dir, { recursive: true, force: true });
});

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
  // Two "shards" instead of model.safetensors: the real file and a copy whose length prefix claims 2^63 bytes of
  // header.
  rmSync(file);
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
  const message = assertClear(catching(() => parseSafetensorsHeader(bytes, bytes.length, 'h.safetensors')), 'h.safetensors');
  assert.match(message, /^: the header is not valid JSON \(.*\)$/);
});
