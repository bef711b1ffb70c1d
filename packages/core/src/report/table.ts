// Console tables in Hugging Face's benchmark layout: section title centred in '=' (20 + 40 + 20 wide),
// an 80-dash frame, columns Model Name / Batch Size / Seq Length / value centred in 30 / 15 / 15 / 15.
import { table, type TableUserConfig } from 'table';
import { headlineMemoryBytes, type CellRecord, type Mode } from '../run/records.js';

export type Section = 'inference-speed' | 'inference-memory' | 'training-speed' | 'training-memory';

/** Section titles as Hugging Face printed them (note TRAIN sections say RESULTS). */
export const SECTION_TITLES: Record<Section, string> = {
  'inference-speed': 'INFERENCE - SPEED - RESULT',
  'inference-memory': 'INFERENCE - MEMORY - RESULT',
  'training-speed': 'TRAIN - SPEED - RESULTS',
  'training-memory': 'TRAIN - MEMORY - RESULTS',
};

export const SECTION_ORDER: readonly Section[] = ['inference-speed', 'inference-memory', 'training-speed', 'training-memory'];

const MIB = 1024 * 1024;

/** Python's str.center: extra padding goes right, except that odd widths with odd margins put it left. */
export function centre(text: string, width: number): string {
  const margin = width - text.length;
  if (margin <= 0) return text;
  const left = Math.floor(margin / 2) + (margin & width & 1);
  return ' '.repeat(left) + text + ' '.repeat(margin - left);
}

export function sectionMode(section: Section): Mode {
  return section.startsWith('inference') ? 'inference' : 'training';
}

/** The value a cell shows in a section: seconds to 3 decimals ('< 0.001' below), memory in integer MiB,
 * or the cell's status in capitals when it has no value. */
export function sectionValue(record: CellRecord, section: Section): string {
  if (record.status !== 'ok') return record.status === 'oom' ? 'OOM' : record.status;
  if (section.endsWith('speed')) {
    const t = record.timeSeconds?.median;
    if (t === undefined) return '-';
    return t < 0.0005 ? '< 0.001' : t.toFixed(3);
  }
  const peak = headlineMemoryBytes(record);
  return peak === null ? '-' : String(Math.floor(peak / MIB));
}

/** The records a section shows: those of its mode with its kind of value, and failed ones (shown by status). */
export function sectionRecords(records: readonly CellRecord[], section: Section): CellRecord[] {
  const mode = sectionMode(section);
  const wantSpeed = section.endsWith('speed');
  return records.filter(
    (r) => r.mode === mode && (r.status !== 'ok' || (wantSpeed ? r.timeSeconds !== null : headlineMemoryBytes(r) !== null)),
  );
}

export function renderSection(records: readonly CellRecord[], section: Section): string {
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
  const title = '='.repeat(20) + centre(SECTION_TITLES[section], 40) + '='.repeat(20);
  return `${title}\n${table([header, ...rows], config)}`;
}

/** Every section that has records, in Hugging Face's order, separated by blank lines. */
export function renderSections(records: readonly CellRecord[]): string {
  return SECTION_ORDER.filter((s) => sectionRecords(records, s).length > 0)
    .map((s) => renderSection(records, s))
    .join('\n');
}

/** Per-module time and memory of each cell measured with breakdown: true, one table per cell. */
export function renderBreakdowns(records: readonly CellRecord[]): string {
  const MiB = 1024 * 1024;
  return records
    .filter((r) => r.breakdown && r.breakdown.length > 0)
    .map((r) => {
      const title = `BREAKDOWN - ${r.model} - batch ${r.batchSize} - seq ${r.sequenceLength} - ${r.mode}`;
      const memory = r.device.startsWith('cuda') ? 'Peak allocated MB' : 'Peak RSS MB';
      const rows = [
        ['Module', 'Time in ms', memory, 'Increase MB'],
        ...r.breakdown!.map((m) => [m.module, (m.seconds * 1000).toFixed(2), String(Math.floor(m.peakBytes / MiB)), String(Math.floor(m.increaseBytes / MiB))]),
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
