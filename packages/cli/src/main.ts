// The tfbench command: a thin yargs layer over @tfbench/core, one CommandModule per file in commands/, and one
// top-level error handler. main(argv) returns the exit code (exit-codes.ts) so tests can drive it directly.
import yargs from 'yargs';
import { TfbenchError } from '@tfbench/core';
import type { CommandContext } from './command.js';
import { checkCommand } from './commands/check.js';
import { compareCommand } from './commands/compare.js';
import { envCommand } from './commands/env.js';
import { mergeCommand } from './commands/merge.js';
import { modelsCommand } from './commands/models.js';
import { reportCommand } from './commands/report.js';
import { runCommand } from './commands/run.js';
import { EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, type ExitCode } from './exit-codes.js';
import type { Io } from './io.js';

/** A command line yargs rejects (missing argument, unknown option). */
class UsageError extends Error {}

/** The top-level error handler: a usage error with a pointer to --help, a known error (a TfbenchError, or the
 * addon loader's coded error) as its message and hint, both exit 2; anything else is a bug, exit 1. */
function reportError(err: unknown, io: Io): ExitCode {
  if (err instanceof UsageError) {
    io.stderr(`tfbench: ${err.message}\nRun \`tfbench --help\` or \`tfbench run --help\` for usage.\n`);
    return EXIT_BAD_INPUT;
  }
  if (err instanceof TfbenchError || isCodedError(err)) {
    const e = err as Error & { code: string; hint?: string };
    const lines = e.message.split('\n');
    io.stderr(`tfbench: ${lines.length > 1 ? `${e.code === 'BAD_ARGS' ? 'bad arguments' : 'error'}:\n  ${lines.join('\n  ')}` : lines[0]}\n`);
    if (e.hint) io.stderr(`hint: ${e.hint}\n`);
    return EXIT_BAD_INPUT;
  }
  const e = err instanceof Error ? err : new Error(String(err));
  io.stderr(`tfbench: unexpected error: ${e.stack ?? e.message}\nThis is a bug in tfbench: please report it with the command you ran.\n`);
  return EXIT_FAILED;
}

/** Errors that carry a code and a hint without being TfbenchErrors (the addon loader's). */
function isCodedError(err: unknown): boolean {
  return err instanceof Error && typeof (err as { code?: unknown }).code === 'string' && typeof (err as { hint?: unknown }).hint === 'string';
}

/** Options whose value may be "-" (stdout), by the long name they are joined under. */
const DASH_VALUE_OPTIONS = new Map([
  ['--json', '--json'],
  ['--output', '--output'],
  ['-o', '--output'],
]);

/** yargs reads a lone "-" as a positional, not as an option's value: "--json -" becomes "--json=-",
 * "-o -" "--output=-". */
export function joinDashValues(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const option = DASH_VALUE_OPTIONS.get(argv[i]!);
    if (option !== undefined && argv[i + 1] === '-') {
      out.push(`${option}=-`);
      i++;
    } else {
      out.push(argv[i]!);
    }
  }
  return out;
}

export async function main(argv: string[], io: Io): Promise<ExitCode> {
  let exitCode: ExitCode = EXIT_OK;
  const context: CommandContext = { io, exit: (code) => (exitCode = code) };
  const cli = yargs(joinDashValues(argv))
    .scriptName('tfbench')
    .usage('$0 <command> [options]\n\nBenchmark transformer models: speed and memory, inference and training, with libtorch.')
    .command(runCommand(context))
    .command(envCommand(context))
    .command(modelsCommand(context))
    .command(compareCommand(context))
    .command(mergeCommand(context))
    .command(reportCommand(context))
    .command(checkCommand(context))
    .demandCommand(1, 'Name a command: run, compare, merge, report, check, env or models.')
    .strict()
    .help()
    .alias('help', 'h')
    .version(false)
    .wrap(Math.min(120, process.stdout.columns ?? 100))
    .exitProcess(false)
    .fail((message, err) => {
      if (err) throw err;
      // Thrown, not returned: when fail returns, yargs goes on to run the command's handler without the
      // missing argument (`tfbench merge a.json` with no -o).
      throw new UsageError(message);
    });
  try {
    await cli.parseAsync();
  } catch (err) {
    return reportError(err, io);
  }
  return exitCode;
}
