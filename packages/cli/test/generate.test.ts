// The generate mode end to end: `run --generate` on tiny models with the real addon (its sections, the skipped
// encoder, JSON that validates), and compare, report and merge on generate results made by core's sweep on a
// fake backend (no addon needed for those).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchmark, type BenchmarkResults } from '@tfbench/core';
import { fakeBackend, tinyGpt2 } from '../../core/test/fake-backend.js';
import { schemaFile, validate } from '../../core/test/json-schema.js';
import { tinyBert } from './tiny-bert.js';

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

function tfbench(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('run --help documents --generate and --new-tokens (default 32)', () => {
  const r = tfbench(['run', '--help'], process.cwd());
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /--generate[\s\S]*?greedy decoding of newTokens tokens/);
  assert.match(r.stdout, /--new-tokens[\s\S]*?\[default: 32\]/);
  assert.match(r.stdout, /--generate-time-csv-file[\s\S]*?\[default: "?generate_time\.csv"?\]/);
});

test('run --generate on tiny GPT-2 and BERT: the generation sections, BERT skipped with the reason, JSON that validates', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tfbench-generate-'));
  const gpt2 = { ...tinyGpt2, config: { ...tinyGpt2.config, architectures: ['GPT2LMHeadModel'] } };
  writeFileSync(join(dir, 'args.json'), JSON.stringify({ models: [tinyBert, gpt2], device: 'cpu', warmup: 1, minSamples: 3, minTimeS: 0.05, targetRelCi: 0 }));
  const r = tfbench(
    ['run', 'args.json', '--generate', '--no-inference', '--new-tokens', '8', '--batch-sizes', '1', '2', '--sequence-lengths', '8', '16', '--json', 'r.json', '--save-to-csv'],
    dir,
  );
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.ok(r.stdout.indexOf('GENERATION - SPEED - RESULT') >= 0, r.stdout);
  assert.ok(r.stdout.indexOf('GENERATION - MEMORY - RESULT') > r.stdout.indexOf('GENERATION - SPEED - RESULT'));
  assert.doesNotMatch(r.stdout, /INFERENCE/);
  assert.match(r.stdout, /^Model Name +Batch Size +Seq Length +TTFT ms +95% CI +TPOT ms +95% CI \(n\) +ITL p50 ms +ITL p90 ms +ITL p99 ms +Prefill tok\/s +Decode tok\/s +E2E s( +TPOT \/ floor)?$/m);
  assert.match(r.stdout, /^Model Name +Batch Size +Seq Length +Memory in MB +RSS increase MB +Weights MB +KV cache MB +KV allocated MB$/m);
  assert.match(r.stdout, /^tiny-bert +1 +8 +skipped +-/m);
  assert.match(r.stderr, /tiny-bert batch 1 seq 8 generate: skipped \(CANNOT_GENERATE: skipped: tiny-bert cannot generate: bert is an encoder-only family/);

  const results = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8'));
  const schema = schemaFile('results.schema.json');
  assert.deepEqual(validate(results, schema, schema), []);
  const measured = results.records.filter((x: { model: string }) => x.model === 'tiny-gpt2');
  assert.equal(measured.length, 4);
  for (const rec of measured) {
    assert.equal(rec.status, 'ok', JSON.stringify(rec.error));
    const g = rec.generation;
    assert.equal(g.trace.contextStart, rec.sequenceLength + 1);
    assert.ok(g.trace.stepSeconds.every((steps: number[]) => steps.length === 7 && steps.every((s) => s > 0)));
    // TPOT and the tokens/s follow from each call's times as defined.
    const tpots = g.tpotSeconds.samples as number[];
    rec.timeSeconds.samples.forEach((e2e: number, i: number) => assert.ok(Math.abs(tpots[i]! - (e2e - g.ttftSeconds.samples[i]) / 7) < 1e-12));
    assert.ok(Math.abs(g.prefillTokensPerSecond - (rec.batchSize * rec.sequenceLength) / g.ttftSeconds.median) < 1e-6 * g.prefillTokensPerSecond);
    // The cache by formula, 2 · 2 layers · B · (S + 8) · 32 · 4 bytes, and as the addon allocated it.
    assert.equal(g.kvCache.formulaBytes, 2 * 2 * rec.batchSize * (rec.sequenceLength + 8) * 32 * 4);
    assert.equal(g.kvCache.allocatedBytes, g.kvCache.formulaBytes);
  }
  const csv = readFileSync(join(dir, 'generate_time.csv'), 'utf8').trim().split('\n');
  assert.equal(csv[0], 'model,batch_size,sequence_length,result,new_tokens,ttft_s,tpot_s,itl_p50_s,itl_p90_s,itl_p99_s,prefill_tokens_per_s,decode_tokens_per_s');
  assert.match(csv[1]!, /^tiny-bert,1,8,SKIPPED,,,/);
  assert.match(csv[5]!, /^tiny-gpt2,1,8,\d+\.\d{4},8,[\d.e-]+,/);
});

/** A generate sweep of tiny GPT-2 on core's fake backend (prefill 1 ms × `scale`, steps a quarter of it). */
async function fakeSweep(scale: number, over: Record<string, unknown> = {}): Promise<BenchmarkResults> {
  const args = {
    models: [tinyGpt2], inference: false, generate: true, newTokens: 4, batchSizes: [1], sequenceLengths: [8, 16],
    isolate: false, device: 'cpu', threads: 2, warmup: 1, minSamples: 6, minTimeS: 0, targetRelCi: 0, ...over,
  };
  return benchmark(args, { backend: fakeBackend(1e9, [], 0.001 * scale) });
}

test('compare shows the TTFT and TPOT ratios of generate cells and regresses on them; report draws both charts; merge joins shards', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tfbench-generate-files-'));
  writeFileSync(join(dir, 'base.json'), JSON.stringify(await fakeSweep(1)));
  writeFileSync(join(dir, 'slow.json'), JSON.stringify(await fakeSweep(1.5)));
  const same = tfbench(['compare', 'base.json', 'base.json'], dir);
  assert.equal(same.code, 0, same.stderr);
  assert.match(same.stdout, /│ TTFT ratio +│ TPOT ratio +│ Verdict/);
  assert.match(same.stdout, /tiny-gpt2 .*│ generate │.*│ 1\.000 \[1\.000, 1\.000\] │ 1\.000 \[1\.000, 1\.000\] │ no significant change/);
  assert.match(same.stdout, /generate cells: Base s and New s are the median seconds per generate call \(E2E\)/);
  const slow = tfbench(['compare', 'base.json', 'slow.json'], dir);
  assert.equal(slow.code, 1);
  assert.match(slow.stdout, /│ 1\.500 \[1\.500, 1\.500\] │ 1\.500 \[1\.500, 1\.500\] │ slower \(regression\)/);
  assert.match(slow.stdout, /2 of 2 cells regressed/);

  const report = tfbench(['report', 'base.json', '-o', 'base.html'], dir);
  assert.equal(report.code, 0, report.stderr);
  const html = readFileSync(join(dir, 'base.html'), 'utf8');
  assert.match(html, /aria-label="Generation: time to first token vs prompt length"/);
  assert.match(html, /aria-label="Generation: time per output token vs context depth"/);

  for (const i of [1, 2]) writeFileSync(join(dir, `s${i}.json`), JSON.stringify(await fakeSweep(1, { shard: `${i}/2` })));
  const merge = tfbench(['merge', 's1.json', 's2.json', '-o', 'all.json'], dir);
  assert.equal(merge.code, 0, merge.stderr);
  const all = JSON.parse(readFileSync(join(dir, 'all.json'), 'utf8'));
  assert.deepEqual(all.records.map((x: { sequenceLength: number; mode: string }) => `${x.sequenceLength} ${x.mode}`), ['8 generate', '16 generate']);
  assert.ok(all.records.every((x: { generation: unknown }) => x.generation !== null));
});
