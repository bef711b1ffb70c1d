// tfbench compare <base> <new>: per-cell ratio of median times with a 95% interval and a verdict; exit 1 when a
// cell regresses past the threshold (a CI gate). Generate cells add their TTFT and TPOT ratios, which judge them.
import { table } from 'table';
import { compareResults, readResultsJson, type CompareRow, type FigureRatio } from '@tfbench/core';
import type { TfbenchCommand } from '../command.js';
import { EXIT_FAILED, EXIT_OK, type ExitCode } from '../exit-codes.js';
import type { Io } from '../io.js';

export interface CompareArgs {
  base: string;
  /** The results file to judge (the command line's <new>). */
  new: string;
  threshold: number;
  force: boolean;
  json: boolean;
}

const seconds = (s: number | null) => (s === null ? '-' : s < 0.0005 ? '< 0.001' : s.toFixed(3));

function ratioText(r: Pick<CompareRow, 'ratio' | 'ciLow' | 'ciHigh'> | FigureRatio | null | undefined): string {
  if (!r || r.ratio === null) return '-';
  return `${r.ratio.toFixed(3)} [${r.ciLow!.toFixed(3)}, ${r.ciHigh!.toFixed(3)}]`;
}

export const compareCommand: TfbenchCommand<CompareArgs> = ({ io, exit }) => ({
  command: 'compare <base> <new>',
  describe: 'Compare two results files (--json of run) cell by cell: time ratio with a 95% interval and a verdict; exit 1 on a regression',
  builder: (y) =>
    y
      .positional('base', { describe: 'The baseline results file', type: 'string', demandOption: true })
      .positional('new', { describe: 'The results file to judge', type: 'string', demandOption: true })
      .option('threshold', { type: 'number', default: 0.05, describe: 'A significantly slower cell regresses when new / base exceeds 1 + this' })
      .option('force', { type: 'boolean', default: false, describe: 'Compare files measured with different frameworks (libtorch, tfjs and its backend), devices or dtypes; what differs is printed' })
      .option('json', { type: 'boolean', default: false, describe: 'Print the comparison as JSON' }),
  handler: (a) => exit(compare(a, io)),
});

/** Exit 1 when a cell regressed. */
export function compare(a: CompareArgs, io: Io): ExitCode {
  const comparison = compareResults(readResultsJson(a.base), readResultsJson(a.new), { threshold: a.threshold, force: a.force });
  if (a.json) {
    io.stdout(JSON.stringify(comparison, null, 2) + '\n');
    return comparison.regressions > 0 ? EXIT_FAILED : EXIT_OK;
  }
  // Generate cells: their TTFT and TPOT ratios in two more columns (the time columns hold the E2E per call).
  const generation = comparison.rows.some((r) => r.generation);
  const rows = comparison.rows.map((r) => [
    r.model,
    String(r.batchSize),
    String(r.sequenceLength),
    r.mode,
    seconds(r.baseMedian),
    seconds(r.newMedian),
    ratioText(r),
    ...(generation ? [ratioText(r.generation?.ttft), ratioText(r.generation?.tpot)] : []),
    r.regression ? `${r.verdict} (regression)` : r.verdict,
  ]);
  const ratios = generation ? ['TTFT ratio', 'TPOT ratio'] : [];
  const header = ['Model', 'Batch', 'Seq', 'Mode', 'Base s', 'New s', 'Ratio [95% CI]', ...ratios, 'Verdict'];
  io.stdout(`tfbench compare: ${a.base} → ${a.new} (time ratio new / base, 95% bootstrap interval)\n`);
  for (const difference of comparison.differences) io.stdout(`compared anyway (--force), measured differently: ${difference}\n`);
  if (generation) {
    io.stdout(
      'generate cells: Base s and New s are the median seconds per generate call (E2E); ' +
        'their verdict comes from the TTFT and TPOT ratios\n',
    );
  }
  io.stdout(
    table([header, ...rows], {
      columns: { 1: { alignment: 'right' }, 2: { alignment: 'right' }, 4: { alignment: 'right' }, 5: { alignment: 'right' } },
      drawHorizontalLine: (i, n) => i === 0 || i === 1 || i === n,
    }),
  );
  if (comparison.onlyInBase.length > 0) io.stdout(`only in ${a.base}: ${comparison.onlyInBase.join('; ')}\n`);
  if (comparison.onlyInNew.length > 0) io.stdout(`only in ${a.new}: ${comparison.onlyInNew.join('; ')}\n`);
  const pct = `${(comparison.threshold * 100).toFixed(1)}%`;
  io.stdout(
    comparison.regressions > 0
      ? `${comparison.regressions} of ${comparison.rows.length} cells regressed: significantly slower by more than ${pct}, or failing now\n`
      : `no regression past ${pct} in ${comparison.rows.length} cells\n`,
  );
  return comparison.regressions > 0 ? EXIT_FAILED : EXIT_OK;
}
