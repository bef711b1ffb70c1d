import { test } from 'node:test';
import assert from 'node:assert/strict';
import { callFlops, forwardFlops } from '../src/models/flops.js';
import { resolveModel } from '../src/models/index.js';

const bertBase = resolveModel('bert-base-uncased', { onlyPretrainModel: false, baseDir: '.' });

test('BERT-base masked LM forward FLOPs at batch 8, seq 128, counted by hand', () => {
  const N = 8 * 128;
  const layer = 2 * N * 768 * 2304 + 2 * 2 * N * 128 * 768 + 2 * N * 768 * 768 + 2 * 2 * N * 768 * 3072;
  const head = 2 * N * 768 * 768 + 2 * N * 768 * 30522;
  assert.equal(forwardFlops(bertBase.spec, { batchSize: 8, sequenceLength: 128 }), 12 * layer + head);
  // 228 GFLOP: near the rule of thumb 2 × parameters × tokens = 2 × 109.5 M × 1024 = 224 GFLOP
  assert.equal(Math.round(forwardFlops(bertBase.spec, { batchSize: 8, sequenceLength: 128 }) / 1e9), 228);
});

test('training counts three forwards; the base model has no LM head but a pooler', () => {
  const shape = { batchSize: 1, sequenceLength: 8 } as const;
  const f = forwardFlops(bertBase.spec, shape);
  assert.equal(callFlops(bertBase.spec, { ...shape, mode: 'training' }), 3 * f);
  const base = resolveModel('bert-base-uncased', { onlyPretrainModel: true, baseDir: '.' });
  const layers = 12 * (2 * 8 * 768 * 2304 + 4 * 8 * 8 * 768 + 2 * 8 * 768 * 768 + 4 * 8 * 768 * 3072);
  assert.equal(forwardFlops(base.spec, shape), layers + 2 * 768 * 768);
});
