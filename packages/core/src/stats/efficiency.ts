// How much of the device a call used: the matrix-multiply FLOPs it does (models/flops.ts) over its median time,
// and that rate against the device's dense peak (env/peaks.ts) as model FLOPs utilisation (MFU).
import type { Peak } from '../env/peaks.js';

export interface Efficiency {
  /** null: nothing to count (a generate cell of a model that cannot generate). */
  flopsPerCall: number | null;
  /** null: no time was measured. */
  tflopsPerSecond: number | null;
  /** tflopsPerSecond / peakTflops; null where the peak is not known (CPUs, unlisted GPUs) or nothing was timed. */
  mfu: number | null;
  peakTflops: number | null;
  /** Where the peak comes from: tfbench's GPU table or the peakTflops argument. */
  peakSource: string | null;
}

/** Achieved TFLOP/s of the median call, and MFU against the device's dense peak when it is known. */
export function efficiency(flopsPerCall: number | null, medianSeconds: number | null, peak: Peak | null): Efficiency {
  const tflopsPerSecond = medianSeconds && flopsPerCall !== null ? flopsPerCall / medianSeconds / 1e12 : null;
  return {
    flopsPerCall,
    tflopsPerSecond,
    mfu: tflopsPerSecond !== null && peak ? tflopsPerSecond / peak.tflops : null,
    peakTflops: peak?.tflops ?? null,
    peakSource: peak?.source ?? null,
  };
}
