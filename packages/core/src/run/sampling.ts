// The sampling policy of one cell, the whole of it: warm-up, the memory-measured call, timed calls until
// minSamples and minTimeS are in (stopping at maxTimeS), more until the median's 95% CI is within targetRelCi,
// and the breakdown call. The backend runs calls in blocks (BackendModel.runCalls; runGenerateCalls for generate
// cells, whose unit of sampling is one generate call) and returns their raw times; every decision between blocks
// is made here.
import type {
  BackendModel,
  CellCallOptions,
  CpuMemoryPeak,
  CudaMemoryPeak,
  GenerateCallOptions,
  GenerateTiming,
  ModuleCost,
  PhaseSamples,
} from '../backend/index.js';
import { generationRelCi } from '../stats/generation.js';
import { summarize } from '../stats/summary.js';

export interface SamplingPolicy {
  /** Untimed calls before anything is measured; then up to 2 × warmup more while the last one was over 10%
   * faster than the one before it (one-time costs still draining). */
  warmup: number;
  /** Timed calls: at least minSamples and minTimeS of them, stopping at maxTimeS (once minSamples are in). */
  minSamples: number;
  minTimeS: number;
  maxTimeS: number;
  /** Then keep sampling (up to maxTimeS) until the 95% CI of the median is within this fraction of it; 0: off.
   * Generate cells: the CIs of the median TTFT and of the median TPOT both (TTFT's alone when newTokens is 1). */
  targetRelCi: number;
  /** false: no timed calls. */
  speed: boolean;
  /** One call with its peak memory measured, after the warm-up. */
  memory: boolean;
  /** One more call at the end, timed and measured module by module (not for generate cells). */
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
  /** Generate cells: every call's TTFT, decode steps and E2E (samplesSeconds and warmupSeconds hold their E2E);
   * null for the other modes. */
  generation: GenerateSamples | null;
}

export interface GenerateSamples {
  /** The timed calls, in the order measured. */
  calls: GenerateTiming[];
  warmup: GenerateTiming[];
  /** The KV cache's bytes as allocated in the memory-measured call; null without one. */
  kvCacheBytes: number | null;
  /** Memory bandwidths (bytes/s) measured between the timed calls (BandwidthProbe), for the TPOT floor; [] when
   * none was asked for or the backend cannot measure it. */
  bandwidthSamples: number[];
}

/** Measures the device's memory bandwidth now (bytes/s), or null when it cannot. */
export type BandwidthProbe = () => Promise<number | null>;

/** A bandwidth sample is taken before the first timed block, then before a block once this many seconds of timed
 * calls have passed since the last, and after the last block: the VM's memory bandwidth drifts by up to 2× over
 * minutes, so a TPOT is only compared with bandwidths measured while its calls ran. */
const BANDWIDTH_EVERY_S = 2;

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

/** Runs warm-up calls (one per block, since whether to go on depends on each) until warmedUp, within
 * [warmup, 3 × warmup] calls; `call` runs one and gives its seconds. */
async function warmUp(policy: SamplingPolicy, call: () => Promise<number>): Promise<number[]> {
  const seconds: number[] = [];
  for (let i = 0; i < policy.warmup; i++) seconds.push(await call());
  for (let extra = 0; extra < 2 * policy.warmup && !warmedUp(seconds); extra++) seconds.push(await call());
  return seconds;
}

/**
 * Timed blocks until minSamples calls and minTimeS seconds are in (stopping at maxTimeS once minSamples are), then
 * more while `relCi(samples)` is above targetRelCi and maxTimeS is not spent; the CI is looked at after each
 * continuation only, not after every block. `block(n)` runs n calls and gives each one's seconds (and keeps
 * whatever else the block measured). Returns every timed call's seconds.
 */
async function timedBlocks(
  policy: SamplingPolicy,
  warmupSeconds: readonly number[],
  block: (calls: number) => Promise<readonly number[]>,
  relCi: (samples: readonly number[]) => number,
): Promise<number[]> {
  const samples: number[] = [];
  let spent = 0;
  const pace = () => {
    const recent = [...warmupSeconds, ...samples].slice(-PACE_WINDOW);
    return recent.length > 0 ? Math.max(...recent) : null;
  };
  // Blocks until `calls` more samples and `seconds` more time are in.
  const sample = async (calls: number, seconds: number) => {
    let taken = 0;
    let time = 0;
    while (taken < calls || time < seconds) {
      const times = await block(blockCalls(calls - taken, seconds - time, pace()));
      samples.push(...times);
      const blockTime = times.reduce((a, b) => a + b, 0);
      taken += times.length;
      time += blockTime;
      spent += blockTime;
    }
  };
  await sample(policy.minSamples, Math.min(policy.minTimeS, policy.maxTimeS));
  while (policy.targetRelCi > 0 && spent < policy.maxTimeS && relCi(samples) > policy.targetRelCi) {
    const left = policy.maxTimeS - spent;
    await sample(1, Math.min(left, Math.max(spent / 4, CONTINUATION_MIN_SECONDS)));
  }
  return samples;
}

function emptySamples(): CellSamples {
  return {
    samplesSeconds: [],
    warmupSeconds: [],
    phasesSeconds: null,
    hostSeconds: null,
    memory: null,
    cudaMemory: null,
    breakdown: null,
    generation: null,
  };
}

export async function sampleCell(
  model: BackendModel,
  call: CellCallOptions,
  policy: SamplingPolicy,
): Promise<CellSamples> {
  const result = emptySamples();
  result.warmupSeconds = await warmUp(policy, async () => (await model.runCalls({ ...call, calls: 1 })).seconds[0]!);

  if (policy.memory) {
    const peaks = await model.measureMemory(call);
    result.memory = peaks.memory;
    result.cudaMemory = peaks.cudaMemory;
  }

  if (policy.speed) {
    result.samplesSeconds = await timedBlocks(
      policy,
      result.warmupSeconds,
      async (calls) => {
        const block = await model.runCalls({ ...call, calls });
        if (block.hostSeconds) (result.hostSeconds ??= []).push(...block.hostSeconds);
        if (block.phasesSeconds) {
          result.phasesSeconds ??= { forward: [], backward: [], optimizer: [] };
          for (const phase of ['forward', 'backward', 'optimizer'] as const) result.phasesSeconds[phase].push(...block.phasesSeconds[phase]);
        }
        return block.seconds;
      },
      (samples) => summarize(samples).relCiHalfWidth,
    );
  }

  if (policy.breakdown) result.breakdown = await model.measureBreakdown(call);
  return result;
}

/** A block's calls must each have generated newTokens tokens: N - 1 decode steps. */
function checkedCalls(calls: GenerateTiming[], newTokens: number): GenerateTiming[] {
  const wrong = calls.find((c) => c.stepSeconds.length !== newTokens - 1);
  if (wrong) {
    const steps = wrong.stepSeconds.length;
    const expected = newTokens - 1;
    throw new Error(`the backend timed ${steps} decode steps of a call of ${newTokens} new tokens, not ${expected}`);
  }
  return calls;
}

/** A generate cell: the same policy with one generate call as the unit (its E2E is the call's seconds), the
 * memory call measuring the KV cache too, and the CI target on TTFT and TPOT (stats/generation.ts). No breakdown. */
export async function sampleGenerateCell(
  model: BackendModel,
  call: GenerateCallOptions,
  policy: SamplingPolicy,
  bandwidthProbe?: BandwidthProbe,
): Promise<CellSamples> {
  const result = emptySamples();
  const generation: GenerateSamples = { calls: [], warmup: [], kvCacheBytes: null, bandwidthSamples: [] };
  const sampleBandwidth = async () => {
    const bytesPerSecond = bandwidthProbe ? await bandwidthProbe() : null;
    if (bytesPerSecond !== null && bytesPerSecond > 0) generation.bandwidthSamples.push(bytesPerSecond);
  };
  result.generation = generation;
  result.warmupSeconds = await warmUp(policy, async () => {
    const [timing] = checkedCalls((await model.runGenerateCalls({ ...call, calls: 1 })).calls, call.newTokens);
    generation.warmup.push(timing!);
    return timing!.e2eSeconds;
  });

  if (policy.memory) {
    const peaks = await model.measureGenerateMemory(call);
    result.memory = peaks.memory;
    result.cudaMemory = peaks.cudaMemory;
    generation.kvCacheBytes = peaks.kvCacheBytes;
  }

  if (policy.speed) {
    let sinceBandwidth = Infinity; // seconds of timed calls since the last bandwidth sample
    result.samplesSeconds = await timedBlocks(
      policy,
      result.warmupSeconds,
      async (calls) => {
        if (sinceBandwidth >= BANDWIDTH_EVERY_S) {
          await sampleBandwidth();
          sinceBandwidth = 0;
        }
        const block = await model.runGenerateCalls({ ...call, calls });
        sinceBandwidth += block.calls.reduce((sum, c) => sum + c.e2eSeconds, 0);
        generation.calls.push(...checkedCalls(block.calls, call.newTokens));
        if (block.hostSeconds) (result.hostSeconds ??= []).push(...block.hostSeconds);
        return block.calls.map((c) => c.e2eSeconds);
      },
      () => generationRelCi(generation.calls, call.newTokens),
    );
    if (bandwidthProbe) await sampleBandwidth();
  }
  return result;
}
