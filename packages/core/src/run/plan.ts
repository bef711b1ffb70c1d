// The grid of a sweep: modes × models × batch sizes × sequence lengths, in Hugging Face's order
// (every inference cell first, then training, then generate; within a mode model by model, batch by batch), and the
// share of it one shard runs; and the cells an out-of-memory cell makes hopeless.
import type { Shard } from '../args/shard.js';
import type { Cell, Mode } from '../report/results.js';

export interface GridSpec {
  models: readonly string[];
  batchSizes: readonly number[];
  sequenceLengths: readonly number[];
  inference: boolean;
  training: boolean;
  /** Absent in the args of results files older than the generate mode: false. */
  generate?: boolean;
}

export function planCells(grid: GridSpec): Cell[] {
  const modes: Mode[] = [
    ...(grid.inference ? ['inference' as const] : []),
    ...(grid.training ? ['training' as const] : []),
    ...(grid.generate ? ['generate' as const] : []),
  ];
  const cells: Cell[] = [];
  for (const mode of modes)
    for (const model of grid.models)
      for (const batchSize of grid.batchSizes)
        for (const sequenceLength of grid.sequenceLengths) cells.push({ model, batchSize, sequenceLength, mode });
  return cells;
}

/** How large a cell is for sharing out work: tokens per call, a training cell counting three times (its
 * backward pass costs about two forward passes), a generate cell its prompt and its `newTokens` new tokens. Only
 * the ranking matters, and it needs no model sizes, so it is known from the arguments alone. */
export function cellSize(cell: Cell, newTokens = 0): number {
  const tokens = cell.sequenceLength + (cell.mode === 'generate' ? newTokens : 0);
  return cell.batchSize * tokens * (cell.mode === 'training' ? 3 : 1);
}

/**
 * The shard (1-based) of each cell of the planned list, for a split into `count` shards.
 *
 * The rule: rank the cells by size (cellSize), largest first, equal sizes in plan order; deal them out like
 * a snake draft — shard 1, 2, …, n, then n, …, 2, 1, then 1, 2, … again.
 * - It depends only on the planned list, which depends only on the arguments, so every machine of a job
 *   array computes the same split from the same args file: no cost model or timing that could differ
 *   between hosts.
 * - Shard sizes differ by at most one cell, and the largest cells (what a sweep's time is mostly spent on)
 *   go one per shard before any shard gets a second. Dealing in plan order instead would give one shard
 *   every longest sequence whenever the shard count divides the number of sequence lengths. The snake's
 *   turn evens out the remainder: the shard that drew first in a round draws last in the next.
 *
 * Each shard runs its cells in the plan's order (shardCells), so skipAfterOom still skips a larger cell
 * after a smaller one of the same model and mode ran out of memory — but only when both fell in the same
 * shard: a shard does not know what the others measured, and measures (or runs out of memory) itself.
 */
export function shardAssignment(cells: readonly Cell[], count: number, newTokens = 0): number[] {
  const size = (position: number) => cellSize(cells[position]!, newTokens);
  const bySize = cells.map((_, position) => position).sort((a, b) => size(b) - size(a) || a - b);
  const shardOf = new Array<number>(cells.length);
  bySize.forEach((position, rank) => {
    const round = Math.floor(rank / count);
    const turn = rank % count;
    shardOf[position] = (round % 2 === 0 ? turn : count - 1 - turn) + 1;
  });
  return shardOf;
}

/** The cells that `shard` runs, in the plan's order; every cell for null. Empty when there are more shards
 * than cells. `newTokens`: the sweep's, for the size of generate cells. */
export function shardCells(cells: readonly Cell[], shard: Shard | null, newTokens = 0): Cell[] {
  if (shard === null) return [...cells];
  const shardOf = shardAssignment(cells, shard.count, newTokens);
  return cells.filter((_, position) => shardOf[position] === shard.index);
}

/** The out-of-memory cell that makes `cell` hopeless: same model and mode, batch and sequence no larger. */
export function dominatingOom(cell: Cell, ooms: readonly Cell[]): Cell | undefined {
  return ooms.find(
    (o) => o.model === cell.model && o.mode === cell.mode && o.batchSize <= cell.batchSize && o.sequenceLength <= cell.sequenceLength,
  );
}
