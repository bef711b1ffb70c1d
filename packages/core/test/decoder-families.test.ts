// LLaMA-shaped decoders (LLaMA, Mistral, Qwen2) and T5: config normalisation, the published parameter counts of
// the known checkpoints, FLOPs, and refusals that name the field.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { forwardFlops } from '../src/models/flops.js';
import { knownModelConfig, normaliseConfig, parameterCount, parameterShapes, resolveModel } from '../src/models/index.js';
import { PUBLISHED_PARAMETER_COUNTS } from './known-counts.js';
import { problemsOf } from './problems.js';

const opts = { onlyPretrainModel: false, baseDir: process.cwd() };

describe('known LLaMA, Mistral, Qwen2 and T5 checkpoints', () => {
  for (const [id, published] of Object.entries(PUBLISHED_PARAMETER_COUNTS)) {
    it(`${id}: ${published.architecture} has ${published.count.toLocaleString('en-US')} parameters`, () => {
      const m = resolveModel(id, opts);
      assert.equal(m.hfConfig.architectures instanceof Array ? m.hfConfig.architectures[0] : undefined, published.architecture);
      assert.equal(parameterCount(m.spec), published.count);
    });
  }
});

describe('LLaMA-shaped decoders', () => {
  it('normalise Llama-3.2-1B: GQA, explicit head_dim, llama3 rotary scaling, tied head', () => {
    const { spec } = resolveModel('meta-llama/Llama-3.2-1B', opts);
    assert.deepEqual(spec, {
      family: 'llama',
      head: 'causal-lm',
      vocab_size: 128256,
      hidden_size: 2048,
      num_hidden_layers: 16,
      num_attention_heads: 32,
      num_key_value_heads: 8,
      head_dim: 64,
      intermediate_size: 8192,
      max_position_embeddings: 131072,
      rms_norm_eps: 1e-5,
      rope_theta: 500000,
      rope_type: 'llama3',
      rope_factor: 32,
      rope_low_freq_factor: 1,
      rope_high_freq_factor: 4,
      rope_original_max_position_embeddings: 8192,
      rope_attention_factor: 1,
      rope_beta_fast: 32,
      rope_beta_slow: 1,
      rope_truncate: true,
      sliding_window: 0,
      first_sliding_layer: 0,
      hidden_act: 'silu',
      attention_bias: false,
      attention_output_bias: false,
      mlp_bias: false,
      attention_dropout: 0,
      initializer_range: 0.02,
      tie_word_embeddings: true,
      pad_token_id: -1,
    });
  });

  it('apply each config class default: LLaMA no grouping, Mistral 8 KV heads and a 4096 window, Qwen2 q/k/v biases', () => {
    const llama = normaliseConfig({ model_type: 'llama', hidden_size: 64, num_attention_heads: 4 });
    assert.equal(llama.family === 'llama' && llama.num_key_value_heads, 4);
    assert.equal(llama.family === 'llama' && llama.head_dim, 16);
    assert.equal(llama.family === 'llama' && llama.tie_word_embeddings, false);
    const mistral = normaliseConfig({ model_type: 'mistral' });
    assert.ok(mistral.family === 'llama');
    assert.equal(mistral.num_key_value_heads, 8);
    assert.equal(mistral.sliding_window, 4096);
    assert.equal(mistral.attention_bias, false);
    const qwen = normaliseConfig({ model_type: 'qwen2', architectures: ['Qwen2ForCausalLM'] });
    assert.ok(qwen.family === 'llama');
    assert.deepEqual([qwen.attention_bias, qwen.attention_output_bias, qwen.head], [true, false, 'causal-lm']);
    const names = parameterShapes({ ...qwen, num_hidden_layers: 1 }).map((p) => p.name);
    assert.ok(names.includes('model.layers.0.self_attn.q_proj.bias') && !names.includes('model.layers.0.self_attn.o_proj.bias'));
  });

  it('Qwen2 slides from max_window_layers on with use_sliding_window, as current transformers define it; a stored layer_types wins', () => {
    const window = (config: Record<string, unknown>) => {
      const spec = normaliseConfig({ model_type: 'qwen2', num_hidden_layers: 4, sliding_window: 8, ...config });
      assert.ok(spec.family === 'llama');
      return [spec.sliding_window, spec.first_sliding_layer];
    };
    assert.deepEqual(window({}), [0, 4], 'use_sliding_window defaults to false');
    assert.deepEqual(window({ use_sliding_window: true, max_window_layers: 1 }), [8, 1]);
    assert.deepEqual(window({ use_sliding_window: true }), [0, 4], 'max_window_layers 28 >= 4 layers: none slide');
    assert.deepEqual(window({ use_sliding_window: true, sliding_window: null }), [0, 4]);
    assert.deepEqual(window({ use_sliding_window: true, layer_types: ['full_attention', 'full_attention', 'sliding_attention', 'sliding_attention'] }), [8, 2]);
    const mistral = normaliseConfig({ model_type: 'mistral', sliding_window: 8 });
    assert.ok(mistral.family === 'llama');
    assert.deepEqual([mistral.sliding_window, mistral.first_sliding_layer], [8, 0], 'Mistral: every layer');
  });

  it('rope_scaling dynamic and yarn: factors, defaults and the attention factor as modeling_rope_utils computes them', () => {
    const rope = (rope_scaling: Record<string, unknown>) => {
      const spec = normaliseConfig({ model_type: 'llama', max_position_embeddings: 256, rope_scaling });
      assert.ok(spec.family === 'llama');
      return spec;
    };
    const dynamic = rope({ type: 'dynamic', factor: 2 });
    assert.deepEqual([dynamic.rope_type, dynamic.rope_factor, dynamic.rope_attention_factor], ['dynamic', 2, 1]);
    const yarn = rope({ rope_type: 'yarn', factor: 4, original_max_position_embeddings: 64 });
    assert.deepEqual(
      [yarn.rope_type, yarn.rope_factor, yarn.rope_original_max_position_embeddings, yarn.rope_beta_fast, yarn.rope_beta_slow, yarn.rope_truncate],
      ['yarn', 4, 64, 32, 1, true],
    );
    assert.equal(yarn.rope_attention_factor, 0.1 * Math.log(4) + 1);
    // No factor: max_position_embeddings / original; mscale and mscale_all_dim: the ratio of their scalings.
    assert.equal(rope({ rope_type: 'yarn', original_max_position_embeddings: 32 }).rope_factor, 8);
    const mscaled = rope({ rope_type: 'yarn', factor: 4, mscale: 1, mscale_all_dim: 0.5, beta_fast: 0, truncate: false });
    assert.equal(mscaled.rope_attention_factor, (0.1 * Math.log(4) + 1) / (0.05 * Math.log(4) + 1));
    assert.deepEqual([mscaled.rope_beta_fast, mscaled.rope_truncate], [32, false], 'beta_fast 0 means the default');
    assert.equal(rope({ rope_type: 'yarn', factor: 4, attention_factor: 0.9 }).rope_attention_factor, 0.9);
  });

  it('LLaMA attention_bias covers q, k, v and o; mlp_bias the three MLP projections', () => {
    const spec = normaliseConfig({ model_type: 'llama', hidden_size: 32, num_attention_heads: 4, num_hidden_layers: 1, attention_bias: true, mlp_bias: true });
    const biases = parameterShapes(spec).filter((p) => p.name.endsWith('.bias')).map((p) => p.name.split('.').slice(-2)[0]);
    assert.deepEqual(biases, ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj']);
  });

  it('refuse what would change the math unimplemented, naming the field', () => {
    assert.deepEqual(
      problemsOf(() => normaliseConfig({ model_type: 'llama', rope_scaling: { rope_type: 'longrope', factor: 4 } })).map((p) => p.path),
      ['rope_scaling'],
    );
    assert.deepEqual(
      problemsOf(() => normaliseConfig({ model_type: 'mistral', rope_scaling: { rope_type: 'linear', factor: 2 } })).map((p) => p.path),
      ['rope_scaling'],
    );
    assert.deepEqual(
      problemsOf(() => normaliseConfig({ model_type: 'qwen2', use_sliding_window: 'yes' })).map((p) => p.path),
      ['use_sliding_window'],
    );
    assert.deepEqual(
      problemsOf(() =>
        normaliseConfig({ model_type: 'qwen2', num_hidden_layers: 3, use_sliding_window: true, layer_types: ['sliding_attention', 'full_attention', 'sliding_attention'] }),
      ).map((p) => p.path),
      ['layer_types'],
    );
    assert.deepEqual(
      problemsOf(() => normaliseConfig({ model_type: 'llama', rope_scaling: { rope_type: 'dynamic' } })).map((p) => p.path),
      ['rope_scaling.factor'],
    );
    assert.deepEqual(
      problemsOf(() => normaliseConfig({ model_type: 'llama', num_attention_heads: 32, num_key_value_heads: 5 })).map((p) => p.path),
      ['num_key_value_heads'],
    );
    assert.deepEqual(
      problemsOf(() => normaliseConfig({ model_type: 'llama', rope_scaling: { rope_type: 'llama3', factor: 8 } })).map((p) => p.path),
      ['rope_scaling.low_freq_factor', 'rope_scaling.high_freq_factor', 'rope_scaling.original_max_position_embeddings'],
    );
  });

  it('FLOPs of Llama-2-7b for one token: 2 × the matrix parameters (head included) + the attention products', () => {
    const spec = normaliseConfig(knownModelConfig('meta-llama/Llama-2-7b-hf'));
    const embedding = 32000 * 4096;
    const norms = (2 * 32 + 1) * 4096;
    assert.equal(forwardFlops(spec, { batchSize: 1, sequenceLength: 1 }), 2 * (6_738_415_616 - embedding - norms) + 4 * 4096 * 32);
    // Attention products grow with T²: (B, T) = (2, 128) adds 4·B·T·T·(nh·hd) per layer.
    const linear = 2 * 2 * 128 * (6_738_415_616 - embedding - norms);
    assert.equal(forwardFlops(spec, { batchSize: 2, sequenceLength: 128 }), linear + 32 * 4 * 2 * 128 * 128 * 4096);
  });
});

describe('T5', () => {
  it('normalises t5-small: T5Config names, decoder depth = encoder depth when absent, relu feed-forward', () => {
    const { spec } = resolveModel('t5-small', opts);
    assert.deepEqual(spec, {
      family: 't5',
      head: 'seq2seq-lm',
      vocab_size: 32128,
      hidden_size: 512,
      num_hidden_layers: 6,
      num_decoder_layers: 6,
      num_attention_heads: 8,
      head_dim: 64,
      intermediate_size: 2048,
      relative_attention_num_buckets: 32,
      relative_attention_max_distance: 128,
      gated_feed_forward: false,
      hidden_act: 'relu',
      layer_norm_eps: 1e-6,
      dropout_rate: 0.1,
      initializer_factor: 1,
      tie_word_embeddings: true,
      decoder_start_token_id: 0,
    });
  });

  it('reads flan-t5-base: gated-gelu is the tanh GELU, gated; untied head', () => {
    const spec = resolveModel('google/flan-t5-base', opts).spec;
    assert.ok(spec.family === 't5');
    assert.deepEqual([spec.gated_feed_forward, spec.hidden_act, spec.tie_word_embeddings], [true, 'gelu_new', false]);
    assert.ok(parameterShapes(spec).some((p) => p.name === 'decoder.block.11.layer.2.DenseReluDense.wi_1.weight'));
  });

  it('refuses a malformed feed_forward_proj and onlyPretrainModel gives T5Model', () => {
    assert.deepEqual(problemsOf(() => normaliseConfig({ model_type: 't5', feed_forward_proj: 'gated-gelu-x' })).map((p) => p.path), ['feed_forward_proj']);
    assert.deepEqual(problemsOf(() => normaliseConfig({ model_type: 't5', feed_forward_proj: 'swiglu' })).map((p) => p.path), ['feed_forward_proj']);
    const base = normaliseConfig(knownModelConfig('t5-small'), { onlyPretrainModel: true });
    assert.equal(base.head, 'base');
    assert.equal(parameterCount(base), 60_506_624 - 0); // tied: T5Model has the same parameters
  });

  it('FLOPs of t5-small for one token: 2 × the matrix parameters (tied head included) + attention products', () => {
    const spec = normaliseConfig(knownModelConfig('t5-small'));
    const d = 512, F = 2048, V = 32128;
    const matrices = 6 * (4 * d * d + 2 * d * F) + 6 * (8 * d * d + 2 * d * F) + V * d;
    const attention = 6 * 4 * d + 6 * 2 * 4 * d; // encoder self; decoder self + cross
    assert.equal(forwardFlops(spec, { batchSize: 1, sequenceLength: 1 }), 2 * matrices + attention);
  });
});
