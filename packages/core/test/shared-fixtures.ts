// Where the shared fixtures are (../shared/fixtures beside the repository, see its README), and the skip reason a
// test gives where they are not: a clone on another machine may have no ../shared.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** ../shared/fixtures relative to the repository root (this file is packages/core/test/shared-fixtures.ts). */
export const SHARED_FIXTURES = fileURLToPath(new URL('../../../../shared/fixtures', import.meta.url));

/** The path of `relative` under the shared fixtures. */
export function sharedFixture(relative: string): string {
  return `${SHARED_FIXTURES}/${relative}`;
}

/** A test's `skip` option: false when every path is there, else a reason naming the first one missing. */
export function skipWithoutShared(...relatives: string[]): string | false {
  const missing = relatives.map(sharedFixture).find((p) => !existsSync(p));
  return missing === undefined ? false : `${missing} is not there (the shared fixtures sit beside the repository, in ../shared)`;
}
