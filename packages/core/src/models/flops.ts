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

/** Forward FLOPs of one call of `spec` on (batchSize, sequenceLength) inputs. */
export function forwardFlops(spec: ModelSpec, shape: Omit<CallShape, 'mode'>): number {
  const B = shape.batchSize;
  const T = shape.sequenceLength;
  const N = B * T; // tokens
  const H = spec.hidden_size;
  const I = spec.intermediate_size;
  const V = spec.vocab_size;
  const perLayer =
    2 * N * H * 3 * H + // query, key, value projections
    2 * N * T * H + // scores: (B, nh, T, hs) × (B, nh, hs, T)
    2 * N * T * H + // context: (B, nh, T, T) × (B, nh, T, hs)
    2 * N * H * H + // attention output projection
    2 * N * H * I * 2; // feed-forward: H → I → H
  let total = spec.num_hidden_layers * perLayer;
  if (spec.family === 'gpt2') {
    // GPT-2's blocks have the same products (fused qkv, attention, c_proj, c_fc → c_proj with I = n_inner);
    // the causal mask is applied to full (T, T) scores, so they count in full. The LM head is one (N, H) × (H, V).
    if (spec.head === 'causal-lm') total += 2 * N * H * V;
    return total;
  }
  if (spec.add_pooling_layer) total += 2 * B * H * H;
  if (spec.head === 'masked-lm') total += 2 * N * H * H + 2 * N * H * V; // transform + decoder
  return total;
}

/** FLOPs of one measured call: training counts the backward pass as twice the forward (gradients with
 * respect to both activations and weights), plus the optimizer's update when there is one. */
export function callFlops(spec: ModelSpec, shape: CallShape): number {
  const forward = forwardFlops(spec, shape);
  if (shape.mode === 'inference') return forward;
  const optimizer = shape.trainStep === 'optimizer' ? OPTIMIZER_FLOPS_PER_PARAMETER * parameterCount(spec) : 0;
  return 3 * forward + optimizer;
}
