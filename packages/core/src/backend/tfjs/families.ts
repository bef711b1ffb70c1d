// The families the TensorFlow.js backend builds, by spec family: each one's forward, loss, embedding rows without
// gradient (padding_idx) and what it cannot build.
import type { Tensor, Tensor2D } from '@tensorflow/tfjs-core';
import type { EncoderSpec, Gpt2Spec, LlamaSpec, ModelSpec, T5Spec } from '../../models/index.js';
import { encoderForward, encoderLoss, encoderPaddingRows, encoderStoredTransposed } from './bert.js';
import { gpt2Forward, gpt2Loss, gpt2StoredTransposed } from './gpt2.js';
import type { ForwardContext, TfInputs, TfOutputs } from './layers.js';
import { llamaForward, llamaLoss, llamaPaddingRows, llamaProblem, llamaStoredTransposed } from './llama.js';
import { t5Forward, t5Loss, t5StoredTransposed } from './t5.js';

export interface TfjsFamily<Spec extends ModelSpec = ModelSpec> {
  forward(ctx: ForwardContext<Spec>, inputs: TfInputs): TfOutputs;
  /** The LM loss with labels = input_ids (BAD_INPUT for a model without an LM head). */
  loss(ctx: ForwardContext<Spec>, outputs: TfOutputs, labels: Tensor2D): Tensor;
  /** Whether a parameter (Hugging Face name and shape) is stored transposed, (in, out), for layers.linear. */
  storedTransposed(spec: Spec, name: string, shape: readonly number[]): boolean;
  /** Parameter → its embedding row that starts at zero (nn.Embedding's padding_idx). */
  paddingRows(spec: Spec): Record<string, number>;
  /** Why this spec cannot be built here (a config value not implemented), or null. */
  problem(spec: Spec): string | null;
}

const encoder: TfjsFamily<EncoderSpec> = { forward: encoderForward, loss: encoderLoss, storedTransposed: encoderStoredTransposed, paddingRows: encoderPaddingRows, problem: () => null };
const gpt2: TfjsFamily<Gpt2Spec> = { forward: gpt2Forward, loss: gpt2Loss, storedTransposed: gpt2StoredTransposed, paddingRows: () => ({}), problem: () => null };
const llama: TfjsFamily<LlamaSpec> = { forward: llamaForward, loss: llamaLoss, storedTransposed: llamaStoredTransposed, paddingRows: llamaPaddingRows, problem: llamaProblem };

// T5's shared embedding has no padding_idx (nn.Embedding without one), and every feed_forward_proj activation is built.
const t5: TfjsFamily<T5Spec> = { forward: t5Forward, loss: t5Loss, storedTransposed: t5StoredTransposed, paddingRows: () => ({}), problem: () => null };

const FAMILIES: Readonly<Record<string, TfjsFamily<never>>> = { bert: encoder, roberta: encoder, distilbert: encoder, gpt2, llama, t5 };

/** The spec families this backend builds. */
export const TFJS_FAMILIES: readonly string[] = Object.keys(FAMILIES);

export function tfjsFamily(spec: ModelSpec): TfjsFamily | undefined {
  return Object.hasOwn(FAMILIES, spec.family) ? (FAMILIES[spec.family] as unknown as TfjsFamily) : undefined;
}

/** Why the tfjs backend cannot build `spec`, or null. */
export function tfjsSpecProblem(spec: ModelSpec): string | null {
  const family = tfjsFamily(spec);
  if (!family) return `the tfjs backend does not implement the ${spec.family} family yet (it builds ${TFJS_FAMILIES.join(', ')})`;
  return family.problem(spec);
}
