// tfbench check <dir>: compare what the model computes with a checkpoint's expected.safetensors.
import { table } from 'table';
import { checkCheckpoint, type DType } from '@tfbench/core';
import type { TfbenchCommand } from '../command.js';
import { EXIT_FAILED, EXIT_OK, type ExitCode } from '../exit-codes.js';
import type { Io } from '../io.js';

export interface CheckArgs {
  dir: string;
  device: string;
  json: boolean;
  dtype?: DType;
  atol?: number;
  rtol?: number;
}

export const checkCommand: TfbenchCommand<CheckArgs> = ({ io, exit }) => ({
  command: 'check <dir>',
  describe: "Run a checkpoint directory on its expected.safetensors inputs and compare every stored tensor (exit 1 past the tolerance)",
  builder: (y) =>
    y
      .positional('dir', { describe: 'Checkpoint directory: config.json, *.safetensors, expected.safetensors', type: 'string', demandOption: true })
      .option('device', { type: 'string', default: 'cpu', describe: 'cpu, cuda or cuda:N' })
      .option('json', { type: 'boolean', default: false, describe: 'Print the comparison as JSON' })
      .option('dtype', { choices: ['float32', 'float16', 'bfloat16'] as const, describe: "Compute in this dtype (default: the file's, else float32)" })
      .option('atol', { type: 'number', describe: "Absolute tolerance for every tensor (default: the file's, else 1e-4)" })
      .option('rtol', { type: 'number', describe: "Relative tolerance for every tensor (default: the file's, else 1e-4)" }),
  handler: async (a) => exit(await check(a, io)),
});

/** Exit 1 when a tensor differs past the tolerance. */
export async function check(a: CheckArgs, io: Io): Promise<ExitCode> {
  const result = await checkCheckpoint(a.dir, { device: a.device, dtype: a.dtype, atol: a.atol, rtol: a.rtol });
  if (a.json) {
    io.stdout(JSON.stringify(result, null, 2) + '\n');
    return result.ok ? EXIT_OK : EXIT_FAILED;
  }
  const rows = result.tensors.map((t) => [
    t.name,
    `[${t.shape.join(', ')}]`,
    t.maxAbsDiff === null ? '-' : t.maxAbsDiff.toExponential(2),
    t.ok ? 'ok' : t.problem ?? `${t.mismatched} elements off`,
  ]);
  const lossTolerance =
    result.lossAtol !== result.atol || result.lossRtol !== result.rtol ? ` (loss: atol ${result.lossAtol}, rtol ${result.lossRtol})` : '';
  io.stdout(`tfbench check ${result.dir}\n${result.architecture} on ${result.device}, ${result.dtype}; tolerance atol ${result.atol}, rtol ${result.rtol}${lossTolerance}\n`);
  io.stdout(
    table([['Tensor', 'Shape', 'Max abs diff', 'Status'], ...rows], {
      columns: { 2: { alignment: 'right' } },
      drawHorizontalLine: (i, n) => i === 0 || i === 1 || i === n,
    }),
  );
  if (result.missingParameters.length > 0) io.stdout(`parameters the checkpoint did not fill (left random): ${result.missingParameters.join(', ')}\n`);
  const bad = result.tensors.filter((t) => !t.ok).length;
  io.stdout(bad === 0 ? `all ${result.tensors.length} tensors match\n` : `${bad} of ${result.tensors.length} tensors differ past the tolerance\n`);
  return bad === 0 ? EXIT_OK : EXIT_FAILED;
}
