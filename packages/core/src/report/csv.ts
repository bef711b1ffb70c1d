// CSV files in Hugging Face's format: one per section (`model,batch_size,sequence_length,result`; time in
// seconds to 4 decimals, memory in integer MB = MiB) and the environment as `key,value` rows.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { writeToPath } from 'fast-csv';
import type { BenchmarkArgs } from '../args/index.js';
import { headlineMemoryBytes, type CellRecord } from '../run/records.js';
import { SECTION_ORDER, sectionRecords, type Section } from './table.js';

const MIB = 1024 * 1024;

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

function writeRows(path: string, rows: ReadonlyArray<ReadonlyArray<string | number | boolean>>): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  return new Promise((done, fail) => {
    writeToPath(path, rows as (string | number | boolean)[][]).on('error', fail).on('finish', () => done());
  });
}

/** Writes the section CSVs that have records, and the environment CSV; returns the paths written. */
export async function writeCsvFiles(
  records: readonly CellRecord[],
  environment: ReadonlyArray<readonly [string, string | number | boolean]>,
  args: Pick<BenchmarkArgs, 'outputDir' | 'inferenceTimeCsvFile' | 'inferenceMemoryCsvFile' | 'trainTimeCsvFile' | 'trainMemoryCsvFile' | 'envInfoCsvFile'>,
): Promise<string[]> {
  const files: Record<Section, string> = {
    'inference-speed': args.inferenceTimeCsvFile,
    'inference-memory': args.inferenceMemoryCsvFile,
    'training-speed': args.trainTimeCsvFile,
    'training-memory': args.trainMemoryCsvFile,
  };
  const written: string[] = [];
  for (const section of SECTION_ORDER) {
    if (sectionRecords(records, section).length === 0) continue;
    const path = resolve(args.outputDir, files[section]);
    await writeRows(path, sectionCsvRows(records, section));
    written.push(path);
  }
  const envPath = resolve(args.outputDir, args.envInfoCsvFile);
  await writeRows(envPath, [['key', 'value'], ...environment.map(([k, v]) => [k, v])]);
  written.push(envPath);
  return written;
}
