// Sharding and merging: which cells each shard of a sweep runs, and joining the shards' results files.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseArgs, type BenchmarkArgs } from '../src/args/index.js';
import { parseShard } from '../src/args/shard.js';
import type { EnvironmentInfo } from '../src/env/index.js';
import { readResultsJson } from '../src/report/json.js';
import { MergeError, describeShard, mergeResults, missingShards } from '../src/report/merge.js';
import type { BenchmarkResults, Cell, CellRecord } from '../src/report/results.js';
import { cellSize, planCells, shardAssignment, shardCells } from '../src/run/plan.js';

const key = (c: Cell) => `${c.model} ${c.batchSize} ${c.sequenceLength} ${c.mode}`;
const grid = (over: Partial<Parameters<typeof planCells>[0]> = {}) =>
  planCells({ models: ['a', 'b'], batchSizes: [8], sequenceLengths: [8, 32, 128, 512], inference: true, training: false, ...over });
/** Each shard's total size (cellSize) and cell count for a split into `count`. */
function loads(cells: Cell[], count: number): { sizes: number[]; counts: number[] } {
  const shards = Array.from({ length: count }, (_, i) => shardCells(cells, { index: i + 1, count }));
  return { sizes: shards.map((s) => s.reduce((t, c) => t + cellSize(c), 0)), counts: shards.map((s) => s.length) };
}

describe('shards of a sweep', () => {
  it('put every cell in exactly one shard, keep the plan order, and differ in size by at most one cell', () => {
    const sweeps = [grid(), grid({ models: ['a', 'b', 'c'], batchSizes: [1, 8], training: true }), grid({ models: ['a'], sequenceLengths: [8] })];
    for (const cells of sweeps) {
      for (let count = 1; count <= cells.length + 2; count++) {
        const shards = Array.from({ length: count }, (_, i) => shardCells(cells, { index: i + 1, count }));
        const all = shards.flat().map(key);
        assert.equal(all.length, cells.length, `${count} shards`);
        assert.deepEqual(new Set(all), new Set(cells.map(key)), `${count} shards hold every cell`);
        for (const shard of shards) {
          const positions = shard.map((c) => cells.indexOf(c));
          assert.deepEqual(positions, [...positions].sort((x, y) => x - y), 'in plan order');
        }
        const counts = shards.map((s) => s.length);
        assert.ok(Math.max(...counts) - Math.min(...counts) <= 1, `${count} shards: ${counts}`);
      }
    }
  });

  it('are the same for the same arguments: the split is a function of the planned cells alone', () => {
    assert.deepEqual(shardAssignment(grid(), 3), shardAssignment(grid(), 3));
    assert.deepEqual(shardAssignment(grid(), 3), [1, 2, 3, 1, 2, 1, 3, 2]);
    assert.deepEqual(shardCells(grid(), null), grid());
  });

  it('deal the largest cells out one per shard, so each shard gets a like share of the work', () => {
    // 2 models × seq 8/32/128/512: by plan position, shard 2 of 2 would draw every 512 and 32.
    assert.deepEqual(loads(grid(), 2), { sizes: [5440, 5440], counts: [4, 4] });
    assert.deepEqual(shardCells(grid(), { index: 1, count: 2 }).map(key), ['a 8 32 inference', 'a 8 512 inference', 'b 8 8 inference', 'b 8 128 inference']);
    // 4 shards: the two 512s go to different shards; the rest cannot weigh more than one of them.
    assert.deepEqual(loads(grid(), 4), { sizes: [4160, 4160, 1280, 1280], counts: [2, 2, 2, 2] });
    // 3 models × batch 1/8 × 4 lengths into 3 shards: exactly even.
    assert.deepEqual(loads(grid({ models: ['a', 'b', 'c'], batchSizes: [1, 8] }), 3), { sizes: [6120, 6120, 6120], counts: [8, 8, 8] });
    // A training cell counts three times.
    assert.equal(cellSize({ model: 'a', batchSize: 8, sequenceLength: 128, mode: 'training' }), 3072);
  });

  it('may be empty when there are more shards than cells', () => {
    const cells = grid({ models: ['a'], sequenceLengths: [8, 16] });
    assert.deepEqual(shardCells(cells, { index: 3, count: 3 }), []);
    assert.deepEqual(loads(cells, 3).counts, [1, 1, 0]);
  });

  it('are given as "i/n" with 1 ≤ i ≤ n', () => {
    assert.deepEqual(parseShard('2/4'), { index: 2, count: 4 });
    for (const bad of ['0/3', '4/3', '3', '1/0', '-1/2', 'a/b', ' 1/2', 3, null]) assert.equal(parseShard(bad), undefined, String(bad));
  });
});

// ---- merging ----

const environment = {
  tfbenchVersion: '0.1.0', framework: 'libtorch', frameworkVersion: '1.13.1', frameworkSource: 'system', nodeVersion: '22.0.0',
  system: 'Linux', osRelease: 'Debian 12', architecture: 'x64', cpuModel: 'AMD EPYC 7763', cpuPhysicalCores: 2, cpuLogicalCores: 2,
  cpuRamBytes: 8 * 2 ** 30, blas: 'openblas', threads: 2, parallelInfo: '', device: 'cpu', dtype: 'float32', isolate: true,
  onlyPretrainModel: false, date: '2025-01-01', time: '10:00:00Z', gpus: [],
} as unknown as EnvironmentInfo;

function argsOf(input: Record<string, unknown>): BenchmarkArgs {
  const parsed = parseArgs({ models: ['m1', 'm2'], batchSizes: [1, 8], sequenceLengths: [8, 64], ...input });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return parsed.args;
}

/** The results file a run of `args` would write (records carry only what merging looks at). */
function shardFile(input: Record<string, unknown> = {}, minute = 0, over: Partial<BenchmarkResults> = {}): BenchmarkResults {
  const args = argsOf(input);
  const shard = args.shard === null ? null : parseShard(args.shard)!;
  const cells = shardCells(planCells(args as unknown as Parameters<typeof planCells>[0]), shard);
  return {
    schemaVersion: '1.1.0',
    tool: { name: 'tfbench', version: '0.1.0' },
    startedAt: `2025-01-01T10:0${minute}:00.000Z`,
    finishedAt: `2025-01-01T10:0${minute}:30.000Z`,
    interrupted: false,
    args,
    shard: shard === null ? null : { count: shard.count, indices: [shard.index] },
    environment,
    records: cells.map((c) => ({ ...c, status: 'ok', device: 'cpu', dtype: 'float32' }) as CellRecord),
    ...over,
  };
}

/** The problems mergeResults refuses with. */
function refusal(inputs: BenchmarkResults[], names?: string[]): string[] {
  try {
    mergeResults(inputs, { names });
  } catch (err) {
    assert.ok(err instanceof MergeError, String(err));
    assert.equal(err.code, 'BAD_RESULTS');
    assert.equal(err.message, err.problems.join('\n'));
    return err.problems;
  }
  assert.fail('expected mergeResults to refuse');
}

describe('mergeResults', () => {
  it('joins every shard into the unsharded run: the same cells in the same order, no shard left', () => {
    const unsharded = shardFile();
    const parts = [3, 1, 2].map((i) => shardFile({ shard: `${i}/3`, json: `shard-${i}.json` }, i));
    const merged = mergeResults(parts, { names: ['c.json', 'a.json', 'b.json'] });
    assert.deepEqual(merged.records.map(key), unsharded.records.map(key));
    assert.equal(merged.records.length, 8);
    assert.equal(merged.shard, null);
    assert.equal(merged.args.shard, null);
    assert.deepEqual(merged.args.batchSizes, [1, 8]);
    assert.equal(merged.schemaVersion, '1.5.0');
    assert.equal(merged.startedAt, '2025-01-01T10:01:00.000Z', 'the earliest start');
    assert.equal(merged.finishedAt, '2025-01-01T10:03:30.000Z', 'the latest finish');
    assert.equal(merged.interrupted, false);
    assert.deepEqual(
      merged.merged?.sources.map((s) => [s.name, describeShard(s.shard), s.records]),
      [['c.json', 'shard 3/3', 2], ['a.json', 'shard 1/3', 3], ['b.json', 'shard 2/3', 3]],
    );
    assert.deepEqual(merged.merged?.environmentDifferences, []);
  });

  it('keeps a partial merge honest: the shards it holds, and which are missing', () => {
    const merged = mergeResults([shardFile({ shard: '3/4' }), shardFile({ shard: '1/4' }, 1, { interrupted: true })]);
    assert.deepEqual(merged.shard, { count: 4, indices: [1, 3] });
    assert.equal(describeShard(merged.shard), 'shards 1, 3 of 4');
    assert.deepEqual(missingShards(merged.shard), [2, 4]);
    assert.equal(merged.records.length, 4);
    assert.equal(merged.interrupted, true, 'one input was interrupted');
    // A partial merge merges on with the missing shards.
    const whole = mergeResults([merged, shardFile({ shard: '2/4' }), shardFile({ shard: '4/4' })]);
    assert.equal(whole.shard, null);
    assert.deepEqual(whole.records.map(key), shardFile().records.map(key));
  });

  it('accepts an empty shard and a file of schema 1.0 (no shard: every cell)', () => {
    const tiny = { models: ['m1'], batchSizes: [1], sequenceLengths: [8] };
    const merged = mergeResults([shardFile({ ...tiny, shard: '1/2' }), shardFile({ ...tiny, shard: '2/2' })]);
    assert.equal(merged.records.length, 1);
    assert.equal(merged.shard, null);
    const dir = mkdtempSync(join(tmpdir(), 'tfbench-merge-'));
    const { shard: _, ...old } = { ...shardFile(), schemaVersion: '1.0.0' };
    writeFileSync(join(dir, 'old.json'), JSON.stringify(old));
    const read = readResultsJson(join(dir, 'old.json'));
    assert.equal(read.shard, null);
    assert.equal(mergeResults([read]).records.length, 8);
  });

  it('notes where the inputs ran in different environments, and keeps the first one', () => {
    const big = { ...environment, cpuRamBytes: 16 * 2 ** 30, date: '2025-01-02' } as EnvironmentInfo;
    const merged = mergeResults([shardFile({ shard: '1/2' }), shardFile({ shard: '2/2' }, 1, { environment: big })], { names: ['a.json', 'b.json'] });
    assert.deepEqual(merged.merged?.environmentDifferences, ['cpuRamBytes: 8589934592 in a.json; 17179869184 in b.json']);
    assert.equal(merged.environment.cpuRamBytes, 8 * 2 ** 30);
  });

  it('refuses a shard given twice: the same cells would be measured twice', () => {
    const a = shardFile({ shard: '1/2' });
    assert.deepEqual(refusal([a, a], ['a.json', 'a.json']), [
      'a.json (input 1) and a.json (input 2) each hold shard 1/2',
      'a.json (input 1) and a.json (input 2) overlap in 4 cells: m1 batch 8 seq 8 inference; m1 batch 8 seq 64 inference; m2 batch 1 seq 8 inference; m2 batch 1 seq 64 inference',
    ]);
    const [shardLine, cellsLine] = refusal([shardFile(), shardFile()], ['x.json', 'y.json']);
    assert.equal(shardLine, 'x.json and y.json each hold every cell of the sweep');
    // Long lists name five cells and count the rest, so a big sweep still gives one line per problem.
    assert.equal(
      cellsLine,
      'x.json and y.json overlap in 8 cells: m1 batch 1 seq 8 inference; m1 batch 1 seq 64 inference; m1 batch 8 seq 8 inference; m1 batch 8 seq 64 inference; m2 batch 1 seq 8 inference and 3 more',
    );
  });

  it('refuses runs of different arguments, but not of different output settings', () => {
    const a = shardFile({ shard: '1/2', json: 'a.json', outputDir: 'out-a', saveToCsv: true, logPrint: true });
    const b = shardFile({ shard: '2/2', json: 'b.json', outputDir: 'out-b', envPrint: true });
    assert.equal(mergeResults([a, b]).records.length, 8);
    assert.deepEqual(refusal([a, shardFile({ shard: '2/2', seed: 7, minTimeS: 2 })], ['a.json', 'b.json']), [
      'args differ in seed: 42 in a.json; 7 in b.json',
      'args differ in minTimeS: 1 in a.json; 2 in b.json',
    ]);
    assert.deepEqual(refusal([a, shardFile({ shard: '2/2', sequenceLengths: [8] })], ['a.json', 'b.json']), [
      'args differ in sequenceLengths: [8,64] in a.json; [8] in b.json',
    ]);
  });

  it('refuses different devices, hardware and dtypes', () => {
    const on = (over: Partial<EnvironmentInfo>, shard: string) => shardFile({ shard }, 0, { environment: { ...environment, ...over } });
    assert.deepEqual(refusal([on({}, '1/2'), on({ device: 'cuda:0' }, '2/2')], ['a.json', 'b.json']), [
      'measured on different devices: cpu in a.json; cuda:0 in b.json',
    ]);
    assert.deepEqual(refusal([on({}, '1/2'), on({ cpuModel: 'Intel Xeon 8480' }, '2/2')], ['a.json', 'b.json']), [
      'measured on different hardware: "AMD EPYC 7763" in a.json; "Intel Xeon 8480" in b.json',
    ]);
    const gpu = (name: string) => ({ device: 'cuda:0', gpus: [{ name, memoryBytes: null, driverVersion: null }] }) as Partial<EnvironmentInfo>;
    assert.deepEqual(refusal([on(gpu('NVIDIA H100'), '1/2'), on(gpu('NVIDIA A100'), '2/2')], ['a.json', 'b.json']), [
      'measured on different hardware: "NVIDIA H100" in a.json; "NVIDIA A100" in b.json',
    ]);
    assert.deepEqual(refusal([on({}, '1/2'), on({ dtype: 'bfloat16' }, '2/2')], ['a.json', 'b.json']), [
      'measured in different dtypes: float32 in a.json; bfloat16 in b.json',
    ]);
  });

  it('refuses shards of different splits, and a full run mixed with a shard', () => {
    assert.deepEqual(refusal([shardFile({ shard: '1/2' }), shardFile({ shard: '2/3' })], ['a.json', 'b.json']), [
      'the files split the sweep into different numbers of shards: shard 1/2 in a.json; shard 2/3 in b.json',
      'a.json and b.json overlap in 2 cells: m2 batch 1 seq 8 inference; m2 batch 1 seq 64 inference',
    ]);
    const problems = refusal([shardFile(), shardFile({ shard: '2/2' })], ['all.json', 'b.json']);
    assert.equal(problems[0], 'the files split the sweep into different numbers of shards: every cell in all.json; shard 2/2 in b.json');
    assert.match(problems[1]!, /^all\.json and b\.json overlap in 4 cells: /);
  });

  it('refuses a file of another major schema version or tfbench version', () => {
    assert.deepEqual(refusal([shardFile({ shard: '1/2' }), shardFile({ shard: '2/2' }, 0, { schemaVersion: '2.0.0' })], ['a.json', 'b.json']), [
      'b.json: results schema 2.0.0 is newer than this tfbench reads (1.5.0); upgrade tfbench',
    ]);
    assert.deepEqual(refusal([shardFile({ shard: '1/2' }), shardFile({ shard: '2/2' }, 0, { tool: { name: 'tfbench', version: '0.2.0' } })], ['a.json', 'b.json']), [
      'made by different tfbench versions: "0.1.0" in a.json; "0.2.0" in b.json',
    ]);
  });

  it('refuses cells that are not in the sweep or not in the shard the file claims (another rule, or edited)', () => {
    const a = shardFile({ shard: '1/2' });
    const b = shardFile({ shard: '2/2' });
    const stray = { ...b.records[0]!, sequenceLength: 4096 };
    const wrong = { ...a.records[0]! }; // a shard-1 cell in shard 2's file, and not in shard 1's
    const problems = refusal([{ ...a, records: a.records.slice(1) }, { ...b, records: [...b.records, stray, wrong] }], ['a.json', 'b.json']);
    assert.deepEqual(problems, [
      'b.json holds 1 cell(s) that its args do not plan: m1 batch 1 seq 4096 inference',
      `b.json holds 1 cell(s) that are not in its shard 2/2: ${wrong.model} batch ${wrong.batchSize} seq ${wrong.sequenceLength} inference`,
    ]);
    assert.deepEqual(refusal([]), ['nothing to merge: give at least one results file']);
  });
});
