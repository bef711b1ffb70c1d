// Runs one cell in a fresh child process (worker.ts) and turns whatever happens to it into an outcome:
// a measurement, or a failure with a status (oom / error / timeout) and a message. Never throws for a failed cell.
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BackendRef } from '../backend/index.js';
import type { ProbeTarget, ThreadProbe } from '../env/threads.js';
import type { CellJob, CellMeasurement } from './cell.js';

/** What a worker is asked to do: measure one cell, or time thread counts (env/threads.ts) where cells run; each
 * names the backend to do it with (the cell in its job). */
export type WorkerTask = { type: 'cell'; job: CellJob } | { type: 'thread-probe'; backend: BackendRef; candidates: number[]; target: ProbeTarget };

export type WorkerMessage =
  | { type: 'result'; measurement: CellMeasurement }
  | { type: 'probe'; probe: ThreadProbe }
  | { type: 'failure'; error: { code: string; message: string } };

export type CellOutcome =
  | { ok: true; measurement: CellMeasurement }
  | { ok: false; status: 'oom' | 'error' | 'timeout'; error: { code: string; message: string } };

/** Kept from a child's stderr to explain a crash. */
const STDERR_TAIL_BYTES = 4096;

/** Node flags that register module hooks or preload modules, each followed by its value. */
const MODULE_HOOK_FLAGS = new Set(['--import', '--require', '-r', '--loader', '--experimental-loader']);

/** This process's module hooks as [flag, value] pairs: a worker started with them can import what this process
 * can, such as a backend module written in TypeScript while tests run under tsx. */
export function moduleHookFlags(execArgv: readonly string[] = process.execArgv): string[] {
  const flags: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i]!;
    const eq = arg.indexOf('=');
    if (eq > 0 && MODULE_HOOK_FLAGS.has(arg.slice(0, eq))) flags.push(arg.slice(0, eq), arg.slice(eq + 1));
    else if (MODULE_HOOK_FLAGS.has(arg) && i + 1 < execArgv.length) flags.push(arg, execArgv[++i]!);
  }
  return flags;
}

/** The worker's file (compiled, or the TypeScript source when this module runs from source) and its Node flags. */
function workerEntry(): { path: string; execArgv: string[] } {
  const hooks = moduleHookFlags();
  const js = fileURLToPath(new URL('./worker.js', import.meta.url));
  if (existsSync(js)) return { path: js, execArgv: hooks };
  // Running from TypeScript sources (tests under tsx): the worker needs tsx too.
  const withTsx = hooks.some((value, i) => i % 2 === 1 && value === 'tsx') ? hooks : [...hooks, '--import', 'tsx'];
  return { path: fileURLToPath(new URL('./worker.ts', import.meta.url)), execArgv: withTsx };
}

/**
 * glibc malloc settings for the worker (read at its start, so they must be in its environment): one arena, no
 * mmap'd chunks and no trimming, so memory a call frees stays mapped and the next call reuses it. Without
 * them every training step of bert-base (batch 8, sequence 128) first-touches ~860 MB of fresh pages (220k
 * page faults, ~0.6 s of kernel time in a 4.5 s step, and much of the step-to-step spread): big tensors are
 * mmap'd and unmapped per call, and a non-main arena cannot hold them. This is what a caching allocator does
 * on CUDA. Memory figures are unaffected: the measured call still starts from trimmed free memory
 * (measure_cpu_peak calls malloc_trim). Settings already in GLIBC_TUNABLES win.
 */
export const WORKER_MALLOC_TUNABLES = 'glibc.malloc.arena_max=1:glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=68719476736';

export function workerEnvironment(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const own = env.GLIBC_TUNABLES;
  return { ...env, GLIBC_TUNABLES: own ? `${WORKER_MALLOC_TUNABLES}:${own}` : WORKER_MALLOC_TUNABLES };
}

/** A thrown value as a failure: its stable `code` when it has one (the addon's OOM, BAD_INPUT, …), else ERROR. */
export function describeError(err: unknown): { code: string; message: string } {
  const code = (err as { code?: unknown } | null)?.code;
  return { code: typeof code === 'string' ? code : 'ERROR', message: err instanceof Error ? err.message : String(err) };
}

export function classifyFailure(error: { code: string; message: string }): CellOutcome {
  return { ok: false, status: error.code === 'OOM' ? 'oom' : 'error', error };
}

export interface IsolateOptions {
  /** The worker is killed (SIGKILL) after this many seconds: status timeout. */
  timeoutS: number;
  signal?: AbortSignal;
}

/** How a worker ended: the message it sent (if any), and else how it died. */
interface WorkerEnd {
  message: WorkerMessage | undefined;
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  aborted: boolean;
  /** "; stderr: …" with the last lines the worker wrote, or "". */
  stderrTail: string;
  /** The worker could not be started. */
  spawnError: string | null;
}

/** Forks a worker (worker.ts) with the cells' environment, sends it `task` and waits for it to end. */
function runWorker(task: WorkerTask, options: IsolateOptions): Promise<WorkerEnd> {
  const entry = workerEntry();
  return new Promise((resolve) => {
    const child = fork(entry.path, [], {
      execArgv: entry.execArgv,
      env: workerEnvironment(),
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    let stderrTail = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderrTail = (stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
    });
    let message: WorkerMessage | undefined;
    let timedOut = false;
    let aborted = false;
    child.on('message', (m: WorkerMessage) => (message = m));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutS * 1000);
    const onAbort = () => {
      aborted = true;
      child.kill('SIGKILL');
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });

    const finish = (end: Omit<WorkerEnd, 'message' | 'timedOut' | 'aborted' | 'stderrTail'>) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      const tail = stderrTail.trim() ? `; stderr: ${stderrTail.trim().split('\n').slice(-5).join(' | ')}` : '';
      resolve({ ...end, message, timedOut, aborted, stderrTail: tail });
    };
    child.on('error', (err) => {
      // Also emitted when sending the task fails because the worker has already died: its 'exit' says why.
      if (child.pid === undefined) finish({ code: null, signal: null, spawnError: err.message });
    });
    child.on('exit', (code, signal) => finish({ code, signal, spawnError: null }));
    child.send(task);
  });
}

export async function runIsolated(job: CellJob, options: IsolateOptions): Promise<CellOutcome> {
  const end = await runWorker({ type: 'cell', job }, options);
  const { message, stderrTail: tail } = end;
  if (end.spawnError !== null) return { ok: false, status: 'error', error: { code: 'SPAWN', message: `could not start a worker: ${end.spawnError}` } };
  if (message?.type === 'result') return { ok: true, measurement: message.measurement };
  if (message?.type === 'failure') return classifyFailure(message.error);
  if (end.aborted) return { ok: false, status: 'error', error: { code: 'INTERRUPTED', message: 'interrupted' } };
  if (end.timedOut) {
    return { ok: false, status: 'timeout', error: { code: 'TIMEOUT', message: `the cell ran past ${options.timeoutS} s and was stopped${tail}` } };
  }
  if (end.signal === 'SIGKILL') {
    return {
      ok: false,
      status: 'oom',
      error: { code: 'SIGKILL', message: `the worker was killed by SIGKILL (most likely the kernel's out-of-memory killer)${tail}` },
    };
  }
  return {
    ok: false,
    status: 'error',
    error: {
      code: end.signal ?? `EXIT_${end.code}`,
      message: `the worker ${end.signal ? `died of ${end.signal}` : `exited with code ${end.code}`} before reporting${tail}`,
    },
  };
}

/** The thread probe in a worker, so that it runs in the process setup the cells run in (their malloc settings:
 * in a process without them, fresh pages on every call made 2 threads look twice as slow as they were). */
export async function probeThreadsIsolated(backend: BackendRef, candidates: number[], target: ProbeTarget, options: IsolateOptions): Promise<ThreadProbe> {
  const end = await runWorker({ type: 'thread-probe', backend, candidates, target }, options);
  if (end.message?.type === 'probe') return end.message.probe;
  if (end.message?.type === 'failure') throw new Error(end.message.error.message);
  if (end.spawnError !== null) throw new Error(`could not start a worker: ${end.spawnError}`);
  const how = end.timedOut ? `ran past ${options.timeoutS} s` : end.signal ? `died of ${end.signal}` : `exited with code ${end.code}`;
  throw new Error(`the probe's worker ${how}${end.stderrTail}`);
}
