// The TensorFlow.js backend: the same models from the same specs (models/families) and the same safetensors
// weights as libtorch, in TensorFlow.js ops (bert.ts, gpt2.ts, llama.ts, t5.ts), on the CPU, in float32. Its ref,
// { id: 'tfjs', options: { backend } }, names the TensorFlow.js backend actually loaded ("auto" resolved), so that an
// isolated cell's worker loads the same one (backend/resolve.ts imports this module only then).
import { availableParallelism } from 'node:os';
import { TfbenchError } from '../../errors.js';
import type { ModelSpec } from '../../models/index.js';
import { TFJS_BACKEND_ID, type Backend, type BackendLimits, type BuildOptions } from '../index.js';
import { tfjsFamily, tfjsSpecProblem } from './families.js';
import { AUTO_ORDER, loadTfjs, type LoadedTfjs, type TfjsBackendChoice, type TfjsBackendName } from './load.js';
import { TfjsModel } from './model.js';

export { TfjsModel } from './model.js';
export type { TfjsBackendChoice, TfjsBackendName } from './load.js';

/** A tfjs BackendRef's options. */
export interface TfjsOptions {
  /** Default 'auto'. */
  backend?: TfjsBackendChoice;
}

const CHOICES: readonly string[] = ['auto', ...AUTO_ORDER];

/** How each TensorFlow.js backend runs its kernels, for the environment block (blas) and the thread rule. */
const KERNELS: Readonly<Record<TfjsBackendName, { vendor: string; threads: string | undefined }>> = {
  node: { vendor: 'libtensorflow via tfjs-node', threads: 'tfjs-node runs libtensorflow, which sizes its own thread pools' },
  wasm: {
    vendor: 'XNNPACK via tfjs-backend-wasm',
    threads: "TensorFlow.js's wasm backend runs one thread in Node (its multi-threaded build needs a browser's Web Workers)",
  },
  cpu: { vendor: 'JavaScript kernels of tfjs-backend-cpu', threads: "TensorFlow.js's cpu backend runs JavaScript on Node's main thread" },
};

const LIMITS: BackendLimits = {
  generate: 'the tfjs backend does not generate yet (no KV-cache decoding)',
  breakdown: 'the tfjs backend has no per-module breakdown',
  cuda: 'the tfjs backend runs on the CPU only (tfjs-node-gpu is not supported)',
  dtypes: { supported: ['float32'], reason: 'the tfjs backend computes in float32 only' },
};

/** The backend of loaded TensorFlow.js. */
function tfjsBackendOf(loaded: LoadedTfjs): Backend {
  const { tf, backend } = loaded;
  const kernels = KERNELS[backend];
  const threads = backend === 'node' ? availableParallelism() : 1;
  return {
    ref: { id: TFJS_BACKEND_ID, options: { backend } satisfies TfjsOptions },
    limits: { ...LIMITS, threads: kernels.threads },
    info: () => ({
      framework: 'tfjs',
      frameworkVersion: loaded.coreVersion,
      frameworkSource: `${backend} (${loaded.packageText})`,
      addonVersion: '',
      parallelInfo: kernels.threads ?? '',
    }),
    cudaDeviceCount: () => 0,
    gpuInfo: () => ({
      cudaRuntimeVersion: null,
      cudnnVersion: null,
      cudaDevices: [],
      nvml: { reason: 'the tfjs backend does not use the GPU', driverVersion: null, cudaDriverVersion: null, devices: [] },
    }),
    blasInfo: () => ({ library: null, vendor: kernels.vendor, threading: backend === 'node' ? null : 'serial', threads: backend === 'node' ? null : 1, config: null }),
    getThreads: () => threads,
    setThreads: (n) => {
      if (n !== threads) throw new TfbenchError(`cannot run ${n} threads: ${kernels.threads}`, { code: 'BAD_INPUT', hint: 'Leave --threads out with --framework tfjs.' });
    },
    specProblem: tfjsSpecProblem,
    buildModel: async (spec: ModelSpec, options: BuildOptions) => {
      const family = tfjsFamily(spec);
      const problem = tfjsSpecProblem(spec);
      if (!family || problem !== null) throw Object.assign(new Error(problem ?? 'unsupported spec'), { code: 'BAD_SPEC' });
      if (options.device !== 'cpu') throw Object.assign(new Error(`device "${options.device}": ${LIMITS.cuda}`), { code: 'NO_CUDA' });
      if (options.dtype !== 'float32') throw Object.assign(new Error(`dtype ${options.dtype}: ${LIMITS.dtypes!.reason}`), { code: 'BAD_SPEC' });
      await loaded.activate();
      return new TfjsModel(tf, spec, family, options, loaded.activate);
    },
    measureMemoryBandwidth: async () => null,
  };
}

/** What a worker calls (through backend/resolve.ts) to build the backend a tfjs ref names: `options.backend`
 * (default auto) loaded, or a NO_TFJS error saying why not. */
export async function createBackend(options: unknown): Promise<Backend> {
  const choice = (options as TfjsOptions | null | undefined)?.backend ?? 'auto';
  if (typeof choice !== 'string' || !CHOICES.includes(choice)) {
    throw new TfbenchError(`unknown TensorFlow.js backend ${JSON.stringify(choice)}`, { code: 'BAD_BACKEND', hint: `Pick one of ${CHOICES.join(', ')}.` });
  }
  return tfjsBackendOf(await loadTfjs(choice as TfjsBackendChoice));
}
