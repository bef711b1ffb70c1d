import { test } from 'node:test';
import assert from 'node:assert/strict';
import { levelShift, medianCiRanks, quantile, summarize } from '../src/stats/summary.js';

test('summary of known samples', () => {
  const s = summarize([5, 1, 4, 2, 3, 10, 6, 9, 7, 8]);
  assert.equal(s.count, 10);
  assert.equal(s.median, 5.5);
  assert.equal(s.mean, 5.5);
  assert.equal(s.min, 1);
  assert.equal(s.max, 10);
  assert.ok(Math.abs(s.stdev - 3.0276503540974917) < 1e-12);
  assert.ok(Math.abs(s.p90 - 9.1) < 1e-12); // numpy.percentile(range 1..10, 90) = 9.1
  assert.ok(Math.abs(s.p99 - 9.91) < 1e-12);
  // n = 10: order statistics 2 and 9 bound the median with 1 - 2·P(Bin(10, ½) ≤ 1) = 97.85 %
  assert.equal(s.ciLow, 2);
  assert.equal(s.ciHigh, 9);
  assert.ok(Math.abs(s.ciLevel - (1 - 22 / 1024)) < 1e-12);
  assert.ok(Math.abs(s.relCiHalfWidth - 3.5 / 5.5) < 1e-12);
});

test('median CI ranks match the binomial tables', () => {
  assert.deepEqual(medianCiRanks(20).lower, 6);
  assert.deepEqual(medianCiRanks(20).upper, 15);
  assert.ok(Math.abs(medianCiRanks(20).level - 0.9586105) < 1e-6);
  assert.equal(medianCiRanks(100).lower, 40); // the textbook 95 % interval for n = 100 is X(40)..X(61)
  assert.equal(medianCiRanks(100).upper, 61);
  // Five samples cannot give 95 %: the whole range, and the confidence it really has (1 - 2/32).
  assert.deepEqual(medianCiRanks(5), { lower: 1, upper: 5, level: 0.9375 });
});

test('single sample and quantile edges', () => {
  const s = summarize([0.25]);
  assert.equal(s.median, 0.25);
  assert.equal(s.stdev, 0);
  assert.equal(s.ciLow, 0.25);
  assert.equal(quantile([1, 2], 0.5), 1.5);
  assert.throws(() => summarize([]), /at least one sample/);
});

test('levelShift: the halves of a run that steps from 1.0 s to 1.2 s have disjoint CIs; steady or short runs have none', () => {
  // 12 calls near 1.0 s (±1%), then 12 near 1.2 s: the speed of the machine changed half-way.
  const jitter = [0, 0.004, -0.006, 0.008, -0.002, 0.01, -0.01, 0.002, -0.004, 0.006, -0.008, 0.001];
  const stepped = [...jitter.map((j) => 1 + j), ...jitter.map((j) => 1.2 * (1 + j))];
  const shift = levelShift(stepped);
  assert.ok(shift);
  assert.equal(shift.first.count, 12);
  assert.equal(shift.second.count, 12);
  assert.ok(Math.abs(shift.first.median - 1.0005) < 1e-12, String(shift.first.median));
  assert.ok(Math.abs(shift.relChange - 0.2) < 1e-12, String(shift.relChange));
  // The same values shuffled evenly over time (alternating): no shift between the halves.
  const interleaved = jitter.flatMap((j) => [1 + j, 1.2 * (1 + j)]);
  assert.equal(levelShift(interleaved), null);
  assert.equal(levelShift(jitter.map((j) => 1 + j)), null);
  assert.equal(levelShift(stepped.slice(6, 17)), null); // 11 samples: too few for a 95% CI per half
});
