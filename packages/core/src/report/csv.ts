// CSV files in Hugging Face's format: one per section (`model,batch_size,sequence_length,result`; time in
// seconds to 4 decimals, memory in integer MB = MiB) and the environment as `key,value` rows. Generation's two
// files keep those four columns (result: seconds per generate call, peak MB) and add their figures after them.
import { resolve } from 'node:path';
import { writeToString } from 'fast-csv';
import type { BenchmarkArgs } from '../args/index.js';
import { headlineMemoryBytes, type CellRecord, type GenerationRecord } from './results.js';
import { writeFileAtomic } from './atomic.js';
import { SECTION_ORDER, sectionRecords, type Section } from './table.js';

const MIB = 1024 * 1024;

type CsvFileArg =
  | 'inferenceTimeCsvFile'
  | 'inferenceMemoryCsvFile'
  | 'trainTimeCsvFile'
  | 'trainMemoryCsvFile'
  | 'generateTimeCsvFile'
  | 'generateMemoryCsvFile'
  | 'envInfoCsvFile';

const SECTION_FILE_ARGS: Record<Section, CsvFileArg> = {
  'inference-speed': 'inferenceTimeCsvFile',
  'inference-memory': 'inferenceMemoryCsvFile',
  'training-speed': 'trainTimeCsvFile',
  'training-memory': 'trainMemoryCsvFile',
  'generate-speed': 'generateTimeCsvFile',
  'generate-memory': 'generateMemoryCsvFile',
};

/** Generation's columns after Hugging Face's four: seconds and rates to 6 significant digits, MiB to 3 decimals;
 * empty where a cell has no such figure (failed, N = 1, not measured). */
type GenerationColumn = [name: string, value: (g: GenerationRecord) => number | null | undefined];

const GENERATION_COLUMNS: Partial<Record<Section, GenerationColumn[]>> = {
  'generate-speed': [
    ['new_tokens', (g) => g.newTokens],
    ['ttft_s', (g) => g.ttftSeconds?.median],
    ['tpot_s', (g) => g.tpotSeconds?.median],
    ['itl_p50_s', (g) => g.itlSeconds?.p50],
    ['itl_p90_s', (g) => g.itlSeconds?.p90],
    ['itl_p99_s', (g) => g.itlSeconds?.p99],
    ['prefill_tokens_per_s', (g) => g.prefillTokensPerSecond],
    ['decode_tokens_per_s', (g) => g.decodeTokensPerSecond],
  ],
  'generate-memory': [
    ['new_tokens', (g) => g.newTokens],
    ['weights_mb', (g) => g.weightBytes / MIB],
    ['kv_cache_mb', (g) => g.kvCache.formulaBytes / MIB],
    ['kv_cache_allocated_mb', (g) => (g.kvCache.allocatedBytes === null ? null : g.kvCache.allocatedBytes / MIB)],
  ],
};

function csvFigure(name: string, value: number | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (name === 'new_tokens') return String(value);
  return name.endsWith('_mb') ? value.toFixed(3) : String(Number(value.toPrecision(6)));
}

/** The arguments that name the CSV files, sections in order, then the environment's. */
export function csvFileArgs(): CsvFileArg[] {
  return [...SECTION_ORDER.map((s) => SECTION_FILE_ARGS[s]), 'envInfoCsvFile'];
}

function csvValue(record: CellRecord, section: Section): string {
  if (record.status !== 'ok') return record.status.toUpperCase();
  if (section.endsWith('speed')) return record.timeSeconds ? record.timeSeconds.median.toFixed(4) : '';
  const peak = headlineMemoryBytes(record);
  return peak === null ? '' : String(Math.floor(peak / MIB));
}

export function sectionCsvRows(records: readonly CellRecord[], section: Section): string[][] {
  const extra = GENERATION_COLUMNS[section] ?? [];
  return [
    ['model', 'batch_size', 'sequence_length', 'result', ...extra.map(([name]) => name)],
    ...sectionRecords(records, section).map((r) => [
      r.model,
      String(r.batchSize),
      String(r.sequenceLength),
      csvValue(r, section),
      ...extra.map(([name, value]) => (r.status === 'ok' && r.generation ? csvFigure(name, value(r.generation)) : '')),
    ]),
  ];
}

/** The section CSVs that have records, and the environment CSV: each file's path (under outputDir) and text. */
export async function csvFiles(
  records: readonly CellRecord[],
  environment: ReadonlyArray<readonly [string, string | number | boolean]>,
  args: Pick<BenchmarkArgs, 'outputDir' | CsvFileArg>,
): Promise<Array<{ path: string; text: string }>> {
  const files: Array<{ path: string; text: string }> = [];
  for (const section of SECTION_ORDER) {
    if (sectionRecords(records, section).length === 0) continue;
    files.push({ path: resolve(args.outputDir, args[SECTION_FILE_ARGS[section]]), text: await writeToString(sectionCsvRows(records, section)) });
  }
  const envRows = [['key', 'value'], ...environment.map(([k, v]) => [k, v])] as (string | number | boolean)[][];
  files.push({ path: resolve(args.outputDir, args.envInfoCsvFile), text: await writeToString(envRows) });
  return files;
}

/** Writes the section CSVs that have records, and the environment CSV, each atomically; returns the paths written. */
export async function writeCsvFiles(
  records: readonly CellRecord[],
  environment: ReadonlyArray<readonly [string, string | number | boolean]>,
  args: Pick<BenchmarkArgs, 'outputDir' | CsvFileArg>,
): Promise<string[]> {
  const files = await csvFiles(records, environment, args);
  for (const file of files) writeFileAtomic(file.path, file.text);
  return files.map((f) => f.path);
}
