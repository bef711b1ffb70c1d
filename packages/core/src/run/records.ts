// Building a cell's record (report/results.ts) from what happened to it: a measurement, a failure, or a skip
// after a smaller cell ran out of memory. Statistics, warnings and efficiency come from stats/.
import type { PhaseSamples } from '../backend/index.js';
import type { Peak } from '../env/peaks.js';
import { callFlops } from '../models/flops.js';
import type { ResolvedModel } from '../models/index.js';
import type { Cell, CellRecord, CellStatus } from '../report/results.js';
import { efficiency } from '../stats/efficiency.js';
import { median, summarize } from '../stats/summary.js';
import { timeWarnings } from '../stats/warnings.js';
import type { CellJob, CellMeasurement } from './cell.js';
import type { CellOutcome } from './isolate.js';

/** A record with no measurement: a failed or skipped cell (what every record has, nothing measured). */
export function unmeasuredRecord(cell: Cell, job: CellJob, model: ResolvedModel, status: CellStatus, error: CellRecord['error']): CellRecord {
  return {
    ...cell,
    status,
    error,
    device: job.device,
    dtype: job.dtype,
    threads: job.threads,
    blasThreads: null,
    parameterCount: cell.mode === 'training' ? model.trainParameterCount : model.parameterCount,
    timeSeconds: null,
    phasesSeconds: null,
    throughput: null,
    memory: null,
    gpuMemory: null,
    hostSeconds: null,
    generation: null,
    breakdown: null,
    buildSeconds: null,
    efficiency: efficiency(callFlops(job.spec, { ...cell, trainStep: job.trainStep }), null, null),
    warnings: [],
  };
}

/** The record of a cell that ran: its figures when measured, else its failure. `peak`: the device's, for MFU. */
export function recordFromOutcome(
  cell: Cell,
  job: CellJob,
  model: ResolvedModel,
  outcome: CellOutcome,
  targetRelCi: number,
  peak: Peak | null,
): CellRecord {
  if (!outcome.ok) return unmeasuredRecord(cell, job, model, outcome.status, outcome.error);
  const m: CellMeasurement = outcome.measurement;
  const base = unmeasuredRecord(cell, job, model, 'ok', null);
  const summary = m.samplesSeconds.length > 0 ? summarize(m.samplesSeconds) : null;
  const time = summary ? { ...summary, samples: m.samplesSeconds, warmup: m.warmupSeconds } : null;
  return {
    ...base,
    threads: m.threads,
    blasThreads: m.blasThreads,
    timeSeconds: time,
    phasesSeconds: m.phasesSeconds ? phaseRecords(m.phasesSeconds) : null,
    throughput: time
      ? { samplesPerSecond: cell.batchSize / time.median, tokensPerSecond: (cell.batchSize * cell.sequenceLength) / time.median }
      : null,
    memory: m.memory
      ? { rssPeakBytes: m.memory.rssPeakBytes, rssBeforeBytes: m.memory.rssBeforeBytes, rssIncreaseBytes: m.memory.rssPeakBytes - m.memory.rssBeforeBytes }
      : null,
    gpuMemory: m.cudaMemory
      ? { ...m.cudaMemory, allocatedIncreaseBytes: m.cudaMemory.peakAllocatedBytes - m.cudaMemory.allocatedBeforeBytes }
      : null,
    hostSeconds: m.hostSeconds && m.hostSeconds.length > 0 ? { median: median(m.hostSeconds), samples: m.hostSeconds } : null,
    breakdown: m.breakdown ? m.breakdown.map((c) => ({ ...c, increaseBytes: c.peakBytes - c.beforeBytes })) : null,
    buildSeconds: m.buildSeconds,
    efficiency: efficiency(base.efficiency.flopsPerCall, time?.median ?? null, peak),
    warnings: time ? timeWarnings(time, targetRelCi) : [],
  };
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
