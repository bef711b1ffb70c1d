// `pnpm pack` / `pnpm publish` hooks of @tfbench/native (package.json prepack / postpack).
//   prepack:  copies what a build from source needs into the package: the repository's CMakeLists.txt and its
//             cmake/ module (the top-level CMakeLists.txt finds src/ next to itself there), and makes the
//             prebuilt addon from the current build (make-prebuilds.mjs). TFBENCH_NO_PREBUILT=1 packs without
//             one, so that every install builds from source.
//   postpack: removes the copies again (they are gitignored, but the repository builds from its root).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = resolve(packageDir, '..', '..');
const copies = ['CMakeLists.txt', 'cmake'];

const stage = process.argv[2];
if (stage === 'prepack') {
  if (!existsSync(join(packageDir, 'dist', 'index.js'))) {
    console.error('tfbench pack: dist/ is missing: run `pnpm build` first.');
    process.exit(1);
  }
  for (const name of copies) cpSync(join(repoRoot, name), join(packageDir, name), { recursive: true });
  rmSync(join(packageDir, 'prebuilds'), { recursive: true, force: true });
  if (process.env.TFBENCH_NO_PREBUILT === '1') {
    console.log('tfbench pack: TFBENCH_NO_PREBUILT=1: no prebuilt addon in this package');
  } else {
    const made = spawnSync(process.execPath, [join(packageDir, 'scripts', 'make-prebuilds.mjs')], { stdio: 'inherit' });
    if (made.status !== 0) process.exit(made.status ?? 1);
  }
} else if (stage === 'postpack') {
  for (const name of copies) rmSync(join(packageDir, name), { recursive: true, force: true });
} else {
  console.error('usage: node scripts/pack.mjs prepack|postpack');
  process.exit(2);
}
