// Every failure reaches JS as an Error with a stable code and no C++ backtrace.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadBinding, type NativeModelSpec } from '../lib/index.js';
import { int64Tensor, rejectsWith, tinyLlamaSpec, tinySpec, tinyT5Spec } from './helpers.js';

const binding = loadBinding();
const cpu = { device: 'cpu', dtype: 'float32', seed: 0 } as const;

test('bad specs reject with BAD_SPEC naming the field', async () => {
  const { hidden_size: _, ...missing } = tinySpec();
  await rejectsWith(binding.buildModel(missing as NativeModelSpec, cpu), 'BAD_SPEC', /spec\.hidden_size is missing/);
  await rejectsWith(binding.buildModel(tinySpec({ hidden_size: '32' as never }), cpu), 'BAD_SPEC', /spec\.hidden_size must be an integer/);
  await rejectsWith(binding.buildModel(tinySpec({ num_hidden_layers: 1.5 }), cpu), 'BAD_SPEC', /spec\.num_hidden_layers/);
  await rejectsWith(binding.buildModel(tinySpec({ hidden_act: 'swish' as never }), cpu), 'BAD_SPEC', /spec\.hidden_act/);
  await rejectsWith(binding.buildModel(tinySpec({ family: 'mamba' as never }), cpu), 'BAD_SPEC', /spec\.family/);
  await rejectsWith(binding.buildModel(tinyLlamaSpec({ num_key_value_heads: 3 }), cpu), 'BAD_SPEC', /num_attention_heads \(4\).*num_key_value_heads \(3\)/);
  await rejectsWith(binding.buildModel(tinyLlamaSpec({ head_dim: 7 }), cpu), 'BAD_SPEC', /head_dim must be even/);
  await rejectsWith(binding.buildModel(tinyT5Spec({ head: 'causal-lm' as never }), cpu), 'BAD_SPEC', /spec\.head/);
  await rejectsWith(binding.buildModel(tinySpec({ tie_word_embeddings: 1 as never }), cpu), 'BAD_SPEC', /spec\.tie_word_embeddings must be a boolean/);
  await rejectsWith(binding.buildModel(tinySpec({ num_attention_heads: 5 }), cpu), 'BAD_SPEC', /hidden_size \(32\).*num_attention_heads \(5\)/);
  await rejectsWith(binding.buildModel(tinySpec({ pad_token_id: 99 }), cpu), 'BAD_SPEC', /pad_token_id/);
  await rejectsWith(binding.buildModel(tinySpec({ hidden_dropout_prob: 1 }), cpu), 'BAD_SPEC', /hidden_dropout_prob/);
  await rejectsWith(binding.buildModel(null as never, cpu), 'BAD_SPEC', /spec must be an object/);
});

test('bad build options reject with BAD_INPUT; CUDA without a device is NO_CUDA', async () => {
  await rejectsWith(binding.buildModel(tinySpec(), { ...cpu, dtype: 'float64' as never }), 'BAD_INPUT', /options\.dtype/);
  await rejectsWith(binding.buildModel(tinySpec(), { ...cpu, device: 'tpu' }), 'BAD_INPUT', /options\.device/);
  await rejectsWith(binding.buildModel(tinySpec(), { ...cpu, seed: -1 }), 'BAD_INPUT', /options\.seed/);
  if (binding.cudaDeviceCount() === 0) {
    await rejectsWith(binding.buildModel(tinySpec(), { ...cpu, device: 'cuda' }), 'NO_CUDA', /cuda/);
  }
  await rejectsWith(binding.buildModel(tinySpec(), { ...cpu, device: 'cuda:99' }), 'NO_CUDA', /cuda:99/);
});

test('float16 on CPU either works or is refused up front with BAD_INPUT', async () => {
  let model;
  try {
    model = await binding.buildModel(tinySpec(), { ...cpu, dtype: 'float16' });
  } catch (err) {
    const e = err as Error & { code: string };
    assert.equal(e.code, 'BAD_INPUT');
    assert.match(e.message, /float16 is not supported on CPU.*bfloat16/);
    return;
  }
  const out = await model.run({ input_ids: int64Tensor([[1, 2, 3]]) });
  assert.deepEqual(out.logits!.shape, [1, 3, 99]);
});

test('an allocation the machine cannot hold rejects with OOM', async () => {
  // word embeddings of 2^36 x 32 float32: 8 TiB, refused by the allocator before anything is touched
  await rejectsWith(binding.buildModel(tinySpec({ vocab_size: 2 ** 36 }), cpu), 'OOM', /allocate/);
});

test('bad inputs to run() reject with BAD_INPUT', async () => {
  const model = await binding.buildModel(tinySpec(), cpu);
  await rejectsWith(model.run({}), 'BAD_INPUT', /input_ids is missing/);
  await rejectsWith(model.run({ input_ids: int64Tensor([[1, 2, 99]]) }), 'BAD_INPUT', /input_ids must lie in \[0, vocab_size = 99\)/);
  await rejectsWith(model.run({ input_ids: { dtype: 'float32', shape: [1, 2], data: new Float32Array(2) } }), 'BAD_INPUT', /input_ids must be int64/);
  await rejectsWith(model.run({ input_ids: { dtype: 'int64', shape: [1, 3], data: new BigInt64Array(2) } }), 'BAD_INPUT', /has 2 elements/);
  await rejectsWith(model.run({ input_ids: { dtype: 'int64', shape: [1, 2], data: new Float32Array(2) } }), 'BAD_INPUT', /BigInt64Array/);
  await rejectsWith(model.run({ input_ids: int64Tensor([[1, 2]]), labels: int64Tensor([[1, 2]]) }), 'BAD_INPUT', /inputs\.labels/);
  await rejectsWith(model.run({ input_ids: int64Tensor([[1, 2]]), attention_mask: int64Tensor([[1]]) }), 'BAD_INPUT', /attention_mask must have the shape/);
  await rejectsWith(model.run({ input_ids: int64Tensor([[1, 2]]), token_type_ids: int64Tensor([[0, 2]]) }), 'BAD_INPUT', /token_type_ids/);
  await rejectsWith(model.run({ input_ids: int64Tensor([Array.from({ length: 65 }, () => 1)]) }), 'BAD_INPUT', /65.*64/);
  await rejectsWith(model.run({ input_ids: int64Tensor([[1, 2]]) }, { gradients: ['cls.predictions.bias'] }), 'BAD_INPUT', /need loss/);
  await rejectsWith(model.run({ input_ids: int64Tensor([[1, 2]]) }, { loss: true, gradients: ['nope'] }), 'BAD_INPUT', /nope/);
  const base = await binding.buildModel(tinySpec({ head: 'base' }), cpu);
  await rejectsWith(base.run({ input_ids: int64Tensor([[1, 2]]) }, { loss: true }), 'BAD_INPUT', /LM head/);
});

test('a second async call on a busy model rejects with BAD_INPUT; the first completes', async () => {
  const model = await binding.buildModel(tinySpec(), cpu);
  const first = model.runCalls({ mode: 'inference', batchSize: 2, sequenceLength: 32, seed: 0, calls: 20 });
  await rejectsWith(model.run({ input_ids: int64Tensor([[1, 2]]) }), 'BAD_INPUT', /model busy/);
  assert.equal((await first).seconds.length, 20);
  const after = await model.run({ input_ids: int64Tensor([[1, 2]]) });
  assert.deepEqual(after.logits!.shape, [1, 2, 99]);
});

test('new on the Model class is refused (models come from buildModel)', async () => {
  const model = await binding.buildModel(tinySpec(), cpu);
  const Ctor = (model as unknown as { constructor: new () => unknown }).constructor;
  assert.throws(() => new Ctor(), /buildModel/);
});
