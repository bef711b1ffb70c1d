// Fuzzed model configs (inline configs over every family's known config, and config.json files).
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { ModelError } from '../src/errors.js';
import { families, parameterCount, parameterShapes, resolveModel, type ModelSpec } from '../src/models/index.js';
import { checkProperty, nested } from './fuzz.js';

const opts = { onlyPretrainModel: false, baseDir: process.cwd() };
/** One known model per model_type, so every family's reader is fuzzed. */
const BASES = ['bert-base-uncased', 'roberta-base', 'distilbert-base-uncased', 'gpt2', 't5-small', 'meta-llama/Llama-3.2-1B', 'mistralai/Mistral-7B-v0.1', 'Qwen/Qwen2.5-0.5B'];

/** Every parameter of the spec listed and multiplied out: what parameterCount must equal. */
function listedCount(spec: ModelSpec): number {
  return parameterShapes(spec).reduce((total, p) => total + p.shape.reduce((a, b) => a * b, 1), 0);
}

/** Small sizes every family accepts: heads × head size = hidden, an even head size (rotary embeddings). */
const smallSizes = fc
  .record({ heads: fc.integer({ min: 1, max: 4 }), headDim: fc.integer({ min: 1, max: 4 }).map((h) => 2 * h), layers: fc.integer({ min: 0, max: 5 }), decoderLayers: fc.integer({ min: 0, max: 5 }), vocab: fc.integer({ min: 2, max: 50 }), inner: fc.integer({ min: 1, max: 40 }), tied: fc.boolean() })
  .map(({ heads, headDim, layers, decoderLayers, vocab, inner, tied }) => {
    const hidden = heads * headDim;
    return {
      vocab_size: vocab, hidden_size: hidden, n_embd: hidden, dim: hidden, d_model: hidden, d_kv: headDim, head_dim: headDim,
      num_attention_heads: heads, n_head: heads, n_heads: heads, num_heads: heads, num_key_value_heads: heads,
      num_hidden_layers: Math.max(layers, 1), n_layer: Math.max(layers, 1), n_layers: Math.max(layers, 1), num_layers: layers, num_decoder_layers: decoderLayers,
      intermediate_size: inner, hidden_dim: inner, d_ff: inner, n_inner: inner, pad_token_id: 0, tie_word_embeddings: tied,
    };
  });

test('parameterCount equals the listed parameters multiplied out, for every family', { timeout: 120_000 }, async (t) => {
  await checkProperty(
    t,
    'parameter count',
    fc.property(fc.constantFrom(...BASES), smallSizes, fc.boolean(), (base, config, onlyPretrainModel) => {
      const m = resolveModel({ name: 'small', base, config }, { ...opts, onlyPretrainModel });
      assert.equal(m.parameterCount, listedCount(m.spec));
      assert.equal(m.trainParameterCount, listedCount(m.trainSpec));
    }),
    { runs: 150, seconds: 4 },
  );
  assert.equal(families.length, 6, 'BASES has a model of every family');
});

test('10^8 layers are counted without listing them', { timeout: 60_000 }, () => {
  const m = resolveModel({ name: 'deep', base: 'gpt2', config: { n_layer: 100_000_000 } }, opts);
  const twelve = resolveModel('gpt2', opts);
  const perLayer = (twelve.parameterCount - resolveModel({ name: 'one', base: 'gpt2', config: { n_layer: 1 } }, opts).parameterCount) / 11;
  assert.equal(perLayer, 7_087_872); // ln_1, attn.c_attn, attn.c_proj, ln_2, mlp.c_fc, mlp.c_proj at n_embd 768
  assert.equal(m.parameterCount, twelve.parameterCount + (100_000_000 - 12) * perLayer);
});

test('a config.json nested past 64 levels is refused at its path', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tfbench-deep-'));
  const path = join(dir, 'config.json');
  // Written as text: JSON.stringify itself cannot go that deep.
  writeFileSync(path, `{"model_type": "bert", "hidden_act": ${'['.repeat(10_000)}${']'.repeat(10_000)}}`);
  assert.throws(
    () => resolveModel(path, { onlyPretrainModel: false, baseDir: dir }),
    (err) =>
      err instanceof ModelError &&
      err.message === `${path}: the config nests more than 64 levels deep (objects and arrays), at hidden_act${'[0]'.repeat(64)}`,
  );
});

test('parameterCount of a spec with no layers', () => {
  const spec = resolveModel({ name: 'flat', base: 't5-small', config: { num_layers: 0, num_decoder_layers: 0 } }, opts).spec;
  assert.equal(parameterCount(spec), listedCount(spec));
});

test("a library caller's inline config nested past 64 levels is refused at its path", () => {
  assert.throws(
    () => resolveModel({ name: 'x', base: 'gpt2', config: { task: nested(10_000, 'object') } }, opts),
    (err) => err instanceof ModelError && err.message === `the config of "x" nests more than 64 levels deep (objects and arrays), at task${'.a'.repeat(61)}`,
  );
});
