// @tfbench/native: finds the built addon (tfbench_native.node) and loads it; its API's types are in types.ts.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkPrebuilt, describeRequirement, preloadLibraries, readPrebuiltDescription, type PrebuiltDescription } from './libtorch.js';

export * from './types.js';
import type { Binding } from './types.js';

/** Why the addon could not be loaded: none built or it failed to load (NO_ADDON), or the prebuilt one cannot run
 * here (no libtorch, a libtorch it was not built for, another platform). */
export type NativeLoadErrorCode = 'NO_ADDON' | 'NO_LIBTORCH' | 'LIBTORCH_MISMATCH' | 'PREBUILT_PLATFORM';

export class NativeLoadError extends Error {
  constructor(
    message: string,
    readonly hint: string,
    readonly code: NativeLoadErrorCode = 'NO_ADDON',
  ) {
    super(message);
    this.name = 'NativeLoadError';
  }
}

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** In the tfbench repository (a pnpm workspace) turbo builds the addon; elsewhere this is an installed package. */
const inRepository = existsSync(join(packageDir, '..', '..', 'pnpm-workspace.yaml'));

/** The prebuilt addon for this platform, in prebuildify's layout (prebuilds/<platform>-<arch>/), with its
 * description (tfbench_native.json: libtorch version, C++ ABI, sonames) next to it. */
export function prebuiltAddonPath(): string {
  return join(packageDir, 'prebuilds', `${process.platform}-${process.arch}`, 'tfbench_native.node');
}

/** Where the addon is looked for, first hit wins: TFBENCH_NATIVE_ADDON, a local build (the repository's
 * `pnpm build`, or the build from source that the install script ran), then the prebuilt one. */
export function addonCandidates(): string[] {
  const fromEnv = process.env.TFBENCH_NATIVE_ADDON;
  return [
    ...(fromEnv ? [resolve(fromEnv)] : []),
    join(packageDir, 'build', 'Release', 'tfbench_native.node'),
    prebuiltAddonPath(),
  ];
}

function howToBuild(): string {
  return inRepository
    ? 'Run `sh scripts/setup.sh` (installs libtorch and builds), or `pnpm build` if libtorch is installed.'
    : 'Build it from source: `npm rebuild @tfbench/native` (with pnpm, allow its install script: `pnpm approve-builds`, ' +
        'then `pnpm rebuild @tfbench/native`). That needs libtorch, cmake and a C++17 compiler, and says which is missing.';
}

let cached: Binding | undefined;

/**
 * Loads the addon once. A prebuilt addon is checked first against the libtorch on this machine (libtorch.ts):
 * loading one built for another libtorch would fail with an unreadable linker error, or crash. When the
 * libtorch that fits is not on the dynamic linker's path (LIBTORCH, pip's torch), its libraries are preloaded
 * so that nobody has to set LD_LIBRARY_PATH. A local build needs neither: CMake gave it a RUNPATH to the
 * libtorch it was built against. Throws NativeLoadError (code and hint) when the addon cannot load.
 */
export function loadBinding(): Binding {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const candidates = addonCandidates();
  const found = candidates.find((p) => existsSync(p));
  if (!found) {
    throw new NativeLoadError(
      `tfbench's native addon is not built and there is no prebuilt one for ${process.platform}-${process.arch} ` +
        `(looked for ${candidates.join(', ')})`,
      howToBuild(),
    );
  }
  let prebuilt: PrebuiltDescription | null = null;
  try {
    prebuilt = readPrebuiltDescription(found);
    if (prebuilt) {
      const check = checkPrebuilt(prebuilt);
      if (!check.ok) throw new NativeLoadError(check.message, check.hint, check.code);
      // The linker finds a library on its path by file name only; elsewhere, or under another file name (a
      // libtorch.so whose soname is libtorch.so.1.13), the library must be loaded before the addon.
      const libraries = prebuilt.libtorch.libraries;
      const byName = check.files.every((file, i) => file === libraries[i]);
      if (!check.install.onLinkerPath || !byName) preloadLibraries(check.install.libDir, check.files);
    }
    cached = require(found) as Binding;
  } catch (err) {
    if (err instanceof NativeLoadError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    throw new NativeLoadError(
      `tfbench's native addon at ${found} failed to load: ${message}`,
      prebuilt
        ? `The prebuilt addon needs ${describeRequirement(prebuilt)} and its dependencies. ${howToBuild()}`
        : `The libtorch it was built against must be present at run time: reinstall it (Debian: apt-get install libtorch-dev), or rebuild. ${howToBuild()}`,
    );
  }
  return cached;
}
