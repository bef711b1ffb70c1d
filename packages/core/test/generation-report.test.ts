// Generate cells in everything that reads results: the tables' two GENERATION sections, their CSV files, the JSON
// and its schema, compare (TTFT and TPOT ratios), merge, and the HTML report's two charts. Records come from known
// call times (records.ts's generateRecord) or from a sweep on a fake backend.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseString } from 'fast-csv';
import { compareResults } from '../src/report/compare.js';
import { writeCsvFiles } from '../src/report/csv.js';
import { buildChart, renderReportHtml, stepDepthChart, ttftChart } from '../src/report/html.js';
import { readResultsJson } from '../src/report/json.js';
import { mergeResults, runDisagreements } from '../src/report/merge.js';
import { resultsJsonSchema } from '../src/report/results-schema.js';
import type { BenchmarkResults, CellRecord } from '../src/report/results.js';
import { renderSection, renderSections } from '../src/report/table.js';
import { benchmark } from '../src/run/benchmark.js';
import { fakeBackend, generateTiming, tiny, tinyGpt2 } from './fake-backend.js';
import { schemaFile, validate } from './json-schema.js';
import { cellRecord, cpuEnvironment, generateRecord, MIB } from './records.js';

const ms = (x: number) => x / 1000;
/** 6 calls of TTFT `ttft` ms and steps of 2, 3, 4 ms (N = 4). */
const calls = (ttft = 10) => Array.from({ length: 6 }, () => generateTiming(ms(ttft), [ms(2), ms(3), ms(4)], 4));
const skipped = cellRecord({
  model: 'bert-base-uncased', mode: 'generate', batchSize: 1, sequenceLength: 32, status: 'skipped', timeSeconds: null, memory: null,
  error: { code: 'CANNOT_GENERATE', message: 'skipped: bert-base-uncased cannot generate: bert is an encoder-only family' },
});
const floor = { decodeWeightBytes: 6e9, bandwidthBytesPerSecond: 2e10, bandwidthSource: 'cell' as const, bandwidthSamples: [2e10], tpotFloorSeconds: 0.3, tpotOverFloor: 0.01 };
const columns = (line: string) => line.split(/\s{2,}/);

describe('tables', () => {
  it('GENERATION - SPEED - RESULT: TTFT and TPOT with their CIs, ITL, tokens/s, E2E and TPOT over the floor', () => {
    const records = [generateRecord(calls()), generateRecord(calls(30), { sequenceLength: 128 }, { bandwidthFloor: floor }), skipped];
    const lines = renderSection(records, 'generate-speed').split('\n');
    assert.match(lines[0]!, /^=+ +GENERATION - SPEED - RESULT +=+$/);
    assert.deepEqual(columns(lines[2]!), [
      'Model Name', 'Batch Size', 'Seq Length', 'TTFT ms', '95% CI', 'TPOT ms', '95% CI (n)', 'ITL p50 ms', 'ITL p90 ms', 'ITL p99 ms',
      'Prefill tok/s', 'Decode tok/s', 'E2E s', 'TPOT / floor',
    ]);
    // prefill 1·32 / 10 ms = 3,200 tokens/s; decode 1·3 / 9 ms = 333; E2E 10 + 2 + 3 + 4 ms
    assert.deepEqual(columns(lines[4]!), ['gpt2', '1', '32', '10.00', '±0.0%', '3.000', '±0.0% (6)', '3.000', '4.000', '4.000', '3,200', '333', '0.01900', '-']);
    assert.deepEqual(columns(lines[5]!), ['gpt2', '1', '128', '30.00', '±0.0%', '3.000', '±0.0% (6)', '3.000', '4.000', '4.000', '4,267', '333', '0.03900', '0.01×']);
    assert.deepEqual(columns(lines[6]!), ['bert-base-uncased', '1', '32', 'skipped', '-', '-', '-', '-', '-', '-', '-', '-', '-', '-']);
    const notes = lines.slice(8).join('\n');
    assert.match(notes, /TPOT: time per output token after the first, \(E2E − TTFT\) \/ \(N − 1\)/);
    assert.match(notes, /ITL p50 below TPOT is usual/);
    assert.match(notes, /Prefill tok\/s = B·S \/ TTFT; Decode tok\/s = B·\(N − 1\) \/ \(E2E − TTFT\).*N = 4 new tokens per sequence/);
    assert.match(notes, /TPOT \/ floor \(batch 1\).*over the bandwidth measured between each cell's own calls \(20\.0 GB\/s\)/);
  });

  it('GENERATION - MEMORY - RESULT: the peak, the weights, the KV cache by formula and as allocated; sections in order', () => {
    const lines = renderSection([generateRecord(calls()), skipped], 'generate-memory').split('\n');
    assert.deepEqual(columns(lines[2]!), ['Model Name', 'Batch Size', 'Seq Length', 'Memory in MB', 'RSS increase MB', 'Weights MB', 'KV cache MB', 'KV allocated MB']);
    assert.deepEqual(columns(lines[4]!), ['gpt2', '1', '32', '553', '53', '500', '4.50', '4.50']);
    assert.deepEqual(columns(lines[5]!), ['bert-base-uncased', '1', '32', 'skipped', '-', '-', '-', '-']);
    assert.match(lines.slice(7).join('\n'), /KV cache MB: the family's formula, 2·L·B·\(S \+ N\)·H_kv·d_head·bytes \(T5: per decoder layer/);
    const all = renderSections([cellRecord({ mode: 'training' }), generateRecord(calls()), cellRecord({})]);
    const titles = [...all.matchAll(/^=+ +([A-Z -]+?) +=+$/gm)].map((m) => m[1]);
    assert.deepEqual(titles, [
      'INFERENCE - SPEED - RESULT', 'INFERENCE - MEMORY - RESULT', 'TRAIN - SPEED - RESULTS', 'TRAIN - MEMORY - RESULTS',
      'GENERATION - SPEED - RESULT', 'GENERATION - MEMORY - RESULT',
    ]);
  });

  it("--format hf: Hugging Face's four columns, the time being a whole generate call's", () => {
    const lines = renderSection([generateRecord(calls())], 'generate-speed', 'hf').split('\n');
    assert.equal(lines[0], '====================      GENERATION - SPEED - RESULT       ====================');
    assert.equal(lines[2], '          Model Name             Batch Size     Seq Length     Time in s   ');
    assert.match(lines[4]!, /^ +gpt2 +1 +32 +0\.019 +$/);
  });
});

function parseCsv(text: string): Promise<string[][]> {
  return new Promise((done, fail) => {
    const rows: string[][] = [];
    parseString(text).on('data', (row: string[]) => rows.push(row)).on('error', fail).on('end', () => done(rows));
  });
}

it("CSV: generation's files keep Hugging Face's four columns (result: E2E seconds, peak MB) and add their figures", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tfbench-gen-csv-'));
  const names = {
    outputDir: dir, inferenceTimeCsvFile: 'i.csv', inferenceMemoryCsvFile: 'im.csv', trainTimeCsvFile: 't.csv', trainMemoryCsvFile: 'tm.csv',
    generateTimeCsvFile: 'generate_time.csv', generateMemoryCsvFile: 'generate_memory.csv', envInfoCsvFile: 'env.csv',
  };
  const written = await writeCsvFiles([generateRecord(calls()), skipped], [['cpu', 'x']], names);
  assert.deepEqual(written.map((p) => p.slice(dir.length + 1)), ['generate_time.csv', 'generate_memory.csv', 'env.csv']);
  assert.deepEqual(await parseCsv(readFileSync(join(dir, 'generate_time.csv'), 'utf8')), [
    ['model', 'batch_size', 'sequence_length', 'result', 'new_tokens', 'ttft_s', 'tpot_s', 'itl_p50_s', 'itl_p90_s', 'itl_p99_s', 'prefill_tokens_per_s', 'decode_tokens_per_s'],
    ['gpt2', '1', '32', '0.0190', '4', '0.01', '0.003', '0.003', '0.004', '0.004', '3200', '333.333'],
    ['bert-base-uncased', '1', '32', 'SKIPPED', '', '', '', '', '', '', '', ''],
  ]);
  assert.deepEqual(await parseCsv(readFileSync(join(dir, 'generate_memory.csv'), 'utf8')), [
    ['model', 'batch_size', 'sequence_length', 'result', 'new_tokens', 'weights_mb', 'kv_cache_mb', 'kv_cache_allocated_mb'],
    ['gpt2', '1', '32', '553', '4', '500.000', '4.500', '4.500'],
    ['bert-base-uncased', '1', '32', 'SKIPPED', '', '', '', ''],
  ]);
});

/** A generate sweep on the fake backend: tiny BERT (skipped) and tiny GPT-2, batch 1, prompts 8 and 16. */
function generateSweep(over: Record<string, unknown> = {}): Promise<BenchmarkResults> {
  const args = {
    models: [tiny, tinyGpt2], inference: false, generate: true, newTokens: 4, batchSizes: [1], sequenceLengths: [8, 16],
    isolate: false, device: 'cpu', threads: 2, warmup: 1, minSamples: 6, minTimeS: 0, targetRelCi: 0, ...over,
  };
  return benchmark(args, { backend: fakeBackend(1e9) });
}

describe('the results file', () => {
  it('of a generate sweep validates against the shipped schema; a 1.2 file reads with generation null, a 1.4 one with no tensor counts', async () => {
    const schema = schemaFile('results.schema.json');
    assert.deepEqual(schema, resultsJsonSchema());
    const file = JSON.parse(JSON.stringify(await generateSweep({ memory: true })));
    assert.deepEqual(file.records.map((r: CellRecord) => `${r.model} ${r.sequenceLength} ${r.mode} ${r.status}`), [
      'tiny 8 generate skipped', 'tiny 16 generate skipped', 'tiny-gpt2 8 generate ok', 'tiny-gpt2 16 generate ok',
    ]);
    assert.deepEqual(validate(file, schema, schema), []);
    const broken = { ...file, records: [{ ...file.records[2], generation: { ...file.records[2].generation, trace: { contextStart: 9 } } }] };
    assert.deepEqual(validate(broken, schema, schema), ['$.records[0].generation: matches no alternative']);
    // A file of schema 1.2 has no generation field.
    const dir = mkdtempSync(join(tmpdir(), 'tfbench-gen-json-'));
    const old = { ...file, schemaVersion: '1.2.0', records: file.records.map(({ generation: _, ...r }: CellRecord) => r) };
    writeFileSync(join(dir, 'old.json'), JSON.stringify(old));
    assert.ok(readResultsJson(join(dir, 'old.json')).records.every((r) => r.generation === null));
    assert.deepEqual(validate(old, schema, schema), []);
    // A file of schema 1.4 has no tensor byte counts in its memory records.
    const withMemory = file.records.filter((r: CellRecord) => r.memory !== null);
    assert.ok(withMemory.length > 0);
    const v14 = {
      ...file,
      schemaVersion: '1.4.0',
      records: withMemory.map((r: CellRecord) => {
        const { tensorPeakBytes: _p, tensorBeforeBytes: _b, tensorIncreaseBytes: _i, ...memory } = r.memory!;
        return { ...r, memory };
      }),
    };
    writeFileSync(join(dir, 'v14.json'), JSON.stringify(v14));
    const read = readResultsJson(join(dir, 'v14.json'));
    assert.ok(read.records.every((r) => r.memory!.tensorPeakBytes === null && r.memory!.tensorIncreaseBytes === null));
    assert.deepEqual(validate(read, schema, schema), []);
  });

  it('merges from the shards of a generate sweep as the unsharded run wrote it', async () => {
    const whole = await generateSweep();
    const shards = await Promise.all(['1/3', '2/3', '3/3'].map((shard) => generateSweep({ shard })));
    const merged = mergeResults(shards, { names: ['a.json', 'b.json', 'c.json'] });
    const key = (r: CellRecord) => `${r.model} ${r.sequenceLength} ${r.mode} ${r.status}`;
    assert.deepEqual(merged.records.map(key), whole.records.map(key));
    assert.equal(merged.shard, null);
    assert.ok(merged.records.filter((r) => r.status === 'ok').every((r) => r.generation?.ttftSeconds?.count === 6));
  });

  it('of a run before the generate mode agrees with one that has it off: a missing argument is its default', async () => {
    const run = await generateSweep({ generate: false, inference: true, newTokens: 32 });
    const { generate: _g, newTokens: _n, generateTimeCsvFile: _t, generateMemoryCsvFile: _m, ...older } = run.args;
    const before = { ...run, args: older as BenchmarkResults['args'] };
    assert.deepEqual(runDisagreements([before, run], ['old.json', 'new.json'], []).problems, []);
    const generating = await generateSweep({ newTokens: 8 });
    assert.deepEqual(runDisagreements([before, generating], ['old.json', 'new.json'], ['inference']).problems, [
      'args differ in generate: false in old.json; true in new.json',
      'args differ in newTokens: 32 in old.json; 8 in new.json',
    ]);
  });
});

describe('compare', () => {
  const file = (records: CellRecord[]) => ({ schemaVersion: '1.3.0', records }) as unknown as BenchmarkResults;
  /** Calls with TTFT around `ttft` ms and steps around `step` ms, spread ±2% so the medians have intervals. */
  const spread = (ttft: number, step: number) =>
    Array.from({ length: 20 }, (_, i) => generateTiming(ms(ttft * (1 + 0.02 * Math.sin(i * 1.7))), [ms(step * (1 + 0.02 * Math.cos(i * 1.3)))], 8));

  it('judges a generate cell on its TTFT and TPOT ratios: either significantly slower past the threshold regresses', () => {
    const base = file([generateRecord(spread(10, 3)), generateRecord(spread(10, 3), { sequenceLength: 128 }), generateRecord(spread(10, 3), { sequenceLength: 512 })]);
    const next = file([generateRecord(spread(12, 3)), generateRecord(spread(10, 3.6), { sequenceLength: 128 }), generateRecord(spread(9, 3), { sequenceLength: 512 })]);
    const { rows, regressions } = compareResults(base, next);
    const ttftSlower = rows[0]!;
    assert.ok(Math.abs(ttftSlower.generation!.ttft.ratio - 1.2) < 0.02, String(ttftSlower.generation!.ttft.ratio));
    assert.equal(ttftSlower.generation!.ttft.verdict, 'slower');
    assert.equal(ttftSlower.generation!.tpot!.verdict, 'no significant change');
    assert.deepEqual([ttftSlower.verdict, ttftSlower.regression], ['slower', true]);
    const tpotSlower = rows[1]!;
    assert.ok(Math.abs(tpotSlower.generation!.tpot!.ratio - 1.2) < 0.02, String(tpotSlower.generation!.tpot!.ratio));
    assert.deepEqual([tpotSlower.verdict, tpotSlower.regression], ['slower', true]);
    assert.deepEqual([rows[2]!.verdict, rows[2]!.regression], ['faster', false]);
    // The E2E per call is the row's time ratio, shown but not what judges.
    assert.ok(Math.abs(rows[0]!.ratio! - rows[0]!.newMedian! / rows[0]!.baseMedian!) < 1e-12);
    assert.equal(regressions, 2);
    assert.equal(compareResults(base, base).regressions, 0);
  });
});

describe('the HTML report', () => {
  const results = (records: CellRecord[]): BenchmarkResults => ({
    schemaVersion: '1.3.0', tool: { name: 'tfbench', version: '0.1.0' }, startedAt: '2025-01-01T00:00:00.000Z', finishedAt: '2025-01-01T00:01:00.000Z',
    interrupted: false, args: {} as BenchmarkResults['args'], shard: null, environment: cpuEnvironment(), records,
  });
  const records = [
    generateRecord(calls(10)),
    generateRecord(calls(30), { sequenceLength: 128 }),
    generateRecord(calls(20), { batchSize: 8 }),
    skipped,
  ];

  it('charts TTFT against prompt length and the time per output token against context depth, from the trace', () => {
    const ttft = ttftChart(records);
    assert.equal(ttft.title, 'Generation: time to first token vs prompt length');
    assert.deepEqual(ttft.series.map((s) => [s.label, s.points.map((p) => [p.x, p.y])]), [
      ['gpt2 · batch 1', [[32, 10], [128, 30]]],
      ['gpt2 · batch 8', [[32, 20]]],
    ]);
    assert.equal(ttft.yLabel, 'Median TTFT (ms)');
    const depth = stepDepthChart(records);
    assert.equal(depth.title, 'Generation: time per output token vs context depth');
    // Step i attends to S + 1 + i positions; each point is that step's median over the calls.
    assert.deepEqual(depth.series.map((s) => [s.label, s.points.map((p) => [p.x, p.y])]), [
      ['gpt2 · batch 1 · prompt 32', [[33, 2], [34, 3], [35, 4]]],
      ['gpt2 · batch 1 · prompt 128', [[129, 2], [130, 3], [131, 4]]],
      ['gpt2 · batch 8 · prompt 32', [[33, 2], [34, 3], [35, 4]]],
    ]);
    assert.equal(buildChart(records, 'generate', 'memory', 'sequenceLength').xLabel, 'Prompt length');
  });

  it('has a Generation section with both charts, the memory chart, a table of every figure and the cells not run', () => {
    const html = renderReportHtml(results([cellRecord({}), ...records]));
    const section = /<section class="mode" id="generate">[\s\S]*?<\/section>/.exec(html)?.[0] ?? '';
    assert.match(section, /<h2>Generation<\/h2>/);
    const titles = [...section.matchAll(/<svg class="chart"[^>]*aria-label="([^"]*)"/g)].map((m) => m[1]);
    assert.deepEqual(titles, [
      'Generation: time to first token vs prompt length',
      'Generation: time per output token vs context depth',
      'Generation memory vs prompt length',
    ]);
    assert.match(section, /<table class="generation">/);
    // The first row: TTFT and TPOT with their CIs, ITL, tokens/s, E2E, calls, weights and KV cache.
    const row = /<table class="generation">[\s\S]*?<tbody><tr>([\s\S]*?)<\/tr>/.exec(section)![1]!;
    assert.deepEqual([...row.matchAll(/<td[^>]*>([^<]*)<\/td>/g)].map((m) => m[1]), [
      'gpt2', '1', '32', '4', '10 ms ±0.0%', '3 ms ±0.0%', '3 ms', '4 ms', '4 ms', '3,200', '333.3', '19 ms', '6', '500', '4.5', '4.5', '–',
    ]);
    assert.match(section, /<li data-status="skipped"><b>bert-base-uncased<\/b> · batch 1 · seq 32: <span class="status status-skipped">SKIPPED \(CANNOT_GENERATE\)<\/span> — skipped: bert-base-uncased cannot generate/);
    assert.ok(html.indexOf('id="inference"') < html.indexOf('id="generate"'));
    assert.equal(MIB, 1024 * 1024);
  });
});
