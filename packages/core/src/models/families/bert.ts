// BERT: BertConfig defaults, the fields tfbench can honour, and the parameters of BertModel / BertForMaskedLM.
import type { NativeModelSpec } from '@tfbench/native';
import { ConfigReader } from '../config-reader.js';
import type { HfConfig } from '../types.js';
import type { Family, NormaliseOptions, ParameterShape } from './types.js';

type BertSpec = Extract<NativeModelSpec, { family: 'bert' }>;
type BertHead = BertSpec['head'];

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
  // PretrainedConfig
  tie_word_embeddings: true,
  is_decoder: false,
  add_cross_attention: false,
  chunk_size_feed_forward: 0,
  pruned_heads: {},
  torchscript: false,
};

/** Activation names that the native side implements, as Hugging Face's ACT2FN spells them. */
const ACTIVATIONS: Readonly<Record<string, BertSpec['hidden_act']>> = {
  gelu: 'gelu',
  gelu_new: 'gelu_new',
  gelu_pytorch_tanh: 'gelu_pytorch_tanh',
  relu: 'relu',
  silu: 'silu',
  swish: 'silu', // ACT2FN maps "swish" to SiLU
};

/** architectures[0] → head. */
const HEADS: Readonly<Record<string, BertHead>> = {
  BertModel: 'base',
  BertForMaskedLM: 'masked-lm',
};

function normaliseBert(config: HfConfig, options: Required<NormaliseOptions>) {
  const r = new ConfigReader(config, BERT_DEFAULTS);

  // Fields that would change the computation in ways the native model does not implement.
  const positionEmbeddingType = r.raw('position_embedding_type');
  if (positionEmbeddingType !== 'absolute') {
    r.problem(
      'position_embedding_type',
      `only "absolute" is supported, got ${JSON.stringify(positionEmbeddingType) ?? 'undefined'}`,
    );
  }
  for (const flag of ['is_decoder', 'add_cross_attention', 'torchscript'] as const) {
    const v = r.raw(flag);
    if (v !== false) r.problem(flag, `only false is supported, got ${JSON.stringify(v)}`);
  }
  const chunk = r.raw('chunk_size_feed_forward');
  if (chunk !== 0) r.problem('chunk_size_feed_forward', `only 0 (no chunking) is supported, got ${JSON.stringify(chunk)}`);
  const pruned = r.raw('pruned_heads');
  if (pruned !== null && (typeof pruned !== 'object' || Object.keys(pruned).length > 0)) {
    r.problem('pruned_heads', `pruned attention heads are not supported, got ${JSON.stringify(pruned)}`);
  }

  const act = r.raw('hidden_act');
  const hidden_act = typeof act === 'string' ? ACTIVATIONS[act] : undefined;
  if (hidden_act === undefined) {
    r.problem(
      'hidden_act',
      `expected one of ${Object.keys(ACTIVATIONS).map((a) => JSON.stringify(a)).join(', ')}, got ${JSON.stringify(act) ?? 'undefined'}`,
    );
  }

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

  if (
    r.problems.every((p) => p.path !== 'hidden_size' && p.path !== 'num_attention_heads') &&
    hidden_size % num_attention_heads !== 0
  ) {
    r.problem('hidden_size', `${hidden_size} is not a multiple of num_attention_heads (${num_attention_heads})`);
  }

  const head = chooseHead(r, options);
  if (r.problems.length > 0 || hidden_act === undefined || head === undefined) return { problems: r.problems };

  const spec: BertSpec = {
    family: 'bert',
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
    hidden_dropout_prob,
    attention_probs_dropout_prob,
    initializer_range,
    pad_token_id,
    tie_word_embeddings,
  };
  return { spec, problems: [] };
}

function chooseHead(r: ConfigReader, options: Required<NormaliseOptions>): BertHead | undefined {
  const architecture = r.firstArchitecture();
  // Hugging Face's benchmark: the base class for inference and the LM-head class for training when
  // only_pretrain_model is set or the config names no architecture.
  const fallback: BertHead = options.purpose === 'training' ? 'masked-lm' : 'base';
  if (options.onlyPretrainModel || architecture === undefined) return fallback;
  const head = HEADS[architecture];
  if (head === undefined) {
    r.problem(
      'architectures[0]',
      `${architecture} is not supported (supported: ${Object.keys(HEADS).join(', ')}); ` +
        'set onlyPretrainModel: true to benchmark its base model (BertModel)',
    );
    return undefined;
  }
  // A base model has no loss: training uses the LM head on top of it.
  return options.purpose === 'training' ? 'masked-lm' : head;
}

/** Parameters in `named_parameters()` order, with Hugging Face's names and shapes. */
export function bertParameterShapes(spec: BertSpec): ParameterShape[] {
  const { hidden_size: H, intermediate_size: I, vocab_size: V } = spec;
  const base = spec.head === 'base' ? '' : 'bert.';
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
    { name: `${base}embeddings.token_type_embeddings.weight`, shape: [spec.type_vocab_size, H] },
  );
  layerNorm(`${base}embeddings.LayerNorm`);
  for (let i = 0; i < spec.num_hidden_layers; i++) {
    const layer = `${base}encoder.layer.${i}`;
    linear(`${layer}.attention.self.query`, H, H);
    linear(`${layer}.attention.self.key`, H, H);
    linear(`${layer}.attention.self.value`, H, H);
    linear(`${layer}.attention.output.dense`, H, H);
    layerNorm(`${layer}.attention.output.LayerNorm`);
    linear(`${layer}.intermediate.dense`, I, H);
    linear(`${layer}.output.dense`, H, I);
    layerNorm(`${layer}.output.LayerNorm`);
  }
  if (spec.add_pooling_layer) linear(`${base}pooler.dense`, H, H);
  if (spec.head === 'masked-lm') {
    // BertLMPredictionHead: its own `bias` (shared with decoder.bias), transform, decoder (tied to the
    // word embeddings unless tie_word_embeddings is false).
    out.push({ name: 'cls.predictions.bias', shape: [V] });
    linear('cls.predictions.transform.dense', H, H);
    layerNorm('cls.predictions.transform.LayerNorm');
    if (!spec.tie_word_embeddings) out.push({ name: 'cls.predictions.decoder.weight', shape: [V, H] });
  }
  return out;
}

export const bertFamily: Family = {
  modelTypes: ['bert'],
  defaults: BERT_DEFAULTS,
  architectures: Object.keys(HEADS),
  normalise: normaliseBert,
  checkpoint: {
    basePrefix: 'bert',
    aliases: { 'cls.predictions.decoder.bias': 'cls.predictions.bias' },
    ignore: [/^cls\.predictions\.decoder\.weight$/, /(^|\.)embeddings\.position_ids$/],
  },
};
