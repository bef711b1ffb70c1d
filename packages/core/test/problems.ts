// Shared by the family tests: the problems a normalisation failure lists.
import assert from 'node:assert/strict';
import { ModelError } from '../src/errors.js';

/** Runs `fn`, which must throw a ModelError, and returns its problems (path and message). */
export function problemsOf(fn: () => unknown): { path: string; message: string }[] {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ModelError);
    return e.problems.map((p) => ({ path: p.path, message: p.message }));
  }
  assert.fail('expected a ModelError');
}
