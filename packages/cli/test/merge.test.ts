// End to end: a sweep run as two shards (as two hosts of a job array would) and merged gives the cells of
// the unsharded run, in its order; merging a shard with itself is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tinyBert } from './tiny-bert.js';

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

function tfbench(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// A 4-cell sweep of a tiny BERT, measured in-process with 3 samples a cell: about a second a run.
const sweep = {
  models: [tinyBert],
  device: 'cpu',
  batchSizes: [1, 2],
  sequenceLengths: [8, 16],
  minSamples: 3,
  minTimeS: 0,
  maxTimeS: 0,
  warmup: 1,
  targetRelCi: 0,
  isolate: false,
  // Pinned: unpinned, each run probes 1 against 2 threads, and on a busy machine two shards can choose differently
  // (then merge rightly notes the differing environments, which this test does not expect).
  threads: 1,
};

interface ResultsFile {
  args: { shard: string | null };
  shard: { count: number; indices: number[] } | null;
  records: Array<{ model: string; batchSize: number; sequenceLength: number; mode: string; status: string }>;
}
const read = (path: string): ResultsFile => JSON.parse(readFileSync(path, 'utf8'));
const cells = (r: ResultsFile) => r.records.map((x) => `${x.model} batch ${x.batchSize} seq ${x.sequenceLength} ${x.mode}`);
/** The rows of the speed table: "tiny-bert 1 16" for each measured cell. */
const speedRows = (stdout: string) =>
  stdout
    .split('MEMORY')[0]!
    .split('\n')
    .filter((l) => l.startsWith('tiny-bert'))
    .map((l) => l.split(/\s+/).slice(0, 3).join(' '));

test('merge: two shards of a sweep join into the unsharded run’s cells, in its order', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tfbench-merge-'));
  writeFileSync(join(dir, 'args.json'), JSON.stringify(sweep));

  const first = tfbench(['run', 'args.json', '--shard', '1/2', '--json', 'shard-1.json', '--quiet'], dir);
  assert.equal(first.code, 0, first.stderr);
  const second = tfbench(['run', 'args.json', '--shard', '2/2', '--json', 'shard-2.json', '--quiet'], dir);
  assert.equal(second.code, 0, second.stderr);
  const whole = tfbench(['run', 'args.json', '--json', 'all-at-once.json', '--quiet'], dir);
  assert.equal(whole.code, 0, whole.stderr);

  // Each shard measured half the cells: the largest (batch 2, seq 16) went first, to shard 1, the two middle
  // ones to shard 2, and the smallest back to shard 1.
  assert.deepEqual(speedRows(first.stdout), ['tiny-bert 1 8', 'tiny-bert 2 16']);
  assert.deepEqual(speedRows(second.stdout), ['tiny-bert 1 16', 'tiny-bert 2 8']);
  const shard1 = read(join(dir, 'shard-1.json'));
  assert.deepEqual([shard1.args.shard, shard1.shard], ['1/2', { count: 2, indices: [1] }]);
  assert.deepEqual(read(join(dir, 'shard-2.json')).shard, { count: 2, indices: [2] });

  // Given in either order, the merged file holds the unsharded run's cells in the unsharded order.
  const merge = tfbench(['merge', 'shard-2.json', 'shard-1.json', '-o', 'merged.json'], dir);
  assert.equal(merge.code, 0, merge.stderr);
  assert.equal(merge.stdout, '');
  assert.equal(merge.stderr, `tfbench: merged 2 files (the whole sweep, 4 cells) into ${join(dir, 'merged.json')}\n`);
  const merged = read(join(dir, 'merged.json'));
  const unsharded = read(join(dir, 'all-at-once.json'));
  assert.deepEqual(cells(merged), cells(unsharded));
  assert.deepEqual(cells(merged), [
    'tiny-bert batch 1 seq 8 inference',
    'tiny-bert batch 1 seq 16 inference',
    'tiny-bert batch 2 seq 8 inference',
    'tiny-bert batch 2 seq 16 inference',
  ]);
  assert.deepEqual([merged.shard, merged.args.shard], [null, null]);
  assert.ok(merged.records.every((r) => r.status === 'ok'));
  // The records are the shards' own, moved, not changed.
  assert.deepEqual(merged.records.filter((r) => r.batchSize === 1 && r.sequenceLength === 8), shard1.records.filter((r) => r.batchSize === 1));

  // -o -: the merged file on stdout; a single shard merges to a partial file that says what is missing.
  const partial = tfbench(['merge', 'shard-1.json', '-o', '-'], dir);
  assert.equal(partial.code, 0, partial.stderr);
  assert.deepEqual(JSON.parse(partial.stdout).shard, { count: 2, indices: [1] });
  assert.match(partial.stderr, /^tfbench: merged 1 file \(shard 1\/2, 2 cells\) into stdout\ntfbench: note: shard 2 of 2 is missing/);
});

test('merge: a shard merged with itself is refused (exit 2), one line per problem, nothing written', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tfbench-merge-'));
  writeFileSync(join(dir, 'args.json'), JSON.stringify(sweep));
  assert.equal(tfbench(['run', 'args.json', '--shard', '1/2', '--json', 'a.json', '--quiet'], dir).code, 0);

  const r = tfbench(['merge', 'a.json', 'a.json', '-o', 'all.json'], dir);
  assert.equal(r.code, 2, r.stderr);
  const lines = r.stderr.split('\n');
  assert.equal(lines[0], 'tfbench: error:');
  assert.equal(lines[1], '  a.json (input 1) and a.json (input 2) each hold shard 1/2');
  assert.equal(lines[2], '  a.json (input 1) and a.json (input 2) overlap in 2 cells: tiny-bert batch 1 seq 8 inference; tiny-bert batch 2 seq 16 inference');
  assert.match(lines[3]!, /^hint: Merge the JSON files of the shards of one sweep/);
  assert.equal(existsSync(join(dir, 'all.json')), false);

  // A shard of another sweep: the args that differ are named with each file's value.
  const other = JSON.parse(readFileSync(join(dir, 'a.json'), 'utf8'));
  writeFileSync(join(dir, 'b.json'), JSON.stringify({ ...other, args: { ...other.args, shard: '2/2', seed: 7 }, shard: { count: 2, indices: [2] }, records: [] }));
  const mismatched = tfbench(['merge', 'a.json', 'b.json', '-o', 'all.json'], dir);
  assert.equal(mismatched.code, 2);
  assert.match(mismatched.stderr, /^tfbench: args differ in seed: 42 in a\.json; 7 in b\.json\n/);
  const missing = tfbench(['merge', 'a.json', 'nope.json', '-o', 'all.json'], dir);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /cannot read results file nope\.json/);
});

test('run: a shard with no cells says so and exits 0', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tfbench-merge-'));
  writeFileSync(join(dir, 'args.json'), JSON.stringify({ ...sweep, batchSizes: [1], sequenceLengths: [8] }));
  const r = tfbench(['run', 'args.json', '--shard', '2/2', '--json', 'empty.json', '--quiet'], dir);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /tfbench: shard 2\/2 has no cells \(the sweep has fewer cells than shards\): nothing to measure/);
  assert.deepEqual(read(join(dir, 'empty.json')).records, []);
  const bad = tfbench(['run', 'args.json', '--shard', '3/2'], dir);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--shard: expected i\/n with 1 ≤ i ≤ n such as "1\/4", or null, got "3\/2"/);
});
