// run(): output shapes, determinism from the seed, attention masking, loss and gradients.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadBinding } from '../lib/index.js';
import { floats, int64Tensor, maxAbsDiff, row, tinySpec } from './helpers.js';

const binding = loadBinding();
const ids = int64Tensor([
  [5, 17, 42, 8, 91, 3, 60],
  [7, 7, 21, 98, 0, 44, 12],
]);

test('masked LM: last_hidden_state [2,7,32], logits [2,7,99], float32, finite', async () => {
  const model = await binding.buildModel(tinySpec(), { device: 'cpu', dtype: 'float32', seed: 1 });
  const out = await model.run({ input_ids: ids });
  assert.deepEqual(Object.keys(out).sort(), ['last_hidden_state', 'logits']);
  assert.deepEqual(out.last_hidden_state!.shape, [2, 7, 32]);
  assert.deepEqual(out.logits!.shape, [2, 7, 99]);
  assert.equal(out.logits!.dtype, 'float32');
  assert.ok(floats(out.logits).every(Number.isFinite));
  // LayerNorm output with weight 1, bias 0: every position has mean 0 and variance 1 over hidden.
  const h = floats(out.last_hidden_state);
  const v = h.slice(0, 32);
  const mean = v.reduce((a, b) => a + b, 0) / 32;
  const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / 32;
  assert.ok(Math.abs(mean) < 1e-5, `mean ${mean}`);
  assert.ok(Math.abs(variance - 1) < 1e-3, `variance ${variance}`);
});

test('same seed gives identical outputs, another seed different ones', async () => {
  const spec = tinySpec();
  const a = await binding.buildModel(spec, { device: 'cpu', dtype: 'float32', seed: 3 });
  const b = await binding.buildModel(spec, { device: 'cpu', dtype: 'float32', seed: 3 });
  const c = await binding.buildModel(spec, { device: 'cpu', dtype: 'float32', seed: 4 });
  const [oa, ob, oc] = await Promise.all([a.run({ input_ids: ids }), b.run({ input_ids: ids }), c.run({ input_ids: ids })]);
  assert.equal(maxAbsDiff(floats(oa.logits), floats(ob.logits)), 0);
  assert.ok(maxAbsDiff(floats(oa.logits), floats(oc.logits)) > 1e-3);
  // eval mode: dropout is off, two calls agree exactly
  const again = await a.run({ input_ids: ids });
  assert.equal(maxAbsDiff(floats(oa.last_hidden_state), floats(again.last_hidden_state)), 0);
});

test('attention mask changes the masked row only', async () => {
  const model = await binding.buildModel(tinySpec(), { device: 'cpu', dtype: 'float32', seed: 5 });
  const plain = await model.run({ input_ids: ids });
  const mask = int64Tensor([
    [1, 1, 1, 1, 1, 1, 1],
    [1, 1, 1, 1, 1, 0, 0],
  ]);
  const masked = await model.run({ input_ids: ids, attention_mask: mask });
  assert.ok(maxAbsDiff(row(plain.last_hidden_state!, 0), row(masked.last_hidden_state!, 0)) < 1e-6);
  assert.ok(maxAbsDiff(row(plain.last_hidden_state!, 1), row(masked.last_hidden_state!, 1)) > 1e-3);
  // an all-ones mask is the same as no mask
  const ones = await model.run({ input_ids: ids, attention_mask: int64Tensor([[1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1, 1]]) });
  assert.ok(maxAbsDiff(floats(plain.logits), floats(ones.logits)) < 1e-6);
  // token_type_ids of zeros are the default
  const zeros = await model.run({ input_ids: ids, token_type_ids: int64Tensor([[0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0]]) });
  assert.ok(maxAbsDiff(floats(plain.logits), floats(zeros.logits)) < 1e-6);
  const ones2 = await model.run({ input_ids: ids, token_type_ids: int64Tensor([[1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1, 1]]) });
  assert.ok(maxAbsDiff(floats(plain.logits), floats(ones2.logits)) > 1e-4);
});

test('loss is finite and near ln(vocab) at random init; gradients come back by name', async () => {
  const model = await binding.buildModel(tinySpec(), { device: 'cpu', dtype: 'float32', seed: 6 });
  const out = await model.run({ input_ids: ids }, {
    loss: true,
    gradients: ['cls.predictions.bias', 'bert.encoder.layer.1.attention.self.query.weight', 'bert.embeddings.word_embeddings.weight'],
  });
  assert.deepEqual(out.loss!.shape, []);
  const loss = floats(out.loss)[0]!;
  assert.ok(Number.isFinite(loss));
  assert.ok(Math.abs(loss - Math.log(99)) < 0.1, `loss ${loss} vs ln 99 = ${Math.log(99)}`);
  assert.deepEqual(out['grad.cls.predictions.bias']!.shape, [99]);
  assert.deepEqual(out['grad.bert.encoder.layer.1.attention.self.query.weight']!.shape, [32, 32]);
  // d(mean CE)/d(bias) = mean over positions of (softmax - onehot): sums to 0 over the vocabulary
  const gb = floats(out['grad.cls.predictions.bias']);
  assert.ok(Math.abs(gb.reduce((a, b) => a + b, 0)) < 1e-5);
  assert.ok(gb.some((g) => Math.abs(g) > 1e-4));
  const gw = floats(out['grad.bert.embeddings.word_embeddings.weight']);
  assert.ok(gw.slice(7 * 32, 8 * 32).some((g) => g !== 0));
  // untied: the padding row of the word embeddings gets no gradient (padding_idx) though id 0 is in the input
  const untied = await binding.buildModel(tinySpec({ tie_word_embeddings: false }), { device: 'cpu', dtype: 'float32', seed: 6 });
  const u = await untied.run({ input_ids: ids }, { loss: true, gradients: ['bert.embeddings.word_embeddings.weight'] });
  const gu = floats(u['grad.bert.embeddings.word_embeddings.weight']);
  assert.ok(gu.slice(0, 32).every((g) => g === 0));
  assert.ok(gu.slice(7 * 32, 8 * 32).some((g) => g !== 0));
  // gradients do not leak into the next call, and the model is back in eval mode
  const again = await model.run({ input_ids: ids }, { loss: true, gradients: ['cls.predictions.bias'] });
  assert.ok(maxAbsDiff(floats(again['grad.cls.predictions.bias']), gb) < 1e-6);
});

test('train mode turns dropout on', async () => {
  const model = await binding.buildModel(tinySpec({ hidden_dropout_prob: 0.5 }), { device: 'cpu', dtype: 'float32', seed: 7 });
  const evalOut = await model.run({ input_ids: ids });
  const trainOut = await model.run({ input_ids: ids }, { train: true });
  assert.ok(maxAbsDiff(floats(evalOut.last_hidden_state), floats(trainOut.last_hidden_state)) > 1e-3);
});

test('BertModel returns last_hidden_state and pooler_output, no logits', async () => {
  const model = await binding.buildModel(tinySpec({ head: 'base', add_pooling_layer: true }), { device: 'cpu', dtype: 'float32', seed: 8 });
  const out = await model.run({ input_ids: ids });
  assert.deepEqual(out.last_hidden_state!.shape, [2, 7, 32]);
  assert.deepEqual(out.pooler_output!.shape, [2, 32]);
  assert.equal(out.logits, undefined);
  assert.ok(floats(out.pooler_output).every((v) => Math.abs(v) <= 1));
});

test('activations: relu, silu and the tanh GELU differ from the exact GELU', async () => {
  const results: Float32Array[] = [];
  for (const act of ['gelu', 'gelu_new', 'gelu_pytorch_tanh', 'relu', 'silu'] as const) {
    const model = await binding.buildModel(tinySpec({ hidden_act: act, initializer_range: 0.5 }), { device: 'cpu', dtype: 'float32', seed: 9 });
    results.push(floats((await model.run({ input_ids: ids })).last_hidden_state));
  }
  const [gelu, geluNew, geluTanh, relu, silu] = results as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
  assert.equal(maxAbsDiff(geluNew, geluTanh), 0);
  assert.ok(maxAbsDiff(gelu, geluNew) > 1e-7 && maxAbsDiff(gelu, geluNew) < 1e-1);
  assert.ok(maxAbsDiff(gelu, relu) > 1e-3);
  assert.ok(maxAbsDiff(gelu, silu) > 1e-3);
});

test('bfloat16 weights run on CPU and return float32', async () => {
  const model = await binding.buildModel(tinySpec(), { device: 'cpu', dtype: 'bfloat16', seed: 1 });
  assert.ok(model.parameters().every((p) => p.dtype === 'bfloat16'));
  const out = await model.run({ input_ids: ids });
  assert.equal(out.logits!.dtype, 'float32');
  assert.deepEqual(out.logits!.shape, [2, 7, 99]);
  assert.ok(floats(out.logits).every(Number.isFinite));
});
