// The libtorch models against Hugging Face transformers' outputs for the same checkpoints
// (../shared/fixtures/parity/<case>: float32, CPU), one test per case. Tolerance: atol = rtol = 1e-4.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { libtorchBackend } from '../src/backend/index.js';
import { readSafetensors, resolveModel } from '../src/models/index.js';
import { loadCheckpointWeights } from '../src/run/weights.js';
import type { HostTensor } from '@tfbench/native';

const fixtures = fileURLToPath(new URL('../../../../shared/fixtures/parity', import.meta.url));
/** Cases whose family tfbench builds, with the class each one's architectures[0] names. */
const CASES = [
  { name: 'bert', family: 'bert', architecture: 'BertForMaskedLM', head: 'masked-lm' },
  { name: 'roberta', family: 'roberta', architecture: 'RobertaForMaskedLM', head: 'masked-lm' },
  { name: 'distilbert', family: 'distilbert', architecture: 'DistilBertForMaskedLM', head: 'masked-lm' },
  { name: 'gpt2', family: 'gpt2', architecture: 'GPT2LMHeadModel', head: 'causal-lm' },
] as const;
const ATOL = 1e-4;
const RTOL = 1e-4;

/** Max abs diff, and whether every element is within atol + rtol·|expected| (numpy.allclose). */
function compare(actual: HostTensor | undefined, expected: HostTensor, name: string): number {
  assert.ok(actual, `${name} missing from the outputs`);
  assert.deepEqual(actual.shape, expected.shape, `${name} shape`);
  const a = actual.data as Float32Array;
  const e = expected.data as Float32Array;
  let maxDiff = 0;
  for (let i = 0; i < e.length; i++) {
    const d = Math.abs(a[i]! - e[i]!);
    maxDiff = Math.max(maxDiff, d);
    assert.ok(d <= ATOL + RTOL * Math.abs(e[i]!), `${name}[${i}]: ${a[i]} vs ${e[i]} (diff ${d})`);
  }
  return maxDiff;
}

for (const c of CASES) {
  test(`${c.architecture} (fixture ${c.name}) matches the reference outputs within 1e-4`, async (t) => {
    const fixture = `${fixtures}/${c.name}`;
    const model = resolveModel(fixture, { onlyPretrainModel: false, baseDir: process.cwd() });
    assert.equal(model.spec.family, c.family);
    assert.equal(model.spec.head, c.head);
    const expected = readSafetensors(`${fixture}/expected.safetensors`).tensors;
    const built = await libtorchBackend().buildModel(model.spec, { device: 'cpu', dtype: 'float32', seed: 0 });
    const mapping = await loadCheckpointWeights(built, model.weightFiles, model.spec.family);
    assert.deepEqual(mapping.missing, [], 'every parameter comes from the checkpoint');
    assert.deepEqual(mapping.unexpected, [], 'every checkpoint tensor fills a parameter');

    const withMask = await built.run({
      input_ids: expected.input_ids!,
      ...(expected.attention_mask ? { attention_mask: expected.attention_mask } : {}),
    });
    const diffs: Record<string, number> = {
      last_hidden_state: compare(withMask.last_hidden_state, expected.last_hidden_state!, 'last_hidden_state'),
      logits: compare(withMask.logits, expected.logits!, 'logits'),
    };

    const gradNames = Object.keys(expected).filter((k) => k.startsWith('grad.')).map((k) => k.slice('grad.'.length));
    const withLoss = await built.run({ input_ids: expected.input_ids! }, { loss: true, gradients: gradNames });
    diffs.loss = compare(withLoss.loss, expected.loss!, 'loss');
    for (const name of gradNames) diffs[`grad.${name}`] = compare(withLoss[`grad.${name}`], expected[`grad.${name}`]!, `grad.${name}`);
    t.diagnostic(`max abs diff: ${Object.entries(diffs).map(([k, v]) => `${k} ${v.toExponential(2)}`).join(', ')}`);
  });
}
