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

// ---- generation ----

const known = (id: string) => resolveModel(id, { onlyPretrainModel: false, baseDir: '.' }).trainSpec;

test('a decoder generate call: the prefill, N - 1 one-token steps against the growing cache, the LM head per token', () => {
  for (const id of ['gpt2', 'meta-llama/Llama-3.2-1B']) {
    const spec = known(id);
    const body = { ...spec, head: 'base' } as typeof spec;
    const [B, S, N] = [4, 100, 32];
    // Step i (0-based) feeds one token that attends to S + i + 1 cached positions.
    let steps = 0;
    for (let i = 0; i < N - 1; i++) steps += forwardFlops(body, { batchSize: B, sequenceLength: 1, contextLength: S + i + 1 });
    const head = N * 2 * B * spec.hidden_size * spec.vocab_size; // the last prompt position's logits, then one per step
    const expected = forwardFlops(body, { batchSize: B, sequenceLength: S }) + steps + head;
    const counted = callFlops(spec, { mode: 'generate', batchSize: B, sequenceLength: S, newTokens: N })!;
    assert.ok(Math.abs(counted / expected - 1) < 1e-12, `${id}: ${counted} vs ${expected}`);
  }
  // gpt2, one token at depth 1000: every weight matrix once (2 FLOPs a weight) plus attention over 1000 keys.
  const gpt2 = known('gpt2');
  const matrices = 12 * (768 * 2304 + 768 * 768 + 2 * 768 * 3072) + 768 * 50257;
  assert.equal(
    callFlops(gpt2, { mode: 'generate', batchSize: 1, sequenceLength: 999, newTokens: 2 })! -
      callFlops(gpt2, { mode: 'generate', batchSize: 1, sequenceLength: 999, newTokens: 1 })!,
    2 * matrices + 12 * 4 * 1000 * 768,
  );
  assert.throws(() => callFlops(gpt2, { mode: 'generate', batchSize: 1, sequenceLength: 8 }), /needs newTokens/);
  assert.equal(callFlops(bertBase.spec, { mode: 'generate', batchSize: 1, sequenceLength: 8, newTokens: 4 }), null, 'an encoder cannot generate');
});

test('a T5 generate call: the encoder once, the cross-attention keys and values once, N one-token decoder steps', () => {
  const spec = known('t5-small');
  const [B, S, N] = [2, 64, 8];
  const [H, inner, F, V, Le, Ld] = [512, 512, 2048, 32128, 6, 6];
  const encoder = Le * (4 * 2 * B * S * H * inner + 2 * 2 * B * S * S * inner + 2 * 2 * B * S * H * F);
  const crossKeysValues = Ld * 2 * 2 * B * S * H * inner;
  let steps = 0;
  for (let j = 0; j < N; j++) {
    const own = j + 1; // the start token, then the tokens so far
    steps += Ld * (4 * 2 * B * H * inner + 2 * 2 * B * own * inner + 2 * 2 * B * H * inner + 2 * 2 * B * S * inner + 2 * 2 * B * H * F);
    steps += 2 * B * H * V;
  }
  assert.equal(callFlops(spec, { mode: 'generate', batchSize: B, sequenceLength: S, newTokens: N }), encoder + crossKeysValues + steps);
});
