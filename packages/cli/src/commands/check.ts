// tfbench check <dir>: compare what the model computes with a checkpoint's expected.safetensors, and greedy
// decoding with a generation reference (<dir>/generate.safetensors, or --generation FILE).
import { table } from 'table';
import type { Argv } from 'yargs';
import { checkCheckpoint, DTYPES, frameworkBackend, type CheckResult, type DType, type Framework, type GenerationComparison, type TfjsBackendChoice } from '@tfbench/core';
import type { TfbenchCommand } from '../command.js';
import { EXIT_FAILED, EXIT_OK, type ExitCode } from '../exit-codes.js';
import { enumOption } from '../flags.js';
import type { Io } from '../io.js';

export interface CheckArgs {
  dir: string;
  device: string;
  json: boolean;
  dtype?: DType;
  atol?: number;
  rtol?: number;
  generation?: string;
  framework: Framework;
  tfjsBackend: TfjsBackendChoice;
}

export const checkCommand: TfbenchCommand<CheckArgs> = ({ io, exit }) => ({
  command: 'check <dir>',
  describe:
    'Run a checkpoint directory on its expected.safetensors inputs and compare every stored tensor, and greedy ' +
    'decoding with a generation reference when there is one (exit 1 past the tolerance)',
  builder: (y) =>
    y
      .positional('dir', {
        describe:
          'Checkpoint directory: config.json, model.safetensors (or model.safetensors.index.json and its shards), ' +
          'expected.safetensors',
        type: 'string',
        demandOption: true,
      })
      .option('device', { type: 'string', default: 'cpu', describe: 'cpu, cuda or cuda:N' })
      .option('json', { type: 'boolean', default: false, describe: 'Print the comparison as JSON' })
      .option('dtype', {
        choices: DTYPES,
        describe: "Compute in this dtype (default: each file's, else float32)",
      })
      .option('atol', {
        type: 'number',
        describe: "Absolute tolerance of every tensor, step_logits included (default: each file's, else 1e-4)",
      })
      .option('rtol', {
        type: 'number',
        describe: "Relative tolerance of every tensor, step_logits included (default: each file's, else 1e-4)",
      })
      .option('framework', { ...enumOption<Framework>('framework'), describe: 'The framework that computes: libtorch or tfjs (TensorFlow.js)' })
      .option('tfjs-backend', { ...enumOption<TfjsBackendChoice>('tfjsBackend') })
      .option('generation', {
        type: 'string',
        describe:
          'Greedy-generation reference to check too: prompt_ids, generated_ids (compared exactly), step_logits ' +
          '(default: DIR/generate.safetensors when there is one)',
      }) as unknown as Argv<CheckArgs>, // yargs types --tfjs-backend's value as its kebab-case key's
  handler: async (a) => exit(await check(a, io)),
});

/** How a table of compared tensors prints: name, shape, max abs diff, status. */
function comparisonTable(rows: string[][]): string {
  return table([['Tensor', 'Shape', 'Max abs diff', 'Status'], ...rows], {
    columns: { 2: { alignment: 'right' } },
    drawHorizontalLine: (i, n) => i === 0 || i === 1 || i === n,
  });
}

const shapeText = (shape: readonly number[]) => `[${shape.join(', ')}]`;

/** generated_ids' status: exact, or where the ids first differ. */
function idsStatus(ids: GenerationComparison['generatedIds']): string {
  if (ids.ok) return 'exact';
  const d = ids.firstDifference;
  if (d === null) return ids.problem ?? 'differs';
  const where = d.step === null ? `position ${d.position} (before the first new token)` : `step ${d.step}`;
  return `${where}, sequence ${d.sequence}: token ${d.actual}, expected ${d.expected}`;
}

/** The greedy-generation block: the reference and settings, a table of generated_ids and step_logits, a verdict. */
export function renderGeneration(g: GenerationComparison): string {
  const logits = g.stepLogits;
  const rows = [
    ['generated_ids', shapeText(g.generatedIds.shape), '-', idsStatus(g.generatedIds)],
    [
      'step_logits',
      shapeText(logits.shape),
      logits.maxAbsDiff === null ? '-' : logits.maxAbsDiff.toExponential(2),
      logits.ok ? 'ok' : (logits.problem ?? `${logits.mismatched} elements off`),
    ],
  ];
  return (
    `greedy generation ${g.file}\n` +
    `prompt ${shapeText(g.promptShape)}, ${g.newTokens} new tokens, ${g.dtype}; ` +
    `step_logits tolerance atol ${g.atol}, rtol ${g.rtol}\n` +
    comparisonTable(rows) +
    (g.ok ? 'greedy generation matches the reference\n' : 'greedy generation differs from the reference\n')
  );
}

/** The tensors' block: the checkpoint and settings, a table of every stored tensor, a verdict. */
function renderTensors(result: CheckResult): string {
  const rows = result.tensors.map((t) => [
    t.name,
    shapeText(t.shape),
    t.maxAbsDiff === null ? '-' : t.maxAbsDiff.toExponential(2),
    t.ok ? 'ok' : (t.problem ?? `${t.mismatched} elements off`),
  ]);
  const { atol, rtol, lossAtol, lossRtol } = result;
  const lossTolerance = lossAtol !== atol || lossRtol !== rtol ? ` (loss: atol ${lossAtol}, rtol ${lossRtol})` : '';
  const settings = `${result.architecture} on ${result.device}, ${result.dtype}`;
  let text = `tfbench check ${result.dir}\n${settings}; tolerance atol ${atol}, rtol ${rtol}${lossTolerance}; ${result.framework}\n`;
  text += comparisonTable(rows);
  if (result.missingParameters.length > 0) {
    text += `parameters the checkpoint did not fill (left random): ${result.missingParameters.join(', ')}\n`;
  }
  const bad = result.tensors.filter((t) => !t.ok).length;
  const count = result.tensors.length;
  return text + (bad === 0 ? `all ${count} tensors match\n` : `${bad} of ${count} tensors differ past the tolerance\n`);
}

/** Exit 1 when a tensor differs past the tolerance, or greedy decoding differs from its reference. */
export async function check(a: CheckArgs, io: Io): Promise<ExitCode> {
  const { device, dtype, atol, rtol, generation } = a;
  // libtorch is loaded by checkCheckpoint itself, after the directory is found usable.
  const backend = a.framework === 'libtorch' ? undefined : await frameworkBackend(a.framework, a.tfjsBackend);
  const result = await checkCheckpoint(a.dir, { device, dtype, atol, rtol, generation, backend });
  if (a.json) io.stdout(JSON.stringify(result, null, 2) + '\n');
  else io.stdout(renderTensors(result) + (result.generation === null ? '' : renderGeneration(result.generation)));
  return result.ok ? EXIT_OK : EXIT_FAILED;
}
