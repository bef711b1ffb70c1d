// Generation's figures from the raw times of generate calls (seconds), each as README defines it. Per call c with
// N new tokens: TTFT_c (the prefill and the first token), E2E_c (the whole call), its N - 1 decode steps; then
//   TPOT_c = (E2E_c - TTFT_c) / (N - 1)           per call, summarised over calls (median and its 95% CI);
//   ITL = every decode step of every call, pooled  p50 / p90 / p99;
//   prefill tokens/s = B·S / median TTFT;  decode tokens/s = B·(N - 1) / median(E2E - TTFT).
// TPOT and ITL are the same gaps aggregated two ways: TPOT is each call's mean gap (then the median over calls),
// ITL p50 the median of all gaps. Steps skew right (a few slow ones: a deeper context, a page fault, the scheduler),
// which lifts a mean above the median, so ITL p50 < TPOT is usual; E2E - TTFT also holds the host's time between
// steps, which no step's time does.
import { median, quantile, summarize, type SampleSummary } from './summary.js';

/** One generate call's times, as the backend measured them (GenerateTiming). */
export interface GenerateCallTimes {
  ttftSeconds: number;
  /** The N - 1 decode steps, in order. */
  stepSeconds: readonly number[];
  e2eSeconds: number;
}

/** A summary with the samples it summarises (and the warm-up calls' values), as results.ts's TimeRecord. */
export type SummarisedSamples = SampleSummary & { samples: number[]; warmup: number[] };

export interface GenerationFigures {
  ttft: SummarisedSamples;
  /** null when N = 1 (no decode step). */
  tpot: SummarisedSamples | null;
  itl: { p50: number; p90: number; p99: number; steps: number } | null;
  prefillTokensPerSecond: number;
  decodeTokensPerSecond: number | null;
}

/** Each call's TPOT: (E2E - TTFT) / (N - 1). Only for N >= 2. */
export function tpotOfCalls(calls: readonly GenerateCallTimes[], newTokens: number): number[] {
  if (newTokens < 2) throw new RangeError('TPOT needs at least 2 new tokens');
  return calls.map((c) => (c.e2eSeconds - c.ttftSeconds) / (newTokens - 1));
}

/** Percentiles of every decode step of every call, pooled; null when there is no step. */
export function pooledItl(calls: readonly GenerateCallTimes[]): GenerationFigures['itl'] {
  const steps = Float64Array.from(calls.flatMap((c) => c.stepSeconds)).sort();
  if (steps.length === 0) return null;
  return { p50: quantile(steps, 0.5), p90: quantile(steps, 0.9), p99: quantile(steps, 0.99), steps: steps.length };
}

/** The relative 95% CI half-width the sampling policy holds to its target: the wider of TTFT's and TPOT's (TTFT's
 * alone when N = 1). */
export function generationRelCi(calls: readonly GenerateCallTimes[], newTokens: number): number {
  const ttft = summarize(calls.map((c) => c.ttftSeconds)).relCiHalfWidth;
  return newTokens < 2 ? ttft : Math.max(ttft, summarize(tpotOfCalls(calls, newTokens)).relCiHalfWidth);
}

/** The figures of a generate cell from its timed calls (at least one) and warm-up calls. */
export function generationFigures(
  calls: readonly GenerateCallTimes[],
  warmup: readonly GenerateCallTimes[],
  shape: { batchSize: number; promptLength: number; newTokens: number },
): GenerationFigures {
  const { batchSize: B, promptLength: S, newTokens: N } = shape;
  const ttftSamples = calls.map((c) => c.ttftSeconds);
  const ttft = { ...summarize(ttftSamples), samples: ttftSamples, warmup: warmup.map((c) => c.ttftSeconds) };
  const tpotSamples = N >= 2 ? tpotOfCalls(calls, N) : null;
  const tpot = tpotSamples ? { ...summarize(tpotSamples), samples: tpotSamples, warmup: tpotOfCalls(warmup, N) } : null;
  return {
    ttft,
    tpot,
    itl: N >= 2 ? pooledItl(calls) : null,
    prefillTokensPerSecond: (B * S) / ttft.median,
    decodeTokensPerSecond: N >= 2 ? (B * (N - 1)) / median(calls.map((c) => c.e2eSeconds - c.ttftSeconds)) : null,
  };
}
