// Hugging Face ids from the CLI, through a local cache made here (HF_HUB_CACHE) in offline mode: `tfbench models
// --cached` and a run of a cached id. The Hub itself is core's test/hub.test.ts's (a fake Hub on 127.0.0.1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
const COMMIT = 'c'.repeat(40);
const TINY_GPT2 = { model_type: 'gpt2', architectures: ['GPT2LMHeadModel'], vocab_size: 99, n_embd: 32, n_layer: 2, n_head: 4, n_positions: 64 };

/** A cache as huggingface_hub leaves it: each repo's config.json as a blob, the snapshot's symlink, refs/main. */
function cacheWith(configs: Record<string, unknown>): string {
  const cache = mkdtempSync(join(tmpdir(), 'tfbench-cli-hf-'));
  for (const [repoId, config] of Object.entries(configs)) {
    const folder = join(cache, `models--${repoId.replace('/', '--')}`);
    mkdirSync(join(folder, 'blobs'), { recursive: true });
    mkdirSync(join(folder, 'refs'));
    mkdirSync(join(folder, 'snapshots', COMMIT), { recursive: true });
    writeFileSync(join(folder, 'blobs', 'e1'), JSON.stringify(config));
    symlinkSync('../../blobs/e1', join(folder, 'snapshots', COMMIT, 'config.json'));
    writeFileSync(join(folder, 'refs', 'main'), COMMIT);
  }
  return cache;
}

function tfbench(args: string[], cache: string, cwd = process.cwd()) {
  const env = { ...process.env, HF_HUB_CACHE: cache, HF_HUB_OFFLINE: '1' };
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, env, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('models --cached lists what the cache holds: the buildable as `models` does, then the rest with the reason', () => {
  const cache = cacheWith({
    'org/tiny-gpt2': TINY_GPT2,
    'org/mamba': { model_type: 'mamba' },
  });
  const r = tfbench(['models', '--cached'], cache);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.equal(lines[0], `Hugging Face cache ${cache}: 1 model tfbench can build`);
  assert.match(r.stdout, /Model id +│ Type +│ Builds +│ Parameters/);
  assert.match(r.stdout, /org\/tiny-gpt2 +│ gpt2 +│ GPT2LMHeadModel +│ +30,688 ║/);
  assert.match(r.stdout, /\n1 model tfbench cannot build:\n {2}org\/mamba: model_type "mamba" is not supported \(supported: "bert", /);

  const empty = tfbench(['models', '--cached'], join(cache, 'nothing-here'));
  assert.equal(empty.code, 0, empty.stderr);
  assert.equal(empty.stdout, `No model in the Hugging Face cache ${join(cache, 'nothing-here')} has a config.json at main.\n`);
  assert.match(tfbench(['models', '--help'], cache).stdout, /--cached +List the models of the local Hugging Face cache/);
});

test('run resolves a cached Hugging Face id offline and records the repo, revision and commit', () => {
  const cache = cacheWith({ 'org/tiny-gpt2': TINY_GPT2 });
  const dir = mkdtempSync(join(tmpdir(), 'tfbench-cli-'));
  const r = tfbench(
    ['run', '--models', 'org/tiny-gpt2', '--device', 'cpu', '--batch-sizes', '1', '--sequence-lengths', '8', '--no-memory', '--min-time-s', '0.05', '--json', 'r.json'],
    cache,
    dir,
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^org\/tiny-gpt2 +1 +8 +\d/m);
  const record = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')).records[0];
  assert.deepEqual(record.hub, { repoId: 'org/tiny-gpt2', revision: 'main', commit: COMMIT });
  assert.equal(record.parameterCount, 30_688);

  const missing = tfbench(['run', '--models', 'org/not-cached', '--device', 'cpu'], cache, dir);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /models\[0\]: unknown model "org\/not-cached": .*not in the Hugging Face cache .*offline mode is on \(HF_HUB_OFFLINE=1\)/);
  assert.match(missing.stderr, /hint: .*huggingface-cli download org\/not-cached config\.json/);
  assert.equal(missing.stdout, '', 'nothing is half-run');
});
