// `pnpm bundle [--out DIR]`: one folder that runs tfbench on a host with no Node, no network and no npm — an
// air-gapped GPU node with PyTorch installed. Copy the folder there, run `./build-addon.sh` once (it builds the
// addon against the PyTorch it finds), then `./tfbench run args.json`.
//
//   tfbench              launcher: unpacks node on first use, points the loader at the addon, runs the CLI
//   build-addon.sh       builds addon/tfbench_native.node with cmake against python3's torch (or LIBTORCH)
//   node/node.xz         this machine's Node binary, xz-compressed (the launcher unpacks it to node/node)
//   lib/tfbench.mjs      the CLI, core and the native loader bundled with their runtime dependencies (esbuild)
//   lib/worker.js        the child-process entry of isolated cells (run/isolate.ts looks for it beside the CLI)
//   native/              the addon's sources: CMakeLists.txt, cmake/, src/, and the Node-API headers
//                        (node-api-headers, node-addon-api) that cmake-js would otherwise supply
//   package.json         type: module for lib/, and the version core reports
//
// Needs `pnpm build` first (it bundles the built JavaScript), and xz.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outFlag = process.argv.indexOf('--out');
const out = resolve(outFlag > 0 ? process.argv[outFlag + 1] : join(repoRoot, 'bundle', 'tfbench'));
const version = JSON.parse(readFileSync(join(repoRoot, 'packages', 'core', 'package.json'), 'utf8')).version;

for (const built of ['packages/cli/dist/bin.js', 'packages/core/dist/run/worker.js', 'packages/native/dist/index.js']) {
  try {
    statSync(join(repoRoot, built));
  } catch {
    console.error(`tfbench bundle: ${built} is missing: run \`pnpm build\` first`);
    process.exit(1);
  }
}

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'lib'), { recursive: true });

// CommonJS dependencies (table, fast-csv, systeminformation) call require(); an ES module bundle has none.
const requireShim = "import { createRequire as __tfbenchCreateRequire } from 'node:module';\n" +
  'const require = __tfbenchCreateRequire(import.meta.url);';
await build({
  entryPoints: {
    tfbench: join(repoRoot, 'packages/cli/dist/bin.js'),
    worker: join(repoRoot, 'packages/core/dist/run/worker.js'),
  },
  outdir: join(out, 'lib'),
  outExtension: { '.js': '.js' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  banner: { js: requireShim },
  // TensorFlow.js stays out: the bundle is for libtorch on GPU hosts, and the wasm backend's .wasm files live in its
  // package (core imports TensorFlow.js only for --framework tfjs, which says the package is missing here).
  external: ['@tensorflow/*'],
  logLevel: 'warning',
});
// bin.js's name in the bundle: .mjs, so that it is an ES module wherever the folder is copied.
cpSync(join(out, 'lib', 'tfbench.js'), join(out, 'lib', 'tfbench.mjs'));
rmSync(join(out, 'lib', 'tfbench.js'));
writeFileSync(join(out, 'package.json'), JSON.stringify({ name: 'tfbench-bundle', version, private: true, type: 'module' }, null, 2) + '\n');

// The addon's sources, laid out as in the published @tfbench/native package (CMakeLists.txt beside src/).
mkdirSync(join(out, 'native', 'include'), { recursive: true });
cpSync(join(repoRoot, 'CMakeLists.txt'), join(out, 'native', 'CMakeLists.txt'));
cpSync(join(repoRoot, 'cmake'), join(out, 'native', 'cmake'), { recursive: true });
cpSync(join(repoRoot, 'packages', 'native', 'src'), join(out, 'native', 'src'), { recursive: true });
const requireFromNative = createRequire(join(repoRoot, 'packages', 'native', 'package.json'));
const nodeAddonApi = dirname(requireFromNative.resolve('node-addon-api/package.json'));
for (const header of ['napi.h', 'napi-inl.h', 'napi-inl.deprecated.h']) {
  cpSync(join(nodeAddonApi, header), join(out, 'native', 'include', header));
}
const cmakeJs = dirname(requireFromNative.resolve('cmake-js/package.json'));
const nodeApiHeaders = dirname(createRequire(join(cmakeJs, 'package.json')).resolve('node-api-headers/package.json'));
cpSync(join(nodeApiHeaders, 'include'), join(out, 'native', 'include'), { recursive: true });

// Node itself, compressed: the binary is ~100 MB, ~25 MB as xz.
mkdirSync(join(out, 'node'));
const xz = spawnSync('xz', ['-c', '-6', '-T0', process.execPath], { maxBuffer: 1 << 30 });
if (xz.status !== 0) {
  console.error(`tfbench bundle: xz failed (${xz.error?.message ?? xz.stderr.toString().trim()}); install xz-utils`);
  process.exit(1);
}
writeFileSync(join(out, 'node', 'node.xz'), xz.stdout);
writeFileSync(join(out, 'node', 'VERSION'), `${process.version} ${process.platform}-${process.arch}\n`);

writeFileSync(
  join(out, 'tfbench'),
  `#!/bin/sh
# tfbench from the offline bundle: unpacks Node on first use, then runs the bundled CLI with the addon that
# ./build-addon.sh built on this host.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
if [ ! -x "$here/node/node" ]; then
  if command -v xz >/dev/null 2>&1; then
    xz -dc "$here/node/node.xz" > "$here/node/node.tmp"
  else
    python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' \\
      "$here/node/node.xz" "$here/node/node.tmp"
  fi
  chmod +x "$here/node/node.tmp" && mv "$here/node/node.tmp" "$here/node/node"
fi
if [ ! -f "$here/addon/tfbench_native.node" ]; then
  echo "tfbench: the addon is not built on this host yet: run $here/build-addon.sh" >&2
  exit 2
fi
TFBENCH_NATIVE_ADDON="$here/addon/tfbench_native.node" exec "$here/node/node" "$here/lib/tfbench.mjs" "$@"
`,
);

writeFileSync(
  join(out, 'build-addon.sh'),
  `#!/bin/sh
# Builds addon/tfbench_native.node against this host's PyTorch: LIBTORCH when set, else the CMake prefix of
# python3's torch (torch.utils.cmake_prefix_path, which holds TorchConfig.cmake: its torch target links
# torch_cuda when PyTorch has CUDA), else what cmake/FindLibtorch.cmake finds (Debian's libtorch-dev).
# Needs cmake >= 3.18, a C++17 compiler, and ninja or make. Re-run after upgrading PyTorch.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
python=\${PYTHON:-python3}
if [ -z "\${LIBTORCH:-}" ] && command -v "$python" >/dev/null 2>&1; then
  prefix=$("$python" -c 'import torch; print(torch.utils.cmake_prefix_path)' 2>/dev/null || true)
  if [ -n "$prefix" ] && [ -f "$prefix/Torch/TorchConfig.cmake" ]; then
    LIBTORCH="$prefix"
    echo "tfbench: building against $("$python" -c 'import torch; print("PyTorch", torch.__version__, "CUDA", torch.version.cuda)') ($prefix)"
  fi
fi
generator=""
if command -v ninja >/dev/null 2>&1; then generator="-G Ninja"; fi
build="$here/native/build"
# shellcheck disable=SC2086
cmake -S "$here/native" -B "$build" $generator -DCMAKE_BUILD_TYPE=Release \\
  -DCMAKE_JS_INC="$here/native/include" \${LIBTORCH:+"-DLIBTORCH=$LIBTORCH"}
cmake --build "$build" --parallel
mkdir -p "$here/addon"
cp "$build/tfbench_native.node" "$here/addon/tfbench_native.node"
echo "tfbench: built $here/addon/tfbench_native.node; run $here/tfbench env"
`,
);
chmodSync(join(out, 'tfbench'), 0o755);
chmodSync(join(out, 'build-addon.sh'), 0o755);

const size = spawnSync('du', ['-sb', out], { encoding: 'utf8' }).stdout.split('\t')[0];
console.log(`tfbench bundle: wrote ${out} (${(Number(size) / 2 ** 20).toFixed(1)} MiB)`);
