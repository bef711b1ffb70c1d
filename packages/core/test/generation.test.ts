// The generate mode against fake backends whose calls take known times: the figures as README defines them
// (TTFT, TPOT, ITL, tokens/s, the trace, the KV cache, the bandwidth floor), the sampling of generate calls
// (warm-up, blocks, the CI target on TTFT and TPOT), the cells a model cannot generate, and the plan.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Backend, GenerateCallOptions, GenerateTiming } from '../src/backend/index.js';
import { callFlops } from '../src/models/flops.js';
import { resolveModel, type ResolvedModel } from '../src/models/index.js';
import type { CellRecord } from '../src/report/results.js';
import { benchmark } from '../src/run/benchmark.js';
import { measureCell, type CellJob } from '../src/run/cell.js';
import { cellSize, planCells } from '../src/run/plan.js';
import { recordFromOutcome } from '../src/run/records.js';
import { generationFigures, generationRelCi } from '../src/stats/generation.js';
import { backendOf, fakeBackend, fakeModel, generateTiming, tiny, tinyGpt2, type ModelRequest } from './fake-backend.js';

const tinyT5 = {
  name: 'tiny-t5',
  config: { model_type: 't5', vocab_size: 99, d_model: 32, d_kv: 8, d_ff: 37, num_layers: 2, num_decoder_layers: 1, num_heads: 4 },
};
const ms = (x: number) => x / 1000;
/** Equal up to rounding (the figures are sums and quotients of the given times). */
function close(actual: number | null | undefined, expected: number, what: string): void {
  assert.ok(actual !== null && actual !== undefined && Math.abs(actual - expected) <= 1e-12 * Math.abs(expected), `${what}: ${actual}, expected ${expected}`);
}

/** A backend whose generate calls are `next(options)`, recording every request. */
function generating(next: (o: GenerateCallOptions) => GenerateTiming, requests: ModelRequest[] = [], kvCacheBytes = 12345): Backend {
  return backendOf(fakeModel({ seconds: () => 0.001, generate: next, kvCacheBytes }, requests), 2);
}

const sweep = { inference: false, generate: true, isolate: false, device: 'cpu', threads: 2, warmup: 1, minSamples: 6, minTimeS: 0, targetRelCi: 0 };

describe('generation figures', () => {
  it('TTFT 10 ms and steps of 2, 3, 4 ms: TPOT, ITL, tokens/s, E2E, the trace and the KV cache exactly as defined', async () => {
    const requests: ModelRequest[] = [];
    const backend = generating((o) => generateTiming(ms(10), [ms(2), ms(3), ms(4)], o.newTokens), requests);
    const results = await benchmark({ ...sweep, models: [tinyGpt2], batchSizes: [2], sequenceLengths: [16], newTokens: 4 }, { backend });
    const r = results.records[0]!;
    assert.deepEqual([r.mode, r.status, r.sequenceLength], ['generate', 'ok', 16]);
    const g = r.generation!;
    assert.equal(g.newTokens, 4);
    assert.equal(g.ttftSeconds!.count, 6);
    close(g.ttftSeconds!.median, ms(10), 'TTFT');
    // TPOT = (E2E - TTFT) / (N - 1) = (19 - 10) / 3 ms, in every call
    assert.equal(g.tpotSeconds!.samples.length, 6);
    for (const t of g.tpotSeconds!.samples) close(t, ms(3), 'TPOT of a call');
    // ITL: 6 calls × steps 2, 3, 4 pooled: 18 steps; p50 3, p90 and p99 4 (numpy's linear quantiles)
    assert.equal(g.itlSeconds!.steps, 18);
    close(g.itlSeconds!.p50, ms(3), 'ITL p50');
    close(g.itlSeconds!.p90, ms(4), 'ITL p90');
    close(g.itlSeconds!.p99, ms(4), 'ITL p99');
    close(g.prefillTokensPerSecond, (2 * 16) / ms(10), 'prefill tokens/s = B·S / TTFT');
    close(g.decodeTokensPerSecond, (2 * 3) / ms(9), 'decode tokens/s = B·(N - 1) / (E2E - TTFT)');
    close(r.timeSeconds!.median, ms(19), 'E2E');
    assert.equal(r.throughput, null, 'no tokens/s over the whole call');
    assert.deepEqual(g.trace, { contextStart: 17, stepSeconds: Array(6).fill([ms(2), ms(3), ms(4)]) });
    // The model with its LM head (tied: no more parameters than the base), in float32.
    const model = resolveModel(tinyGpt2, { onlyPretrainModel: false, baseDir: '.' });
    assert.equal(r.parameterCount, model.trainParameterCount);
    assert.equal(g.weightBytes, model.trainParameterCount * 4);
    // 2 (K, V) · 2 layers · batch 2 · (16 + 4) positions · 32 (4 heads × 8) · 4 bytes
    assert.deepEqual(g.kvCache, { formulaBytes: 2 * 2 * 2 * 20 * 32 * 4, allocatedBytes: 12345 });
    assert.equal(g.bandwidthFloor, null, 'batch 2, and no bandwidth measured');
    const flops = callFlops(model.trainSpec, { mode: 'generate', batchSize: 2, sequenceLength: 16, newTokens: 4 })!;
    assert.equal(r.efficiency.flopsPerCall, flops);
    close(r.efficiency.tflopsPerSecond, flops / ms(19) / 1e12, 'TFLOP/s of the median E2E');
    assert.deepEqual(r.warnings, []);
    // The prompt is the cell's sequence length; the calls come in blocks after the warm-up and the memory call.
    assert.deepEqual(
      requests.map((q) => `${q.method}${q.calls ? ` ${q.calls}` : ''}`),
      ['runGenerateCalls 1', 'measureGenerateMemory', 'runGenerateCalls 6'],
    );
    assert.ok(requests.every((q) => 'promptLength' in q && q.promptLength === 16 && q.newTokens === 4 && q.batchSize === 2));
  });

  it('ITL p50 below TPOT: the same gaps aggregated two ways', () => {
    // Steps of 1, 1, 1, 9 ms and 0.5 ms between steps: each call's mean gap (TPOT) is (12 + 4 × 0.5) / 4 = 3.5 ms,
    // the median step 1 ms.
    const calls = Array.from({ length: 6 }, () => generateTiming(ms(20), [ms(1), ms(1), ms(1), ms(9)], 5, ms(0.5)));
    const f = generationFigures(calls, [], { batchSize: 4, promptLength: 8, newTokens: 5 });
    close(f.tpot!.median, ms(3.5), 'TPOT');
    close(f.itl!.p50, ms(1), 'ITL p50');
    close(f.itl!.p90, ms(9), 'ITL p90');
    close(f.decodeTokensPerSecond, (4 * 4) / ms(14), 'decode tokens/s');
    // One new token: nothing to decode.
    const one = generationFigures([generateTiming(ms(20), [], 1)], [], { batchSize: 1, promptLength: 8, newTokens: 1 });
    assert.deepEqual([one.tpot, one.itl, one.decodeTokensPerSecond], [null, null, null]);
    close(one.prefillTokensPerSecond, 8 / ms(20), 'prefill tokens/s');
  });

  it('at batch 1 with a measured bandwidth, TPOT against the floor of the weights a decode step reads', () => {
    const model = resolveModel(tinyGpt2, { onlyPretrainModel: false, baseDir: '.' });
    const cell = { model: model.name, batchSize: 1, sequenceLength: 16, mode: 'generate' as const };
    const calls = Array.from({ length: 6 }, () => generateTiming(ms(10), [ms(3)], 4));
    const measurement = {
      samplesSeconds: calls.map((c) => c.e2eSeconds), warmupSeconds: [], phasesSeconds: null, hostSeconds: null,
      memory: { rssBeforeBytes: 100, rssPeakBytes: 150 }, cudaMemory: null, breakdown: null,
      generation: { calls, warmup: [], kvCacheBytes: 5000, bandwidthSamples: [] as number[] }, threads: 2, blasThreads: 2, buildSeconds: 0.1,
    };
    const record = (batchSize: number, bytesPerSecond: number | null, bandwidthSamples: number[] = []) =>
      recordFromOutcome({ ...cell, batchSize }, job(model, { batchSize }), model, { ok: true, measurement: { ...measurement, generation: { ...measurement.generation, bandwidthSamples } } }, {
        targetRelCi: 0,
        peak: null,
        memoryBandwidth: bytesPerSecond === null ? null : { bytesPerSecond, bufferBytes: 1 << 28, repeats: 9 },
      });
    // Every weight but the position table (wpe, one row a step); wte is the tied LM head, read whole.
    const decodeWeightBytes = (model.trainParameterCount - 64 * 32) * 4;
    const floor = record(1, 1e9).generation!.bandwidthFloor!;
    assert.deepEqual({ ...floor, tpotOverFloor: 0 }, {
      decodeWeightBytes, bandwidthBytesPerSecond: 1e9, bandwidthSource: 'run-start', bandwidthSamples: [], tpotFloorSeconds: decodeWeightBytes / 1e9, tpotOverFloor: 0,
    });
    close(floor.tpotOverFloor, ms(3) / (decodeWeightBytes / 1e9), 'median TPOT / floor');
    // Bandwidths measured between the cell's own calls win over the run start's: their median.
    const own = record(1, 1e9, [3e9, 1.5e9, 2e9]).generation!.bandwidthFloor!;
    assert.deepEqual([own.bandwidthSource, own.bandwidthSamples, own.bandwidthBytesPerSecond], ['cell', [3e9, 1.5e9, 2e9], 2e9]);
    close(own.tpotOverFloor, ms(3) / (decodeWeightBytes / 2e9), 'median TPOT / the floor at the median of its own bandwidths');
    assert.equal(record(1, null, [2e9]).generation!.bandwidthFloor!.bandwidthBytesPerSecond, 2e9, 'no run-start figure needed');
    assert.equal(record(2, 1e9).generation!.bandwidthFloor, null, 'batch 2: no floor');
    assert.equal(record(1, null).generation!.bandwidthFloor, null, 'no bandwidth: no floor');
  });
});

/** A generate job of `model` (its LM-head spec), batch 2, prompt 16, 4 new tokens. */
function job(model: ResolvedModel, over: Partial<CellJob> = {}): CellJob {
  return {
    backend: { id: 'fake' }, model: model.name, batchSize: 2, sequenceLength: 16, mode: 'generate', spec: model.trainSpec, weightFiles: [],
    device: 'cpu', dtype: 'float32', seed: 1, threads: 2, warmup: 2, minSamples: 6, minTimeS: 0.05, maxTimeS: 1, targetRelCi: 0,
    trainStep: 'backward', newTokens: 4, speed: true, memory: true, breakdown: false,
    ...over,
  };
}

describe('sampling generate calls', () => {
  const model = resolveModel(tinyGpt2, { onlyPretrainModel: false, baseDir: '.' });

  it('warms up one call at a time until a call is not over 10% faster, measures memory once, then blocks', async () => {
    const e2e = [0.05, 0.03, 0.029];
    let i = 0;
    const requests: ModelRequest[] = [];
    // Warm-up calls take 50, 30, 29 ms; then every call 16 ms (TTFT 10, steps 2 ms).
    const backend = generating((o) => (i < e2e.length ? generateTiming(e2e[i++]! - ms(6), [ms(2)], o.newTokens) : generateTiming(ms(10), [ms(2)], o.newTokens)), requests);
    const m = await measureCell(backend, job(model, { breakdown: true }));
    assert.deepEqual(m.warmupSeconds.map((s) => Math.round(s * 1000)), [50, 30, 29]);
    assert.equal(m.generation!.warmup.length, 3);
    assert.deepEqual(requests.slice(0, 4).map((q) => `${q.method} ${q.calls ?? ''}`.trim()), ['runGenerateCalls 1', 'runGenerateCalls 1', 'runGenerateCalls 1', 'measureGenerateMemory']);
    assert.equal(m.generation!.kvCacheBytes, 12345);
    assert.deepEqual(m.memory, { rssBeforeBytes: 100, rssPeakBytes: 150 });
    // minSamples 6 and minTimeS 0.05 s of 16 ms calls: 6 calls in the first block (within 0.25 s at the pace).
    assert.equal(m.samplesSeconds.length, 6);
    assert.deepEqual(m.samplesSeconds, m.generation!.calls.map((c) => c.e2eSeconds), 'a sample is one call\'s E2E');
    assert.ok(!requests.some((q) => q.method === 'measureBreakdown'), 'no breakdown of a generate cell');
  });

  it('at batch 1, measures the bandwidth before the first timed block, every 2 s of calls, and after the last', async () => {
    const probes: string[] = [];
    const requests: ModelRequest[] = [];
    // 0.7 s calls, one a block: samples before calls 1, 4 (2.1 s since), 7 (2.1 s), and after the last (the 8th).
    const model1 = fakeModel({ seconds: () => 0.001, generate: (o) => generateTiming(0.5, [0.2 / (o.newTokens - 1)], o.newTokens), kvCacheBytes: 1 }, requests);
    let bandwidth = 1e9;
    const backend = backendOf(model1, 2, {
      measureMemoryBandwidth: async (device, options) => {
        probes.push(`${device} repeats ${options?.repeats} after ${requests.filter((q) => q.method === 'runGenerateCalls').length} calls`);
        return { device, bytesPerSecond: (bandwidth += 1e9), bufferBytes: 1 << 28, repeats: options?.repeats ?? 9 };
      },
    });
    const m = await measureCell(backend, job(model, { batchSize: 1, warmup: 1, minSamples: 8, minTimeS: 0, targetRelCi: 0, memory: false }));
    const timed = m.generation!.calls.length;
    assert.equal(timed, 8);
    // The warm-up takes 1 (+ up to 2 more while calls get faster: none here), then blocks of one 0.7 s call.
    const warm = m.generation!.warmup.length;
    assert.deepEqual(probes, [0, 3, 6, 8].map((n) => `cpu repeats 3 after ${warm + n} calls`));
    assert.deepEqual(m.generation!.bandwidthSamples, [2e9, 3e9, 4e9, 5e9]);
    // Batch 2 has no floor: nothing is measured; a backend that cannot measure leaves no samples.
    probes.length = 0;
    const batch2 = await measureCell(backend, job(model, { batchSize: 2, warmup: 1, minSamples: 2, minTimeS: 0, memory: false }));
    assert.deepEqual([probes, batch2.generation!.bandwidthSamples], [[], []]);
    const cannot = await measureCell(backendOf(model1, 2), job(model, { batchSize: 1, warmup: 1, minSamples: 2, minTimeS: 0, memory: false }));
    assert.deepEqual(cannot.generation!.bandwidthSamples, []);
  });

  it('samples on until TPOT and TTFT both meet the CI target', async () => {
    for (const noisy of ['steps', 'ttft'] as const) {
      let i = 0;
      const pattern = [0.9, 1.1, 1.0, 1.05, 0.95];
      const backend = generating((o) => {
        const f = pattern[i++ % pattern.length]!;
        return noisy === 'steps' ? generateTiming(ms(10), [ms(2 * f)], o.newTokens) : generateTiming(ms(10 * f), [ms(2)], o.newTokens);
      });
      const m = await measureCell(backend, job(model, { targetRelCi: 0.06, minTimeS: 0, maxTimeS: 5 }));
      assert.ok(m.samplesSeconds.length > 6, `${noisy}: more than the first block (${m.samplesSeconds.length} calls)`);
      assert.ok(generationRelCi(m.generation!.calls, 4) <= 0.06, `${noisy}: ${generationRelCi(m.generation!.calls, 4)}`);
    }
  });

  it('an unreachable CI target stops at maxTimeS; a wrong number of decode steps is an error', async () => {
    let i = 0;
    const backend = generating((o) => generateTiming(ms(10), [ms(i++ % 2 === 0 ? 2 : 6)], o.newTokens));
    const m = await measureCell(backend, job(model, { targetRelCi: 0.001, maxTimeS: 0.5, minTimeS: 0 }));
    const spent = m.samplesSeconds.reduce((a, b) => a + b, 0);
    assert.ok(spent >= 0.5 && spent < 0.5 + 0.028 + 1e-9, `spent ${spent}`);
    const short = generating(() => generateTiming(ms(10), [ms(2)], 3));
    await assert.rejects(measureCell(short, job(model)), /timed 2 decode steps of a call of 4 new tokens, not 3/);
  });
});

it('an isolated generate cell is measured in a worker as in this process', async () => {
  const run = (isolate: boolean) =>
    benchmark({ ...sweep, isolate, models: [tinyGpt2], batchSizes: [1], sequenceLengths: [8], newTokens: 3 }, { backend: fakeBackend(1e9) });
  const [inWorker, here] = await Promise.all([run(true), run(false)]);
  const figures = (r: CellRecord) => [r.status, r.generation!.ttftSeconds!.median, r.generation!.trace.stepSeconds, r.generation!.kvCache];
  assert.deepEqual(figures(inWorker.records[0]!), figures(here.records[0]!));
  assert.deepEqual(figures(here.records[0]!), ['ok', 0.001, Array(6).fill([0.00025, 0.00025]), { formulaBytes: 2 * 2 * 11 * 32 * 4, allocatedBytes: 4096 }]);
});

describe('cells a model cannot generate', () => {
  it('are skipped with the reason: an encoder-only model, a prompt and new tokens past the positions', async () => {
    const requests: ModelRequest[] = [];
    const backend = generating((o) => generateTiming(ms(10), [ms(2)], o.newTokens), requests);
    const results = await benchmark({ ...sweep, models: [tiny, tinyGpt2, tinyT5], batchSizes: [1], sequenceLengths: [16, 61], newTokens: 4 }, { backend });
    const status = (r: CellRecord) => `${r.model} ${r.sequenceLength}: ${r.status}${r.error ? ` ${r.error.code}` : ''}`;
    assert.deepEqual(results.records.map(status), [
      'tiny 16: skipped CANNOT_GENERATE',
      'tiny 61: skipped CANNOT_GENERATE',
      'tiny-gpt2 16: ok',
      'tiny-gpt2 61: skipped CANNOT_GENERATE',
      'tiny-t5 16: ok',
      'tiny-t5 61: ok',
    ]);
    const [bert, , , pastPositions, t5] = results.records;
    assert.equal(
      bert!.error!.message,
      'skipped: tiny cannot generate: bert is an encoder-only family: it has no decoder to generate with (generation runs model_type gpt2, llama, mistral, qwen2 and t5)',
    );
    assert.deepEqual(bert!.warnings, [bert!.error!.message]);
    assert.equal(bert!.efficiency.flopsPerCall, null, 'nothing to count');
    assert.match(pastPositions!.error!.message, /the model has 64 positions .*: a prompt of 61 tokens and 4 new tokens need 65$/);
    // T5: relative positions, no limit; its decode steps attend to the decoder's own positions from 2 on.
    assert.equal(t5!.generation!.trace.contextStart, 2);
    // 2 (K, V) · 1 decoder layer · batch 1 · (1 + 4 self + 16 cross) positions · 32 (4 heads × 8) · 4 bytes
    assert.equal(t5!.generation!.kvCache.formulaBytes, 2 * 1 * 1 * 21 * 32 * 4);
    // Nothing ran for the skipped cells: one memory call each for gpt2 at 16 and t5 at 16 and 61.
    assert.deepEqual(requests.filter((q) => q.method === 'measureGenerateMemory').map((q) => (q as GenerateCallOptions).promptLength), [16, 16, 61]);
    assert.equal(results.interrupted, false);
  });
});

describe('the plan', () => {
  it('puts generate cells after training, and sizes them by prompt and new tokens', () => {
    const cells = planCells({ models: ['a'], batchSizes: [2], sequenceLengths: [8], inference: true, training: true, generate: true });
    assert.deepEqual(cells.map((c) => c.mode), ['inference', 'training', 'generate']);
    assert.equal(cellSize(cells[2]!, 32), 2 * (8 + 32));
    assert.equal(cellSize(cells[0]!, 32), 16, 'newTokens is only for generate cells');
  });
});
