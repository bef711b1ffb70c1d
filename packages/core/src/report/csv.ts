// CSV files in Hugging Face's format: one per section (`model,batch_size,sequence_length,result`; time in
// seconds to 4 decimals, memory in integer MB = MiB) and the environment as `key,value` rows.
import { resolve } from 'node:path';
import { writeToString } from 'fast-csv';
import type { BenchmarkArgs } from '../args/index.js';
import { headlineMemoryBytes, type CellRecord } from './results.js';
import { writeFileAtomic } from './atomic.js';
import { SECTION_ORDER, sectionRecords, type Section } from './table.js';

const MIB = 1024 * 1024;

type CsvFileArg = 'inferenceTimeCsvFile' | 'inferenceMemoryCsvFile' | 'trainTimeCsvFile' | 'trainMemoryCsvFile' | 'envInfoCsvFile';

const SECTION_FILE_ARGS: Record<Section, CsvFileArg> = {
  'inference-speed': 'inferenceTimeCsvFile',
  'inference-memory': 'inferenceMemoryCsvFile',
  'training-speed': 'trainTimeCsvFile',
  'training-memory': 'trainMemoryCsvFile',
};

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
  return [
    ['model', 'batch_size', 'sequence_length', 'result'],
    ...sectionRecords(records, section).map((r) => [r.model, String(r.batchSize), String(r.sequenceLength), csvValue(r, section)]),
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
