// Hugging Face config → ModelSpec: pick the family from model_type, apply its defaults, check every field.
import { ModelError, formatValue } from '../errors.js';
import { familyForModelType, supportedModelTypes } from './families/index.js';
import type { NormaliseOptions } from './families/types.js';
import type { ModelSpec } from './families/index.js';
import { isPlainObject } from './util.js';

export type { NormaliseOptions } from './families/types.js';

/** The repository code a config's `auto_map` sends transformers to (auto class → "module.Class", a tokenizer's
 * [slow, fast]), as `auto_map.AutoModelForCausalLM → modeling_x.XForCausalLM`: the entry of architectures[0], else
 * of the first AutoModel class, else the first; undefined without auto_map (absent or null). */
function remoteCode(hfConfig: Record<string, unknown>): string | undefined {
  const autoMap = hfConfig.auto_map;
  if (autoMap === undefined || autoMap === null) return undefined;
  if (!isPlainObject(autoMap)) return `auto_map ${formatValue(autoMap)}`;
  const targets = Object.entries(autoMap).flatMap(([auto, value]) => {
    const target = Array.isArray(value) ? value.find((v) => typeof v === 'string') : value;
    return typeof target === 'string' ? [{ auto, target }] : [];
  });
  const architecture = Array.isArray(hfConfig.architectures) ? hfConfig.architectures[0] : undefined;
  const entry =
    targets.find((t) => typeof architecture === 'string' && t.target.endsWith(`.${architecture}`)) ??
    targets.find((t) => t.auto.startsWith('AutoModel')) ??
    targets[0];
  return entry === undefined ? `auto_map ${formatValue(autoMap)}` : `auto_map.${entry.auto} → ${entry.target}`;
}

const TRUST_REMOTE_CODE = "which transformers runs only with trust_remote_code=True; tfbench never runs a repository's code";

/**
 * The spec the native backend builds for a Hugging Face config. Throws ModelError listing every field
 * problem (with its key) for an unsupported model_type, architecture or value. A config whose `auto_map` points at
 * custom modeling code in its repository is refused: for an unsupported model_type, naming the class; for a
 * supported one too (that code may compute otherwise than transformers' own class), unless the config overrides
 * auto_map with null (an inline config), which builds transformers' own class as it does without trust_remote_code.
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
  const custom = remoteCode(hfConfig);
  const type = JSON.stringify(modelType);
  if (family === undefined) {
    const defined = custom === undefined ? '' : `: its repository defines it in its own code (${custom}), ${TRUST_REMOTE_CODE}`;
    throw new ModelError(`${label}: model_type ${type} is not supported${defined} (supported: ${supported})`, {
      hint: 'Benchmark a model of a supported family, or open an issue asking for this one.',
    });
  }
  if (custom !== undefined) {
    throw new ModelError(
      `${label}: auto_map points at its repository's own code (${custom}), ${TRUST_REMOTE_CODE}, and that code may ` +
        `compute otherwise than transformers' ${type} classes, which tfbench implements`,
      {
        hint:
          `To benchmark it as transformers' own ${type} model (what transformers builds without trust_remote_code), ` +
          'override auto_map in an inline config: { "name": "…", "base": "<this model>", "config": { "auto_map": null } } ' +
          '(a checkpoint keeps its weights).',
      },
    );
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
