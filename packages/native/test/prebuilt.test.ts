// The prebuilt addon and its loader: what make-prebuilds records, how the loader checks it against the libtorch
// on this machine, and how it finds a libtorch outside the linker's path (LIBTORCH) without LD_LIBRARY_PATH.
// Every load runs in a child process, as a user's would, with the environment the case needs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readDynamicSection, usesCxx11Abi } from '../lib/elf.js';
import { checkPrebuilt, searchLibtorch, type LibtorchInstall, type PrebuiltDescription } from '../lib/libtorch.js';

const packageDir = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const built = join(packageDir, 'build', 'Release', 'tfbench_native.node');
const work = mkdtempSync(join(tmpdir(), 'tfbench-prebuilt-'));
const prebuiltAddon = join(work, 'prebuilds', `${process.platform}-${process.arch}`, 'tfbench_native.node');
let description: PrebuiltDescription;
let systemLibtorch: LibtorchInstall;

before(() => {
  const made = spawnSync(process.execPath, [join(packageDir, 'scripts', 'make-prebuilds.mjs'), join(work, 'prebuilds')], { encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
  description = JSON.parse(readFileSync(prebuiltAddon.replace(/\.node$/, '.json'), 'utf8'));
  const found = searchLibtorch().installs[0];
  assert.ok(found, 'these tests need the libtorch the addon was built against');
  systemLibtorch = found;
});

after(() => rmSync(work, { recursive: true, force: true }));

/** Loads the prebuilt addon through the loader in a fresh process; returns what versions() said or the error. */
function loadInChild(env: Record<string, string>) {
  const script = `
    import { loadBinding } from ${JSON.stringify(join(packageDir, 'lib', 'index.ts'))};
    import { readFileSync } from 'node:fs';
    try {
      const versions = loadBinding().versions();
      const mapped = readFileSync('/proc/self/maps', 'utf8').split('\\n').map((l) => l.split(/\\s+/)[5] ?? '');
      console.log(JSON.stringify({ versions, mapped: [...new Set(mapped.filter((p) => /lib(torch|c10)/.test(p)))] }));
    } catch (e) {
      console.log(JSON.stringify({ error: { code: e.code, message: e.message, hint: e.hint } }));
    }`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    env: { ...process.env, TFBENCH_NATIVE_ADDON: prebuiltAddon, ...env },
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as {
    versions?: { libtorch: string };
    mapped?: string[];
    error?: { code: string; message: string; hint: string };
  };
}

test('make-prebuilds records the libtorch sonames, version and C++ ABI the addon was built against', () => {
  const dynamic = readDynamicSection(built);
  assert.ok(dynamic);
  assert.deepEqual(description.libtorch.libraries, dynamic.needed.filter((n) => /^lib(torch|c10)/.test(n)));
  assert.ok(description.libtorch.libraries.some((n) => n.startsWith('libtorch_cpu.so')), description.libtorch.libraries.join());
  assert.deepEqual(dynamic.runpath.filter((p) => !p.startsWith('$ORIGIN')), [], 'no directory of the build machine');
  assert.equal(description.platform, process.platform);
  assert.equal(description.arch, process.arch);
  assert.equal(description.napiVersion, 8);
  assert.match(description.libtorch.version, /^\d+\.\d+\.\d+/);
  assert.equal(description.libtorch.cxx11Abi, usesCxx11Abi(built));
  assert.match(description.libtorch.builtAgainst, /^system/);
  assert.match(description.compiler ?? '', /GCC|clang/);
  assert.ok(!Number.isNaN(Date.parse(description.builtAt)));
});

test('the libtorch found here fits the prebuilt addon, and it loads from the linker path', () => {
  const check = checkPrebuilt(description);
  assert.ok(check.ok, check.ok ? '' : check.message);
  assert.equal(check.install.foundBy, 'linker path');
  assert.equal(check.install.cxx11Abi, description.libtorch.cxx11Abi);
  const loaded = loadInChild({});
  assert.equal(loaded.versions?.libtorch, description.libtorch.version, JSON.stringify(loaded.error));
});

test('a libtorch named by LIBTORCH is used without LD_LIBRARY_PATH: the loader preloads its libraries', () => {
  // A libtorch outside the linker's path: libc10 copied (so that /proc/self/maps shows which one was loaded),
  // the others linked.
  const lib = join(work, 'libtorch-elsewhere', 'lib');
  mkdirSync(lib, { recursive: true });
  for (const soname of description.libtorch.libraries) {
    const source = join(systemLibtorch.libDir, soname);
    if (soname.startsWith('libc10')) copyFileSync(source, join(lib, soname));
    else symlinkSync(source, join(lib, soname));
  }
  const loaded = loadInChild({ LIBTORCH: join(work, 'libtorch-elsewhere') });
  assert.equal(loaded.versions?.libtorch, description.libtorch.version, JSON.stringify(loaded.error));
  const c10 = loaded.mapped!.filter((p) => p.includes('libc10'));
  assert.deepEqual(c10, [join(lib, description.libtorch.libraries.find((n) => n.startsWith('libc10'))!)]);
});

test('no libtorch where LIBTORCH points: NO_LIBTORCH, naming where it looked and how to get libtorch', () => {
  const empty = join(work, 'empty');
  mkdirSync(empty);
  const { error } = loadInChild({ LIBTORCH: empty });
  assert.equal(error?.code, 'NO_LIBTORCH');
  assert.equal(error?.message, `libtorch was not found: tfbench's addon needs it at run time (looked in LIBTORCH=${empty} (when LIBTORCH is set, nothing else is looked at))`);
  assert.match(error!.hint, /^Install libtorch: on Debian 12 `sudo apt-get install libtorch-dev`/);
  assert.match(error!.hint, /set LIBTORCH=\/path\/to\/libtorch/);
});

test('a libtorch of another version: LIBTORCH_MISMATCH, naming what the addon needs and what was found', () => {
  // A version the addon was not built against, whatever this machine's libtorch is.
  const [major, minor] = description.libtorch.version.split('.');
  const otherVersion = `${Number(major) + 1}.0.0+cpu`;
  const other = join(work, `libtorch-${otherVersion}`);
  mkdirSync(join(other, 'lib'), { recursive: true });
  writeFileSync(join(other, 'build-version'), `${otherVersion}\n`); // as in a LibTorch download
  for (const soname of description.libtorch.libraries) symlinkSync(join(systemLibtorch.libDir, soname), join(other, 'lib', soname));
  const { error } = loadInChild({ LIBTORCH: other });
  assert.equal(error?.code, 'LIBTORCH_MISMATCH');
  const escape = (text: string) => text.replace(/[.+]/g, '\\$&');
  const abi = description.libtorch.cxx11Abi ? 'C++11' : 'pre-C++11';
  assert.match(error!.message, new RegExp(`^the prebuilt addon needs libtorch ${major}\\.${minor} with the ${escape(abi)} string ABI`));
  assert.match(error!.message, new RegExp(`libtorch ${escape(otherVersion)}, .* in ${escape(other)}/lib \\(LIBTORCH\\): it is version ${escape(otherVersion)}`));
  assert.match(error!.hint, /`npm rebuild @tfbench\/native`/);
});

test('a prebuilt addon for another platform is refused before anything is loaded', () => {
  const check = checkPrebuilt({ ...description, arch: 'riscv64' });
  assert.equal(check.ok, false);
  assert.equal(!check.ok && check.code, 'PREBUILT_PLATFORM');
  assert.equal(!check.ok && check.message, `the prebuilt addon is for linux-riscv64, this is ${process.platform}-${process.arch}`);
});
