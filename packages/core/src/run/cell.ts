// Measuring one cell in this process: build the model, load weights if any, sample it (sampling.ts).
// Runs inside an isolated child (worker.ts) by default, or in-process with isolate: false.
import type { Backend, BackendRef, DType } from '../backend/index.js';
import { blasThreads } from '../env/threads.js';
import type { ModelSpec } from '../models/index.js';
import type { Cell } from '../report/results.js';
import { sampleCell, sampleGenerateCell, type BandwidthProbe, type CellSamples } from './sampling.js';
import { loadCheckpointWeights } from './weights.js';

/** Everything a child process needs to measure one cell; plain data so it crosses IPC. */
export interface CellJob extends Cell {
  /** The backend to measure with: a worker builds it from this (backend/resolve.ts). */
  backend: BackendRef;
  spec: ModelSpec;
  /** safetensors files to load (checkpoint directories); empty for random weights. */
  weightFiles: string[];
  device: string;
  dtype: DType;
  seed: number;
  /** null: libtorch's default. */
  threads: number | null;
  warmup: number;
  minSamples: number;
  minTimeS: number;
  maxTimeS: number;
  /** Keep sampling (up to maxTimeS) until the 95% CI of the median is within this fraction of it; 0: off. */
  targetRelCi: number;
  /** Training: 'backward', or 'optimizer' for an AdamW step too. */
  trainStep: 'backward' | 'optimizer';
  /** Generate: tokens generated per sequence after the prompt of sequenceLength tokens. */
  newTokens: number;
  speed: boolean;
  memory: boolean;
  /** One more call at the end, timed and measured module by module (inference and training). */
  breakdown: boolean;
}

export interface CellMeasurement extends CellSamples {
  threads: number;
  /** What the BLAS loaded in the measuring process ran one product on (env/threads.ts). */
  blasThreads: number | null;
  buildSeconds: number;
}

/** Batch-1 generate cells have a TPOT floor (run/records.ts): their bandwidth is measured between their calls, with
 * 3 timed copies a sample (a quarter to half a second on a CPU). A failed measurement (no memory left for the
 * copy's buffers, say) leaves a sample out rather than fail the cell. */
function bandwidthProbe(backend: Backend, job: CellJob): BandwidthProbe | undefined {
  if (job.mode !== 'generate' || job.batchSize !== 1) return undefined;
  return async () => {
    try {
      return (await backend.measureMemoryBandwidth(job.device, { repeats: 3 }))?.bytesPerSecond ?? null;
    } catch {
      return null;
    }
  };
}

export async function measureCell(backend: Backend, job: CellJob): Promise<CellMeasurement> {
  if (job.threads !== null) backend.setThreads(job.threads);
  const buildStart = performance.now();
  const model = await backend.buildModel(job.spec, { device: job.device, dtype: job.dtype, seed: job.seed });
  if (job.weightFiles.length > 0) await loadCheckpointWeights(model, job.weightFiles, job.spec.family);
  const buildSeconds = (performance.now() - buildStart) / 1000;
  const { batchSize, sequenceLength, seed, newTokens } = job;
  const result =
    job.mode === 'generate'
      ? await sampleGenerateCell(model, { batchSize, promptLength: sequenceLength, newTokens, seed }, job, bandwidthProbe(backend, job))
      : await sampleCell(model, { mode: job.mode, trainStep: job.trainStep, batchSize, sequenceLength, seed }, job);
  const threads = backend.getThreads();
  return { ...result, threads, blasThreads: blasThreads(backend.blasInfo(), threads), buildSeconds };
}
