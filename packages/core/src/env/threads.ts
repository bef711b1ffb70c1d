// The intra-op thread count a sweep runs with when --threads is not given, from the BLAS this process has
// actually loaded and, where no fixed rule can know, from a short measurement at start-up.
//
// Why a measurement: on a 2-core VM whose second vCPU sometimes straggles, libtorch's OpenMP team of 2 made
// bert-base batch 8 at sequence 8 take 0.31-0.37 s against 0.18-0.19 s with 1 thread, while in a quiet spell
// the same 2 threads gave 0.107 s; at sequence 128 the two were within noise in both spells. A rule fixed in
// advance is wrong in one spell or the other; timing both counts on the sweep's own model is right in both.
import type { Backend, BlasInfo, DType } from '../backend/index.js';
import { layerStacks, type ModelSpec } from '../models/index.js';
import { median } from '../stats/summary.js';

export type ThreadRule =
  /** --threads / args.threads */
  | 'pinned'
  /** OMP_NUM_THREADS or MKL_NUM_THREADS set: libtorch's default follows it */
  | 'environment'
  /** a CUDA device: the CPU only launches work; one thread per physical core, as libtorch would */
  | 'cuda'
  /** one physical core: nothing to choose */
  | 'one core'
  /** the backend runs a fixed number of threads (TensorFlow.js's wasm and cpu backends: one) */
  | 'backend'
  /** a BLAS with a thread pool of its own (pthreads OpenBLAS): libtorch keeps 1 thread beside it */
  | 'blas pool'
  /** measured at start-up: the faster of 1 thread and one per physical core */
  | 'probe'
  /** no probe was run (tfbench env) or it failed: one per physical core */
  | 'default'
  /** --resume: the count of the run being resumed, so that its records and the new ones agree */
  | 'resumed';

export interface ThreadProbe {
  /** The model probed: the sweep's first, cut to one layer without its head. */
  model: string;
  /** The sweep's smallest and largest shape (the largest scaled down when one call would be slow). */
  shapes: Array<{ batchSize: number; sequenceLength: number }>;
  /** Per thread count: for each shape, the median seconds of each block of calls (alternating rounds), and the
   * score, the geometric mean over shapes of its median over the best median (1 = fastest everywhere). */
  candidates: Array<{ threads: number; seconds: number[][]; score: number }>;
}

export interface ThreadChoice {
  threads: number;
  rule: ThreadRule;
  /** Why, in one line (the environment block's threads_choice). */
  reason: string;
  probe: ThreadProbe | null;
}

/** What the BLAS loaded says of itself, in the environment block's words: "OpenBLAS (OpenMP)". */
export function blasDescription(blas: BlasInfo): string | null {
  const threading = { openmp: 'OpenMP', pthreads: 'pthreads', serial: 'serial' } as const;
  switch (blas.vendor) {
    case null:
      return null;
    case 'reference':
      return 'reference BLAS (slow: install libopenblas0-openmp)';
    default:
      return blas.threading ? `${blas.vendor} (${threading[blas.threading]})` : blas.vendor;
  }
}

/** The threads the BLAS runs one product on: libtorch's own count when it shares libtorch's OpenMP team. */
export function blasThreads(blas: BlasInfo, torchThreads: number): number | null {
  if (blas.threading === 'openmp') return torchThreads;
  if (blas.threading === 'serial') return 1;
  return blas.threads;
}

/** Warnings a CPU measurement carries about its BLAS and threads: printed on stderr and kept in each record. */
export function threadWarnings(blas: BlasInfo, choice: ThreadChoice): string[] {
  const warnings: string[] = [];
  if (blas.vendor === 'reference') {
    warnings.push(
      `the BLAS loaded is Debian's reference BLAS (${blas.library}), ~35x slower than OpenBLAS for these models: ` +
        'these times are not what the hardware can do (sudo apt-get install libopenblas0-openmp, or sh scripts/setup-system.sh)',
    );
  }
  const pool = blas.threading === 'pthreads' ? blas.threads : null;
  if (pool !== null && pool > 1 && choice.threads > 1) {
    warnings.push(
      `two thread pools share the cores: libtorch's ${choice.threads} OpenMP threads and OpenBLAS's own ${pool} pthreads ` +
        `(${blas.library}); this ran several times slower here than 1 libtorch thread (leave --threads out, or make ` +
        'the OpenMP build active: sh scripts/setup-system.sh)',
    );
  }
  return warnings;
}

export interface ThreadContext {
  /** args.threads: null when not given. */
  pinned: number | null;
  device: string;
  blas: BlasInfo;
  /** The backend's own default: one thread per physical core this process may run on, or OMP_NUM_THREADS. */
  backendDefault: number;
  /** Why the backend runs a fixed number of threads (BackendLimits.threads): then backendDefault it is. */
  fixed?: string;
  env?: NodeJS.ProcessEnv;
}

/** The choice a fixed rule makes, or the thread counts a probe must decide between. */
export function threadRule(context: ThreadContext): ThreadChoice | { rule: 'probe'; candidates: number[] } {
  const { pinned, device, blas, backendDefault } = context;
  const env = context.env ?? process.env;
  const fixed = (threads: number, rule: ThreadRule, reason: string): ThreadChoice => ({ threads, rule, reason, probe: null });
  if (context.fixed !== undefined) return fixed(backendDefault, 'backend', context.fixed);
  if (pinned !== null) return fixed(pinned, 'pinned', 'set by --threads');
  const variable = ['OMP_NUM_THREADS', 'MKL_NUM_THREADS'].find((name) => env[name] !== undefined && env[name] !== '');
  if (variable) return fixed(backendDefault, 'environment', `${variable}=${env[variable]}`);
  if (device.startsWith('cuda')) return fixed(backendDefault, 'cuda', 'one per physical core (the GPU does the work)');
  if (blas.threading === 'pthreads' && (blas.threads ?? 2) > 1) {
    return fixed(
      1,
      'blas pool',
      `OpenBLAS runs its own pool of ${blas.threads ?? 'several'} pthreads for matrix products: libtorch keeps 1 thread so that two pools do not share the cores`,
    );
  }
  if (backendDefault <= 1) return fixed(1, 'one core', 'one physical core');
  return { rule: 'probe', candidates: [1, backendDefault] };
}

/** A resumed sweep keeps the thread count its file was measured with (not pinned: a new probe could differ). */
export function resumedChoice(previous: { threads: number; threadsChoice?: Omit<ThreadChoice, 'threads'> }, path: string): ThreadChoice {
  const how = previous.threadsChoice ? ` (${previous.threadsChoice.rule}: ${previous.threadsChoice.reason})` : '';
  return { threads: previous.threads, rule: 'resumed', reason: `as in ${path}${how}`, probe: previous.threadsChoice?.probe ?? null };
}

/** The sweep's first model and shapes, for the probe. */
export interface ProbeTarget {
  model: string;
  spec: ModelSpec;
  dtype: DType;
  shapes: Array<{ batchSize: number; sequenceLength: number }>;
}

/** A probe call is kept under this; a larger shape is scaled down (batch first) to fit. */
const PROBE_CALL_SECONDS = 0.3;
/** Rounds of one block per candidate: at least 2, up to 4 while the shape's share of the budget lasts. */
const PROBE_ROUNDS = { min: 2, max: 4 };
/** Timed calls in one block (after its untimed first call). */
const PROBE_BLOCK = 3;
const PROBE_BUDGET_SECONDS = 4;
/** Scores this close count as a tie, which the fewer threads win (less exposed to a straggling core). */
const PROBE_TIE = 0.03;

/** Runs the probe: in this process by default; benchmark() runs it in a worker process, as cells run. */
export type ProbeRunner = (candidates: number[], target: ProbeTarget) => Promise<ThreadProbe>;

export async function chooseThreads(
  backend: Backend,
  context: ThreadContext,
  target: ProbeTarget | null,
  runProbe: ProbeRunner = (candidates, t) => probeThreads(backend, candidates, t),
): Promise<ThreadChoice> {
  const rule = threadRule(context);
  if (!('candidates' in rule)) return rule;
  const fallback = (reason: string): ThreadChoice => ({ threads: context.backendDefault, rule: 'default', reason, probe: null });
  if (target === null) {
    return fallback(`one per physical core; a CPU sweep times 1 and ${context.backendDefault} threads on its first model at start-up and keeps the faster`);
  }
  try {
    const probe = await runProbe(rule.candidates, target);
    const best = probe.candidates.reduce((a, b) => (b.score < a.score * (1 - PROBE_TIE) ? b : a));
    const figures = probe.candidates
      .map((c) => `${c.threads} thread${c.threads === 1 ? '' : 's'}: ${c.seconds.map((s) => `${(median(s) * 1000).toPrecision(3)} ms`).join(' / ')}`)
      .join('; ');
    const shapes = probe.shapes.map((s) => `${s.batchSize}x${s.sequenceLength}`).join(' / ');
    return {
      threads: best.threads,
      rule: 'probe',
      reason: `the faster at start-up on one layer of ${probe.model} at batch x seq ${shapes} (${figures})`,
      probe,
    };
  } catch (err) {
    return fallback(`one per physical core (the start-up probe failed: ${err instanceof Error ? err.message : String(err)})`);
  } finally {
    backend.setThreads(context.backendDefault);
  }
}

/** One layer of the model and no head: the per-layer mix of matrix products and small ops is the model's own. */
function oneLayer(spec: ModelSpec): ModelSpec {
  const stacks = layerStacks(spec);
  return { ...stacks.withDepths(spec, stacks.depths(spec).map(() => 1)), head: 'base' } as ModelSpec;
}

/**
 * Times each candidate thread count on one layer of the target model at each shape, in rounds of one block per
 * count (an untimed call, then PROBE_BLOCK timed ones), alternating which count goes first. `seconds` keeps each
 * block's median. Leaves the backend at the last count tried.
 */
export async function probeThreads(backend: Backend, candidates: number[], target: ProbeTarget): Promise<ThreadProbe> {
  const model = await backend.buildModel(oneLayer(target.spec), { device: 'cpu', dtype: target.dtype, seed: 0 });
  // One block: switch to `threads`, one untimed call (a count just switched to starts cold: its OpenMP team has
  // to wake, which made 2 threads look 2.5x slower than they were when single calls alternated), then the median
  // of PROBE_BLOCK timed calls back to back, as a cell takes them.
  const block = async (threads: number, shape: { batchSize: number; sequenceLength: number }, samples = PROBE_BLOCK) => {
    backend.setThreads(threads);
    const call = { mode: 'inference', ...shape, seed: 0 } as const;
    await model.runCalls({ ...call, calls: 1 });
    return median((await model.runCalls({ ...call, calls: samples })).seconds);
  };
  const shapes: ThreadProbe['shapes'] = [];
  const seconds = candidates.map(() => [] as number[][]);
  for (const wanted of target.shapes) {
    let shape = { ...wanted };
    // Scale the shape down while one call is too slow (the first call also pays the first-touch costs).
    let one = await block(candidates[0]!, shape, 1);
    while (one > PROBE_CALL_SECONDS && shape.batchSize * shape.sequenceLength > 1) {
      const factor = PROBE_CALL_SECONDS / one;
      shape =
        shape.batchSize > 1
          ? { ...shape, batchSize: Math.max(1, Math.floor(shape.batchSize * factor)) }
          : { ...shape, sequenceLength: Math.max(1, Math.floor(shape.sequenceLength * factor)) };
      one = await block(candidates[0]!, shape, 1);
    }
    if (shapes.some((s) => s.batchSize === shape.batchSize && s.sequenceLength === shape.sequenceLength)) continue;
    shapes.push(shape);
    const perShape = candidates.map(() => [] as number[]);
    const started = performance.now();
    for (let round = 0; round < PROBE_ROUNDS.max; round++) {
      if (round >= PROBE_ROUNDS.min && (performance.now() - started) / 1000 > PROBE_BUDGET_SECONDS / target.shapes.length) break;
      // Alternate the order each round, so that neither count always runs right after the other.
      const order = round % 2 === 0 ? candidates.map((_, i) => i) : candidates.map((_, i) => candidates.length - 1 - i);
      for (const i of order) perShape[i]!.push(await block(candidates[i]!, shape));
    }
    perShape.forEach((s, i) => seconds[i]!.push(s));
  }
  const medians = seconds.map((perShape) => perShape.map(median));
  const scores = medians.map((m) => Math.exp(m.reduce((sum, t, shape) => sum + Math.log(t / Math.min(...medians.map((c) => c[shape]!))), 0) / m.length));
  return {
    model: target.model,
    shapes,
    candidates: candidates.map((threads, i) => ({ threads, seconds: seconds[i]!, score: scores[i]! })),
  };
}
