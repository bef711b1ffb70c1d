// tfbench models: the known ids, what they build, and their parameter counts; with --cached, the models of the local
// Hugging Face cache instead (what `--models org/name` would find there without asking the Hub).
import { table } from 'table';
import { listCachedModels, listKnownModels, type HubEnv } from '@tfbench/core';
import type { TfbenchCommand } from '../command.js';
import { EXIT_OK, type ExitCode } from '../exit-codes.js';
import type { Io } from '../io.js';

export interface ModelsArgs {
  cached?: boolean;
}

export const modelsCommand: TfbenchCommand<ModelsArgs> = ({ io, exit }) => ({
  command: 'models',
  describe: 'List the known model ids with their parameter counts (--cached: the models in the local Hugging Face cache)',
  builder: (y) =>
    y.option('cached', {
      type: 'boolean',
      describe:
        'List the models of the local Hugging Face cache (HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub) ' +
        'that have a config.json at main: those tfbench can build, then those it cannot, with the reason',
    }),
  handler: (a) => exit(a.cached ? listCached(io) : listModels(io)),
});

/** The table of `tfbench models`: id, model_type, the class built, parameters. */
function modelTable(rows: Array<{ id: string; modelType: string; architecture: string | null; parameters: number }>): string {
  return table(
    [['Model id', 'Type', 'Builds', 'Parameters'], ...rows.map((m) => [m.id, m.modelType, m.architecture ?? '(base model)', m.parameters.toLocaleString('en-US')])],
    {
      columns: { 3: { alignment: 'right' } },
      drawHorizontalLine: (i, n) => i === 0 || i === 1 || i === n,
    },
  );
}

export function listModels(io: Io): ExitCode {
  io.stdout(modelTable(listKnownModels()));
  return EXIT_OK;
}

/** The cache's buildable models as `tfbench models` shows the known ones, then one line for each it cannot build. */
export function listCached(io: Io, env: HubEnv = process.env): ExitCode {
  const { cacheDir, buildable, unbuildable } = listCachedModels({ env });
  if (buildable.length === 0 && unbuildable.length === 0) {
    io.stdout(`No model in the Hugging Face cache ${cacheDir} has a config.json at main.\n`);
    return EXIT_OK;
  }
  const count = (n: number) => `${n} model${n === 1 ? '' : 's'}`;
  io.stdout(`Hugging Face cache ${cacheDir}: ${count(buildable.length)} tfbench can build\n`);
  if (buildable.length > 0) io.stdout(modelTable(buildable));
  if (unbuildable.length > 0) {
    io.stdout(`${buildable.length > 0 ? '\n' : ''}${count(unbuildable.length)} tfbench cannot build:\n`);
    for (const m of unbuildable) io.stdout(`  ${m.id}: ${m.reason}\n`);
  }
  return EXIT_OK;
}
