// Generation's figures that come from the model, each from its family's FamilyGeneration: whether a model can
// generate a cell at all, the KV cache by the family's formula, the weights a decode step reads, where the
// decode steps' contexts start. Its FLOPs are flops.ts's (callFlops in mode 'generate').
import { families, familyOfSpec, type ModelSpec } from './families/index.js';
import type { FamilyGeneration, GenerationShape } from './families/types.js';

export type { GenerationShape } from './families/types.js';

/** The model types whose families can generate, as a message lists them: "gpt2, llama, mistral, qwen2 and t5". */
function generativeModelTypes(): string {
  const types = families.filter((f) => f.generation !== undefined).flatMap((f) => f.modelTypes);
  return `${types.slice(0, -1).join(', ')} and ${types[types.length - 1]}`;
}

/** Why `spec` cannot generate `shape`, or null when it can: an encoder-only family (no decoder, no LM head to
 * decode with), or a prompt plus new tokens past the positions the model has. */
export function generationProblem(spec: ModelSpec, shape: GenerationShape): string | null {
  const generation = familyOfSpec(spec).generation;
  if (generation === undefined) {
    const runs = `generation runs model_type ${generativeModelTypes()}`;
    return `${spec.family} is an encoder-only family: it has no decoder to generate with (${runs})`;
  }
  const positions = generation.maxContext(spec);
  const needed = shape.promptLength + shape.newTokens;
  if (positions !== null && needed > positions) {
    const has = `the model has ${positions} positions (max_position_embeddings; GPT-2's n_positions)`;
    return `${has}: a prompt of ${shape.promptLength} tokens and ${shape.newTokens} new tokens need ${needed}`;
  }
  return null;
}

function generationOf(spec: ModelSpec): FamilyGeneration<ModelSpec> {
  const generation = familyOfSpec(spec).generation;
  if (generation === undefined) throw new Error(`${spec.family} models cannot generate (see generationProblem)`);
  return generation;
}

/** The KV cache of one generate call by the family's formula (decoders 2·L·B·(S + N)·H_kv·d_head·bytes). */
export function kvCacheFormulaBytes(spec: ModelSpec, shape: GenerationShape, bytesPerElement: number): number {
  return generationOf(spec).kvCacheBytes(spec, shape, bytesPerElement);
}

/** Bytes of the weights every decode step reads in full (FamilyGeneration.decodeStepParameters). */
export function decodeStepWeightBytes(spec: ModelSpec, bytesPerElement: number): number {
  return generationOf(spec).decodeStepParameters(spec) * bytesPerElement;
}

/** Keys the first decode step attends to (decoders S + 1; T5 2): step i of a trace attends to this + i. */
export function decodeContextStart(spec: ModelSpec, shape: GenerationShape): number {
  return generationOf(spec).firstStepContext(spec, shape);
}
