// The install script of @tfbench/native (package.json "install"): run by `npm install` and `npm rebuild`, and by
// pnpm once the package is allowed to run it (`pnpm approve-builds`). It leaves the package with an addon that
// runs on this machine:
//   1. the prebuilt addon (prebuilds/<platform>-<arch>/) when it fits this platform and the libtorch found here
//      (lib/libtorch.ts: library names, version, C++ ABI) and loads: nothing to build;
//   2. otherwise a build from source with cmake-js (scripts/build.mjs) against the libtorch that
//      cmake/FindLibtorch.cmake finds, into build/Release (which the loader prefers to the prebuilt one);
//   3. and when that is impossible, a failed install that names each missing thing and how to get it.
// TFBENCH_NO_PREBUILT=1 skips 1. npm shows an install script's output only when it fails, or with
// `npm install --foreground-scripts`.
//
// In the tfbench repository (a pnpm workspace) it does nothing: `pnpm build` (turbo) builds the addon there, and
// the workspace's own `pnpm install` must stay quick.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = resolve(packageDir, '..', '..');
const inRepository = ['pnpm-workspace.yaml', 'CMakeLists.txt', join('cmake', 'FindLibtorch.cmake')].every((f) => existsSync(join(repoRoot, f)));
if (inRepository) process.exit(0);

const { checkPrebuilt, describeInstall, findOnPath, HOW_TO_GET_LIBTORCH, readPrebuiltDescription, searchLibtorch } = await import(
  '../dist/libtorch.js'
);

const say = (line) => console.log(`@tfbench/native: ${line}`);
const here = `${process.platform}-${process.arch}`;
const prebuiltAddon = join(packageDir, 'prebuilds', here, 'tfbench_native.node');
const buildDir = join(packageDir, 'build');
const ALL_AT_ONCE = 'On Debian/Ubuntu everything at once: sudo apt-get install libtorch-dev cmake g++ make';

/** Prints what is missing (each with how to get it) and fails the install. */
function failMissing(headline, missing) {
  console.error(`@tfbench/native: ${headline}`);
  for (const item of missing) console.error(`  - ${item.what}: ${item.detail}.\n    How to get it: ${item.get}`);
  console.error(`  ${ALL_AT_ONCE}. Then install again.`);
  process.exit(1);
}

function libtorchMissing(searched) {
  return { what: 'libtorch', detail: `not found (looked in ${searched})`, get: HOW_TO_GET_LIBTORCH };
}

function compilerOnPath() {
  const fromEnv = process.env.CXX?.trim().split(/\s+/)[0];
  if (fromEnv) return isAbsolute(fromEnv) ? (existsSync(fromEnv) ? fromEnv : null) : findOnPath(fromEnv);
  return ['c++', 'g++', 'clang++'].map((name) => findOnPath(name)).find(Boolean) ?? null;
}

/** What a build from source needs and this machine lacks. CMake has the last word on libtorch (it also needs
 * TorchConfig.cmake under LIBTORCH); this catches the common cases before a long configure step. */
function missingForSourceBuild() {
  const missing = [];
  const search = searchLibtorch();
  if (search.installs.length === 0) {
    missing.push(libtorchMissing(search.searched));
  } else if (!search.installs.some((install) => install.headers)) {
    missing.push({
      what: "libtorch's C++ headers",
      detail: `found ${search.installs.map(describeInstall).join('; ')}, but not its headers`,
      get: 'on Debian/Ubuntu `sudo apt-get install libtorch-dev`; a LibTorch download (LIBTORCH=/path) and pip\'s torch include them',
    });
  }
  if (!findOnPath('cmake')) {
    missing.push({ what: 'cmake (3.18 or newer)', detail: 'not on PATH', get: '`sudo apt-get install cmake`, or `pip install cmake`' });
  }
  if (!compilerOnPath()) {
    missing.push({
      what: 'a C++17 compiler',
      detail: process.env.CXX ? `CXX=${process.env.CXX} was not found` : 'no c++, g++ or clang++ on PATH',
      get: '`sudo apt-get install g++` (or set CXX to a compiler)',
    });
  }
  if (!findOnPath('make') && !findOnPath('ninja')) {
    missing.push({ what: 'make (or ninja)', detail: 'neither is on PATH', get: '`sudo apt-get install make`' });
  }
  return missing;
}

/** Loads the addon the way tfbench will, in a child process: catches what the description cannot (a missing
 * dependency of libtorch itself). Returns null when it loads, else the error. */
function loadError() {
  const script = `import(${JSON.stringify(join(packageDir, 'dist', 'index.js'))}).then((m) => m.loadBinding().versions())`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  return result.status === 0 ? null : result.stderr.trim().split('\n').slice(-3).join(' ');
}

function usePrebuiltOrSayWhyNot() {
  if (process.env.TFBENCH_NO_PREBUILT === '1') return 'TFBENCH_NO_PREBUILT=1';
  if (!existsSync(prebuiltAddon)) return `this package has no prebuilt addon for ${here}`;
  const description = readPrebuiltDescription(prebuiltAddon);
  if (!description) return `the prebuilt addon for ${here} has no description (tfbench_native.json) to check it against`;
  const check = checkPrebuilt(description);
  if (!check.ok && check.code === 'NO_LIBTORCH') {
    const search = searchLibtorch();
    failMissing('cannot install: libtorch, which tfbench runs on, was not found.', [libtorchMissing(search.searched)]);
  }
  if (!check.ok) return `the prebuilt addon for ${here} does not fit: ${check.message}`;
  // A build left by an earlier install would win over the prebuilt addon in the loader.
  rmSync(buildDir, { recursive: true, force: true });
  const error = loadError();
  if (error) return `the prebuilt addon for ${here} fits but does not load: ${error}`;
  say(`using the prebuilt addon for ${here} with ${describeInstall(check.install)}`);
  process.exit(0);
}

const whyBuild = usePrebuiltOrSayWhyNot();
say(`${whyBuild}; building the addon from source with cmake-js against the libtorch found here (a few minutes)`);
const missing = missingForSourceBuild();
if (missing.length > 0) failMissing('cannot build the addon from source: this machine lacks', missing);
const built = spawnSync(process.execPath, [join(packageDir, 'scripts', 'build.mjs')], { stdio: 'inherit' });
if (built.status !== 0) process.exit(built.status ?? 1);
// The objects and the precompiled libtorch header (~250 MB) are of no use in node_modules: keep the addon only.
for (const entry of readdirSync(buildDir)) if (entry !== 'Release') rmSync(join(buildDir, entry), { recursive: true, force: true });
for (const entry of readdirSync(join(buildDir, 'Release'))) {
  if (entry !== 'tfbench_native.node') rmSync(join(buildDir, 'Release', entry), { recursive: true, force: true });
}
const error = loadError();
if (error) {
  console.error(`@tfbench/native: the addon built from source does not load: ${error}`);
  process.exit(1);
}
say(`built from source: ${join(buildDir, 'Release', 'tfbench_native.node')}`);
