// BERT: BertConfig defaults, the fields tfbench can honour, and the parameters and FLOPs of BertModel /
// BertForMaskedLM. RoBERTa (roberta.ts) and DistilBERT (distilbert.ts) build the same encoder (family spec
// EncoderSpec, read by src/models/bert.cc): their normalisation, parameter lists and FLOPs reuse what is here.
import { formatValue } from '../../errors.js';
import { ConfigReader } from '../config-reader.js';
import type { HfConfig } from '../types.js';
import {
  PRETRAINED_CONFIG_DEFAULTS,
  attentionProductFlops,
  checkUnsupportedFlags,
  chooseHead,
  readActivation,
  type Activation,
} from './common.js';
import type { Family, NormaliseOptions, ParameterShape, TokenShape } from './types.js';

/**
 * A BERT-shaped encoder (post-LayerNorm blocks, learned absolute positions, optional masked-LM head): BERT,
 * RoBERTa and DistilBERT. `family` picks the parameter names of that family's checkpoints (and DistilBERT's
 * missing dropout after the attention output); everything else that differs is a field here.
 */
export type EncoderSpec = {
  family: 'bert' | 'roberta' | 'distilbert';
  /** 'base' = BertModel / RobertaModel / DistilBertModel (last_hidden_state), 'masked-lm' = the *ForMaskedLM
   * class (logits over the vocabulary). */
  head: 'base' | 'masked-lm';
  add_pooling_layer: boolean;
  vocab_size: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  max_position_embeddings: number;
  /** 0 = no token type embeddings (DistilBERT). */
  type_vocab_size: number;
  layer_norm_eps: number;
  hidden_act: Activation;
  /** The activation between the masked-LM head's dense layer and its LayerNorm (BERT and DistilBERT: the
   * hidden activation; RoBERTa: always exact gelu). */
  head_act: Activation;
  /** How position ids are made: 'absolute' = 0 … T-1; 'padding-offset' = RoBERTa's rule, non-padding tokens
   * count up from pad_token_id + 1 and padding tokens get pad_token_id
   * (cumsum(ids != pad) · (ids != pad) + pad). */
  position_ids: 'absolute' | 'padding-offset';
  hidden_dropout_prob: number;
  attention_probs_dropout_prob: number;
  initializer_range: number;
  pad_token_id: number;
  tie_word_embeddings: boolean;
};
type EncoderHead = EncoderSpec['head'];

/** BertConfig's `__init__` defaults, plus the PretrainedConfig fields that matter for the math. */
export const BERT_DEFAULTS: Readonly<Record<string, unknown>> = {
  vocab_size: 30522,
  hidden_size: 768,
  num_hidden_layers: 12,
  num_attention_heads: 12,
  intermediate_size: 3072,
  hidden_act: 'gelu',
  hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1,
  max_position_embeddings: 512,
  type_vocab_size: 2,
  initializer_range: 0.02,
  layer_norm_eps: 1e-12,
  pad_token_id: 0,
  position_embedding_type: 'absolute',
  use_cache: true,
  classifier_dropout: null,
  ...PRETRAINED_CONFIG_DEFAULTS,
};

/** architectures[0] → head. */
const HEADS: Readonly<Record<string, EncoderHead>> = {
  BertModel: 'base',
  BertForMaskedLM: 'masked-lm',
};

/** What distinguishes BERT-config families (BERT, RoBERTa) when their configs are read the same way. */
export interface BertLikeRules {
  family: 'bert' | 'roberta';
  defaults: Readonly<Record<string, unknown>>;
  heads: Readonly<Record<string, EncoderHead>>;
  position_ids: EncoderSpec['position_ids'];
  /** The masked-LM head's activation; undefined: hidden_act. */
  head_act?: EncoderSpec['head_act'];
}

function normaliseBert(config: HfConfig, options: Required<NormaliseOptions>) {
  return normaliseBertLike(config, options, { family: 'bert', defaults: BERT_DEFAULTS, heads: HEADS, position_ids: 'absolute' });
}

export function normaliseBertLike(config: HfConfig, options: Required<NormaliseOptions>, rules: BertLikeRules) {
  const r = new ConfigReader(config, rules.defaults);

  // Fields that would change the computation in ways the native model does not implement.
  const positionEmbeddingType = r.raw('position_embedding_type');
  if (positionEmbeddingType !== 'absolute') {
    r.problem(
      'position_embedding_type',
      `only "absolute" is supported, got ${formatValue(positionEmbeddingType)}`,
    );
  }
  checkUnsupportedFlags(r, ['is_decoder', 'add_cross_attention', 'torchscript']);
  const hidden_act = readActivation(r, 'hidden_act');

  const vocab_size = r.positiveInt('vocab_size');
  const hidden_size = r.positiveInt('hidden_size');
  const num_hidden_layers = r.positiveInt('num_hidden_layers');
  const num_attention_heads = r.positiveInt('num_attention_heads');
  const intermediate_size = r.positiveInt('intermediate_size');
  const max_position_embeddings = r.positiveInt('max_position_embeddings');
  const type_vocab_size = r.positiveInt('type_vocab_size');
  const layer_norm_eps = r.number('layer_norm_eps', { min: 0, exclusiveMin: true });
  const hidden_dropout_prob = r.number('hidden_dropout_prob', { min: 0, max: 1 });
  const attention_probs_dropout_prob = r.number('attention_probs_dropout_prob', { min: 0, max: 1 });
  const initializer_range = r.number('initializer_range', { min: 0 });
  const vocabOk = r.problems.every((p) => p.path !== 'vocab_size');
  const pad_token_id = r.int('pad_token_id', 0, vocabOk ? vocab_size : undefined);
  const tie_word_embeddings = r.boolean('tie_word_embeddings');

  r.requireMultiple('hidden_size', hidden_size, 'num_attention_heads', num_attention_heads);
  if (
    rules.position_ids === 'padding-offset' &&
    r.problems.every((p) => p.path !== 'max_position_embeddings' && p.path !== 'pad_token_id') &&
    max_position_embeddings <= pad_token_id + 1
  ) {
    // Positions run from pad_token_id + 1: roberta-base's 514 leave 512 tokens.
    r.problem(
      'max_position_embeddings',
      `${max_position_embeddings} leaves no position past pad_token_id (${pad_token_id}); it must be > ${pad_token_id + 1}`,
    );
  }

  const head = chooseHead(r, options, rules.heads, 'masked-lm');
  if (r.problems.length > 0 || hidden_act === undefined || head === undefined) return { problems: r.problems };

  const spec: EncoderSpec = {
    family: rules.family,
    head,
    add_pooling_layer: head === 'base',
    vocab_size,
    hidden_size,
    num_hidden_layers,
    num_attention_heads,
    intermediate_size,
    max_position_embeddings,
    type_vocab_size,
    layer_norm_eps,
    hidden_act,
    head_act: rules.head_act ?? hidden_act,
    position_ids: rules.position_ids,
    hidden_dropout_prob,
    attention_probs_dropout_prob,
    initializer_range,
    pad_token_id,
    tie_word_embeddings,
  };
  return { spec, problems: [] };
}

/** Checkpoint names of a BERT-shaped family (the C++ side, bert.cc's naming_for, and the TensorFlow.js encoder,
 * backend/tfjs/bert.ts, use the same). */
export interface EncoderNames {
  base: string;
  layer: string;
  query: string;
  key: string;
  value: string;
  attentionOutput: string;
  attentionNorm: string;
  intermediate: string;
  output: string;
  outputNorm: string;
  headBias: string;
  headDense: string;
  headNorm: string;
  decoder: string;
  /** The head's own bias comes first in named_parameters() (BERT, RoBERTa) or last (DistilBERT). */
  headBiasFirst: boolean;
}

const BERT_LAYER_NAMES = {
  layer: 'encoder.layer',
  query: 'attention.self.query',
  key: 'attention.self.key',
  value: 'attention.self.value',
  attentionOutput: 'attention.output.dense',
  attentionNorm: 'attention.output.LayerNorm',
  intermediate: 'intermediate.dense',
  output: 'output.dense',
  outputNorm: 'output.LayerNorm',
};

const ENCODER_NAMES: Readonly<Record<EncoderSpec['family'], EncoderNames>> = {
  bert: {
    base: 'bert',
    ...BERT_LAYER_NAMES,
    headBias: 'cls.predictions.bias',
    headDense: 'cls.predictions.transform.dense',
    headNorm: 'cls.predictions.transform.LayerNorm',
    decoder: 'cls.predictions.decoder',
    headBiasFirst: true,
  },
  roberta: {
    base: 'roberta',
    ...BERT_LAYER_NAMES,
    headBias: 'lm_head.bias',
    headDense: 'lm_head.dense',
    headNorm: 'lm_head.layer_norm',
    decoder: 'lm_head.decoder',
    headBiasFirst: true,
  },
  distilbert: {
    base: 'distilbert',
    layer: 'transformer.layer',
    query: 'attention.q_lin',
    key: 'attention.k_lin',
    value: 'attention.v_lin',
    attentionOutput: 'attention.out_lin',
    attentionNorm: 'sa_layer_norm',
    intermediate: 'ffn.lin1',
    output: 'ffn.lin2',
    outputNorm: 'output_layer_norm',
    headBias: 'vocab_projector.bias',
    headDense: 'vocab_transform',
    headNorm: 'vocab_layer_norm',
    decoder: 'vocab_projector',
    headBiasFirst: false,
  },
};

/** The checkpoint names of an encoder family's modules (`base` is the base model's attribute in the masked-LM
 * class, without its dot). */
export function encoderNames(family: EncoderSpec['family']): EncoderNames {
  return ENCODER_NAMES[family];
}

/** Parameters in `named_parameters()` order, with Hugging Face's names and shapes (BERT, RoBERTa,
 * DistilBERT). */
export function encoderParameterShapes(spec: EncoderSpec): ParameterShape[] {
  const { hidden_size: H, intermediate_size: I, vocab_size: V } = spec;
  const n = ENCODER_NAMES[spec.family];
  const base = spec.head === 'base' ? '' : `${n.base}.`;
  const out: ParameterShape[] = [];
  const linear = (name: string, outFeatures: number, inFeatures: number) => {
    out.push({ name: `${name}.weight`, shape: [outFeatures, inFeatures] }, { name: `${name}.bias`, shape: [outFeatures] });
  };
  const layerNorm = (name: string) => {
    out.push({ name: `${name}.weight`, shape: [H] }, { name: `${name}.bias`, shape: [H] });
  };

  out.push(
    { name: `${base}embeddings.word_embeddings.weight`, shape: [V, H] },
    { name: `${base}embeddings.position_embeddings.weight`, shape: [spec.max_position_embeddings, H] },
  );
  if (spec.type_vocab_size > 0) {
    out.push({ name: `${base}embeddings.token_type_embeddings.weight`, shape: [spec.type_vocab_size, H] });
  }
  layerNorm(`${base}embeddings.LayerNorm`);
  for (let i = 0; i < spec.num_hidden_layers; i++) {
    const layer = `${base}${n.layer}.${i}`;
    linear(`${layer}.${n.query}`, H, H);
    linear(`${layer}.${n.key}`, H, H);
    linear(`${layer}.${n.value}`, H, H);
    linear(`${layer}.${n.attentionOutput}`, H, H);
    layerNorm(`${layer}.${n.attentionNorm}`);
    linear(`${layer}.${n.intermediate}`, I, H);
    linear(`${layer}.${n.output}`, H, I);
    layerNorm(`${layer}.${n.outputNorm}`);
  }
  if (spec.add_pooling_layer) linear(`${base}pooler.dense`, H, H);
  if (spec.head === 'masked-lm') {
    // The LM head: its own bias (shared with the decoder's), transform, decoder (tied to the word
    // embeddings unless tie_word_embeddings is false).
    if (n.headBiasFirst) out.push({ name: n.headBias, shape: [V] });
    linear(n.headDense, H, H);
    layerNorm(n.headNorm);
    if (!spec.tie_word_embeddings) out.push({ name: `${n.decoder}.weight`, shape: [V, H] });
    if (!n.headBiasFirst) out.push({ name: n.headBias, shape: [V] });
  }
  return out;
}

/** BertModel / BertForMaskedLM parameters (see encoderParameterShapes). */
export const bertParameterShapes = encoderParameterShapes;

/** Forward FLOPs of a BERT-shaped encoder (BERT, RoBERTa, DistilBERT): per layer the query, key, value and
 * output projections, the attention products and the feed-forward; the pooler's (B, H) × (H, H) and the
 * masked-LM head's transform and decoder when present. */
export function encoderForwardFlops(spec: EncoderSpec, shape: TokenShape): number {
  const N = shape.batchSize * shape.sequenceLength; // tokens
  const { hidden_size: H, intermediate_size: I, vocab_size: V } = spec;
  const perLayer =
    2 * N * H * 3 * H + // query, key, value projections
    attentionProductFlops(shape, H) +
    2 * N * H * H + // attention output projection
    2 * N * H * I * 2; // feed-forward: H → I → H
  let total = spec.num_hidden_layers * perLayer;
  if (spec.add_pooling_layer) total += 2 * shape.batchSize * H * H;
  if (spec.head === 'masked-lm') total += 2 * N * H * H + 2 * N * H * V; // transform + decoder
  return total;
}

export const bertFamily: Family<EncoderSpec> = {
  modelTypes: ['bert'],
  specFamily: 'bert',
  architectures: Object.keys(HEADS),
  normalise: normaliseBert,
  parameterShapes: encoderParameterShapes,
  forwardFlops: encoderForwardFlops,
  checkpoint: {
    basePrefix: 'bert',
    aliases: { 'cls.predictions.decoder.bias': 'cls.predictions.bias' },
    ignore: [/^cls\.predictions\.decoder\.weight$/, /(^|\.)embeddings\.position_ids$/],
  },
};
