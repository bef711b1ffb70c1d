// End to end: malformed inputs of every kind (args.json, configs, safetensors checkpoints) end in exit 2
// with one `path: message` line per problem, before any cell runs and with no results written. The
// property tests behind them are core's fuzz-*.test.ts; these drive the built CLI as a user would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, renameSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tinyBert } from './tiny-bert.js';
import { sharedFixture, skipWithoutShared } from '../../core/test/shared-fixtures.js';

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
const PARITY_BERT = sharedFixture('parity/bert');

function tfbench(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Writes args.json as text (JSON.stringify cannot write every case below) into a fresh directory. */
function runArgsText(text: string) {
  const dir = mkdtempSync(join(tmpdir(), 'tfbench-bad-'));
  writeFileSync(join(dir, 'args.json'), text);
  return { dir, ...tfbench(['run', 'args.json'], dir) };
}

const tiny = JSON.stringify(tinyBert);
const cases: Array<{ what: string; args: string; stderr: string[] }> = [
  {
    what: 'wrong types',
    args: `{"models": [${tiny}], "batchSizes": "8", "training": "yes", "dtype": 16}`,
    stderr: [
      'batchSizes: expected a list of positive integers such as [8], got "8"',
      'training: expected true or false, got "yes"',
      'dtype: expected "float32", "float16", "bfloat16" or "auto", got 16',
    ],
  },
  {
    what: 'huge and negative numbers',
    args: `{"models": [${tiny}], "batchSizes": [1e400, -1, 9007199254740993], "minTimeS": -0.5, "seed": 1e308}`,
    stderr: [
      'batchSizes[0]: expected a positive integer, got Infinity',
      'batchSizes[1]: expected a positive integer, got -1',
      'batchSizes[2]: expected a positive integer, got 9007199254740992',
      'minTimeS: expected a non-negative number, got -0.5',
      'seed: expected a non-negative integer, got 1e+308',
    ],
  },
  {
    what: 'unicode and unknown keys',
    args: `{"models": [${tiny}], "bätch_sizes": [8], "séquence\\nlengths": [8], "🚀": true, "batch_size": [8]}`,
    stderr: [
      'bätch_sizes: unknown argument; did you mean "batchSizes"?',
      '["séquence\\nlengths"]: unknown argument; did you mean "sequenceLengths"?',
      '["🚀"]: unknown argument',
      'batch_size: unknown argument; did you mean "batchSizes"?',
    ],
  },
  {
    what: 'nesting 100,000 levels deep',
    args: `{"models": [{"name": "deep", "base": "bert-base-uncased", "config": {"rope": ${'['.repeat(100_000)}${']'.repeat(100_000)}}}]}`,
    stderr: [`models[0].config.rope${'[0]'.repeat(61)}: nested more than 64 levels deep (objects and arrays); arguments and configs need a few`],
  },
  {
    what: 'config sizes that cannot be built',
    args: '{"models": [{"name": "odd", "base": "bert-base-uncased", "config": {"hidden_size": 770, "num_hidden_layers": 0, "vocab_size": -5}}]}',
    stderr: [
      'cannot build a model:',
      'models[0]: config of "odd": vocab_size: expected a positive integer, got -5',
      'models[0]: config of "odd": num_hidden_layers: expected a positive integer, got 0',
      'models[0]: config of "odd": hidden_size: 770 is not a multiple of num_attention_heads (12)',
    ],
  },
  {
    what: "custom modeling code (auto_map, transformers' trust_remote_code)",
    args:
      '{"models": [{"name": "glm", "config": {"model_type": "chatglm", "auto_map": {"AutoModel": "modeling_chatglm.ChatGLMForConditionalGeneration"}}}, ' +
      '{"name": "custom-llama", "base": "meta-llama/Llama-3.2-1B", "config": {"auto_map": {"AutoModelForCausalLM": "modeling_x.XForCausalLM"}}}]}',
    stderr: [
      'cannot build 2 models:',
      'models[0]: config of "glm": model_type "chatglm" is not supported: its repository defines it in its own code ' +
        '(auto_map.AutoModel → modeling_chatglm.ChatGLMForConditionalGeneration), which transformers runs only with ' +
        'trust_remote_code=True; tfbench never runs a repository\'s code (supported: "bert", "roberta", "distilbert", "gpt2", ' +
        '"llama", "mistral", "qwen2", "t5")',
      'models[1]: config of "custom-llama": auto_map points at its repository\'s own code (auto_map.AutoModelForCausalLM → ' +
        'modeling_x.XForCausalLM), which transformers runs only with trust_remote_code=True; tfbench never runs a ' +
        'repository\'s code, and that code may compute otherwise than transformers\' "llama" classes, which tfbench implements',
    ],
  },
];

for (const c of cases) {
  test(`run with ${c.what} in args.json exits 2 and lists every problem`, () => {
    const r = runArgsText(c.args);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stdout, '');
    // One problem prints as `tfbench: path: message`, several as an indented list under `tfbench: bad arguments:`.
    const lines = r.stderr.split('\n').map((l) => l.trim().replace(/^tfbench: /, ''));
    for (const line of c.stderr) assert.ok(lines.includes(line), `${JSON.stringify(line)} in\n${r.stderr}`);
    assert.doesNotMatch(r.stderr, /unexpected error|please report/);
  });
}

test('run with a vocab of 10^12 exits 2 before allocating, with the numbers', () => {
  const r = runArgsText('{"models": [{"name": "huge-vocab", "base": "bert-base-uncased", "config": {"vocab_size": 1000000000000}}], "device": "cpu", "json": "results.json"}');
  assert.equal(r.code, 2, r.stderr);
  assert.match(
    r.stderr,
    /^tfbench: error:\n {2}a model cannot fit in memory:\n {4}models\[0\]: "huge-vocab" cannot fit: its weights alone, 769,000,086,042,880 parameters × 4 bytes \(float32\) = 2\.73 PiB, are more than the [\d.]+ [GMT]iB of RAM \(vocab_size 1000000000000, hidden_size 768, intermediate_size 3072, num_hidden_layers 12\)\nhint: Use a smaller config/,
  );
  assert.ok(!existsSync(join(r.dir, 'results.json')), 'no results file');
});

test(
  'run and check on a checkpoint whose model.safetensors is truncated exit 2, naming the file, with no results written',
  { skip: skipWithoutShared('parity/bert') },
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'tfbench-truncated-'));
    const checkpoint = join(dir, 'bert');
    cpSync(PARITY_BERT, checkpoint, { recursive: true });
    const weights = join(checkpoint, 'model.safetensors');
    truncateSync(weights, statSync(weights).size - 1000);
    writeFileSync(join(dir, 'args.json'), JSON.stringify({ models: ['./bert'], sequenceLengths: [8], batchSizes: [1], json: 'results.json' }));
    const expected = `${weights}: tensor "cls.predictions.transform.dense.weight": data_offsets [76468, 80564] run past the end of the data (79564 bytes): the file is truncated`;

    const run = tfbench(['run', 'args.json'], dir);
    assert.equal(run.code, 2, run.stderr);
    assert.equal(run.stdout, '');
    assert.equal(
      run.stderr,
      `tfbench: error:\n  cannot build a model:\n    models[0]: ${expected}\nhint: Check that the file is a complete safetensors file (re-download or re-save it).\n`,
    );
    assert.ok(!existsSync(join(dir, 'results.json')), 'no results file');

    const check = tfbench(['check', checkpoint], dir);
    assert.equal(check.code, 2, check.stderr);
    assert.equal(check.stderr.split('\n')[0], `tfbench: ${expected}`);
    assert.ok(readFileSync(join(checkpoint, 'config.json'), 'utf8').includes('BertForMaskedLM'), 'the copy is the parity BERT');
  },
);

test(
  'run and check on a checkpoint whose weights are only pytorch_model.bin exit 2 with the reason and how to convert',
  { skip: skipWithoutShared('parity/bert') },
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'tfbench-pickle-'));
    const checkpoint = join(dir, 'bert');
    cpSync(PARITY_BERT, checkpoint, { recursive: true });
    renameSync(join(checkpoint, 'model.safetensors'), join(checkpoint, 'pytorch_model.bin')); // what it holds is never read
    writeFileSync(join(dir, 'args.json'), JSON.stringify({ models: ['./bert'], sequenceLengths: [8], batchSizes: [1], json: 'results.json' }));
    const expected =
      `${checkpoint}: the weights are pickle files (pytorch_model.bin), which tfbench does not load: unpickling can execute ` +
      'arbitrary code. There is no model.safetensors and no model.safetensors.index.json in this checkpoint directory';
    const hint =
      'hint: Convert it to safetensors once, in Python with transformers (the class its config.json names in architectures, ' +
      'e.g. LlamaForCausalLM): model = LlamaForCausalLM.from_pretrained(dir); model.save_pretrained(dir, safe_serialization=True). ' +
      'Or, for random weights, name its config.json instead.';

    const run = tfbench(['run', 'args.json'], dir);
    assert.equal(run.code, 2, run.stderr);
    assert.equal(run.stdout, '');
    assert.equal(run.stderr, `tfbench: error:\n  cannot build a model:\n    models[0]: ${expected}\n${hint}\n`);
    assert.ok(!existsSync(join(dir, 'results.json')), 'no results file');

    const check = tfbench(['check', checkpoint], dir);
    assert.equal(check.code, 2, check.stderr);
    assert.equal(check.stderr, `tfbench: ${expected}\n${hint}\n`);
  },
);
