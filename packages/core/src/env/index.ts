// Environment information: Hugging Face's keys in its order, then tfbench's additions.
import { readFileSync, realpathSync } from 'node:fs';
import { arch, platform } from 'node:os';
import si from 'systeminformation';
import type { Backend, BlasInfo, GpuReport } from '../backend/index.js';
import { formatBytes } from '../models/index.js';
import { TOOL_VERSION } from '../version.js';
import { blasDescription, blasThreads, type ThreadChoice } from './threads.js';

export interface EnvironmentInfo {
  tfbenchVersion: string;
  framework: string;
  frameworkVersion: string;
  frameworkSource: string;
  nodeVersion: string;
  system: string;
  osRelease: string;
  architecture: string;
  cpuModel: string;
  cpuPhysicalCores: number;
  cpuLogicalCores: number;
  cpuRamBytes: number;
  /** The BLAS loaded, as it describes itself: "OpenBLAS (OpenMP)". */
  blas: string;
  /** The loaded BLAS library's path, how it threads and how many threads one product uses (null: unknown). */
  blasLibrary: string | null;
  blasThreading: BlasInfo['threading'];
  blasThreads: number | null;
  /** libtorch's intra-op threads the cells use. */
  threads: number;
  /** How that count was chosen (a rule, or the start-up probe with its figures). */
  threadsChoice: Omit<ThreadChoice, 'threads'>;
  parallelInfo: string;
  device: string;
  dtype: string;
  isolate: boolean;
  onlyPretrainModel: boolean;
  date: string;
  time: string;
  gpus: GpuInfo[];
  /** CUDA runtime libtorch runs with ("13.0"), cuDNN ("9.10.2"), and the newest CUDA the driver supports;
   * null on a CPU-only build or where nothing could say. */
  cudaRuntimeVersion: string | null;
  cudnnVersion: string | null;
  cudaDriverVersion: string | null;
  /** Why NVML's fields are missing (no libnvidia-ml.so.1, …); null when NVML answered or was not asked. */
  nvmlReason: string | null;
  /** The device's memory bandwidth, measured at start-up by a large copy (read + written bytes per second: the
   * median of `repeats` copies of a `bufferBytes` buffer); null when not measured. Generation compares batch-1 TPOT
   * with weight bytes / this. Files of results schema 1.2 and before have neither field. */
  memoryBandwidth: MemoryBandwidthInfo | null;
  /** Why memoryBandwidth is null: the backend cannot measure it, or the measurement failed (its error). */
  memoryBandwidthReason: string | null;
}

export interface MemoryBandwidthInfo {
  bytesPerSecond: number;
  bufferBytes: number;
  repeats: number;
}

type NvmlDevice = GpuReport['nvml']['devices'][number];
/** What only NVML tells of a GPU: power limit, performance state, clocks (see NvmlDeviceInfo). */
type NvmlReading = Omit<NvmlDevice, 'pciBusId' | 'name' | 'memoryTotalBytes'>;
const NO_NVML_READING: NvmlReading = {
  powerLimitWatts: null,
  performanceState: null,
  smClockMHz: null,
  smClockMaxMHz: null,
  memoryClockMHz: null,
  memoryClockMaxMHz: null,
};

/** One GPU: what libtorch's CUDA runtime, NVML and systeminformation say of it; null where none could.
 * performanceState 0 is P0, the highest performance state; Hugging Face printed this number. */
export interface GpuInfo extends NvmlReading {
  /** The N of cuda:N; null for a GPU only NVML or systeminformation saw (a CPU-only libtorch). */
  index: number | null;
  name: string;
  memoryBytes: number | null;
  driverVersion: string | null;
  pciBusId: string | null;
  computeCapability: string | null;
}

/** "13.0" from CUDA's 1000 * major + 10 * minor. */
export function cudaVersionText(v: number | null): string | null {
  return v === null ? null : `${Math.floor(v / 1000)}.${Math.floor((v % 1000) / 10)}`;
}

/** "8.9.2" from 8902, "9.10.2" from 91002: cuDNN 9 counts 10000 * major + 100 * minor + patch, earlier
 * releases 1000 * major + 100 * minor + patch. */
export function cudnnVersionText(v: number | null): string | null {
  if (v === null) return null;
  const major = v >= 90000 ? Math.floor(v / 10000) : Math.floor(v / 1000);
  const rest = v >= 90000 ? v % 10000 : v % 1000;
  return `${major}.${Math.floor(rest / 100)}.${rest % 100}`;
}

/** "0000:3b:00.0" and NVML's "00000000:3B:00.0" name the same device. */
function samePciBus(a: string, b: string): boolean {
  const parse = (id: string) => id.toLowerCase().split(/[:.]/).map((part) => parseInt(part, 16));
  const [x, y] = [parse(a), parse(b)];
  return x.length === 4 && y.length === 4 && x.every((n, i) => n === y[i]);
}

interface GraphicsController {
  vendor: string;
  model: string;
  vram: number | null;
  driverVersion?: string;
}

/**
 * The GPUs for the environment block. libtorch's CUDA devices come first (cuda:N order), each joined with the
 * NVML device on the same PCI bus for power, performance state and clocks; without CUDA devices (a CPU-only
 * build) NVML's list; without NVML, systeminformation's NVIDIA controllers (name, memory, driver).
 */
export function describeGpus(report: GpuReport, controllers: readonly GraphicsController[]): GpuInfo[] {
  const nvidia = controllers.filter((c) => /nvidia/i.test(c.vendor));
  const driver = report.nvml.driverVersion ?? nvidia.find((c) => c.driverVersion)?.driverVersion ?? null;
  const fromNvml = (d: NvmlDevice | undefined): NvmlReading => {
    if (!d) return NO_NVML_READING;
    const { pciBusId: _bus, name: _name, memoryTotalBytes: _memory, ...reading } = d;
    return reading;
  };
  if (report.cudaDevices.length > 0) {
    return report.cudaDevices.map((c) => ({
      index: c.index,
      name: c.name,
      memoryBytes: c.totalMemoryBytes,
      driverVersion: driver,
      pciBusId: c.pciBusId || null,
      computeCapability: c.computeCapability,
      ...fromNvml(report.nvml.devices.find((n) => c.pciBusId && n.pciBusId && samePciBus(n.pciBusId, c.pciBusId))),
    }));
  }
  if (report.nvml.devices.length > 0) {
    return report.nvml.devices.map((n) => ({
      index: null,
      name: n.name,
      memoryBytes: n.memoryTotalBytes,
      driverVersion: driver,
      pciBusId: n.pciBusId || null,
      computeCapability: null,
      ...fromNvml(n),
    }));
  }
  return nvidia.map((c) => ({
    index: null,
    name: c.model,
    memoryBytes: c.vram ? c.vram * 1024 * 1024 : null,
    driverVersion: c.driverVersion || null,
    pciBusId: null,
    computeCapability: null,
    ...fromNvml(undefined),
  }));
}

/** Which BLAS the process has mapped (call after the backend is loaded): libtorch's CPU matmuls use it. */
export function detectBlas(mapsText: string = readMaps()): string {
  const paths = new Set<string>();
  for (const line of mapsText.split('\n')) {
    const path = line.slice(line.indexOf('/'));
    if (line.includes('/') && /lib(open)?blas|libmkl|libblis|libcblas/.test(path)) paths.add(path.trim());
  }
  const resolved = [...paths].map((p) => {
    try {
      return realpathSync(p);
    } catch {
      return p;
    }
  });
  const all = resolved.join(' ');
  if (/openblas-openmp/.test(all)) return 'OpenBLAS (OpenMP)';
  if (/openblas-pthread/.test(all)) return 'OpenBLAS (pthreads)';
  if (/openblas-serial/.test(all)) return 'OpenBLAS (serial)';
  if (/openblas/.test(all)) return 'OpenBLAS';
  if (/mkl/.test(all)) return 'MKL';
  if (/blis/.test(all)) return 'BLIS';
  if (/\/blas\/libblas/.test(all)) return 'reference BLAS (slow: install libopenblas0-openmp)';
  return resolved.length > 0 ? resolved.map((p) => p.split('/').pop()).join(', ') : 'built into libtorch';
}

function readMaps(): string {
  try {
    return readFileSync('/proc/self/maps', 'utf8');
  } catch {
    return '';
  }
}

export interface EnvironmentContext {
  device: string;
  dtype: string;
  isolate: boolean;
  onlyPretrainModel: boolean;
  /** The BLAS loaded (backend.blasInfo(), read once by the caller, which chose the threads from it). */
  blas: BlasInfo;
  /** The thread count the cells will use and why (env/threads.ts). */
  threads: ThreadChoice;
}

/** The device's memory bandwidth as the backend measures it (a large copy, about a second), or why there is none:
 * a failed measurement (out of memory on a full GPU, say) leaves the environment without it rather than stop a run. */
export async function measureBandwidth(
  backend: Backend,
  device: string,
): Promise<{ memoryBandwidth: MemoryBandwidthInfo | null; memoryBandwidthReason: string | null }> {
  try {
    const measured = await backend.measureMemoryBandwidth(device);
    if (measured === null) {
      const reason = `the ${backend.info().framework} backend does not measure it`;
      return { memoryBandwidth: null, memoryBandwidthReason: reason };
    }
    const { bytesPerSecond, bufferBytes, repeats } = measured;
    return { memoryBandwidth: { bytesPerSecond, bufferBytes, repeats }, memoryBandwidthReason: null };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { memoryBandwidth: null, memoryBandwidthReason: `the measurement failed: ${message.split('\n')[0]}` };
  }
}

/** The environment block; measures the device's memory bandwidth (about a second) after reading the rest. */
export async function collectEnvironment(backend: Backend, context: EnvironmentContext): Promise<EnvironmentInfo> {
  const info = backend.info();
  const { blas } = context;
  const [cpu, mem, os, graphics] = await Promise.all([
    si.cpu(),
    si.mem(),
    si.osInfo(),
    context.device.startsWith('cuda') ? si.graphics().catch(() => null) : Promise.resolve(null),
  ]);
  const now = new Date();
  const onGpu = context.device.startsWith('cuda');
  const report = onGpu ? backend.gpuInfo() : null;
  const gpus = report ? describeGpus(report, graphics?.controllers ?? []) : [];
  // Alone, after the queries above, so that nothing else runs during the copy.
  const bandwidth = await measureBandwidth(backend, context.device);
  return {
    tfbenchVersion: TOOL_VERSION,
    framework: info.framework,
    frameworkVersion: info.frameworkVersion,
    frameworkSource: info.frameworkSource,
    nodeVersion: process.versions.node,
    system: platform() === 'linux' ? 'Linux' : platform(),
    osRelease: `${os.distro} ${os.release}`.trim() + (os.kernel ? ` (kernel ${os.kernel})` : ''),
    architecture: arch(),
    cpuModel: `${cpu.manufacturer} ${cpu.brand}`.trim(),
    cpuPhysicalCores: cpu.physicalCores,
    cpuLogicalCores: cpu.cores,
    cpuRamBytes: mem.total,
    blas: blasDescription(blas) ?? detectBlas(),
    blasLibrary: blas.library,
    blasThreading: blas.threading,
    blasThreads: blasThreads(blas, context.threads.threads),
    threads: context.threads.threads,
    threadsChoice: { rule: context.threads.rule, reason: context.threads.reason, probe: context.threads.probe },
    parallelInfo: info.parallelInfo,
    device: context.device,
    dtype: context.dtype,
    isolate: context.isolate,
    onlyPretrainModel: context.onlyPretrainModel,
    date: now.toISOString().slice(0, 10),
    time: now.toISOString().slice(11, 19) + 'Z',
    gpus,
    cudaRuntimeVersion: cudaVersionText(report?.cudaRuntimeVersion ?? null),
    cudnnVersion: cudnnVersionText(report?.cudnnVersion ?? null),
    cudaDriverVersion: cudaVersionText(report?.nvml.cudaDriverVersion ?? null),
    nvmlReason: report?.nvml.reason ?? null,
    ...bandwidth,
  };
}

/** The GPU a cuda device string names: cuda:N is index N, plain cuda is 0. */
function gpuOfDevice(env: EnvironmentInfo): GpuInfo | undefined {
  const index = Number(env.device.split(':')[1] ?? 0);
  return env.gpus.find((g) => g.index === index) ?? env.gpus[0];
}

function clockText(current: number | null, max: number | null): string | null {
  if (current === null && max === null) return null;
  return max === null ? String(current) : `${current ?? '?'} (max ${max})`;
}

/** Key/value rows for the console block and env CSV: Hugging Face's keys first, in its order. */
export function environmentEntries(env: EnvironmentInfo): Array<[string, string | number | boolean]> {
  const MIB = 1024 * 1024;
  const rows: Array<[string, string | number | boolean]> = [
    ['tfbench_version', env.tfbenchVersion],
    ['framework', env.framework],
    ['framework_version', env.frameworkVersion],
    ['node_version', env.nodeVersion],
    ['system', env.system],
    ['cpu', env.cpuModel],
    ['architecture', env.architecture],
    ['date', env.date],
    ['time', env.time],
    ['fp16', env.dtype === 'float16'],
    ['use_multiprocessing', env.isolate],
    ['only_pretrain_model', env.onlyPretrainModel],
    ['cpu_ram_mb', Math.floor(env.cpuRamBytes / MIB)],
    ['use_gpu', env.device.startsWith('cuda')],
  ];
  const onGpu = env.device.startsWith('cuda');
  const gpu = onGpu ? gpuOfDevice(env) : undefined;
  if (onGpu) {
    rows.push(['num_gpus', env.gpus.length]);
    if (gpu) {
      rows.push(['gpu', gpu.name]);
      if (gpu.memoryBytes !== null) rows.push(['gpu_ram_mb', Math.floor(gpu.memoryBytes / MIB)]);
      if (gpu.powerLimitWatts !== null) rows.push(['gpu_power_watts', gpu.powerLimitWatts]);
      if (gpu.performanceState !== null) rows.push(['gpu_performance_state', gpu.performanceState]);
    }
  }
  rows.push(
    ['use_tpu', false],
    ['device', env.device],
    ['dtype', env.dtype],
    ['os', env.osRelease],
    ['cpu_cores', `${env.cpuPhysicalCores} physical, ${env.cpuLogicalCores} logical`],
    ['blas', env.blas],
    // Files of results schema 1.1 and before have neither: nothing is shown for them.
    ...(env.blasThreading !== undefined ? [['blas_threads', env.blasThreads ?? 'unknown'] as [string, string | number]] : []),
    ['threads', env.threads],
    ...(env.threadsChoice ? [['threads_choice', `${env.threadsChoice.rule}: ${env.threadsChoice.reason}`] as [string, string]] : []),
    // libtorch: where it was found at build time; tfjs: which TensorFlow.js backend ran the kernels, and its package.
    [env.framework === 'tfjs' ? 'tfjs_backend' : 'libtorch_source', env.frameworkSource],
  );
  if (onGpu) {
    // tfbench's GPU additions, after Hugging Face's keys; a field nothing could read is left out.
    const optional: Array<[string, string | number | null | undefined]> = [
      ['gpu_driver', gpu?.driverVersion],
      ['cuda_driver', env.cudaDriverVersion],
      ['cuda_runtime', env.cudaRuntimeVersion],
      ['cudnn', env.cudnnVersion],
      ['gpu_compute_capability', gpu?.computeCapability],
      ['gpu_sm_clock_mhz', gpu ? clockText(gpu.smClockMHz, gpu.smClockMaxMHz) : null],
      ['gpu_memory_clock_mhz', gpu ? clockText(gpu.memoryClockMHz, gpu.memoryClockMaxMHz) : null],
      ['gpu_pci_bus_id', gpu?.pciBusId],
      ['nvml', env.nvmlReason === null ? null : `unavailable: ${env.nvmlReason}`],
    ];
    for (const [key, value] of optional) if (value !== null && value !== undefined) rows.push([key, value]);
  }
  // Files of results schema 1.2 and before have no bandwidth: nothing is shown for them.
  if (env.memoryBandwidth !== undefined) rows.push(['memory_bandwidth', memoryBandwidthText(env)]);
  return rows;
}

/** "12.3 GB/s (copy of 256 MiB, median of 9)": decimal gigabytes per second to 3 significant digits (grouped past
 * 1000), as bandwidths are quoted; or "unknown (why)". */
export function memoryBandwidthText(env: Pick<EnvironmentInfo, 'memoryBandwidth' | 'memoryBandwidthReason'>): string {
  const b = env.memoryBandwidth;
  if (b === null) return `unknown (${env.memoryBandwidthReason ?? 'not measured'})`;
  const gbps = b.bytesPerSecond / 1e9;
  const rate = gbps >= 1000 ? Math.round(gbps).toLocaleString('en-US') : gbps.toPrecision(3);
  return `${rate} GB/s (copy of ${formatBytes(b.bufferBytes)}, median of ${b.repeats})`;
}
