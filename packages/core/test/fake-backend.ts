// A backend without libtorch for the sweep loop's tests: every call takes 1 ms (or `sampleSeconds`), and a call of
// more than `maxTokens` tokens fails as libtorch's CPU allocator does (code OOM). fakeBackend's ref names this
// module, whose createBackend builds the same fake in an isolated cell's worker process.
import assert from 'node:assert/strict';
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
    generate: async () => assert.fail('generate is not faked'),
    runGenerateCalls: async () => assert.fail('runGenerateCalls is not faked'),
    measureGenerateMemory: async () => assert.fail('measureGenerateMemory is not faked'),
  };
}

/** A CPU-only backend without libtorch: buildModel gives `model`, the BLAS is unknown unless `over` says, and the
 * thread count starts at `threads` and follows setThreads. In-process only, unless `over` gives a ref with a module. */
export function backendOf(model: BackendModel, threads = 2, over: Partial<Backend> = {}): Backend {
  return {
    ref: { id: 'fake' },
    info: () => ({ framework: 'fake', frameworkVersion: '0', frameworkSource: 'test', addonVersion: '0', parallelInfo: '' }),
    cudaDeviceCount: () => 0,
    gpuInfo: () => ({ cudaRuntimeVersion: null, cudnnVersion: null, cudaDevices: [], nvml: { reason: 'test backend', driverVersion: null, cudaDriverVersion: null, devices: [] } }),
    blasInfo: () => ({ library: null, vendor: null, threading: null, threads: null, config: null }),
    getThreads: () => threads,
    setThreads: (n) => void (threads = n),
    buildModel: async () => model,
    measureMemoryBandwidth: async () => null,
    ...over,
  };
}

/** `measured` collects every request the model gets (in this process). */
export function fakeBackend(maxTokens: number, measured: ModelRequest[] = [], sampleSeconds = 0.001): Backend {
  const options: FakeBackendOptions = { maxTokens, sampleSeconds };
  return backendOf(
    fakeModel(
      {
        seconds: (o) => {
          if (o.batchSize * o.sequenceLength > maxTokens) {
            throw Object.assign(new Error("DefaultCPUAllocator: can't allocate memory: you tried to allocate 1e12 bytes"), { code: 'OOM' });
          }
          return sampleSeconds;
        },
        memory: { rssBeforeBytes: 2e8, rssPeakBytes: 3e8 },
      },
      measured,
    ),
    2,
    { ref: { id: 'fake', module: import.meta.url, options } },
  );
}

export interface FakeBackendOptions {
  maxTokens: number;
  sampleSeconds: number;
}

/** What a worker calls to build fakeBackend's twin from its ref (BackendRef.module is this file). */
export function createBackend(options: FakeBackendOptions): Backend {
  return fakeBackend(options.maxTokens, [], options.sampleSeconds);
}
