// Fuzzed model configs (config.json files and inline configs).
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ModelError } from '../src/errors.js';
import { resolveModel } from '../src/models/index.js';

test('a config.json nested past 64 levels is refused at its path', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tfbench-deep-'));
  const path = join(dir, 'config.json');
  // Written as text: JSON.stringify itself cannot go that deep.
  writeFileSync(path, `{"model_type": "bert", "hidden_act": ${'['.repeat(10_000)}${']'.repeat(10_000)}}`);
  assert.throws(
    () => resolveModel(path, { onlyPretrainModel: false, baseDir: dir }),
    (err) =>
      err instanceof ModelError &&
      err.message === `${path}: the config nests more than 64 levels deep (objects and arrays), at hidden_act${'[0]'.repeat(64)}`,
  );
});
