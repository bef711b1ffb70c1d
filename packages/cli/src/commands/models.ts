// tfbench models: the known ids, what they build, and their parameter counts.
import { table } from 'table';
import { listKnownModels } from '@tfbench/core';
import type { TfbenchCommand } from '../command.js';
import { EXIT_OK, type ExitCode } from '../exit-codes.js';
import type { Io } from '../io.js';

export const modelsCommand: TfbenchCommand<object> = ({ io, exit }) => ({
  command: 'models',
  describe: 'List the known model ids with their parameter counts',
  handler: () => exit(listModels(io)),
});

export function listModels(io: Io): ExitCode {
  const rows = listKnownModels().map((m) => [m.id, m.modelType, m.architecture ?? '(base model)', m.parameters.toLocaleString('en-US')]);
  io.stdout(
    table([['Model id', 'Type', 'Builds', 'Parameters'], ...rows], {
      columns: { 3: { alignment: 'right' } },
      drawHorizontalLine: (i, n) => i === 0 || i === 1 || i === n,
    }),
  );
  return EXIT_OK;
}
