// tfbench env: the ENVIRONMENT INFORMATION block on its own (device auto, float32, defaults).
import { chooseThreads, collectEnvironment, defaultArgs, environmentEntries, libtorchBackend, renderEnvironment, resolveDevice } from '@tfbench/core';
import type { Io } from '../io.js';

export async function envCommand(io: Io): Promise<number> {
  const backend = libtorchBackend();
  const defaults = defaultArgs();
  const device = resolveDevice(defaults.device, backend);
  // No sweep, so no probe: the rule's choice, or what a sweep would time.
  const blas = backend.blasInfo();
  const threads = await chooseThreads(backend, { pinned: defaults.threads, device, blas, backendDefault: backend.getThreads() }, null);
  const env = await collectEnvironment(backend, {
    device,
    dtype: defaults.dtype,
    isolate: defaults.isolate,
    onlyPretrainModel: defaults.onlyPretrainModel,
    blas,
    threads,
  });
  io.stdout(renderEnvironment(environmentEntries(env)));
  return 0;
}
