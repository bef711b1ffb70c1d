// Measuring one cell in this process: build the model, load weights if any, run the native measurement.
// Runs inside an isolated child (worker.ts) by default, or in-process with isolate: false.
import type { Backend, BackendRef, DType, MeasureResult } from '../backend/index.js';
import { blasThreads } from '../env/threads.js';
import type { ModelSpec } from '../models/index.js';
import { summarize } from '../stats/summary.js';
import type { Cell } from '../report/results.js';
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
  speed: boolean;
  memory: boolean;
  /** One more call at the end, timed and measured module by module. */
  breakdown: boolean;
}

export interface CellMeasurement extends MeasureResult {
  threads: number;
  /** What the BLAS loaded in the measuring process ran one product on (env/threads.ts). */
  blasThreads: number | null;
  buildSeconds: number;
}

export async function measureCell(backend: Backend, job: CellJob): Promise<CellMeasurement> {
  if (job.threads !== null) backend.setThreads(job.threads);
  const buildStart = performance.now();
  const model = await backend.buildModel(job.spec, { device: job.device, dtype: job.dtype, seed: job.seed });
  if (job.weightFiles.length > 0) await loadCheckpointWeights(model, job.weightFiles, job.spec.family);
  const buildSeconds = (performance.now() - buildStart) / 1000;
  const request = {
    mode: job.mode,
    trainStep: job.trainStep,
    batchSize: job.batchSize,
    sequenceLength: job.sequenceLength,
    seed: job.seed,
  };
  // First block: warm-up, the memory call, then samples until minSamples and minTimeS are met.
  const result = await model.measure({
    ...request,
    warmup: job.warmup,
    minSamples: job.minSamples,
    minTimeS: job.minTimeS,
    maxTimeS: job.maxTimeS,
    speed: job.speed,
    memory: job.memory,
  });
  // Then blocks of more samples while the median's confidence interval is wider than asked and time is left.
  // The statistics stay here (TypeScript); each block is one native loop on the same seeded inputs.
  const samples = result.samplesSeconds;
  let spent = samples.reduce((a, b) => a + b, 0);
  while (job.speed && job.targetRelCi > 0 && spent < job.maxTimeS && summarize(samples).relCiHalfWidth > job.targetRelCi) {
    const left = job.maxTimeS - spent;
    const block = await model.measure({
      ...request,
      warmup: 0,
      minSamples: 1,
      minTimeS: Math.min(left, Math.max(spent / 4, 0.05)),
      maxTimeS: left,
      speed: true,
      memory: false,
    });
    samples.push(...block.samplesSeconds);
    if (result.hostSeconds && block.hostSeconds) result.hostSeconds.push(...block.hostSeconds);
    if (result.phasesSeconds && block.phasesSeconds) {
      for (const phase of ['forward', 'backward', 'optimizer'] as const) result.phasesSeconds[phase].push(...block.phasesSeconds[phase]);
    }
    spent += block.samplesSeconds.reduce((a, b) => a + b, 0);
  }
  if (job.breakdown) {
    const modules = await model.measure({ ...request, warmup: 0, minSamples: 1, minTimeS: 0, maxTimeS: 0, speed: false, memory: false, breakdown: true });
    result.breakdown = modules.breakdown;
  }
  const threads = backend.getThreads();
  return { ...result, threads, blasThreads: blasThreads(backend.blasInfo(), threads), buildSeconds };
}
