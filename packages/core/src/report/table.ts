// Console tables in Hugging Face's benchmark layout: section title centred in '=' (20 + 40 + 20 wide),
// an 80-dash frame, columns Model Name / Batch Size / Seq Length / value centred in 30 / 15 / 15 / 15.
import { table, type TableUserConfig } from 'table';
import { headlineMemoryBytes, type CellRecord, type GenerationRecord, type Mode, type TimeRecord } from './results.js';

export type Section =
  | 'inference-speed'
  | 'inference-memory'
  | 'training-speed'
  | 'training-memory'
  | 'generate-speed'
  | 'generate-memory';

/** Section titles as Hugging Face printed them (note TRAIN sections say RESULTS), and generation's after them. */
export const SECTION_TITLES: Record<Section, string> = {
  'inference-speed': 'INFERENCE - SPEED - RESULT',
  'inference-memory': 'INFERENCE - MEMORY - RESULT',
  'training-speed': 'TRAIN - SPEED - RESULTS',
  'training-memory': 'TRAIN - MEMORY - RESULTS',
  'generate-speed': 'GENERATION - SPEED - RESULT',
  'generate-memory': 'GENERATION - MEMORY - RESULT',
};

export const SECTION_ORDER: readonly Section[] = [
  'inference-speed',
  'inference-memory',
  'training-speed',
  'training-memory',
  'generate-speed',
  'generate-memory',
];

const MIB = 1024 * 1024;

/** Bytes as whole MiB, rounded down, as Hugging Face printed memory. */
function mib(bytes: number): string {
  return String(Math.floor(bytes / MIB));
}

/** Python's str.center: extra padding goes right, except that odd widths with odd margins put it left. */
export function centre(text: string, width: number): string {
  const margin = width - text.length;
  if (margin <= 0) return text;
  const left = Math.floor(margin / 2) + (margin & width & 1);
  return ' '.repeat(left) + text + ' '.repeat(margin - left);
}

export function sectionMode(section: Section): Mode {
  return section.startsWith('inference') ? 'inference' : section.startsWith('training') ? 'training' : 'generate';
}

/** The value a cell shows in a section: seconds to 3 decimals ('< 0.001' below; a generate cell's: per whole
 * generate call), memory in integer MiB, or the cell's status in capitals when it has no value. */
export function sectionValue(record: CellRecord, section: Section): string {
  if (record.status !== 'ok') return record.status === 'oom' ? 'OOM' : record.status;
  if (section.endsWith('speed')) {
    const t = record.timeSeconds?.median;
    if (t === undefined) return '-';
    return t < 0.0005 ? '< 0.001' : t.toFixed(3);
  }
  const peak = headlineMemoryBytes(record);
  return peak === null ? '-' : mib(peak);
}

/** The records a section shows: those of its mode with its kind of value, and failed ones (shown by status). */
export function sectionRecords(records: readonly CellRecord[], section: Section): CellRecord[] {
  const mode = sectionMode(section);
  const wantSpeed = section.endsWith('speed');
  return records.filter(
    (r) => r.mode === mode && (r.status !== 'ok' || (wantSpeed ? r.timeSeconds !== null : headlineMemoryBytes(r) !== null)),
  );
}

/** The console layout: 'default' = Hugging Face's sections and first columns, then tfbench's statistics
 * (CI, throughput, efficiency, allocator figures) in columns sized to fit; 'hf' = Hugging Face's table exactly. */
export type TableFormat = 'default' | 'hf';
export const TABLE_FORMATS: readonly TableFormat[] = ['default', 'hf'];

export function renderSection(records: readonly CellRecord[], section: Section, format: TableFormat = 'default'): string {
  return format === 'hf' ? renderHfSection(records, section) : renderDefaultSection(records, section);
}

function renderHfSection(records: readonly CellRecord[], section: Section): string {
  const label = section.endsWith('speed') ? 'Time in s' : 'Memory in MB';
  const rows = sectionRecords(records, section).map((r) => [
    centre(r.model.slice(0, 30), 30),
    centre(String(r.batchSize), 15),
    centre(String(r.sequenceLength), 15),
    centre(sectionValue(r, section), 15),
  ]);
  const header = [centre('Model Name', 30), centre('Batch Size', 15), centre('Seq Length', 15), centre(label, 15)];
  const dashes = { body: '-', join: '', left: '', right: '-----' }; // 75 columns of text in an 80-dash frame
  const config: TableUserConfig = {
    columns: [{ width: 30 }, { width: 15 }, { width: 15 }, { width: 15 }],
    columnDefault: { paddingLeft: 0, paddingRight: 0, alignment: 'left' },
    border: {
      topBody: dashes.body, topJoin: dashes.join, topLeft: dashes.left, topRight: dashes.right,
      joinBody: dashes.body, joinJoin: dashes.join, joinLeft: dashes.left, joinRight: dashes.right,
      bottomBody: dashes.body, bottomJoin: dashes.join, bottomLeft: dashes.left, bottomRight: dashes.right,
      bodyLeft: '', bodyJoin: '', bodyRight: '',
    },
    drawHorizontalLine: (index, size) => index === 0 || index === 1 || index === size,
  };
  return `${sectionTitle(SECTION_TITLES[section], 80)}\n${table([header, ...rows], config)}`;
}

/** '=' * 20 + title centred in 40 + '=' * 20 for Hugging Face's 80 columns; wider tables widen both rules. */
function sectionTitle(title: string, width: number): string {
  const rule = Math.max(20, Math.floor((width - 40) / 2));
  return '='.repeat(rule) + centre(title, 40) + '='.repeat(Math.max(20, width - 40 - rule));
}

/** Seconds with four significant digits (three decimals at least): 1.338, 0.1190, 0.0004120. */
export function formatSeconds(t: number): string {
  return t >= 1 ? t.toFixed(3) : t.toPrecision(4);
}

/** A rate with three significant digits, thousands grouped: 67.2, 538, 12,345. */
export function formatRate(x: number): string {
  return x >= 1000 ? Math.round(x).toLocaleString('en-US') : x.toPrecision(3);
}

/** A column of the default layout: its header, how a measured cell shows, and a note under the table. */
interface Column {
  header: string;
  align: 'left' | 'right';
  value: (r: CellRecord) => string;
}

const MISSING = '-';

/** Columns after Hugging Face's first three, and the notes under the table. */
interface ColumnsAndNotes {
  columns: Column[];
  notes: string[];
}

/** The columns of a section in the default layout. The first four are Hugging Face's (its value column
 * shows a failed cell's status); the rest are shown only when some record of the section has them. */
function defaultColumns(records: readonly CellRecord[], section: Section): ColumnsAndNotes {
  const ok = records.filter((r) => r.status === 'ok');
  const first: Column[] = [
    { header: 'Model Name', align: 'left', value: (r) => r.model },
    { header: 'Batch Size', align: 'right', value: (r) => String(r.batchSize) },
    { header: 'Seq Length', align: 'right', value: (r) => String(r.sequenceLength) },
  ];
  const generate = sectionMode(section) === 'generate';
  const speed = section.endsWith('speed');
  const rest = speed ? (generate ? generationSpeedColumns(ok) : speedColumns(ok)) : memoryColumns(ok, generate);
  return { columns: [...first, ...rest.columns], notes: rest.notes };
}

/** "±1.2%" (with "*" below 95% confidence), and " (n)" with the sample count when `withCount`. */
function ciText(t: TimeRecord, withCount: boolean): string {
  const flag = t.ciLevel < 0.95 ? '*' : '';
  return `±${(t.relCiHalfWidth * 100).toFixed(1)}%${flag}${withCount ? ` (${t.count})` : ''}`;
}

const FEW_SAMPLES_NOTE =
  '*: too few samples for 95% confidence: [min, max] bounds the median with the confidence the JSON gives (ciLevel).';

function speedColumns(ok: readonly CellRecord[]): ColumnsAndNotes {
  const columns: Column[] = [];
  const notes: string[] = [];
  columns.push({ header: 'Time in s', align: 'right', value: (r) => (r.timeSeconds ? formatSeconds(r.timeSeconds.median) : MISSING) });
  columns.push({ header: '95% CI (n)', align: 'right', value: (r) => (r.timeSeconds ? ciText(r.timeSeconds, true) : MISSING) });
  notes.push('Time in s: median seconds per call; 95% CI: half-width of the confidence interval of the median, relative to it, and the number of timed calls.');
  if (ok.some((r) => r.timeSeconds && r.timeSeconds.ciLevel < 0.95)) notes.push(FEW_SAMPLES_NOTE);
  if (ok.some((r) => r.phasesSeconds)) {
    columns.push({ header: 'Forward s', align: 'right', value: (r) => (r.phasesSeconds ? formatSeconds(r.phasesSeconds.forward.median) : MISSING) });
    columns.push({ header: 'Backward s', align: 'right', value: (r) => (r.phasesSeconds ? formatSeconds(r.phasesSeconds.backward.median) : MISSING) });
    if (ok.some((r) => r.phasesSeconds?.optimizer)) {
      columns.push({ header: 'Optimizer s', align: 'right', value: (r) => (r.phasesSeconds?.optimizer ? formatSeconds(r.phasesSeconds.optimizer.median) : MISSING) });
    }
  }
  if (ok.some((r) => r.throughput)) {
    columns.push({ header: 'Samples/s', align: 'right', value: (r) => (r.throughput ? formatRate(r.throughput.samplesPerSecond) : MISSING) });
    columns.push({ header: 'Tokens/s', align: 'right', value: (r) => (r.throughput ? formatRate(r.throughput.tokensPerSecond) : MISSING) });
  }
  // Results files written before efficiency was recorded have none: those cells show '-'.
  const tflops = (r: CellRecord) => r.efficiency?.tflopsPerSecond ?? null;
  const mfu = (r: CellRecord) => r.efficiency?.mfu ?? null;
  if (ok.some((r) => tflops(r) !== null)) {
    columns.push({ header: 'TFLOP/s', align: 'right', value: (r) => tflops(r)?.toPrecision(3) ?? MISSING });
  }
  if (ok.some((r) => mfu(r) !== null)) {
    columns.push({ header: 'MFU', align: 'right', value: (r) => { const m = mfu(r); return m === null ? MISSING : `${(m * 100).toFixed(1)}%`; } });
    const peaks = [...new Set(ok.filter((r) => mfu(r) !== null).map((r) => `${r.efficiency.peakTflops} TFLOP/s (${r.efficiency.peakSource})`))];
    notes.push(`MFU: achieved TFLOP/s over the device's dense peak for the dtype, ${peaks.join('; ')}.`);
  }
  return { columns, notes };
}

/** Milliseconds with four significant digits, thousands grouped: 12.34, 0.1234, 1,234. */
export function formatMilliseconds(ms: number): string {
  return ms >= 1000 ? Math.round(ms).toLocaleString('en-US') : ms.toPrecision(4);
}

/** "32" or "16, 32": the new tokens of the cells shown. */
function newTokensText(ok: readonly CellRecord[]): string {
  const counts = new Set(ok.flatMap((r) => (r.generation ? [r.generation.newTokens] : [])));
  return [...counts].sort((a, b) => a - b).join(', ');
}

/** A right-aligned column of a generation figure; '-' where a cell has none. */
function generationColumn(header: string, show: (g: GenerationRecord) => string | null): Column {
  return { header, align: 'right', value: (r) => (r.generation ? (show(r.generation) ?? MISSING) : MISSING) };
}

/** Generation's speed: TTFT and TPOT (medians over calls, with their CIs), ITL percentiles, prefill and decode
 * tokens/s, E2E per call, and TPOT over the memory-bandwidth floor where there is one. */
function generationSpeedColumns(ok: readonly CellRecord[]): ColumnsAndNotes {
  const ms = (seconds: number) => formatMilliseconds(seconds * 1000);
  const rate = (x: number | null) => (x === null ? null : formatRate(x));
  const has = (figure: (g: GenerationRecord) => unknown) => ok.some((r) => r.generation && figure(r.generation));
  const anyTpot = has((g) => g.tpotSeconds);
  const columns: Column[] = [
    generationColumn('TTFT ms', (g) => g.ttftSeconds && ms(g.ttftSeconds.median)),
    generationColumn(anyTpot ? '95% CI' : '95% CI (n)', (g) => g.ttftSeconds && ciText(g.ttftSeconds, !anyTpot)),
  ];
  if (anyTpot) {
    columns.push(generationColumn('TPOT ms', (g) => g.tpotSeconds && ms(g.tpotSeconds.median)));
    columns.push(generationColumn('95% CI (n)', (g) => g.tpotSeconds && ciText(g.tpotSeconds, true)));
  }
  const tpotNote = anyTpot ? '; TPOT: time per output token after the first, (E2E − TTFT) / (N − 1)' : '';
  const notes = [
    `TTFT: time to first token (the prefill and the first token)${tpotNote}; each the median over the timed ` +
      'generate calls, in ms, with the half-width of its 95% confidence interval relative to it (n: calls).',
  ];
  if (has((g) => [g.ttftSeconds, g.tpotSeconds].some((t) => t && t.ciLevel < 0.95))) notes.push(FEW_SAMPLES_NOTE);
  if (has((g) => g.itlSeconds)) {
    for (const p of ['p50', 'p90', 'p99'] as const) {
      columns.push(generationColumn(`ITL ${p} ms`, (g) => g.itlSeconds && ms(g.itlSeconds[p])));
    }
    notes.push(
      "ITL p50 / p90 / p99: percentiles of every decode step's latency, pooled over the calls, in ms. TPOT is a " +
        "call's mean gap between tokens and ITL p50 the median gap: a few slow steps lift the mean, so ITL p50 below " +
        'TPOT is usual.',
    );
  }
  columns.push(generationColumn('Prefill tok/s', (g) => rate(g.prefillTokensPerSecond)));
  if (anyTpot) columns.push(generationColumn('Decode tok/s', (g) => rate(g.decodeTokensPerSecond)));
  const e2e = (r: CellRecord) => (r.timeSeconds ? formatSeconds(r.timeSeconds.median) : MISSING);
  columns.push({ header: 'E2E s', align: 'right', value: e2e });
  const newTokens = newTokensText(ok);
  notes.push(
    `Prefill tok/s = B·S / TTFT${anyTpot ? '; Decode tok/s = B·(N − 1) / (E2E − TTFT)' : ''}, of the medians; ` +
      `E2E s: median seconds per generate call${newTokens ? `; N = ${newTokens} new tokens per sequence` : ''}.`,
  );
  const floors = ok.flatMap((r) => (r.generation?.bandwidthFloor ? [r.generation.bandwidthFloor] : []));
  if (floors.length > 0) {
    const overFloor = (g: GenerationRecord) => g.bandwidthFloor && `${g.bandwidthFloor.tpotOverFloor.toFixed(2)}×`;
    columns.push(generationColumn('TPOT / floor', overFloor));
    const gbPerSecond = (f: (typeof floors)[number]) => `${(f.bandwidthBytesPerSecond / 1e9).toPrecision(3)} GB/s`;
    const where = floors.every((f) => f.bandwidthSource === 'cell')
      ? "measured between each cell's own calls"
      : floors.every((f) => f.bandwidthSource === 'run-start')
        ? 'measured at the start of the run'
        : "measured between each cell's own calls, else at the start of the run";
    notes.push(
      'TPOT / floor (batch 1): the median TPOT over the memory-bandwidth floor, the bytes of the weights a decode ' +
        `step reads over the bandwidth ${where} (${[...new Set(floors.map(gbPerSecond))].join(', ')}).`,
    );
  }
  return { columns, notes };
}

/** MiB with three significant digits, thousands grouped: 0.0117, 4.69, 548, 1,234. */
function formatMib(bytes: number): string {
  const m = bytes / MIB;
  return m >= 1000 ? Math.round(m).toLocaleString('en-US') : m.toPrecision(3);
}

/** The memory columns from Memory in MB on; generate cells add the weights and the KV cache. */
function memoryColumns(ok: readonly CellRecord[], generate: boolean): ColumnsAndNotes {
  const columns: Column[] = [];
  const notes: string[] = [];
  const onGpu = ok.some((r) => r.gpuMemory);
  columns.push({ header: 'Memory in MB', align: 'right', value: (r) => { const b = headlineMemoryBytes(r); return b === null ? MISSING : mib(b); } });
  if (onGpu) {
    columns.push({ header: 'Allocated MB', align: 'right', value: (r) => (r.gpuMemory ? mib(r.gpuMemory.peakAllocatedBytes) : MISSING) });
    columns.push({ header: 'Reserved MB', align: 'right', value: (r) => (r.gpuMemory ? mib(r.gpuMemory.peakReservedBytes) : MISSING) });
    columns.push({ header: 'Increase MB', align: 'right', value: (r) => (r.gpuMemory ? mib(r.gpuMemory.allocatedIncreaseBytes) : MISSING) });
    const nvmlMissing = ok.find((r) => r.gpuMemory && r.gpuMemory.deviceUsedBytes === null);
    notes.push(
      nvmlMissing
        ? `Memory in MB: the allocator's peak reserved MiB (NVML unavailable: ${nvmlMissing.gpuMemory!.deviceUsedReason}).`
        : 'Memory in MB: device memory used after the call as NVML (nvidia-smi) sees it, CUDA context included, as Hugging Face reported.',
      'Allocated / Reserved MB: peaks of the caching allocator during the call (torch.cuda.max_memory_allocated / _reserved); Increase MB: peak allocated minus allocated before the call.',
    );
  }
  if (ok.some((r) => r.memory)) {
    columns.push({ header: 'RSS increase MB', align: 'right', value: (r) => (r.memory ? mib(r.memory.rssIncreaseBytes) : MISSING) });
    if (!onGpu) notes.push('Memory in MB: peak resident set size of the process during the call (MiB), as Hugging Face reported; RSS increase MB: over the RSS right before the call.');
  }
  if (generate && ok.some((r) => r.generation)) {
    columns.push(generationColumn('Weights MB', (g) => formatMib(g.weightBytes)));
    columns.push(generationColumn('KV cache MB', (g) => formatMib(g.kvCache.formulaBytes)));
    const anyAllocated = ok.some((r) => r.generation && r.generation.kvCache.allocatedBytes !== null);
    if (anyAllocated) {
      const allocated = (g: GenerationRecord) => g.kvCache.allocatedBytes;
      columns.push(generationColumn('KV allocated MB', (g) => (allocated(g) === null ? null : formatMib(allocated(g)!))));
    }
    notes.push(
      "Weights MB: parameters × dtype bytes; KV cache MB: the family's formula, 2·L·B·(S + N)·H_kv·d_head·bytes " +
        '(T5: per decoder layer, self-attention keys and values for 1 + N positions and cross-attention ones for ' +
        'S)' +
        `${anyAllocated ? '; KV allocated MB: the cache tensors the backend allocated' : ''}.`,
    );
  }
  return { columns, notes };
}

/** Hugging Face's sections and first four columns, then tfbench's statistics; columns sized to their
 * contents, numbers right-aligned, a failed cell's status in the value column and '-' in the others. */
function renderDefaultSection(records: readonly CellRecord[], section: Section): string {
  const shown = sectionRecords(records, section);
  const { columns, notes } = defaultColumns(shown, section);
  const cells = shown.map((r) =>
    columns.map((c, i) => (r.status === 'ok' ? c.value(r) : i === 3 ? sectionValue(r, section) : i < 3 ? c.value(r) : MISSING)),
  );
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((row) => row[i]!.length)));
  const line = (values: string[]) =>
    values.map((v, i) => (columns[i]!.align === 'left' ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ').trimEnd();
  const width = Math.max(80, widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1));
  const rule = '-'.repeat(width);
  return [
    sectionTitle(SECTION_TITLES[section], width),
    rule,
    line(columns.map((c) => c.header)),
    rule,
    ...cells.map(line),
    rule,
    ...notes,
  ].join('\n') + '\n';
}

/** Every section that has records, in Hugging Face's order, separated by blank lines. */
export function renderSections(records: readonly CellRecord[], format: TableFormat = 'default'): string {
  return SECTION_ORDER.filter((s) => sectionRecords(records, s).length > 0)
    .map((s) => renderSection(records, s, format))
    .join('\n');
}

/** Per-module time and memory of each cell measured with breakdown: true, one table per cell. */
export function renderBreakdowns(records: readonly CellRecord[]): string {
  return records
    .filter((r) => r.breakdown && r.breakdown.length > 0)
    .map((r) => {
      const title = `BREAKDOWN - ${r.model} - batch ${r.batchSize} - seq ${r.sequenceLength} - ${r.mode}`;
      const memory = r.device.startsWith('cuda') ? 'Peak allocated MB' : 'Peak RSS MB';
      const rows = [
        ['Module', 'Time in ms', memory, 'Increase MB'],
        ...r.breakdown!.map((m) => [m.module, (m.seconds * 1000).toFixed(2), mib(m.peakBytes), mib(m.increaseBytes)]),
      ];
      const config: TableUserConfig = {
        columns: [{ alignment: 'left' }, { alignment: 'right' }, { alignment: 'right' }, { alignment: 'right' }],
        drawHorizontalLine: (line, count) => line === 0 || line === 1 || line === count,
      };
      return `${title}\n${table(rows, config)}`;
    })
    .join('\n');
}

/** The ENVIRONMENT INFORMATION block: '- key: value' lines as Hugging Face printed them. */
export function renderEnvironment(entries: ReadonlyArray<readonly [string, string | number | boolean | null]>): string {
  const title = '='.repeat(20) + centre('ENVIRONMENT INFORMATION', 40) + '='.repeat(20);
  return [title, ...entries.map(([k, v]) => `- ${k}: ${v === null ? 'unknown' : String(v)}`)].join('\n') + '\n';
}
