// compare: the bootstrap ratio of medians, verdicts, and matching two results files cell by cell.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareResults } from '../src/report/compare.js';
import type { BenchmarkResults, CellRecord } from '../src/report/results.js';
import { medianRatio, verdictOf } from '../src/stats/compare.js';
import { summarize } from '../src/stats/summary.js';

/** n samples around `centre`, spread ±2% deterministically. */
const around = (centre: number, n = 20) => Array.from({ length: n }, (_, i) => centre * (1 + 0.02 * Math.sin(i * 1.7)));

test('the ratio of medians and its bootstrap interval; verdicts only when the interval excludes 1', () => {
  const same = medianRatio(around(1), around(1));
  assert.ok(Math.abs(same.ratio - 1) < 1e-12);
  assert.ok(same.ciLow < 1 && same.ciHigh > 1);
  assert.equal(verdictOf(same), 'no significant change');
  const slower = medianRatio(around(1), around(1.1));
  assert.ok(Math.abs(slower.ratio - 1.1) < 0.01, String(slower.ratio));
  assert.ok(slower.ciLow > 1.05 && slower.ciHigh < 1.15, `${slower.ciLow} ${slower.ciHigh}`);
  assert.equal(verdictOf(slower), 'slower');
  assert.equal(verdictOf(medianRatio(around(1), around(0.8))), 'faster');
  assert.deepEqual(medianRatio(around(1), around(1.1)), slower, 'seeded: the same inputs give the same interval');
});

function rec(over: Partial<CellRecord> & { samples?: number[] }): CellRecord {
  const { samples = around(1), ...rest } = over;
  return {
    model: 'm', batchSize: 8, sequenceLength: 32, mode: 'inference', status: 'ok', error: null, device: 'cpu', dtype: 'float32', threads: 2, blasThreads: 2,
    parameterCount: 1, timeSeconds: { ...summarize(samples), samples, warmup: [] }, phasesSeconds: null, throughput: null, memory: null,
    gpuMemory: null, hostSeconds: null, breakdown: null, buildSeconds: 1,
    efficiency: { flopsPerCall: 1, tflopsPerSecond: null, mfu: null, peakTflops: null, peakSource: null }, warnings: [],
    ...rest,
  };
}
const file = (records: CellRecord[]) => ({ schemaVersion: '1.0.0', records }) as unknown as BenchmarkResults;

test('cells match by model, batch, sequence and mode; a regression is significant and past the threshold', () => {
  const base = file([rec({}), rec({ sequenceLength: 128 }), rec({ mode: 'training' }), rec({ batchSize: 1 }), rec({ sequenceLength: 512 })]);
  const next = file([
    rec({ samples: around(1.1) }),
    rec({ sequenceLength: 128, samples: around(1.03) }),
    rec({ mode: 'training', status: 'oom', timeSeconds: null }),
    rec({ batchSize: 2 }),
    rec({ sequenceLength: 512, status: 'timeout', timeSeconds: null }),
  ]);
  const c = compareResults(base, next);
  assert.deepEqual(c.rows.map((r) => [r.sequenceLength, r.mode, r.verdict, r.regression]), [
    [32, 'inference', 'slower', true],
    [128, 'inference', 'slower', false], // significant but within 5%
    [32, 'training', 'new: oom', true],
    [512, 'inference', 'new: timeout', true],
  ]);
  assert.equal(c.regressions, 3);
  assert.deepEqual(c.onlyInBase, ['m batch 1 seq 32 inference']);
  assert.deepEqual(c.onlyInNew, ['m batch 2 seq 32 inference']);
  assert.equal(compareResults(base, next, { threshold: 0.2 }).regressions, 2, 'the failing cells still count');
});

test('different devices or dtypes are refused unless forced; no common cell is an error', () => {
  const base = file([rec({})]);
  const gpu = file([rec({ device: 'cuda:0' })]);
  assert.throws(() => compareResults(base, gpu), (e: Error & { code?: string }) => e.code === 'INCOMPARABLE' && /cpu float32 in base, cuda:0 float32 in new/.test(e.message));
  assert.equal(compareResults(base, gpu, { force: true }).rows.length, 1);
  assert.deepEqual(compareResults(base, gpu, { force: true }).differences, ['m batch 8 seq 32 inference: cpu float32 in base, cuda:0 float32 in new']);
  assert.deepEqual(compareResults(base, base).differences, []);
  assert.throws(() => compareResults(base, file([rec({ model: 'other' })])), (e: Error & { code?: string }) => e.code === 'NO_COMMON_CELLS');
});

test('files of different frameworks, or of different TensorFlow.js backends, are refused unless forced; versions may differ', () => {
  const measured = (framework: string, frameworkVersion: string, frameworkSource: string) =>
    ({ ...file([rec({})]), environment: { framework, frameworkVersion, frameworkSource } }) as unknown as BenchmarkResults;
  const torch = measured('libtorch', '1.13.0', 'system (/usr/lib/x86_64-linux-gnu/libtorch.so)');
  const wasm = measured('tfjs', '4.22.0', 'wasm (@tensorflow/tfjs-backend-wasm 4.22.0)');
  const cpu = measured('tfjs', '4.22.0', 'cpu (@tensorflow/tfjs-backend-cpu 4.22.0)');
  const refused = (e: Error & { code?: string }, text: string) => e.code === 'INCOMPARABLE' && e.message.includes(text);
  assert.throws(() => compareResults(torch, wasm), (e: Error) => refused(e, 'framework: libtorch 1.13.0 in base, tfjs 4.22.0 (wasm (@tensorflow/tfjs-backend-wasm 4.22.0)) in new'));
  assert.throws(() => compareResults(wasm, cpu), (e: Error) => refused(e, 'framework: tfjs 4.22.0 (wasm (@tensorflow/tfjs-backend-wasm 4.22.0)) in base, tfjs 4.22.0 (cpu (@tensorflow/tfjs-backend-cpu 4.22.0)) in new'));
  assert.deepEqual(compareResults(torch, wasm, { force: true }).differences, ['framework: libtorch 1.13.0 in base, tfjs 4.22.0 (wasm (@tensorflow/tfjs-backend-wasm 4.22.0)) in new']);
  // An upgrade of the same framework is what a regression gate compares; a file without the field measured libtorch.
  assert.deepEqual(compareResults(torch, measured('libtorch', '2.5.1', 'LIBTORCH (/opt/libtorch)')).differences, []);
  assert.deepEqual(compareResults(file([rec({})]), torch).differences, []);
});
