// benchmark(args): validate everything up front, plan the grid, measure each cell (in a fresh child process
// by default), and return typed results. A failed cell becomes a record with its status; the sweep goes on.
// The results so far go to the sink (the files the args name: report/files.ts) after every cell.
import { parseArgs, parseShard, type BenchmarkArgs } from '../args/index.js';
import type { Backend, DType } from '../backend/index.js';
import { canBuildInWorker, frameworkBackend, notIsolatableError } from '../backend/resolve.js';
import { collectEnvironment } from '../env/index.js';
import { chooseThreads, resumedChoice, threadWarnings, type ProbeTarget } from '../env/threads.js';
import { devicePeak } from '../env/peaks.js';
import { ArgsError, TfbenchError, type Problem } from '../errors.js';
import { generationProblem } from '../models/generation.js';
import { AUTO_DTYPE, checkModelsFit, memoryCapacity, resolveModelsOnline, runDtype, type HubOptions, type ResolvedModel } from '../models/index.js';
import { cellName, RESULTS_SCHEMA_VERSION, type BenchmarkResults, type Cell, type CellRecord, type ResultsSink } from '../report/results.js';
import { TOOL_VERSION } from '../version.js';
import { measureCell, type CellJob } from './cell.js';
import { classifyFailure, describeError, probeThreadsIsolated, runIsolated, type CellOutcome } from './isolate.js';
import { dominatingOom, planCells, shardCells } from './plan.js';
import { cannotGenerateRecord, recordFromOutcome, skippedRecord } from './records.js';
import { keptRecords, readResumeFile } from './resume.js';

export type ProgressEvent =
  /** The cells this run will measure: the whole plan, or this shard's share of it, less the cells kept from
   * the resumed file (`resumed`: its path and how many of its records are kept; null without resume). */
  | { type: 'plan'; cells: Cell[]; resumed: { path: string; kept: number } | null }
  /** Said once, before any cell runs, about every cell (a slow BLAS, stacked thread pools); the records keep it too. */
  | { type: 'warning'; message: string }
  /** About an argument accepted without effect (Hugging Face's eager_mode), said before anything runs. */
  | { type: 'note'; message: string }
  | { type: 'cell-start'; index: number; total: number; cell: Cell }
  | { type: 'cell-end'; index: number; total: number; record: CellRecord };

export interface BenchmarkOptions {
  /** Values that override `input`'s keys (CLI flags), camelCase; problems in them are reported as --flag. */
  overrides?: Record<string, unknown>;
  onProgress?: (event: ProgressEvent) => void;
  /** Aborting stops the running cell and returns what was measured so far (interrupted: true). */
  signal?: AbortSignal;
  /** Directory that relative model paths are resolved against (default: the current directory). */
  baseDir?: string;
  /** Hugging Face ids: the environment (HF_HUB_CACHE, HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE; default process.env),
   * the timeout and retries of a download. */
  hub?: HubOptions;
  /** Defaults to the built-in backend of args' framework (libtorch, or TensorFlow.js with its tfjsBackend); a backend
   * given here is used whatever args' framework says. Isolated cells (and the thread probe) run in worker processes that build
   * the same backend from its `ref`, so a backend that is not built in must name a module there. */
  backend?: Backend;
  /** Receives the results after every cell and at the end. */
  sink?: ResultsSink;
}

/** 'auto' → the first CUDA device when there is one, else CPU; 'cuda' without a GPU is an error. */
export function resolveDevice(requested: string, backend: Backend): string {
  const gpus = backend.cudaDeviceCount();
  if (requested === 'auto') return gpus > 0 ? 'cuda:0' : 'cpu';
  if (requested === 'cpu') return 'cpu';
  const noCuda = backend.limits?.cuda;
  if (noCuda !== undefined) {
    throw new TfbenchError(`device "${requested}" was asked for: ${noCuda}`, { code: 'NO_CUDA', hint: 'Run with --device cpu, or with --framework libtorch on a CUDA libtorch.' });
  }
  const index = requested === 'cuda' ? 0 : Number(requested.slice('cuda:'.length));
  if (gpus === 0) {
    throw new TfbenchError(`device "${requested}" was asked for, but no CUDA device is available to libtorch`, { code: 'NO_CUDA', hint: 'Run with --device cpu, or build tfbench against a CUDA libtorch (LIBTORCH or a python3 torch with CUDA) on a GPU host.' });
  }
  if (index >= gpus) {
    throw new TfbenchError(`device "${requested}" does not exist: ${gpus} CUDA device(s) visible`, { code: 'NO_CUDA', hint: 'Pick cuda:0 … cuda:' + (gpus - 1) + '.' });
  }
  return `cuda:${index}`;
}

/** Valid arguments this run cannot honour in `dtype` (args' dtype, or what "auto" read from the configs) with this
 * backend (its limits, the specs it cannot build): said up front rather than ignored, nothing half-run. */
function unsupportedProblems(args: BenchmarkArgs, device: string, dtype: DType, backend: Backend, models: readonly ResolvedModel[]): Problem[] {
  const problems: Problem[] = [];
  const limits = backend.limits ?? {};
  const auto = (d: string) => (args.dtype === AUTO_DTYPE ? `${d} (what "auto" reads from the models' torch_dtype)` : d);
  if (limits.dtypes && !limits.dtypes.supported.includes(dtype)) {
    problems.push({ path: 'dtype', message: `${auto(dtype)}: ${limits.dtypes.reason}` });
  } else if (device === 'cpu' && dtype === 'float16') {
    problems.push({ path: 'dtype', message: `${auto('float16')} cannot run on the CPU with this libtorch (no half-precision matmul); use "bfloat16" or "float32", or a CUDA device` });
  }
  if (limits.optimizer && args.training && args.trainStep === 'optimizer') problems.push({ path: 'trainStep', message: `"optimizer": ${limits.optimizer}` });
  if (limits.breakdown && args.breakdown) problems.push({ path: 'breakdown', message: limits.breakdown });
  if (limits.threads && args.threads !== null && args.threads !== backend.getThreads()) {
    problems.push({ path: 'threads', message: `${args.threads}: ${limits.threads} (${backend.getThreads()})` });
  }
  models.forEach((m, i) => {
    // Inference builds the config's class, training and generation the LM head: both are asked about.
    const problem = backend.specProblem?.(m.spec) ?? backend.specProblem?.(m.trainSpec) ?? null;
    if (problem !== null) problems.push({ path: `models[${i}]`, message: `${m.name}: ${problem}` });
  });
  return problems;
}

/** The thread probe's worker is stopped past this (building one layer and a few seconds of calls). */
const PROBE_TIMEOUT_S = 120;

/** What the thread probe runs: the first cell's model (inference build) at the sweep's smallest and largest
 * batch × sequence; null when there is no cell. */
function probeTarget(cells: readonly Cell[], byName: ReadonlyMap<string, ResolvedModel>, dtype: DType): ProbeTarget | null {
  if (cells.length === 0) return null;
  const model = byName.get(cells[0]!.model)!;
  const size = (c: Cell) => c.batchSize * c.sequenceLength;
  const ofModel = cells.filter((c) => c.model === model.name);
  const smallest = ofModel.reduce((a, b) => (size(b) < size(a) ? b : a));
  const largest = ofModel.reduce((a, b) => (size(b) > size(a) ? b : a));
  const shapes = [smallest, largest].map((c) => ({ batchSize: c.batchSize, sequenceLength: c.sequenceLength }));
  return { model: model.name, spec: model.spec, dtype, shapes: size(smallest) === size(largest) ? shapes.slice(0, 1) : shapes };
}

async function measureInProcess(backend: Backend, job: CellJob): Promise<CellOutcome> {
  try {
    return { ok: true, measurement: await measureCell(backend, job) };
  } catch (err) {
    return classifyFailure(describeError(err));
  }
}

export async function benchmark(input: unknown, options: BenchmarkOptions = {}): Promise<BenchmarkResults> {
  const startedAt = new Date().toISOString();
  const parsed = parseArgs(input, options.overrides);
  if (!parsed.ok) throw new ArgsError(parsed.problems);
  const args = parsed.args;
  for (const note of parsed.notes) options.onProgress?.({ type: 'note', message: `${note.path}: ${note.message}` });
  // Every model is resolved before anything runs: a bad model is exit 2, nothing half-run. A Hugging Face id's
  // config.json comes from the local cache, downloaded from the Hub first when the cache lacks it.
  const models = await resolveModelsOnline(args, { ...options.hub, baseDir: options.baseDir ?? process.cwd() });
  // The dtype every model is built in: args' own, or the one "auto" reads from every config. The args (and so the
  // results' args) keep "auto"; the environment and each record carry this.
  const dtype = runDtype(args, models);

  const backend = options.backend ?? (await frameworkBackend(args.framework, args.tfjsBackend));
  if (args.isolate && !canBuildInWorker(backend.ref)) throw notIsolatableError(backend.ref);
  const device = resolveDevice(args.device, backend);
  checkModelsFit(models, { ...args, dtype }, memoryCapacity(device, () => backend.gpuInfo())); // parameters past RAM or GPU memory: exit 2
  const problems = unsupportedProblems(args, device, dtype, backend, models);
  if (problems.length > 0) throw new ArgsError(problems);
  const resume = readResumeFile(args);
  await options.sink?.open?.(args);

  const byName = new Map(models.map((m) => [m.name, m]));
  // parseArgs has checked the shard's form, so parseShard cannot fail here.
  const shard = args.shard === null ? null : parseShard(args.shard)!;
  const wholePlan = planCells({ ...args, models: models.map((m) => m.name) });
  const planned = shardCells(wholePlan, shard, args.newTokens);

  // The thread count follows the BLAS actually loaded, and on the CPU a short probe on the first model when no
  // rule can know (env/threads.ts); every child is passed it explicitly, so all use, and record, the same. The
  // probe's shapes come from the whole plan, so that every shard of a sweep probes the same ones.
  const blas = backend.blasInfo();
  const threadChoice =
    resume && args.threads === null
      ? resumedChoice(resume.previous.environment, resume.path)
      : await chooseThreads(
          backend,
          { pinned: args.threads, device, blas, backendDefault: backend.getThreads(), fixed: backend.limits?.threads },
          probeTarget(wholePlan, byName, dtype),
          // Isolated cells: the probe runs in a worker as they do; else here, where they run.
          args.isolate ? (candidates, target) => probeThreadsIsolated(backend.ref, candidates, target, { timeoutS: PROBE_TIMEOUT_S, signal: options.signal }) : undefined,
        );
  const threads = threadChoice.threads;
  const environment = await collectEnvironment(backend, {
    device,
    dtype,
    isolate: args.isolate,
    onlyPretrainModel: args.onlyPretrainModel,
    blas,
    threads: threadChoice,
  });
  const peak = devicePeak(device, environment.gpus[0]?.name, dtype, args.peakTflops);
  const cpuWarnings = device === 'cpu' ? threadWarnings(blas, threadChoice) : [];
  for (const message of cpuWarnings) options.onProgress?.({ type: 'warning', message });

  const tool = { name: 'tfbench' as const, version: TOOL_VERSION };
  // Resuming: the records the file keeps stand for their cells; the rest are measured.
  const kept = resume ? keptRecords(resume.previous, resume.path, { tool, args, environment }, planned) : new Map<string, CellRecord>();
  const cells = planned.filter((cell) => !kept.has(cellName(cell)));
  options.onProgress?.({ type: 'plan', cells, resumed: resume ? { path: resume.path, kept: kept.size } : null });

  const measured = new Map<string, CellRecord>();
  const ooms: Cell[] = [...kept.values()].filter((r) => r.status === 'oom');
  /** The results so far: kept and new records in the plan's order. */
  const snapshot = (): BenchmarkResults => {
    const records = planned.flatMap((cell) => kept.get(cellName(cell)) ?? measured.get(cellName(cell)) ?? []);
    return {
      schemaVersion: RESULTS_SCHEMA_VERSION,
      tool,
      startedAt: resume?.previous.startedAt ?? startedAt,
      finishedAt: new Date().toISOString(),
      interrupted: records.length < planned.length,
      args,
      shard: shard === null ? null : { count: shard.count, indices: [shard.index] },
      environment,
      records,
    };
  };
  const finish = async (record: CellRecord, index: number) => {
    measured.set(cellName(record), record);
    await options.sink?.write(snapshot());
    options.onProgress?.({ type: 'cell-end', index, total: cells.length, record });
  };
  for (const [index, cell] of cells.entries()) {
    if (options.signal?.aborted) break;
    const model = byName.get(cell.model)!;
    const job: CellJob = {
      ...cell,
      backend: backend.ref,
      // Training and generation need the LM head: trainSpec has it even for a base-model config.
      spec: cell.mode === 'inference' ? model.spec : model.trainSpec,
      weightFiles: model.weightFiles,
      device,
      dtype,
      seed: args.seed,
      threads,
      warmup: args.warmup,
      minSamples: args.minSamples,
      minTimeS: args.minTimeS,
      maxTimeS: args.maxTimeS,
      targetRelCi: args.targetRelCi,
      trainStep: args.trainStep,
      newTokens: args.newTokens,
      speed: args.speed,
      memory: args.memory,
      breakdown: args.breakdown,
    };
    options.onProgress?.({ type: 'cell-start', index, total: cells.length, cell });
    // A generate cell the model cannot run (encoder-only, past its positions) is known from the spec: not run.
    const shape = { batchSize: cell.batchSize, promptLength: cell.sequenceLength, newTokens: args.newTokens };
    const cannot = cell.mode === 'generate' ? (backend.limits?.generate ?? generationProblem(job.spec, shape)) : null;
    if (cannot !== null) {
      await finish(cannotGenerateRecord(cell, job, model, cannot), index);
      continue;
    }
    const oomBefore = args.skipAfterOom ? dominatingOom(cell, ooms) : undefined;
    if (oomBefore) {
      await finish(skippedRecord(cell, job, model, oomBefore), index);
      continue;
    }
    const outcome = args.isolate
      ? await runIsolated(job, { timeoutS: args.cellTimeoutS, signal: options.signal })
      : await measureInProcess(backend, job);
    if (options.signal?.aborted) break; // the interrupted cell has no result worth keeping
    const context = { targetRelCi: args.targetRelCi, peak, memoryBandwidth: environment.memoryBandwidth };
    const fromOutcome = recordFromOutcome(cell, job, model, outcome, context);
    const record = fromOutcome.status === 'ok' ? { ...fromOutcome, warnings: [...cpuWarnings, ...fromOutcome.warnings] } : fromOutcome;
    if (record.status === 'oom') ooms.push(cell);
    await finish(record, index);
  }

  const results = snapshot();
  await options.sink?.write(results);
  return results;
}
