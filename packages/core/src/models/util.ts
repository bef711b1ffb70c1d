import { keyPath } from '../errors.js';

/** `table[key]` when `key` is one of the table's own keys, else undefined: a name read from a file that
 * happens to be `constructor`, `toString` or `__proto__` must not find Object.prototype's members. */
export function ownValue<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/** A JSON object: not null, not an array. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** How many objects and arrays deep args.json and config.json may nest. Hugging Face configs nest 3 levels
 * (task_specific_params.summarization.…); JSON.stringify, structuredClone and String() recurse, and overflow
 * the stack (a RangeError, not a message) at a few thousand levels. */
export const MAX_JSON_DEPTH = 64;

/**
 * The path (`a.b[2]`, '' for `value` itself) of the first object or array inside `value` that sits more than
 * `maxDepth` containers deep, or undefined when none does. Walks with its own stack, so any depth is safe.
 */
export function tooDeepPath(value: unknown, maxDepth = MAX_JSON_DEPTH): string | undefined {
  const stack: Array<{ value: unknown; path: string; depth: number }> = [{ value, path: '', depth: 0 }];
  while (stack.length > 0) {
    const item = stack.pop()!;
    if (typeof item.value !== 'object' || item.value === null) continue;
    if (item.depth > maxDepth) return item.path;
    if (Array.isArray(item.value)) {
      item.value.forEach((v, i) => stack.push({ value: v, path: `${item.path}[${i}]`, depth: item.depth + 1 }));
    } else {
      for (const [k, v] of Object.entries(item.value)) {
        stack.push({ value: v, path: keyPath(item.path, k), depth: item.depth + 1 });
      }
    }
  }
  return undefined;
}
