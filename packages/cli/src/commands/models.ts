// tfbench models: the known ids, what they build, and their parameter counts.
import { table } from 'table';
import { listKnownModels } from '@tfbench/core';
import type { Io } from '../io.js';

export function modelsCommand(io: Io): number {
  const rows = listKnownModels().map((m) => [m.id, m.modelType, m.architecture ?? '(base model)', m.parameters.toLocaleString('en-US')]);
  io.stdout(
    table([['Model id', 'Type', 'Builds', 'Parameters'], ...rows], {
      columns: { 3: { alignment: 'right' } },
      drawHorizontalLine: (i, n) => i === 0 || i === 1 || i === n,
    }),
  );
  return 0;
}
