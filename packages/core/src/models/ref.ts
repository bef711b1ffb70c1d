// Checking model references as they appear in args.json (`models[i]`, `configs[i]`), without touching files.
import { didYouMean, formatValue, keyPath, type Problem } from '../errors.js';
import { revisionProblem } from './hub-cache.js';
import { findKnownModel } from './known/index.js';
import type { HfConfig, InlineModelRef, ModelRef } from './types.js';
import { isPlainObject } from './util.js';

const INLINE_KEYS = ['name', 'base', 'revision', 'config'] as const;

/** The name a model is shown under: the id or path as written (without a trailing slash), or the
 * inline model's `name`. */
export function modelName(ref: ModelRef): string {
  return typeof ref === 'string' ? ref.replace(/(.)\/+$/, '$1') : ref.name;
}

/** True for a raw Hugging Face config dict in `configs`: it has `model_type` and no `config` key. */
export function isRawConfig(value: unknown): value is HfConfig {
  return isPlainObject(value) && Object.hasOwn(value, 'model_type') && !Object.hasOwn(value, 'config');
}

function checkModelType(value: unknown, path: string, problems: Problem[]): void {
  if (typeof value !== 'string' || value === '') {
    problems.push({ path, message: `expected a model_type string such as "bert", got ${formatValue(value)}` });
  }
}

/**
 * Checks an inline model `{ name?, base?, revision?, config? }`. `nameRequired` is false for `configs` entries
 * that take their name from `models[i]`. Returns the ref (name '' when absent) or undefined.
 */
function checkInline(
  value: Record<string, unknown>,
  path: string,
  problems: Problem[],
  nameRequired: boolean,
): InlineModelRef | undefined {
  const before = problems.length;
  for (const key of Object.keys(value)) {
    if (!(INLINE_KEYS as readonly string[]).includes(key)) {
      const extra =
        key === 'model_type' || key === 'architectures'
          ? '; config fields go under "config"'
          : didYouMean(key, INLINE_KEYS);
      problems.push({ path: keyPath(path, key), message: `unknown key (expected name, base, revision, config)${extra}` });
    }
  }
  const { name, base, revision, config } = value;
  if (name === undefined) {
    if (nameRequired) problems.push({ path: `${path}.name`, message: 'required: the name to show for this model' });
  } else if (typeof name !== 'string' || name.trim() === '') {
    problems.push({ path: `${path}.name`, message: `expected a non-empty string, got ${formatValue(name)}` });
  }
  if (base !== undefined && (typeof base !== 'string' || base.trim() === '')) {
    problems.push({ path: `${path}.base`, message: `expected a known model id, a path or a Hugging Face id, got ${formatValue(base)}` });
  }
  // A revision is of a Hugging Face id; whether `base` is a path is known when it is resolved (resolve.ts).
  if (revision !== undefined) {
    const problem = typeof revision === 'string' ? revisionProblem(revision) : `expected a branch, tag or commit hash, got ${formatValue(revision)}`;
    if (problem !== null) problems.push({ path: `${path}.revision`, message: problem });
    else if (base === undefined) problems.push({ path: `${path}.revision`, message: 'a revision needs "base": the Hugging Face id it is a revision of' });
    else if (typeof base === 'string' && findKnownModel(base) !== undefined) {
      problems.push({ path: `${path}.revision`, message: `${JSON.stringify(base)} is a known id, whose config ships with tfbench: a revision only applies to a Hugging Face id` });
    }
  }
  if (config !== undefined && !isPlainObject(config)) {
    problems.push({ path: `${path}.config`, message: `expected an object of Hugging Face config fields, got ${formatValue(config)}` });
  }
  if (base === undefined && config === undefined) {
    problems.push({ path, message: 'needs "base" (a known id or path), "config" (config fields with model_type), or both' });
  } else if (base === undefined && isPlainObject(config)) {
    if (!Object.hasOwn(config, 'model_type')) {
      problems.push({ path: `${path}.config.model_type`, message: 'required when there is no "base" (e.g. "bert")' });
    } else {
      checkModelType(config.model_type, `${path}.config.model_type`, problems);
    }
  } else if (isPlainObject(config) && Object.hasOwn(config, 'model_type')) {
    checkModelType(config.model_type, `${path}.config.model_type`, problems);
  }
  if (problems.length > before) return undefined;
  const ref: InlineModelRef = { name: typeof name === 'string' ? name : '' };
  if (typeof base === 'string') ref.base = base;
  if (typeof revision === 'string') ref.revision = revision;
  if (isPlainObject(config)) ref.config = { ...config };
  return ref;
}

/** Checks one `models[i]` entry: a non-empty string or an inline model. Problems go to `problems`. */
export function checkModelRef(value: unknown, path: string, problems: Problem[]): ModelRef | undefined {
  if (typeof value === 'string') {
    if (value.trim() !== '') return value;
    problems.push({ path, message: 'expected a model id or path, got ""' });
    return undefined;
  }
  if (isRawConfig(value)) {
    problems.push({
      path,
      message: 'a raw config needs a name: write { "name": …, "config": { "model_type": … } }, or list it in "configs"',
    });
    return undefined;
  }
  if (isPlainObject(value)) return checkInline(value, path, problems, true);
  problems.push({
    path,
    message: `expected a model id, a path, or { name, base?, revision?, config? }, got ${formatValue(value)}`,
  });
  return undefined;
}

/**
 * Checks one `configs[i]` entry: an inline model (its name may come from `models[i]`), or a raw Hugging
 * Face config dict (`model_type` and no `config` key), returned as `{ name: '', config }`.
 */
export function checkConfigEntry(value: unknown, path: string, problems: Problem[]): InlineModelRef | undefined {
  if (isRawConfig(value)) {
    const before = problems.length;
    checkModelType(value.model_type, `${path}.model_type`, problems);
    return problems.length > before ? undefined : { name: '', config: { ...value } };
  }
  if (isPlainObject(value)) return checkInline(value, path, problems, false);
  problems.push({
    path,
    message: `expected a config object (with model_type) or { name, base?, revision?, config? }, got ${formatValue(value)}`,
  });
  return undefined;
}
