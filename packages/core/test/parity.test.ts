// The libtorch models against Hugging Face transformers' outputs, one test per checkpoint directory:
// - ../shared/fixtures/parity/<case>: computed by transformers 4.47.1 itself (float32, CPU);
// - test/fixtures/variants/<case>: the same families with other config values (activations, eps, rope theta,
//   KV-head ratios, biases, tied/untied heads, gated feed-forward, decoder depth), computed by
//   bench/reference/hf_reference.py, which bench/reference/parity_check.py shows reproduces every shared
//   fixture exactly;
// - test/fixtures/bf16/<case>: one decoder per family run in bfloat16 as transformers runs it (same reference).
// Every stored tensor (hidden states, logits, loss, gradients) within the case's tolerance (float32: atol = rtol =
// 1e-4; bfloat16: the case's, set in fixtures/bf16/README.md), every parameter filled from the checkpoint and
// every checkpoint tensor used.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readSafetensors } from '../src/models/index.js';
import { checkCheckpoint } from '../src/run/check.js';
import { sharedFixture } from './shared-fixtures.js';

const roots = [
  sharedFixture('parity'),
  fileURLToPath(new URL('./fixtures/variants', import.meta.url)),
  fileURLToPath(new URL('./fixtures/bf16', import.meta.url)),
];
const missingRoots = roots.filter((root) => !existsSync(root));
for (const root of missingRoots) {
  test(`parity cases in ${root}`, { skip: `${root} is not there (the shared fixtures sit beside the repository, in ../shared)` }, () => {});
}
const cases = roots.filter((root) => existsSync(root)).flatMap((root) =>
  readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => `${root}/${d.name}`),
);

test('the parity cases cover every family and every head', { skip: missingRoots.length > 0 ? 'some fixtures are missing' : false }, () => {
  const architectures = new Set(cases.map((dir) => readSafetensors(`${dir}/expected.safetensors`).metadata?.architecture));
  for (const a of [
    'BertModel', 'BertForMaskedLM', 'RobertaForMaskedLM', 'DistilBertForMaskedLM', 'GPT2LMHeadModel',
    'LlamaForCausalLM', 'MistralForCausalLM', 'Qwen2ForCausalLM', 'T5ForConditionalGeneration',
  ]) {
    assert.ok(architectures.has(a), `a case for ${a}`);
  }
  assert.ok(cases.length >= 18, `${cases.length} cases`);
});

test('a bfloat16 case for every decoder family, each with its tolerances stated', { skip: missingRoots.length > 0 ? 'some fixtures are missing' : false }, () => {
  const bf16 = cases.map((dir) => readSafetensors(`${dir}/expected.safetensors`).metadata ?? {}).filter((m) => m.dtype === 'bfloat16');
  assert.deepEqual(bf16.map((m) => m.architecture).sort(), ['GPT2LMHeadModel', 'LlamaForCausalLM', 'Qwen2ForCausalLM', 'T5ForConditionalGeneration']);
  for (const m of bf16) for (const key of ['atol', 'rtol', 'loss_atol', 'loss_rtol']) assert.ok(Number(m[key]) > 0, `${m.architecture}: ${key}`);
});

for (const dir of cases) {
  const name = dir.split('/').slice(-2).join('/');
  const metadata = readSafetensors(`${dir}/expected.safetensors`).metadata ?? {};
  const dtype = metadata.dtype ?? 'float32';
  const tolerance = metadata.atol ? `atol ${metadata.atol}, rtol ${metadata.rtol}` : '1e-4';
  test(`${name} matches the reference outputs in ${dtype} within ${tolerance}`, async (t) => {
    // Greedy generation, from a case's generate.safetensors, has its own tests (generation-check.test.ts).
    const r = await checkCheckpoint(dir, { generation: false });
    assert.equal(r.architecture, metadata.architecture);
    assert.equal(r.dtype, dtype);
    assert.deepEqual(r.missingParameters, [], 'every parameter comes from the checkpoint');
    assert.deepEqual(r.unexpectedTensors, [], 'every checkpoint tensor fills a parameter');
    for (const c of r.tensors) assert.ok(c.ok, `${c.name}: ${c.problem ?? `max abs diff ${c.maxAbsDiff}, ${c.mismatched} elements off`}`);
    assert.ok(r.tensors.some((c) => c.name === 'logits' || c.name === 'pooler_output'), 'a head output is compared');
    t.diagnostic(r.tensors.map((c) => `${c.name} ${c.maxAbsDiff!.toExponential(2)}`).join(', '));
  });
}
