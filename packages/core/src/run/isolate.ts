// Runs one cell in a fresh child process (worker.ts) and turns whatever happens to it into an outcome:
// a measurement, or a failure with a status (oom / error / timeout) and a message. Never throws for a failed cell.
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CellJob, CellMeasurement } from './cell.js';

export type WorkerMessage =
  | { type: 'result'; measurement: CellMeasurement }
  | { type: 'failure'; error: { code: string; message: string } };

export type CellOutcome =
  | { ok: true; measurement: CellMeasurement }
  | { ok: false; status: 'oom' | 'error' | 'timeout'; error: { code: string; message: string } };

/** Kept from a child's stderr to explain a crash. */
const STDERR_TAIL_BYTES = 4096;

function workerEntry(): { path: string; execArgv: string[] } {
  const js = fileURLToPath(new URL('./worker.js', import.meta.url));
  if (existsSync(js)) return { path: js, execArgv: [] };
  // Running from TypeScript sources (tests under tsx): the child needs the same loader.
  return { path: fileURLToPath(new URL('./worker.ts', import.meta.url)), execArgv: ['--import', 'tsx'] };
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

export function runIsolated(job: CellJob, options: IsolateOptions): Promise<CellOutcome> {
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

    const finish = (outcome: CellOutcome) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve(outcome);
    };
    child.on('error', (err) => {
      // Also emitted when sending the job fails because the worker has already died: its 'exit' says why.
      if (child.pid === undefined) {
        finish({ ok: false, status: 'error', error: { code: 'SPAWN', message: `could not start a worker: ${err.message}` } });
      }
    });
    child.on('exit', (code, signal) => {
      if (message?.type === 'result') return finish({ ok: true, measurement: message.measurement });
      if (message?.type === 'failure') return finish(classifyFailure(message.error));
      const tail = stderrTail.trim() ? `; stderr: ${stderrTail.trim().split('\n').slice(-5).join(' | ')}` : '';
      if (aborted) return finish({ ok: false, status: 'error', error: { code: 'INTERRUPTED', message: 'interrupted' } });
      if (timedOut) {
        return finish({
          ok: false,
          status: 'timeout',
          error: { code: 'TIMEOUT', message: `the cell ran past ${options.timeoutS} s and was stopped${tail}` },
        });
      }
      if (signal === 'SIGKILL') {
        return finish({
          ok: false,
          status: 'oom',
          error: { code: 'SIGKILL', message: `the worker was killed by SIGKILL (most likely the kernel's out-of-memory killer)${tail}` },
        });
      }
      const code_ = signal ?? `EXIT_${code}`;
      finish({
        ok: false,
        status: 'error',
        error: { code: code_, message: `the worker ${signal ? `died of ${signal}` : `exited with code ${code}`} before reporting${tail}` },
      });
    });
    child.send(job);
  });
}
