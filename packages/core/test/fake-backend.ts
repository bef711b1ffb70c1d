// A backend without libtorch for the sweep loop's tests: every call takes 1 ms (or `sampleSeconds`), and a call of
// more than `maxTokens` tokens fails as libtorch's CPU allocator does (code OOM); a generate call's prefill takes
// `sampleSeconds` and each decode step a quarter of it. fakeBackend's ref names this module, whose createBackend
// builds the same fake in an isolated cell's worker process.
import assert from 'node:assert/strict';
import type { Backend, BackendModel, CellCallOptions, GenerateCallOptions, GenerateTiming } from '../src/backend/index.js';

/** The tiny BERT of DESIGN.md as an inline model. */
export const tiny = {
  name: 'tiny',
  config: { model_type: 'bert', architectures: ['BertForMaskedLM'], vocab_size: 99, hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 37 },
};

/** A tiny GPT-2 of DESIGN.md's sizes with 64 positions, as an inline model (no architectures: the base model for
 * inference, GPT2LMHeadModel for training and generation). */
export const tinyGpt2 = { name: 'tiny-gpt2', config: { model_type: 'gpt2', vocab_size: 99, n_embd: 32, n_layer: 2, n_head: 4, n_positions: 64 } };

/** One request a fake model got: the method, the cell's options, and for runCalls the block's calls. */
export type ModelRequest =
  | (CellCallOptions & { method: 'runCalls' | 'measureMemory' | 'measureBreakdown'; calls?: number })
  | (GenerateCallOptions & { method: 'runGenerateCalls' | 'measureGenerateMemory'; calls?: number });

/** What a fake model does: each call takes `seconds(options)` (called once per call, in order); a generate call
 * is `generate(options)` (once per call, in order; by default none is faked); the memory calls report `memory`
 * (and `kvCacheBytes`); the breakdown call has no modules. Any of them may throw. */
export interface FakeCalls {
  seconds: (options: CellCallOptions) => number;
  generate?: (options: GenerateCallOptions) => GenerateTiming;
  memory?: { rssBeforeBytes: number; rssPeakBytes: number };
  kvCacheBytes?: number;
}

/** A generate call of `ttft` seconds to the first token, then N - 1 decode steps of `steps` (repeated or cut to
 * N - 1); E2E is their sum plus `gap` seconds between steps. */
export function generateTiming(ttft: number, steps: readonly number[], newTokens: number, gap = 0): GenerateTiming {
  const stepSeconds = Array.from({ length: newTokens - 1 }, (_, i) => steps[i % steps.length]!);
  const e2eSeconds = ttft + stepSeconds.reduce((a, b) => a + b, 0) + gap * stepSeconds.length;
  return { ttftSeconds: ttft, stepSeconds, e2eSeconds };
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
    runGenerateCalls: async (o) => {
      requests.push({ ...o, method: 'runGenerateCalls' });
      const generate = calls.generate ?? (() => assert.fail('runGenerateCalls is not faked'));
      return { calls: Array.from({ length: o.calls }, () => generate(o)), hostSeconds: null };
    },
    measureGenerateMemory: async (o) => {
      requests.push({ ...o, method: 'measureGenerateMemory' });
      (calls.generate ?? (() => assert.fail('measureGenerateMemory is not faked')))(o);
      return { memory, cudaMemory: null, kvCacheBytes: calls.kvCacheBytes ?? 0 };
    },
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

/** `measured` collects every request the model gets (in this process). A generate call's memory call reports a KV
 * cache of 4096 bytes; a generate call of more than `maxTokens` tokens (B·(S + N)) runs out of memory. */
export function fakeBackend(maxTokens: number, measured: ModelRequest[] = [], sampleSeconds = 0.001): Backend {
  const options: FakeBackendOptions = { maxTokens, sampleSeconds };
  const oom = (tokens: number) => {
    if (tokens > maxTokens) throw Object.assign(new Error("DefaultCPUAllocator: can't allocate memory: you tried to allocate 1e12 bytes"), { code: 'OOM' });
  };
  return backendOf(
    fakeModel(
      {
        seconds: (o) => {
          oom(o.batchSize * o.sequenceLength);
          return sampleSeconds;
        },
        generate: (o) => {
          oom(o.batchSize * (o.promptLength + o.newTokens));
          return generateTiming(sampleSeconds, [sampleSeconds / 4], o.newTokens);
        },
        memory: { rssBeforeBytes: 2e8, rssPeakBytes: 3e8 },
        kvCacheBytes: 4096,
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
