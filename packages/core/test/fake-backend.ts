// A backend without libtorch for the sweep loop's tests (in-process): every call takes 1 ms, and a call of more
// than `maxTokens` tokens fails as libtorch's CPU allocator does (code OOM).
import type { Backend, BackendModel, CellCallOptions } from '../src/backend/index.js';

/** The tiny BERT of DESIGN.md as an inline model. */
export const tiny = {
  name: 'tiny',
  config: { model_type: 'bert', architectures: ['BertForMaskedLM'], vocab_size: 99, hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 37 },
};

/** One request a fake model got: the method, the cell's options, and for runCalls the block's calls. */
export type ModelRequest = CellCallOptions & { method: 'runCalls' | 'measureMemory' | 'measureBreakdown'; calls?: number };

/** What a fake model does: each call takes `seconds(options)` (called once per call, in order); the memory call
 * reports `memory`; the breakdown call has no modules. Any of them may throw. */
export interface FakeCalls {
  seconds: (options: CellCallOptions) => number;
  memory?: { rssBeforeBytes: number; rssPeakBytes: number };
}

/** A model whose measurement blocks follow `calls`, recording every request in `requests`; its other methods do
 * nothing. */
export function fakeModel(calls: FakeCalls, requests: ModelRequest[] = []): BackendModel {
  const memory = calls.memory ?? { rssBeforeBytes: 100, rssPeakBytes: 150 };
  return {
    parameters: () => [],
    parameterCount: () => 0,
    loadWeights: async () => {},
    run: async () => ({}),
    runCalls: async (o) => {
      requests.push({ ...o, method: 'runCalls' });
      return { seconds: Array.from({ length: o.calls }, () => calls.seconds(o)), hostSeconds: null, phasesSeconds: null };
    },
    measureMemory: async (o) => {
      requests.push({ ...o, method: 'measureMemory' });
      calls.seconds(o);
      return { memory, cudaMemory: null };
    },
    measureBreakdown: async (o) => {
      requests.push({ ...o, method: 'measureBreakdown' });
      calls.seconds(o);
      return [];
    },
  };
}

/** A CPU-only backend without libtorch: buildModel gives `model`, the BLAS is unknown unless `over` says, and the
 * thread count starts at `threads` and follows setThreads. */
export function backendOf(model: BackendModel, threads = 2, over: Partial<Backend> = {}): Backend {
  return {
    info: () => ({ framework: 'fake', frameworkVersion: '0', frameworkSource: 'test', addonVersion: '0', parallelInfo: '' }),
    cudaDeviceCount: () => 0,
    gpuInfo: () => ({ cudaRuntimeVersion: null, cudnnVersion: null, cudaDevices: [], nvml: { reason: 'test backend', driverVersion: null, cudaDriverVersion: null, devices: [] } }),
    blasInfo: () => ({ library: null, vendor: null, threading: null, threads: null, config: null }),
    getThreads: () => threads,
    setThreads: (n) => void (threads = n),
    buildModel: async () => model,
    ...over,
  };
}

/** `measured` collects every request the model gets. */
export function fakeBackend(maxTokens: number, measured: ModelRequest[] = []): Backend {
  return backendOf(
    fakeModel(
      {
        seconds: (o) => {
          if (o.batchSize * o.sequenceLength > maxTokens) {
            throw Object.assign(new Error("DefaultCPUAllocator: can't allocate memory: you tried to allocate 1e12 bytes"), { code: 'OOM' });
          }
          return 0.001;
        },
        memory: { rssBeforeBytes: 2e8, rssPeakBytes: 3e8 },
      },
      measured,
    ),
  );
}
