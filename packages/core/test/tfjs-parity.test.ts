// The TensorFlow.js models against Hugging Face transformers' outputs, as parity.test.ts checks the libtorch ones:
// every shared parity case and every variant (test/fixtures/variants: other activations, eps, rope, KV-head ratios,
// biases, tied/untied heads, sliding windows, T5's gated feed-forward) of every family, on the tfjs cpu and wasm
// backends, through `tfbench check`'s checkCheckpoint. Every stored tensor (hidden states, T5's
// encoder_last_hidden_state, logits, loss, gradients) within the fixture's own tolerance (float32: atol = rtol =
// 1e-4), every parameter from the checkpoint.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createBackend } from '../src/backend/tfjs/index.js';
import { checkCheckpoint } from '../src/run/check.js';
import { sharedFixture } from './shared-fixtures.js';

const roots = [sharedFixture('parity'), fileURLToPath(new URL('./fixtures/variants', import.meta.url))];
for (const root of roots.filter((r) => !existsSync(r))) {
  test(`tfjs parity cases in ${root}`, { skip: `${root} is not there (the shared fixtures sit beside the repository, in ../shared)` }, () => {});
}
const cases = roots.filter(existsSync).flatMap((root) =>
  readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => `${root}/${d.name}`),
);

for (const name of ['cpu', 'wasm'] as const) {
  for (const dir of cases) {
    const label = dir.split('/').slice(-2).join('/');
    test(`tfjs ${name}: ${label} matches the reference within the fixture's tolerance`, async (t) => {
      const backend = await createBackend({ backend: name });
      const r = await checkCheckpoint(dir, { backend, generation: false });
      assert.match(r.framework, new RegExp(`^tfjs 4\\.22\\.0, ${name} \\(@tensorflow/tfjs-backend-${name} 4\\.22\\.0\\)$`));
      assert.equal(r.dtype, 'float32');
      assert.deepEqual(r.missingParameters, [], 'every parameter comes from the checkpoint');
      assert.deepEqual(r.unexpectedTensors, [], 'every checkpoint tensor fills a parameter');
      assert.ok(r.tensors.some((x) => x.name === 'logits' || x.name === 'pooler_output'), 'a head output is compared');
      for (const x of r.tensors) assert.ok(x.ok, `${x.name}: ${x.problem ?? `max abs diff ${x.maxAbsDiff}, ${x.mismatched} elements off`}`);
      t.diagnostic(r.tensors.map((x) => `${x.name} ${x.maxAbsDiff!.toExponential(2)}`).join(', '));
    });
  }
}
