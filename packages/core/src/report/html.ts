// The HTML report: one self-contained page (inline CSS and SVG, no script, no font or file fetched) with
// charts of time and memory against sequence length and batch size per model, what Hugging Face's
// plot_csv_file.py drew, plus each median's 95% interval, every record in a table, and the environment.
import { environmentEntries } from '../env/index.js';
import { summarize } from '../stats/summary.js';
import {
  headlineMemoryBytes,
  type BenchmarkResults,
  type CellRecord,
  type GenerationRecord,
  type Mode,
  type TimeRecord,
} from './results.js';
import { escapeXml, renderLineChartSvg, type ChartPoint, type ChartSeries, type LineChart } from './chart.js';

export { chooseXScale, chooseYScale, escapeXml, renderLineChartSvg, SERIES_COLOURS, seriesStyle } from './chart.js';
export type { ChartPoint, ChartSeries, LineChart, XScale, YScale } from './chart.js';

export interface ReportOptions {
  /** Where the results came from (shown in the header), e.g. the JSON file's path. */
  source?: string;
}

const MIB = 1024 * 1024;
const MODE_TITLES: Record<Mode, string> = { inference: 'Inference', training: 'Training', generate: 'Generation' };

interface TimeUnit {
  name: 's' | 'ms' | 'µs';
  seconds: number;
}

/** The largest unit in which the biggest time is at least 1, so ticks read 12, 250 rather than 0.012, 0.25. */
function timeUnitFor(maxSeconds: number): TimeUnit {
  if (maxSeconds >= 1) return { name: 's', seconds: 1 };
  if (maxSeconds >= 1e-3) return { name: 'ms', seconds: 1e-3 };
  return { name: 'µs', seconds: 1e-6 };
}

/** Seconds with 4 significant digits in the unit that suits the value: "12.34 ms". */
function formatTime(seconds: number, unit: TimeUnit = timeUnitFor(seconds)): string {
  return `${Number((seconds / unit.seconds).toPrecision(4))} ${unit.name}`;
}

const grouped = (n: number) => Math.round(n).toLocaleString('en-US');
/** 4 significant digits below 1000 (78.13), whole and grouped above (11,570), never exponent notation. */
const rate = (n: number) => (n >= 1000 ? grouped(n) : String(Number(n.toPrecision(4))));

type Metric = 'time' | 'memory';
type Axis = 'sequenceLength' | 'batchSize';

/** What a series is keyed by besides the model: the grid dimension that is not on the x axis, and the
 * device / dtype when a merged file mixes them (else two devices' cells would join into one line). */
function seriesKey(r: CellRecord, xAxis: Axis, mixedTarget: boolean): { key: string; label: string } {
  const fixed = xAxis === 'sequenceLength' ? `batch ${r.batchSize}` : `seq ${r.sequenceLength}`;
  const target = mixedTarget ? ` · ${r.device} ${r.dtype}` : '';
  return { key: JSON.stringify([r.model, fixed, target]), label: `${r.model} · ${fixed}${target}` };
}

function metricValue(r: CellRecord, metric: Metric): number | null {
  if (r.status !== 'ok') return null;
  const value = metric === 'time' ? (r.timeSeconds?.median ?? null) : headlineMemoryBytes(r);
  return value !== null && Number.isFinite(value) && value > 0 ? value : null;
}

function memoryLabel(records: readonly CellRecord[]): { axis: string; note: string } {
  // != null: results files written before gpuMemory existed have no such field on CPU records.
  const gpu = records.filter((r) => r.gpuMemory != null).length;
  const cpu = records.filter((r) => r.memory != null).length;
  if (gpu === 0) return { axis: 'Peak resident memory (MiB)', note: "peak resident set size of the measuring process during one call (absolute, as Hugging Face's tool reported)" };
  if (cpu === 0) return { axis: 'GPU memory (MiB)', note: "device memory used as NVML reports it (nvidia-smi's figure, CUDA context included), else the caching allocator's peak reserved bytes" };
  return { axis: 'Memory (MiB)', note: 'peak resident set size on CPU cells, device memory used on CUDA cells' };
}

/** One chart of a mode: metric against one grid dimension, one series per model × the other dimension. */
export function buildChart(records: readonly CellRecord[], mode: Mode, metric: Metric, xAxis: Axis): LineChart {
  const inMode = records.filter((r) => r.mode === mode);
  const mixedTarget = new Set(inMode.map((r) => `${r.device} ${r.dtype}`)).size > 1;
  const plotted = inMode.filter((r) => metricValue(r, metric) !== null);
  const unit = timeUnitFor(Math.max(0, ...plotted.map((r) => metricValue(r, 'time') ?? 0)));
  const series = new Map<string, ChartSeries>();
  // Series in the file's order of models, then by the fixed dimension ascending.
  const ordered = [...plotted].sort((p, q) => {
    const byModel = inMode.findIndex((r) => r.model === p.model) - inMode.findIndex((r) => r.model === q.model);
    if (byModel !== 0) return byModel;
    return xAxis === 'sequenceLength' ? p.batchSize - q.batchSize : p.sequenceLength - q.sequenceLength;
  });
  for (const r of ordered) {
    const { key, label } = seriesKey(r, xAxis, mixedTarget);
    if (!series.has(key)) series.set(key, { label, points: [] });
    const where = `${r.model} · batch ${r.batchSize} · seq ${r.sequenceLength}`;
    let point: ChartPoint;
    if (metric === 'time') {
      const t = r.timeSeconds!;
      point = {
        x: r[xAxis],
        y: t.median / unit.seconds,
        low: t.ciLow / unit.seconds,
        high: t.ciHigh / unit.seconds,
        title: `${where}: median ${formatTime(t.median, unit)}, ${Math.round(t.ciLevel * 100)}% CI [${formatTime(t.ciLow, unit)}, ${formatTime(t.ciHigh, unit)}], ${t.count} samples`,
      };
    } else {
      const mib = headlineMemoryBytes(r)! / MIB;
      point = { x: r[xAxis], y: mib, low: null, high: null, title: `${where}: ${grouped(mib)} MiB` };
    }
    series.get(key)!.points.push(point);
  }
  const xName = xAxis === 'batchSize' ? 'Batch size' : mode === 'generate' ? 'Prompt length' : 'Sequence length';
  return {
    title: `${MODE_TITLES[mode]} ${metric === 'time' ? 'time' : 'memory'} vs ${xName.toLowerCase()}`,
    xLabel: xName,
    yLabel: metric === 'time' ? `Median time per call (${unit.name})` : memoryLabel(plotted).axis,
    series: [...series.values()],
  };
}

function distinct(values: number[]): number[] {
  return [...new Set(values)].sort((p, q) => p - q);
}

/** A mode's charts: against sequence length and batch size where the grid has more than one of that
 * (a single-point line says nothing), for time and for memory where they were measured. */
function modeSection(records: readonly CellRecord[], mode: Mode): string {
  const inMode = records.filter((r) => r.mode === mode);
  const seqs = distinct(inMode.map((r) => r.sequenceLength));
  const batches = distinct(inMode.map((r) => r.batchSize));
  const axes: Axis[] = [];
  if (seqs.length > 1 || batches.length === 1) axes.push('sequenceLength');
  if (batches.length > 1) axes.push('batchSize');
  const figures: string[] = [];
  for (const metric of ['time', 'memory'] as const) {
    if (!inMode.some((r) => metricValue(r, metric) !== null)) continue;
    for (const axis of axes) figures.push(renderLineChartSvg(buildChart(records, mode, metric, axis)));
  }
  const notes: string[] = [];
  if (batches.length === 1 && seqs.length > 1) notes.push(`Every cell has batch size ${batches[0]}: no chart against batch size.`);
  if (seqs.length === 1 && batches.length > 1) notes.push(`Every cell has sequence length ${seqs[0]}: no chart against sequence length.`);
  if (figures.length === 0) notes.push('No cell of this mode has a time or memory figure to plot.');
  if (inMode.some((r) => metricValue(r, 'time') !== null)) notes.push('Markers are medians; whiskers span the 95% confidence interval of the median.');
  if (inMode.some((r) => metricValue(r, 'memory') !== null)) notes.push(`Memory: ${memoryLabel(inMode.filter((r) => metricValue(r, 'memory') !== null)).note}.`);
  return modeHtml(mode, figures, notes, inMode, '');
}

/** A mode's section: its charts, notes, the cells not plotted with their messages, and `after` (a table). */
function modeHtml(
  mode: Mode,
  figures: readonly string[],
  notes: readonly string[],
  inMode: readonly CellRecord[],
  after: string,
): string {
  const failed = inMode.filter((r) => r.status !== 'ok');
  const failedList = failed.length
    ? `<p class="not-plotted-title">Not plotted: ${failed.length} cell${failed.length > 1 ? 's' : ''} without a measurement</p><ul class="not-plotted">${failed
        .map(
          (r) =>
            `<li data-status="${escapeXml(r.status)}"><b>${escapeXml(r.model)}</b> · batch ${r.batchSize} · seq ${r.sequenceLength}: <span class="status status-${escapeXml(r.status)}">${escapeXml(statusText(r))}</span>${r.error ? ` — ${escapeXml(r.error.message)}` : ''}</li>`,
        )
        .join('')}</ul>`
    : '';
  const charts = `<div class="charts">${figures.map((f) => `<figure>${f}</figure>`).join('')}</div>`;
  const notesHtml = notes.map((n) => `<p class="note">${escapeXml(n)}</p>`).join('');
  const title = `<h2>${MODE_TITLES[mode]}</h2>`;
  return `<section class="mode" id="${mode}">${title}${charts}${notesHtml}${failedList}${after}</section>`;
}

type Generated = CellRecord & { generation: GenerationRecord };

/** Generate cells with their generation record (files older than the generate mode have none). */
function generated(records: readonly CellRecord[]): Generated[] {
  return records.filter((r): r is Generated => r.mode === 'generate' && r.status === 'ok' && r.generation != null);
}

/** Median TTFT (with its 95% CI) against prompt length: one series per model × batch size. */
export function ttftChart(records: readonly CellRecord[]): LineChart {
  const cells = generated(records).filter((r) => r.generation.ttftSeconds !== null);
  const unit = timeUnitFor(Math.max(0, ...cells.map((r) => r.generation.ttftSeconds!.median)));
  const mixedTarget = new Set(cells.map((r) => `${r.device} ${r.dtype}`)).size > 1;
  const series = new Map<string, ChartSeries>();
  for (const r of [...cells].sort((p, q) => p.batchSize - q.batchSize)) {
    const label = `${r.model} · batch ${r.batchSize}${mixedTarget ? ` · ${r.device} ${r.dtype}` : ''}`;
    if (!series.has(label)) series.set(label, { label, points: [] });
    const t = r.generation.ttftSeconds!;
    const interval = `[${formatTime(t.ciLow, unit)}, ${formatTime(t.ciHigh, unit)}]`;
    const ci = `${Math.round(t.ciLevel * 100)}% CI ${interval}, ${t.count} calls`;
    series.get(label)!.points.push({
      x: r.sequenceLength,
      y: t.median / unit.seconds,
      low: t.ciLow / unit.seconds,
      high: t.ciHigh / unit.seconds,
      title: `${label} · prompt ${r.sequenceLength}: TTFT median ${formatTime(t.median, unit)}, ${ci}`,
    });
  }
  return {
    title: 'Generation: time to first token vs prompt length',
    xLabel: 'Prompt length (tokens)',
    yLabel: `Median TTFT (${unit.name})`,
    series: [...series.values()],
  };
}

/** Decode cost against context depth, from the trace: step i of every timed call attends to contextStart + i
 * positions; each point is the median of that step over the calls (whiskers: its 95% CI). One series per cell. */
export function stepDepthChart(records: readonly CellRecord[]): LineChart {
  const cells = generated(records).filter((r) => r.generation.trace.stepSeconds.some((steps) => steps.length > 0));
  const unit = timeUnitFor(Math.max(0, ...cells.flatMap((r) => r.generation.trace.stepSeconds.flat())));
  const series = cells.map((r): ChartSeries => {
    const { contextStart, stepSeconds } = r.generation.trace;
    const label = `${r.model} · batch ${r.batchSize} · prompt ${r.sequenceLength}`;
    const points = stepSeconds[0]!.map((_, i): ChartPoint => {
      const s = summarize(stepSeconds.map((steps) => steps[i]!));
      const depth = contextStart + i;
      return {
        x: depth,
        y: s.median / unit.seconds,
        low: s.ciLow / unit.seconds,
        high: s.ciHigh / unit.seconds,
        title: `${label}: step ${i + 1} at depth ${depth}, median ${formatTime(s.median, unit)} over ${s.count} calls`,
      };
    });
    return { label, points };
  });
  return {
    title: 'Generation: time per output token vs context depth',
    xLabel: 'Context depth (positions attended)',
    yLabel: `Median decode step (${unit.name})`,
    series,
  };
}

const GENERATION_HEADERS = [
  'Model', 'Batch', 'Prompt', 'New tokens', 'TTFT', 'TPOT', 'ITL p50', 'ITL p90', 'ITL p99', 'Prefill tok/s',
  'Decode tok/s', 'E2E', 'Calls', 'Weights MiB', 'KV cache MiB', 'KV allocated MiB', 'TPOT / floor',
];

/** Generation's figures cell by cell, in GENERATION_HEADERS' order. */
function generationRow(r: Generated): string[] {
  const g = r.generation;
  const withCi = (t: TimeRecord | null) =>
    t ? `${formatTime(t.median)} ±${(t.relCiHalfWidth * 100).toFixed(1)}%` : '–';
  const time = (seconds: number | undefined) => (seconds === undefined ? '–' : formatTime(seconds));
  const rateOf = (x: number | null) => (x === null ? '–' : rate(x));
  const floor = g.bandwidthFloor;
  return [
    r.model,
    String(r.batchSize),
    String(r.sequenceLength),
    String(g.newTokens),
    withCi(g.ttftSeconds),
    withCi(g.tpotSeconds),
    time(g.itlSeconds?.p50),
    time(g.itlSeconds?.p90),
    time(g.itlSeconds?.p99),
    rateOf(g.prefillTokensPerSecond),
    rateOf(g.decodeTokensPerSecond),
    time(r.timeSeconds?.median),
    g.ttftSeconds ? String(g.ttftSeconds.count) : '–',
    rate(g.weightBytes / MIB),
    rate(g.kvCache.formulaBytes / MIB),
    rateOf(g.kvCache.allocatedBytes === null ? null : g.kvCache.allocatedBytes / MIB),
    floor ? `${floor.tpotOverFloor.toFixed(2)}× of ${formatTime(floor.tpotFloorSeconds)}` : '–',
  ];
}

function generationTable(records: readonly CellRecord[]): string {
  const cells = generated(records);
  if (cells.length === 0) return '';
  const head = GENERATION_HEADERS.map((h) => `<th>${escapeXml(h)}</th>`).join('');
  const rows = cells.map((r) => {
    const tds = generationRow(r).map((text, i) => `<td${i === 0 ? '' : ' class="num"'}>${escapeXml(text)}</td>`);
    return `<tr>${tds.join('')}</tr>`;
  });
  const table = `<table class="generation"><thead><tr>${head}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
  return `<div class="table-scroll">${table}</div>`;
}

/** The generate mode: TTFT against prompt length, the decode step against context depth (the trace), memory
 * against prompt length, and a table of every figure. */
function generationSection(records: readonly CellRecord[]): string {
  const inMode = records.filter((r) => r.mode === 'generate');
  const withMemory = inMode.filter((r) => metricValue(r, 'memory') !== null);
  const figures: string[] = [];
  const notes: string[] = [];
  const ttft = ttftChart(records);
  if (ttft.series.length > 0) {
    figures.push(renderLineChartSvg(ttft));
    notes.push(
      'TTFT: time to first token, the prefill and the first token; markers are medians over the timed calls, ' +
        'whiskers the 95% confidence interval of the median.',
    );
  }
  const depth = stepDepthChart(records);
  if (depth.series.length > 0) {
    figures.push(renderLineChartSvg(depth));
    notes.push(
      'Time per output token by depth: the decode step that attends to that many positions (decoders: the prompt ' +
        "and the tokens so far; T5: the decoder's own), its median over the timed calls; the trace in the JSON holds " +
        'every step of every call.',
    );
  }
  if (withMemory.length > 0) {
    figures.push(renderLineChartSvg(buildChart(records, 'generate', 'memory', 'sequenceLength')));
    notes.push(`Memory: ${memoryLabel(withMemory).note}, during one generate call.`);
  }
  if (figures.length === 0) notes.push('No generate cell has a time or memory figure to plot.');
  return modeHtml('generate', figures, notes, inMode, generationTable(records));
}

function statusText(r: CellRecord): string {
  if (r.status === 'ok') return 'ok';
  // The code adds to the status where it says more: "ERROR (SIGSEGV)", but "OOM", not "OOM (OOM)".
  const code = r.error?.code;
  return code && code.toLowerCase() !== r.status ? `${r.status.toUpperCase()} (${code})` : r.status.toUpperCase();
}

/** Every record of the file, in its order: one row per cell with the figures a reader compares. */
function recordsTable(records: readonly CellRecord[]): string {
  const anyMfu = records.some((r) => r.efficiency?.mfu != null);
  const anyTflops = records.some((r) => r.efficiency?.tflopsPerSecond != null);
  const headers = ['Model', 'Mode', 'Batch', 'Seq', 'Status', 'Median', '95% CI of median', 'Samples', 'Samples/s', 'Tokens/s', 'Memory MiB', 'Increase MiB'];
  if (anyTflops) headers.push('TFLOP/s');
  if (anyMfu) headers.push('MFU');
  headers.push('Notes');
  const rows = records.map((r) => {
    const t = r.timeSeconds;
    const unit = t ? timeUnitFor(t.median) : null;
    const memory = headlineMemoryBytes(r);
    const increase = r.gpuMemory ? r.gpuMemory.allocatedIncreaseBytes : (r.memory?.rssIncreaseBytes ?? null);
    const cells: Array<[string, 'num' | 'text' | 'notes']> = [
      [r.model, 'text'],
      [r.mode, 'text'],
      [String(r.batchSize), 'num'],
      [String(r.sequenceLength), 'num'],
      [statusText(r), 'text'],
      [t ? formatTime(t.median, unit!) : '–', 'num'],
      [t ? `[${formatTime(t.ciLow, unit!)}, ${formatTime(t.ciHigh, unit!)}]` : '–', 'num'],
      [t ? String(t.count) : '–', 'num'],
      [r.throughput ? rate(r.throughput.samplesPerSecond) : '–', 'num'],
      [r.throughput ? grouped(r.throughput.tokensPerSecond) : '–', 'num'],
      [memory !== null ? grouped(memory / MIB) : '–', 'num'],
      [increase !== null ? grouped(increase / MIB) : '–', 'num'],
    ];
    const ok = r.status === 'ok';
    if (anyTflops) cells.push([ok && r.efficiency?.tflopsPerSecond != null ? r.efficiency.tflopsPerSecond.toPrecision(3) : '–', 'num']);
    if (anyMfu) cells.push([ok && r.efficiency?.mfu != null ? `${(r.efficiency.mfu * 100).toFixed(1)}%` : '–', 'num']);
    const notes = [...(r.error ? [r.error.message] : []), ...(r.warnings ?? [])];
    cells.push([notes.join('; '), 'notes']);
    const rowClass = r.status === 'ok' ? '' : ` class="failed"`;
    return `<tr${rowClass}>${cells.map(([text, kind]) => `<td${kind === 'text' ? '' : ` class="${kind}"`}>${escapeXml(text)}</td>`).join('')}</tr>`;
  });
  return `<div class="table-scroll"><table class="records"><thead><tr>${headers.map((h) => `<th>${escapeXml(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}

function environmentTable(results: BenchmarkResults): string {
  let entries: Array<[string, string | number | boolean | null]>;
  try {
    entries = environmentEntries(results.environment);
  } catch {
    // An older or hand-made file may lack fields the entries read: show what it has, as it has it.
    entries = Object.entries(results.environment ?? {}).map(([k, v]) => [k, typeof v === 'object' ? JSON.stringify(v) : (v as string | number | boolean)]);
  }
  const rows = entries.map(([k, v]) => `<tr><th>${escapeXml(k)}</th><td>${escapeXml(v === null || v === undefined ? 'unknown' : String(v))}</td></tr>`);
  return `<table class="environment"><tbody>${rows.join('')}</tbody></table>`;
}

const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; margin: 16px; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; }
.meta { color: #555; margin: 0 0 4px; } .warning { color: #a33; font-weight: 600; }
.charts { display: flex; flex-wrap: wrap; gap: 12px 16px; } /* two 560 px charts a row from 1170 px wide */
figure { margin: 0; } svg.chart { max-width: 100%; height: auto; font-size: 11px; }
svg .chart-title { font-size: 14px; font-weight: 600; fill: #222; }
svg .tick, svg .legend text { fill: #444; } svg .axis-label { font-size: 12px; fill: #222; } svg .empty { fill: #888; }
svg .grid { stroke: #e6e6e6; stroke-width: 1; } svg .frame { fill: none; stroke: #444; stroke-width: 1; }
.note { color: #555; margin: 4px 0; font-size: 13px; }
.not-plotted-title { margin: 10px 0 2px; font-weight: 600; } ul.not-plotted { margin: 0; }
.status-oom, .status-error, .status-timeout { color: #b00; font-weight: 600; } .status-skipped { color: #777; font-weight: 600; }
table { border-collapse: collapse; font-size: 13px; margin: 6px 0; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
thead th { background: #f3f3f3; } td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.failed td { background: #fff3f3; } table.records td:first-child { white-space: nowrap; } td.notes { min-width: 28em; } table.environment th { background: #f8f8f8; font-weight: 500; }
.table-scroll { overflow-x: auto; }
pre { background: #f6f6f6; padding: 8px; overflow-x: auto; font-size: 12px; }
`;

/** The whole report as one HTML document. Everything that comes from the results is escaped. */
export function renderReportHtml(results: BenchmarkResults, options: ReportOptions = {}): string {
  const records = results.records;
  const modes = (['inference', 'training', 'generate'] as const).filter((m) => records.some((r) => r.mode === m));
  const counts = (['ok', 'oom', 'error', 'timeout', 'skipped'] as const)
    .map((s) => [s, records.filter((r) => r.status === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`);
  const models = [...new Set(records.map((r) => r.model))];
  const targets = [...new Set(records.map((r) => `${r.device}, ${r.dtype}`))];
  const meta = [
    `${records.length} cell${records.length === 1 ? '' : 's'} (${counts.join(', ') || 'none'}) of ${models.length} model${models.length === 1 ? '' : 's'} on ${targets.join('; ') || 'no device'}`,
    `measured ${results.startedAt ?? '?'} – ${results.finishedAt ?? '?'} with ${results.tool?.name ?? 'tfbench'} ${results.tool?.version ?? ''}`.trim(),
    ...(options.source ? [`from ${options.source}`] : []),
    ...(results.shard ? [`shard${results.shard.indices.length > 1 ? 's' : ''} ${results.shard.indices.join(', ')} of ${results.shard.count}: part of the sweep`] : []),
    ...(results.merged ? [`merged from ${results.merged.sources.length} files: ${results.merged.sources.map((s) => s.name).join(', ')}`] : []),
  ];
  // Cells measured on different setups are not comparable: say so where the reader looks first.
  const differences = results.merged?.environmentDifferences ?? [];
  const body = [
    `<h1>tfbench report</h1>`,
    ...meta.map((m) => `<p class="meta">${escapeXml(m)}</p>`),
    results.interrupted ? `<p class="warning">The sweep was interrupted: only the cells measured before the stop are here.</p>` : '',
    ...differences.map((d) => `<p class="warning">${escapeXml(`The merged files ran on different setups: ${d}`)}</p>`),
    ...modes.map((m) => (m === 'generate' ? generationSection(records) : modeSection(records, m))),
    records.length === 0 ? `<p class="note">The results file has no records.</p>` : '',
    `<h2>Results</h2>`,
    recordsTable(records),
    `<h2>Environment</h2>`,
    environmentTable(results),
    `<details><summary>Arguments</summary><pre>${escapeXml(JSON.stringify(results.args ?? {}, null, 2))}</pre></details>`,
  ];
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeXml(`tfbench report: ${models.join(', ') || 'no records'}`)}</title>`,
    `<style>${STYLE}</style></head>`,
    `<body>${body.join('\n')}</body></html>`,
    '',
  ].join('\n');
}
