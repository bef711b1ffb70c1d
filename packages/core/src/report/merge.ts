// tfbench merge: join the results files of the shards of one sweep (`--shard i/n` on n machines) into the
// file the unsharded run would have written: same args, same records in the same (planned) order.
// Merging refuses anything that would make the joined file claim what was not measured that way: a cell
// measured twice, different arguments, different devices or dtypes, shards of different splits.
import { ARG_DEFINITIONS, type ArgDefinition, type ArgKey } from '../args/definitions.js';
import { formatShard } from '../args/shard.js';
import type { EnvironmentInfo } from '../env/index.js';
import { TfbenchError, formatValue } from '../errors.js';
import { modelName } from '../models/ref.js';
import { planCells, shardAssignment } from '../run/plan.js';
import { cellName, RESULTS_SCHEMA_VERSION, type BenchmarkResults, type MergedFrom, type ResultsShard } from './results.js';

export interface MergeOptions {
  /** A name per input (its file path), used in problems and in `merged.sources`; default "input 1", … */
  names?: readonly string[];
}

/** Merging was refused: one line per problem in `problems` (and in the message). */
export class MergeError extends TfbenchError {
  readonly problems: string[];

  constructor(problems: string[]) {
    super(problems.join('\n'), {
      code: 'BAD_RESULTS',
      hint: 'Merge the JSON files of the shards of one sweep: the same args file run with --shard 1/n … n/n, each shard once, on the same kind of device.',
    });
    this.name = 'MergeError';
    this.problems = problems;
  }
}

/** Arguments that may differ between shards: which share ran, when a hung cell is given up on, and where and
 * how results were written. Everything else (models, grid, device, dtype, timing, seed, isolation, …) changes
 * what is measured. */
export const MERGE_IGNORED_ARGS: readonly ArgKey[] = ARG_DEFINITIONS.filter(
  (d) => d.key === 'shard' || d.key === 'cellTimeoutS' || d.group === 'Output',
).map((d) => d.key);

/** Environment fields that are expected to differ between runs, so not worth a note: the clock, the thread
 * probe's figures (the count it chose, `threads`, is compared) and the memory bandwidth measured at start-up. */
const PER_RUN_ENVIRONMENT_FIELDS = new Set([
  'date', 'time', 'threadsChoice', 'memoryBandwidth', 'memoryBandwidthReason',
]);

/**
 * Where runs whose records are to be joined into one file (merge, resume) disagree on what was measured and
 * how: the tfbench version, any argument but `ignoredArgs`, the device (cpu / cuda:N, and the CPU or GPU model)
 * and the dtype. One line per difference (`args differ in batchSizes: [1] in a.json; [1, 2] in b.json`);
 * argsAgree: the arguments alone agree.
 */
export function runDisagreements(
  runs: ReadonlyArray<Pick<BenchmarkResults, 'tool' | 'args' | 'environment'>>,
  names: readonly string[],
  ignoredArgs: readonly ArgKey[],
): { problems: string[]; argsAgree: boolean } {
  const problems: string[] = [];
  const add = (problem: string | null) => void (problem !== null && problems.push(problem));
  add(disagreement('made by different tfbench versions', runs.map((r) => r.tool.version), names));
  const beforeArgs = problems.length;
  // A file older than an argument lacks it: it ran with the argument's default (generate: false, …).
  const argValue = (args: BenchmarkResults['args'], d: ArgDefinition) =>
    args === null || typeof args !== 'object' ? undefined : d.key in args ? args[d.key] : d.default;
  for (const d of ARG_DEFINITIONS.filter((d) => !ignoredArgs.includes(d.key))) {
    add(disagreement(`args differ in ${d.key}`, runs.map((r) => argValue(r.args, d)), names));
  }
  const argsAgree = problems.length === beforeArgs;

  const environments = runs.map((r) => r.environment);
  const deviceProblem = disagreement('measured on different devices', environments.map((e) => e.device), names, String);
  add(deviceProblem);
  if (deviceProblem === null) add(disagreement('measured on different hardware', environments.map(deviceModel), names));
  add(disagreement('measured in different dtypes', environments.map((e) => e.dtype), names, String));
  return { problems, argsAgree };
}

/** Cells named in one problem line before "… and N more". */
const CELLS_LISTED = 5;

/** "shard 2/4", "shards 1, 3 of 4", "every cell" (no shard). */
export function describeShard(shard: ResultsShard | null): string {
  if (shard === null) return 'every cell';
  if (shard.indices.length === 1) return `shard ${formatShard({ index: shard.indices[0]!, count: shard.count })}`;
  return `shards ${shard.indices.join(', ')} of ${shard.count}`;
}

/** The shards of `count` that `shard` lacks (none for null: it holds every cell). */
export function missingShards(shard: ResultsShard | null): number[] {
  if (shard === null) return [];
  const held = new Set(shard.indices);
  return Array.from({ length: shard.count }, (_, i) => i + 1).filter((i) => !held.has(i));
}

/** "a; b; c" or "a; b; c; d; e and 7 more". */
export function listed(items: readonly string[]): string {
  const shown = items.slice(0, CELLS_LISTED).join('; ');
  return items.length > CELLS_LISTED ? `${shown} and ${items.length - CELLS_LISTED} more` : shown;
}

/** "a.json", "a.json and b.json", "a.json, b.json and c.json". */
function andList(names: readonly string[]): string {
  return names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/** When the inputs disagree on a value: `<what>: <value> in a.json; <other value> in b.json`; else null. */
function disagreement(what: string, values: readonly unknown[], names: readonly string[], show = (v: unknown) => formatValue(v, 120)): string | null {
  const groups = new Map<string, { value: unknown; names: string[] }>();
  values.forEach((value, i) => {
    const key = JSON.stringify(value) ?? 'undefined';
    const group = groups.get(key) ?? { value, names: [] };
    group.names.push(names[i]!);
    groups.set(key, group);
  });
  if (groups.size <= 1) return null;
  return `${what}: ${[...groups.values()].map((g) => `${show(g.value)} in ${andList(g.names)}`).join('; ')}`;
}

/** The model of the device that did the work: the CPU's on CPU, the first GPU's on CUDA (the one MFU uses). */
function deviceModel(environment: EnvironmentInfo): string {
  return environment.device === 'cpu' ? environment.cpuModel : (environment.gpus[0]?.name ?? 'an unnamed GPU');
}

/** Names made unique: a file given twice is "a.json (input 1)" and "a.json (input 2)". */
function uniqueNames(count: number, names: readonly string[] | undefined): string[] {
  const given = Array.from({ length: count }, (_, i) => names?.[i] ?? `input ${i + 1}`);
  return given.map((name, i) => (given.indexOf(name) !== given.lastIndexOf(name) ? `${name} (input ${i + 1})` : name));
}

/**
 * Joins results files of shards of one sweep. The records come out in the order the unsharded run would
 * have measured them, so merging every shard gives the unsharded run's file (times aside). The merged
 * `shard` is null when every shard of the split is present, else it lists the shards held; `args.shard` is
 * null; `environment` is the first input's, and `merged` names the inputs and every environment field in
 * which they differ (another host, driver or library version).
 *
 * Throws MergeError, listing every problem, when inputs:
 * - use a results schema of another major version;
 * - disagree in runDisagreements: tfbench version, any argument but MERGE_IGNORED_ARGS, device, hardware, dtype;
 * - split the sweep into different numbers of shards, or hold the same shard twice;
 * - hold the same cell (model, batch, sequence, mode) twice;
 * - hold a cell that is not in their args' sweep, or not in their shard (a file from another sweep,
 *   another shard rule, or edited by hand).
 */
export function mergeResults(inputs: readonly BenchmarkResults[], options: MergeOptions = {}): BenchmarkResults {
  if (inputs.length === 0) throw new MergeError(['nothing to merge: give at least one results file']);
  const names = uniqueNames(inputs.length, options.names);

  // A file this version cannot read makes every other check meaningless: stop at it.
  const ourMajor = Number(RESULTS_SCHEMA_VERSION.split('.')[0]);
  const unreadable = inputs.flatMap((input, i) => {
    const major = Number(String(input.schemaVersion).split('.')[0]);
    if (major === ourMajor) return [];
    return major > ourMajor
      ? [`${names[i]}: results schema ${input.schemaVersion} is newer than this tfbench reads (${RESULTS_SCHEMA_VERSION}); upgrade tfbench`]
      : [`${names[i]}: results schema ${String(input.schemaVersion)} is not one this tfbench reads (${RESULTS_SCHEMA_VERSION})`];
  });
  if (unreadable.length > 0) throw new MergeError(unreadable);

  const problems: string[] = [];
  const add = (problem: string | null) => void (problem !== null && problems.push(problem));

  const runs = runDisagreements(inputs, names, MERGE_IGNORED_ARGS);
  problems.push(...runs.problems);
  const argsAgree = runs.argsAgree;
  const environments = inputs.map((r) => r.environment);

  // A file without a shard holds every cell: one shard of one.
  const shards: ResultsShard[] = inputs.map((r) => r.shard ?? { count: 1, indices: [1] });
  const count = shards[0]!.count;
  const sameSplit = shards.every((s) => s.count === count);
  if (!sameSplit) {
    add(`the files split the sweep into different numbers of shards: ${inputs.map((r, i) => `${describeShard(r.shard ?? null)} in ${names[i]}`).join('; ')}`);
  } else {
    for (let index = 1; index <= count; index++) {
      const holders = names.filter((_, i) => shards[i]!.indices.includes(index));
      if (holders.length > 1) {
        add(count === 1 ? `${andList(holders)} each hold every cell of the sweep` : `${andList(holders)} each hold shard ${index}/${count}`);
      }
    }
  }

  // Every cell once: a cell in two files was measured twice, and one of the two would be silently lost.
  const holderOf = new Map<string, number>();
  const overlaps = new Map<string, { first: number; second: number; cells: string[] }>();
  inputs.forEach((input, i) => {
    for (const record of input.records) {
      const key = cellName(record);
      const first = holderOf.get(key);
      if (first === undefined) {
        holderOf.set(key, i);
        continue;
      }
      const pair = `${first} ${i}`;
      const overlap = overlaps.get(pair) ?? { first, second: i, cells: [] };
      overlap.cells.push(key);
      overlaps.set(pair, overlap);
    }
  });
  for (const { first, second, cells } of overlaps.values()) {
    const what = cells.length === 1 ? '1 cell' : `${cells.length} cells`;
    add(
      first === second
        ? `${names[first]} holds ${what} twice: ${listed(cells)}`
        : `${names[first]} and ${names[second]} overlap in ${what}: ${listed(cells)}`,
    );
  }

  // The sweep the args describe fixes the order of the merged records, and which shard each cell is in.
  const args = inputs[0]!.args;
  const describesSweep =
    args !== null && typeof args === 'object' && [args.models, args.batchSizes, args.sequenceLengths].every(Array.isArray);
  if (argsAgree && !describesSweep) add(`${names[0]}: its args do not describe a sweep (models, batchSizes, sequenceLengths)`);
  const plan = argsAgree && describesSweep ? planCells({ ...args, models: args.models.map(modelName) }) : [];
  const positionOf = new Map(plan.map((cell, position) => [cellName(cell), position]));
  if (argsAgree && describesSweep) {
    const shardOf = shardAssignment(plan, count, args.newTokens ?? 0);
    inputs.forEach((input, i) => {
      const outside: string[] = [];
      const misplaced: string[] = [];
      for (const record of input.records) {
        const position = positionOf.get(cellName(record));
        if (position === undefined) outside.push(cellName(record));
        else if (sameSplit && !shards[i]!.indices.includes(shardOf[position]!)) misplaced.push(cellName(record));
      }
      if (outside.length > 0) add(`${names[i]} holds ${outside.length} cell(s) that its args do not plan: ${listed(outside)}`);
      if (misplaced.length > 0) {
        add(`${names[i]} holds ${misplaced.length} cell(s) that are not in its ${describeShard(input.shard ?? null)}: ${listed(misplaced)}`);
      }
    });
  }

  if (problems.length > 0) throw new MergeError(problems);

  const records = inputs
    .flatMap((input) => input.records)
    .sort((a, b) => positionOf.get(cellName(a))! - positionOf.get(cellName(b))!);
  const held = [...new Set(shards.flatMap((s) => s.indices))].sort((a, b) => a - b);
  const shard: ResultsShard | null = held.length === count ? null : { count, indices: held };
  const time = (iso: string) => Date.parse(iso);
  const merged: MergedFrom = {
    sources: inputs.map((input, i) => ({
      name: names[i]!,
      shard: input.shard ?? null,
      records: input.records.length,
      startedAt: input.startedAt,
      finishedAt: input.finishedAt,
    })),
    environmentDifferences: [
      ...inputs.flatMap((input, i) => (input.merged?.environmentDifferences ?? []).map((d) => `within ${names[i]}: ${d}`)),
      ...environmentDifferences(environments, names),
    ],
  };
  return {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    tool: inputs[0]!.tool,
    startedAt: inputs.map((r) => r.startedAt).reduce((a, b) => (time(b) < time(a) ? b : a)),
    finishedAt: inputs.map((r) => r.finishedAt).reduce((a, b) => (time(b) > time(a) ? b : a)),
    interrupted: inputs.some((r) => r.interrupted),
    args: { ...args, shard: null },
    shard,
    merged,
    environment: inputs[0]!.environment,
    records,
  };
}

/** One line per environment field (but the per-run ones) in which the inputs differ. */
function environmentDifferences(environments: readonly EnvironmentInfo[], names: readonly string[]): string[] {
  const fields = [...new Set(environments.flatMap((e) => Object.keys(e)))].filter((f) => !PER_RUN_ENVIRONMENT_FIELDS.has(f));
  return fields.flatMap((field) => disagreement(field, environments.map((e) => (e as unknown as Record<string, unknown>)[field]), names) ?? []);
}
