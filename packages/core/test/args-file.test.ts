// Reading an args file: its JSON as a value, or a TfbenchError naming the file when it cannot be read or parsed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readArgsFile } from '../src/args/index.js';
import { TfbenchError } from '../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'tfbench-args-file-'));

test('an args file reads as its JSON value', () => {
  const path = join(dir, 'ok.json');
  writeFileSync(path, '{ "models": ["bert-base-uncased"], "batchSizes": [1, 8] }');
  assert.deepEqual(readArgsFile(path), { models: ['bert-base-uncased'], batchSizes: [1, 8] });
});

test('a missing file and a file that is not JSON are BAD_ARGS errors naming the file, with a hint', () => {
  const missing = join(dir, 'nope.json');
  assert.throws(() => readArgsFile(missing), (err) => {
    assert.ok(err instanceof TfbenchError);
    assert.equal(err.code, 'BAD_ARGS');
    assert.equal(err.message, `cannot read args file ${missing}: ENOENT`);
    assert.match(err.hint, /existing args\.json/);
    return true;
  });
  const broken = join(dir, 'broken.json');
  writeFileSync(broken, '{ "models": ["bert-base-uncased"], }');
  assert.throws(() => readArgsFile(broken), (err) => {
    assert.ok(err instanceof TfbenchError);
    assert.equal(err.code, 'BAD_ARGS');
    assert.ok(err.message.startsWith(`${broken} is not valid JSON: `), err.message);
    assert.match(err.hint, /trailing comma/);
    return true;
  });
});
