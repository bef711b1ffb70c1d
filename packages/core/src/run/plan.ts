// The grid of a sweep: modes × models × batch sizes × sequence lengths, in Hugging Face's order
// (every inference cell first, then training; within a mode model by model, batch by batch).
import type { Cell, Mode } from './records.js';

export interface GridSpec {
  models: readonly string[];
  batchSizes: readonly number[];
  sequenceLengths: readonly number[];
  inference: boolean;
  training: boolean;
}

export function planCells(grid: GridSpec): Cell[] {
  const modes: Mode[] = [...(grid.inference ? ['inference' as const] : []), ...(grid.training ? ['training' as const] : [])];
  const cells: Cell[] = [];
  for (const mode of modes)
    for (const model of grid.models)
      for (const batchSize of grid.batchSizes)
        for (const sequenceLength of grid.sequenceLengths) cells.push({ model, batchSize, sequenceLength, mode });
  return cells;
}
