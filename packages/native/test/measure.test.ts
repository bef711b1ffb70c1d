// measure(): raw samples, peak RSS, sequence-length checks, training mode.
import assert from 'node:assert/strict';
import { totalmem } from 'node:os';
import { test } from 'node:test';
import { loadBinding, type MeasureOptions } from '../lib/index.js';
import { rejectsWith, tinySpec } from './helpers.js';

const binding = loadBinding();
const base: MeasureOptions = {
  mode: 'inference',
  batchSize: 2,
  sequenceLength: 16,
  warmup: 2,
  minSamples: 5,
  minTimeS: 0,
  maxTimeS: 10,
  speed: true,
  memory: true,
  seed: 0,
};

test('inference: minSamples positive samples, warm-up times, RSS peak >= before > 0', async () => {
  const model = await binding.buildModel(tinySpec(), { device: 'cpu', dtype: 'float32', seed: 0 });
  const started = performance.now();
  const r = await model.measure(base);
  const elapsed = (performance.now() - started) / 1000;
  assert.equal(r.samplesSeconds.length, 5);
  // Every call is timed inside measure(): together with the warm-up they fit in its wall time.
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
});

test('sampling stops at minTimeS once minSamples are in, never below minSamples', async () => {
  const model = await binding.buildModel(tinySpec(), { device: 'cpu', dtype: 'float32', seed: 0 });
  const timed = await model.measure({ ...base, warmup: 0, minSamples: 2, minTimeS: 0.05, maxTimeS: 10, memory: false });
  const total = timed.samplesSeconds.reduce((a, b) => a + b, 0);
  assert.ok(timed.samplesSeconds.length >= 2);
  assert.ok(total >= 0.05, `total ${total}`);
  assert.ok(total - timed.samplesSeconds.at(-1)! < 0.05, 'one sample past minTimeS at most');
  assert.equal(timed.memory, null);
  // maxTimeS below minTimeS ends sampling once past maxTimeS, but not before minSamples
  const capped = await model.measure({ ...base, warmup: 0, minSamples: 3, minTimeS: 100, maxTimeS: 0, memory: false });
  assert.equal(capped.samplesSeconds.length, 3);
  const none = await model.measure({ ...base, speed: false });
  assert.deepEqual(none.samplesSeconds, []);
  assert.ok(none.memory);
});

test('training: forward + backward samples', async () => {
  const model = await binding.buildModel(tinySpec(), { device: 'cpu', dtype: 'float32', seed: 0 });
  const r = await model.measure({ ...base, mode: 'training', minSamples: 3 });
  assert.equal(r.samplesSeconds.length, 3);
  assert.ok(r.samplesSeconds.every((s) => s > 0));
  assert.ok(r.memory && r.memory.rssPeakBytes >= r.memory.rssBeforeBytes);
  // the model is back in eval mode afterwards: two runs agree
  const ids = { dtype: 'int64' as const, shape: [1, 4], data: new BigInt64Array([1n, 2n, 3n, 4n]) };
  const a = await model.run({ input_ids: ids });
  const b = await model.run({ input_ids: ids });
  assert.deepEqual(a.last_hidden_state!.data, b.last_hidden_state!.data);
});

test('training phases: forward + backward (+ AdamW step) add up to each sample; the step moves the weights', async () => {
  const ids = { dtype: 'int64' as const, shape: [1, 4], data: new BigInt64Array([5n, 6n, 7n, 8n]) };
  const plain = await binding.buildModel(tinySpec(), { device: 'cpu', dtype: 'float32', seed: 0 });
  const r = await plain.measure({ ...base, mode: 'training', memory: false });
  assert.ok(r.phasesSeconds);
  assert.equal(r.phasesSeconds.forward.length, 5);
  assert.equal(r.phasesSeconds.backward.length, 5);
  assert.deepEqual(r.phasesSeconds.optimizer, []);
  r.samplesSeconds.forEach((s, i) => {
    const parts = r.phasesSeconds!.forward[i]! + r.phasesSeconds!.backward[i]!;
    assert.ok(parts > 0 && parts <= s, `sample ${i}: ${parts} of ${s}`);
  });
  const before = (await plain.run({ input_ids: ids })).logits!.data as Float32Array;
  assert.deepEqual((await plain.run({ input_ids: ids })).logits!.data, before, 'backward alone leaves the weights as they were');

  const adam = await binding.buildModel(tinySpec(), { device: 'cpu', dtype: 'float32', seed: 0 });
  const o = await adam.measure({ ...base, mode: 'training', trainStep: 'optimizer', memory: false });
  assert.equal(o.phasesSeconds!.optimizer.length, 5);
  assert.ok(o.phasesSeconds!.optimizer.every((t) => t > 0));
  const after = (await adam.run({ input_ids: ids })).logits!.data as Float32Array;
  let moved = 0;
  for (let i = 0; i < before.length; i++) moved = Math.max(moved, Math.abs(after[i]! - before[i]!));
  assert.ok(moved > 1e-4, `AdamW steps changed the logits by ${moved}`);
  assert.equal((await adam.measure({ ...base, memory: false })).phasesSeconds, null, 'inference has no phases');
});

test('sequenceLength past max_position_embeddings is BAD_INPUT with both numbers', async () => {
  const model = await binding.buildModel(tinySpec(), { device: 'cpu', dtype: 'float32', seed: 0 });
  await rejectsWith(model.measure({ ...base, sequenceLength: 65 }), 'BAD_INPUT', /65.*64/);
  await rejectsWith(model.measure({ ...base, batchSize: 0 }), 'BAD_INPUT', /batchSize/);
  await rejectsWith(model.measure({ ...base, mode: 'fast' as never }), 'BAD_INPUT', /options\.mode/);
  const { seed: _, ...noSeed } = base;
  await rejectsWith(model.measure(noSeed as MeasureOptions), 'BAD_INPUT', /options\.seed is missing/);
});

test('training a BertModel (no LM head) is BAD_INPUT', async () => {
  const model = await binding.buildModel(tinySpec({ head: 'base' }), { device: 'cpu', dtype: 'float32', seed: 0 });
  await rejectsWith(model.measure({ ...base, mode: 'training' }), 'BAD_INPUT', /LM head/);
  const r = await model.measure({ ...base, minSamples: 1 });
  assert.equal(r.samplesSeconds.length, 1);
});

test('the RSS increase of a call that allocates and touches 256 MiB is 256 MiB ± 4 MiB', async () => {
  const MiB = 1024 * 1024;
  const m = await binding.measureAllocation(256 * MiB);
  const increase = (m.rssPeakBytes - m.rssBeforeBytes) / MiB;
  assert.ok(Math.abs(increase - 256) <= 4, `increase ${increase.toFixed(2)} MiB`);
  const none = await binding.measureAllocation(0);
  assert.ok((none.rssPeakBytes - none.rssBeforeBytes) / MiB < 4, 'an empty call adds (almost) nothing');
  await rejectsWith(binding.measureAllocation(-1), 'BAD_INPUT', /bytes must be >= 0/);
});
