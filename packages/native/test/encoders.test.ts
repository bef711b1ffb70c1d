// RoBERTa and DistilBERT on the BERT encoder: RoBERTa's position ids past the padding id, DistilBERT's missing
// token types, and the names their parameters get.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadBinding } from '../lib/index.js';
import { floats, int64Tensor, maxAbsDiff, rejectsWith, tinySpec } from './helpers.js';

const binding = loadBinding();
const cpu = { device: 'cpu', dtype: 'float32', seed: 5 } as const;
const roberta = tinySpec({
  family: 'roberta',
  head: 'base',
  position_ids: 'padding-offset',
  pad_token_id: 1,
  type_vocab_size: 1,
  max_position_embeddings: 66,
  initializer_range: 0.5,
});

/** Hidden state of token t in a [1, T, 32] output. */
const token = (out: Record<string, { data: unknown }>, t: number) => floats(out.last_hidden_state as never).slice(t * 32, (t + 1) * 32);

test('RoBERTa: a padding token takes no position, so the tokens after it keep theirs', async () => {
  const model = await binding.buildModel(roberta, cpu);
  const plain = await model.run({ input_ids: int64Tensor([[5, 6, 7]]) });
  const padded = await model.run({ input_ids: int64Tensor([[5, 6, 1, 7]]), attention_mask: int64Tensor([[1, 1, 0, 1]]) });
  // positions 2, 3, 4 for 5, 6, 7 in both; the masked padding token (position 1) is attended by nobody
  assert.ok(maxAbsDiff(token(plain, 0), token(padded, 0)) < 1e-5);
  assert.ok(maxAbsDiff(token(plain, 1), token(padded, 1)) < 1e-5);
  assert.ok(maxAbsDiff(token(plain, 2), token(padded, 3)) < 1e-5);

  // With absolute positions token 7 moves from position 2 to 3: a different hidden state.
  const absolute = await binding.buildModel({ ...roberta, position_ids: 'absolute' }, cpu);
  const a = await absolute.run({ input_ids: int64Tensor([[5, 6, 7]]) });
  const b = await absolute.run({ input_ids: int64Tensor([[5, 6, 1, 7]]), attention_mask: int64Tensor([[1, 1, 0, 1]]) });
  assert.ok(maxAbsDiff(token(a, 2), token(b, 3)) > 1e-2);
});

test('RoBERTa: the longest input is max_position_embeddings - pad_token_id - 1 tokens', async () => {
  const model = await binding.buildModel(roberta, cpu);
  const ok = await model.run({ input_ids: int64Tensor([Array.from({ length: 64 }, () => 5)]) });
  assert.deepEqual(ok.last_hidden_state!.shape, [1, 64, 32]);
  await rejectsWith(model.run({ input_ids: int64Tensor([Array.from({ length: 65 }, () => 5)]) }), 'BAD_INPUT', /sequence length 65 .*\(64\)/);
  await rejectsWith(
    binding.buildModel({ ...roberta, max_position_embeddings: 2 }, cpu),
    'BAD_SPEC',
    /spec\.max_position_embeddings \(2\) must exceed spec\.pad_token_id \+ 1/,
  );
});

test('RoBERTa masked LM is named roberta.* and lm_head.*; gradients reach the tied decoder', async () => {
  const model = await binding.buildModel({ ...roberta, head: 'masked-lm', add_pooling_layer: false }, cpu);
  const names = model.parameters().map((p) => p.name);
  assert.equal(names[0], 'roberta.embeddings.word_embeddings.weight');
  assert.ok(names.includes('roberta.encoder.layer.1.attention.self.query.weight'));
  assert.deepEqual(names.slice(-5), ['lm_head.bias', 'lm_head.dense.weight', 'lm_head.dense.bias', 'lm_head.layer_norm.weight', 'lm_head.layer_norm.bias']);
  const out = await model.run({ input_ids: int64Tensor([[5, 6, 7, 8]]) }, { loss: true, gradients: ['lm_head.bias'] });
  assert.ok(Number.isFinite(floats(out.loss)[0]));
  assert.ok(floats(out['grad.lm_head.bias']).some((g) => g !== 0));
});

test('DistilBERT: no token type embeddings; token_type_ids are refused', async () => {
  const spec = tinySpec({ family: 'distilbert', type_vocab_size: 0 });
  const model = await binding.buildModel(spec, cpu);
  const names = model.parameters().map((p) => p.name);
  assert.ok(!names.some((n) => n.includes('token_type')));
  assert.ok(names.includes('distilbert.transformer.layer.0.attention.q_lin.weight'));
  assert.ok(names.includes('distilbert.transformer.layer.1.output_layer_norm.bias'));
  assert.deepEqual(names.slice(-5), ['vocab_transform.weight', 'vocab_transform.bias', 'vocab_layer_norm.weight', 'vocab_layer_norm.bias', 'vocab_projector.bias']);
  const ids = int64Tensor([[5, 6, 7]]);
  const out = await model.run({ input_ids: ids });
  assert.deepEqual(out.logits!.shape, [1, 3, 99]);
  await rejectsWith(model.run({ input_ids: ids, token_type_ids: int64Tensor([[0, 0, 0]]) }), 'BAD_INPUT', /no token types/);
});
