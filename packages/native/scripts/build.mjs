// Builds src/ into build/Release/tfbench_native.node with cmake-js, against the top-level CMakeLists.txt.
// Node-API mode (binary.napi_versions in the root package.json): cmake-js downloads no Node headers.
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = resolve(packageDir, '..', '..');
const require = createRequire(join(repoRoot, 'package.json'));
const cmakeJs = require.resolve('cmake-js/bin/cmake-js');

const env = { ...process.env };
env.CMAKE_BUILD_PARALLEL_LEVEL ??= String(availableParallelism());
const args = [cmakeJs, 'compile', '--directory', repoRoot, '--out', join(packageDir, 'build'), '--config', 'Release'];
if (process.env.LIBTORCH) args.push(`--CDLIBTORCH=${process.env.LIBTORCH}`);
const result = spawnSync(process.execPath, args, { stdio: 'inherit', env });
if (result.status !== 0) {
  console.error('\ntfbench: building the native addon failed. It needs cmake, a C++17 compiler and libtorch;');
  console.error('on Debian/Ubuntu `sh scripts/setup.sh` installs them. See the CMake message above for what was missing.');
  process.exit(result.status ?? 1);
}
