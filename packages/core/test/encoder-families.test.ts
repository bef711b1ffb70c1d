// RoBERTa and DistilBERT: normalisation of their configs to the BERT-shaped encoder spec, the published
// parameter counts, Hugging Face parameter names and checkpoint naming.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ModelError } from '../src/errors.js';
import {
  knownModelConfig,
  mapCheckpointToParameters,
  normaliseConfig,
  parameterCount,
  parameterShapes,
  resolveModel,
} from '../src/models/index.js';

const opts = { onlyPretrainModel: false, baseDir: process.cwd() };
const TINY = { vocab_size: 99, max_position_embeddings: 66 };

function problemsOf(fn: () => unknown): { path: string; message: string }[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ModelError, `expected ModelError, got ${String(err)}`);
    return err.problems;
  }
  assert.fail('expected a ModelError');
}

describe('RoBERTa', () => {
  it('counts the published parameters of roberta-base and roberta-large', () => {
    const config = knownModelConfig('roberta-base');
    assert.equal(parameterCount(normaliseConfig(config, { onlyPretrainModel: true })), 124_645_632); // RobertaModel
    assert.equal(parameterCount(normaliseConfig(config)), 124_697_433); // RobertaForMaskedLM
    assert.equal(parameterCount(normaliseConfig(knownModelConfig('roberta-large'), { onlyPretrainModel: true })), 355_359_744);
  });

  it('normalises roberta-base: offset positions, gelu LM head, one token type, pad 1', () => {
    const m = resolveModel('FacebookAI/roberta-base', opts);
    assert.equal(m.knownId, 'roberta-base');
    assert.deepEqual(m.spec, {
      family: 'roberta',
      head: 'masked-lm',
      add_pooling_layer: false,
      vocab_size: 50265,
      hidden_size: 768,
      num_hidden_layers: 12,
      num_attention_heads: 12,
      intermediate_size: 3072,
      max_position_embeddings: 514,
      type_vocab_size: 1,
      layer_norm_eps: 1e-5,
      hidden_act: 'gelu',
      head_act: 'gelu',
      position_ids: 'padding-offset',
      hidden_dropout_prob: 0.1,
      attention_probs_dropout_prob: 0.1,
      initializer_range: 0.02,
      pad_token_id: 1,
      tie_word_embeddings: true,
    });
  });

  it('applies RobertaConfig defaults (pad_token_id 1) and keeps the head activation exact gelu', () => {
    const spec = normaliseConfig({ model_type: 'roberta', hidden_act: 'relu' });
    assert.equal(spec.pad_token_id, 1);
    assert.equal(spec.hidden_act, 'relu');
    assert.equal(spec.head_act, 'gelu');
    assert.equal(spec.head, 'base');
    assert.equal(spec.add_pooling_layer, true);
  });

  it('names parameters as RobertaForMaskedLM does', () => {
    const spec = normaliseConfig({ model_type: 'roberta', architectures: ['RobertaForMaskedLM'], ...TINY, hidden_size: 32, num_hidden_layers: 1, num_attention_heads: 4, intermediate_size: 37, type_vocab_size: 1 });
    const names = parameterShapes(spec).map((p) => p.name);
    assert.deepEqual(names.slice(0, 3), [
      'roberta.embeddings.word_embeddings.weight',
      'roberta.embeddings.position_embeddings.weight',
      'roberta.embeddings.token_type_embeddings.weight',
    ]);
    assert.deepEqual(names.slice(-5), ['lm_head.bias', 'lm_head.dense.weight', 'lm_head.dense.bias', 'lm_head.layer_norm.weight', 'lm_head.layer_norm.bias']);
    const untied = normaliseConfig({ model_type: 'roberta', architectures: ['RobertaForMaskedLM'], tie_word_embeddings: false });
    assert.deepEqual(parameterShapes(untied).at(-1), { name: 'lm_head.decoder.weight', shape: [30522, 768] });
  });

  it('maps a checkpoint that also stores the tied decoder', () => {
    const spec = normaliseConfig({ model_type: 'roberta', architectures: ['RobertaForMaskedLM'] });
    const fake = (names: string[]) => names.map((name) => ({ name, dtype: 'F32' as const, shape: [], begin: 0, end: 0 }));
    const m = mapCheckpointToParameters(
      fake(['lm_head.decoder.weight', 'lm_head.decoder.bias', 'roberta.embeddings.position_ids']),
      parameterShapes(spec).map((p) => p.name),
      { family: 'roberta' },
    );
    assert.deepEqual(m.entries.map((e) => [e.tensor, e.parameter]), [['lm_head.decoder.bias', 'lm_head.bias']]);
    assert.deepEqual(m.ignored, ['lm_head.decoder.weight', 'roberta.embeddings.position_ids']);
    assert.deepEqual(m.unexpected, []);
  });

  it('refuses configs whose math it does not implement, naming the field', () => {
    assert.deepEqual(problemsOf(() => normaliseConfig({ model_type: 'roberta', position_embedding_type: 'relative_key' })), [
      { path: 'position_embedding_type', message: 'only "absolute" is supported, got "relative_key"' },
    ]);
    assert.deepEqual(problemsOf(() => normaliseConfig({ model_type: 'roberta', max_position_embeddings: 2 })), [
      { path: 'max_position_embeddings', message: '2 leaves no position past pad_token_id (1); it must be > 2' },
    ]);
    assert.deepEqual(problemsOf(() => normaliseConfig({ model_type: 'roberta', architectures: ['RobertaForCausalLM'] })), [
      {
        path: 'architectures[0]',
        message: 'RobertaForCausalLM is not supported (supported: RobertaModel, RobertaForMaskedLM); set onlyPretrainModel: true to benchmark its base model (RobertaModel)',
      },
    ]);
    assert.equal(problemsOf(() => normaliseConfig({ model_type: 'roberta', is_decoder: true }))[0]?.path, 'is_decoder');
  });
});

describe('DistilBERT', () => {
  it('counts the published parameters of distilbert-base-uncased', () => {
    const config = knownModelConfig('distilbert-base-uncased');
    assert.equal(parameterCount(normaliseConfig(config, { onlyPretrainModel: true })), 66_362_880); // DistilBertModel
    assert.equal(parameterCount(normaliseConfig(config)), 66_985_530); // DistilBertForMaskedLM
  });

  it('normalises DistilBertConfig names to the encoder spec', () => {
    const m = resolveModel('distilbert/distilbert-base-uncased', opts);
    assert.equal(m.knownId, 'distilbert-base-uncased');
    assert.deepEqual(m.spec, {
      family: 'distilbert',
      head: 'masked-lm',
      add_pooling_layer: false,
      vocab_size: 30522,
      hidden_size: 768,
      num_hidden_layers: 6,
      num_attention_heads: 12,
      intermediate_size: 3072,
      max_position_embeddings: 512,
      type_vocab_size: 0,
      layer_norm_eps: 1e-12,
      hidden_act: 'gelu',
      head_act: 'gelu',
      position_ids: 'absolute',
      hidden_dropout_prob: 0.1,
      attention_probs_dropout_prob: 0.1,
      initializer_range: 0.02,
      pad_token_id: 0,
      tie_word_embeddings: true,
    });
    const base = normaliseConfig({ model_type: 'distilbert', activation: 'relu', dropout: 0.2, attention_dropout: 0.3 });
    assert.equal(base.head, 'base');
    assert.equal(base.add_pooling_layer, false);
    assert.equal(base.hidden_act, 'relu');
    assert.equal(base.head_act, 'relu');
    assert.equal(base.hidden_dropout_prob, 0.2);
    assert.equal(base.attention_probs_dropout_prob, 0.3);
  });

  it('honours the attribute_map aliases (hidden_size, num_attention_heads, num_hidden_layers) over dim, n_heads, n_layers', () => {
    const spec = normaliseConfig({ model_type: 'distilbert', dim: 768, hidden_size: 384, num_attention_heads: 6, num_hidden_layers: 3 });
    assert.equal(spec.hidden_size, 384);
    assert.equal(spec.num_attention_heads, 6);
    assert.equal(spec.num_hidden_layers, 3);
  });

  it('names parameters as DistilBertForMaskedLM does', () => {
    const spec = normaliseConfig({ model_type: 'distilbert', architectures: ['DistilBertForMaskedLM'], vocab_size: 99, max_position_embeddings: 64, dim: 32, n_layers: 1, n_heads: 4, hidden_dim: 37 });
    assert.deepEqual(
      parameterShapes(spec).map((p) => `${p.name} ${p.shape.join('x')}`),
      [
        'distilbert.embeddings.word_embeddings.weight 99x32',
        'distilbert.embeddings.position_embeddings.weight 64x32',
        'distilbert.embeddings.LayerNorm.weight 32',
        'distilbert.embeddings.LayerNorm.bias 32',
        ...['q_lin', 'k_lin', 'v_lin', 'out_lin'].flatMap((n) => [
          `distilbert.transformer.layer.0.attention.${n}.weight 32x32`,
          `distilbert.transformer.layer.0.attention.${n}.bias 32`,
        ]),
        'distilbert.transformer.layer.0.sa_layer_norm.weight 32',
        'distilbert.transformer.layer.0.sa_layer_norm.bias 32',
        'distilbert.transformer.layer.0.ffn.lin1.weight 37x32',
        'distilbert.transformer.layer.0.ffn.lin1.bias 37',
        'distilbert.transformer.layer.0.ffn.lin2.weight 32x37',
        'distilbert.transformer.layer.0.ffn.lin2.bias 32',
        'distilbert.transformer.layer.0.output_layer_norm.weight 32',
        'distilbert.transformer.layer.0.output_layer_norm.bias 32',
        'vocab_transform.weight 32x32',
        'vocab_transform.bias 32',
        'vocab_layer_norm.weight 32',
        'vocab_layer_norm.bias 32',
        'vocab_projector.bias 99',
      ],
    );
  });

  it('refuses configs whose math it does not implement, naming the field', () => {
    assert.deepEqual(problemsOf(() => normaliseConfig({ model_type: 'distilbert', sinusoidal_pos_embds: true })), [
      { path: 'sinusoidal_pos_embds', message: 'only false (learned position embeddings) is supported, got true' },
    ]);
    assert.equal(problemsOf(() => normaliseConfig({ model_type: 'distilbert', activation: 'tanh' }))[0]?.path, 'activation');
    assert.deepEqual(problemsOf(() => normaliseConfig({ model_type: 'distilbert', dim: 100, n_heads: 12 })), [
      { path: 'dim', message: '100 is not a multiple of n_heads (12)' },
    ]);
    assert.equal(problemsOf(() => normaliseConfig({ model_type: 'distilbert', architectures: ['DistilBertForQuestionAnswering'] }))[0]?.path, 'architectures[0]');
  });
});
