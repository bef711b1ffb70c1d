// tfbench check <dir>: compare what the model computes with a checkpoint's expected.safetensors.
import { table } from 'table';
import { checkCheckpoint } from '@tfbench/core';
import type { Io } from '../io.js';

export interface CheckArgs {
  dir: string;
  device: string;
  json: boolean;
  atol?: number;
  rtol?: number;
}

export async function checkCommand(a: CheckArgs, io: Io): Promise<number> {
  const result = await checkCheckpoint(a.dir, { device: a.device, atol: a.atol, rtol: a.rtol });
  if (a.json) {
    io.stdout(JSON.stringify(result, null, 2) + '\n');
    return result.ok ? 0 : 1;
  }
  const rows = result.tensors.map((t) => [
    t.name,
    `[${t.shape.join(', ')}]`,
    t.maxAbsDiff === null ? '-' : t.maxAbsDiff.toExponential(2),
    t.ok ? 'ok' : t.problem ?? `${t.mismatched} elements off`,
  ]);
  io.stdout(`tfbench check ${result.dir}\n${result.architecture} on ${result.device}, float32; tolerance atol ${result.atol}, rtol ${result.rtol}\n`);
  io.stdout(
    table([['Tensor', 'Shape', 'Max abs diff', 'Status'], ...rows], {
      columns: { 2: { alignment: 'right' } },
      drawHorizontalLine: (i, n) => i === 0 || i === 1 || i === n,
    }),
  );
  if (result.missingParameters.length > 0) io.stdout(`parameters the checkpoint did not fill (left random): ${result.missingParameters.join(', ')}\n`);
  const bad = result.tensors.filter((t) => !t.ok).length;
  io.stdout(bad === 0 ? `all ${result.tensors.length} tensors match\n` : `${bad} of ${result.tensors.length} tensors differ past the tolerance\n`);
  return bad === 0 ? 0 : 1;
}
