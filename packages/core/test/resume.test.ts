// resume: which records of a results file are kept, which cells are measured again, the joined file, and the
// refusal of a file from another sweep (against the fake backend, in-process).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArgsError, TfbenchError } from '../src/errors.js';
import { ResultsFiles } from '../src/report/files.js';
import type { BenchmarkResults } from '../src/report/results.js';
import { benchmark } from '../src/run/benchmark.js';
import { fakeBackend, tiny, type ModelRequest } from './fake-backend.js';

// 6 cells: 1x8 1x64 4x8 4x64 8x8 8x64. With room for 100 tokens, 4x64 runs out of memory and 8x64 is skipped after it.
const sweep = { models: [tiny], batchSizes: [1, 4, 8], sequenceLengths: [8, 64], isolate: false, device: 'cpu', threads: 2, targetRelCi: 0 };
const statuses = (r: BenchmarkResults) => r.records.map((x) => `${x.batchSize}x${x.sequenceLength}:${x.status}`);

/** A results file of the sweep in which 1x64 crashed, 4x8 timed out and 8x8 was never reached. */
async function interruptedFile(dir: string): Promise<{ path: string; before: BenchmarkResults }> {
  const full = await benchmark(sweep, { backend: fakeBackend(100) });
  assert.deepEqual(statuses(full), ['1x8:ok', '1x64:ok', '4x8:ok', '4x64:oom', '8x8:ok', '8x64:skipped']);
  const failed = (i: number, status: 'error' | 'timeout', code: string) => ({ ...full.records[i]!, status, error: { code, message: code }, timeSeconds: null });
  const records = [full.records[0]!, failed(1, 'error', 'SIGSEGV'), failed(2, 'timeout', 'TIMEOUT'), full.records[3]!, full.records[5]!];
  const before = { ...full, interrupted: true, records };
  const path = join(dir, 'r.json');
  writeFileSync(path, JSON.stringify(before));
  return { path, before };
}

test('resume keeps ok, oom and skipped records, measures error, timeout and missing cells, and writes the joined file back', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tfbench-resume-'));
  const { path, before } = await interruptedFile(dir);
  const measured: ModelRequest[] = [];
  const plans: unknown[] = [];
  // Now everything fits: a cell measured again would come out ok, so the kept oom and skipped show they were not.
  const results = await benchmark(
    { ...sweep, outputDir: dir, resume: 'r.json', cellTimeoutS: 60 },
    { backend: fakeBackend(1e9, measured), sink: new ResultsFiles(), onProgress: (e) => e.type === 'plan' && plans.push(e) },
  );
  assert.deepEqual(plans, [
    {
      type: 'plan',
      cells: [
        { model: 'tiny', batchSize: 1, sequenceLength: 64, mode: 'inference' },
        { model: 'tiny', batchSize: 4, sequenceLength: 8, mode: 'inference' },
        { model: 'tiny', batchSize: 8, sequenceLength: 8, mode: 'inference' },
      ],
      resumed: { path, kept: 3 },
    },
  ]);
  assert.deepEqual([...new Set(measured.map((o) => `${o.batchSize}x${o.sequenceLength}`))], ['1x64', '4x8', '8x8']);
  assert.deepEqual(statuses(results), ['1x8:ok', '1x64:ok', '4x8:ok', '4x64:oom', '8x8:ok', '8x64:skipped']);
  assert.deepEqual(results.records[0], before.records[0], 'a kept record is the file\'s, unchanged');
  assert.deepEqual(results.records[3], before.records[3]);
  assert.equal(results.interrupted, false);
  assert.equal(results.startedAt, before.startedAt);
  assert.equal(results.args.cellTimeoutS, 60, 'cellTimeoutS may differ from the resumed run');
  // No json: the joined results go back to the resumed file.
  assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')), JSON.parse(JSON.stringify(results)));

  // Resuming a complete file measures nothing.
  const again: ModelRequest[] = [];
  const same = await benchmark({ ...sweep, outputDir: dir, resume: 'r.json' }, { backend: fakeBackend(1e9, again) });
  assert.equal(again.length, 0);
  assert.deepEqual(statuses(same), statuses(results));
});

test('resuming a file of other args, or a missing file, is refused before anything is measured', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tfbench-resume-'));
  const { path } = await interruptedFile(dir);
  const measured: ModelRequest[] = [];
  await assert.rejects(
    benchmark({ ...sweep, batchSizes: [1, 4], seed: 7, outputDir: dir, resume: 'r.json' }, { backend: fakeBackend(1e9, measured) }),
    (err: ArgsError) => {
      assert.ok(err instanceof ArgsError);
      assert.deepEqual(err.problems, [
        { path: 'resume', message: `args differ in batchSizes: [1,4,8] in ${path}; [1,4] in this run` },
        { path: 'resume', message: `args differ in seed: 42 in ${path}; 7 in this run` },
      ]);
      return true;
    },
  );
  await assert.rejects(
    benchmark({ ...sweep, shard: '1/2', outputDir: dir, resume: 'r.json' }, { backend: fakeBackend(1e9, measured) }),
    { message: `resume: args differ in shard: null in ${path}; "1/2" in this run` },
  );
  assert.equal(measured.length, 0);
  await assert.rejects(
    benchmark({ ...sweep, outputDir: dir, resume: 'nope.json' }, { backend: fakeBackend(1e9, measured) }),
    (err: TfbenchError) => err.code === 'BAD_RESULTS' && err.message.startsWith(`cannot read results file ${join(dir, 'nope.json')}: ENOENT`),
  );
});
