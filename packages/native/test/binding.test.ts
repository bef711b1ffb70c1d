// The addon's module-level exports and model construction: versions, threads, parameter names and counts.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { loadBinding } from '../lib/index.js';
import { tinySpec } from './helpers.js';

const binding = loadBinding();
const cpu = { device: 'cpu', dtype: 'float32', seed: 0 } as const;

test('versions() names the addon and libtorch', () => {
  const v = binding.versions();
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  assert.equal(v.addon, pkg.version);
  assert.match(v.libtorch, /^\d+\.\d+\.\d+/);
  assert.ok(v.libtorchSource.length > 0);
  assert.equal(typeof v.cuda, 'boolean');
  assert.match(v.parallelInfo, /ATen\/Parallel/);
});

test("the addon's own parallel regions reach every intra-op thread (it is built with libtorch's OpenMP flag)", () => {
  const before = binding.getThreads();
  try {
    binding.setThreads(3);
    assert.equal(binding.versions().parallelForThreads, 3);
  } finally {
    binding.setThreads(before);
  }
});

test('getThreads/setThreads round-trip, bad counts are BAD_INPUT', () => {
  const before = binding.getThreads();
  assert.ok(Number.isInteger(before) && before >= 1);
  binding.setThreads(1);
  assert.equal(binding.getThreads(), 1);
  binding.setThreads(before);
  assert.equal(binding.getThreads(), before);
  assert.throws(() => binding.setThreads(0), (e: Error & { code: string }) => e.code === 'BAD_INPUT');
  assert.throws(() => binding.setThreads(1.5), (e: Error & { code: string }) => e.code === 'BAD_INPUT');
});

test('cudaDeviceCount() is a non-negative integer', () => {
  const n = binding.cudaDeviceCount();
  assert.ok(Number.isInteger(n) && n >= 0);
});

test('BertForMaskedLM: Hugging Face parameter names, tied decoder appears once', async () => {
  const model = await binding.buildModel(tinySpec(), cpu);
  const params = model.parameters();
  const names = params.map((p) => p.name);
  assert.equal(new Set(names).size, names.length);
  assert.deepEqual(names.slice(0, 5), [
    'bert.embeddings.word_embeddings.weight',
    'bert.embeddings.position_embeddings.weight',
    'bert.embeddings.token_type_embeddings.weight',
    'bert.embeddings.LayerNorm.weight',
    'bert.embeddings.LayerNorm.bias',
  ]);
  for (const n of [
    'bert.encoder.layer.0.attention.self.query.weight',
    'bert.encoder.layer.1.attention.self.value.bias',
    'bert.encoder.layer.1.attention.output.LayerNorm.weight',
    'bert.encoder.layer.0.intermediate.dense.weight',
    'bert.encoder.layer.1.output.dense.bias',
    'cls.predictions.bias',
    'cls.predictions.transform.dense.weight',
    'cls.predictions.transform.LayerNorm.bias',
  ]) {
    assert.ok(names.includes(n), `missing ${n}`);
  }
  assert.ok(!names.includes('cls.predictions.decoder.weight'));
  assert.ok(!names.some((n) => n.includes('pooler')));
  const shapes = Object.fromEntries(params.map((p) => [p.name, p.shape]));
  assert.deepEqual(shapes['bert.encoder.layer.0.intermediate.dense.weight'], [37, 32]);
  assert.deepEqual(shapes['bert.encoder.layer.0.output.dense.weight'], [32, 37]);
  assert.deepEqual(shapes['bert.embeddings.position_embeddings.weight'], [64, 32]);
  assert.ok(params.every((p) => p.dtype === 'float32'));
  // 99*32 + 64*32 + 2*32 + 2*32 (embeddings) + 2 layers + head
  const layer = 3 * (32 * 32 + 32) + (32 * 32 + 32) + 2 * 32 + (37 * 32 + 37) + (32 * 37 + 32) + 2 * 32;
  const expected = 99 * 32 + 64 * 32 + 2 * 32 + 2 * 32 + 2 * layer + 99 + (32 * 32 + 32) + 2 * 32;
  assert.equal(model.parameterCount(), expected);
  assert.equal(params.reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0), expected);
});

test('untied BertForMaskedLM has its own decoder weight; BertModel has no prefix and a pooler', async () => {
  const untied = await binding.buildModel(tinySpec({ tie_word_embeddings: false }), cpu);
  const decoder = untied.parameters().find((p) => p.name === 'cls.predictions.decoder.weight');
  assert.deepEqual(decoder?.shape, [99, 32]);

  const base = await binding.buildModel(tinySpec({ head: 'base', add_pooling_layer: true }), cpu);
  const names = base.parameters().map((p) => p.name);
  assert.equal(names[0], 'embeddings.word_embeddings.weight');
  assert.ok(names.includes('encoder.layer.1.attention.self.key.weight'));
  assert.deepEqual(names.slice(-2), ['pooler.dense.weight', 'pooler.dense.bias']);
  assert.ok(!names.some((n) => n.startsWith('bert.') || n.startsWith('cls.')));
});
