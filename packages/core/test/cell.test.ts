// measureCell's sampling policy (run/sampling.ts), against a fake backend: warm-up and the memory call, timed
// blocks until minSamples and minTimeS are in, then more blocks while the median's 95% CI is wider than
// targetRelCi and maxTimeS is not spent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Backend } from '../src/backend/index.js';
import { measureCell, type CellJob } from '../src/run/cell.js';
import { summarize } from '../src/stats/summary.js';
import { normaliseConfig } from '../src/models/index.js';
import { WORKER_MALLOC_TUNABLES, workerEnvironment } from '../src/run/isolate.js';
import { backendOf, fakeModel, type ModelRequest } from './fake-backend.js';

/** A backend whose calls take `next()` seconds; records every request to the model. */
function fakeBackend(next: () => number): { backend: Backend; requests: ModelRequest[] } {
  const requests: ModelRequest[] = [];
  const backend = backendOf(fakeModel({ seconds: next }, requests), 1);
  return { backend, requests };
}

/** The timed blocks: the runCalls requests after the memory call. */
function timedBlocks(requests: ModelRequest[]): ModelRequest[] {
  const memory = requests.findIndex((r) => r.method === 'measureMemory');
  return requests.slice(memory + 1).filter((r) => r.method === 'runCalls');
}

function job(over: Partial<CellJob>): CellJob {
  return {
    backend: { id: 'fake' },
    model: 'tiny',
    batchSize: 2,
    sequenceLength: 8,
    mode: 'inference',
    spec: normaliseConfig({ model_type: 'bert', vocab_size: 99, hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 37 }),
    weightFiles: [],
    device: 'cpu',
    dtype: 'float32',
    seed: 1,
    threads: 2,
    warmup: 2,
    minSamples: 5,
    minTimeS: 0.1,
    maxTimeS: 1,
    targetRelCi: 0.01,
    trainStep: 'backward',
    speed: true,
    memory: true,
    ...over,
  };
}

test('steady calls stop after the first block', async () => {
  const { backend, requests } = fakeBackend(() => 2 ** -6); // exact in binary, so the sums are too
  const m = await measureCell(backend, job({ minTimeS: 2 ** -3 }));
  assert.equal(timedBlocks(requests).length, 1);
  assert.equal(m.samplesSeconds.length, 8); // minTimeS of 1/8 s in calls of 1/64 s
  assert.equal(m.threads, 2);
  assert.deepEqual(m.memory, { rssBeforeBytes: 100, rssPeakBytes: 150 });
});

test('noisy calls sample on until the CI target is met, without warm-up or memory again', async () => {
  let i = 0;
  const pattern = [0.009, 0.011, 0.010, 0.0105, 0.0095];
  const { backend, requests } = fakeBackend(() => pattern[i++ % pattern.length]!);
  const m = await measureCell(backend, job({ targetRelCi: 0.05 }));
  assert.ok(timedBlocks(requests).length > 1);
  assert.equal(requests.filter((r) => r.method === 'measureMemory').length, 1);
  assert.equal(m.warmupSeconds.length, requests.findIndex((r) => r.method === 'measureMemory'), 'warm-up calls come before the memory call only');
  assert.ok(summarize(m.samplesSeconds).relCiHalfWidth <= 0.05);
});

test('an unreachable CI target stops at maxTimeS', async () => {
  let i = 0;
  const { backend } = fakeBackend(() => (i++ % 2 === 0 ? 0.01 : 0.03));
  const m = await measureCell(backend, job({ targetRelCi: 0.001, maxTimeS: 0.5 }));
  const spent = m.samplesSeconds.reduce((a, b) => a + b, 0);
  assert.ok(spent >= 0.5 && spent < 0.5 + 0.03 + 1e-9, `spent ${spent}`);
});

test('targetRelCi 0 turns the continuation off', async () => {
  let i = 0;
  const { backend } = fakeBackend(() => (i++ % 2 === 0 ? 0.01 : 0.03));
  const m = await measureCell(backend, job({ targetRelCi: 0 }));
  // sampling ends with the first call past minTimeS (0.1 s), however wide the CI
  const spent = m.samplesSeconds.reduce((a, b) => a + b, 0);
  assert.ok(spent >= 0.1 && spent - m.samplesSeconds.at(-1)! < 0.1, `spent ${spent}`);
  assert.ok(summarize(m.samplesSeconds).relCiHalfWidth > 0.01);
});

test('the worker gets malloc settings that keep freed memory mapped; the user’s GLIBC_TUNABLES come after and win', () => {
  assert.equal(workerEnvironment({ PATH: '/bin' }).GLIBC_TUNABLES, WORKER_MALLOC_TUNABLES);
  assert.match(WORKER_MALLOC_TUNABLES, /arena_max=1.*mmap_max=0.*trim_threshold=/);
  const env = workerEnvironment({ PATH: '/bin', GLIBC_TUNABLES: 'glibc.malloc.arena_max=4' });
  assert.equal(env.GLIBC_TUNABLES, `${WORKER_MALLOC_TUNABLES}:glibc.malloc.arena_max=4`);
  assert.equal(env.PATH, '/bin');
});
