// A measured CPU cell record for the renderer tests (tables, CSV, HTML): bert-base-uncased, batch 8, seq 8,
// inference, three samples around 0.1023 s, peak RSS 553 MiB of which 53 MiB added by the call. Tests override
// what they look at. generateRecord: a measured generate cell from known call times.
import type { EnvironmentInfo } from '../src/env/index.js';
import type { CellRecord, GenerationRecord } from '../src/report/results.js';
import { generationFigures, type GenerateCallTimes } from '../src/stats/generation.js';
import { summarize } from '../src/stats/summary.js';

export const MIB = 1024 * 1024;

export function cellRecord(over: Partial<CellRecord> = {}): CellRecord {
  const samples = [0.1024, 0.1021, 0.103];
  return {
    model: 'bert-base-uncased',
    batchSize: 8,
    sequenceLength: 8,
    mode: 'inference',
    status: 'ok',
    error: null,
    device: 'cpu',
    dtype: 'float32',
    threads: 2,
    blasThreads: 2,
    parameterCount: 109514298,
    timeSeconds: { ...summarize(samples), samples, warmup: [] },
    phasesSeconds: null,
    throughput: null,
    memory: { rssPeakBytes: 553 * MIB + 1234, rssBeforeBytes: 500 * MIB, rssIncreaseBytes: 53 * MIB + 1234, tensorPeakBytes: null, tensorBeforeBytes: null, tensorIncreaseBytes: null },
    gpuMemory: null,
    hostSeconds: null,
    generation: null,
    breakdown: null,
    buildSeconds: 1,
    efficiency: { flopsPerCall: 1e9, tflopsPerSecond: 0.01, mfu: null, peakTflops: null, peakSource: null },
    warnings: [],
    ...over,
  };
}

/** The environment block of a 2-core CPU run with libtorch 1.13 (fields as collectEnvironment fills them). */
export function cpuEnvironment(over: Partial<EnvironmentInfo> = {}): EnvironmentInfo {
  return {
    tfbenchVersion: '0.1.0', framework: 'libtorch', frameworkVersion: '1.13.1', frameworkSource: 'system', nodeVersion: '20.19.0',
    system: 'Linux', osRelease: 'Debian 12', architecture: 'x64', cpuModel: 'Test CPU', cpuPhysicalCores: 2, cpuLogicalCores: 2,
    cpuRamBytes: 8192 * MIB, blas: 'OpenBLAS (OpenMP)', blasLibrary: '/usr/lib/x86_64-linux-gnu/openblas-openmp/libopenblasp-r0.3.21.so',
    blasThreading: 'openmp', blasThreads: 2, threads: 2, threadsChoice: { rule: 'probe', reason: 'the faster at start-up', probe: null },
    parallelInfo: '', device: 'cpu', dtype: 'float32', isolate: true,
    onlyPretrainModel: false, date: '2025-01-01', time: '00:00:00Z', gpus: [],
    cudaRuntimeVersion: null, cudnnVersion: null, cudaDriverVersion: null, nvmlReason: null, memoryBandwidth: null,
    ...over,
  };
}

/** A measured generate cell of gpt2 (batch 1, prompt 32 unless `over` says) whose calls took `calls`: its E2E in
 * timeSeconds, its figures from stats/generation.ts, a trace starting at depth S + 1, 500 MiB of weights, a KV
 * cache of 4.5 MiB by the formula and 4.5 MiB allocated. */
export function generateRecord(calls: GenerateCallTimes[], over: Partial<CellRecord> = {}, generation: Partial<GenerationRecord> = {}): CellRecord {
  const newTokens = calls[0]!.stepSeconds.length + 1;
  const batchSize = over.batchSize ?? 1;
  const sequenceLength = over.sequenceLength ?? 32;
  const f = generationFigures(calls, [], { batchSize, promptLength: sequenceLength, newTokens });
  const e2e = calls.map((c) => c.e2eSeconds);
  return cellRecord({
    model: 'gpt2',
    mode: 'generate',
    batchSize,
    sequenceLength,
    parameterCount: 124439808,
    timeSeconds: { ...summarize(e2e), samples: e2e, warmup: [] },
    throughput: null,
    generation: {
      newTokens,
      ttftSeconds: f.ttft,
      tpotSeconds: f.tpot,
      itlSeconds: f.itl,
      prefillTokensPerSecond: f.prefillTokensPerSecond,
      decodeTokensPerSecond: f.decodeTokensPerSecond,
      trace: { contextStart: sequenceLength + 1, stepSeconds: calls.map((c) => [...c.stepSeconds]) },
      weightBytes: 500 * MIB,
      kvCache: { formulaBytes: 4.5 * MIB, allocatedBytes: 4.5 * MIB },
      bandwidthFloor: null,
      ...generation,
    },
    ...over,
  });
}
