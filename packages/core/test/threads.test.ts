// The thread default (env/threads.ts): the rule each BLAS gets, the warnings, and the start-up probe against a
// fake backend whose call times depend on the thread count; then the real addon's account of its BLAS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Backend, BlasInfo } from '../src/backend/index.js';
import { LIBTORCH_BACKEND, libtorchBackend } from '../src/backend/index.js';
import { detectBlas, environmentEntries } from '../src/env/index.js';
import { blasDescription, blasThreads, chooseThreads, threadRule, threadWarnings, type ThreadChoice } from '../src/env/threads.js';
import { normaliseConfig } from '../src/models/index.js';
import { median } from '../src/stats/summary.js';
import { benchmark } from '../src/run/benchmark.js';
import { probeThreadsIsolated } from '../src/run/isolate.js';
import { backendOf, fakeModel } from './fake-backend.js';
import { cpuEnvironment } from './records.js';

const openmp: BlasInfo = { library: '/usr/lib/x86_64-linux-gnu/openblas-openmp/libopenblasp-r0.3.21.so', vendor: 'OpenBLAS', threading: 'openmp', threads: 2, config: null };
const pthreads: BlasInfo = { ...openmp, library: '/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblasp-r0.3.21.so', threading: 'pthreads', threads: 8 };
const reference: BlasInfo = { library: '/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0', vendor: 'reference', threading: 'serial', threads: null, config: null };
const cpu = { pinned: null, device: 'cpu', backendDefault: 8, env: {} };

test('the rule: pinned, OMP_NUM_THREADS, CUDA and one core are fixed; a pthreads BLAS pool keeps libtorch at 1; else a probe of 1 vs the cores', () => {
  const fixed = (choice: ReturnType<typeof threadRule>) => ('candidates' in choice ? choice : [choice.threads, choice.rule]);
  assert.deepEqual(fixed(threadRule({ ...cpu, blas: pthreads, pinned: 3 })), [3, 'pinned']);
  assert.deepEqual(fixed(threadRule({ ...cpu, blas: openmp, env: { OMP_NUM_THREADS: '4' } })), [8, 'environment']);
  assert.deepEqual(fixed(threadRule({ ...cpu, blas: openmp, device: 'cuda:0' })), [8, 'cuda']);
  assert.deepEqual(fixed(threadRule({ ...cpu, blas: openmp, backendDefault: 1 })), [1, 'one core']);
  const pool = threadRule({ ...cpu, blas: pthreads });
  assert.deepEqual(fixed(pool), [1, 'blas pool']);
  assert.match((pool as ThreadChoice).reason, /OpenBLAS runs its own pool of 8 pthreads .*libtorch keeps 1 thread/);
  // OPENBLAS_NUM_THREADS=1 makes the pthreads build a serial one: nothing is stacked.
  assert.deepEqual(threadRule({ ...cpu, blas: { ...pthreads, threads: 1 } }), { rule: 'probe', candidates: [1, 8] });
  assert.deepEqual(threadRule({ ...cpu, blas: openmp }), { rule: 'probe', candidates: [1, 8] });
  assert.deepEqual(threadRule({ ...cpu, blas: reference }), { rule: 'probe', candidates: [1, 8] });
});

test('the BLAS is named as it describes itself, and its threads per product follow libtorch only when it shares its OpenMP team', () => {
  assert.equal(blasDescription(openmp), 'OpenBLAS (OpenMP)');
  assert.equal(blasDescription(pthreads), 'OpenBLAS (pthreads)');
  assert.equal(blasDescription(reference), 'reference BLAS (slow: install libopenblas0-openmp)');
  assert.equal(blasDescription({ ...openmp, vendor: null }), null);
  assert.deepEqual([blasThreads(openmp, 3), blasThreads(pthreads, 1), blasThreads(reference, 4)], [3, 8, 1]);
});

test('a reference BLAS and two stacked pools are warned about, with the library and what to do', () => {
  const choice = (threads: number): ThreadChoice => ({ threads, rule: 'pinned', reason: '', probe: null });
  const [slow] = threadWarnings(reference, choice(2));
  assert.match(slow!, /Debian's reference BLAS \(\/usr\/lib\/x86_64-linux-gnu\/blas\/libblas\.so\.3\.11\.0\), ~35x slower than OpenBLAS/);
  assert.match(slow!, /apt-get install libopenblas0-openmp/);
  const [stacked] = threadWarnings(pthreads, choice(2));
  assert.match(stacked!, /two thread pools share the cores: libtorch's 2 OpenMP threads and OpenBLAS's own 8 pthreads/);
  assert.deepEqual(threadWarnings(pthreads, choice(1)), []);
  assert.deepEqual(threadWarnings(openmp, choice(8)), []);
});

/** A backend whose call at `threads` and batch × seq tokens takes `seconds(threads, tokens)`. */
function timedBackend(seconds: (threads: number, tokens: number) => number) {
  const calls: Array<{ threads: number; batchSize: number; sequenceLength: number; calls: number }> = [];
  const built: unknown[] = [];
  const model = fakeModel({ seconds: (o) => seconds(backend.getThreads(), o.batchSize * o.sequenceLength) });
  const runCalls = model.runCalls;
  model.runCalls = async (o) => {
    calls.push({ threads: backend.getThreads(), batchSize: o.batchSize, sequenceLength: o.sequenceLength, calls: o.calls });
    return runCalls(o);
  };
  const backend: Backend = backendOf(model, 8, {
    blasInfo: () => openmp,
    buildModel: async (spec) => {
      built.push(spec);
      return model;
    },
  });
  return { backend, calls, built, threads: () => backend.getThreads() };
}

const bert = normaliseConfig({ model_type: 'bert', architectures: ['BertForMaskedLM'], hidden_size: 64, num_attention_heads: 4, intermediate_size: 128 });
const target = { model: 'bert-64', spec: bert, dtype: 'float32' as const, shapes: [{ batchSize: 8, sequenceLength: 8 }, { batchSize: 8, sequenceLength: 128 }] };

test('the probe times 1 and N threads on one layer of the first model, in alternating rounds of blocks, and keeps the faster', async () => {
  // A straggling core: 8 threads are 3x slower on small calls and only 10% faster on large ones.
  const fake = timedBackend((t, tokens) => (tokens <= 64 ? (t === 1 ? 0.002 : 0.006) : t === 1 ? 0.1 : 0.09));
  const choice = await chooseThreads(fake.backend, { ...cpu, blas: openmp }, target);
  assert.equal(choice.threads, 1);
  assert.equal(choice.rule, 'probe');
  assert.match(choice.reason, /one layer of bert-64 at batch x seq 8x8 \/ 8x128 \(1 thread: 2\.00 ms \/ 100 ms; 8 threads: 6\.00 ms \/ 90\.0 ms\)/);
  const spec = fake.built[0] as Record<string, unknown>;
  assert.deepEqual([spec.num_hidden_layers, spec.head, spec.hidden_size], [1, 'base', 64]);
  const probe = choice.probe!;
  assert.deepEqual(probe.candidates.map((c) => c.threads), [1, 8]);
  // score: geometric mean over the shapes of median / best median
  assert.ok(Math.abs(probe.candidates[0]!.score - Math.sqrt(1 * (0.1 / 0.09))) < 1e-12);
  assert.ok(Math.abs(probe.candidates[1]!.score - Math.sqrt(3 * 1)) < 1e-12);
  // Each shape: rounds of one block per count (an untimed call, then 3 timed), alternating which count goes first.
  const blocks = fake.calls.filter((c) => c.calls === 3 && c.sequenceLength === 8);
  assert.ok(
    fake.calls.every((c, i) => c.calls !== 3 || (fake.calls[i - 1]?.calls === 1 && fake.calls[i - 1]?.threads === c.threads)),
    'each timed block follows one untimed call at its thread count',
  );
  assert.deepEqual(blocks.map((c) => c.threads).slice(0, 4), [1, 8, 8, 1]);
  assert.ok(probe.candidates.every((c) => c.seconds.every((s) => s.length >= 2 && s.length <= 4)));
  assert.equal(fake.threads(), 8, 'the backend is left at its default; the cells get the choice explicitly');

  // Steady cores: 8 threads 3x faster everywhere.
  const steady = await chooseThreads(timedBackend((t) => (t === 1 ? 0.03 : 0.01)).backend, { ...cpu, blas: openmp }, target);
  assert.equal(steady.threads, 8);
  // Within 3% counts as a tie, which the fewer threads win.
  const tie = await chooseThreads(timedBackend((t) => (t === 1 ? 0.0102 : 0.01)).backend, { ...cpu, blas: openmp }, target);
  assert.equal(tie.threads, 1);
});

test('a probe call that would be slow is scaled down, batch first; a failed probe falls back to the cores, saying why', async () => {
  const fake = timedBackend((t, tokens) => tokens * 0.001); // 8x128 would take 1 s
  const choice = await chooseThreads(fake.backend, { ...cpu, blas: openmp }, { ...target, shapes: [{ batchSize: 8, sequenceLength: 128 }] });
  assert.ok(choice.probe!.shapes[0]!.batchSize * 128 * 0.001 <= 0.3, JSON.stringify(choice.probe!.shapes));
  assert.equal(choice.probe!.shapes[0]!.sequenceLength, 128);
  const broken = timedBackend(() => 0.01);
  broken.backend.buildModel = async () => {
    throw new Error('cannot allocate');
  };
  const failed = await chooseThreads(broken.backend, { ...cpu, blas: openmp }, target);
  assert.deepEqual([failed.threads, failed.rule], [8, 'default']);
  assert.match(failed.reason, /the start-up probe failed: cannot allocate/);
});

test('the environment block says which BLAS, its threads per product and how the thread count was chosen', () => {
  const rows = Object.fromEntries(environmentEntries(cpuEnvironment({
    blas: 'OpenBLAS (pthreads)',
    blasThreading: 'pthreads',
    blasThreads: 8,
    threads: 1,
    threadsChoice: { rule: 'blas pool', reason: 'OpenBLAS runs its own pool of 8 pthreads', probe: null },
  })));
  assert.equal(rows.blas, 'OpenBLAS (pthreads)');
  assert.equal(rows.blas_threads, 8);
  assert.equal(rows.threads, 1);
  assert.equal(rows.threads_choice, 'blas pool: OpenBLAS runs its own pool of 8 pthreads');
});

test("the addon's account of its BLAS agrees with the library mapped into this process", () => {
  const blas = libtorchBackend().blasInfo();
  const maps = readFileSync('/proc/self/maps', 'utf8');
  if (blas.library === null) {
    assert.equal(blas.vendor, null);
    return;
  }
  const mapped = new Set(maps.split('\n').filter((l) => l.includes('/')).map((l) => realpathSync(l.slice(l.indexOf('/')).trim())));
  assert.ok(mapped.has(blas.library), `${blas.library} is not mapped`);
  // Debian's alternatives name each OpenBLAS build's directory after its threading.
  const byPath = detectBlas(maps);
  if (/\((OpenMP|pthreads|serial)\)/.test(byPath)) assert.equal(blasDescription(blas), byPath);
  if (blas.vendor === 'OpenBLAS') assert.ok(blas.threads !== null && blas.threads >= 1);
});

test('a sweep on a reference BLAS says so before the first cell and in every record; the records carry the BLAS threads', async () => {
  const fake = timedBackend(() => 0.01);
  fake.backend.blasInfo = () => reference;
  const events: string[] = [];
  const results = await benchmark(
    { models: [{ name: 'bert-64', config: { model_type: 'bert', hidden_size: 64, num_attention_heads: 4, intermediate_size: 128 } }], batchSizes: [1], sequenceLengths: [8, 16], device: 'cpu', isolate: false, minSamples: 3, minTimeS: 0, targetRelCi: 0 },
    { backend: fake.backend, onProgress: (e) => events.push(e.type === 'warning' ? `warning: ${e.message}` : e.type) },
  );
  assert.equal(events[0]!.split(':')[0], 'warning');
  assert.match(events[0]!, /reference BLAS .*~35x slower/);
  assert.equal(events[1], 'plan');
  assert.equal(results.environment.threadsChoice.rule, 'probe');
  assert.equal(results.environment.blasThreads, 1);
  for (const r of results.records) {
    assert.equal(r.status, 'ok');
    assert.match(r.warnings[0]!, /reference BLAS/);
    assert.deepEqual([r.threads, r.blasThreads], [results.environment.threads, 1]);
  }
});

test('a resumed sweep keeps the thread count of the file it resumes instead of probing again', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tfbench-threads-'));
  const sweep = { models: [{ name: 'bert-64', config: { model_type: 'bert', hidden_size: 64, num_attention_heads: 4, intermediate_size: 128 } }], batchSizes: [1], sequenceLengths: [8, 16], device: 'cpu', isolate: false, minSamples: 3, minTimeS: 0, targetRelCi: 0, outputDir: dir };
  const first = await benchmark(sweep, { backend: timedBackend((t) => (t === 1 ? 0.01 : 0.03)).backend });
  assert.deepEqual([first.environment.threads, first.environment.threadsChoice.rule], [1, 'probe']);
  writeFileSync(join(dir, 'r.json'), JSON.stringify({ ...first, interrupted: true, records: first.records.slice(0, 1) }));
  // Now 8 threads would win a probe; the resumed run still measures with 1, and says why.
  const resumed = await benchmark({ ...sweep, resume: 'r.json' }, { backend: timedBackend((t) => (t === 1 ? 0.03 : 0.01)).backend });
  assert.equal(resumed.environment.threads, 1);
  assert.equal(resumed.environment.threadsChoice.rule, 'resumed');
  assert.match(resumed.environment.threadsChoice.reason, /^as in .*r\.json \(probe: the faster at start-up/);
  assert.deepEqual(resumed.records.map((r) => r.threads), [1, 1]);
});

test('the probe runs in a worker process, as isolated cells do, and brings its timings back', async () => {
  const tiny = normaliseConfig({ model_type: 'bert', architectures: ['BertForMaskedLM'], vocab_size: 99, hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 37 });
  const probe = await probeThreadsIsolated(LIBTORCH_BACKEND, [1, 2], { model: 'tiny', spec: tiny, dtype: 'float32', shapes: [{ batchSize: 1, sequenceLength: 8 }, { batchSize: 2, sequenceLength: 16 }] }, { timeoutS: 120 });
  assert.equal(probe.model, 'tiny');
  assert.deepEqual(probe.shapes, [{ batchSize: 1, sequenceLength: 8 }, { batchSize: 2, sequenceLength: 16 }]);
  assert.deepEqual(probe.candidates.map((c) => c.threads), [1, 2]);
  for (const c of probe.candidates) {
    assert.equal(c.seconds.length, 2);
    assert.ok(c.seconds.every((blocks) => blocks.length >= 2 && blocks.every((s) => s > 0)), JSON.stringify(c.seconds));
  }
  // score: the geometric mean over shapes of the candidate's median over the best median at that shape (so 1 only
  // for a candidate fastest at every shape; with two shapes, each may win one).
  const medians = probe.candidates.map((c) => c.seconds.map((blocks) => median(blocks)));
  probe.candidates.forEach((c, i) => {
    const logs = medians[i]!.map((m, shape) => Math.log(m / Math.min(...medians.map((other) => other[shape]!))));
    const expected = Math.exp(logs.reduce((a, b) => a + b, 0) / logs.length);
    assert.ok(Math.abs(c.score - expected) < 1e-12 && c.score >= 1, `${c.score} vs ${expected}`);
  });
  // A model the worker cannot build: the probe's error comes back with the worker's message.
  await assert.rejects(
    probeThreadsIsolated(LIBTORCH_BACKEND, [1, 2], { model: 'bad', spec: { ...tiny, hidden_size: 30 }, dtype: 'float32', shapes: [{ batchSize: 1, sequenceLength: 8 }] }, { timeoutS: 120 }),
    /hidden_size|head|divis/i,
  );
});
