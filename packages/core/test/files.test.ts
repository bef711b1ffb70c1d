// The results files written as the sweep goes (ResultsFiles as benchmark()'s sink): after every cell, atomically,
// valid mid-sweep; unwritable places refused before anything runs; a failed write keeps the previous file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArgsError } from '../src/errors.js';
import { writeFileAtomic } from '../src/report/atomic.js';
import { ResultsFiles, type WriteFailure } from '../src/report/files.js';
import { benchmark } from '../src/run/benchmark.js';
import { fakeBackend, tiny, type ModelRequest } from './fake-backend.js';
import { schemaFile, validate } from './json-schema.js';

const grid = { models: [tiny], batchSizes: [1, 2], sequenceLengths: [8], isolate: false, device: 'cpu', threads: 2, targetRelCi: 0 };

test('writeFileAtomic replaces a file whole and leaves no temporary file beside it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tfbench-atomic-'));
  const path = join(dir, 'sub', 'r.json');
  writeFileAtomic(path, 'first');
  writeFileAtomic(path, 'second');
  assert.equal(readFileSync(path, 'utf8'), 'second');
  assert.deepEqual(readdirSync(join(dir, 'sub')), ['r.json']);
  writeFileSync(join(dir, 'file'), '');
  assert.throws(() => writeFileAtomic(join(dir, 'file', 'r.json'), 'x'), /ENOTDIR: .*file is not a directory/);
});

test('the JSON and CSV files are rewritten after every cell; mid-sweep they are valid results files, interrupted until the end', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tfbench-files-'));
  const schema = schemaFile('results.schema.json');
  const seen: Array<{ records: number; interrupted: boolean; csvRows: number; errors: string[] }> = [];
  const results = await benchmark(
    { ...grid, outputDir: dir, json: 'r.json', saveToCsv: true },
    {
      backend: fakeBackend(1e9),
      sink: new ResultsFiles(),
      onProgress: (e) => {
        if (e.type !== 'cell-end') return;
        const file = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8'));
        const csvRows = readFileSync(join(dir, 'inference_time.csv'), 'utf8').split('\n').length - 1;
        seen.push({ records: file.records.length, interrupted: file.interrupted, csvRows, errors: validate(file, schema, schema) });
      },
    },
  );
  assert.deepEqual(seen, [
    { records: 1, interrupted: true, csvRows: 1, errors: [] },
    { records: 2, interrupted: false, csvRows: 2, errors: [] },
  ]);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')), JSON.parse(JSON.stringify(results)));
  assert.deepEqual(readdirSync(dir).sort(), ['env.csv', 'inference_memory.csv', 'inference_time.csv', 'r.json']);
});

test('an unwritable output place is refused before anything is measured, naming the argument and the path', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tfbench-files-'));
  writeFileSync(join(dir, 'file'), '');
  const measured: ModelRequest[] = [];
  const refusal = benchmark(
    { ...grid, outputDir: join(dir, 'file'), json: 'r.json', saveToCsv: true },
    { backend: fakeBackend(1e9, measured), sink: new ResultsFiles() },
  );
  await assert.rejects(refusal, (err: ArgsError) => {
    assert.ok(err instanceof ArgsError);
    assert.deepEqual(err.problems.map((p) => p.path), ['json', 'inferenceTimeCsvFile', 'inferenceMemoryCsvFile', 'trainTimeCsvFile', 'trainMemoryCsvFile', 'generateTimeCsvFile', 'generateMemoryCsvFile', 'envInfoCsvFile']);
    assert.equal(err.problems[0]!.message, `cannot write ${join(dir, 'file', 'r.json')}: ENOTDIR: ${join(dir, 'file')} is not a directory`);
    return true;
  });
  assert.equal(measured.length, 0);
  mkdirSync(join(dir, 'd', 'r.json'), { recursive: true });
  await assert.rejects(
    benchmark({ ...grid, outputDir: join(dir, 'd'), json: 'r.json' }, { backend: fakeBackend(1e9), sink: new ResultsFiles() }),
    { message: `json: cannot write ${join(dir, 'd', 'r.json')}: it is a directory` },
  );
});

test('a write that fails mid-sweep is reported once, keeps the previous file, and is retried after the next cell', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tfbench-files-'));
  const out = join(dir, 'out');
  const failures: WriteFailure[] = [];
  const recovered: Array<[string, number]> = [];
  const files = new ResultsFiles({ onWriteError: (f) => failures.push(f), onWriteRecovered: (path, n) => recovered.push([path, n]) });
  let kept = '';
  await benchmark(
    { ...grid, batchSizes: [1, 2, 3, 4], outputDir: out, json: 'r.json' },
    {
      backend: fakeBackend(1e9),
      sink: files,
      onProgress: (e) => {
        if (e.type !== 'cell-end') return;
        // After cell 1 the output directory turns into a file (cells 2 and 3 cannot be written); after cell 3 it is back.
        if (e.index === 0) {
          kept = readFileSync(join(out, 'r.json'), 'utf8');
          renameSync(out, `${out}.moved`);
          writeFileSync(out, '');
        } else if (e.index === 2) {
          rmSync(out);
          renameSync(`${out}.moved`, out);
          assert.equal(readFileSync(join(out, 'r.json'), 'utf8'), kept, 'the file of cell 1 is intact');
          assert.deepEqual(files.failures, [{ path: join(out, 'r.json'), reason: `ENOTDIR: ${out} is not a directory`, recordsKept: 1 }]);
        }
      },
    },
  );
  assert.deepEqual(failures, [{ path: join(out, 'r.json'), reason: `ENOTDIR: ${out} is not a directory`, recordsKept: 1 }]);
  assert.deepEqual(recovered, [[join(out, 'r.json'), 4]]);
  assert.deepEqual(files.failures, []);
  assert.equal(JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')).records.length, 4);
});
