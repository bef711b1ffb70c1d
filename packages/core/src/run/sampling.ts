// The sampling policy of one cell, the whole of it: warm-up, the memory-measured call, timed calls until
// minSamples and minTimeS are in (stopping at maxTimeS), more until the median's 95% CI is within targetRelCi,
// and the breakdown call. The backend runs calls in blocks (BackendModel.runCalls) and returns their raw
// times; every decision between blocks is made here.
import type { BackendModel, CellCallOptions, CpuMemoryPeak, CudaMemoryPeak, ModuleCost, PhaseSamples } from '../backend/index.js';
import { summarize } from '../stats/summary.js';

export interface SamplingPolicy {
  /** Untimed calls before anything is measured; then up to 2 × warmup more while the last one was over 10%
   * faster than the one before it (one-time costs still draining). */
  warmup: number;
  /** Timed calls: at least minSamples and minTimeS of them, stopping at maxTimeS (once minSamples are in). */
  minSamples: number;
  minTimeS: number;
  maxTimeS: number;
  /** Then keep sampling (up to maxTimeS) until the 95% CI of the median is within this fraction of it; 0: off. */
  targetRelCi: number;
  /** false: no timed calls. */
  speed: boolean;
  /** One call with its peak memory measured, after the warm-up. */
  memory: boolean;
  /** One more call at the end, timed and measured module by module. */
  breakdown: boolean;
}

/** A cell's raw measurements; statistics are computed from them later (stats/). */
export interface CellSamples {
  /** One entry per timed call, seconds (GPU time on CUDA). Empty when speed is false. */
  samplesSeconds: number[];
  warmupSeconds: number[];
  /** Training only: each timed call's forward, backward and optimizer phases. */
  phasesSeconds: PhaseSamples | null;
  /** CUDA only: host wall time of each timed call. */
  hostSeconds: number[] | null;
  memory: CpuMemoryPeak | null;
  cudaMemory: CudaMemoryPeak | null;
  breakdown: ModuleCost[] | null;
}

/** A block stays under this many seconds and calls (at the longest recent call's pace): on CUDA the device
 * synchronises once per block, and the policy looks at the samples between blocks. */
const BLOCK_SECONDS = 0.25;
const BLOCK_CALLS = 64;
/** How many of the latest calls the pace of the next block is judged from (their longest). */
const PACE_WINDOW = 16;
/** A CI continuation adds a quarter of the time spent so far, at least this much, before the CI is looked at
 * again. */
const CONTINUATION_MIN_SECONDS = 0.05;

/** Warm-up is over when the last call was not over 10% faster than the one before it. One-time costs (first-touch
 * page faults, lazily built kernels and caches) only make early calls slower, so a call that is not clearly faster
 * than its predecessor ends the warm-up; a slower one is the machine's noise, and waiting for two calls to agree
 * would chase that noise (on a noisy VM it added up to 4 calls, 31 s at bert-base training seq 128). */
export function warmedUp(warmupSeconds: readonly number[]): boolean {
  const n = warmupSeconds.length;
  if (n < 2) return true;
  const before = warmupSeconds[n - 2]!;
  const last = warmupSeconds[n - 1]!;
  return before - last <= 0.1 * last;
}

/** Calls in the next block: enough for the calls still missing, or as many as fit in the seconds still missing
 * at `pace` (the longest recent call) so that the block does not overshoot them, within the block limits; one
 * call while nothing is known of the pace. */
export function blockCalls(missingCalls: number, missingSeconds: number, pace: number | null): number {
  if (pace === null) return 1;
  const perCall = Math.max(pace, 1e-9);
  const limit = Math.max(1, Math.min(BLOCK_CALLS, Math.floor(BLOCK_SECONDS / perCall)));
  return Math.min(limit, Math.max(1, missingCalls, Math.floor(missingSeconds / perCall)));
}

export async function sampleCell(model: BackendModel, call: CellCallOptions, policy: SamplingPolicy): Promise<CellSamples> {
  const result: CellSamples = {
    samplesSeconds: [],
    warmupSeconds: [],
    phasesSeconds: null,
    hostSeconds: null,
    memory: null,
    cudaMemory: null,
    breakdown: null,
  };
  // Warm-up: one call per block, since whether to go on depends on each call.
  const warmupCall = async () => result.warmupSeconds.push(...(await model.runCalls({ ...call, calls: 1 })).seconds);
  for (let i = 0; i < policy.warmup; i++) await warmupCall();
  for (let extra = 0; extra < 2 * policy.warmup && !warmedUp(result.warmupSeconds); extra++) await warmupCall();

  if (policy.memory) {
    const peaks = await model.measureMemory(call);
    result.memory = peaks.memory;
    result.cudaMemory = peaks.cudaMemory;
  }

  if (policy.speed) {
    const samples = result.samplesSeconds;
    let spent = 0;
    const pace = () => {
      const recent = [...result.warmupSeconds, ...samples].slice(-PACE_WINDOW);
      return recent.length > 0 ? Math.max(...recent) : null;
    };
    // Blocks until `calls` more samples and `seconds` more time are in.
    const sample = async (calls: number, seconds: number) => {
      let taken = 0;
      let time = 0;
      while (taken < calls || time < seconds) {
        const n = blockCalls(calls - taken, seconds - time, pace());
        const block = await model.runCalls({ ...call, calls: n });
        samples.push(...block.seconds);
        if (block.hostSeconds) (result.hostSeconds ??= []).push(...block.hostSeconds);
        if (block.phasesSeconds) {
          result.phasesSeconds ??= { forward: [], backward: [], optimizer: [] };
          for (const phase of ['forward', 'backward', 'optimizer'] as const) result.phasesSeconds[phase].push(...block.phasesSeconds[phase]);
        }
        const blockTime = block.seconds.reduce((a, b) => a + b, 0);
        taken += block.seconds.length;
        time += blockTime;
        spent += blockTime;
      }
    };
    await sample(policy.minSamples, Math.min(policy.minTimeS, policy.maxTimeS));
    // More while the median's CI is wider than asked and time is left; the CI is looked at after each
    // continuation only, not after every block.
    while (policy.targetRelCi > 0 && spent < policy.maxTimeS && summarize(samples).relCiHalfWidth > policy.targetRelCi) {
      const left = policy.maxTimeS - spent;
      await sample(1, Math.min(left, Math.max(spent / 4, CONTINUATION_MIN_SECONDS)));
    }
  }

  if (policy.breakdown) result.breakdown = await model.measureBreakdown(call);
  return result;
}
