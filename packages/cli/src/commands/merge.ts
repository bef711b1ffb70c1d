// tfbench merge <files..> -o <out>: join the results files of the shards of one sweep (run --shard i/n on
// many hosts) into the file the unsharded run would have written. Refusals (overlapping cells, different
// args, devices or splits) are exit 2 with one line per problem, from the top-level error handler.
import { resolve } from 'node:path';
import {
  TfbenchError,
  describeShard,
  mergeResults,
  missingShards,
  readResultsJson,
  resultsToJson,
  writeResultsJson,
  type BenchmarkResults,
} from '@tfbench/core';
import type { TfbenchCommand } from '../command.js';
import { EXIT_OK, type ExitCode } from '../exit-codes.js';
import type { Io } from '../io.js';

export interface MergeArgs {
  files: string[];
  /** The merged file's path; "-": stdout. */
  output: string;
}

/** Reads every file, reporting every unreadable one (not only the first) in one error. */
function readAll(files: readonly string[]): BenchmarkResults[] {
  const results: BenchmarkResults[] = [];
  const failures: TfbenchError[] = [];
  for (const file of files) {
    try {
      results.push(readResultsJson(file));
    } catch (err) {
      if (!(err instanceof TfbenchError)) throw err;
      failures.push(err);
    }
  }
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) {
    throw new TfbenchError(failures.map((f) => f.message).join('\n'), { code: 'BAD_RESULTS', hint: failures[0]!.hint });
  }
  return results;
}

export const mergeCommand: TfbenchCommand<MergeArgs> = ({ io, exit }) => ({
  command: 'merge <files..>',
  describe: 'Join the results files of the shards of one sweep (run --shard i/n) into one, in the unsharded order; exit 2 on overlapping or mismatched runs',
  builder: (y) =>
    y
      .positional('files', { describe: 'Results files (--json of run --shard i/n)', type: 'string', array: true, demandOption: true })
      .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'Where to write the merged results file; "-": stdout' }),
  handler: (a) => exit(merge(a, io)),
});

/** Exit 0 once written: a refusal is a MergeError, exit 2 from main's error handler. */
export function merge(a: MergeArgs, io: Io): ExitCode {
  const inputs = readAll(a.files);
  const merged = mergeResults(inputs, { names: a.files });

  let destination: string;
  if (a.output === '-') {
    io.stdout(resultsToJson(merged));
    destination = 'stdout';
  } else {
    destination = resolve(a.output);
    writeResultsJson(merged, destination);
  }
  const held = merged.shard === null ? 'the whole sweep' : describeShard(merged.shard);
  const cells = `${merged.records.length} cell${merged.records.length === 1 ? '' : 's'}`;
  io.stderr(`tfbench: merged ${a.files.length} file${a.files.length === 1 ? '' : 's'} (${held}, ${cells}) into ${destination}\n`);

  const missing = missingShards(merged.shard);
  if (missing.length > 0) {
    const which = missing.length === 1 ? `shard ${missing[0]} of ${merged.shard!.count} is` : `shards ${missing.join(', ')} of ${merged.shard!.count} are`;
    io.stderr(`tfbench: note: ${which} missing: merge them in for the whole sweep\n`);
  }
  inputs.forEach((input, i) => {
    if (input.interrupted) io.stderr(`tfbench: note: ${a.files[i]} was interrupted: the cells it did not reach are missing\n`);
  });
  const differences = merged.merged?.environmentDifferences ?? [];
  if (differences.length > 0) {
    io.stderr(`tfbench: note: the inputs ran in different environments; the merged file keeps ${a.files[0]}'s and lists the differences under merged.environmentDifferences:\n`);
    for (const line of differences) io.stderr(`  ${line}\n`);
  }
  return EXIT_OK;
}
