// tfbench compare <base> <new>: per-cell ratio of median times with a 95% interval and a verdict; exit 1 when a
// cell regresses past the threshold (a CI gate).
import { table } from 'table';
import { compareResults, readResultsJson, type CompareRow } from '@tfbench/core';
import type { Io } from '../io.js';

export interface CompareArgs {
  base: string;
  next: string;
  threshold: number;
  force: boolean;
  json: boolean;
}

const seconds = (s: number | null) => (s === null ? '-' : s < 0.0005 ? '< 0.001' : s.toFixed(3));

function ratioText(r: CompareRow): string {
  if (r.ratio === null) return '-';
  return `${r.ratio.toFixed(3)} [${r.ciLow!.toFixed(3)}, ${r.ciHigh!.toFixed(3)}]`;
}

export function compareCommand(a: CompareArgs, io: Io): number {
  const comparison = compareResults(readResultsJson(a.base), readResultsJson(a.next), { threshold: a.threshold, force: a.force });
  if (a.json) {
    io.stdout(JSON.stringify(comparison, null, 2) + '\n');
    return comparison.regressions > 0 ? 1 : 0;
  }
  const rows = comparison.rows.map((r) => [
    r.model,
    String(r.batchSize),
    String(r.sequenceLength),
    r.mode,
    seconds(r.baseMedian),
    seconds(r.newMedian),
    ratioText(r),
    r.regression ? `${r.verdict} (regression)` : r.verdict,
  ]);
  io.stdout(`tfbench compare: ${a.base} → ${a.next} (time ratio new / base, 95% bootstrap interval)\n`);
  io.stdout(
    table([['Model', 'Batch', 'Seq', 'Mode', 'Base s', 'New s', 'Ratio [95% CI]', 'Verdict'], ...rows], {
      columns: { 1: { alignment: 'right' }, 2: { alignment: 'right' }, 4: { alignment: 'right' }, 5: { alignment: 'right' } },
      drawHorizontalLine: (i, n) => i === 0 || i === 1 || i === n,
    }),
  );
  if (comparison.onlyInBase.length > 0) io.stdout(`only in ${a.base}: ${comparison.onlyInBase.join('; ')}\n`);
  if (comparison.onlyInNew.length > 0) io.stdout(`only in ${a.next}: ${comparison.onlyInNew.join('; ')}\n`);
  const pct = `${(comparison.threshold * 100).toFixed(1)}%`;
  io.stdout(
    comparison.regressions > 0
      ? `${comparison.regressions} of ${comparison.rows.length} cells regressed: significantly slower by more than ${pct}, or failing now\n`
      : `no regression past ${pct} in ${comparison.rows.length} cells\n`,
  );
  return comparison.regressions > 0 ? 1 : 0;
}
