// tfbench compare: two results files (base and new) cell by cell: the ratio of median times with its
// confidence interval, a verdict, and whether the change is a regression past the threshold. Generate cells are
// judged on their TTFT and TPOT, each a ratio of medians over calls.
import { TfbenchError } from '../errors.js';
import { cellName, type BenchmarkResults, type GenerationRecord, type TimeRecord } from './results.js';
import { medianRatio, verdictOf, type MedianRatio, type Verdict } from '../stats/compare.js';

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
  /** 'faster' | 'slower' | 'no significant change', or why there is no comparison ("new: oom"). Generate cells:
   * slower when TTFT or TPOT is significantly slower, else faster when one is significantly faster. */
  verdict: Verdict | string;
  /** Slower past the threshold (generate cells: TTFT or TPOT), or failing where it ran before. */
  regression: boolean;
  /** Generate cells measured on both sides: the ratios of median TTFT and of median TPOT (null when N = 1);
   * baseMedian, newMedian and ratio above are then the E2E's, shown but not judged. Null for the other modes. */
  generation: { ttft: FigureRatio; tpot: FigureRatio | null } | null;
}

/** One figure's medians on each side, their ratio new / base with its 95% bootstrap interval, and its verdict. */
export interface FigureRatio extends MedianRatio {
  baseMedian: number;
  newMedian: number;
  verdict: Verdict;
}

function figureRatio(base: TimeRecord, next: TimeRecord): FigureRatio {
  const r = medianRatio(base.samples, next.samples);
  return { ...r, baseMedian: base.median, newMedian: next.median, verdict: verdictOf(r) };
}

/** TTFT's and TPOT's ratios, or null when either side has no timed calls. */
function generationRatios(base: GenerationRecord, next: GenerationRecord): CompareRow['generation'] {
  if (!base.ttftSeconds || !next.ttftSeconds) return null;
  return {
    ttft: figureRatio(base.ttftSeconds, next.ttftSeconds),
    tpot: base.tpotSeconds && next.tpotSeconds ? figureRatio(base.tpotSeconds, next.tpotSeconds) : null,
  };
}

export interface Comparison {
  threshold: number;
  rows: CompareRow[];
  /** Cells measured in only one of the files, as "model batch B seq S mode". */
  onlyInBase: string[];
  onlyInNew: string[];
  /** What the two files measured differently (framework, device, dtype), compared anyway under force; empty
   * otherwise (without force such files are refused). */
  differences: string[];
  regressions: number;
}

/** The framework a file measured, with the TensorFlow.js backend (wasm, cpu, node) when it is tfjs: files of
 * another framework or backend time other kernels. Files from before the field measured libtorch. */
function frameworkOf(results: BenchmarkResults): { key: string; text: string } {
  const env = results.environment as Partial<BenchmarkResults['environment']> | undefined;
  const framework = env?.framework ?? 'libtorch';
  const version = env?.frameworkVersion ? ` ${env.frameworkVersion}` : '';
  if (framework !== 'tfjs') return { key: framework, text: `${framework}${version}` };
  const backend = (env?.frameworkSource ?? '').split(' ')[0] ?? '';
  return { key: `tfjs ${backend}`, text: `tfjs${version} (${env?.frameworkSource ?? 'backend unknown'})` };
}

export function compareResults(base: BenchmarkResults, next: BenchmarkResults, options: CompareOptions = {}): Comparison {
  const threshold = options.threshold ?? 0.05;
  const baseByKey = new Map(base.records.map((r) => [cellName(r), r]));
  const nextKeys = new Set(next.records.map(cellName));
  const rows: CompareRow[] = [];
  const mismatches: string[] = [];
  const [baseFramework, nextFramework] = [frameworkOf(base), frameworkOf(next)];
  if (baseFramework.key !== nextFramework.key) mismatches.push(`framework: ${baseFramework.text} in base, ${nextFramework.text} in new`);
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
      generation: null,
    };
    const bothOk = b.status === 'ok' && n.status === 'ok';
    const generation = bothOk && b.generation && n.generation ? generationRatios(b.generation, n.generation) : null;
    if (b.status === 'ok' && n.status !== 'ok') {
      row.verdict = `new: ${n.status}`;
      row.regression = true; // it ran before and does not now
    } else if (b.status !== 'ok' || n.status !== 'ok') {
      row.verdict = b.status !== 'ok' ? `base: ${b.status}` : `new: ${n.status}`;
    } else if (!b.timeSeconds || !n.timeSeconds) {
      row.verdict = 'no times';
    } else if (generation) {
      const e2e = medianRatio(b.timeSeconds.samples, n.timeSeconds.samples);
      [row.ratio, row.ciLow, row.ciHigh] = [e2e.ratio, e2e.ciLow, e2e.ciHigh];
      row.generation = generation;
      const figures = [generation.ttft, ...(generation.tpot ? [generation.tpot] : [])];
      const any = (verdict: Verdict) => figures.some((f) => f.verdict === verdict);
      row.verdict = any('slower') ? 'slower' : any('faster') ? 'faster' : 'no significant change';
      row.regression = figures.some((f) => f.verdict === 'slower' && f.ratio > 1 + threshold);
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
    throw new TfbenchError(`the files measured different frameworks, devices or dtypes:\n${mismatches.map((m) => `  ${m}`).join('\n')}`, {
      code: 'INCOMPARABLE',
      hint: 'Compare runs of the same framework, device and dtype, or pass --force to compare them anyway.',
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
    differences: mismatches,
    regressions: rows.filter((r) => r.regression).length,
  };
}
