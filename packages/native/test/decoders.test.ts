// LLaMA-shaped decoders and T5 through the addon: what the parity fixtures cannot show (causality, the sliding
// window, grouped-query heads, decoder inputs, other dtypes, training through runCalls()).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadBinding } from '../lib/index.js';
import { floats, int64Tensor, maxAbsDiff, rejectsWith, tinyLlamaSpec, tinyT5Spec } from './helpers.js';

const binding = loadBinding();
const cpu = { device: 'cpu', dtype: 'float32', seed: 3 } as const;
const ids = int64Tensor([
  [5, 17, 42, 8, 91, 3, 60],
  [11, 2, 77, 31, 9, 50, 4],
]);
const changedLast = int64Tensor([
  [5, 17, 42, 8, 91, 3, 61],
  [11, 2, 77, 31, 9, 50, 5],
]);

/** Positions [0, upTo) of a [B, T, H] tensor, every row. */
function prefix(data: Float32Array, shape: number[], upTo: number): number[] {
  const [B, T, H] = shape as [number, number, number];
  const out: number[] = [];
  for (let b = 0; b < B; b++) out.push(...data.slice(b * T * H, b * T * H + upTo * H));
  return out;
}

test('llama: logits [2,7,99]; a later token never changes earlier positions (causal)', async () => {
  const model = await binding.buildModel(tinyLlamaSpec(), cpu);
  const a = await model.run({ input_ids: ids });
  const b = await model.run({ input_ids: changedLast });
  assert.deepEqual(a.logits?.shape, [2, 7, 99]);
  assert.deepEqual(a.last_hidden_state?.shape, [2, 7, 32]);
  const shape = a.last_hidden_state!.shape;
  assert.equal(maxAbsDiff(prefix(floats(a.last_hidden_state), shape, 6), prefix(floats(b.last_hidden_state), shape, 6)), 0);
  assert.ok(maxAbsDiff(floats(a.last_hidden_state), floats(b.last_hidden_state)) > 1e-4, 'the changed position moves');
});

test('llama: a sliding window shorter than the sequence changes only positions past it', async () => {
  const full = await binding.buildModel(tinyLlamaSpec(), cpu);
  const windowed = await binding.buildModel(tinyLlamaSpec({ sliding_window: 3 }), cpu);
  const a = await full.run({ input_ids: ids });
  const b = await windowed.run({ input_ids: ids });
  const shape = a.last_hidden_state!.shape;
  assert.equal(maxAbsDiff(prefix(floats(a.last_hidden_state), shape, 3), prefix(floats(b.last_hidden_state), shape, 3)), 0);
  assert.ok(maxAbsDiff(floats(a.last_hidden_state), floats(b.last_hidden_state)) > 1e-4);
});

test('llama: a window from first_sliding_layer on leaves the layers before it full', async () => {
  // Layer 0 full and layer 1 windowed sits between the all-full and all-windowed models.
  const full = await binding.buildModel(tinyLlamaSpec(), cpu);
  const lastWindowed = await binding.buildModel(tinyLlamaSpec({ sliding_window: 3, first_sliding_layer: 1 }), cpu);
  const allWindowed = await binding.buildModel(tinyLlamaSpec({ sliding_window: 3 }), cpu);
  const noneWindowed = await binding.buildModel(tinyLlamaSpec({ sliding_window: 3, first_sliding_layer: 2 }), cpu);
  const [a, b, c, d] = await Promise.all([full, lastWindowed, allWindowed, noneWindowed].map((m) => m.run({ input_ids: ids })));
  assert.equal(maxAbsDiff(floats(a!.last_hidden_state), floats(d!.last_hidden_state)), 0, 'no layer at or past first_sliding_layer');
  assert.ok(maxAbsDiff(floats(a!.last_hidden_state), floats(b!.last_hidden_state)) > 1e-4);
  assert.ok(maxAbsDiff(floats(b!.last_hidden_state), floats(c!.last_hidden_state)) > 1e-4);
});

test('llama: dynamic rotary scaling runs past max_position_embeddings and changes only the longer calls', async () => {
  const plain = await binding.buildModel(tinyLlamaSpec({ max_position_embeddings: 4 }), cpu);
  const dynamic = await binding.buildModel(tinyLlamaSpec({ max_position_embeddings: 4, rope_type: 'dynamic', rope_factor: 2 }), cpu);
  await assert.rejects(plain.run({ input_ids: ids }), /exceeds the longest the position embeddings allow \(4\)/);
  const short = int64Tensor([[1, 2, 3, 4]]);
  const plainShort = await plain.run({ input_ids: short });
  const dynamicShort = await dynamic.run({ input_ids: short });
  assert.equal(maxAbsDiff(floats(plainShort.logits), floats(dynamicShort.logits)), 0, 'up to max_position_embeddings the base is rope_theta');
  const long = await dynamic.run({ input_ids: ids });
  assert.deepEqual(long.logits?.shape, [2, 7, 99]);
});

test('llama: yarn scaling and its attention factor both move the outputs', async () => {
  const yarn = { rope_type: 'yarn', rope_factor: 4, rope_original_max_position_embeddings: 16 } as const;
  const outputs = await Promise.all(
    [tinyLlamaSpec(), tinyLlamaSpec(yarn), tinyLlamaSpec({ ...yarn, rope_attention_factor: 1.2 })].map(async (spec) =>
      floats((await (await binding.buildModel(spec, cpu)).run({ input_ids: ids })).last_hidden_state),
    ),
  );
  assert.ok(maxAbsDiff(outputs[0]!, outputs[1]!) > 1e-4);
  assert.ok(maxAbsDiff(outputs[1]!, outputs[2]!) > 1e-4);
});

test('llama: parameters follow the heads (4 query, 2 key/value of 8), biases by flag, tied head stored once', async () => {
  const model = await binding.buildModel(tinyLlamaSpec({ attention_bias: true, tie_word_embeddings: true }), cpu);
  const shapes = Object.fromEntries(model.parameters().map((p) => [p.name, p.shape]));
  assert.deepEqual(shapes['model.layers.0.self_attn.q_proj.weight'], [32, 32]);
  assert.deepEqual(shapes['model.layers.0.self_attn.k_proj.weight'], [16, 32]);
  assert.deepEqual(shapes['model.layers.0.self_attn.k_proj.bias'], [16]);
  assert.equal(shapes['model.layers.0.self_attn.o_proj.bias'], undefined);
  assert.equal(shapes['lm_head.weight'], undefined);
});

test('llama3 rotary scaling changes the outputs only through the frequencies; bfloat16 runs', async () => {
  const plain = await binding.buildModel(tinyLlamaSpec(), cpu);
  const scaled = await binding.buildModel(
    tinyLlamaSpec({ rope_type: 'llama3', rope_factor: 8, rope_low_freq_factor: 1, rope_high_freq_factor: 4, rope_original_max_position_embeddings: 16 }),
    cpu,
  );
  const a = await plain.run({ input_ids: ids });
  const b = await scaled.run({ input_ids: ids });
  const shape = a.last_hidden_state!.shape;
  // Position 0 has angle 0 whatever the frequencies.
  assert.ok(maxAbsDiff(prefix(floats(a.last_hidden_state), shape, 1), prefix(floats(b.last_hidden_state), shape, 1)) < 1e-6);
  assert.ok(maxAbsDiff(floats(a.last_hidden_state), floats(b.last_hidden_state)) > 1e-4);
  const bf16 = await binding.buildModel(tinyLlamaSpec(), { ...cpu, dtype: 'bfloat16' });
  const c = await bf16.run({ input_ids: ids });
  assert.equal(c.logits?.dtype, 'float32');
  assert.ok(floats(c.logits).every(Number.isFinite));
});

test('t5: decoder_input_ids default to input_ids; encoder output does not depend on them', async () => {
  const model = await binding.buildModel(tinyT5Spec(), cpu);
  const a = await model.run({ input_ids: ids });
  const b = await model.run({ input_ids: ids, decoder_input_ids: ids });
  const c = await model.run({ input_ids: ids, decoder_input_ids: int64Tensor([[0, 1, 2], [0, 4, 5]]) });
  assert.deepEqual(a.logits?.shape, [2, 7, 99]);
  assert.deepEqual(a.encoder_last_hidden_state?.shape, [2, 7, 32]);
  assert.equal(maxAbsDiff(floats(a.logits), floats(b.logits)), 0);
  assert.deepEqual(c.logits?.shape, [2, 3, 99]);
  assert.equal(maxAbsDiff(floats(a.encoder_last_hidden_state), floats(c.encoder_last_hidden_state)), 0);
  await rejectsWith(model.run({ input_ids: ids, decoder_input_ids: int64Tensor([[0, 100]]) }), 'BAD_INPUT', /decoder_input_ids/);
});

test('decoder_input_ids are refused by a model without a decoder', async () => {
  const model = await binding.buildModel(tinyLlamaSpec(), cpu);
  await rejectsWith(model.run({ input_ids: ids, decoder_input_ids: ids }), 'BAD_INPUT', /no decoder/);
});

test('training through runCalls(): llama and t5 (gated, untied) give positive forward and backward times', async () => {
  for (const spec of [tinyLlamaSpec(), tinyT5Spec({ gated_feed_forward: true, hidden_act: 'gelu_new', tie_word_embeddings: false })]) {
    const model = await binding.buildModel(spec, cpu);
    const cell = { mode: 'training', batchSize: 2, sequenceLength: 16, seed: 1 } as const;
    await model.runCalls({ ...cell, calls: 1 }); // warm-up
    const r = await model.runCalls({ ...cell, calls: 2 });
    assert.equal(r.seconds.length, 2, spec.family);
    const phases = r.phasesSeconds!;
    assert.ok(phases.forward.every((s) => s > 0) && phases.backward.every((s) => s > 0), spec.family);
  }
});

test('breakdown: one cost per module in forward order, then the training phases', async () => {
  const model = await binding.buildModel(tinyT5Spec(), cpu);
  const base = { batchSize: 2, sequenceLength: 8, seed: 1 } as const;
  const inference = await model.measureBreakdown({ ...base, mode: 'inference' });
  assert.deepEqual(inference.map((m) => m.module), [
    'embeddings', 'encoder.layer.0', 'encoder.layer.1', 'decoder.embeddings', 'decoder.layer.0', 'decoder.layer.1', 'head',
  ]);
  assert.ok(inference.every((m) => m.seconds >= 0 && m.peakBytes >= m.beforeBytes && m.beforeBytes > 0));
  const training = await model.measureBreakdown({ ...base, mode: 'training', trainStep: 'optimizer' });
  assert.deepEqual(training.slice(-4).map((m) => m.module), ['head', 'loss', 'backward', 'optimizer']);
  const llama = await binding.buildModel(tinyLlamaSpec(), cpu);
  const modules = (await llama.measureBreakdown({ ...base, mode: 'inference' })).map((m) => m.module);
  assert.deepEqual(modules, ['embeddings', 'layer.0', 'layer.1', 'head']);
  // the probe is cleared after a breakdown: a run afterwards works as before
  await llama.run({ input_ids: ids });
});

test('llama: the pad token’s embedding row starts at zero and gets no gradient (padding_idx)', async () => {
  const model = await binding.buildModel(tinyLlamaSpec({ pad_token_id: 5 }), cpu);
  const out = await model.run({ input_ids: ids }, { loss: true, gradients: ['model.embed_tokens.weight'] });
  const grad = floats(out['grad.model.embed_tokens.weight']);
  const row = (r: number) => grad.slice(r * 32, (r + 1) * 32);
  assert.ok(row(5).every((g) => g === 0), 'pad row (token 5 is in the input)');
  assert.ok(row(17).some((g) => g !== 0), 'another input token’s row');
});
