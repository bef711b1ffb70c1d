// Builds src/ into build/Release/tfbench_native.node with cmake-js, against the top-level CMakeLists.txt.
// Node-API mode (binary.napi_versions in the package.json of the CMake directory): cmake-js downloads no Node
// headers. In the repository that directory is the repository root; in an installed @tfbench/native it is the
// package itself, where `pnpm pack` copied CMakeLists.txt and cmake/ (scripts/pack.mjs), and scripts/install.mjs
// runs this file when no prebuilt addon fits.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = resolve(packageDir, '..', '..');
const inRepository = existsSync(join(repoRoot, 'pnpm-workspace.yaml')) && existsSync(join(repoRoot, 'CMakeLists.txt'));
const cmakeDirectory = inRepository ? repoRoot : packageDir;
// cmake-js and node-addon-api are dependencies of this package (cmake-js finds node-addon-api from the
// CMake directory's package.json, which in the repository is the root's: both are there too).
const require = createRequire(join(packageDir, 'package.json'));
const cmakeJs = require.resolve('cmake-js/bin/cmake-js');

const env = { ...process.env };
env.CMAKE_BUILD_PARALLEL_LEVEL ??= String(availableParallelism());
const args = [cmakeJs, 'compile', '--directory', cmakeDirectory, '--out', join(packageDir, 'build'), '--config', 'Release'];
if (process.env.LIBTORCH) args.push(`--CDLIBTORCH=${process.env.LIBTORCH}`);
const result = spawnSync(process.execPath, args, { stdio: 'inherit', env });
if (result.status !== 0) {
  console.error('\ntfbench: building the native addon failed. It needs cmake, a C++17 compiler and libtorch;');
  console.error(
    inRepository
      ? 'on Debian/Ubuntu `sh scripts/setup.sh` installs them. See the CMake message above for what was missing.'
      : 'on Debian/Ubuntu `sudo apt-get install libtorch-dev cmake g++`. See the CMake message above for what was missing.',
  );
  process.exit(result.status ?? 1);
}
