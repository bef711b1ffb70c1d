// The offline bundle (`pnpm bundle`, scripts/bundle.mjs) for hosts without Node, npm or network: made from the
// built repository, under 60 MiB, and working when copied elsewhere: build-addon.sh builds the addon against
// the libtorch it finds, then the launcher runs a tiny sweep (cells isolated in child processes, so the bundled
// worker runs too) with the bundled Node. The build compiles the whole addon (~45 s on 2 cores).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');

function missingTools(): string[] {
  const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
  return ['xz', 'cmake', 'c++'].filter((tool) => !has(tool));
}

test('pnpm bundle: one folder under 60 MiB that builds its addon on the host and runs tfbench with its own Node', { timeout: 600_000 }, (t) => {
  const missing = missingTools();
  if (missing.length > 0) return t.skip(`needs ${missing.join(', ')} (sh scripts/setup-system.sh installs them)`);
  const work = mkdtempSync(join(tmpdir(), 'tfbench-bundle-'));
  const made = join(work, 'made');
  const bundled = spawnSync(process.execPath, [join(repoRoot, 'scripts', 'bundle.mjs'), '--out', made], { encoding: 'utf8' });
  assert.equal(bundled.status, 0, bundled.stderr);
  const mib = Number(/\(([\d.]+) MiB\)/.exec(bundled.stdout)?.[1]);
  assert.ok(mib > 10 && mib < 60, `bundle is ${mib} MiB`);

  // Copied elsewhere, as onto a GPU node; nothing of the repository is reachable from the copy.
  const host = join(work, 'host', 'tfbench');
  cpSync(made, host, { recursive: true });
  assert.equal(spawnSync(join(host, 'tfbench'), ['env'], { encoding: 'utf8' }).status, 2, 'no addon yet: exit 2 and say how to build it');
  const build = spawnSync(join(host, 'build-addon.sh'), [], { encoding: 'utf8' });
  assert.equal(build.status, 0, build.stdout + build.stderr);
  assert.ok(existsSync(join(host, 'addon', 'tfbench_native.node')));

  const args = join(work, 'tiny.json');
  writeFileSync(args, readFileSync(join(repoRoot, 'examples', 'tiny-bert.json'), 'utf8'));
  const env = { ...process.env, PATH: '/usr/bin:/bin' }; // the launcher runs the bundled node, not this one
  const run = spawnSync(join(host, 'tfbench'), ['run', args, '--quiet', '--device', 'cpu', '--sequence-lengths', '8', '--batch-sizes', '1'], { encoding: 'utf8', env });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /INFERENCE - SPEED - RESULT/);
  assert.match(run.stdout, /^tiny-bert +1 +8 +\d/m);
  const version = spawnSync(join(host, 'node', 'node'), ['--version'], { encoding: 'utf8' }).stdout.trim();
  assert.equal(version, process.version);
  const environment = spawnSync(join(host, 'tfbench'), ['env'], { encoding: 'utf8', env });
  assert.match(environment.stdout, /- framework: libtorch/);
});
