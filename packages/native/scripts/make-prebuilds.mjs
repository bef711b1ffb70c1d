// Turns the normal build output (build/Release/tfbench_native.node, from `pnpm build`) into the prebuilt addon
// that the published package ships, in prebuildify's layout:
//   prebuilds/<platform>-<arch>/tfbench_native.node
//   prebuilds/<platform>-<arch>/tfbench_native.json   what it needs at run time (lib/libtorch.ts checks it)
// Run by `pnpm pack` (scripts/pack.mjs) or by hand: pnpm --filter @tfbench/native make-prebuilds [prebuilds-dir]
// (default: the package's prebuilds/; the tests write elsewhere).
// The published prebuilt is made on Debian 12 against its libtorch 1.13 (apt-get install libtorch-dev).
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(packageDir, 'build', 'Release', 'tfbench_native.node');

function fail(message) {
  console.error(`tfbench make-prebuilds: ${message}`);
  process.exit(1);
}

if (!existsSync(built)) fail(`${built} does not exist: build the addon first (pnpm build).`);
if (!existsSync(join(packageDir, 'dist', 'elf.js'))) fail('dist/ is missing: build the package first (pnpm build).');
const { readDynamicSection, readSectionStrings, usesCxx11Abi } = await import('../dist/elf.js');

const dynamic = readDynamicSection(built);
if (!dynamic) fail(`${built} is not a 64-bit little-endian ELF shared object.`);
// CMake gives the build a RUNPATH to a libtorch outside the system directories (LIBTORCH, pip's torch). Such a
// path exists on this machine only: a prebuilt must find libtorch the way lib/libtorch.ts looks for it.
const machinePaths = dynamic.runpath.filter((entry) => !entry.startsWith('$ORIGIN'));
if (machinePaths.length > 0) {
  fail(
    `the build links libtorch through RUNPATH ${machinePaths.join(':')}, a directory of this machine. ` +
      'Build the prebuilt against a system libtorch (Debian 12: apt-get install libtorch-dev, LIBTORCH unset, ' +
      'no torch in the python3 on PATH), or pack without it: TFBENCH_NO_PREBUILT=1.',
  );
}
const libraries = dynamic.needed.filter((name) => /^lib(torch|c10)/.test(name));

// The libtorch version and how CMake found it are compiled into the addon: ask it, in a child process so
// this one does not keep libtorch loaded.
const asked = spawnSync(process.execPath, ['-e', `process.stdout.write(JSON.stringify(require(${JSON.stringify(built)}).versions()))`], {
  encoding: 'utf8',
});
if (asked.status !== 0) fail(`could not load ${built} to read its versions:\n${asked.stderr}`);
const versions = JSON.parse(asked.stdout);

const packageJson = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
const description = {
  addon: packageJson.version,
  platform: process.platform,
  arch: process.arch,
  glibc: process.report.getReport().header.glibcVersionRuntime ?? null,
  // CMakeLists.txt compiles with NAPI_VERSION equal to binary.napi_versions (kept in step by hand).
  napiVersion: Math.max(...packageJson.binary.napi_versions),
  libtorch: {
    version: versions.libtorch,
    cxx11Abi: usesCxx11Abi(built),
    cuda: libraries.some((name) => name.includes('cuda')),
    libraries,
    builtAgainst: versions.libtorchSource,
  },
  compiler: readSectionStrings(built, '.comment')?.find((s) => /GCC|clang/.test(s)) ?? null,
  builtAt: new Date().toISOString(),
};

const prebuildsDir = resolve(process.argv[2] ?? join(packageDir, 'prebuilds'));
const outDir = join(prebuildsDir, `${process.platform}-${process.arch}`);
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
copyFileSync(built, join(outDir, 'tfbench_native.node'));
writeFileSync(join(outDir, 'tfbench_native.json'), `${JSON.stringify(description, null, 2)}\n`);
console.log(
  `tfbench make-prebuilds: ${join(outDir, 'tfbench_native.node')} for libtorch ` +
    `${description.libtorch.version} (${description.libtorch.cxx11Abi ? 'C++11' : 'pre-C++11'} ABI; ${libraries.join(', ')})`,
);
