// Building a cell's record (report/results.ts) from what happened to it: a measurement, a failure, or a skip
// after a smaller cell ran out of memory. Statistics, warnings and efficiency come from stats/.
import type { CpuMemoryPeak, PhaseSamples } from '../backend/index.js';
import type { EnvironmentInfo } from '../env/index.js';
import type { Peak } from '../env/peaks.js';
import { DTYPE_BYTES } from '../models/fits.js';
import { callFlops } from '../models/flops.js';
import {
  decodeContextStart,
  decodeStepWeightBytes,
  kvCacheFormulaBytes,
  type GenerationShape,
} from '../models/generation.js';
import type { ResolvedModel } from '../models/index.js';
import type { Cell, CellRecord, CellStatus, CpuMemoryRecord, GenerationRecord, TimeRecord } from '../report/results.js';
import { efficiency } from '../stats/efficiency.js';
import { generationFigures } from '../stats/generation.js';
import { median, summarize } from '../stats/summary.js';
import { timeWarnings } from '../stats/warnings.js';
import type { CellJob, CellMeasurement } from './cell.js';
import type { CellOutcome } from './isolate.js';
import type { GenerateSamples } from './sampling.js';

/** What a record needs to know of the run besides its cell: the CI target (for warnings), the device's peak (for
 * MFU), its measured memory bandwidth (for generation's TPOT floor). */
export interface RecordContext {
  targetRelCi: number;
  peak: Peak | null;
  memoryBandwidth: EnvironmentInfo['memoryBandwidth'];
}

/** A record with no measurement: a failed or skipped cell (what every record has, nothing measured). */
export function unmeasuredRecord(cell: Cell, job: CellJob, model: ResolvedModel, status: CellStatus, error: CellRecord['error']): CellRecord {
  const flops = callFlops(job.spec, { ...cell, trainStep: job.trainStep, newTokens: job.newTokens });
  return {
    ...cell,
    status,
    error,
    device: job.device,
    dtype: job.dtype,
    threads: job.threads,
    blasThreads: null,
    // Training and generation build the model with its LM head (trainSpec).
    parameterCount: cell.mode === 'inference' ? model.parameterCount : model.trainParameterCount,
    hub: model.hub ?? null,
    timeSeconds: null,
    phasesSeconds: null,
    throughput: null,
    memory: null,
    gpuMemory: null,
    hostSeconds: null,
    generation: null,
    breakdown: null,
    buildSeconds: null,
    efficiency: efficiency(flops, null, null),
    warnings: [],
  };
}

/** The record of a cell that ran: its figures when measured, else its failure. `peak`: the device's, for MFU. */
export function recordFromOutcome(
  cell: Cell,
  job: CellJob,
  model: ResolvedModel,
  outcome: CellOutcome,
  context: RecordContext,
): CellRecord {
  if (!outcome.ok) return unmeasuredRecord(cell, job, model, outcome.status, outcome.error);
  const m: CellMeasurement = outcome.measurement;
  const base = unmeasuredRecord(cell, job, model, 'ok', null);
  const summary = m.samplesSeconds.length > 0 ? summarize(m.samplesSeconds) : null;
  const time = summary ? { ...summary, samples: m.samplesSeconds, warmup: m.warmupSeconds } : null;
  const generation = m.generation ? generationRecord(cell, job, base.parameterCount, m.generation, context) : null;
  return {
    ...base,
    threads: m.threads,
    blasThreads: m.blasThreads,
    timeSeconds: time,
    phasesSeconds: m.phasesSeconds ? phaseRecords(m.phasesSeconds) : null,
    throughput: time && !generation ? throughput(cell, time.median) : null,
    memory: m.memory ? cpuMemoryRecord(m.memory) : null,
    gpuMemory: m.cudaMemory
      ? { ...m.cudaMemory, allocatedIncreaseBytes: m.cudaMemory.peakAllocatedBytes - m.cudaMemory.allocatedBeforeBytes }
      : null,
    hostSeconds: m.hostSeconds && m.hostSeconds.length > 0 ? { median: median(m.hostSeconds), samples: m.hostSeconds } : null,
    generation,
    breakdown: m.breakdown ? m.breakdown.map((c) => ({ ...c, increaseBytes: c.peakBytes - c.beforeBytes })) : null,
    buildSeconds: m.buildSeconds,
    efficiency: efficiency(base.efficiency.flopsPerCall, time?.median ?? null, context.peak),
    warnings: generation
      ? generationWarnings(generation, context.targetRelCi)
      : time
        ? timeWarnings(time, context.targetRelCi)
        : [],
  };
}

/** The CPU memory record: RSS figures always, tensor figures where the backend counts its tensors' bytes. */
function cpuMemoryRecord(m: CpuMemoryPeak): CpuMemoryRecord {
  const tensors = m.tensorPeakBytes !== undefined && m.tensorBeforeBytes !== undefined;
  return {
    rssPeakBytes: m.rssPeakBytes,
    rssBeforeBytes: m.rssBeforeBytes,
    rssIncreaseBytes: m.rssPeakBytes - m.rssBeforeBytes,
    tensorPeakBytes: tensors ? m.tensorPeakBytes! : null,
    tensorBeforeBytes: tensors ? m.tensorBeforeBytes! : null,
    tensorIncreaseBytes: tensors ? m.tensorPeakBytes! - m.tensorBeforeBytes! : null,
  };
}

/** Sequences and tokens per second of a call of `seconds`. */
function throughput(cell: Cell, seconds: number): CellRecord['throughput'] {
  const tokensPerSecond = (cell.batchSize * cell.sequenceLength) / seconds;
  return { samplesPerSecond: cell.batchSize / seconds, tokensPerSecond };
}

/** A generate cell's figures (stats/generation.ts), its trace, its weights and KV cache, and its TPOT floor. */
function generationRecord(
  cell: Cell,
  job: CellJob,
  parameterCount: number,
  g: GenerateSamples,
  context: RecordContext,
): GenerationRecord {
  const shape: GenerationShape = {
    batchSize: cell.batchSize,
    promptLength: cell.sequenceLength,
    newTokens: job.newTokens,
  };
  const bytes = DTYPE_BYTES[job.dtype];
  const figures = g.calls.length > 0 ? generationFigures(g.calls, g.warmup, shape) : null;
  const tpot = figures?.tpot ?? null;
  // The bandwidth measured while this cell's calls ran, else the run start's.
  const bandwidthSamples = g.bandwidthSamples ?? [];
  const bandwidthSource = bandwidthSamples.length > 0 ? 'cell' : 'run-start';
  const bandwidthBytesPerSecond =
    bandwidthSamples.length > 0 ? median(bandwidthSamples) : context.memoryBandwidth?.bytesPerSecond;
  let bandwidthFloor: GenerationRecord['bandwidthFloor'] = null;
  if (tpot && bandwidthBytesPerSecond !== undefined && bandwidthBytesPerSecond > 0 && cell.batchSize === 1) {
    const decodeWeightBytes = decodeStepWeightBytes(job.spec, bytes);
    const tpotFloorSeconds = decodeWeightBytes / bandwidthBytesPerSecond;
    const tpotOverFloor = tpot.median / tpotFloorSeconds;
    bandwidthFloor = {
      decodeWeightBytes,
      bandwidthBytesPerSecond,
      bandwidthSource,
      bandwidthSamples,
      tpotFloorSeconds,
      tpotOverFloor,
    };
  }
  return {
    newTokens: job.newTokens,
    ttftSeconds: figures?.ttft ?? null,
    tpotSeconds: tpot,
    itlSeconds: figures?.itl ?? null,
    prefillTokensPerSecond: figures?.prefillTokensPerSecond ?? null,
    decodeTokensPerSecond: figures?.decodeTokensPerSecond ?? null,
    trace: { contextStart: decodeContextStart(job.spec, shape), stepSeconds: g.calls.map((c) => c.stepSeconds) },
    weightBytes: parameterCount * bytes,
    kvCache: { formulaBytes: kvCacheFormulaBytes(job.spec, shape, bytes), allocatedBytes: g.kvCacheBytes },
    bandwidthFloor,
  };
}

/** timeWarnings of TTFT and TPOT, each said with the figure it is about. */
function generationWarnings(g: GenerationRecord, targetRelCi: number): string[] {
  const named = (name: string, time: TimeRecord | null) =>
    time ? timeWarnings(time, targetRelCi).map((w) => `${name}: ${w}`) : [];
  return [...named('TTFT', g.ttftSeconds), ...named('TPOT', g.tpotSeconds)];
}

function phaseRecords(p: PhaseSamples): NonNullable<CellRecord['phasesSeconds']> {
  const phase = (samples: number[]) => ({ median: median(samples), samples });
  return { forward: phase(p.forward), backward: phase(p.backward), optimizer: p.optimizer.length > 0 ? phase(p.optimizer) : null };
}

/** A record for a cell not run because a smaller cell of the same model and mode (`after`) ran out of memory. */
export function skippedRecord(cell: Cell, job: CellJob, model: ResolvedModel, after: Cell): CellRecord {
  const reason = `skipped: ${after.model} ran out of memory in ${after.mode} at batch ${after.batchSize}, sequence ${after.sequenceLength} (set skipAfterOom: false to try anyway)`;
  return { ...unmeasuredRecord(cell, job, model, 'skipped', { code: 'SKIPPED_AFTER_OOM', message: reason }), warnings: [reason] };
}

/** A record for a generate cell the model cannot run (generationProblem: an encoder-only model, a prompt and new
 * tokens past its positions): skipped, with the reason. */
export function cannotGenerateRecord(cell: Cell, job: CellJob, model: ResolvedModel, reason: string): CellRecord {
  const message = `skipped: ${cell.model} cannot generate: ${reason}`;
  const record = unmeasuredRecord(cell, job, model, 'skipped', { code: 'CANNOT_GENERATE', message });
  return { ...record, warnings: [message] };
}
