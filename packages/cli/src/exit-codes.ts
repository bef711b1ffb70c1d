// Every exit code of the tfbench command, in one place (README.md lists them for users).

/** Everything asked for was done: every cell measured (or skipped after an OOM), no regression, files written. */
export const EXIT_OK = 0;
/** A cell failed (oom, error, timeout), compare found a regression, check found a difference, or the final
 * results file could not be written. */
export const EXIT_FAILED = 1;
/** Bad input: args, flags, models, files to read or write; nothing was run. */
export const EXIT_BAD_INPUT = 2;
/** Stopped by SIGINT (Ctrl-C), 128 + 2: what was measured is printed and written. */
export const EXIT_SIGINT = 130;
/** Stopped by SIGTERM, 128 + 15: what was measured is printed and written. */
export const EXIT_SIGTERM = 143;

/** The exit code of a run stopped by `signal`. */
export function exitCodeForSignal(signal: 'SIGINT' | 'SIGTERM'): ExitCode {
  return signal === 'SIGINT' ? EXIT_SIGINT : EXIT_SIGTERM;
}

/** What a command returns and the process exits with. */
export type ExitCode = typeof EXIT_OK | typeof EXIT_FAILED | typeof EXIT_BAD_INPUT | typeof EXIT_SIGINT | typeof EXIT_SIGTERM;
