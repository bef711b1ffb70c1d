// Reads fields of a Hugging Face config with class defaults, collecting every problem with its key.
import { formatValue, type Problem } from '../errors.js';
import type { HfConfig } from './types.js';

export class ConfigReader {
  readonly problems: Problem[] = [];

  constructor(
    readonly config: HfConfig,
    private readonly defaults: Readonly<Record<string, unknown>>,
  ) {}

  /** The config's value when the key is present (null included, as Hugging Face keeps an explicit null),
   * else the class default. */
  raw(key: string): unknown {
    return Object.hasOwn(this.config, key) && this.config[key] !== undefined ? this.config[key] : this.defaults[key];
  }

  problem(path: string, message: string): void {
    this.problems.push({ path, message });
  }

  /** The key `field` is read under: its attribute_map alias when the config sets that (the alias wins in
   * transformers), else the field itself. */
  aliasedKey<Field extends string>(field: Field, attributeMap: Readonly<Record<Field, string>>): string {
    const alias = attributeMap[field];
    return Object.hasOwn(this.config, alias) && this.config[alias] !== undefined ? alias : field;
  }

  /** A problem at `key` when `value` is not a multiple of `divisor` (read from `divisorKey`), unless either key
   * already has a problem (its value is then a placeholder). `note` ends the message. */
  requireMultiple(key: string, value: number, divisorKey: string, divisor: number, note = ''): void {
    if (this.problems.some((p) => p.path === key || p.path === divisorKey)) return;
    if (value % divisor !== 0) this.problem(key, `${value} is not a multiple of ${divisorKey} (${divisor})${note}`);
  }

  positiveInt(key: string): number {
    const v = this.raw(key);
    if (typeof v === 'number' && Number.isSafeInteger(v) && v > 0) return v;
    this.problem(key, `expected a positive integer, got ${formatValue(v)}`);
    return 1;
  }

  int(key: string, min: number, maxExclusive?: number): number {
    const v = this.raw(key);
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= min && (maxExclusive === undefined || v < maxExclusive)) {
      return v;
    }
    const range = maxExclusive === undefined ? `>= ${min}` : `in [${min}, ${maxExclusive})`;
    this.problem(key, `expected an integer ${range}, got ${formatValue(v)}`);
    return min;
  }

  /** A finite number in a range; `exclusiveMin` makes the lower bound strict. */
  number(key: string, range: { min: number; max?: number; exclusiveMin?: boolean }): number {
    const v = this.raw(key);
    const ok =
      typeof v === 'number' &&
      Number.isFinite(v) &&
      (range.exclusiveMin ? v > range.min : v >= range.min) &&
      (range.max === undefined || v <= range.max);
    if (ok) return v;
    const lower = range.exclusiveMin ? `> ${range.min}` : `>= ${range.min}`;
    const bounds = range.max === undefined ? lower : `${lower} and <= ${range.max}`;
    this.problem(key, `expected a number ${bounds}, got ${formatValue(v)}`);
    return range.min;
  }

  boolean(key: string): boolean {
    const v = this.raw(key);
    if (typeof v === 'boolean') return v;
    this.problem(key, `expected true or false, got ${formatValue(v)}`);
    return false;
  }

  string(key: string): string {
    const v = this.raw(key);
    if (typeof v === 'string') return v;
    this.problem(key, `expected a string, got ${formatValue(v)}`);
    return '';
  }

  /** `architectures`: absent, null or [] give undefined; else the first class name. */
  firstArchitecture(): string | undefined {
    const v = this.raw('architectures');
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || !v.every((a) => typeof a === 'string')) {
      this.problem('architectures', `expected a list of model class names, got ${formatValue(v)}`);
      return undefined;
    }
    return v[0] as string | undefined;
  }
}
