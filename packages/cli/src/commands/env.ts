// tfbench env: the ENVIRONMENT INFORMATION block on its own (device auto, float32, defaults), with the device's memory
// bandwidth measured as a run measures it at start-up; --framework tfjs describes the TensorFlow.js backend instead.
import {
  chooseThreads,
  collectEnvironment,
  defaultArgs,
  environmentEntries,
  frameworkBackend,
  renderEnvironment,
  resolveDevice,
  runDtype,
  type Framework,
  type TfjsBackendChoice,
} from '@tfbench/core';
import type { Argv } from 'yargs';
import type { TfbenchCommand } from '../command.js';
import { EXIT_OK, type ExitCode } from '../exit-codes.js';
import { enumOption } from '../flags.js';
import type { Io } from '../io.js';

export interface EnvArgs {
  framework: Framework;
  tfjsBackend: TfjsBackendChoice;
}


export const envCommand: TfbenchCommand<EnvArgs> = ({ io, exit }) => ({
  command: 'env',
  describe: "Print the environment information block (measuring the device's memory bandwidth takes about a second)",
  builder: (y) =>
    y.option('framework', enumOption<Framework>('framework')).option('tfjs-backend', enumOption<TfjsBackendChoice>('tfjsBackend')) as unknown as Argv<EnvArgs>,
  handler: async (a) => exit(await printEnvironment(io, a)),
});

export async function printEnvironment(io: Io, a: Partial<EnvArgs> = {}): Promise<ExitCode> {
  const defaults = defaultArgs();
  const backend = await frameworkBackend(a.framework ?? defaults.framework, a.tfjsBackend ?? defaults.tfjsBackend);
  const device = resolveDevice(defaults.device, backend);
  // No sweep, so no probe: the rule's choice, or what a sweep would time.
  const blas = backend.blasInfo();
  const context = { pinned: defaults.threads, device, blas, backendDefault: backend.getThreads(), fixed: backend.limits?.threads };
  const threads = await chooseThreads(backend, context, null);
  const env = await collectEnvironment(backend, {
    device,
    dtype: runDtype(defaults, []), // no model to read "auto" from
    isolate: defaults.isolate,
    onlyPretrainModel: defaults.onlyPretrainModel,
    blas,
    threads,
  });
  io.stdout(renderEnvironment(environmentEntries(env)));
  return EXIT_OK;
}
