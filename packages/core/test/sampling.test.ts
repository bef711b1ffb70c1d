// The sampling policy (run/sampling.ts) on the libtorch backend with the tiny BERT: warm-up, the memory call,
// minSamples / minTimeS / maxTimeS; and the block sizing that keeps a block from overshooting its goal.
import assert from 'node:assert/strict';
import { totalmem } from 'node:os';
import { test } from 'node:test';
import { libtorchBackend, type BackendModel } from '../src/backend/index.js';
import { normaliseConfig } from '../src/models/index.js';
import { blockCalls, sampleCell, warmedUp, type SamplingPolicy } from '../src/run/sampling.js';
import { tiny } from './fake-backend.js';

const backend = libtorchBackend();
const spec = normaliseConfig({ ...tiny.config, max_position_embeddings: 64 });
const call = { mode: 'inference', batchSize: 2, sequenceLength: 16, seed: 0 } as const;
const policy: SamplingPolicy = { warmup: 2, minSamples: 5, minTimeS: 0, maxTimeS: 10, targetRelCi: 0, speed: true, memory: true, breakdown: false };
const build = () => backend.buildModel(spec, { device: 'cpu', dtype: 'float32', seed: 0 });

test('inference: minSamples positive samples, warm-up times, RSS peak >= before > 0', async () => {
  const model = await build();
  const started = performance.now();
  const r = await sampleCell(model, call, policy);
  const elapsed = (performance.now() - started) / 1000;
  assert.equal(r.samplesSeconds.length, 5);
  // Every call is timed inside the addon: together with the warm-up they fit in the wall time.
  const timed = [...r.samplesSeconds, ...r.warmupSeconds].reduce((a, b) => a + b, 0);
  assert.ok(r.samplesSeconds.every((s) => s > 0) && timed <= elapsed, `${timed} s timed in ${elapsed} s`);
  // 2 warm-up calls, then up to 4 more while the last was over 10% faster than the one before it
  const w = r.warmupSeconds;
  assert.ok(w.length >= 2 && w.length <= 6, `${w.length} warm-up calls`);
  assert.ok(w.every((s) => s > 0));
  for (let i = 2; i < w.length; i++) assert.ok(w[i - 2]! - w[i - 1]! > 0.1 * w[i - 1]!, `warm-up call ${i + 1} followed a settled one: ${w}`);
  if (w.length < 6) assert.ok(w.at(-2)! - w.at(-1)! <= 0.1 * w.at(-1)!, `warm-up ended while still getting faster: ${w}`);
  assert.ok(r.memory);
  assert.ok(r.memory.rssBeforeBytes > 0);
  assert.ok(r.memory.rssPeakBytes >= r.memory.rssBeforeBytes);
  assert.ok(r.memory.rssPeakBytes < totalmem(), 'a resident set fits in RAM');
  assert.equal(r.cudaMemory, null);
  assert.equal(r.phasesSeconds, null);
  assert.equal(r.breakdown, null, 'no breakdown unless asked');
});

/** `model` with every runCalls block's size recorded in `blocks`. */
function recordingBlocks(model: BackendModel, blocks: number[]): BackendModel {
  return {
    parameters: () => model.parameters(),
    parameterCount: () => model.parameterCount(),
    loadWeights: (file, entries) => model.loadWeights(file, entries),
    run: (inputs, options) => model.run(inputs, options),
    runCalls: (o) => (blocks.push(o.calls), model.runCalls(o)),
    measureMemory: (o) => model.measureMemory(o),
    measureBreakdown: (o) => model.measureBreakdown(o),
  };
}

test('sampling stops at minTimeS once minSamples are in, never below minSamples', async () => {
  const blocks: number[] = [];
  const model = recordingBlocks(await build(), blocks);
  const timed = await sampleCell(model, call, { ...policy, warmup: 0, minSamples: 2, minTimeS: 0.05, maxTimeS: 10, memory: false });
  const total = timed.samplesSeconds.reduce((a, b) => a + b, 0);
  assert.ok(timed.samplesSeconds.length >= 2);
  assert.ok(total >= 0.05, `total ${total}`);
  // No block starts once minTimeS is in (unless minSamples still needed it): the calls before the last block fall short.
  const beforeLast = timed.samplesSeconds.slice(0, -blocks.at(-1)!);
  assert.ok(beforeLast.length < 2 || beforeLast.reduce((a, b) => a + b, 0) < 0.05, `blocks ${blocks}: ${timed.samplesSeconds}`);
  assert.equal(timed.memory, null);
  // maxTimeS below minTimeS ends sampling once past maxTimeS, but not before minSamples
  const capped = await sampleCell(model, call, { ...policy, warmup: 0, minSamples: 3, minTimeS: 100, maxTimeS: 0, memory: false });
  assert.equal(capped.samplesSeconds.length, 3);
  const none = await sampleCell(model, call, { ...policy, speed: false });
  assert.deepEqual(none.samplesSeconds, []);
  assert.ok(none.memory);
});

test('training: phases for every sample, and a breakdown when asked', async () => {
  const model = await build();
  const r = await sampleCell(model, { ...call, mode: 'training' }, { ...policy, warmup: 1, minSamples: 3, memory: false, breakdown: true });
  assert.equal(r.samplesSeconds.length, 3);
  assert.equal(r.phasesSeconds!.forward.length, 3);
  assert.equal(r.phasesSeconds!.backward.length, 3);
  assert.deepEqual(r.breakdown?.slice(-2).map((m) => m.module), ['loss', 'backward']);
});

test('the warm-up ends at the first call not over 10% faster than the one before it', () => {
  assert.equal(warmedUp([]), true);
  assert.equal(warmedUp([0.5]), true);
  assert.equal(warmedUp([0.5, 0.3]), false);
  assert.equal(warmedUp([0.5, 0.3, 0.29]), true);
  assert.equal(warmedUp([0.3, 0.33]), true, 'a slower call is noise, not warm-up');
});

test('a block holds the calls still missing, or as many as fit in the time still missing at the slowest recent pace', () => {
  assert.equal(blockCalls(5, 1, null), 1, 'nothing known of the pace: one call');
  assert.equal(blockCalls(5, 0.125, 2 ** -6), 8);
  assert.equal(blockCalls(5, 0, 0.01), 5);
  assert.equal(blockCalls(0, 0.005, 0.01), 1, 'at least one call while time is missing');
  assert.equal(blockCalls(0, 100, 0.001), 64, 'at most 64 calls');
  assert.equal(blockCalls(100, 0, 0.1), 2, 'at most 0.25 s at the pace');
});
