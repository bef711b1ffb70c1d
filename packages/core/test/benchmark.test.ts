// The sweep loop against a fake backend (in-process): records, warnings, skipping after an OOM, failures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { benchmark } from '../src/run/benchmark.js';
import { dominatingOom } from '../src/run/plan.js';
import { timeWarnings } from '../src/stats/warnings.js';
import { summarize } from '../src/stats/summary.js';
import { fakeBackend, tiny, type ModelRequest } from './fake-backend.js';

test('an out-of-memory cell is reported as oom, larger ones are skipped, the others measured', async () => {
  const measured: ModelRequest[] = [];
  const results = await benchmark(
    { models: [tiny], batchSizes: [1, 4], sequenceLengths: [8, 64], isolate: false, device: 'cpu', threads: 2 },
    { backend: fakeBackend(100, measured) },
  );
  const status = results.records.map((r) => `${r.batchSize}x${r.sequenceLength}:${r.status}`);
  assert.deepEqual(status, ['1x8:ok', '1x64:ok', '4x8:ok', '4x64:oom']);
  const oom = results.records[3]!;
  assert.equal(oom.error?.code, 'OOM');
  assert.match(oom.error!.message, /can't allocate memory/);
  assert.equal(oom.timeSeconds, null);

  const skipped = await benchmark(
    { models: [tiny], batchSizes: [4, 8], sequenceLengths: [64, 8], isolate: false, device: 'cpu', threads: 2 },
    { backend: fakeBackend(100) },
  );
  assert.deepEqual(
    skipped.records.map((r) => `${r.batchSize}x${r.sequenceLength}:${r.status}`),
    ['4x64:oom', '4x8:ok', '8x64:skipped', '8x8:ok'],
  );
  assert.match(skipped.records[2]!.warnings[0]!, /ran out of memory in inference at batch 4, sequence 64/);
  assert.equal(results.interrupted, false);
});

test('records carry throughput, FLOPs and the rate achieved', async () => {
  const results = await benchmark(
    { models: [tiny], batchSizes: [2], sequenceLengths: [8], isolate: false, device: 'cpu', threads: 2, minSamples: 12 },
    { backend: fakeBackend(1000) },
  );
  const r = results.records[0]!;
  assert.equal(r.status, 'ok');
  assert.equal(r.timeSeconds?.median, 0.001);
  assert.equal(r.throughput?.samplesPerSecond, 2000);
  assert.equal(r.throughput?.tokensPerSecond, 16000);
  // 2 layers × (qkv 2·16·32·96 + scores/context 4·16·8·32 + out 2·16·32·32 + ffn 4·16·32·37) + head (2·16·32·32 + 2·16·32·99)
  const flops = 2 * (98304 + 16384 + 32768 + 75776) + 32768 + 101376;
  assert.equal(r.efficiency.flopsPerCall, flops);
  assert.ok(Math.abs(r.efficiency.tflopsPerSecond! - flops / 0.001 / 1e12) < 1e-12);
  assert.equal(r.efficiency.mfu, null);
  assert.deepEqual(r.warnings, []);
  assert.equal(r.memory?.rssIncreaseBytes, 1e8);
  assert.deepEqual([r.memory?.tensorPeakBytes, r.memory?.tensorBeforeBytes, r.memory?.tensorIncreaseBytes], [null, null, null], 'a backend without tensor counts');
});

test('warnings for few samples, a missed CI target, high spread and a change of speed mid-measurement', () => {
  const timed = (samples: number[]) => ({ ...summarize(samples), samples });
  const few = timeWarnings(timed([1, 1.1, 0.9]), 0.01);
  assert.match(few[0]!, /only 3 samples: .* 75\.0% confidence/);
  assert.match(few[1]!, /CI is ±.*wider than the ±1\.0% asked/);
  assert.match(few[2]!, /high spread/);
  assert.deepEqual(timeWarnings(timed(Array(20).fill(0.5)), 0.01), []);
  // 20 calls at 0.50 s, then 20 at 0.55 s: within the CI target overall, but the machine changed speed mid-way.
  const stepped = [...Array(20).fill(0.5), ...Array(20).fill(0.55)];
  assert.deepEqual(timeWarnings(timed(stepped), 0.1), [
    'the speed changed during the measurement: the median of the first 20 calls is 0.5000 s, of the last 20 0.5500 s (+10.0%; ' +
      'their 95% CIs do not overlap), so the CI assumes a steadiness the machine did not have (other load, or a VM\'s varying memory bandwidth?)',
  ]);
  assert.equal(dominatingOom({ model: 'a', mode: 'training', batchSize: 8, sequenceLength: 8 }, [{ model: 'a', mode: 'inference', batchSize: 1, sequenceLength: 1 }]), undefined);
});

test('breakdown: true asks the backend for one more call module by module and keeps it with the record', async () => {
  const measured: ModelRequest[] = [];
  const backend = fakeBackend(1e9, measured);
  const model = await backend.buildModel({} as never, {} as never);
  const plain = model.measureBreakdown;
  model.measureBreakdown = async (o) => {
    await plain(o);
    return [{ module: 'embeddings', seconds: 0.001, beforeBytes: 100, peakBytes: 160 }, { module: 'head', seconds: 0.002, beforeBytes: 160, peakBytes: 170 }];
  };
  const results = await benchmark(
    { models: [tiny], batchSizes: [1], sequenceLengths: [8], isolate: false, device: 'cpu', threads: 2, breakdown: true, targetRelCi: 0 },
    { backend },
  );
  const last = measured.at(-1)!;
  assert.equal(last.method, 'measureBreakdown', 'the breakdown call comes last, after the timed ones');
  assert.equal(measured.filter((o) => o.method === 'measureBreakdown').length, 1);
  assert.deepEqual(results.records[0]!.breakdown, [
    { module: 'embeddings', seconds: 0.001, beforeBytes: 100, peakBytes: 160, increaseBytes: 60 },
    { module: 'head', seconds: 0.002, beforeBytes: 160, peakBytes: 170, increaseBytes: 10 },
  ]);
});
