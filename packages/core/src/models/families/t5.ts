// T5: T5Config defaults, the fields tfbench can honour, and the parameters and FLOPs of T5Model /
// T5ForConditionalGeneration (family spec T5Spec, read by src/models/t5.cc). T5's own names (d_model, d_kv,
// d_ff, num_layers, num_heads, layer_norm_epsilon) map onto the spec's BERT-style names; the BERT names are
// T5Config's attribute_map aliases, so when a config sets one of those it wins, as it does in transformers.
import { formatValue } from '../../errors.js';
import { ConfigReader } from '../config-reader.js';
import type { HfConfig } from '../types.js';
import { ownValue } from '../util.js';
import {
  ACTIVATIONS,
  PRETRAINED_CONFIG_DEFAULTS,
  attentionProductFlops,
  checkUnsupportedFlags,
  chooseHead,
  parameterElements,
  type Activation,
} from './common.js';
import type {
  Family,
  FamilyGeneration,
  GenerationShape,
  NormaliseOptions,
  ParameterShape,
  TokenShape,
} from './types.js';

/**
 * T5 (encoder-decoder, pre-RMSNorm blocks, relative-position attention biases, unscaled attention): head
 * 'base' = T5Model, 'seq2seq-lm' = T5ForConditionalGeneration. Sizes use the BERT names: hidden_size = d_model,
 * intermediate_size = d_ff, num_hidden_layers = num_layers, head_dim = d_kv.
 */
export type T5Spec = {
  family: 't5';
  head: 'base' | 'seq2seq-lm';
  vocab_size: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_decoder_layers: number;
  num_attention_heads: number;
  head_dim: number;
  intermediate_size: number;
  relative_attention_num_buckets: number;
  relative_attention_max_distance: number;
  /** feed_forward_proj "gated-<act>": wo(act(wi_0 x) · wi_1 x); else wo(act(wi x)). */
  gated_feed_forward: boolean;
  /** The feed-forward activation (feed_forward_proj's <act>; "gated-gelu" means gelu_new). */
  hidden_act: Activation;
  /** layer_norm_epsilon of T5's RMS norm. */
  layer_norm_eps: number;
  dropout_rate: number;
  initializer_factor: number;
  tie_word_embeddings: boolean;
  /** The decoder's first token in generation: decoder_start_token_id, else pad_token_id (T5's is 0). */
  decoder_start_token_id: number;
};

/** T5Config's `__init__` defaults (transformers 4.47), plus the PretrainedConfig fields that matter. */
export const T5_DEFAULTS: Readonly<Record<string, unknown>> = {
  vocab_size: 32128,
  d_model: 512,
  d_kv: 64,
  d_ff: 2048,
  num_layers: 6,
  num_decoder_layers: null,
  num_heads: 8,
  relative_attention_num_buckets: 32,
  relative_attention_max_distance: 128,
  dropout_rate: 0.1,
  layer_norm_epsilon: 1e-6,
  initializer_factor: 1.0,
  feed_forward_proj: 'relu',
  is_encoder_decoder: true,
  use_cache: true,
  pad_token_id: 0,
  eos_token_id: 1,
  classifier_dropout: 0.0,
  ...PRETRAINED_CONFIG_DEFAULTS,
};

/** T5Config.attribute_map: T5 field → alias. */
const ATTRIBUTE_MAP = {
  d_model: 'hidden_size',
  num_heads: 'num_attention_heads',
  num_layers: 'num_hidden_layers',
  d_kv: 'head_dim',
} as const;

const HEADS: Readonly<Record<string, T5Spec['head']>> = {
  T5Model: 'base',
  T5ForConditionalGeneration: 'seq2seq-lm',
  T5WithLMHeadModel: 'seq2seq-lm', // the class's old name, still in some configs
};

/** feed_forward_proj: "<act>" or "gated-<act>", as T5Config parses it ("gated-gelu" means gelu_new). */
function readFeedForward(r: ConfigReader): { hidden_act?: T5Spec['hidden_act']; gated_feed_forward: boolean } {
  const value = r.raw('feed_forward_proj');
  const parts = typeof value === 'string' ? value.split('-') : [];
  const gated = parts.length === 2 && parts[0] === 'gated';
  const actName = value === 'gated-gelu' ? 'gelu_new' : parts[parts.length - 1];
  const hidden_act = (parts.length === 1 || gated) && actName !== undefined ? ownValue(ACTIVATIONS, actName) : undefined;
  if (hidden_act === undefined) {
    r.problem(
      'feed_forward_proj',
      `expected "<act>" or "gated-<act>" with <act> one of ${Object.keys(ACTIVATIONS).join(', ')}, got ${formatValue(value)}`,
    );
  }
  return { hidden_act, gated_feed_forward: gated };
}

function normaliseT5(config: HfConfig, options: Required<NormaliseOptions>) {
  const r = new ConfigReader(config, T5_DEFAULTS);
  const key = (field: keyof typeof ATTRIBUTE_MAP) => r.aliasedKey(field, ATTRIBUTE_MAP);
  checkUnsupportedFlags(r, ['add_cross_attention', 'torchscript']);
  if (r.raw('is_encoder_decoder') !== true) {
    r.problem('is_encoder_decoder', `only true is supported (T5Model and T5ForConditionalGeneration), got ${formatValue(r.raw('is_encoder_decoder'))}`);
  }
  const { hidden_act, gated_feed_forward } = readFeedForward(r);
  const vocab_size = r.positiveInt('vocab_size');
  const hidden_size = r.positiveInt(key('d_model'));
  const head_dim = r.positiveInt(key('d_kv'));
  const intermediate_size = r.positiveInt('d_ff');
  const layersKey = key('num_layers');
  const num_hidden_layers = r.int(layersKey, 0);
  // T5Config: a null num_decoder_layers means as many as the encoder.
  const num_decoder_layers = r.raw('num_decoder_layers') === null ? num_hidden_layers : r.int('num_decoder_layers', 0);
  const num_attention_heads = r.positiveInt(key('num_heads'));
  const relative_attention_num_buckets = r.int('relative_attention_num_buckets', 4);
  const relative_attention_max_distance = r.positiveInt('relative_attention_max_distance');
  const layer_norm_eps = r.number('layer_norm_epsilon', { min: 0, exclusiveMin: true });
  const dropout_rate = r.number('dropout_rate', { min: 0, max: 1 });
  const initializer_factor = r.number('initializer_factor', { min: 0 });
  const tie_word_embeddings = r.boolean('tie_word_embeddings');
  const startKey = r.raw('decoder_start_token_id') === null || r.raw('decoder_start_token_id') === undefined ? 'pad_token_id' : 'decoder_start_token_id';
  const decoder_start_token_id = r.raw(startKey) === null ? 0 : r.int(startKey, 0, vocab_size);

  const head = chooseHead(r, options, HEADS, 'seq2seq-lm');
  if (r.problems.length > 0 || hidden_act === undefined || head === undefined) return { problems: r.problems };
  const spec: T5Spec = {
    family: 't5',
    head,
    vocab_size,
    hidden_size,
    num_hidden_layers,
    num_decoder_layers,
    num_attention_heads,
    head_dim,
    intermediate_size,
    relative_attention_num_buckets,
    relative_attention_max_distance,
    gated_feed_forward,
    hidden_act,
    layer_norm_eps,
    dropout_rate,
    initializer_factor,
    tie_word_embeddings,
    decoder_start_token_id,
  };
  return { spec, problems: [] };
}

/** T5Model / T5ForConditionalGeneration parameters in `named_parameters()` order (the stacks' embed_tokens
 * are the shared embedding, listed once). */
export function t5ParameterShapes(spec: T5Spec): ParameterShape[] {
  const { hidden_size: d, intermediate_size: F, vocab_size: V } = spec;
  const inner = spec.num_attention_heads * spec.head_dim;
  const out: ParameterShape[] = [{ name: 'shared.weight', shape: [V, d] }];
  const attention = (p: string) => {
    for (const m of ['q', 'k', 'v']) out.push({ name: `${p}.${m}.weight`, shape: [inner, d] });
    out.push({ name: `${p}.o.weight`, shape: [d, inner] });
  };
  const norm = (name: string) => out.push({ name: `${name}.weight`, shape: [d] });
  const feedForward = (p: string) => {
    const wi = spec.gated_feed_forward ? ['wi_0', 'wi_1'] : ['wi'];
    for (const m of wi) out.push({ name: `${p}.DenseReluDense.${m}.weight`, shape: [F, d] });
    out.push({ name: `${p}.DenseReluDense.wo.weight`, shape: [d, F] });
    norm(`${p}.layer_norm`);
  };
  const stack = (name: string, layers: number, decoder: boolean) => {
    for (let i = 0; i < layers; i++) {
      const p = `${name}.block.${i}.layer`;
      attention(`${p}.0.SelfAttention`);
      if (i === 0) {
        out.push({
          name: `${p}.0.SelfAttention.relative_attention_bias.weight`,
          shape: [spec.relative_attention_num_buckets, spec.num_attention_heads],
        });
      }
      norm(`${p}.0.layer_norm`);
      if (decoder) {
        attention(`${p}.1.EncDecAttention`);
        norm(`${p}.1.layer_norm`);
      }
      feedForward(`${p}.${decoder ? 2 : 1}`);
    }
    norm(`${name}.final_layer_norm`);
  };
  stack('encoder', spec.num_hidden_layers, false);
  stack('decoder', spec.num_decoder_layers, true);
  if (spec.head === 'seq2seq-lm' && !spec.tie_word_embeddings) out.push({ name: 'lm_head.weight', shape: [V, d] });
  return out;
}

/** Forward FLOPs with the decoder as long as the encoder (tfbench runs decoder_input_ids = input_ids): self-
 * attention (q, k, v, o and the products) and feed-forward in every block, cross-attention in decoder blocks
 * (q and o on decoder tokens, k and v on the encoder's, products over the encoder's length: the same count),
 * and the LM head's (N, H) × (H, V). */
function t5ForwardFlops(spec: T5Spec, shape: TokenShape): number {
  const N = shape.batchSize * shape.sequenceLength; // tokens
  const { hidden_size: H, intermediate_size: I, vocab_size: V } = spec;
  const inner = spec.num_attention_heads * spec.head_dim;
  const selfAttention = 4 * 2 * N * H * inner + attentionProductFlops(shape, inner); // q, k, v, o + products
  const feedForward = (spec.gated_feed_forward ? 3 : 2) * 2 * N * H * I;
  const encoder = spec.num_hidden_layers * (selfAttention + feedForward);
  const decoder = spec.num_decoder_layers * (2 * selfAttention + feedForward); // self- and cross-attention
  return encoder + decoder + (spec.head === 'seq2seq-lm' ? 2 * N * H * V : 0);
}

/** One generate call: the encoder over the S prompt tokens; each decoder layer's cross-attention keys and values of
 * the S encoder positions, once; then N decoder steps of one token (the first within the prefill), step j (0-based)
 * attending to j + 1 decoder positions and to the S encoder positions; the LM head once a step. */
function t5GenerateFlops(spec: T5Spec, shape: GenerationShape): number {
  const { batchSize: B, promptLength: S, newTokens: N } = shape;
  const { hidden_size: H, intermediate_size: I, vocab_size: V } = spec;
  const inner = spec.num_attention_heads * spec.head_dim;
  const feedForward = (tokens: number) => (spec.gated_feed_forward ? 3 : 2) * 2 * tokens * H * I;
  const prompt = { batchSize: B, sequenceLength: S };
  const encoderLayer = 4 * 2 * B * S * H * inner + attentionProductFlops(prompt, inner) + feedForward(B * S);
  const encoder = spec.num_hidden_layers * encoderLayer;
  const crossKeysValues = spec.num_decoder_layers * 2 * 2 * B * S * H * inner;
  // One token through a decoder layer: self-attention q, k, v, o and products over `own` positions; cross-
  // attention q, o and products over the S encoder positions; the feed-forward.
  const step = (own: number) =>
    spec.num_decoder_layers *
    (4 * 2 * B * H * inner +
      attentionProductFlops({ batchSize: B, sequenceLength: 1, contextLength: own }, inner) +
      2 * 2 * B * H * inner +
      attentionProductFlops({ batchSize: B, sequenceLength: 1, contextLength: S }, inner) +
      feedForward(B));
  // The steps attend to 1 … N own positions, and a step is affine in them: N steps at the mean, (N + 1) / 2.
  return encoder + crossKeysValues + N * step((N + 1) / 2) + N * 2 * B * H * V;
}

/** Greedy decoding with T5ForConditionalGeneration: the encoder once; the decoder from decoder_start_token_id with
 * a cache of its self-attention keys and values and of the cross-attention's over the encoder's output. */
const t5Generation: FamilyGeneration<T5Spec> = {
  // Relative position buckets: no limit on lengths.
  maxContext: () => null,
  firstStepContext: () => 2,
  // Per decoder layer: self-attention keys and values for 1 + N positions (the start token and the new tokens)
  // and cross-attention keys and values for the S encoder positions, every head:
  // 2·L_dec·B·(1 + N + S)·inner·bytes.
  kvCacheBytes: (spec, shape, bytes) => {
    const inner = spec.num_attention_heads * spec.head_dim;
    const perPosition = 2 * spec.num_decoder_layers * shape.batchSize * inner * bytes;
    return perPosition * (1 + shape.newTokens) + perPosition * shape.promptLength;
  },
  callFlops: t5GenerateFlops,
  // The encoder runs in the prefill only; the shared embedding gives one row a step unless it is the LM head too.
  decodeStepParameters: (spec) =>
    parameterElements(
      t5ParameterShapes({ ...spec, head: 'seq2seq-lm' }),
      (name) => name.startsWith('encoder.') || (!spec.tie_word_embeddings && name === 'shared.weight'),
    ),
};

export const t5Family: Family<T5Spec> = {
  generation: t5Generation,
  layerStacks: {
    depths: (spec) => [spec.num_hidden_layers, spec.num_decoder_layers],
    withDepths: (spec, [encoder, decoder]) => ({ ...spec, num_hidden_layers: encoder!, num_decoder_layers: decoder! }),
  },
  modelTypes: ['t5'],
  specFamily: 't5',
  architectures: Object.keys(HEADS),
  normalise: normaliseT5,
  parameterShapes: t5ParameterShapes,
  forwardFlops: t5ForwardFlops,
  checkpoint: {
    basePrefix: '',
    // The stacks' embeddings (and a tied head) are the shared embedding, which checkpoints may store again.
    aliases: {
      'encoder.embed_tokens.weight': 'shared.weight',
      'decoder.embed_tokens.weight': 'shared.weight',
      'lm_head.weight': 'shared.weight',
    },
    ignore: [],
  },
};
