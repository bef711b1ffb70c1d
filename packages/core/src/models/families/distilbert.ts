// DistilBERT: DistilBertConfig's own field names (dim, n_layers, n_heads, hidden_dim, activation, dropout,
// attention_dropout) normalised to the spec's Hugging Face BERT names. The model is a BERT encoder without
// token type embeddings or pooler, LayerNorm eps fixed at 1e-12, and its own checkpoint names
// (`distilbert.transformer.layer.N.*`, `vocab_transform`, `vocab_layer_norm`, `vocab_projector`).
import { formatValue } from '../../errors.js';
import { ConfigReader } from '../config-reader.js';
import type { HfConfig } from '../types.js';
import { encoderForwardFlops, encoderParameterShapes, type EncoderSpec } from './bert.js';
import { PRETRAINED_CONFIG_DEFAULTS, checkUnsupportedFlags, chooseHead, readActivation } from './common.js';
import type { Family, NormaliseOptions } from './types.js';

/** DistilBertConfig's `__init__` defaults, plus the PretrainedConfig fields that matter for the math. */
export const DISTILBERT_DEFAULTS: Readonly<Record<string, unknown>> = {
  vocab_size: 30522,
  max_position_embeddings: 512,
  sinusoidal_pos_embds: false,
  n_layers: 6,
  n_heads: 12,
  dim: 768,
  hidden_dim: 4 * 768,
  dropout: 0.1,
  attention_dropout: 0.1,
  activation: 'gelu',
  initializer_range: 0.02,
  qa_dropout: 0.1,
  seq_classif_dropout: 0.2,
  pad_token_id: 0,
  ...PRETRAINED_CONFIG_DEFAULTS,
};

/** DistilBertConfig.attribute_map: the BERT name is an alias that, when present, sets the DistilBERT field
 * (PretrainedConfig sets it after the class's own arguments, so it wins). */
const ATTRIBUTE_MAP = {
  dim: 'hidden_size',
  n_heads: 'num_attention_heads',
  n_layers: 'num_hidden_layers',
} as const;

/** DistilBERT's LayerNorms all use this eps; it is not a config field. */
const LAYER_NORM_EPS = 1e-12;

const HEADS = {
  DistilBertModel: 'base',
  DistilBertForMaskedLM: 'masked-lm',
} as const;

function normaliseDistilBert(config: HfConfig, options: Required<NormaliseOptions>) {
  const r = new ConfigReader(config, DISTILBERT_DEFAULTS);
  const key = (field: keyof typeof ATTRIBUTE_MAP) => r.aliasedKey(field, ATTRIBUTE_MAP);

  const sinusoidal = r.raw('sinusoidal_pos_embds');
  if (sinusoidal !== false) {
    r.problem('sinusoidal_pos_embds', `only false (learned position embeddings) is supported, got ${formatValue(sinusoidal)}`);
  }
  checkUnsupportedFlags(r, ['torchscript']);
  const activation = readActivation(r, 'activation');

  const dimKey = key('dim');
  const headsKey = key('n_heads');
  const vocab_size = r.positiveInt('vocab_size');
  const hidden_size = r.positiveInt(dimKey);
  const num_hidden_layers = r.positiveInt(key('n_layers'));
  const num_attention_heads = r.positiveInt(headsKey);
  const intermediate_size = r.positiveInt('hidden_dim');
  const max_position_embeddings = r.positiveInt('max_position_embeddings');
  const hidden_dropout_prob = r.number('dropout', { min: 0, max: 1 });
  const attention_probs_dropout_prob = r.number('attention_dropout', { min: 0, max: 1 });
  const initializer_range = r.number('initializer_range', { min: 0 });
  const vocabOk = r.problems.every((p) => p.path !== 'vocab_size');
  const pad_token_id = r.int('pad_token_id', 0, vocabOk ? vocab_size : undefined);
  const tie_word_embeddings = r.boolean('tie_word_embeddings');

  r.requireMultiple(dimKey, hidden_size, headsKey, num_attention_heads);

  const head = chooseHead(r, options, HEADS, 'masked-lm');
  if (r.problems.length > 0 || activation === undefined || head === undefined) return { problems: r.problems };

  const spec: EncoderSpec = {
    family: 'distilbert',
    head,
    add_pooling_layer: false,
    vocab_size,
    hidden_size,
    num_hidden_layers,
    num_attention_heads,
    intermediate_size,
    max_position_embeddings,
    type_vocab_size: 0,
    layer_norm_eps: LAYER_NORM_EPS,
    hidden_act: activation,
    head_act: activation, // DistilBertForMaskedLM applies config.activation between vocab_transform and its norm
    position_ids: 'absolute',
    hidden_dropout_prob,
    attention_probs_dropout_prob,
    initializer_range,
    pad_token_id,
    tie_word_embeddings,
  };
  return { spec, problems: [] };
}

export const distilbertFamily: Family<EncoderSpec> = {
  modelTypes: ['distilbert'],
  specFamily: 'distilbert',
  architectures: Object.keys(HEADS),
  normalise: normaliseDistilBert,
  parameterShapes: encoderParameterShapes,
  forwardFlops: encoderForwardFlops,
  checkpoint: {
    basePrefix: 'distilbert',
    aliases: {},
    ignore: [/^vocab_projector\.weight$/, /(^|\.)embeddings\.position_ids$/],
  },
};
