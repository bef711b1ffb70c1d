// resume: continue the sweep of a results file. The file must come from a run of the same sweep (merge's
// runDisagreements: version, args, device, dtype), and its records of the cells it measured are kept; the
// cells it lacks or that failed in a way another try may not repeat are measured again.
import { resolve } from 'node:path';
import type { ArgKey, BenchmarkArgs } from '../args/definitions.js';
import { ArgsError } from '../errors.js';
import { readResultsJson } from '../report/json.js';
import { MERGE_IGNORED_ARGS, listed, runDisagreements } from '../report/merge.js';
import { cellName, type BenchmarkResults, type Cell, type CellRecord, type CellStatus } from '../report/results.js';

/** Records a resumed sweep keeps: a measurement (ok), or a failure another try would repeat (out of memory,
 * and the larger cells skipped after it). Cells with status error or timeout are measured again (a crash or a
 * hang may be the machine's, and cellTimeoutS may have been raised), as are the cells the file lacks (those
 * not reached, and the one in progress when the run was stopped or killed). */
export const RESUME_KEPT_STATUSES: readonly CellStatus[] = ['ok', 'oom', 'skipped'];

/** What may differ from the resumed run: merge's list (the output settings, cellTimeoutS) but the shard,
 * which must be the same share of the sweep. */
const RESUME_IGNORED_ARGS: readonly ArgKey[] = MERGE_IGNORED_ARGS.filter((key) => key !== 'shard');

/** The resume file (args.resume under outputDir, as json is) and its contents; a missing or foreign file is a
 * TfbenchError (exit 2). */
export function readResumeFile(args: Pick<BenchmarkArgs, 'resume' | 'outputDir'>): { path: string; previous: BenchmarkResults } | null {
  if (args.resume === null) return null;
  const path = resolve(args.outputDir, args.resume);
  return { path, previous: readResultsJson(path) };
}

/**
 * The records of `previous` (read from `path`) that this run keeps, by cellName. Throws an ArgsError, one
 * problem per difference, when `previous` is not a run of this run's sweep, or holds cells it does not plan.
 */
export function keptRecords(
  previous: BenchmarkResults,
  path: string,
  current: Pick<BenchmarkResults, 'tool' | 'args' | 'environment'>,
  cells: readonly Cell[],
): Map<string, CellRecord> {
  const { problems } = runDisagreements([previous, current], [path, 'this run'], RESUME_IGNORED_ARGS);
  if (problems.length === 0) {
    const planned = new Set(cells.map(cellName));
    const outside = previous.records.map(cellName).filter((name) => !planned.has(name));
    if (outside.length > 0) problems.push(`${path} holds ${outside.length} cell(s) that this run does not plan: ${listed(outside)}`);
  }
  if (problems.length > 0) {
    throw new ArgsError(
      problems.map((message) => ({ path: 'resume', message })),
      `Resume with the args (file and flags) of the run that wrote ${path}, on the same device, or run without --resume.`,
    );
  }
  const kept = new Map<string, CellRecord>();
  for (const record of previous.records) {
    if (RESUME_KEPT_STATUSES.includes(record.status) && !kept.has(cellName(record))) kept.set(cellName(record), record);
  }
  return kept;
}
