// Floating-point operations of one call, from the architecture: every matrix multiply counts 2·m·n·k
// (a multiply and an add). Element-wise work (softmax, norms, activations, embeddings) is left out, as is
// usual for model-FLOPs utilisation; so is the pooler's single (B, H) × (H, H) product when it is tiny.
import { parameterCount } from './parameters.js';
import type { ModelSpec } from './types.js';

export interface CallShape {
  batchSize: number;
  sequenceLength: number;
  mode: 'inference' | 'training';
  /** Training with an optimizer step adds OPTIMIZER_FLOPS_PER_PARAMETER per parameter. */
  trainStep?: 'backward' | 'optimizer';
}

/** AdamW's element-wise update per parameter: two moment updates (3 + 4), bias corrections, square root,
 * division and the decayed step (≈ 8): about 15 operations. */
export const OPTIMIZER_FLOPS_PER_PARAMETER = 15;

/** Forward FLOPs of one call of `spec` on (batchSize, sequenceLength) inputs (T5: the same length for the
 * encoder and the decoder, as tfbench runs it with decoder_input_ids = input_ids). */
export function forwardFlops(spec: ModelSpec, shape: Omit<CallShape, 'mode'>): number {
  const B = shape.batchSize;
  const T = shape.sequenceLength;
  const N = B * T; // tokens
  const H = spec.hidden_size;
  const I = spec.intermediate_size;
  const V = spec.vocab_size;
  // Attention products over T keys with `inner` = heads × head size: scores (B, nh, T, hd) × (B, nh, hd, T) and
  // context (B, nh, T, T) × (B, nh, T, hd). Causal masks are applied to full (T, T) scores, so they count in full.
  const attentionProducts = (inner: number) => 2 * 2 * N * T * inner;
  switch (spec.family) {
    case 'llama': {
      const q = spec.num_attention_heads * spec.head_dim;
      const kv = spec.num_key_value_heads * spec.head_dim;
      const perLayer =
        2 * N * H * (q + 2 * kv) + // q, k, v projections (k and v have num_key_value_heads heads)
        attentionProducts(q) +
        2 * N * q * H + // o_proj
        3 * 2 * N * H * I; // gate, up, down
      return spec.num_hidden_layers * perLayer + (spec.head === 'causal-lm' ? 2 * N * H * V : 0);
    }
    case 't5': {
      const inner = spec.num_attention_heads * spec.head_dim;
      const selfAttention = 4 * 2 * N * H * inner + attentionProducts(inner); // q, k, v, o + products
      const feedForward = (spec.gated_feed_forward ? 3 : 2) * 2 * N * H * I;
      const encoder = spec.num_hidden_layers * (selfAttention + feedForward);
      // Cross-attention: q and o on decoder tokens, k and v on the encoder's, products over the encoder's length.
      const decoder = spec.num_decoder_layers * (2 * selfAttention + feedForward);
      return encoder + decoder + (spec.head === 'seq2seq-lm' ? 2 * N * H * V : 0);
    }
    case 'gpt2':
    case 'bert':
    case 'roberta':
    case 'distilbert': {
      const perLayer =
        2 * N * H * 3 * H + // query, key, value projections
        attentionProducts(H) +
        2 * N * H * H + // attention output projection
        2 * N * H * I * 2; // feed-forward: H → I → H
      let total = spec.num_hidden_layers * perLayer;
      if (spec.family === 'gpt2') {
        // GPT-2's blocks have the same products (fused qkv, attention, c_proj, c_fc → c_proj with I = n_inner).
        // The LM head is one (N, H) × (H, V).
        return total + (spec.head === 'causal-lm' ? 2 * N * H * V : 0);
      }
      if (spec.add_pooling_layer) total += 2 * B * H * H;
      if (spec.head === 'masked-lm') total += 2 * N * H * H + 2 * N * H * V; // transform + decoder
      return total;
    }
  }
}

/** FLOPs of one measured call: training counts the backward pass as twice the forward (gradients with
 * respect to both activations and weights), plus the optimizer's update when there is one. */
export function callFlops(spec: ModelSpec, shape: CallShape): number {
  const forward = forwardFlops(spec, shape);
  if (shape.mode === 'inference') return forward;
  const optimizer = shape.trainStep === 'optimizer' ? OPTIMIZER_FLOPS_PER_PARAMETER * parameterCount(spec) : 0;
  return 3 * forward + optimizer;
}
