// The measurement blocks of a cell: runCalls (raw per-call times, training phases), measureMemory (peak RSS),
// sequence-length and option checks, and the peak-RSS self-check. The sampling policy that strings blocks
// together is core's (packages/core/test/sampling.test.ts).
import assert from 'node:assert/strict';
import { totalmem } from 'node:os';
import { test } from 'node:test';
import { loadBinding, type CellCallOptions, type RunCallsOptions } from '../lib/index.js';
import { rejectsWith, tinySpec } from './helpers.js';

const binding = loadBinding();
const cell: CellCallOptions = { mode: 'inference', batchSize: 2, sequenceLength: 16, seed: 0 };
const five: RunCallsOptions = { ...cell, calls: 5 };

test('inference: a block of N calls gives N positive times, all inside its wall time; no phases or host times on CPU', async () => {
  const model = await binding.buildModel(tinySpec(), { device: 'cpu', dtype: 'float32', seed: 0 });
  const started = performance.now();
  const r = await model.runCalls(five);
  const elapsed = (performance.now() - started) / 1000;
  assert.equal(r.seconds.length, 5);
  const timed = r.seconds.reduce((a, b) => a + b, 0);
  assert.ok(r.seconds.every((s) => s > 0) && timed <= elapsed, `${timed} s timed in ${elapsed} s`);
  assert.equal(r.phasesSeconds, null);
  assert.equal(r.hostSeconds, null);
  assert.equal((await model.runCalls({ ...cell, calls: 1 })).seconds.length, 1);
});

test('the memory call: RSS peak >= before > 0, within RAM; CPU has no CUDA figures', async () => {
  const model = await binding.buildModel(tinySpec(), { device: 'cpu', dtype: 'float32', seed: 0 });
  const r = await model.measureMemory(cell);
  assert.ok(r.memory);
  assert.ok(r.memory.rssBeforeBytes > 0);
  assert.ok(r.memory.rssPeakBytes >= r.memory.rssBeforeBytes);
  assert.ok(r.memory.rssPeakBytes < totalmem(), 'a resident set fits in RAM');
  assert.equal(r.cudaMemory, null);
  const training = await model.measureMemory({ ...cell, mode: 'training' });
  assert.ok(training.memory && training.memory.rssPeakBytes >= training.memory.rssBeforeBytes);
});

test('training: forward + backward times; the model is back in eval mode afterwards', async () => {
  const model = await binding.buildModel(tinySpec(), { device: 'cpu', dtype: 'float32', seed: 0 });
  const r = await model.runCalls({ ...five, mode: 'training', calls: 3 });
  assert.equal(r.seconds.length, 3);
  assert.ok(r.seconds.every((s) => s > 0));
  // two runs agree: dropout is off again
  const ids = { dtype: 'int64' as const, shape: [1, 4], data: new BigInt64Array([1n, 2n, 3n, 4n]) };
  const a = await model.run({ input_ids: ids });
  const b = await model.run({ input_ids: ids });
  assert.deepEqual(a.last_hidden_state!.data, b.last_hidden_state!.data);
});

test('training phases: forward + backward (+ AdamW step) add up to each call; the step moves the weights', async () => {
  const ids = { dtype: 'int64' as const, shape: [1, 4], data: new BigInt64Array([5n, 6n, 7n, 8n]) };
  const plain = await binding.buildModel(tinySpec(), { device: 'cpu', dtype: 'float32', seed: 0 });
  const r = await plain.runCalls({ ...five, mode: 'training' });
  assert.ok(r.phasesSeconds);
  assert.equal(r.phasesSeconds.forward.length, 5);
  assert.equal(r.phasesSeconds.backward.length, 5);
  assert.deepEqual(r.phasesSeconds.optimizer, []);
  r.seconds.forEach((s, i) => {
    const parts = r.phasesSeconds!.forward[i]! + r.phasesSeconds!.backward[i]!;
    assert.ok(parts > 0 && parts <= s, `call ${i}: ${parts} of ${s}`);
  });
  const before = (await plain.run({ input_ids: ids })).logits!.data as Float32Array;
  assert.deepEqual((await plain.run({ input_ids: ids })).logits!.data, before, 'backward alone leaves the weights as they were');

  const adam = await binding.buildModel(tinySpec(), { device: 'cpu', dtype: 'float32', seed: 0 });
  const o = await adam.runCalls({ ...five, mode: 'training', trainStep: 'optimizer' });
  assert.equal(o.phasesSeconds!.optimizer.length, 5);
  assert.ok(o.phasesSeconds!.optimizer.every((t) => t > 0));
  const after = (await adam.run({ input_ids: ids })).logits!.data as Float32Array;
  let moved = 0;
  for (let i = 0; i < before.length; i++) moved = Math.max(moved, Math.abs(after[i]! - before[i]!));
  assert.ok(moved > 1e-4, `AdamW steps changed the logits by ${moved}`);
  assert.equal((await adam.runCalls(five)).phasesSeconds, null, 'inference has no phases');
});

test('sequenceLength past max_position_embeddings is BAD_INPUT with both numbers; options are checked by name', async () => {
  const model = await binding.buildModel(tinySpec(), { device: 'cpu', dtype: 'float32', seed: 0 });
  await rejectsWith(model.runCalls({ ...five, sequenceLength: 65 }), 'BAD_INPUT', /65.*64/);
  await rejectsWith(model.measureMemory({ ...cell, sequenceLength: 65 }), 'BAD_INPUT', /65.*64/);
  await rejectsWith(model.measureBreakdown({ ...cell, sequenceLength: 65 }), 'BAD_INPUT', /65.*64/);
  await rejectsWith(model.runCalls({ ...five, batchSize: 0 }), 'BAD_INPUT', /batchSize/);
  await rejectsWith(model.runCalls({ ...five, mode: 'fast' as never }), 'BAD_INPUT', /options\.mode/);
  await rejectsWith(model.runCalls({ ...five, calls: 0 }), 'BAD_INPUT', /options\.calls must be >= 1/);
  const { seed: _, ...noSeed } = five;
  await rejectsWith(model.runCalls(noSeed as RunCallsOptions), 'BAD_INPUT', /options\.seed is missing/);
});

test('training a BertModel (no LM head) is BAD_INPUT', async () => {
  const model = await binding.buildModel(tinySpec({ head: 'base' }), { device: 'cpu', dtype: 'float32', seed: 0 });
  await rejectsWith(model.runCalls({ ...five, mode: 'training' }), 'BAD_INPUT', /LM head/);
  await rejectsWith(model.measureMemory({ ...cell, mode: 'training' }), 'BAD_INPUT', /LM head/);
  const r = await model.runCalls({ ...cell, calls: 1 });
  assert.equal(r.seconds.length, 1);
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
