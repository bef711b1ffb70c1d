// LLaMA-shaped decoders: LlamaConfig, MistralConfig and Qwen2Config defaults, the fields tfbench can honour, and
// the parameters and FLOPs of *Model / *ForCausalLM. The three share parameter names and one native model
// (family 'llama', read by src/models/llama.cc); what differs is a field of the spec (biases, sliding window,
// rotary scaling).
import { formatValue } from '../../errors.js';
import { ConfigReader } from '../config-reader.js';
import type { HfConfig } from '../types.js';
import { isPlainObject } from '../util.js';
import {
  PRETRAINED_CONFIG_DEFAULTS,
  attentionProductFlops,
  checkUnsupportedFlags,
  chooseHead,
  decoderGenerateFlops,
  parameterElements,
  readActivation,
  type Activation,
} from './common.js';
import type { Family, FamilyGeneration, NormaliseOptions, ParameterShape, TokenShape } from './types.js';

/**
 * A LLaMA-shaped decoder (pre-RMSNorm blocks, rotary positions, grouped-query causal attention, SwiGLU
 * feed-forward): LLaMA, Mistral and Qwen2 checkpoints, whose parameter names are the same. Head 'base' =
 * LlamaModel & co., 'causal-lm' = *ForCausalLM (lm_head tied to embed_tokens unless tie_word_embeddings is
 * false). Bias flags are tfbench's: Qwen2 sets attention_bias (q/k/v) but not attention_output_bias (o_proj).
 */
export type LlamaSpec = {
  family: 'llama';
  head: 'base' | 'causal-lm';
  vocab_size: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  /** Key/value heads (grouped-query attention); divides num_attention_heads. */
  num_key_value_heads: number;
  /** Per-head size (even); num_attention_heads · head_dim need not equal hidden_size. */
  head_dim: number;
  intermediate_size: number;
  max_position_embeddings: number;
  rms_norm_eps: number;
  /** Rotary base: angle(t, j) = t · rope_theta^(-2j / head_dim). */
  rope_theta: number;
  /** rope_scaling: 'default' (none), 'linear' (every frequency / rope_factor), 'llama3' (Llama 3.1's band-wise
   * scaling with the low/high frequency factors and the original context length), 'dynamic' (NTK: the base
   * grows once the sequence passes max_position_embeddings) or 'yarn' (frequencies ramped between kept and
   * divided by rope_factor over the dimensions, cos/sin times rope_attention_factor). */
  rope_type: 'default' | 'linear' | 'llama3' | 'dynamic' | 'yarn';
  /** 1 for 'default'. */
  rope_factor: number;
  /** 'llama3' only (1 otherwise). */
  rope_low_freq_factor: number;
  rope_high_freq_factor: number;
  /** 'llama3' and 'yarn' (1 otherwise). */
  rope_original_max_position_embeddings: number;
  /** 'yarn' only: cos and sin are multiplied by it (1 otherwise). */
  rope_attention_factor: number;
  /** 'yarn' only: the ramp runs between the dimensions that turn beta_fast and beta_slow times over the original
   * context, rounded outwards to whole dimensions when rope_truncate. */
  rope_beta_fast: number;
  rope_beta_slow: number;
  rope_truncate: boolean;
  /** Keys more than sliding_window - 1 positions back are masked in layers first_sliding_layer and up; 0 = no
   * window. Mistral: every layer; Qwen2 (use_sliding_window): from max_window_layers on. */
  sliding_window: number;
  first_sliding_layer: number;
  /** The gate's activation in act(gate_proj x) · up_proj x. */
  hidden_act: Activation;
  attention_bias: boolean;
  attention_output_bias: boolean;
  mlp_bias: boolean;
  attention_dropout: number;
  initializer_range: number;
  tie_word_embeddings: boolean;
  /** embed_tokens' padding_idx (its row starts at zero and gets no gradient); -1 when the config has none. */
  pad_token_id: number;
};

/** What LlamaConfig, MistralConfig and Qwen2Config share in `__init__` (transformers 4.47). */
const DECODER_DEFAULTS = {
  hidden_act: 'silu',
  pad_token_id: null,
  initializer_range: 0.02,
  rms_norm_eps: 1e-6,
  use_cache: true,
  rope_theta: 10000.0,
  rope_scaling: null,
  attention_dropout: 0.0,
  head_dim: null,
  ...PRETRAINED_CONFIG_DEFAULTS,
  tie_word_embeddings: false,
} as const;

export const LLAMA_DEFAULTS: Readonly<Record<string, unknown>> = {
  ...DECODER_DEFAULTS,
  vocab_size: 32000,
  hidden_size: 4096,
  intermediate_size: 11008,
  num_hidden_layers: 32,
  num_attention_heads: 32,
  num_key_value_heads: null,
  max_position_embeddings: 2048,
  pretraining_tp: 1,
  attention_bias: false,
  mlp_bias: false,
};

export const MISTRAL_DEFAULTS: Readonly<Record<string, unknown>> = {
  ...DECODER_DEFAULTS,
  vocab_size: 32000,
  hidden_size: 4096,
  intermediate_size: 14336,
  num_hidden_layers: 32,
  num_attention_heads: 32,
  num_key_value_heads: 8,
  max_position_embeddings: 4096 * 32,
  sliding_window: 4096,
};

export const QWEN2_DEFAULTS: Readonly<Record<string, unknown>> = {
  ...DECODER_DEFAULTS,
  vocab_size: 151936,
  hidden_size: 4096,
  intermediate_size: 22016,
  num_hidden_layers: 32,
  num_attention_heads: 32,
  num_key_value_heads: 32,
  max_position_embeddings: 32768,
  use_sliding_window: false,
  sliding_window: 4096,
  max_window_layers: 28,
};

interface Variant {
  defaults: Readonly<Record<string, unknown>>;
  heads: Readonly<Record<string, LlamaSpec['head']>>;
}

const VARIANTS: Readonly<Record<string, Variant>> = {
  llama: { defaults: LLAMA_DEFAULTS, heads: { LlamaModel: 'base', LlamaForCausalLM: 'causal-lm' } },
  mistral: { defaults: MISTRAL_DEFAULTS, heads: { MistralModel: 'base', MistralForCausalLM: 'causal-lm' } },
  qwen2: { defaults: QWEN2_DEFAULTS, heads: { Qwen2Model: 'base', Qwen2ForCausalLM: 'causal-lm' } },
};

type RopeFields = Pick<
  LlamaSpec,
  | 'rope_type'
  | 'rope_factor'
  | 'rope_low_freq_factor'
  | 'rope_high_freq_factor'
  | 'rope_original_max_position_embeddings'
  | 'rope_attention_factor'
  | 'rope_beta_fast'
  | 'rope_beta_slow'
  | 'rope_truncate'
>;

/** YaRN's attention scaling for a context scaled by `scale`: 0.1 · mscale · ln(scale) + 1 (1 when not scaled up). */
function yarnMscale(scale: number, mscale = 1): number {
  return scale <= 1 ? 1 : 0.1 * mscale * Math.log(scale) + 1;
}

/** rope_scaling → the spec's rotary fields (modeling_rope_utils.py). `null` is plain RoPE; 'linear' divides every
 * frequency by factor; 'llama3' (Llama 3.1+) divides low frequencies by factor and blends the middle band;
 * 'dynamic' and 'yarn' as current transformers compute them. The type is `type` when present (LlamaConfig copies
 * the legacy key over rope_type), else rope_type. Other types (longrope) are a problem naming the field. */
function readRopeScaling(r: ConfigReader, max_position_embeddings: number): RopeFields {
  const plain: RopeFields = {
    rope_type: 'default',
    rope_factor: 1,
    rope_low_freq_factor: 1,
    rope_high_freq_factor: 1,
    rope_original_max_position_embeddings: 1,
    rope_attention_factor: 1,
    rope_beta_fast: 32,
    rope_beta_slow: 1,
    rope_truncate: true,
  };
  const scaling = r.raw('rope_scaling');
  if (scaling === null || scaling === undefined) return plain;
  if (!isPlainObject(scaling)) {
    r.problem('rope_scaling', `expected null or an object, got ${formatValue(scaling)}`);
    return plain;
  }
  const type = scaling.type ?? scaling.rope_type;
  const positive = (key: string, fallback?: number): number => {
    const v = scaling[key];
    if ((v === undefined || v === null) && fallback !== undefined) return fallback;
    if (typeof v === 'number' && Number.isFinite(v) && v > 0) return v;
    r.problem(`rope_scaling.${key}`, `expected a number > 0, got ${formatValue(v)}`);
    return 1;
  };
  if (type === 'default') return plain;
  if (type === 'linear' || type === 'dynamic') return { ...plain, rope_type: type, rope_factor: positive('factor') };
  if (type === 'llama3') {
    const before = r.problems.length;
    const spec: RopeFields = {
      ...plain,
      rope_type: 'llama3',
      rope_factor: positive('factor'),
      rope_low_freq_factor: positive('low_freq_factor'),
      rope_high_freq_factor: positive('high_freq_factor'),
      rope_original_max_position_embeddings: positive('original_max_position_embeddings'),
    };
    if (r.problems.length === before && spec.rope_high_freq_factor <= spec.rope_low_freq_factor) {
      r.problem('rope_scaling.high_freq_factor', `must exceed low_freq_factor (${spec.rope_low_freq_factor})`);
    }
    return spec;
  }
  if (type === 'yarn') {
    // original_max_position_embeddings defaults to max_position_embeddings, factor to their ratio; 0 or null
    // betas mean the defaults.
    const original = positive('original_max_position_embeddings', max_position_embeddings);
    const factor = positive('factor', max_position_embeddings / original);
    const mscale = scaling.mscale;
    const mscaleAllDim = scaling.mscale_all_dim;
    const defaultAttentionFactor =
      typeof mscale === 'number' && typeof mscaleAllDim === 'number' && mscale !== 0 && mscaleAllDim !== 0
        ? yarnMscale(factor, mscale) / yarnMscale(factor, mscaleAllDim)
        : yarnMscale(factor);
    const truncate = scaling.truncate ?? true;
    if (typeof truncate !== 'boolean') r.problem('rope_scaling.truncate', `expected true or false, got ${formatValue(truncate)}`);
    return {
      ...plain,
      rope_type: 'yarn',
      rope_factor: factor,
      rope_original_max_position_embeddings: original,
      rope_attention_factor: positive('attention_factor', defaultAttentionFactor),
      rope_beta_fast: scaling.beta_fast ? positive('beta_fast') : 32,
      rope_beta_slow: scaling.beta_slow ? positive('beta_slow') : 1,
      rope_truncate: truncate !== false,
    };
  }
  r.problem(
    'rope_scaling',
    `rope_type ${formatValue(type)} is not supported (supported: null, "default", "linear", "llama3", "dynamic", "yarn")`,
  );
  return plain;
}

/** Qwen2's sliding layers as current transformers define them (Qwen2Config): with use_sliding_window, the layers
 * from max_window_layers on attend within sliding_window (a stored layer_types list wins; it must be full layers
 * then sliding ones). transformers 4.47's eager attention instead windowed every layer, warning that
 * max_window_layers was not implemented there; tfbench follows the current definition. */
function readQwen2Window(r: ConfigReader, num_hidden_layers: number): Pick<LlamaSpec, 'sliding_window' | 'first_sliding_layer'> {
  const none = { sliding_window: 0, first_sliding_layer: num_hidden_layers };
  const useSliding = r.raw('use_sliding_window');
  if (useSliding !== true && useSliding !== false && useSliding !== null) {
    r.problem('use_sliding_window', `expected true or false, got ${formatValue(useSliding)}`);
  }
  const window = useSliding === true && r.raw('sliding_window') !== null ? r.positiveInt('sliding_window') : 0;
  const layerTypes = r.raw('layer_types');
  if (layerTypes !== null && layerTypes !== undefined) {
    const sliding = Array.isArray(layerTypes) ? layerTypes.map((t) => t === 'sliding_attention') : [];
    const known = Array.isArray(layerTypes) && layerTypes.every((t) => t === 'sliding_attention' || t === 'full_attention');
    const first = sliding.indexOf(true);
    if (!known || layerTypes.length !== num_hidden_layers) {
      r.problem('layer_types', `expected num_hidden_layers (${num_hidden_layers}) of "full_attention" or "sliding_attention", got ${formatValue(layerTypes)}`);
      return none;
    }
    if (first >= 0 && sliding.slice(first).includes(false)) {
      r.problem('layer_types', 'only full-attention layers followed by sliding ones are supported (as max_window_layers makes them)');
      return none;
    }
    if (first < 0) return none;
    if (window === 0) {
      r.problem('layer_types', 'has sliding_attention layers but use_sliding_window is not true with a sliding_window');
      return none;
    }
    return { sliding_window: window, first_sliding_layer: first };
  }
  if (window === 0) return none;
  const maxWindowLayers = r.int('max_window_layers', 0);
  return maxWindowLayers >= num_hidden_layers ? none : { sliding_window: window, first_sliding_layer: maxWindowLayers };
}

function normaliseDecoder(modelType: string, config: HfConfig, options: Required<NormaliseOptions>) {
  const variant = VARIANTS[modelType]!;
  const r = new ConfigReader(config, variant.defaults);
  checkUnsupportedFlags(r, ['add_cross_attention', 'torchscript']);
  const hidden_act = readActivation(r, 'hidden_act');
  const vocab_size = r.positiveInt('vocab_size');
  const hidden_size = r.positiveInt('hidden_size');
  const intermediate_size = r.positiveInt('intermediate_size');
  const num_hidden_layers = r.int('num_hidden_layers', 0);
  const num_attention_heads = r.positiveInt('num_attention_heads');
  const kvRaw = r.raw('num_key_value_heads');
  // LlamaConfig: a null num_key_value_heads means one per attention head (no grouping).
  const num_key_value_heads = kvRaw === null ? num_attention_heads : r.positiveInt('num_key_value_heads');
  if (num_attention_heads % num_key_value_heads !== 0) {
    r.problem('num_key_value_heads', `${num_key_value_heads} does not divide num_attention_heads (${num_attention_heads})`);
  }
  const headDimRaw = r.raw('head_dim');
  let head_dim: number;
  if (headDimRaw === null) {
    head_dim = Math.floor(hidden_size / num_attention_heads);
    r.requireMultiple('hidden_size', hidden_size, 'num_attention_heads', num_attention_heads, ' and head_dim is not set');
  } else {
    head_dim = r.positiveInt('head_dim');
  }
  if (head_dim % 2 !== 0) r.problem(headDimRaw === null ? 'hidden_size' : 'head_dim', `the head size ${head_dim} must be even for rotary embeddings`);
  const max_position_embeddings = r.positiveInt('max_position_embeddings');
  const rms_norm_eps = r.number('rms_norm_eps', { min: 0, exclusiveMin: true });
  const rope_theta = r.number('rope_theta', { min: 0, exclusiveMin: true });
  // Mistral's rotary embedding takes no scaling in transformers: a config asking for one is refused, not
  // silently run unscaled.
  if (modelType === 'mistral' && r.raw('rope_scaling') !== null) {
    r.problem('rope_scaling', `MistralForCausalLM applies no rotary scaling; only null is supported, got ${formatValue(r.raw('rope_scaling'))}`);
  }
  const rope = readRopeScaling(r, max_position_embeddings);
  const attention_dropout = r.number('attention_dropout', { min: 0, max: 1 });
  const initializer_range = r.number('initializer_range', { min: 0 });
  const tie_word_embeddings = r.boolean('tie_word_embeddings');
  // embed_tokens' padding_idx: null (LLaMA's default) or a token id.
  const pad_token_id = r.raw('pad_token_id') === null || r.raw('pad_token_id') === undefined ? -1 : r.int('pad_token_id', 0, vocab_size);

  // Biases: LLaMA's attention_bias covers q, k, v and o; Qwen2 always has q/k/v biases and no o bias;
  // Mistral has none.
  let attention_bias = false;
  let attention_output_bias = false;
  let mlp_bias = false;
  let window: Pick<LlamaSpec, 'sliding_window' | 'first_sliding_layer'> = { sliding_window: 0, first_sliding_layer: 0 };
  if (modelType === 'llama') {
    attention_bias = attention_output_bias = r.boolean('attention_bias');
    mlp_bias = r.boolean('mlp_bias');
    r.int('pretraining_tp', 1); // > 1 splits the same products into slices: the same math
  } else if (modelType === 'qwen2') {
    attention_bias = true;
    window = readQwen2Window(r, num_hidden_layers);
  } else if (r.raw('sliding_window') !== null) {
    // Mistral: keys more than sliding_window positions back are masked in every layer (null: none).
    window = { sliding_window: r.positiveInt('sliding_window'), first_sliding_layer: 0 };
  }

  const head = chooseHead(r, options, variant.heads, 'causal-lm');
  if (r.problems.length > 0 || hidden_act === undefined || head === undefined) return { problems: r.problems };
  const spec: LlamaSpec = {
    family: 'llama',
    head,
    vocab_size,
    hidden_size,
    num_hidden_layers,
    num_attention_heads,
    num_key_value_heads,
    head_dim,
    intermediate_size,
    max_position_embeddings,
    rms_norm_eps,
    rope_theta,
    ...rope,
    ...window,
    hidden_act,
    attention_bias,
    attention_output_bias,
    mlp_bias,
    attention_dropout,
    initializer_range,
    tie_word_embeddings,
    pad_token_id,
  };
  return { spec, problems: [] };
}

/** *Model / *ForCausalLM parameters in `named_parameters()` order, with Hugging Face's names and shapes. */
export function llamaParameterShapes(spec: LlamaSpec): ParameterShape[] {
  const { hidden_size: H, intermediate_size: I, vocab_size: V, head_dim: hd } = spec;
  const q = spec.num_attention_heads * hd;
  const kv = spec.num_key_value_heads * hd;
  const base = spec.head === 'base' ? '' : 'model.';
  const out: ParameterShape[] = [{ name: `${base}embed_tokens.weight`, shape: [V, H] }];
  const linear = (name: string, outFeatures: number, inFeatures: number, bias: boolean) => {
    out.push({ name: `${name}.weight`, shape: [outFeatures, inFeatures] });
    if (bias) out.push({ name: `${name}.bias`, shape: [outFeatures] });
  };
  for (let i = 0; i < spec.num_hidden_layers; i++) {
    const p = `${base}layers.${i}`;
    linear(`${p}.self_attn.q_proj`, q, H, spec.attention_bias);
    linear(`${p}.self_attn.k_proj`, kv, H, spec.attention_bias);
    linear(`${p}.self_attn.v_proj`, kv, H, spec.attention_bias);
    linear(`${p}.self_attn.o_proj`, H, q, spec.attention_output_bias);
    linear(`${p}.mlp.gate_proj`, I, H, spec.mlp_bias);
    linear(`${p}.mlp.up_proj`, I, H, spec.mlp_bias);
    linear(`${p}.mlp.down_proj`, H, I, spec.mlp_bias);
    out.push({ name: `${p}.input_layernorm.weight`, shape: [H] }, { name: `${p}.post_attention_layernorm.weight`, shape: [H] });
  }
  out.push({ name: `${base}norm.weight`, shape: [H] });
  if (spec.head === 'causal-lm' && !spec.tie_word_embeddings) out.push({ name: 'lm_head.weight', shape: [V, H] });
  return out;
}

/** Forward FLOPs: per layer the q, k, v projections (k and v with num_key_value_heads heads), the attention
 * products, o_proj and the gated MLP (gate, up, down); the LM head is one (N, H) × (H, V). */
function llamaForwardFlops(spec: LlamaSpec, shape: TokenShape): number {
  const N = shape.batchSize * shape.sequenceLength; // tokens
  const { hidden_size: H, intermediate_size: I, vocab_size: V } = spec;
  const q = spec.num_attention_heads * spec.head_dim;
  const kv = spec.num_key_value_heads * spec.head_dim;
  const perLayer =
    2 * N * H * (q + 2 * kv) + // q, k, v projections
    attentionProductFlops(shape, q) +
    2 * N * q * H + // o_proj
    3 * 2 * N * H * I; // gate, up, down
  return spec.num_hidden_layers * perLayer + (spec.head === 'causal-lm' ? 2 * N * H * V : 0);
}

/** Greedy decoding with *ForCausalLM and a static cache of every layer's keys and values (num_key_value_heads). */
const llamaGeneration: FamilyGeneration<LlamaSpec> = {
  // Dynamic NTK scaling runs past max_position_embeddings; the other rotary types stop there, as the native
  // model does.
  maxContext: (spec) => (spec.rope_type === 'dynamic' ? null : spec.max_position_embeddings),
  firstStepContext: (_spec, shape) => shape.promptLength + 1,
  // Keys and values (2) of every layer for S + N positions: 2·L·B·(S + N)·H_kv·head_dim·bytes.
  kvCacheBytes: (spec, shape, bytes) => {
    const positions = shape.batchSize * (shape.promptLength + shape.newTokens);
    return 2 * spec.num_hidden_layers * positions * spec.num_key_value_heads * spec.head_dim * bytes;
  },
  callFlops: (spec, shape) => {
    const body = (s: TokenShape) => llamaForwardFlops({ ...spec, head: 'base' }, s);
    return decoderGenerateFlops(body, 2 * spec.hidden_size * spec.vocab_size, shape);
  },
  // An untied embed_tokens gives one row a step; tied, it is the LM head too and is read whole.
  decodeStepParameters: (spec) =>
    parameterElements(
      llamaParameterShapes({ ...spec, head: 'causal-lm' }),
      (name) => !spec.tie_word_embeddings && name.endsWith('embed_tokens.weight'),
    ),
};

export const llamaFamily: Family<LlamaSpec> = {
  generation: llamaGeneration,
  modelTypes: ['llama', 'mistral', 'qwen2'],
  specFamily: 'llama',
  architectures: Object.values(VARIANTS).flatMap((v) => Object.keys(v.heads)),
  normalise: (config, options) => normaliseDecoder(String(config.model_type), config, options),
  parameterShapes: llamaParameterShapes,
  forwardFlops: llamaForwardFlops,
  checkpoint: {
    basePrefix: 'model',
    // A checkpoint may store the tied head too: it is the embedding.
    aliases: { 'lm_head.weight': 'model.embed_tokens.weight' },
    // Rotary frequency buffers that older checkpoints saved.
    ignore: [/(^|\.)rotary_emb\.inv_freq$/],
  },
};
