// Measuring one cell in this process: build the model, load weights if any, run the native measurement.
// Runs inside an isolated child (worker.ts) by default, or in-process with isolate: false.
import type { Backend, DType, MeasureResult } from '../backend/index.js';
import type { ModelSpec } from '../models/index.js';
import type { Cell } from './records.js';
import { loadCheckpointWeights } from './weights.js';

/** Everything a child process needs to measure one cell; plain data so it crosses IPC. */
export interface CellJob extends Cell {
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
  speed: boolean;
  memory: boolean;
}

export interface CellMeasurement extends MeasureResult {
  threads: number;
  buildSeconds: number;
}

export async function measureCell(backend: Backend, job: CellJob): Promise<CellMeasurement> {
  if (job.threads !== null) backend.setThreads(job.threads);
  const buildStart = performance.now();
  const model = await backend.buildModel(job.spec, { device: job.device, dtype: job.dtype, seed: job.seed });
  if (job.weightFiles.length > 0) await loadCheckpointWeights(model, job.weightFiles, job.spec.family);
  const buildSeconds = (performance.now() - buildStart) / 1000;
  const result = await model.measure({
    mode: job.mode,
    batchSize: job.batchSize,
    sequenceLength: job.sequenceLength,
    warmup: job.warmup,
    minSamples: job.minSamples,
    minTimeS: job.minTimeS,
    maxTimeS: job.maxTimeS,
    speed: job.speed,
    memory: job.memory,
    seed: job.seed,
  });
  return { ...result, threads: backend.getThreads(), buildSeconds };
}
