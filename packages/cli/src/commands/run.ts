// tfbench run [args.json] [flags]: validate, run the sweep with a progress line, print the tables. The
// results files are core's ResultsFiles, rewritten after every cell. Ctrl-C or SIGTERM stops the sweep and
// still prints and writes what was measured (exit 130 or 143).
import { dirname, resolve } from 'node:path';
import {
  benchmark,
  cellName,
  environmentEntries,
  readArgsFile,
  renderEnvironment,
  renderBreakdowns,
  renderSections,
  resultsToJson,
  ResultsFiles,
  RESUME_KEPT_STATUSES,
  type ProgressEvent,
  type TableFormat,
  type WriteFailure,
} from '@tfbench/core';
import type { TfbenchCommand } from '../command.js';
import { EXIT_FAILED, EXIT_OK, exitCodeForSignal, type ExitCode } from '../exit-codes.js';
import { flagOverrides, withBenchmarkFlags } from '../flags.js';
import type { Io } from '../io.js';

/** run's own options, and every benchmark argument as a flag (flags.ts) under its camelCase name. */
export interface RunArgs {
  /** The args file's path. */
  args?: string;
  quiet?: boolean;
  format: string;
  [flag: string]: unknown;
}

export const runCommand: TfbenchCommand<RunArgs> = ({ io, exit }) => ({
  command: 'run [args]',
  describe: 'Run a benchmark sweep (args.json, flags override it) and print the result tables',
  builder: (y) =>
    withBenchmarkFlags(y.positional('args', { describe: 'Path to an args.json file', type: 'string' }))
      .option('quiet', { type: 'boolean', describe: 'No progress line', group: 'Output:' })
      .option('format', {
        type: 'string',
        choices: ['default', 'hf'],
        default: 'default',
        describe: "Console tables: 'default' adds the CI, throughput, phases, TFLOP/s, MFU and allocator columns to Hugging Face's; 'hf' prints Hugging Face's columns exactly",
        group: 'Output:',
      }),
  handler: async (a) => exit(await runSweep(a, io)),
});

/** "42s", "3m 05s", "1h 02m". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** The live line on a terminal: i/n, the cell, and once a cell has finished an ETA from the mean time per
 * cell so far. Nothing when stderr is not a terminal or with --quiet. */
export function progressLine(io: Io, quiet: boolean, now: () => number = () => performance.now() / 1000): (event: ProgressEvent) => void {
  if (quiet || !io.stderrIsTTY) return () => {};
  const started = now();
  return (event) => {
    if (event.type === 'cell-start') {
      const { cell } = event;
      const done = event.index;
      const eta = done > 0 ? ` · ETA ${formatDuration(((now() - started) / done) * (event.total - done))}` : '';
      io.stderr(`\r\x1b[2K[${done + 1}/${event.total}] ${cell.model} · batch ${cell.batchSize} · seq ${cell.sequenceLength} · ${cell.mode}${eta}`);
    } else if (event.type === 'cell-end' && event.index + 1 === event.total) {
      io.stderr('\r\x1b[2K');
    }
  };
}

/** Exit 1 when a cell failed or the final results could not be written; 130 or 143 when stopped by a signal. */
export async function runSweep(argv: RunArgs, io: Io): Promise<ExitCode> {
  const argsPath = typeof argv.args === 'string' ? resolve(argv.args) : null;
  const fileArgs = argsPath ? readArgsFile(argsPath) : {};

  // What goes to stderr besides the progress line: problems writing files, then after the tables the files
  // written, failed cells and notes. logPrint keeps all of it.
  const messages: string[] = [];
  const tell = (line: string) => {
    messages.push(line);
    io.stderr(line);
  };
  const lineStart = io.stderrIsTTY ? '\r\x1b[2K' : ''; // clears the progress line
  const files = new ResultsFiles({
    onWriteError: (f) =>
      tell(`${lineStart}tfbench: error: cannot write ${f.path}: ${f.reason}; ${keptText(f)}; trying again after the next cell\n`),
    onWriteRecovered: (path, records) => tell(`${lineStart}tfbench: ${path} written again (${records} cells)\n`),
  });

  // SIGINT (Ctrl-C) and SIGTERM (kill, a job scheduler) stop the sweep alike: the cell in progress is dropped,
  // the rest is printed and written. A second signal ends the process at once.
  const controller = new AbortController();
  let stoppedBy = null as StopSignal | null; // set in onSignal (not narrowed to null)
  const onSignal = (signal: StopSignal) => {
    stoppedBy = signal;
    io.stderr(`\n${lineStart}tfbench: interrupted by ${signal}; writing what was measured so far\n`);
    controller.abort();
  };
  for (const signal of STOP_SIGNALS) process.once(signal, onSignal);
  const progress = progressLine(io, argv.quiet === true);
  const warned = new Set<string>(); // said once before the first cell, so not again after each cell's record
  let results;
  try {
    results = await benchmark(fileArgs, {
      overrides: flagOverrides(argv),
      baseDir: argsPath ? dirname(argsPath) : process.cwd(),
      signal: controller.signal,
      onProgress: (event) => {
        // Said before the first cell, even with --quiet: it concerns every figure of the run.
        if (event.type === 'warning') {
          warned.add(event.message);
          tell(`tfbench: WARNING: ${event.message}\n`);
        }
        if (event.type === 'note') tell(`tfbench: note: ${event.message}\n`);
        if (event.type === 'plan' && event.resumed) tell(resumeLine(event.resumed, event.cells.length));
        progress(event);
      },
      sink: files,
    });
  } finally {
    for (const signal of STOP_SIGNALS) process.removeListener(signal, onSignal);
  }

  let out = '';
  const format: TableFormat = argv.format === 'hf' ? 'hf' : 'default';
  const tables = renderSections(results.records, format);
  if (tables) out += `${tables}\n`;
  const breakdowns = renderBreakdowns(results.records);
  if (breakdowns) out += `${breakdowns}\n`;
  if (results.args.envPrint) out += `${renderEnvironment(environmentEntries(results.environment))}\n`;
  // --json -: the results file goes to stdout, so the tables go to stderr.
  const jsonToStdout = results.args.json === '-';
  if (jsonToStdout) io.stderr(out);
  else io.stdout(out);
  if (jsonToStdout) io.stdout(resultsToJson(results));

  const written = new Set(files.written);
  const csvWritten = files.written.filter((path) => path !== files.jsonPath && path !== files.logPath);
  if (csvWritten.length > 0) tell(`tfbench: CSV written to ${csvWritten.join(', ')}\n`);
  if (files.jsonPath !== null && written.has(files.jsonPath)) tell(`tfbench: results written to ${files.jsonPath}\n`);
  for (const f of files.failures) tell(`tfbench: error: the final results could not be written to ${f.path}: ${f.reason}; ${keptText(f)}\n`);
  // A job array may have more shards than the sweep has cells: an empty share is no error, but say so.
  if (results.shard !== null && results.records.length === 0 && !results.interrupted) {
    tell(`tfbench: shard ${results.args.shard} has no cells (the sweep has fewer cells than shards): nothing to measure\n`);
  }
  for (const r of results.records) {
    const cell = cellName(r);
    if (r.status !== 'ok') tell(`tfbench: ${cell}: ${r.status}${r.error ? ` (${r.error.code}: ${r.error.message})` : ''}\n`);
    else for (const w of r.warnings) if (!warned.has(w)) tell(`tfbench: note: ${cell}: ${w}\n`);
  }
  if (files.logPath !== null) {
    const failure = files.writeLog(out + messages.join(''));
    io.stderr(failure ? `tfbench: error: cannot write the log to ${failure.path}: ${failure.reason}\n` : `tfbench: log written to ${files.logPath}\n`);
  }

  if (stoppedBy !== null && results.interrupted) return exitCodeForSignal(stoppedBy);
  if (files.failures.length > 0) return EXIT_FAILED;
  return results.records.every((r) => r.status === 'ok' || r.status === 'skipped') ? EXIT_OK : EXIT_FAILED;
}

const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;
type StopSignal = (typeof STOP_SIGNALS)[number];

/** "tfbench: resuming /out/r.json: 3 cells kept (ok, oom, skipped), 2 cells to measure". */
function resumeLine(resumed: { path: string; kept: number }, toMeasure: number): string {
  const cells = (n: number) => `${n} cell${n === 1 ? '' : 's'}`;
  return `tfbench: resuming ${resumed.path}: ${cells(resumed.kept)} kept (${RESUME_KEPT_STATUSES.join(', ')}), ${cells(toMeasure)} to measure\n`;
}

/** What a file that could not be written holds instead. */
function keptText(f: WriteFailure): string {
  if (f.recordsKept === null) return 'it was not written by this run';
  return `it keeps its previous version (${f.recordsKept} cell${f.recordsKept === 1 ? '' : 's'})`;
}
