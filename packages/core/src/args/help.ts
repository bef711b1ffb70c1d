// --help rows and a JSON Schema for args.json, both generated from the argument table.
import { ARG_DEFINITIONS, NOTED_HF_ARGS, aliasName, kebabCase, type ArgDefinition, type ArgGroup, type ArgKind } from './definitions.js';
import { SHARD_PATTERN } from './shard.js';

export interface HelpRow {
  key: string;
  /** `--batch-sizes` */
  flag: string;
  /** What values look like: `positive integers`, `float32|float16|bfloat16`. */
  type: string;
  description: string;
  /** The default as text: `8, 32, 128, 512`, `false`, `libtorch default`. */
  default: string;
  /** Hugging Face names accepted in args.json. */
  aliases: string[];
  group: ArgGroup;
}

/** How values of a kind look, for people. */
export function kindText(kind: ArgKind): string {
  const intWord = (min: number) => (min === 1 ? 'positive integer' : min === 0 ? 'non-negative integer' : `integer >= ${min}`);
  switch (kind.type) {
    case 'boolean':
      return 'boolean';
    case 'integer':
      return intWord(kind.min);
    case 'integerOrNull':
      return intWord(kind.min);
    case 'number':
      return kind.min === 0 ? 'non-negative number' : `number >= ${kind.min}`;
    case 'positiveNumberOrNull':
      return 'positive number';
    case 'integerList':
      return `${intWord(kind.min)}s`;
    case 'string':
      return 'string';
    case 'stringOrNull':
      return 'string';
    case 'enum':
      return kind.values.join('|');
    case 'device':
      return 'auto|cpu|cuda|cuda:N';
    case 'shard':
      return 'i/n';
    case 'models':
      return 'model ids or paths';
    case 'configs':
      return 'config objects';
  }
}

/** The default as --help shows it. */
export function defaultText(definition: ArgDefinition): string {
  if (definition.defaultText !== undefined) return definition.defaultText;
  const value: unknown = definition.default;
  if (value === null) return 'none';
  if (Array.isArray(value)) return value.join(', ');
  return String(value);
}

/** One row per argument, in table order. */
export function helpRows(): HelpRow[] {
  return ARG_DEFINITIONS.map((d) => ({
    key: d.key,
    flag: `--${kebabCase(d.key)}`,
    type: kindText(d.kind),
    description: d.description,
    default: defaultText(d),
    aliases: d.aliases.map(aliasName),
    group: d.group,
  }));
}

type Schema = Record<string, unknown>;

function kindSchema(kind: ArgKind): Schema {
  switch (kind.type) {
    case 'boolean':
      return { type: 'boolean' };
    case 'integer':
      return { type: 'integer', minimum: kind.min };
    case 'integerOrNull':
      return { type: ['integer', 'null'], minimum: kind.min };
    case 'number':
      return { type: 'number', minimum: kind.min };
    case 'positiveNumberOrNull':
      return { type: ['number', 'null'], exclusiveMinimum: 0 };
    case 'integerList':
      return { type: 'array', items: { type: 'integer', minimum: kind.min }, minItems: 1, uniqueItems: true };
    case 'string':
      return { type: 'string', minLength: 1 };
    case 'stringOrNull':
      return { type: ['string', 'null'], minLength: 1 };
    case 'enum':
      return { enum: [...kind.values] };
    case 'device':
      return { type: 'string', pattern: '^(auto|cpu|cuda|cuda:(0|[1-9][0-9]*))$' };
    case 'shard':
      return { type: ['string', 'null'], pattern: SHARD_PATTERN };
    case 'models':
      return { type: 'array', items: { $ref: '#/$defs/modelRef' } };
    case 'configs':
      return {
        type: 'array',
        items: { anyOf: [{ $ref: '#/$defs/inlineModel' }, { type: 'object', required: ['model_type'] }] },
      };
  }
}

/** A JSON Schema (draft 2020-12) of args.json, for editors. parseArgs checks more (between keys). */
export function argsJsonSchema(): Schema {
  const properties: Record<string, Schema> = { $schema: { type: 'string' } };
  for (const d of ARG_DEFINITIONS) {
    properties[d.key] = { description: d.description, ...kindSchema(d.kind), default: d.default };
    for (const alias of d.aliases) {
      properties[aliasName(alias)] =
        typeof alias === 'string'
          ? { description: `Hugging Face name of ${d.key}`, ...kindSchema(d.kind) }
          : {
              description: `Hugging Face flag: true sets ${d.key} to ${JSON.stringify(alias.ifTrue)}, false to ${JSON.stringify(alias.ifFalse)}`,
              type: 'boolean',
            };
    }
  }
  for (const [name, note] of Object.entries(NOTED_HF_ARGS)) properties[name] = { description: `Hugging Face's ${name}: ${note}`, type: 'boolean' };
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'tfbench arguments',
    type: 'object',
    properties,
    additionalProperties: false,
    $defs: {
      inlineModel: {
        type: 'object',
        properties: {
          name: { type: 'string', minLength: 1 },
          base: { type: 'string', minLength: 1, description: 'Known model id or path' },
          config: { type: 'object', description: 'Hugging Face config fields' },
        },
        additionalProperties: false,
      },
      modelRef: { anyOf: [{ type: 'string', minLength: 1 }, { $ref: '#/$defs/inlineModel', required: ['name'] }] },
    },
  };
}
