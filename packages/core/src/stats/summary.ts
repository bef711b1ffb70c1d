// Statistics over raw timing samples (seconds). Everything is computed from the samples kept in the record,
// never from pre-aggregated numbers, so a reader can recompute or re-test any figure.

export interface SampleSummary {
  count: number;
  median: number;
  mean: number;
  /** Sample standard deviation (n - 1); 0 for a single sample. */
  stdev: number;
  min: number;
  max: number;
  p90: number;
  p99: number;
  /** Distribution-free confidence interval of the median from order statistics (binomial, p = 0.5). */
  ciLow: number;
  ciHigh: number;
  /** Confidence actually reached by [ciLow, ciHigh]: at least 0.95 once there are 6 samples or more. */
  ciLevel: number;
  /** Half the CI's width relative to the median. */
  relCiHalfWidth: number;
}

/** Quantile by linear interpolation between closest ranks (Hyndman & Fan type 7, as numpy's default). */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) throw new RangeError('quantile of no samples');
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  return a + (b - a) * (pos - lo);
}

/** The median of samples in any order (they are not modified). */
export function median(samples: ArrayLike<number>): number {
  return quantile(Float64Array.from(samples).sort(), 0.5);
}

/** P(X <= k) for X ~ Binomial(n, 1/2). */
function binomialHalfCdf(n: number, k: number): number {
  if (k < 0) return 0;
  if (k >= n) return 1;
  let logC = 0; // log C(n, 0)
  let total = 0;
  const logHalfPowN = n * Math.log(0.5);
  for (let i = 0; i <= k; i++) {
    if (i > 0) logC += Math.log(n - i + 1) - Math.log(i);
    total += Math.exp(logC + logHalfPowN);
  }
  return Math.min(1, total);
}

/**
 * 1-based ranks (l, u) of the order statistics bounding the median with confidence >= level:
 * the largest l with P(Bin(n, 1/2) <= l - 1) <= (1 - level) / 2, and u = n + 1 - l.
 * With too few samples no such l exists; then (1, n) and the confidence it really gives.
 */
export function medianCiRanks(n: number, level = 0.95): { lower: number; upper: number; level: number } {
  const tail = (1 - level) / 2;
  let lower = 0;
  for (let l = 1; l <= Math.ceil(n / 2); l++) {
    if (binomialHalfCdf(n, l - 1) <= tail) lower = l;
    else break;
  }
  if (lower === 0) {
    const reached = 1 - 2 * binomialHalfCdf(n, 0);
    return { lower: 1, upper: n, level: reached };
  }
  return { lower, upper: n + 1 - lower, level: 1 - 2 * binomialHalfCdf(n, lower - 1) };
}

export function summarize(samples: readonly number[]): SampleSummary {
  const n = samples.length;
  if (n === 0) throw new RangeError('summarize needs at least one sample');
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = sorted.reduce((s, x) => s + x, 0) / n;
  const variance = n > 1 ? sorted.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1) : 0;
  const median = quantile(sorted, 0.5);
  const ranks = medianCiRanks(n);
  const ciLow = sorted[ranks.lower - 1]!;
  const ciHigh = sorted[ranks.upper - 1]!;
  return {
    count: n,
    median,
    mean,
    stdev: Math.sqrt(variance),
    min: sorted[0]!,
    max: sorted[n - 1]!,
    p90: quantile(sorted, 0.9),
    p99: quantile(sorted, 0.99),
    ciLow,
    ciHigh,
    ciLevel: ranks.level,
    relCiHalfWidth: median > 0 ? (ciHigh - ciLow) / 2 / median : 0,
  };
}

/** A change of level between the first and the second half of a run of samples (see levelShift). */
export interface LevelShift {
  /** The first floor(n / 2) samples, in the order they were taken. */
  first: SampleSummary;
  /** The remaining samples. */
  second: SampleSummary;
  /** second.median / first.median - 1. */
  relChange: number;
}

/**
 * Whether the machine's speed changed while the samples were taken: the 95% CIs of the median of the first and
 * of the second half (time order) do not overlap. The median's CI assumes the samples come from one steady
 * distribution; a shift like this means it understates the uncertainty. Needs 12 samples (6 per half, the
 * fewest with a 95% CI); null when there are fewer or the halves agree.
 */
export function levelShift(samples: readonly number[]): LevelShift | null {
  if (samples.length < 12) return null;
  const half = Math.floor(samples.length / 2);
  const first = summarize(samples.slice(0, half));
  const second = summarize(samples.slice(half));
  if (first.ciHigh >= second.ciLow && second.ciHigh >= first.ciLow) return null;
  return { first, second, relChange: second.median / first.median - 1 };
}
