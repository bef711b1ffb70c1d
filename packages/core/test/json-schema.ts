// A validator for the subset of JSON Schema tfbench's shipped schemas use, for tests that check a file against
// packages/core/schemas/*.json (written by `pnpm build`).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export type Schema = Record<string, any>;

/** The subset of JSON Schema the shipped schemas use: type, const, enum, pattern, required, properties,
 * items, anyOf, $ref to #/$defs. Returns the paths that fail. */
export function validate(value: unknown, schema: Schema, root: Schema, path = '$'): string[] {
  if (schema.$ref) return validate(value, root.$defs[schema.$ref.replace('#/$defs/', '')], root, path);
  if (schema.anyOf) {
    return schema.anyOf.some((s: Schema) => validate(value, s, root, path).length === 0) ? [] : [`${path}: matches no alternative`];
  }
  const errors: string[] = [];
  const typeOk = (t: string) =>
    t === 'null' ? value === null
      : t === 'integer' ? Number.isInteger(value)
      : t === 'array' ? Array.isArray(value)
      : t === 'object' ? typeof value === 'object' && value !== null && !Array.isArray(value)
      : typeof value === t;
  if (schema.type && ![schema.type].flat().some(typeOk)) return [`${path}: not ${schema.type}`];
  if ('const' in schema && value !== schema.const) errors.push(`${path}: not ${schema.const}`);
  if (schema.enum && !schema.enum.includes(value)) errors.push(`${path}: not one of ${schema.enum}`);
  if (schema.pattern && typeof value === 'string' && !new RegExp(schema.pattern).test(value)) errors.push(`${path}: does not match ${schema.pattern}`);
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    for (const key of schema.required ?? []) if (!(key in value)) errors.push(`${path}.${key}: missing`);
    for (const [key, sub] of Object.entries(schema.properties ?? {})) {
      if (key in value) errors.push(...validate((value as Record<string, unknown>)[key], sub as Schema, root, `${path}.${key}`));
    }
  }
  if (Array.isArray(value) && schema.items) value.forEach((v, i) => errors.push(...validate(v, schema.items, root, `${path}[${i}]`)));
  return errors;
}

/** A shipped schema: packages/core/schemas/<name>. */
export function schemaFile(name: string): Schema {
  return JSON.parse(readFileSync(fileURLToPath(new URL(`../schemas/${name}`, import.meta.url)), 'utf8'));
}
