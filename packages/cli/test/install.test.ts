// End to end: install tfbench as a user would — `pnpm pack` the three packages, `npm install` the tarballs into
// an empty directory — and run it:
//   1. with the prebuilt addon, on a PATH without cmake, a compiler, make or python3: `npx tfbench run` works;
//   2. with the prebuilt addon taken out of the tarball: the install says it builds from source, and the run works;
//   3. with libtorch hidden (LIBTORCH naming an empty directory, which is then the only place looked at): the
//      install, and a run of an installed tfbench, fail with an error naming libtorch and how to get it; without
//      a prebuilt addon and without build tools, the install names each missing tool.
// Needs the built repository (`pnpm build`: the prebuilt addon is made from build/Release), pnpm, and the npm
// registry or a warm npm cache for the packages' dependencies. The build from source takes a minute or more.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tinyBert } from './tiny-bert.js';

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');

/** `pnpm pack`'s file name for packages/<pkg>: tfbench-<pkg>-<version>.tgz, the version from its package.json. */
function tarballName(pkg: 'native' | 'core' | 'cli'): string {
  const { version } = JSON.parse(readFileSync(join(repoRoot, 'packages', pkg, 'package.json'), 'utf8')) as { version: string };
  return `tfbench-${pkg}-${version}.tgz`;
}
const work = mkdtempSync(join(tmpdir(), 'tfbench-install-'));
const tarballs = join(work, 'tarballs');
const emptyLibtorch = join(work, 'empty-libtorch-dir');

const tinyArgs = {
  models: [tinyBert],
  device: 'cpu',
  batchSizes: [1],
  sequenceLengths: [8],
  warmup: 1,
  minSamples: 3,
  minTimeS: 0.05,
  maxTimeS: 1,
};

function onPath(name: string): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, name);
    if (dir && existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  throw new Error(`${name} is not on PATH`);
}

/** A directory holding node, npm, npx and sh only: with it as PATH there is no cmake, c++, g++, cc, make or
 * python3, as on a user's machine without build tools. */
function bareBinDir(): string {
  const bin = join(work, 'bare-bin');
  mkdirSync(bin);
  symlinkSync(realpathSync(process.execPath), join(bin, 'node'));
  for (const name of ['npm', 'npx', 'sh']) symlinkSync(realpathSync(onPath(name)), join(bin, name));
  return bin;
}

/** A clean environment: nothing from the pnpm script running this test (npm_config_*, node_modules/.bin). */
function userEnv(path: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: path, ...extra };
  for (const key of ['HOME', 'USER', 'LANG', 'TMPDIR', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy']) {
    if (process.env[key] !== undefined) env[key] = process.env[key];
  }
  return env;
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): SpawnSyncReturns<string> {
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: 15 * 60_000 });
  if (result.error) throw result.error;
  return result;
}

/** `npm install` of the three tarballs into a fresh project directory, from the local npm cache where it can. */
function npmInstall(name: string, nativeTarball: string, env: NodeJS.ProcessEnv, options: { foregroundScripts: boolean }) {
  const project = join(work, name);
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name, private: true }));
  writeFileSync(join(project, 'tiny.json'), JSON.stringify(tinyArgs));
  const args = ['install', '--no-audit', '--no-fund', '--prefer-offline'];
  if (options.foregroundScripts) args.push('--foreground-scripts');
  args.push(join(tarballs, tarballName('cli')), join(tarballs, tarballName('core')), nativeTarball);
  const result = run(join(String(env.PATH).split(delimiter)[0]!, 'npm'), args, project, env);
  return { project, code: result.status, output: `${result.stdout}\n${result.stderr}` };
}

function tfbenchRun(project: string, env: NodeJS.ProcessEnv, flags: string[] = []) {
  const result = run(join(String(env.PATH).split(delimiter)[0]!, 'npx'), ['tfbench', 'run', 'tiny.json', '--quiet', ...flags], project, env);
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

let bareBin = '';
let withPrebuilt = '';
let withoutPrebuilt = '';

before(() => {
  bareBin = bareBinDir();
  mkdirSync(emptyLibtorch);
  for (const pkg of ['native', 'core', 'cli']) {
    // prepack of @tfbench/native makes prebuilds/linux-x64/ from build/Release and copies in CMakeLists.txt and cmake/.
    const packed = run(onPath('pnpm'), ['pack', '--pack-destination', tarballs], join(repoRoot, 'packages', pkg), process.env);
    assert.equal(packed.status, 0, `pnpm pack in packages/${pkg} failed:\n${packed.stdout}\n${packed.stderr}`);
  }
  withPrebuilt = join(tarballs, tarballName('native'));
  const listing = run('tar', ['-tzf', withPrebuilt], work, process.env).stdout;
  assert.match(listing, /package\/prebuilds\/linux-x64\/tfbench_native\.node/);
  assert.match(listing, /package\/prebuilds\/linux-x64\/tfbench_native\.json/);
  assert.match(listing, /package\/CMakeLists\.txt/);
  assert.match(listing, /package\/cmake\/FindLibtorch\.cmake/);
  assert.match(listing, /package\/src\/addon\.cc/);

  // The same tarball without its prebuilt addon, as for a platform it has none for.
  const unpacked = join(work, 'unpacked');
  mkdirSync(unpacked);
  run('tar', ['-xzf', withPrebuilt, '-C', unpacked], work, process.env);
  rmSync(join(unpacked, 'package', 'prebuilds'), { recursive: true });
  mkdirSync(join(work, 'no-prebuilt'));
  withoutPrebuilt = join(work, 'no-prebuilt', tarballName('native'));
  run('tar', ['-czf', withoutPrebuilt, '-C', unpacked, 'package'], work, process.env);
});

after(() => rmSync(work, { recursive: true, force: true }));

test('npm install uses the prebuilt addon on a machine without build tools, and `npx tfbench run` works', { timeout: 10 * 60_000 }, () => {
  const env = userEnv(bareBin);
  const install = npmInstall('with-prebuilt', withPrebuilt, env, { foregroundScripts: true });
  assert.equal(install.code, 0, install.output);
  assert.match(install.output, /@tfbench\/native: using the prebuilt addon for linux-x64 with libtorch 1\.13/);
  assert.ok(!existsSync(join(install.project, 'node_modules', '@tfbench', 'native', 'build')), 'nothing was built');

  const r = tfbenchRun(install.project, env);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /INFERENCE - SPEED - RESULT/);
  assert.match(r.stdout, /^\s*tiny-bert\s+1\s+8\s/m);

  // The installed tfbench with libtorch out of reach: the first run says what is missing and how to get it.
  const hidden = tfbenchRun(install.project, userEnv(bareBin, { LIBTORCH: emptyLibtorch }));
  assert.equal(hidden.code, 2, hidden.stderr);
  assert.match(hidden.stderr, new RegExp(`tfbench: libtorch was not found: .*LIBTORCH=${emptyLibtorch}`));
  assert.match(hidden.stderr, /hint: Install libtorch: on Debian 12 `sudo apt-get install libtorch-dev`/);
  assert.doesNotMatch(hidden.stdout + hidden.stderr, /INFERENCE - SPEED - RESULT|unexpected error/);

  // TensorFlow.js came with the install, from npm alone (its wasm kernels are in the package), and needs no libtorch.
  const tfjs = tfbenchRun(install.project, userEnv(bareBin, { LIBTORCH: emptyLibtorch }), ['--framework', 'tfjs', '--tfjs-backend', 'wasm', '--env-print']);
  assert.equal(tfjs.code, 0, tfjs.stderr);
  assert.match(tfjs.stdout, /^\s*tiny-bert\s+1\s+8\s/m);
  assert.match(tfjs.stdout, /tfjs_backend: wasm \(@tensorflow\/tfjs-backend-wasm 4\.22\.0\)/);
});

test('without a prebuilt addon npm install builds it from source with cmake-js, and `npx tfbench run` works', { timeout: 20 * 60_000 }, () => {
  // The user's PATH, with cmake, c++ and make; the bare directory first only so that npm and npx come from there.
  const env = userEnv(`${bareBin}${delimiter}${process.env.PATH ?? ''}`);
  const install = npmInstall('from-source', withoutPrebuilt, env, { foregroundScripts: true });
  assert.equal(install.code, 0, install.output);
  assert.match(install.output, /this package has no prebuilt addon for linux-x64; building the addon from source with cmake-js/);
  assert.match(install.output, /@tfbench\/native: built from source: .*build\/Release\/tfbench_native\.node/);
  const release = join(install.project, 'node_modules', '@tfbench', 'native', 'build', 'Release');
  assert.deepEqual(readdirSync(release), ['tfbench_native.node'], 'only the addon is kept of the build');

  const r = tfbenchRun(install.project, env);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /INFERENCE - SPEED - RESULT/);
  assert.match(r.stdout, /^\s*tiny-bert\s+1\s+8\s/m);
});

test('with libtorch hidden the install fails naming libtorch and how to get it; without build tools it names them too', { timeout: 10 * 60_000 }, () => {
  // What npm shows by default (no --foreground-scripts): a failed install script's output.
  const env = userEnv(bareBin, { LIBTORCH: emptyLibtorch });
  const prebuilt = npmInstall('no-libtorch', withPrebuilt, env, { foregroundScripts: false });
  assert.notEqual(prebuilt.code, 0, prebuilt.output);
  assert.match(prebuilt.output, /@tfbench\/native: cannot install: libtorch, which tfbench runs on, was not found/);
  assert.match(prebuilt.output, new RegExp(`- libtorch: not found \\(looked in LIBTORCH=${emptyLibtorch}`));
  assert.match(prebuilt.output, /How to get it: on Debian 12 `sudo apt-get install libtorch-dev`/);
  assert.match(prebuilt.output, /set LIBTORCH=\/path\/to\/libtorch/);

  const source = npmInstall('no-libtorch-no-tools', withoutPrebuilt, env, { foregroundScripts: false });
  assert.notEqual(source.code, 0, source.output);
  assert.match(source.output, /@tfbench\/native: cannot build the addon from source: this machine lacks/);
  assert.match(source.output, /- libtorch: not found/);
  // npm prefixes each line of a failed script's output with "npm error".
  assert.match(source.output, /- cmake \(3\.18 or newer\): not on PATH\.\n.*How to get it: `sudo apt-get install cmake`/);
  assert.match(source.output, /- a C\+\+17 compiler: no c\+\+, g\+\+ or clang\+\+ on PATH\.\n.*How to get it: `sudo apt-get install g\+\+`/);
  assert.match(source.output, /- make \(or ninja\): neither is on PATH/);
  assert.match(source.output, /sudo apt-get install libtorch-dev cmake g\+\+ make/);
});
