// Floating-point operations of one call, from the architecture: every matrix multiply counts 2·m·n·k
// (a multiply and an add). Element-wise work (softmax, norms, activations, embeddings) is left out, as is
// usual for model-FLOPs utilisation. Each family module counts its own forward pass; training and the
// optimizer step are counted here, the same for every family.
import { familyOfSpec } from './families/index.js';
import type { TokenShape } from './families/types.js';
import { parameterCount } from './parameters.js';
import type { ModelSpec } from './families/index.js';

export interface CallShape extends TokenShape {
  /** generate: one generate call, a prompt of sequenceLength tokens then newTokens new ones (FamilyGeneration's
   * callFlops). */
  mode: 'inference' | 'training' | 'generate';
  /** Training with an optimizer step adds OPTIMIZER_FLOPS_PER_PARAMETER per parameter. */
  trainStep?: 'backward' | 'optimizer';
  /** generate: N, the tokens generated per sequence. */
  newTokens?: number;
}

/** AdamW's element-wise update per parameter: two moment updates (3 + 4), bias corrections, square root,
 * division and the decayed step (≈ 8): about 15 operations. */
export const OPTIMIZER_FLOPS_PER_PARAMETER = 15;

/** Forward FLOPs of one call of `spec` on (batchSize, sequenceLength) inputs, counted by the spec's family
 * (its forwardFlops; T5: the same length for the encoder and the decoder, as tfbench runs it with
 * decoder_input_ids = input_ids). */
export function forwardFlops(spec: ModelSpec, shape: TokenShape): number {
  return familyOfSpec(spec).forwardFlops(spec, shape);
}

/** FLOPs of one measured call: training counts the backward pass as twice the forward (gradients with
 * respect to both activations and weights), plus the optimizer's update when there is one; a generate call, the
 * prefill and N - 1 one-token steps against the growing cache, as its family counts them. Null for a generate
 * call of a model that cannot generate (an encoder-only family). */
export function callFlops(spec: ModelSpec, shape: CallShape): number | null {
  if (shape.mode === 'generate') {
    const generation = familyOfSpec(spec).generation;
    const newTokens = shape.newTokens;
    if (newTokens === undefined) throw new Error('callFlops: a generate call needs newTokens');
    if (generation === undefined) return null;
    return generation.callFlops(spec, { batchSize: shape.batchSize, promptLength: shape.sequenceLength, newTokens });
  }
  const forward = forwardFlops(spec, shape);
  if (shape.mode === 'inference') return forward;
  const optimizer = shape.trainStep === 'optimizer' ? OPTIMIZER_FLOPS_PER_PARAMETER * parameterCount(spec) : 0;
  return 3 * forward + optimizer;
}
