// args.json + flags → BenchmarkArgs: map aliases, apply overrides, fill defaults, check every key.
// Problems are returned as data (all of them, each with its key path), never thrown.
import { didYouMean, formatValue, keyPath, type Problem } from '../errors.js';
import { checkConfigEntry, checkModelRef, modelName } from '../models/ref.js';
import type { InlineModelRef, ModelRef } from '../models/types.js';
import { MAX_JSON_DEPTH, isPlainObject, ownValue, tooDeepPath } from '../models/util.js';
import {
  ARG_DEFINITIONS,
  NOTED_HF_ARGS,
  UNSUPPORTED_HF_ARGS,
  aliasName,
  argDefinition,
  kebabCase,
  type ArgAlias,
  type ArgDefinition,
  type ArgKey,
  type ArgKind,
  type BenchmarkArgs,
} from './definitions.js';
import { formatShard, parseShard } from './shard.js';

/** `notes`: what was said about keys accepted without effect (NOTED_HF_ARGS), each with its key. */
export type ParseArgsResult = { ok: true; args: BenchmarkArgs; notes: Problem[] } | { ok: false; problems: Problem[] };

/** Path used for a problem with the whole input. */
export const ROOT_PATH = '(args)';

const aliases = new Map<string, { definition: ArgDefinition; alias: ArgAlias }>();
for (const definition of ARG_DEFINITIONS) {
  for (const alias of definition.aliases) aliases.set(aliasName(alias), { definition, alias });
}

/** Every name accepted in args.json: keys, their Hugging Face aliases, and Hugging Face's keys that change nothing. */
export function acceptedArgNames(): string[] {
  return [...ARG_DEFINITIONS.map((d) => d.key), ...aliases.keys(), ...Object.keys(NOTED_HF_ARGS)];
}

/** The flag form of a key, used as the path of problems in overrides: `--batch-sizes`. */
export function flagName(key: string): string {
  return `--${kebabCase(key)}`;
}

interface Given {
  value: unknown;
  /** Where the value came from: `batchSizes`, `batch_sizes` or `--batch-sizes`. */
  path: string;
}

function article(min: number, what: 'integer' | 'number'): string {
  if (min === 1 && what === 'integer') return 'a positive integer';
  if (min === 0) return `a non-negative ${what}`;
  return `${what === 'integer' ? 'an integer' : 'a number'} >= ${min}`;
}

function isInt(value: unknown, min: number): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min;
}

function quoteList(values: readonly string[]): string {
  const quoted = values.map((v) => JSON.stringify(v));
  return quoted.length <= 1 ? quoted.join('') : `${quoted.slice(0, -1).join(', ')} or ${quoted[quoted.length - 1]}`;
}

/** A library caller's array may have holes (`[8, , 16]`), which forEach and map skip: made undefined here,
 * they are reported like any other missing element. */
function holesAsUndefined(list: readonly unknown[]): unknown[] {
  return Array.from(list);
}

/** Checks one value against its kind; returns the value to use, or undefined after adding problems. */
function checkValue(kind: ArgKind, value: unknown, path: string, problems: Problem[]): unknown {
  const bad = (expected: string, suffix = '') => {
    problems.push({ path, message: `expected ${expected}, got ${formatValue(value)}${suffix}` });
    return undefined;
  };
  switch (kind.type) {
    case 'boolean':
      return typeof value === 'boolean' ? value : bad('true or false');
    case 'integer':
      return isInt(value, kind.min) ? value : bad(article(kind.min, 'integer'));
    case 'integerOrNull':
      return value === null || isInt(value, kind.min) ? value : bad(`${article(kind.min, 'integer')} or null`);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) && value >= kind.min
        ? value
        : bad(article(kind.min, 'number'));
    case 'positiveNumberOrNull':
      return value === null || (typeof value === 'number' && Number.isFinite(value) && value > 0)
        ? value
        : bad('a positive number or null');
    case 'string':
      return typeof value === 'string' && value !== '' ? value : bad('a non-empty string');
    case 'stringOrNull':
      return value === null || (typeof value === 'string' && value !== '') ? value : bad('a non-empty string or null');
    case 'enum':
      if (typeof value === 'string' && kind.values.includes(value)) return value;
      return bad(quoteList(kind.values), typeof value === 'string' ? didYouMean(value, kind.values) : '');
    case 'device':
      return typeof value === 'string' && /^(auto|cpu|cuda|cuda:(0|[1-9][0-9]*))$/.test(value)
        ? value
        : bad('"auto", "cpu", "cuda" or "cuda:N"');
    case 'shard': {
      if (value === null) return null;
      const shard = parseShard(value);
      return shard ? formatShard(shard) : bad('i/n with 1 ≤ i ≤ n such as "1/4", or null');
    }
    case 'integerList': {
      const element = article(kind.min, 'integer');
      if (!Array.isArray(value)) return bad(`a list of ${element.replace(/^an? /, '')}s such as [8]`);
      const list = holesAsUndefined(value);
      if (list.length === 0) {
        problems.push({ path, message: 'expected at least one value, got []' });
        return undefined;
      }
      const before = problems.length;
      const firstIndex = new Map<number, number>();
      list.forEach((v, i) => {
        if (!isInt(v, kind.min)) {
          problems.push({ path: `${path}[${i}]`, message: `expected ${element}, got ${formatValue(v)}` });
          return;
        }
        const first = firstIndex.get(v);
        if (first !== undefined) problems.push({ path: `${path}[${i}]`, message: `${v} is already in ${path}[${first}]` });
        else firstIndex.set(v, i);
      });
      return problems.length > before ? undefined : list;
    }
    case 'models': {
      if (!Array.isArray(value)) {
        return bad(typeof value === 'string' ? `a list such as [${JSON.stringify(value)}]` : 'a list of model ids, paths or inline models');
      }
      const before = problems.length;
      const refs = holesAsUndefined(value).map((v, i) => checkModelRef(v, `${path}[${i}]`, problems));
      return problems.length > before ? undefined : refs;
    }
    case 'configs': {
      if (!Array.isArray(value)) return bad('a list of config objects');
      const before = problems.length;
      const refs = holesAsUndefined(value).map((v, i) => checkConfigEntry(v, `${path}[${i}]`, problems));
      return problems.length > before ? undefined : refs;
    }
  }
}

const NUMERIC = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
const toNumber = (v: unknown) => (typeof v === 'string' && NUMERIC.test(v.trim()) ? Number(v) : v);

/** Flags arrive as strings or loosely typed lists: turn them into what the kind expects where that is
 * unambiguous ("8" → 8, "8,16" → [8, 16], "false" → false). Anything else is left for checkValue. */
function coerceFlag(kind: ArgKind, value: unknown): unknown {
  switch (kind.type) {
    case 'boolean':
      return value === 'true' ? true : value === 'false' ? false : value;
    case 'integer':
    case 'number':
      return toNumber(value);
    case 'integerOrNull':
    case 'positiveNumberOrNull':
      return value === 'null' || value === 'none' ? null : toNumber(value);
    case 'integerList': {
      const list = typeof value === 'string' ? value.split(/[\s,]+/).filter((s) => s !== '') : Array.isArray(value) ? value : [value];
      return list.map(toNumber);
    }
    case 'models':
      return typeof value === 'string' ? [value] : value;
    default:
      return value;
  }
}

/** The problem for a key that is not an argument. */
function unknownKey(name: string, path: string): Problem {
  const advice = ownValue(UNSUPPORTED_HF_ARGS, name);
  if (advice !== undefined) return { path, message: `Hugging Face's "${name}" is not supported by tfbench: ${advice}` };
  const suggestion = didYouMean(
    name,
    ARG_DEFINITIONS.map((d) => d.key),
  );
  return { path, message: `unknown argument${suggestion}` };
}

/**
 * Parses args.json contents (`input`; undefined or null for none) and CLI flags (`overrides`, camelCase
 * keys, undefined values ignored; flags win over the file). Fills defaults and checks every key,
 * returning every problem found.
 */
export function parseArgs(input: unknown, overrides: Record<string, unknown> = {}): ParseArgsResult {
  const tooDeep = tooDeepProblems(input, overrides);
  if (tooDeep.length > 0) return { ok: false, problems: tooDeep };
  const problems: Problem[] = [];
  const notes: Problem[] = [];
  const given = new Map<ArgKey, Given>();

  const source = input ?? {};
  const rootOk = isPlainObject(source);
  if (!isPlainObject(source)) {
    problems.push({ path: ROOT_PATH, message: `expected an object of arguments, got ${formatValue(source)}` });
  } else {
    for (const [name, raw] of Object.entries(source)) {
      if (name === '$schema') continue;
      const note = ownValue(NOTED_HF_ARGS, name);
      if (note !== undefined) {
        if (typeof raw === 'boolean') notes.push({ path: name, message: note });
        else problems.push({ path: name, message: `expected true or false, got ${formatValue(raw)}` });
        continue;
      }
      let definition = argDefinition(name);
      let value = raw;
      if (definition === undefined) {
        const alias = aliases.get(name);
        if (alias === undefined) {
          problems.push(unknownKey(name, keyPath('', name)));
          continue;
        }
        definition = alias.definition;
        if (typeof alias.alias !== 'string') {
          if (typeof raw !== 'boolean') {
            problems.push({ path: name, message: `expected true or false, got ${formatValue(raw)}` });
            continue;
          }
          value = raw ? alias.alias.ifTrue : alias.alias.ifFalse;
        }
      }
      const previous = given.get(definition.key);
      if (previous !== undefined) {
        problems.push({ path: name, message: `sets the same argument as "${previous.path}" (${definition.key}); keep one of them` });
        continue;
      }
      given.set(definition.key, { value, path: name });
    }
  }

  for (const [key, raw] of Object.entries(overrides)) {
    if (raw === undefined) continue;
    const definition = argDefinition(key);
    if (definition === undefined) {
      // A library caller's key may hold anything: written as a JSON string unless it is a plain name.
      const path = keyPath('', key) === key ? flagName(key) : JSON.stringify(key);
      problems.push({ path, message: `unknown option${didYouMean(key, ARG_DEFINITIONS.map((d) => d.key)).replace(/"([^"]+)"/g, (_, k: string) => flagName(k))}` });
      continue;
    }
    given.set(definition.key, { value: coerceFlag(definition.kind, raw), path: flagName(key) });
  }

  const values = new Map<ArgKey, unknown>();
  for (const definition of ARG_DEFINITIONS) {
    const entry = given.get(definition.key);
    if (entry === undefined) {
      values.set(definition.key, structuredClone(definition.default));
      continue;
    }
    const checked = checkValue(definition.kind, entry.value, entry.path, problems);
    if (checked !== undefined) values.set(definition.key, checked);
  }

  const pathOf = (key: ArgKey) => given.get(key)?.path ?? key;
  if (rootOk) crossCheck(values, given, pathOf, problems); // else "models required" would only add noise

  if (problems.length > 0) return { ok: false, problems };
  const args = Object.fromEntries(values) as unknown as BenchmarkArgs;
  return { ok: true, args, notes };
}

/** Values nested past MAX_JSON_DEPTH, in the file or a flag: refused before anything copies or prints them. */
function tooDeepProblems(input: unknown, overrides: Record<string, unknown>): Problem[] {
  const problems: Problem[] = [];
  const message = `nested more than ${MAX_JSON_DEPTH} levels deep (objects and arrays); arguments and configs need a few`;
  const inFile = tooDeepPath(input);
  if (inFile !== undefined) problems.push({ path: inFile, message });
  for (const [key, value] of Object.entries(overrides)) {
    // A flag's value sits one level below the arguments object.
    const inFlag = tooDeepPath(value, MAX_JSON_DEPTH - 1);
    if (inFlag !== undefined) problems.push({ path: `${flagName(key)}${inFlag.startsWith('[') ? '' : '.'}${inFlag}`, message });
  }
  return problems;
}

/** Checks between keys; merges `configs` into `models`. */
function crossCheck(
  values: Map<ArgKey, unknown>,
  given: Map<ArgKey, Given>,
  pathOf: (key: ArgKey) => string,
  problems: Problem[],
): void {
  mergeModels(values, given, pathOf, problems);

  const minTime = values.get('minTimeS');
  const maxTime = values.get('maxTimeS');
  if (typeof minTime === 'number' && typeof maxTime === 'number' && minTime > maxTime) {
    const path = given.has('minTimeS') || !given.has('maxTimeS') ? pathOf('minTimeS') : pathOf('maxTimeS');
    problems.push({ path, message: `minTimeS (${minTime}) is greater than maxTimeS (${maxTime})` });
  }
  if (values.get('inference') === false && values.get('training') === false && values.get('generate') === false) {
    const message = 'inference, training and generate are all false: nothing to measure';
    problems.push({ path: pathOf('inference'), message });
  }
  if (values.get('speed') === false && values.get('memory') === false) {
    problems.push({ path: pathOf('speed'), message: 'speed and memory are both false: nothing to measure' });
  }
}

function mergeModels(
  values: Map<ArgKey, unknown>,
  given: Map<ArgKey, Given>,
  pathOf: (key: ArgKey) => string,
  problems: Problem[],
): void {
  const models = values.get('models') as ModelRef[] | undefined;
  const configs = values.get('configs') as InlineModelRef[] | undefined;
  if (models === undefined || configs === undefined) return; // already reported
  const modelsPath = pathOf('models');
  const configsPath = pathOf('configs');

  let merged: ModelRef[];
  let listPath: string;
  if (configs.length === 0) {
    if (models.length === 0) {
      problems.push({
        path: modelsPath,
        message: given.has('models')
          ? 'expected at least one model, got []'
          : 'required: a list of model ids, paths or inline models (or give "configs")',
      });
      return;
    }
    merged = models;
    listPath = modelsPath;
  } else {
    listPath = models.length > 0 ? modelsPath : configsPath;
    if (models.length === 0) {
      configs.forEach((c, i) => {
        if (c.name === '') {
          problems.push({
            path: `${configsPath}[${i}]`,
            message: 'needs a name: give "models" with one name per config, or write { "name": …, "config": { … } }',
          });
        }
      });
    } else if (models.length !== configs.length) {
      problems.push({
        path: modelsPath,
        message: `with "configs", "models" holds one name per config: expected ${configs.length} names, got ${models.length}`,
      });
    } else {
      models.forEach((m, i) => {
        const config = configs[i];
        if (typeof m !== 'string') {
          problems.push({
            path: `${modelsPath}[${i}]`,
            message: `with "configs", "models" entries are the configs' names: expected a string, got ${formatValue(m)}`,
          });
        } else if (config !== undefined && config.name !== '' && config.name !== m) {
          problems.push({
            path: `${configsPath}[${i}].name`,
            message: `${JSON.stringify(config.name)} differs from ${modelsPath}[${i}] (${JSON.stringify(m)})`,
          });
        } else if (config !== undefined) {
          config.name = m;
        }
      });
    }
    merged = configs;
  }

  const seen = new Map<string, number>();
  merged.forEach((ref, i) => {
    const name = modelName(ref);
    if (name === '') return;
    const first = seen.get(name);
    if (first !== undefined) {
      problems.push({ path: `${listPath}[${i}]`, message: `the name ${JSON.stringify(name)} is already used by ${listPath}[${first}]` });
    } else seen.set(name, i);
  });
  values.set('models', merged.map((r) => structuredClone(r)));
}
