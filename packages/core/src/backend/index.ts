// The Backend seam: everything core needs from a numeric framework, and nothing else.
// The libtorch addon (@tfbench/native) is the first backend, TensorFlow.js (tfjs/) the second; only this folder
// imports a framework.
import {
  loadBinding,
  type BlasInfo,
  type BuildOptions,
  type CallTimes,
  type CellCallOptions,
  type CpuMemoryPeak,
  type CudaMemoryPeak,
  type DType,
  type GenerateCallOptions,
  type GenerateCallsOptions,
  type GenerateMemory,
  type GenerateTimes,
  type GenerateTiming,
  type GpuReport,
  type GreedyOutput,
  type HostTensor,
  type MemoryBandwidth,
  type MemoryPeaks,
  type ModuleCost,
  type NativeModel,
  type PhaseSamples,
  type RunCallsOptions,
  type RunOptions,
  type WeightEntry,
} from '@tfbench/native';
import type { ModelSpec } from '../models/families/index.js';

export type {
  BlasInfo,
  BuildOptions,
  CallTimes,
  CellCallOptions,
  CpuMemoryPeak,
  CudaMemoryPeak,
  DType,
  GenerateCallOptions,
  GenerateCallsOptions,
  GenerateMemory,
  GenerateTimes,
  GenerateTiming,
  GpuReport,
  GreedyOutput,
  HostTensor,
  MemoryBandwidth,
  MemoryPeaks,
  ModuleCost,
  PhaseSamples,
  RunCallsOptions,
  RunOptions,
  WeightEntry,
};
/** A built model: forward and check runs, a cell's measurement blocks (runCalls, measureMemory,
 * measureBreakdown; runGenerateCalls, measureGenerateMemory), whose policy is run/sampling.ts's, and greedy
 * decoding (generate). */
export type BackendModel = NativeModel;

export interface BackendInfo {
  /** e.g. 'libtorch', 'tfjs' */
  framework: string;
  frameworkVersion: string;
  /** libtorch: how the framework was found at build time (LIBTORCH, python3 torch, system); tfjs: the TensorFlow.js
   * backend that runs the kernels and its package. */
  frameworkSource: string;
  addonVersion: string;
  /** The framework's own account of its threading (OpenMP/MKL). */
  parallelInfo: string;
}

/**
 * Names a backend so that a worker process can build the same one; plain data, as it travels in a cell job.
 * The built-in libtorch backend is `{ id: 'libtorch' }` (LIBTORCH_BACKEND). Any other backend names `module`,
 * a specifier the worker imports (a file: URL or a package name) whose export `createBackend(options)` returns
 * the backend (or a promise of it), `options` being plain data; without `module` it runs in-process only
 * (isolate: false).
 */
export interface BackendRef {
  id: string;
  module?: string;
  options?: unknown;
}

/** What a backend module named by BackendRef.module exports. */
export type BackendFactory = (options: unknown) => Backend | Promise<Backend>;

export const LIBTORCH_BACKEND: BackendRef = { id: 'libtorch' };

/** The built-in TensorFlow.js backend's id; its ref's options are TfjsOptions (tfjs/index.ts), e.g.
 * `{ id: 'tfjs', options: { backend: 'wasm' } }`. */
export const TFJS_BACKEND_ID = 'tfjs';

/** What a backend cannot do, each with the reason told to the user; a field left out: it can, as libtorch can.
 * benchmark() refuses arguments that need what a backend lacks before anything runs (exit 2), and skips the
 * generate cells of a backend that cannot generate. */
export interface BackendLimits {
  /** Why it does not generate: its generate cells are skipped with this. */
  generate?: string;
  /** Why it has no per-module breakdown. */
  breakdown?: string;
  /** Why it has no optimizer step (trainStep "optimizer"). */
  optimizer?: string;
  /** Why it has no CUDA devices. */
  cuda?: string;
  /** The only dtypes it computes in, and why. */
  dtypes?: { supported: readonly DType[]; reason: string };
  /** Why it runs a fixed number of threads (getThreads()); setThreads takes only that number. */
  threads?: string;
}

/** Every dtype a model can be built in (args' dtype, check's --dtype, a fixture's __metadata__ dtype). */
export const DTYPES: readonly DType[] = ['float32', 'float16', 'bfloat16'];

export interface Backend {
  /** How a worker process builds this backend: cells run isolated with the backend the sweep was given. */
  readonly ref: BackendRef;
  /** What it cannot do; absent: nothing that libtorch can. */
  readonly limits?: BackendLimits;
  info(): BackendInfo;
  cudaDeviceCount(): number;
  /** CUDA devices and versions, and what NVML says of the GPUs (for the environment block). */
  gpuInfo(): GpuReport;
  /** The BLAS this process has loaded and how it runs its threads (for the thread default and the records). */
  blasInfo(): BlasInfo;
  getThreads(): number;
  setThreads(threads: number): void;
  buildModel(spec: ModelSpec, options: BuildOptions): Promise<BackendModel>;
  /** Why it cannot build `spec` (a family or config value it does not implement), or null; absent: it builds every
   * spec core makes. Asked before anything runs. */
  specProblem?(spec: ModelSpec): string | null;
  /** The device's memory bandwidth from a large copy, the median of `repeats` timed copies (default 9), for
   * `tfbench env` and generation's TPOT floor; null when the backend cannot measure it. */
  measureMemoryBandwidth(device: string, options?: { repeats?: number }): Promise<MemoryBandwidth | null>;
}

let libtorch: Backend | undefined;

/** The libtorch backend; loads the addon on first use (throws NativeLoadError with a hint if it cannot). */
export function libtorchBackend(): Backend {
  if (libtorch) return libtorch;
  const binding = loadBinding();
  libtorch = {
    ref: LIBTORCH_BACKEND,
    info() {
      const v = binding.versions();
      return {
        framework: 'libtorch',
        frameworkVersion: v.libtorch,
        frameworkSource: v.libtorchSource,
        addonVersion: v.addon,
        parallelInfo: v.parallelInfo,
      };
    },
    cudaDeviceCount: () => binding.cudaDeviceCount(),
    gpuInfo: () => binding.gpuInfo(),
    blasInfo: () => binding.blasInfo(),
    getThreads: () => binding.getThreads(),
    setThreads: (threads) => binding.setThreads(threads),
    buildModel: (spec, options) => binding.buildModel(spec, options),
    measureMemoryBandwidth: (device, options) => binding.measureMemoryBandwidth({ device, ...options }),
  };
  return libtorch;
}
