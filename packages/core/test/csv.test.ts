import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseString } from 'fast-csv';
import { writeCsvFiles } from '../src/report/csv.js';
import type { CellRecord } from '../src/report/results.js';
import { summarize } from '../src/stats/summary.js';
import { cellRecord, MIB } from './records.js';

const MiB = MIB;

/** A cell timed at 0.1235 s (three samples) with a peak RSS of 640 MiB. */
function record(over: Partial<CellRecord>): CellRecord {
  const samples = [0.12344, 0.12351, 0.12349];
  return cellRecord({
    timeSeconds: { ...summarize(samples), samples, warmup: [] },
    memory: { rssPeakBytes: 640 * MiB + 5, rssBeforeBytes: 600 * MiB, rssIncreaseBytes: 40 * MiB + 5, tensorPeakBytes: null, tensorBeforeBytes: null, tensorIncreaseBytes: null },
    ...over,
  });
}

function parseCsv(text: string): Promise<string[][]> {
  return new Promise((done, fail) => {
    const rows: string[][] = [];
    parseString(text).on('data', (row: string[]) => rows.push(row)).on('error', fail).on('end', () => done(rows));
  });
}

const names = {
  outputDir: '',
  inferenceTimeCsvFile: 'inference_time.csv',
  inferenceMemoryCsvFile: 'inference_memory.csv',
  trainTimeCsvFile: 'train_time.csv',
  trainMemoryCsvFile: 'train_memory.csv',
  envInfoCsvFile: 'env.csv',
};

test("CSV files: Hugging Face's header and rows, names with commas, quotes and slashes quoted, failed cells by status", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tfbench-csv-'));
  const awkward = 'org/model, v2 "large"';
  const written = await writeCsvFiles(
    [
      record({ model: awkward }),
      record({ sequenceLength: 32, status: 'oom', timeSeconds: null, memory: null, error: { code: 'OOM', message: 'x' } }),
      record({ sequenceLength: 64, status: 'timeout', timeSeconds: null, memory: null, error: { code: 'TIMEOUT', message: 'x' } }),
    ],
    [['cpu', 'Intel(R) Xeon(R), 2 cores'], ['fp16', false]],
    { ...names, outputDir: dir },
  );
  assert.deepEqual(written.map((p) => p.slice(dir.length + 1)), ['inference_time.csv', 'inference_memory.csv', 'env.csv']);

  const timeText = readFileSync(join(dir, 'inference_time.csv'), 'utf8');
  assert.equal(timeText.split('\n')[1], '"org/model, v2 ""large""",8,8,0.1235'); // RFC 4180 quoting
  assert.deepEqual(await parseCsv(timeText), [
    ['model', 'batch_size', 'sequence_length', 'result'],
    [awkward, '8', '8', '0.1235'],
    ['bert-base-uncased', '8', '32', 'OOM'],
    ['bert-base-uncased', '8', '64', 'TIMEOUT'],
  ]);
  assert.deepEqual(await parseCsv(readFileSync(join(dir, 'inference_memory.csv'), 'utf8')), [
    ['model', 'batch_size', 'sequence_length', 'result'],
    [awkward, '8', '8', '640'],
    ['bert-base-uncased', '8', '32', 'OOM'],
    ['bert-base-uncased', '8', '64', 'TIMEOUT'],
  ]);
  assert.deepEqual(await parseCsv(readFileSync(join(dir, 'env.csv'), 'utf8')), [
    ['key', 'value'],
    ['cpu', 'Intel(R) Xeon(R), 2 cores'],
    ['fp16', 'false'],
  ]);
});
