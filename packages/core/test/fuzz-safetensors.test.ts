// Malformed safetensors files: the TypeScript reader and the addon's loadWeights end every one in a clear
// error naming the file, never a crash, an abort or a hang.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { WeightsError } from '../src/errors.js';
import { readSafetensors, readSafetensorsHeader } from '../src/models/index.js';

test('a directory or a FIFO named *.safetensors is refused without opening it', { timeout: 10_000 }, (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tfbench-st-'));
  const sub = join(dir, 'model.safetensors');
  mkdirSync(sub);
  const refused = (path: string) =>
    assert.throws(() => readSafetensorsHeader(path), (err) => err instanceof WeightsError && /^.*: not a file \(a (directory|device, FIFO or socket)\)$/.test(err.message));
  refused(sub);
  assert.throws(() => readSafetensors(sub), { message: `${sub}: not a file (a directory)` });
  const fifo = join(dir, 'pipe.safetensors');
  if (spawnSync('mkfifo', [fifo]).status !== 0) {
    t.diagnostic('mkfifo is not available here: the FIFO case is not run');
    return;
  }
  assert.throws(() => readSafetensorsHeader(fifo), { message: `${fifo}: not a file (a device, FIFO or socket)` }); // opening it would block
});
