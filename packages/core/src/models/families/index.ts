// Families by model_type and by spec family. A new family is one more entry here (and in known/).
import { bertFamily } from './bert.js';
import { distilbertFamily } from './distilbert.js';
import { gpt2Family } from './gpt2.js';
import { llamaFamily } from './llama.js';
import { robertaFamily } from './roberta.js';
import { t5Family } from './t5.js';
import type { EncoderSpec } from './bert.js';
import type { Gpt2Spec } from './gpt2.js';
import type { LlamaSpec } from './llama.js';
import type { T5Spec } from './t5.js';
import type { Family } from './types.js';

/** A normalised model description, what a backend builds: one family's spec (models/families/<family>.ts). */
export type ModelSpec = EncoderSpec | Gpt2Spec | LlamaSpec | T5Spec;

/** A family module as the rest of core sees it: over any spec. */
export type AnyFamily = Family<ModelSpec>;

export const families: readonly AnyFamily[] = [bertFamily, robertaFamily, distilbertFamily, gpt2Family, llamaFamily, t5Family];

const byModelType = new Map<string, AnyFamily>(families.flatMap((f) => f.modelTypes.map((t) => [t, f] as const)));
const bySpecFamily = new Map<string, AnyFamily>(families.map((f) => [f.specFamily, f] as const));

export function familyForModelType(modelType: string): AnyFamily | undefined {
  return byModelType.get(modelType);
}

/** The family module that made `spec`. */
export function familyOfSpec(spec: ModelSpec): AnyFamily {
  const family = bySpecFamily.get(spec.family);
  if (family === undefined) throw new Error(`no family module makes specs of family ${JSON.stringify(spec.family)}`);
  return family;
}

/** model_type values tfbench can build. */
export function supportedModelTypes(): string[] {
  return [...byModelType.keys()];
}
