// End to end: drive the built CLI as a user would and read what it printed and wrote.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSafetensors, type GenerationComparison } from '@tfbench/core';
import { renderGeneration } from '../src/commands/check.js';
import { formatDuration, progressLine } from '../src/commands/run.js';
import { schemaFile, validate } from '../../core/test/json-schema.js';
import { sharedFixture, skipWithoutShared } from '../../core/test/shared-fixtures.js';
import { tinyBert } from './tiny-bert.js';

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

/** Hugging Face ids resolve through an empty cache in offline mode: no test reads the user's cache or the network. */
const hubEnv = { ...process.env, HF_HUB_CACHE: mkdtempSync(join(tmpdir(), 'tfbench-cli-hf-')), HF_HUB_OFFLINE: '1' };

function tfbench(args: string[], cwd = process.cwd()) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', timeout: 120_000, env: hubEnv });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** An args file in a fresh directory. The device is pinned to the CPU (a test may override it): with the default
 * `auto` a CUDA host would measure on its GPU, with other memory columns. */
function writeArgs(args: Record<string, unknown>): { dir: string; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tfbench-cli-'));
  const path = join(dir, 'args.json');
  writeFileSync(path, JSON.stringify({ device: 'cpu', ...args }));
  return { dir, path };
}

test('run on a tiny config prints both inference tables with positive numbers and writes JSON', () => {
  const { dir, path } = writeArgs({
    models: [tinyBert],
    batchSizes: [2],
    sequenceLengths: [8, 16],
    minTimeS: 0.05,
    minSamples: 3,
    warmup: 1,
    envPrint: true,
    saveToCsv: true,
    outputDir: 'out',
    json: 'results.json',
    logPrint: true,
    logFilename: 'run.log',
  });
  const r = tfbench(['run', path], dir);
  assert.equal(r.code, 0, r.stderr);
  const out = r.stdout;
  assert.ok(out.indexOf('INFERENCE - SPEED - RESULT') >= 0, out);
  assert.ok(out.indexOf('INFERENCE - MEMORY - RESULT') > out.indexOf('INFERENCE - SPEED - RESULT'));
  assert.ok(out.indexOf('ENVIRONMENT INFORMATION') > out.indexOf('INFERENCE - MEMORY - RESULT'));
  // Default layout: Hugging Face's first four columns, then the CI, sample count, throughput and TFLOP/s.
  assert.match(out, /^Model Name +Batch Size +Seq Length +Time in s +95% CI \(n\) +Samples\/s +Tokens\/s +TFLOP\/s$/m);
  assert.match(out, /^Model Name +Batch Size +Seq Length +Memory in MB +RSS increase MB$/m);
  const rows = out.split('\n').filter((l) => /^tiny-bert\s/.test(l)).map((l) => l.split(/\s{2,}/));
  assert.equal(rows.length, 4, out); // 2 sequence lengths × (speed, memory)
  const [speed8, speed16, memory8, memory16] = rows as string[][];
  const records = JSON.parse(readFileSync(join(dir, 'out', 'results.json'), 'utf8')).records;
  for (const [row, record] of [[speed8!, records[0]], [speed16!, records[1]]] as const) {
    const [name, batch, seq, time, ci, samplesPerS, tokensPerS] = row;
    assert.deepEqual([name, batch, seq], ['tiny-bert', '2', String(record.sequenceLength)]);
    assert.equal(time, record.timeSeconds.median.toPrecision(4)); // four significant digits
    // '*' marks a CI below 95% confidence: too few samples, which on a slow machine minTimeS may leave.
    const flag = record.timeSeconds.ciLevel < 0.95 ? '*' : '';
    assert.equal(ci, `±${(record.timeSeconds.relCiHalfWidth * 100).toFixed(1)}%${flag} (${record.timeSeconds.count})`);
    // three significant digits, thousands grouped
    assert.ok(Math.abs(Number(samplesPerS!.replace(/,/g, '')) / record.throughput.samplesPerSecond - 1) < 0.005, samplesPerS);
    assert.ok(Math.abs(Number(tokensPerS!.replace(/,/g, '')) / record.throughput.tokensPerSecond - 1) < 0.005, tokensPerS);
  }
  for (const [row, record] of [[memory8!, records[0]], [memory16!, records[1]]] as const) {
    assert.equal(Number(row[3]), Math.floor(record.memory.rssPeakBytes / 2 ** 20));
    assert.equal(Number(row[4]), Math.floor(record.memory.rssIncreaseBytes / 2 ** 20));
    assert.ok(Number(row[3]) > 20 && Number(row[3]) < totalmem() / 2 ** 20, `peak RSS ${row[3]} MiB`);
  }
  // logPrint: the log holds what was printed, tables and messages alike.
  const log = readFileSync(join(dir, 'out', 'run.log'), 'utf8');
  assert.ok(log.startsWith(out), 'the log starts with the printed tables');
  assert.match(log, /tfbench: results written to .*results\.json/);
  assert.match(out, /- framework: libtorch/);
  assert.match(out, /- blas: /);

  const csv = readFileSync(join(dir, 'out', 'inference_time.csv'), 'utf8').trim().split('\n');
  assert.equal(csv[0], 'model,batch_size,sequence_length,result');
  assert.match(csv[1]!, /^tiny-bert,2,8,0\.\d{4}$/);
  assert.match(csv[2]!, /^tiny-bert,2,16,0\.\d{4}$/);
  const memCsv = readFileSync(join(dir, 'out', 'inference_memory.csv'), 'utf8').trim().split('\n');
  assert.match(memCsv[1]!, /^tiny-bert,2,8,\d+$/);
  const envCsv = readFileSync(join(dir, 'out', 'env.csv'), 'utf8');
  assert.match(envCsv, /^key,value\n/);
  assert.match(envCsv, /\nframework,libtorch\n/);

  const results = JSON.parse(readFileSync(join(dir, 'out', 'results.json'), 'utf8'));
  assert.equal(results.schemaVersion.split('.')[0], '1');
  const resultsSchema = schemaFile('results.schema.json'); // as shipped in @tfbench/core
  assert.deepEqual(validate(results, resultsSchema, resultsSchema), []);
  assert.equal(results.records.length, 2);
  for (const rec of results.records) {
    assert.equal(rec.status, 'ok');
    assert.ok(rec.timeSeconds.count >= 3);
    assert.ok(rec.timeSeconds.median > 0);
    assert.ok(rec.memory.rssPeakBytes >= rec.memory.rssBeforeBytes);
    assert.ok(rec.memory.rssBeforeBytes > 0);
  }
});

test('run --help lists every argument with its default', () => {
  const r = tfbench(['run', '--help']);
  assert.equal(r.code, 0, r.stderr);
  for (const flag of ['--batch-sizes', '--sequence-lengths', '--inference', '--training', '--device', '--dtype', '--isolate', '--min-time-s', '--json', '--env-print']) {
    assert.ok(r.stdout.includes(flag), `missing ${flag}`);
  }
  assert.match(r.stdout, /--sequence-lengths[\s\S]*?\[default: 8, 32, 128, 512\]/);
  assert.match(r.stdout, /--batch-sizes[\s\S]*?\[default: 8\]/);
  assert.match(r.stdout, /--dtype[\s\S]*?auto: the torch_dtype of the models' configs[\s\S]*?\[choices: "float32", "float16", "bfloat16", "auto"\] \[default: float32\]/);
});

test('a bad args file exits 2 naming each key and what was expected', () => {
  const { dir, path } = writeArgs({ models: ['bert-base-uncased'], batchSizes: [8, -3], dtype: 'float64', bogus: 1 });
  const r = tfbench(['run', path], dir);
  assert.equal(r.code, 2, r.stdout + r.stderr);
  assert.match(r.stderr, /batchSizes\[1\]: .*-3/);
  assert.match(r.stderr, /dtype: .*float32/);
  assert.match(r.stderr, /bogus/);
  assert.equal(r.stdout, '', 'nothing is half-run');
});

test('an unknown model and a missing args file exit 2 with a clear message', () => {
  const { dir, path } = writeArgs({ models: ['bert-base-uncasd'] });
  const r = tfbench(['run', path], dir);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /models\[0\]/);
  assert.match(r.stderr, /bert-base-uncased/); // suggests the close known id
  const missing = tfbench(['run', join(dir, 'nope.json')], dir);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /cannot read args file .*nope\.json/);
});

test('models lists the known ids with published parameter counts', () => {
  const r = tfbench(['models']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /bert-base-uncased .*109,514,298/);
  assert.match(r.stdout, /bert-large-uncased/);
  assert.match(r.stdout, /roberta-base .*roberta .*RobertaForMaskedLM .*124,697,433/);
  assert.match(r.stdout, /roberta-large .*RobertaForMaskedLM/);
  assert.match(r.stdout, /distilbert-base-uncased .*distilbert .*DistilBertForMaskedLM .*66,985,530/);
});

test('valid arguments this run cannot honour are refused up front, not ignored', () => {
  const { dir, path } = writeArgs({ models: [tinyBert], sequenceLengths: [8] });
  const half = tfbench(['run', path, '--device', 'cpu', '--dtype', 'float16'], dir);
  assert.equal(half.code, 2);
  assert.match(half.stderr, /dtype: float16 cannot run on the CPU/);
  assert.equal(half.stdout, '');
  // Llama-2-7b's config names float16: refused on the CPU once "auto" has read it, before anything is built.
  const auto = tfbench(['run', '--models', 'meta-llama/Llama-2-7b-hf', '--device', 'cpu', '--dtype', 'auto'], dir);
  assert.equal(auto.code, 2);
  assert.match(auto.stderr, /^tfbench: dtype: float16 \(what "auto" reads from the models' torch_dtype\) cannot run on the CPU/);
  assert.equal(auto.stdout, '');
});

test('--dtype auto builds in the torch_dtype the configs name: the results keep "auto" in args, the dtype used everywhere else', () => {
  const bf16 = { name: 'tiny-bert-bf16', config: { ...tinyBert.config, torch_dtype: 'bfloat16' } };
  const { dir, path } = writeArgs({ models: [bf16], batchSizes: [1], sequenceLengths: [8], minTimeS: 0.05, minSamples: 3, warmup: 1, json: 'results.json' });
  const r = tfbench(['run', path, '--dtype', 'auto', '--env-print'], dir);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^- dtype: bfloat16$/m);
  const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
  assert.equal(results.args.dtype, 'auto');
  assert.equal(results.environment.dtype, 'bfloat16');
  assert.deepEqual(results.records.map((rec: { status: string; dtype: string }) => [rec.status, rec.dtype]), [['ok', 'bfloat16']]);

  const mixed = writeArgs({ models: [bf16, tinyBert, 'meta-llama/Llama-2-7b-hf'], dtype: 'auto', json: 'results.json' });
  const refused = tfbench(['run', mixed.path], mixed.dir);
  assert.equal(refused.code, 2);
  assert.equal(
    refused.stderr,
    'tfbench: dtype: "auto" reads different dtypes from the models\' configs: bfloat16 for "tiny-bert-bf16"; float32 for "tiny-bert" ' +
      '(no torch_dtype); float16 for "meta-llama/Llama-2-7b-hf"; a run builds every model in one dtype\n' +
      'hint: Pass --dtype (dtype in args.json) explicitly, or run the models of each dtype separately.\n',
  );
  assert.equal(refused.stdout, '');
});

test('--breakdown prints a table per cell, module by module', () => {
  const { dir, path } = writeArgs({ models: [tinyBert], sequenceLengths: [8], minTimeS: 0.05, targetRelCi: 0 });
  const r = tfbench(['run', path, '--breakdown', '--no-memory'], dir);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /BREAKDOWN - tiny-bert - batch 8 - seq 8 - inference/);
  const modules = [...r.stdout.matchAll(/║ (embeddings|layer\.\d+|head) +│ +(\d+\.\d\d) │/g)].map((m) => m[1]);
  assert.deepEqual(modules, ['embeddings', 'layer.0', 'layer.1', 'head']);
});

// Linux's default overcommit policy refuses at once one allocation larger than RAM + swap; with overcommit
// 'always' (1) the worker would instead touch memory until the OOM killer picks a process, maybe not the worker.
const overcommitAlways = (() => {
  try {
    return readFileSync('/proc/sys/vm/overcommit_memory', 'utf8').trim() === '1';
  } catch {
    return false;
  }
})();

test(
  'a cell that cannot fit in memory is OOM in the tables, the others are measured, exit 1',
  { skip: overcommitAlways ? 'vm.overcommit_memory is 1 here: an allocation larger than RAM would not fail at once' : false },
  () => {
    // The input ids alone (int64, batch × 8) need 4× this machine's RAM: the allocation fails at once, nothing is touched.
    const huge = Math.ceil((4 * totalmem()) / (8 * 8));
    const { dir, path } = writeArgs({ models: [tinyBert], batchSizes: [2, huge], sequenceLengths: [8], minTimeS: 0.05, json: 'r.json' });
    const r = tfbench(['run', path, '--format', 'hf'], dir);
    assert.equal(r.code, 1, r.stderr);
    // --format hf: Hugging Face's centred columns exactly, the failed cell's status in its value column.
    assert.match(r.stdout, /^ +tiny-bert +2 +8 +(< 0\.001|0\.\d{3}) +$/m);
    assert.match(r.stdout, new RegExp(`^ +tiny-bert +${huge} +8 +OOM +$`, 'm'));
    assert.doesNotMatch(r.stdout, /95% CI/);
    assert.match(r.stderr, new RegExp(`tiny-bert batch ${huge} seq 8 inference: oom \\(OOM: .*allocate`));
    const results = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8'));
    assert.deepEqual(results.records.map((x: { status: string }) => x.status), ['ok', 'oom']);
  },
);

const bertFixture = sharedFixture('parity/bert');
const skipCheck = skipWithoutShared('parity/bert', 'parity/roberta', 'parity/distilbert');

test('check: the BERT parity fixture matches, printed per tensor; --json for machines', { skip: skipCheck }, () => {
  const r = tfbench(['check', bertFixture]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /BertForMaskedLM on cpu, float32; tolerance atol 0\.0001, rtol 0\.0001/);
  assert.match(r.stdout, /all 6 tensors match/);
  const j = tfbench(['check', bertFixture, '--json']);
  assert.equal(j.code, 0);
  const result = JSON.parse(j.stdout);
  assert.equal(result.ok, true);
  assert.equal(result.tensors.length, 6);
  for (const t of result.tensors) assert.ok(t.maxAbsDiff < 1e-5, `${t.name} ${t.maxAbsDiff}`);
  // The table prints each tensor's max abs diff to 3 significant digits (0 prints as 0.00e+0): the same run
  // twice gives the same numbers, so the printed value is the JSON's.
  const diffOf = new Map(result.tensors.map((t: { name: string; maxAbsDiff: number }) => [t.name, t.maxAbsDiff]));
  for (const name of ['last_hidden_state', 'logits', 'loss', 'grad.bert.embeddings.word_embeddings.weight']) {
    const row = new RegExp(`║ ${name.replace(/\./g, '\\.')} +│ .* │ +(\\S+) │ ok`).exec(r.stdout);
    assert.ok(row, `no row for ${name}`);
    assert.equal(row[1], (diffOf.get(name) as number).toExponential(2), name);
  }
});

test('check: the RoBERTa and DistilBERT parity fixtures match', { skip: skipCheck }, () => {
  for (const [name, architecture] of [['roberta', 'RobertaForMaskedLM'], ['distilbert', 'DistilBertForMaskedLM']] as const) {
    const r = tfbench(['check', bertFixture.replace(/bert$/, name)]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`${architecture} on cpu, float32`));
    assert.match(r.stdout, /all 6 tensors match/);
  }
});

test("check --framework tfjs: the BERT fixture matches on TensorFlow.js's wasm and cpu backends too", { skip: skipCheck }, () => {
  for (const backend of ['wasm', 'cpu']) {
    const r = tfbench(['check', bertFixture, '--framework', 'tfjs', '--tfjs-backend', backend]);
    assert.equal(r.code, 0, r.stderr);
    const settings = `BertForMaskedLM on cpu, float32; tolerance atol 0\\.0001, rtol 0\\.0001; tfjs 4\\.22\\.0, ${backend} \\(@tensorflow/tfjs-backend-${backend} 4\\.22\\.0\\)`;
    assert.match(r.stdout, new RegExp(settings));
    assert.match(r.stdout, /all 6 tensors match/);
  }
  const libtorch = tfbench(['check', bertFixture]);
  assert.match(libtorch.stdout, /rtol 0\.0001; libtorch \d+\.\d+/);
});

test('check: a bfloat16 fixture runs in bfloat16 with its own tolerances, the loss with its own', () => {
  const fixture = fileURLToPath(new URL('../../core/test/fixtures/bf16/llama-bf16', import.meta.url));
  const r = tfbench(['check', fixture]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /LlamaForCausalLM on cpu, bfloat16; tolerance atol 0\.13, rtol 0\.13 \(loss: atol 0\.0012, rtol 0\.0012\)/);
  assert.match(r.stdout, /all 3 tensors match/);
  // Computed in float32 instead, the same weights still pass the bfloat16 tolerances (fixtures/bf16/README.md).
  const f32 = tfbench(['check', fixture, '--dtype', 'float32', '--json']);
  const result = JSON.parse(f32.stdout);
  assert.equal(result.dtype, 'float32');
  assert.equal(f32.code, 0, f32.stderr);
});

test('check: a config that changes the math fails with exit 1; a bad directory is exit 2', { skip: skipCheck }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'tfbench-check-'));
  cpSync(bertFixture, dir, { recursive: true });
  const configPath = join(dir, 'config.json');
  const config = JSON.parse(readFileSync(configPath, 'utf8'));
  writeFileSync(configPath, JSON.stringify({ ...config, layer_norm_eps: 0.5 }));
  const r = tfbench(['check', dir]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /║ logits +│ \[2, 7, 99\] +│ .* │ \d+ elements off/);
  assert.match(r.stdout, /tensors differ past the tolerance/);
  const missing = tfbench(['check', join(dir, 'nope')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /is not a directory/);
});

test('check prints greedy generation as a table: ids exact or where they first differ, the logits diff', () => {
  const exact: GenerationComparison = {
    file: '/refs/gpt2.safetensors', promptShape: [2, 5], newTokens: 6, dtype: 'float32', atol: 1e-4, rtol: 1e-4,
    generatedIds: { shape: [2, 11], ok: true, firstDifference: null, problem: null },
    stepLogits: {
      name: 'step_logits', shape: [6, 2, 99], atol: 1e-4, rtol: 1e-4,
      maxAbsDiff: 2.384e-7, mismatched: 0, ok: true, problem: null,
    },
    ok: true,
  };
  assert.equal(
    renderGeneration(exact),
    [
      'greedy generation /refs/gpt2.safetensors',
      'prompt [2, 5], 6 new tokens, float32; step_logits tolerance atol 0.0001, rtol 0.0001',
      '╔═══════════════╤════════════╤══════════════╤════════╗',
      '║ Tensor        │ Shape      │ Max abs diff │ Status ║',
      '╟───────────────┼────────────┼──────────────┼────────╢',
      '║ generated_ids │ [2, 11]    │            - │ exact  ║',
      '║ step_logits   │ [6, 2, 99] │      2.38e-7 │ ok     ║',
      '╚═══════════════╧════════════╧══════════════╧════════╝',
      'greedy generation matches the reference',
      '',
    ].join('\n'),
  );
  const differs = renderGeneration({
    ...exact,
    generatedIds: {
      ...exact.generatedIds,
      ok: false,
      firstDifference: { sequence: 1, position: 7, step: 2, expected: 40, actual: 17 },
    },
    stepLogits: { ...exact.stepLogits, maxAbsDiff: 0.0123, mismatched: 37, ok: false },
    ok: false,
  });
  assert.match(differs, /^║ generated_ids │ \[2, 11\] +│ +- │ step 2, sequence 1: token 17, expected 40 ║$/m);
  assert.match(differs, /^║ step_logits +│ \[6, 2, 99\] │ +1\.23e-2 │ 37 elements off +║$/m);
  assert.match(differs, /\ngreedy generation differs from the reference\n$/);
  const prompt = renderGeneration({
    ...exact,
    generatedIds: {
      ...exact.generatedIds,
      ok: false,
      firstDifference: { sequence: 0, position: 3, step: null, expected: 5, actual: 6 },
    },
    ok: false,
  });
  assert.match(prompt, /│ position 3 \(before the first new token\), sequence 0: token 6, expected 5 ║/);
});

const skipGeneration = skipWithoutShared('parity/gpt2', 'generation/gpt2.safetensors');

// Needs the addon's greedy decoding (NativeModel.generate).
test('check --generation: gpt2 decodes as its reference, shown after the tensors', { skip: skipGeneration }, () => {
  const reference = sharedFixture('generation/gpt2.safetensors');
  const r = tfbench(['check', sharedFixture('parity/gpt2'), '--generation', reference]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.stdout.indexOf(`greedy generation ${reference}\n`) > r.stdout.indexOf('all 6 tensors match'), r.stdout);
  assert.match(r.stdout, /^prompt \[2, 5\], 6 new tokens, float32; step_logits tolerance atol 0\.0001, rtol 0\.0001$/m);
  assert.match(r.stdout, /^║ generated_ids │ \[2, 11\] +│ +- │ exact +║$/m);
  assert.match(r.stdout, /\ngreedy generation matches the reference\n$/);
  const j = tfbench(['check', sharedFixture('parity/gpt2'), '--generation', reference, '--json']);
  assert.equal(j.code, 0, j.stderr);
  const g = JSON.parse(j.stdout).generation;
  const figures = [g.file, g.newTokens, g.ok, g.generatedIds.ok, g.stepLogits.mismatched];
  assert.deepEqual(figures, [reference, 6, true, true, 0]);
  const row = /^║ step_logits +│ \[6, 2, 99\] │ +(\S+) │ ok +║$/m.exec(r.stdout);
  assert.equal(row?.[1], g.stepLogits.maxAbsDiff.toExponential(2));
});

// Needs the addon's greedy decoding (NativeModel.generate).
test('check --generation: a reference with another token exits 1, naming where', { skip: skipGeneration }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'tfbench-check-generation-'));
  const reference = join(dir, 'gpt2.safetensors');
  const bytes = readFileSync(sharedFixture('generation/gpt2.safetensors'));
  // Sequence 1's third new token (position 5 + 2 of [2, 11]) made another id.
  const { entries } = readSafetensors(sharedFixture('generation/gpt2.safetensors')).header;
  const entry = entries.find((e) => e.name === 'generated_ids')!;
  const at = entry.begin + (11 + 7) * 8;
  const token = bytes.readBigInt64LE(at); // what the model decodes there
  const other = (token + 1n) % 99n;
  bytes.writeBigInt64LE(other, at);
  writeFileSync(reference, bytes);
  const r = tfbench(['check', sharedFixture('parity/gpt2'), '--generation', reference]);
  assert.equal(r.code, 1, r.stderr);
  const status = `step 2, sequence 1: token ${token}, expected ${other}`;
  assert.match(r.stdout, new RegExp(`^║ generated_ids │ \\[2, 11\\] +│ +- │ ${status} ║$`, 'm'));
  assert.match(r.stdout, /\ngreedy generation differs from the reference\n$/);
});

test('check --generation: a file that is no generation reference is exit 2', { skip: skipGeneration }, () => {
  const notReference = sharedFixture('parity/gpt2/expected.safetensors');
  const r = tfbench(['check', sharedFixture('parity/gpt2'), '--generation', notReference]);
  assert.equal(r.code, 2, r.stdout);
  assert.equal(r.stdout, '');
  assert.ok(r.stderr.startsWith(`tfbench: ${notReference} has no prompt_ids\nhint: A greedy-generation reference holds`), r.stderr);
});

test('env --framework tfjs: the block names TensorFlow.js, its backend and its one thread', () => {
  const r = tfbench(['env', '--framework', 'tfjs', '--tfjs-backend', 'cpu']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^- framework: tfjs$/m);
  assert.match(r.stdout, /^- framework_version: 4\.22\.0$/m);
  assert.match(r.stdout, /^- tfjs_backend: cpu \(@tensorflow\/tfjs-backend-cpu 4\.22\.0\)$/m);
  assert.match(r.stdout, /^- threads: 1$/m);
  assert.match(r.stdout, /^- threads_choice: backend: TensorFlow\.js's cpu backend runs JavaScript on Node's main thread$/m);
  assert.match(r.stdout, /^- memory_bandwidth: unknown \(the tfjs backend does not measure it\)$/m);
  assert.doesNotMatch(r.stdout, /libtorch_source/);
});

// Needs the addon's measureMemoryBandwidth (native branch).
test("env and run measure the device's memory bandwidth: shown after Hugging Face's keys, kept in the JSON", () => {
  const r = tfbench(['env']);
  assert.equal(r.code, 0, r.stderr);
  const line = /^- memory_bandwidth: ([\d,.]+) GB\/s \(copy of 256 MiB, median of 9\)$/m.exec(r.stdout);
  assert.ok(line, r.stdout);
  assert.ok(Number(line[1]!.replace(/,/g, '')) > 0, line[0]);
  assert.ok(r.stdout.indexOf('- use_tpu: ') < line.index, "after Hugging Face's keys");

  const args = { models: [tinyBert], batchSizes: [1], sequenceLengths: [8], minSamples: 3, minTimeS: 0, maxTimeS: 0 };
  const { dir, path } = writeArgs({ ...args, json: 'r.json' });
  const run = tfbench(['run', path, '--no-isolate', '--env-print'], dir);
  assert.equal(run.code, 0, run.stderr);
  const bandwidth = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')).environment.memoryBandwidth;
  assert.deepEqual([bandwidth.bufferBytes, bandwidth.repeats], [256 * 2 ** 20, 9]);
  assert.ok(bandwidth.bytesPerSecond > 0);
  const gbps = bandwidth.bytesPerSecond / 1e9;
  const shown = gbps >= 1000 ? Math.round(gbps).toLocaleString('en-US') : gbps.toPrecision(3);
  assert.ok(run.stdout.includes(`\n- memory_bandwidth: ${shown} GB/s (copy of 256 MiB, median of 9)\n`), run.stdout);
});

test('warnings about the figures are shown on stderr, not in the tables', () => {
  // 3 samples and no time to sample more: the [min, max] interval's confidence is all there is.
  const { dir, path } = writeArgs({ models: [tinyBert], batchSizes: [1], sequenceLengths: [8], minSamples: 3, minTimeS: 0, maxTimeS: 0, warmup: 1 });
  const r = tfbench(['run', path], dir);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /tfbench: note: tiny-bert batch 1 seq 8 inference: only 3 samples: \[min, max\] bounds the median with 75\.0% confidence/);
  assert.doesNotMatch(r.stdout, /note:/);
});

test('compare: a results file against itself is no change (exit 0); a slowed copy regresses (exit 1); junk is exit 2', () => {
  const { dir, path } = writeArgs({ models: [tinyBert], sequenceLengths: [8], minTimeS: 0.05, targetRelCi: 0, memory: false, json: 'base.json' });
  assert.equal(tfbench(['run', path], dir).code, 0);
  // Made-up samples (1% spread around 10 ms) so that the verdicts do not depend on this machine's noise.
  const base = JSON.parse(readFileSync(join(dir, 'base.json'), 'utf8'));
  const made = (scale: number) => Array.from({ length: 20 }, (_, i) => scale * 0.01 * (1 + 0.01 * Math.sin(i)));
  const withSamples = (scale: number) => {
    for (const r of base.records) r.timeSeconds.samples = made(scale);
    return JSON.stringify(base);
  };
  writeFileSync(join(dir, 'base.json'), withSamples(1));
  writeFileSync(join(dir, 'slow.json'), withSamples(1.5));
  const same = tfbench(['compare', 'base.json', 'base.json'], dir);
  assert.equal(same.code, 0, same.stderr);
  assert.match(same.stdout, /tiny-bert .*│ +8 │ inference │.*1\.000 \[.*no significant change/);
  const slow = tfbench(['compare', 'base.json', 'slow.json'], dir);
  assert.equal(slow.code, 1);
  assert.match(slow.stdout, /1\.500 \[.*slower \(regression\)/);
  assert.match(slow.stdout, /1 of 1 cells regressed/);
  const json = JSON.parse(tfbench(['compare', 'base.json', 'slow.json', '--json'], dir).stdout);
  assert.equal(json.regressions, 1);
  writeFileSync(join(dir, 'fast.json'), withSamples(0.5));
  const fast = tfbench(['compare', 'base.json', 'fast.json'], dir);
  assert.equal(fast.code, 0, fast.stderr);
  assert.match(fast.stdout, /0\.500 \[.*faster/);
  for (const r of base.records) r.device = 'cuda:0';
  writeFileSync(join(dir, 'gpu.json'), withSamples(1));
  const across = tfbench(['compare', 'base.json', 'gpu.json'], dir);
  assert.equal(across.code, 2);
  assert.match(across.stderr, /cuda:0/);
  const forced = tfbench(['compare', 'base.json', 'gpu.json', '--force'], dir);
  assert.equal(forced.code, 0, forced.stderr);
  assert.match(forced.stdout, /compared anyway \(--force\), measured differently: tiny-bert batch 8 seq 8 inference: cpu float32 in base, cuda:0 float32 in new/);
  // Another framework: the same cells timed in TensorFlow.js's wasm backend.
  for (const r of base.records) r.device = 'cpu';
  base.environment = { ...base.environment, framework: 'tfjs', frameworkVersion: '4.22.0', frameworkSource: 'wasm (@tensorflow/tfjs-backend-wasm 4.22.0)' };
  writeFileSync(join(dir, 'tfjs.json'), withSamples(5));
  const frameworks = tfbench(['compare', 'base.json', 'tfjs.json'], dir);
  assert.equal(frameworks.code, 2);
  assert.match(frameworks.stderr, /different frameworks, devices or dtypes:\n +framework: libtorch [\d.]+ in base, tfjs 4\.22\.0 \(wasm \(@tensorflow\/tfjs-backend-wasm 4\.22\.0\)\) in new/);
  const forcedFrameworks = tfbench(['compare', 'base.json', 'tfjs.json', '--force'], dir);
  assert.equal(forcedFrameworks.code, 1, 'five times slower: a regression all the same');
  assert.match(forcedFrameworks.stdout, /measured differently: framework: libtorch .* in base, tfjs 4\.22\.0 .* in new/);
  writeFileSync(join(dir, 'junk.json'), '{"hello": 1}');
  const junk = tfbench(['compare', 'base.json', 'junk.json'], dir);
  assert.equal(junk.code, 2);
  assert.match(junk.stderr, /not a tfbench results file/);
});

test('--json - writes the results to stdout and the tables to stderr', () => {
  const { dir, path } = writeArgs({ models: [tinyBert], sequenceLengths: [8], minTimeS: 0.05, targetRelCi: 0 });
  const r = tfbench(['run', path, '--json', '-'], dir);
  assert.equal(r.code, 0, r.stderr);
  const results = JSON.parse(r.stdout);
  assert.equal(results.records.length, 1);
  assert.match(r.stderr, /INFERENCE - SPEED - RESULT/);
});

test('durations in the progress line read as seconds, minutes or hours', () => {
  assert.deepEqual([formatDuration(42.4), formatDuration(185), formatDuration(3725)], ['42s', '3m 05s', '1h 02m']);
});

test('the progress line on a terminal: i/n and the cell, then an ETA from the mean time per finished cell; nothing with --quiet or off a terminal', () => {
  let written = '';
  let clock = 100;
  const io = { stdout: () => {}, stderr: (t: string) => void (written += t), stderrIsTTY: true };
  const onProgress = progressLine(io, false, () => clock);
  const cell = (sequenceLength: number) => ({ model: 'bert-base-uncased', batchSize: 8, sequenceLength, mode: 'inference' as const });
  onProgress({ type: 'cell-start', index: 0, total: 4, cell: cell(8) });
  assert.equal(written, '\r\x1b[2K[1/4] bert-base-uncased · batch 8 · seq 8 · inference');
  clock = 130; // the first cell took 30 s: three more cells left
  written = '';
  onProgress({ type: 'cell-start', index: 1, total: 4, cell: cell(32) });
  assert.equal(written, '\r\x1b[2K[2/4] bert-base-uncased · batch 8 · seq 32 · inference · ETA 1m 30s');
  written = '';
  progressLine(io, true, () => clock)({ type: 'cell-start', index: 1, total: 4, cell: cell(32) });
  progressLine({ ...io, stderrIsTTY: false }, false, () => clock)({ type: 'cell-start', index: 1, total: 4, cell: cell(32) });
  assert.equal(written, '');
});
