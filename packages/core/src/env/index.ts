// Environment information: Hugging Face's keys in its order, then tfbench's additions.
import { readFileSync, realpathSync } from 'node:fs';
import { arch, platform } from 'node:os';
import si from 'systeminformation';
import type { Backend } from '../backend/index.js';
import { TOOL_VERSION } from '../version.js';

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
  blas: string;
  threads: number;
  parallelInfo: string;
  device: string;
  dtype: string;
  isolate: boolean;
  onlyPretrainModel: boolean;
  date: string;
  time: string;
  gpus: GpuInfo[];
}

export interface GpuInfo {
  name: string;
  memoryBytes: number | null;
  driverVersion: string | null;
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
  /** Threads the cells will use (null: the backend's default, one per physical core it may run on). */
  threads: number | null;
}

export async function collectEnvironment(backend: Backend, context: EnvironmentContext): Promise<EnvironmentInfo> {
  const info = backend.info();
  const [cpu, mem, os, graphics] = await Promise.all([
    si.cpu(),
    si.mem(),
    si.osInfo(),
    context.device.startsWith('cuda') ? si.graphics().catch(() => null) : Promise.resolve(null),
  ]);
  const now = new Date();
  const gpus: GpuInfo[] = (graphics?.controllers ?? [])
    .filter((c) => /nvidia/i.test(c.vendor))
    .map((c) => ({
      name: c.model,
      memoryBytes: c.vram ? c.vram * 1024 * 1024 : null,
      driverVersion: c.driverVersion ?? null,
    }));
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
    blas: detectBlas(),
    threads: context.threads ?? backend.getThreads(),
    parallelInfo: info.parallelInfo,
    device: context.device,
    dtype: context.dtype,
    isolate: context.isolate,
    onlyPretrainModel: context.onlyPretrainModel,
    date: now.toISOString().slice(0, 10),
    time: now.toISOString().slice(11, 19) + 'Z',
    gpus,
  };
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
  if (env.device.startsWith('cuda')) {
    rows.push(['num_gpus', env.gpus.length]);
    const gpu = env.gpus[0];
    if (gpu) {
      rows.push(['gpu', gpu.name]);
      if (gpu.memoryBytes !== null) rows.push(['gpu_ram_mb', Math.floor(gpu.memoryBytes / MIB)]);
    }
  }
  rows.push(
    ['use_tpu', false],
    ['device', env.device],
    ['dtype', env.dtype],
    ['os', env.osRelease],
    ['cpu_cores', `${env.cpuPhysicalCores} physical, ${env.cpuLogicalCores} logical`],
    ['blas', env.blas],
    ['threads', env.threads],
    ['libtorch_source', env.frameworkSource],
  );
  return rows;
}
