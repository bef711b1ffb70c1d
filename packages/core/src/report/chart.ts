// An inline SVG line chart, written by hand so the HTML report needs no chart library, script or network:
// axes with ticks, log scales where the data spans a wide range, one colour (and past ten, a dash pattern)
// per series, markers at the measured points, a whisker for each point's confidence interval, and a legend.

export type XScale = 'linear' | 'log2';
export type YScale = 'linear' | 'log10';

export interface ChartPoint {
  x: number;
  y: number;
  /** The confidence interval around y, drawn as a whisker; null where there is none (memory). */
  low: number | null;
  high: number | null;
  /** Tooltip text of the marker. */
  title: string;
}

export interface ChartSeries {
  label: string;
  points: ChartPoint[];
}

export interface LineChart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: ChartSeries[];
}

/** Ten distinguishable colours (matplotlib's default cycle, which Hugging Face's plot_csv_file.py drew with). */
export const SERIES_COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'] as const;
/** Past ten series the colours repeat with a dash pattern, so no two series look alike. */
const DASH_PATTERNS = ['', '7 4', '2 3'] as const;

export function seriesStyle(index: number): { colour: string; dash: string } {
  return {
    colour: SERIES_COLOURS[index % SERIES_COLOURS.length]!,
    dash: DASH_PATTERNS[Math.floor(index / SERIES_COLOURS.length) % DASH_PATTERNS.length]!,
  };
}

/** Text made safe for HTML and SVG, in element content and in quoted attributes alike. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Sequence lengths and batch sizes are usually powers of two: a log2 axis spaces them evenly once they
 * span 4× or more; closer values read better on a linear axis. */
export function chooseXScale(values: readonly number[]): XScale {
  if (values.length === 0 || values.some((v) => v <= 0)) return 'linear';
  return Math.max(...values) / Math.min(...values) >= 4 ? 'log2' : 'linear';
}

/** Times and memory over a grid grow by orders of magnitude: past 10× a linear axis squashes the small
 * values into the floor, so use log10 there. */
export function chooseYScale(values: readonly number[]): YScale {
  if (values.length === 0 || values.some((v) => v <= 0)) return 'linear';
  return Math.max(...values) / Math.min(...values) > 10 ? 'log10' : 'linear';
}

/** A tick label: at most 4 significant digits, no exponent notation, thousands grouped. */
export function formatTick(value: number): string {
  if (value === 0) return '0';
  const rounded = Number(value.toPrecision(4));
  if (Math.abs(rounded) >= 1000) return Math.round(rounded).toLocaleString('en-US');
  return String(rounded).includes('e') ? rounded.toFixed(12).replace(/\.?0+$/, '') : String(rounded);
}

/** A step of 1, 2, 2.5 or 5 × 10^k that cuts range into about `target` intervals. */
function niceStep(range: number, target: number): number {
  const raw = range / target;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * magnitude >= raw) return m * magnitude;
  return 10 * magnitude;
}

interface Axis {
  scale: XScale | YScale;
  /** Domain value → pixel offset along the axis, 0 at the domain's low end. */
  toPixel(value: number): number;
  ticks: number[];
}

function logAxis(scale: 'log2' | 'log10', lo: number, hi: number, lengthPx: number, ticks: number[]): Axis {
  const base = scale === 'log2' ? Math.log2 : Math.log10;
  const a = base(lo);
  const b = base(hi);
  return { scale, ticks, toPixel: (v) => ((base(v) - a) / (b - a)) * lengthPx };
}

function linearAxis(scale: 'linear', lo: number, hi: number, lengthPx: number, ticks: number[]): Axis {
  return { scale, ticks, toPixel: (v) => ((v - lo) / (hi - lo)) * lengthPx };
}

/** The x axis: grid values are few, so the ticks sit at the measured values themselves when there are at
 * most 12 of them (8, 32, 128, 512 rather than 10, 100). */
function xAxis(values: number[], lengthPx: number): Axis {
  const distinct = [...new Set(values)].sort((p, q) => p - q);
  const lo = distinct[0]!;
  const hi = distinct[distinct.length - 1]!;
  const scale = chooseXScale(distinct);
  if (scale === 'log2') {
    const ticks = distinct.length <= 12 ? distinct : powersBetween(2, lo, hi, [1]);
    return logAxis('log2', lo / 2 ** 0.3, hi * 2 ** 0.3, lengthPx, ticks); // margin so end markers clear the frame
  }
  const pad = hi > lo ? (hi - lo) * 0.06 : Math.max(1, lo * 0.5);
  const ticks = distinct.length <= 12 ? distinct : stepTicks(lo, hi);
  return linearAxis('linear', lo - pad, hi + pad, lengthPx, ticks);
}

/** The y axis: log10 with ticks at 1, 2, 5 × 10^k (only 10^k past three decades), or linear from zero. */
function yAxis(values: number[], lengthPx: number): Axis {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  if (chooseYScale(values) === 'log10') {
    const domainLo = lo / 1.2;
    const domainHi = hi * 1.2;
    const decades = Math.log10(domainHi / domainLo);
    return logAxis('log10', domainLo, domainHi, lengthPx, powersBetween(10, domainLo, domainHi, decades <= 3 ? [1, 2, 5] : [1]));
  }
  // Linear from zero: a bar-free line chart still should not exaggerate small differences.
  const top = hi > 0 ? hi * 1.05 : 1;
  const step = niceStep(top, 5);
  const domainHi = Math.ceil(top / step - 1e-9) * step;
  return linearAxis('linear', 0, domainHi, lengthPx, stepTicks(0, domainHi, step));
}

function powersBetween(base: number, lo: number, hi: number, multipliers: number[]): number[] {
  const ticks: number[] = [];
  const first = Math.floor(Math.log(lo) / Math.log(base));
  const last = Math.ceil(Math.log(hi) / Math.log(base));
  for (let k = first; k <= last; k++) {
    for (const m of multipliers) {
      const v = Number((m * base ** k).toPrecision(12)); // 2 × 10^-3 prints as 0.002, not 0.0020000000000000005
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) ticks.push(v);
    }
  }
  return ticks;
}

function stepTicks(lo: number, hi: number, step = niceStep(hi - lo || 1, 5)): number[] {
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

const WIDTH = 560;
const MARGIN = { left: 66, right: 18, top: 34, bottom: 46 };
const PLOT_HEIGHT = 250;
const LEGEND_ROW_PX = 18;
const LEGEND_COLUMN_PX = 240;
/** Characters of a legend label that fit its column at 11 px; the full label is in the entry's tooltip. */
const LEGEND_LABEL_CHARS = 34;
/** A cut label keeps its end, where the series' batch or sequence length is ("· batch 128"). */
const LEGEND_LABEL_TAIL = 11;
const X_LABEL_MIN_GAP_PX = 30;

/** A label that fits a legend column: the middle of a long model name gives way, its end stays. */
export function shortenLabel(label: string): string {
  if (label.length <= LEGEND_LABEL_CHARS) return label;
  const head = LEGEND_LABEL_CHARS - 1 - LEGEND_LABEL_TAIL;
  return `${label.slice(0, head)}…${label.slice(-LEGEND_LABEL_TAIL)}`;
}

const f1 = (v: number) => (Math.round(v * 10) / 10).toString();

/** The chart as an <svg> element (inline in HTML; width scales down on narrow screens). Points with a
 * non-positive or non-finite value cannot sit on a log axis and are left out by the caller. */
export function renderLineChartSvg(chart: LineChart): string {
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const points = chart.series.flatMap((s) => s.points);
  const legendColumns = Math.max(1, Math.floor((WIDTH - MARGIN.left) / LEGEND_COLUMN_PX));
  const legendRows = Math.ceil(chart.series.length / legendColumns);
  const height = MARGIN.top + PLOT_HEIGHT + MARGIN.bottom + legendRows * LEGEND_ROW_PX + 8;
  const out: string[] = [];
  out.push(`<svg class="chart" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="${escapeXml(chart.title)}"`);
  if (points.length === 0) {
    out.push(`>`, `<text x="${WIDTH / 2}" y="${height / 2}" text-anchor="middle" class="empty">no measured points</text></svg>`);
    return out.join('');
  }
  const x = xAxis(points.map((p) => p.x), plotWidth);
  const y = yAxis(points.flatMap((p) => [p.y, ...(p.low !== null && p.low > 0 ? [p.low] : []), ...(p.high !== null ? [p.high] : [])]), PLOT_HEIGHT);
  out.push(` data-x-scale="${x.scale}" data-y-scale="${y.scale}" data-series-count="${chart.series.length}">`);
  out.push(`<title>${escapeXml(chart.title)}</title>`);
  out.push(`<text class="chart-title" x="${MARGIN.left}" y="20">${escapeXml(chart.title)}</text>`);
  const px = (v: number) => MARGIN.left + x.toPixel(v);
  const py = (v: number) => MARGIN.top + PLOT_HEIGHT - y.toPixel(v);
  const plotBottom = MARGIN.top + PLOT_HEIGHT;

  // Grid and ticks first, so the series draw over them.
  out.push(`<g class="y-axis">`);
  for (const t of y.ticks) {
    const ty = f1(py(t));
    out.push(`<line class="grid" x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${ty}" y2="${ty}"/>`);
    out.push(`<text class="tick" x="${MARGIN.left - 6}" y="${ty}" text-anchor="end" dominant-baseline="middle">${escapeXml(formatTick(t))}</text>`);
  }
  out.push(`</g><g class="x-axis">`);
  let lastLabelPx = -Infinity;
  for (const t of x.ticks) {
    const tx = px(t);
    out.push(`<line class="grid" x1="${f1(tx)}" x2="${f1(tx)}" y1="${MARGIN.top}" y2="${plotBottom}"/>`);
    if (tx - lastLabelPx < X_LABEL_MIN_GAP_PX) continue; // crowded values (8, 9 on a log axis): keep the first label
    lastLabelPx = tx;
    out.push(`<text class="tick" x="${f1(tx)}" y="${plotBottom + 16}" text-anchor="middle">${escapeXml(formatTick(t))}</text>`);
  }
  out.push(`</g>`);
  out.push(`<rect class="frame" x="${MARGIN.left}" y="${MARGIN.top}" width="${plotWidth}" height="${PLOT_HEIGHT}"/>`);
  const xScaleNote = x.scale === 'log2' ? ' (log₂ scale)' : '';
  const yScaleNote = y.scale === 'log10' ? ' (log scale)' : '';
  out.push(`<text class="axis-label" x="${MARGIN.left + plotWidth / 2}" y="${plotBottom + 36}" text-anchor="middle">${escapeXml(chart.xLabel + xScaleNote)}</text>`);
  out.push(
    `<text class="axis-label" transform="translate(16 ${MARGIN.top + PLOT_HEIGHT / 2}) rotate(-90)" text-anchor="middle">${escapeXml(chart.yLabel + yScaleNote)}</text>`,
  );

  chart.series.forEach((series, index) => {
    const { colour, dash } = seriesStyle(index);
    const sorted = [...series.points].sort((p, q) => p.x - q.x);
    out.push(`<g class="series" data-series="${index}" data-label="${escapeXml(series.label)}" stroke="${colour}" fill="${colour}">`);
    out.push(`<title>${escapeXml(series.label)}</title>`);
    if (sorted.length >= 2) {
      const d = sorted.map((p, i) => `${i === 0 ? 'M' : 'L'}${f1(px(p.x))} ${f1(py(p.y))}`).join(' ');
      out.push(`<path class="series-line" d="${d}" fill="none" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`);
    }
    for (const p of sorted) {
      const cx = f1(px(p.x));
      if (p.low !== null && p.high !== null && p.high > p.low && p.low > 0) {
        // The median's 95% interval as a whisker with caps: no band, which would hide overlapping series.
        const top = f1(py(p.high));
        const bottom = f1(py(p.low));
        out.push(`<path class="whisker" d="M${cx} ${top} V${bottom} M${f1(px(p.x) - 3)} ${top} h6 M${f1(px(p.x) - 3)} ${bottom} h6" fill="none" stroke-width="1.2"/>`);
      }
      out.push(`<circle class="marker" cx="${cx}" cy="${f1(py(p.y))}" r="3.5"><title>${escapeXml(p.title)}</title></circle>`);
    }
    out.push(`</g>`);
  });

  // Legend under the plot, filled row by row.
  const legendTop = plotBottom + MARGIN.bottom + 4;
  out.push(`<g class="legend">`);
  chart.series.forEach((series, index) => {
    const { colour, dash } = seriesStyle(index);
    const lx = MARGIN.left + (index % legendColumns) * LEGEND_COLUMN_PX;
    const ly = legendTop + Math.floor(index / legendColumns) * LEGEND_ROW_PX;
    const label = shortenLabel(series.label);
    out.push(`<g class="legend-entry"><title>${escapeXml(series.label)}</title>`);
    out.push(`<line x1="${lx}" x2="${lx + 20}" y1="${ly}" y2="${ly}" stroke="${colour}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`);
    out.push(`<circle cx="${lx + 10}" cy="${ly}" r="3" fill="${colour}"/>`);
    out.push(`<text x="${lx + 26}" y="${ly}" dominant-baseline="middle">${escapeXml(label)}</text></g>`);
  });
  out.push(`</g></svg>`);
  return out.join('');
}
