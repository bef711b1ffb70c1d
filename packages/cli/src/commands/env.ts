// tfbench env: the ENVIRONMENT INFORMATION block on its own (device auto, float32, defaults).
import { collectEnvironment, defaultArgs, environmentEntries, libtorchBackend, renderEnvironment, resolveDevice } from '@tfbench/core';
import type { Io } from '../io.js';

export async function envCommand(io: Io): Promise<number> {
  const backend = libtorchBackend();
  const defaults = defaultArgs();
  const env = await collectEnvironment(backend, {
    device: resolveDevice(defaults.device, backend),
    dtype: defaults.dtype,
    isolate: defaults.isolate,
    onlyPretrainModel: defaults.onlyPretrainModel,
    threads: defaults.threads,
  });
  io.stdout(renderEnvironment(environmentEntries(env)));
  return 0;
}
