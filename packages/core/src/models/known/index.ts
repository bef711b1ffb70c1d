// The registry of known models. A new family is one more import in `families`.
import { bertModels } from './bert.js';
import { distilbertModels } from './distilbert.js';
import { gpt2Models } from './gpt2.js';
import { llamaModels } from './llama.js';
import { mistralModels } from './mistral.js';
import { qwen2Models } from './qwen2.js';
import { robertaModels } from './roberta.js';
import { t5Models } from './t5.js';
import type { KnownModel } from './types.js';

export type { KnownModel } from './types.js';

const families: ReadonlyArray<readonly KnownModel[]> = [
  bertModels,
  robertaModels,
  distilbertModels,
  gpt2Models,
  t5Models,
  llamaModels,
  mistralModels,
  qwen2Models,
];

export const knownModels: readonly KnownModel[] = families.flat();

const byId = new Map<string, KnownModel>();
for (const model of knownModels) {
  for (const id of [model.id, ...model.aliases]) {
    if (byId.has(id)) throw new Error(`known model id ${id} is registered twice`);
    byId.set(id, model);
  }
}

/** The known model with this id or alias, or undefined. */
export function findKnownModel(id: string): KnownModel | undefined {
  return byId.get(id);
}

/** Every id and alias that names a known model. */
export function knownModelIds(): string[] {
  return [...byId.keys()];
}
