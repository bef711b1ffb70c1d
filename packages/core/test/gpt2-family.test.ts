// GPT-2: normalisation of GPT2Config to the gpt2 spec, the published parameter counts, names and FLOPs.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { forwardFlops } from '../src/models/flops.js';
import { knownModelConfig, normaliseConfig, parameterCount, parameterShapes, resolveModel } from '../src/models/index.js';
import { problemsOf } from './problems.js';

const opts = { onlyPretrainModel: false, baseDir: process.cwd() };

describe('GPT-2', () => {
  it('counts the published parameters of gpt2, -medium, -large and -xl', () => {
    const config = knownModelConfig('gpt2');
    assert.equal(parameterCount(normaliseConfig(config, { onlyPretrainModel: true })), 124_439_808); // GPT2Model
    assert.equal(parameterCount(normaliseConfig(config)), 124_439_808); // GPT2LMHeadModel: lm_head tied to wte
    assert.equal(parameterCount(normaliseConfig(knownModelConfig('gpt2-medium'))), 354_823_168);
    assert.equal(parameterCount(normaliseConfig(knownModelConfig('gpt2-large'))), 774_030_080);
    assert.equal(parameterCount(normaliseConfig(knownModelConfig('gpt2-xl'))), 1_557_611_200);
  });

  it('normalises GPT2Config names to the gpt2 spec', () => {
    const m = resolveModel('openai-community/gpt2', opts);
    assert.equal(m.knownId, 'gpt2');
    assert.deepEqual(m.spec, {
      family: 'gpt2',
      head: 'causal-lm',
      vocab_size: 50257,
      hidden_size: 768,
      num_hidden_layers: 12,
      num_attention_heads: 12,
      intermediate_size: 3072,
      max_position_embeddings: 1024,
      layer_norm_eps: 1e-5,
      hidden_act: 'gelu_new',
      scale_attn_weights: true,
      scale_attn_by_inverse_layer_idx: false,
      embd_pdrop: 0.1,
      attn_pdrop: 0.1,
      resid_pdrop: 0.1,
      initializer_range: 0.02,
      tie_word_embeddings: true,
    });
  });

  it('takes n_inner, the activation and the attribute_map aliases', () => {
    const spec = normaliseConfig({ model_type: 'gpt2', n_embd: 64, n_head: 4, n_layer: 2, n_inner: 100, activation_function: 'relu' });
    assert.equal(spec.hidden_size, 64);
    assert.equal(spec.intermediate_size, 100);
    assert.equal(spec.hidden_act, 'relu');
    assert.equal(normaliseConfig({ model_type: 'gpt2', n_embd: 64, hidden_size: 32, n_head: 4 }).hidden_size, 32);
    assert.equal(normaliseConfig({ model_type: 'gpt2', n_embd: 64, n_head: 4 }).intermediate_size, 256);
  });

  it('names parameters as GPT-2 checkpoints do', () => {
    const tiny = { model_type: 'gpt2', vocab_size: 99, n_positions: 64, n_embd: 32, n_layer: 1, n_head: 4 };
    const names = (spec: ReturnType<typeof normaliseConfig>) => parameterShapes(spec).map((p) => `${p.name} ${p.shape.join('x')}`);
    assert.deepEqual(names(normaliseConfig({ ...tiny, architectures: ['GPT2LMHeadModel'] })), [
      'transformer.wte.weight 99x32',
      'transformer.wpe.weight 64x32',
      'transformer.h.0.ln_1.weight 32',
      'transformer.h.0.ln_1.bias 32',
      'transformer.h.0.attn.c_attn.weight 32x96',
      'transformer.h.0.attn.c_attn.bias 96',
      'transformer.h.0.attn.c_proj.weight 32x32',
      'transformer.h.0.attn.c_proj.bias 32',
      'transformer.h.0.ln_2.weight 32',
      'transformer.h.0.ln_2.bias 32',
      'transformer.h.0.mlp.c_fc.weight 32x128',
      'transformer.h.0.mlp.c_fc.bias 128',
      'transformer.h.0.mlp.c_proj.weight 128x32',
      'transformer.h.0.mlp.c_proj.bias 32',
      'transformer.ln_f.weight 32',
      'transformer.ln_f.bias 32',
    ]);
    const base = names(normaliseConfig({ ...tiny, architectures: ['GPT2Model'] }));
    assert.equal(base[0], 'wte.weight 99x32');
    assert.equal(base.at(-1), 'ln_f.bias 32');
    const untied = names(normaliseConfig({ ...tiny, tie_word_embeddings: false }, { purpose: 'training' }));
    assert.equal(untied.at(-1), 'lm_head.weight 99x32');
  });

  it('refuses what it does not implement', () => {
    assert.deepEqual(problemsOf(() => normaliseConfig({ model_type: 'gpt2', reorder_and_upcast_attn: true })), [
      { path: 'reorder_and_upcast_attn', message: 'only false is supported, got true' },
    ]);
    assert.equal(problemsOf(() => normaliseConfig({ model_type: 'gpt2', activation_function: 'tanh' }))[0]?.path, 'activation_function');
    assert.equal(problemsOf(() => normaliseConfig({ model_type: 'gpt2', n_embd: 30, n_head: 4 }))[0]?.path, 'n_embd');
    assert.equal(problemsOf(() => normaliseConfig({ model_type: 'gpt2', architectures: ['GPT2ForSequenceClassification'] }))[0]?.path, 'architectures[0]');
  });

  it('counts FLOPs: qkv, attention, projections, MLP with n_inner and the LM head', () => {
    const config = { model_type: 'gpt2', architectures: ['GPT2LMHeadModel'], vocab_size: 100, n_embd: 8, n_head: 2, n_layer: 3, n_inner: 20 };
    const spec = normaliseConfig(config);
    const B = 2, T = 5, N = B * T, H = 8, I = 20, V = 100;
    const layer = 2 * N * H * 3 * H + 2 * (2 * N * T * H) + 2 * N * H * H + 2 * (2 * N * H * I);
    assert.equal(forwardFlops(spec, { batchSize: B, sequenceLength: T }), 3 * layer + 2 * N * H * V);
    const base = normaliseConfig(config, { onlyPretrainModel: true });
    assert.equal(forwardFlops(base, { batchSize: B, sequenceLength: T }), 3 * layer);
  });
});
