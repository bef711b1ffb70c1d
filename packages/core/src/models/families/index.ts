// Families by model_type and by spec family. A new family is one more entry here (and in known/).
import { bertFamily } from './bert.js';
import { distilbertFamily } from './distilbert.js';
import { gpt2Family } from './gpt2.js';
import { llamaFamily } from './llama.js';
import { robertaFamily } from './roberta.js';
import { t5Family } from './t5.js';
import type { ModelSpec } from '../types.js';
import type { Family } from './types.js';

export const families: readonly Family[] = [bertFamily, robertaFamily, distilbertFamily, gpt2Family, llamaFamily, t5Family];

const byModelType = new Map<string, Family>(families.flatMap((f) => f.modelTypes.map((t) => [t, f] as const)));
const bySpecFamily = new Map<string, Family>(families.map((f) => [f.specFamily, f] as const));

export function familyForModelType(modelType: string): Family | undefined {
  return byModelType.get(modelType);
}

/** The family module that made `spec`. */
export function familyOfSpec(spec: ModelSpec): Family {
  const family = bySpecFamily.get(spec.family);
  if (family === undefined) throw new Error(`no family module makes specs of family ${JSON.stringify(spec.family)}`);
  return family;
}

/** model_type values tfbench can build. */
export function supportedModelTypes(): string[] {
  return [...byModelType.keys()];
}
