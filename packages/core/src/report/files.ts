// The files a run writes as it measures: the JSON results file (`json`; with `resume` and no `json`, the file
// resumed), the CSV files with saveToCsv, and the log with logPrint. benchmark() hands this sink the results
// after every cell and once at the end; each file is rewritten atomically (atomic.ts), so a crash or kill of
// the process loses at most the cell in progress, and a failed write (a full disk) keeps the file's previous
// version, reports it once and is tried again after the next cell.
import { resolve } from 'node:path';
import type { ArgKey, BenchmarkArgs } from '../args/definitions.js';
import { environmentEntries } from '../env/index.js';
import { ArgsError } from '../errors.js';
import type { BenchmarkResults, ResultsSink } from './results.js';
import { writeFileAtomic, unwritableReason } from './atomic.js';
import { csvFiles, csvFileArgs } from './csv.js';
import { resultsToJson } from './json.js';

/** A write that failed: the file holds what its last good write put there. */
export interface WriteFailure {
  path: string;
  /** The system's reason: "ENOSPC: no space left on device, write". */
  reason: string;
  /** Records in the file from its last good write in this run; null: this run has not written it yet. */
  recordsKept: number | null;
}

export interface ResultsFilesOptions {
  /** A write of a file failed. Called once when a file starts failing, not again for each later failed
   * write of it until one succeeds. */
  onWriteError?: (failure: WriteFailure) => void;
  /** A file whose writes had failed was written again, now holding `records` records. */
  onWriteRecovered?: (path: string, records: number) => void;
}

/** The JSON results path an args set names: `json` (else the `resume` file) under outputDir; null for none or
 * "-" (stdout, which cannot be rewritten). */
export function resultsJsonPath(args: Pick<BenchmarkArgs, 'json' | 'resume' | 'outputDir'>): string | null {
  const json = args.json ?? args.resume;
  return json === null || json === '-' ? null : resolve(args.outputDir, json);
}

interface FileState {
  /** Records in the file after its last good write; null before the first. */
  written: number | null;
  failure: WriteFailure | null;
}

export class ResultsFiles implements ResultsSink {
  private readonly options: ResultsFilesOptions;
  private args: BenchmarkArgs | null = null;
  private readonly state = new Map<string, FileState>();

  constructor(options: ResultsFilesOptions = {}) {
    this.options = options;
  }

  /** The JSON results file (absolute), or null when the args name none (or "-"). Known after open(). */
  get jsonPath(): string | null {
    return this.args ? resultsJsonPath(this.args) : null;
  }

  /** The log file (absolute) when logPrint, else null. Known after open(). */
  get logPath(): string | null {
    return this.args?.logPrint ? resolve(this.args.outputDir, this.args.logFilename) : null;
  }

  /** Every file the args name, with the argument that names it. */
  private namedFiles(args: BenchmarkArgs): Array<{ key: ArgKey; path: string }> {
    const files: Array<{ key: ArgKey; path: string }> = [];
    const json = resultsJsonPath(args);
    if (json !== null) files.push({ key: args.json !== null ? 'json' : 'resume', path: json });
    if (args.saveToCsv) files.push(...csvFileArgs().map((key) => ({ key, path: resolve(args.outputDir, args[key]) })));
    if (args.logPrint) files.push({ key: 'logFilename', path: resolve(args.outputDir, args.logFilename) });
    return files;
  }

  /** Before anything is measured: every file the args name must be writable (its directory is created).
   * Throws an ArgsError naming each one that is not, keyed by the argument that names it. */
  open(args: BenchmarkArgs): void {
    const problems = this.namedFiles(args).flatMap(({ key, path }) => {
      const reason = unwritableReason(path);
      return reason === null ? [] : [{ path: key, message: `cannot write ${path}: ${reason}` }];
    });
    if (problems.length > 0) {
      throw new ArgsError(problems, 'Point outputDir (and json, the CSV and log names) at a writable directory with free space; nothing was measured.');
    }
    this.args = args;
  }

  /** Rewrites the JSON and CSV files with `results`. Never throws for a failed write: see failures. */
  async write(results: BenchmarkResults): Promise<void> {
    if (!this.args) throw new Error('ResultsFiles.write before open');
    const json = this.jsonPath;
    if (json !== null) this.writeOne(json, resultsToJson(results), results.records.length);
    if (this.args.saveToCsv) {
      for (const file of await csvFiles(results.records, environmentEntries(results.environment), this.args)) {
        this.writeOne(file.path, file.text, results.records.length);
      }
    }
  }

  /** Writes the log (logPrint) once, at the end: the failure (also in failures, not passed to onWriteError,
   * as there is no next try), or null. */
  writeLog(text: string): WriteFailure | null {
    const path = this.logPath;
    return path === null || this.writeOne(path, text, null, false) ? null : this.state.get(path)!.failure;
  }

  /** The files whose latest write failed: each holds an earlier state of the results, or does not exist. */
  get failures(): WriteFailure[] {
    return [...this.state.values()].flatMap((s) => (s.failure ? [s.failure] : []));
  }

  /** The files whose latest write succeeded, in the order first written (JSON first). */
  get written(): string[] {
    return [...this.state.entries()].filter(([, s]) => s.failure === null).map(([path]) => path);
  }

  private writeOne(path: string, text: string, records: number | null, report = true): boolean {
    const state = this.state.get(path) ?? { written: null, failure: null };
    this.state.set(path, state);
    try {
      writeFileAtomic(path, text);
    } catch (err) {
      const failedBefore = state.failure !== null;
      state.failure = { path, reason: (err as Error).message, recordsKept: state.written };
      if (!failedBefore && report) this.options.onWriteError?.(state.failure);
      return false;
    }
    const recovered = state.failure !== null;
    state.failure = null;
    state.written = records ?? 0;
    if (recovered) this.options.onWriteRecovered?.(path, state.written);
    return true;
  }
}
