// Hugging Face config → ModelSpec: pick the family from model_type, apply its defaults, check every field.
import { ModelError, formatValue } from '../errors.js';
import { familyForModelType, supportedModelTypes } from './families/index.js';
import type { NormaliseOptions } from './families/types.js';
import type { ModelSpec } from './families/index.js';
import { isPlainObject } from './util.js';

export type { NormaliseOptions } from './families/types.js';

/**
 * The spec the native backend builds for a Hugging Face config. Throws ModelError listing every field
 * problem (with its key) for an unsupported model_type, architecture or value.
 * `name` only labels messages.
 */
export function normaliseConfig(hfConfig: unknown, options: NormaliseOptions & { name?: string } = {}): ModelSpec {
  const label = options.name === undefined ? 'config' : `config of ${JSON.stringify(options.name)}`;
  if (!isPlainObject(hfConfig)) {
    throw new ModelError(`${label}: expected a JSON object, got ${formatValue(hfConfig)}`);
  }
  const modelType = hfConfig.model_type;
  const supported = supportedModelTypes()
    .map((t) => JSON.stringify(t))
    .join(', ');
  if (typeof modelType !== 'string') {
    throw new ModelError(
      `${label}: model_type ${modelType === undefined ? 'is missing' : `must be a string, got ${formatValue(modelType)}`} (supported: ${supported})`,
    );
  }
  const family = familyForModelType(modelType);
  if (family === undefined) {
    throw new ModelError(`${label}: model_type ${JSON.stringify(modelType)} is not supported (supported: ${supported})`, {
      hint: 'Benchmark a model of a supported family, or open an issue asking for this one.',
    });
  }
  const { spec, problems } = family.normalise(hfConfig, {
    onlyPretrainModel: options.onlyPretrainModel ?? false,
    purpose: options.purpose ?? 'inference',
  });
  if (spec === undefined || problems.length > 0) {
    throw new ModelError(`${label} (model_type ${JSON.stringify(modelType)}) cannot be used:`, {
      problems,
      hint: 'Change or remove the listed config fields (an inline config can override them: { "base": …, "config": { … } }).',
    });
  }
  return spec;
}
