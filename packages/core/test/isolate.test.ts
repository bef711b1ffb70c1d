// Isolated cells run with the backend the sweep was given: the worker process builds it from the backend's ref,
// both when core runs from its TypeScript sources (tests) and from its compiled dist/ (the CLI).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BenchmarkResults } from '../src/report/results.js';
import { benchmark } from '../src/run/benchmark.js';
import { moduleHookFlags, probeThreadsIsolated } from '../src/run/isolate.js';
import { normaliseConfig } from '../src/models/index.js';
import { backendOf, fakeBackend, fakeModel, tiny, type ModelRequest } from './fake-backend.js';

/** No real backend takes exactly this long per call: a record with it was measured by the fake. */
const FAKE_SECONDS = 0.000123;
const sweep = { models: [tiny], batchSizes: [1, 4], sequenceLengths: [8, 64], isolate: true, device: 'cpu', threads: 2, minSamples: 4, targetRelCi: 0, cellTimeoutS: 60 };

function assertMeasuredByFake(results: BenchmarkResults, measuredHere: ModelRequest[]): void {
  assert.deepEqual(
    results.records.map((r) => `${r.batchSize}x${r.sequenceLength}:${r.status}`),
    ['1x8:ok', '1x64:ok', '4x8:ok', '4x64:oom'],
  );
  for (const r of results.records.slice(0, 3)) {
    const samples = r.timeSeconds?.samples ?? [];
    assert.ok(samples.length >= sweep.minSamples && samples.every((s) => s === FAKE_SECONDS), JSON.stringify(samples));
    assert.equal(r.threads, 2);
  }
  // The fake's OOM (200 tokens past its 100), thrown in the worker, comes back with its code.
  assert.equal(results.records[3]!.error?.code, 'OOM');
  assert.match(results.records[3]!.error!.message, /can't allocate memory/);
  assert.deepEqual(measuredHere, [], 'every cell ran in a worker, none in this process');
}

test('isolated cells run in worker processes with the sweep backend, not libtorch', async () => {
  const measuredHere: ModelRequest[] = [];
  const results = await benchmark(sweep, { backend: fakeBackend(100, measuredHere, FAKE_SECONDS) });
  assertMeasuredByFake(results, measuredHere);
});

test('so do they when core runs from dist/ (its worker.js imports the TypeScript fake through the hooks this process has)', async (t) => {
  const dist = new URL('../dist/index.js', import.meta.url);
  if (!existsSync(fileURLToPath(dist))) return t.skip('packages/core is not built (pnpm build)');
  const core = (await import(dist.href)) as { benchmark: typeof benchmark };
  const measuredHere: ModelRequest[] = [];
  const results = await core.benchmark(sweep, { backend: fakeBackend(100, measuredHere, FAKE_SECONDS) });
  assertMeasuredByFake(results, measuredHere);
});

test('the thread probe runs in a worker with the backend it is given', async () => {
  const spec = normaliseConfig(tiny.config);
  const probe = await probeThreadsIsolated(fakeBackend(1e9, [], FAKE_SECONDS).ref, [1, 2], { model: 'tiny', spec, dtype: 'float32', shapes: [{ batchSize: 1, sequenceLength: 8 }] }, { timeoutS: 60 });
  assert.deepEqual(probe.candidates.map((c) => c.threads), [1, 2]);
  for (const c of probe.candidates) assert.ok(c.seconds[0]!.length >= 2 && c.seconds[0]!.every((s) => s === FAKE_SECONDS), JSON.stringify(c.seconds));
});

test('a backend a worker cannot build is refused before anything runs when cells are isolated', async () => {
  const inProcessOnly = backendOf(fakeModel({ seconds: () => assert.fail('nothing is measured') }));
  await assert.rejects(benchmark(sweep, { backend: inProcessOnly }), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'BAD_BACKEND');
    assert.match(err.message, /backend "fake" cannot run cells in a worker process/);
    return true;
  });
});

test("a worker gets this process's module hooks, each flag with its value", () => {
  assert.deepEqual(moduleHookFlags(['--import', 'tsx', '--max-old-space-size=4096', '--require=./a.cjs', '-r', 'b', '--inspect']), ['--import', 'tsx', '--require', './a.cjs', '-r', 'b']);
});
