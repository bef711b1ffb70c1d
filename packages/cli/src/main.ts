// The tfbench command: a thin yargs layer over @tfbench/core with one top-level error handler.
// main(argv) returns the exit code (exit-codes.ts) so tests can drive it directly.
import yargs from 'yargs';
import { TfbenchError } from '@tfbench/core';
import { EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK } from './exit-codes.js';
import { withBenchmarkFlags } from './flags.js';
import { runCommand } from './commands/run.js';
import { envCommand } from './commands/env.js';
import { modelsCommand } from './commands/models.js';
import { checkCommand } from './commands/check.js';
import { compareCommand } from './commands/compare.js';
import { mergeCommand } from './commands/merge.js';
import { reportCommand } from './commands/report.js';
import type { Io } from './io.js';

function reportError(err: unknown, io: Io): number {
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

/** A command line yargs rejects (missing argument, unknown option): printed with a pointer to --help. */
class UsageError extends Error {}

export async function main(argv: string[], io: Io): Promise<number> {
  let exitCode = EXIT_OK;
  let usageError: string | null = null;
  const cli = yargs(joinDashValues(argv))
    .scriptName('tfbench')
    .usage('$0 <command> [options]\n\nBenchmark transformer models: speed and memory, inference and training, with libtorch.')
    .command(
      'run [args]',
      'Run a benchmark sweep (args.json, flags override it) and print the result tables',
      (y) => withBenchmarkFlags(y.positional('args', { describe: 'Path to an args.json file', type: 'string' }))
        .option('quiet', { type: 'boolean', describe: 'No progress line', group: 'Output:' })
        .option('format', {
          type: 'string',
          choices: ['default', 'hf'],
          default: 'default',
          describe: "Console tables: 'default' adds the CI, throughput, phases, TFLOP/s, MFU and allocator columns to Hugging Face's; 'hf' prints Hugging Face's columns exactly",
          group: 'Output:',
        }),
      async (a) => {
        exitCode = await runCommand(a as unknown as Record<string, unknown>, io);
      },
    )
    .command('env', 'Print the environment information block', (y) => y, async () => {
      exitCode = await envCommand(io);
    })
    .command('models', 'List the known model ids with their parameter counts', (y) => y, () => {
      exitCode = modelsCommand(io);
    })
    .command(
      'compare <base> <new>',
      'Compare two results files (--json of run) cell by cell: time ratio with a 95% interval and a verdict; exit 1 on a regression',
      (y) =>
        y
          .positional('base', { describe: 'The baseline results file', type: 'string', demandOption: true })
          .positional('new', { describe: 'The results file to judge', type: 'string', demandOption: true })
          .option('threshold', { type: 'number', default: 0.05, describe: 'A significantly slower cell regresses when new / base exceeds 1 + this' })
          .option('force', { type: 'boolean', default: false, describe: 'Compare cells measured on different devices or dtypes' })
          .option('json', { type: 'boolean', default: false, describe: 'Print the comparison as JSON' }),
      (a) => {
        exitCode = compareCommand({ base: a.base, next: a.new as string, threshold: a.threshold, force: a.force, json: a.json }, io);
      },
    )
    .command(
      'merge <files..>',
      'Join the results files of the shards of one sweep (run --shard i/n) into one, in the unsharded order; exit 2 on overlapping or mismatched runs',
      (y) =>
        y
          .positional('files', { describe: 'Results files (--json of run --shard i/n)', type: 'string', array: true, demandOption: true })
          .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'Where to write the merged results file; "-": stdout' }),
      (a) => {
        exitCode = mergeCommand({ files: a.files, output: a.output }, io);
      },
    )
    .command(
      'report <results>',
      'Write a self-contained HTML report of a results file (--json of run): charts of time and memory against sequence length and batch size, the records, the environment',
      (y) =>
        y
          .positional('results', { describe: 'The results file to report on', type: 'string', demandOption: true })
          .option('output', { alias: 'o', type: 'string', describe: 'Where to write the HTML page', defaultDescription: 'the results path with .html for .json' }),
      (a) => {
        exitCode = reportCommand({ results: a.results, output: a.output }, io);
      },
    )
    .command(
      'check <dir>',
      "Run a checkpoint directory on its expected.safetensors inputs and compare every stored tensor (exit 1 past the tolerance)",
      (y) =>
        y
          .positional('dir', { describe: 'Checkpoint directory: config.json, *.safetensors, expected.safetensors', type: 'string', demandOption: true })
          .option('device', { type: 'string', default: 'cpu', describe: 'cpu, cuda or cuda:N' })
          .option('json', { type: 'boolean', default: false, describe: 'Print the comparison as JSON' })
          .option('atol', { type: 'number', describe: "Absolute tolerance (default: the file's, else 1e-4)" })
          .option('rtol', { type: 'number', describe: "Relative tolerance (default: the file's, else 1e-4)" }),
      async (a) => {
        exitCode = await checkCommand({ dir: a.dir, device: a.device, json: a.json, atol: a.atol, rtol: a.rtol }, io);
      },
    )
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
    if (err instanceof UsageError) usageError = err.message;
    else return reportError(err, io);
  }
  if (usageError !== null) {
    io.stderr(`tfbench: ${usageError}\nRun \`tfbench --help\` or \`tfbench run --help\` for usage.\n`);
    return EXIT_BAD_INPUT;
  }
  return exitCode;
}
