// The benchmark arguments as flags of `tfbench run`, generated from the argument table, and the flags a user
// typed as overrides for parseArgs.
import type { Argv, Options } from 'yargs';
import { ARG_DEFINITIONS, argDefinition, defaultText, kebabCase, type ArgDefinition, type ArgKey } from '@tfbench/core';

/** yargs option for one benchmark argument. Defaults are shown, not applied: only flags a user typed
 * override the args file, and parseArgs fills in the rest. Configs (objects) come only from the file. */
function flagOption(d: ArgDefinition): Options | null {
  const base = { describe: d.description, defaultDescription: defaultText(d), group: `${d.group}:` };
  switch (d.kind.type) {
    case 'boolean':
      return { ...base, type: 'boolean' };
    case 'integer':
    case 'integerOrNull':
    case 'number':
    case 'positiveNumberOrNull':
      return { ...base, type: 'number' };
    case 'integerList':
      return { ...base, type: 'number', array: true };
    case 'models':
      return { ...base, type: 'string', array: true };
    case 'enum':
      return { ...base, type: 'string', choices: [...d.kind.values] };
    case 'string':
    case 'stringOrNull':
    case 'device':
    case 'shard':
      return { ...base, type: 'string' };
    case 'configs':
      return null;
  }
}

export function withBenchmarkFlags<T>(y: Argv<T>): Argv<T> {
  for (const d of ARG_DEFINITIONS) {
    const option = flagOption(d);
    if (option) y = y.option(kebabCase(d.key), option);
  }
  return y;
}

/** The flags a user actually typed, as camelCase overrides for parseArgs (yargs also gives kebab-case
 * options under their camelCase names). */
export function flagOverrides(argv: Record<string, unknown>): Record<string, unknown> {
  const overrides: Record<string, unknown> = {};
  for (const d of ARG_DEFINITIONS) {
    if (argv[d.key] !== undefined) overrides[d.key] = argv[d.key];
  }
  return overrides;
}

/** A benchmark argument of an enum kind as another command's option (check's and env's --framework and
 * --tfjs-backend): its choices, default and description, as run has them. */
export function enumOption<T extends string>(key: ArgKey): { choices: T[]; default: T; describe: string } {
  const d = argDefinition(key)!;
  return { choices: (d.kind.type === 'enum' ? [...d.kind.values] : []) as T[], default: d.default as T, describe: d.description };
}
