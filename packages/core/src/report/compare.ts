// tfbench compare: two results files (base and new) cell by cell: the ratio of median times with its
// confidence interval, a verdict, and whether the change is a regression past the threshold.
import { TfbenchError } from '../errors.js';
import { cellName, type BenchmarkResults } from './results.js';
import { medianRatio, verdictOf, type Verdict } from '../stats/compare.js';

export interface CompareOptions {
  /** A cell regresses when it is significantly slower and its ratio exceeds 1 + threshold. Default 0.05. */
  threshold?: number;
  /** Compare cells measured on different devices or dtypes anyway. */
  force?: boolean;
}

export interface CompareRow {
  model: string;
  batchSize: number;
  sequenceLength: number;
  mode: string;
  baseMedian: number | null;
  newMedian: number | null;
  /** new / base median time, with the 95% bootstrap interval; null when either side has no samples. */
  ratio: number | null;
  ciLow: number | null;
  ciHigh: number | null;
  /** 'faster' | 'slower' | 'no significant change', or why there is no comparison ("new: oom"). */
  verdict: Verdict | string;
  regression: boolean;
}

export interface Comparison {
  threshold: number;
  rows: CompareRow[];
  /** Cells measured in only one of the files, as "model batch B seq S mode". */
  onlyInBase: string[];
  onlyInNew: string[];
  regressions: number;
}

export function compareResults(base: BenchmarkResults, next: BenchmarkResults, options: CompareOptions = {}): Comparison {
  const threshold = options.threshold ?? 0.05;
  const baseByKey = new Map(base.records.map((r) => [cellName(r), r]));
  const nextKeys = new Set(next.records.map(cellName));
  const rows: CompareRow[] = [];
  const mismatches: string[] = [];
  for (const n of next.records) {
    const b = baseByKey.get(cellName(n));
    if (!b) continue;
    if (b.device !== n.device || b.dtype !== n.dtype) {
      mismatches.push(`${cellName(n)}: ${b.device} ${b.dtype} in base, ${n.device} ${n.dtype} in new`);
    }
    const row: CompareRow = {
      model: n.model,
      batchSize: n.batchSize,
      sequenceLength: n.sequenceLength,
      mode: n.mode,
      baseMedian: b.timeSeconds?.median ?? null,
      newMedian: n.timeSeconds?.median ?? null,
      ratio: null,
      ciLow: null,
      ciHigh: null,
      verdict: '',
      regression: false,
    };
    if (b.status === 'ok' && n.status !== 'ok') {
      row.verdict = `new: ${n.status}`;
      row.regression = true; // it ran before and does not now
    } else if (b.status !== 'ok' || n.status !== 'ok') {
      row.verdict = b.status !== 'ok' ? `base: ${b.status}` : `new: ${n.status}`;
    } else if (!b.timeSeconds || !n.timeSeconds) {
      row.verdict = 'no times';
    } else {
      const r = medianRatio(b.timeSeconds.samples, n.timeSeconds.samples);
      row.ratio = r.ratio;
      row.ciLow = r.ciLow;
      row.ciHigh = r.ciHigh;
      row.verdict = verdictOf(r);
      row.regression = row.verdict === 'slower' && r.ratio > 1 + threshold;
    }
    rows.push(row);
  }
  if (mismatches.length > 0 && !options.force) {
    throw new TfbenchError(`the files measured different devices or dtypes:\n${mismatches.map((m) => `  ${m}`).join('\n')}`, {
      code: 'INCOMPARABLE',
      hint: 'Compare runs of the same device and dtype, or pass --force to compare them anyway.',
    });
  }
  if (rows.length === 0) {
    throw new TfbenchError('the two files have no cell in common (same model, batch size, sequence length and mode)', {
      code: 'NO_COMMON_CELLS',
      hint: 'Compare two runs of the same grid.',
    });
  }
  return {
    threshold,
    rows,
    onlyInBase: base.records.filter((r) => !nextKeys.has(cellName(r))).map(cellName),
    onlyInNew: next.records.filter((r) => !baseByKey.has(cellName(r))).map(cellName),
    regressions: rows.filter((r) => r.regression).length,
  };
}
