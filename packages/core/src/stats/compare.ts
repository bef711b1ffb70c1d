// Comparing two sets of timing samples: the ratio of their medians (new / base) with a bootstrap confidence
// interval, and a verdict. Seeded, so the same two files always give the same answer.
import { median } from './summary.js';
import { mulberry32 } from './random.js';

export interface MedianRatio {
  /** median(next) / median(base): below 1 is faster. */
  ratio: number;
  ciLow: number;
  ciHigh: number;
  level: number;
}

export type Verdict = 'faster' | 'slower' | 'no significant change';


/**
 * Ratio of medians with a percentile bootstrap interval: each side is resampled with replacement
 * (`resamples` times), the ratio of the resampled medians taken, and the interval read from the
 * (1 - level) / 2 and (1 + level) / 2 quantiles of those ratios.
 */
export function medianRatio(
  base: readonly number[],
  next: readonly number[],
  options: { resamples?: number; level?: number; seed?: number } = {},
): MedianRatio {
  if (base.length === 0 || next.length === 0) throw new RangeError('medianRatio needs samples on both sides');
  const resamples = options.resamples ?? 4000;
  const level = options.level ?? 0.95;
  const random = mulberry32(options.seed ?? 1);
  const draw = (xs: readonly number[], into: Float64Array) => {
    for (let i = 0; i < into.length; i++) into[i] = xs[Math.floor(random() * xs.length)]!;
    return median(into);
  };
  const a = new Float64Array(base.length);
  const b = new Float64Array(next.length);
  const ratios = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) ratios[r] = draw(next, b) / draw(base, a);
  ratios.sort();
  const at = (q: number) => ratios[Math.min(resamples - 1, Math.max(0, Math.round(q * (resamples - 1))))]!;
  return { ratio: median(next) / median(base), ciLow: at((1 - level) / 2), ciHigh: at((1 + level) / 2), level };
}

/** Faster or slower only when the interval excludes 1. */
export function verdictOf(r: MedianRatio): Verdict {
  if (r.ciHigh < 1) return 'faster';
  if (r.ciLow > 1) return 'slower';
  return 'no significant change';
}
