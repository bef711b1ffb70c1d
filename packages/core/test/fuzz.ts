// Shared by the property tests of malformed inputs (fuzz-*.test.ts): how many cases, how long, and the report.
//
// fast-check rather than a generator of our own: a failing input is shrunk to a small one before it is
// reported, the report names the seed and path that replay exactly that case (TFBENCH_FUZZ_SEED, or
// fc.assert's { seed, path }), its arbitraries already reach the edges that matter here (unicode graphemes,
// -0, NaN, ±Infinity, 2^53, nested JSON, raw bytes), and it is maintained elsewhere instead of being one more
// thing to keep correct in this repository.
//
// `pnpm test` runs each property for `runs` cases or until its time limit, whichever comes first. The long
// pass (`pnpm fuzz`, scripts/fuzz.mjs) sets TFBENCH_FUZZ_RUNS, which every property then runs in full
// (no time limit unless TFBENCH_FUZZ_TIME_S is set too).
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import fc from 'fast-check';

function positiveEnv(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name}=${raw}: expected a positive number`);
  return value;
}

/** Cases per property: TFBENCH_FUZZ_RUNS, else the property's own small default. */
export function fuzzRuns(defaultRuns: number): number {
  return Math.floor(positiveEnv('TFBENCH_FUZZ_RUNS') ?? defaultRuns);
}

export interface PropertyLimits {
  /** Cases under `pnpm test`. */
  runs: number;
  /** Seconds under `pnpm test`; the property stops after this many even if fewer cases ran. */
  seconds: number;
}

/** fast-check parameters for one property under the current environment. */
export function fuzzParameters(limits: PropertyLimits): { numRuns: number; interruptAfterTimeLimit?: number; seed?: number } {
  const long = positiveEnv('TFBENCH_FUZZ_RUNS') !== undefined;
  const seconds = positiveEnv('TFBENCH_FUZZ_TIME_S') ?? (long ? undefined : limits.seconds);
  const seed = process.env.TFBENCH_FUZZ_SEED ? Number(process.env.TFBENCH_FUZZ_SEED) : undefined;
  if (seed !== undefined && !Number.isSafeInteger(seed)) throw new Error(`TFBENCH_FUZZ_SEED=${process.env.TFBENCH_FUZZ_SEED}: expected an integer`);
  return {
    numRuns: fuzzRuns(limits.runs),
    ...(seconds === undefined ? {} : { interruptAfterTimeLimit: seconds * 1000 }),
    ...(seed === undefined ? {} : { seed }),
  };
}

/**
 * Runs a property and fails the test with fast-check's report (the shrunk counterexample, its seed and
 * path) when a case fails. On success prints `fuzz <name>: <n> cases in <s> s, 0 failures (seed <seed>)`,
 * the line scripts/fuzz.mjs collects.
 */
export async function checkProperty<Ts extends [unknown, ...unknown[]]>(
  t: TestContext,
  name: string,
  property: fc.IRawProperty<Ts>,
  limits: PropertyLimits,
): Promise<number> {
  const started = performance.now();
  const details = await fc.check(property, fuzzParameters(limits));
  const seconds = (performance.now() - started) / 1000;
  if (details.failed) {
    const error = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
    assert.fail(`fuzz ${name}: ${fc.defaultReportMessage(details) ?? 'failed'}\nError: ${error}`);
  }
  t.diagnostic(`fuzz ${name}: ${details.numRuns} cases in ${seconds.toFixed(1)} s, 0 failures (seed ${details.seed})`);
  return details.numRuns;
}

/** A value `depth` arrays (or objects `{ "a": … }`) deep around 1: past a few thousand levels, deeper than
 * JSON.stringify can recurse. fast-check's own printer recurses too, so a report shows it as `nested(d, kind)`
 * (a non-enumerable fc.toStringMethod, which JSON, structuredClone and Object.entries do not see). */
export function nested(depth: number, kind: 'array' | 'object'): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = kind === 'array' ? [value] : { a: value };
  if (depth > 0) Object.defineProperty(value, fc.toStringMethod, { value: () => `nested(${depth}, '${kind}')`, enumerable: false });
  return value;
}

/** Numbers at the edges: zero and negative zero, negatives, 2^53 and past it, huge, tiny, NaN, ±Infinity. */
export const edgeNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(0, -0, -1, 1, 0.5, 2 ** 31, 2 ** 32, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, 2 ** 63, 1e12, 1e308, Number.MAX_VALUE, 5e-324, -1e12, NaN, Infinity, -Infinity),
  fc.integer(),
  fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }),
  fc.double(),
);

/** Names that are members of every object (Object.prototype's): a table lookup must not find them. */
export const PROTOTYPE_NAMES = ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'] as const;

/** Whatever a JSON file or a library caller can hand over: JSON with unicode strings, edge numbers, deep
 * nesting, and (for library callers) values JSON cannot hold. */
export const wildValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ stringUnit: 'grapheme', maxDepth: 3 }) },
  { weight: 3, arbitrary: edgeNumber },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.constantFrom(...PROTOTYPE_NAMES) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) }, // control characters, lone surrogates
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 60, max: 20_000 }), fc.constantFrom('array' as const, 'object' as const)).map(([d, k]) => nested(d, k)) },
  {
    weight: 1,
    arbitrary: fc.anything({
      maxDepth: 2,
      stringUnit: 'grapheme',
      withBigInt: true,
      withBoxedValues: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withNullPrototype: true,
      withTypedArray: true,
      withSparseArray: true,
    }),
  },
);
