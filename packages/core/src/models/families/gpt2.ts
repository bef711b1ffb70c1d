// GPT-2: GPT2Config defaults, the fields tfbench can honour, and the parameters and FLOPs of GPT2Model /
// GPT2LMHeadModel (family spec Gpt2Spec, read by src/models/gpt2.cc).
// The config's own names (n_embd, n_layer, n_head, n_positions, n_inner, layer_norm_epsilon,
// activation_function) are mapped onto the spec's BERT-style names here; the BERT names are GPT2Config's
// attribute_map aliases, so when a config sets one of those it wins, as it does in transformers.
import { formatValue } from '../../errors.js';
import { ConfigReader } from '../config-reader.js';
import type { HfConfig } from '../types.js';
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
 * GPT-2 (pre-LayerNorm decoder blocks, causal self-attention, learned absolute positions 0 … T-1): GPT2Model
 * (head 'base') and GPT2LMHeadModel (head 'causal-lm', logits over the vocabulary, lm_head tied to wte unless
 * tie_word_embeddings is false). Sizes use the BERT field names; normalisation maps n_embd, n_layer, n_head,
 * n_positions, n_inner and layer_norm_epsilon onto them.
 */
export type Gpt2Spec = {
  family: 'gpt2';
  head: 'base' | 'causal-lm';
  vocab_size: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  /** n_inner (4 · n_embd when null). */
  intermediate_size: number;
  max_position_embeddings: number;
  layer_norm_eps: number;
  /** activation_function. */
  hidden_act: Activation;
  /** Divide the attention scores by sqrt(head_dim). */
  scale_attn_weights: boolean;
  /** Also divide them by layer_idx + 1. */
  scale_attn_by_inverse_layer_idx: boolean;
  /** Dropout after the embeddings, on the attention probabilities, after each residual branch. */
  embd_pdrop: number;
  attn_pdrop: number;
  resid_pdrop: number;
  initializer_range: number;
  tie_word_embeddings: boolean;
};

/** GPT2Config's `__init__` defaults, plus the PretrainedConfig fields that matter for the math. */
export const GPT2_DEFAULTS: Readonly<Record<string, unknown>> = {
  vocab_size: 50257,
  n_positions: 1024,
  n_embd: 768,
  n_layer: 12,
  n_head: 12,
  n_inner: null,
  activation_function: 'gelu_new',
  resid_pdrop: 0.1,
  embd_pdrop: 0.1,
  attn_pdrop: 0.1,
  layer_norm_epsilon: 1e-5,
  initializer_range: 0.02,
  scale_attn_weights: true,
  use_cache: true,
  bos_token_id: 50256,
  eos_token_id: 50256,
  scale_attn_by_inverse_layer_idx: false,
  reorder_and_upcast_attn: false,
  ...PRETRAINED_CONFIG_DEFAULTS,
};

/** GPT2Config.attribute_map: alias → GPT-2 field. */
const ATTRIBUTE_MAP = {
  n_embd: 'hidden_size',
  n_positions: 'max_position_embeddings',
  n_head: 'num_attention_heads',
  n_layer: 'num_hidden_layers',
} as const;

const HEADS: Readonly<Record<string, Gpt2Spec['head']>> = {
  GPT2Model: 'base',
  GPT2LMHeadModel: 'causal-lm',
};

function normaliseGpt2(config: HfConfig, options: Required<NormaliseOptions>) {
  const r = new ConfigReader(config, GPT2_DEFAULTS);
  const key = (field: keyof typeof ATTRIBUTE_MAP) => r.aliasedKey(field, ATTRIBUTE_MAP);

  // GPT2Model always has a causal mask; is_decoder does not change it. Cross-attention is not implemented.
  checkUnsupportedFlags(r, ['add_cross_attention', 'torchscript']);
  if (r.raw('reorder_and_upcast_attn') !== false) {
    r.problem('reorder_and_upcast_attn', `only false is supported, got ${formatValue(r.raw('reorder_and_upcast_attn'))}`);
  }
  const hidden_act = readActivation(r, 'activation_function');

  const embdKey = key('n_embd');
  const headKey = key('n_head');
  const vocab_size = r.positiveInt('vocab_size');
  const hidden_size = r.positiveInt(embdKey);
  const num_hidden_layers = r.positiveInt(key('n_layer'));
  const num_attention_heads = r.positiveInt(headKey);
  const max_position_embeddings = r.positiveInt(key('n_positions'));
  const nInner = r.raw('n_inner');
  const intermediate_size = nInner === null || nInner === undefined ? 4 * hidden_size : r.positiveInt('n_inner');
  const layer_norm_eps = r.number('layer_norm_epsilon', { min: 0, exclusiveMin: true });
  const embd_pdrop = r.number('embd_pdrop', { min: 0, max: 1 });
  const attn_pdrop = r.number('attn_pdrop', { min: 0, max: 1 });
  const resid_pdrop = r.number('resid_pdrop', { min: 0, max: 1 });
  const initializer_range = r.number('initializer_range', { min: 0 });
  const scale_attn_weights = r.boolean('scale_attn_weights');
  const scale_attn_by_inverse_layer_idx = r.boolean('scale_attn_by_inverse_layer_idx');
  const tie_word_embeddings = r.boolean('tie_word_embeddings');

  r.requireMultiple(embdKey, hidden_size, headKey, num_attention_heads);

  const head = chooseHead(r, options, HEADS, 'causal-lm');
  if (r.problems.length > 0 || hidden_act === undefined || head === undefined) return { problems: r.problems };

  const spec: Gpt2Spec = {
    family: 'gpt2',
    head,
    vocab_size,
    hidden_size,
    num_hidden_layers,
    num_attention_heads,
    intermediate_size,
    max_position_embeddings,
    layer_norm_eps,
    hidden_act,
    scale_attn_weights,
    scale_attn_by_inverse_layer_idx,
    embd_pdrop,
    attn_pdrop,
    resid_pdrop,
    initializer_range,
    tie_word_embeddings,
  };
  return { spec, problems: [] };
}

/** GPT2Model / GPT2LMHeadModel parameters in `named_parameters()` order, with Hugging Face's names and
 * shapes (Conv1D weights are (in, out)). */
export function gpt2ParameterShapes(spec: Gpt2Spec): ParameterShape[] {
  const { hidden_size: H, intermediate_size: I, vocab_size: V } = spec;
  const base = spec.head === 'base' ? '' : 'transformer.';
  const out: ParameterShape[] = [];
  const conv1d = (name: string, inFeatures: number, outFeatures: number) => {
    out.push({ name: `${name}.weight`, shape: [inFeatures, outFeatures] }, { name: `${name}.bias`, shape: [outFeatures] });
  };
  const layerNorm = (name: string) => {
    out.push({ name: `${name}.weight`, shape: [H] }, { name: `${name}.bias`, shape: [H] });
  };
  out.push({ name: `${base}wte.weight`, shape: [V, H] }, { name: `${base}wpe.weight`, shape: [spec.max_position_embeddings, H] });
  for (let i = 0; i < spec.num_hidden_layers; i++) {
    const p = `${base}h.${i}`;
    layerNorm(`${p}.ln_1`);
    conv1d(`${p}.attn.c_attn`, H, 3 * H);
    conv1d(`${p}.attn.c_proj`, H, H);
    layerNorm(`${p}.ln_2`);
    conv1d(`${p}.mlp.c_fc`, H, I);
    conv1d(`${p}.mlp.c_proj`, I, H);
  }
  layerNorm(`${base}ln_f`);
  if (spec.head === 'causal-lm' && !spec.tie_word_embeddings) out.push({ name: 'lm_head.weight', shape: [V, H] });
  return out;
}

/** Forward FLOPs: per block the fused query/key/value projection, the attention products, c_proj and the MLP
 * (c_fc → c_proj, I = n_inner); the LM head is one (N, H) × (H, V). */
function gpt2ForwardFlops(spec: Gpt2Spec, shape: TokenShape): number {
  const N = shape.batchSize * shape.sequenceLength; // tokens
  const { hidden_size: H, intermediate_size: I, vocab_size: V } = spec;
  const perLayer =
    2 * N * H * 3 * H + // c_attn: query, key, value
    attentionProductFlops(shape, H) +
    2 * N * H * H + // attn.c_proj
    2 * N * H * I * 2; // mlp: H → I → H
  return spec.num_hidden_layers * perLayer + (spec.head === 'causal-lm' ? 2 * N * H * V : 0);
}

/** Greedy decoding with GPT2LMHeadModel and a static cache of every layer's keys and values. */
const gpt2Generation: FamilyGeneration<Gpt2Spec> = {
  // Learned absolute positions: the cache's S + N positions must all have one (the native model refuses more).
  maxContext: (spec) => spec.max_position_embeddings,
  firstStepContext: (_spec, shape) => shape.promptLength + 1,
  // Keys and values (2) of every layer for S + N positions, every head: 2·L·B·(S + N)·n_embd·bytes.
  kvCacheBytes: (spec, shape, bytes) =>
    2 * spec.num_hidden_layers * shape.batchSize * (shape.promptLength + shape.newTokens) * spec.hidden_size * bytes,
  callFlops: (spec, shape) => {
    const body = (s: TokenShape) => gpt2ForwardFlops({ ...spec, head: 'base' }, s);
    return decoderGenerateFlops(body, 2 * spec.hidden_size * spec.vocab_size, shape);
  },
  // wpe gives one row a step; so does wte unless it is also the LM head (tied), which reads it whole.
  decodeStepParameters: (spec) =>
    parameterElements(
      gpt2ParameterShapes({ ...spec, head: 'causal-lm' }),
      (name) => name.endsWith('wpe.weight') || (!spec.tie_word_embeddings && name.endsWith('wte.weight')),
    ),
};

export const gpt2Family: Family<Gpt2Spec> = {
  generation: gpt2Generation,
  modelTypes: ['gpt2'],
  specFamily: 'gpt2',
  architectures: Object.keys(HEADS),
  normalise: normaliseGpt2,
  parameterShapes: gpt2ParameterShapes,
  forwardFlops: gpt2ForwardFlops,
  checkpoint: {
    basePrefix: 'transformer',
    aliases: {},
    // lm_head.weight when tied (canonical_name maps it to wte), and the causal-mask buffers old checkpoints keep
    ignore: [/(^|\.)attn\.bias$/, /(^|\.)attn\.masked_bias$/],
  },
};
