// The Backend seam: everything core needs from a numeric framework, and nothing else.
// The libtorch addon (@tfbench/native) is the first backend; only this folder imports it.
import {
  loadBinding,
  type BlasInfo,
  type BuildOptions,
  type CallTimes,
  type CellCallOptions,
  type CpuMemoryPeak,
  type CudaMemoryPeak,
  type DType,
  type GpuReport,
  type HostTensor,
  type MemoryPeaks,
  type ModuleCost,
  type NativeModel,
  type PhaseSamples,
  type RunCallsOptions,
  type RunOptions,
  type WeightEntry,
} from '@tfbench/native';
import type { ModelSpec } from '../models/index.js';

export type {
  BlasInfo,
  BuildOptions,
  CallTimes,
  CellCallOptions,
  CpuMemoryPeak,
  CudaMemoryPeak,
  DType,
  GpuReport,
  HostTensor,
  MemoryPeaks,
  ModuleCost,
  PhaseSamples,
  RunCallsOptions,
  RunOptions,
  WeightEntry,
};
/** A built model: forward and check runs, and a cell's measurement blocks (runCalls, measureMemory,
 * measureBreakdown), whose policy is run/sampling.ts's. */
export type BackendModel = NativeModel;

export interface BackendInfo {
  /** e.g. 'libtorch' */
  framework: string;
  frameworkVersion: string;
  /** How the framework was found at build time (LIBTORCH, python3 torch, system). */
  frameworkSource: string;
  addonVersion: string;
  /** The framework's own account of its threading (OpenMP/MKL). */
  parallelInfo: string;
}

export interface Backend {
  info(): BackendInfo;
  cudaDeviceCount(): number;
  /** CUDA devices and versions, and what NVML says of the GPUs (for the environment block). */
  gpuInfo(): GpuReport;
  /** The BLAS this process has loaded and how it runs its threads (for the thread default and the records). */
  blasInfo(): BlasInfo;
  getThreads(): number;
  setThreads(threads: number): void;
  buildModel(spec: ModelSpec, options: BuildOptions): Promise<BackendModel>;
}

let libtorch: Backend | undefined;

/** The libtorch backend; loads the addon on first use (throws NativeLoadError with a hint if it cannot). */
export function libtorchBackend(): Backend {
  if (libtorch) return libtorch;
  const binding = loadBinding();
  libtorch = {
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
  };
  return libtorch;
}
