// The `shard` argument: "i/n" picks the i-th of n shares of a sweep's cells (1-based, as Playwright's and
// Jest's --shard), so n machines can each run one share and `tfbench merge` joins their results.

/** One share of a sweep: shard `index` of `count`, 1 ≤ index ≤ count. */
export interface Shard {
  index: number;
  count: number;
}

const SHARD_TEXT = /^([0-9]+)\/([0-9]+)$/;

/** The JSON Schema pattern of a shard (the schema cannot say index ≤ count; parseArgs checks that). */
export const SHARD_PATTERN = '^[0-9]+/[0-9]+$';

/** "2/4" → { index: 2, count: 4 }; undefined for anything that is not i/n with 1 ≤ i ≤ n. */
export function parseShard(text: unknown): Shard | undefined {
  if (typeof text !== 'string') return undefined;
  const match = SHARD_TEXT.exec(text);
  if (!match) return undefined;
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (!Number.isSafeInteger(count) || index < 1 || index > count) return undefined;
  return { index, count };
}

/** { index: 2, count: 4 } → "2/4". */
export function formatShard(shard: Shard): string {
  return `${shard.index}/${shard.count}`;
}
