// tfbench env: the ENVIRONMENT INFORMATION block on its own (device auto, float32, defaults), with the device's memory
// bandwidth measured as a run measures it at start-up.
import { chooseThreads, collectEnvironment, defaultArgs, environmentEntries, libtorchBackend, renderEnvironment, resolveDevice, runDtype } from '@tfbench/core';
import type { TfbenchCommand } from '../command.js';
import { EXIT_OK, type ExitCode } from '../exit-codes.js';
import type { Io } from '../io.js';

export const envCommand: TfbenchCommand<object> = ({ io, exit }) => ({
  command: 'env',
  describe: "Print the environment information block (measuring the device's memory bandwidth takes about a second)",
  handler: async () => exit(await printEnvironment(io)),
});

export async function printEnvironment(io: Io): Promise<ExitCode> {
  const backend = libtorchBackend();
  const defaults = defaultArgs();
  const device = resolveDevice(defaults.device, backend);
  // No sweep, so no probe: the rule's choice, or what a sweep would time.
  const blas = backend.blasInfo();
  const threads = await chooseThreads(backend, { pinned: defaults.threads, device, blas, backendDefault: backend.getThreads() }, null);
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
