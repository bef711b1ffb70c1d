// Finds libtorch on this machine without loading it, and decides whether a prebuilt addon can run against it.
// Used by the loader (index.ts) before it loads a prebuilt addon, and by scripts/install.mjs at `npm install`
// to choose between the prebuilt addon and a build from source.
//
// Where libtorch is looked for, first hit wins (the order cmake/FindLibtorch.cmake builds with and README states):
//   1. LIBTORCH (environment): an unpacked LibTorch download, a torch python package directory or a CMake
//      prefix; when it is set nothing else is looked at.
//   2. the system's: the directories the dynamic linker searches (LD_LIBRARY_PATH, /etc/ld.so.conf, the system
//      library directories, where Debian/Ubuntu's libtorch-dev / libtorch1.13 put it in /usr/lib/<multiarch>).
//   3. the torch package of python3: the python3 on PATH, then Debian's /usr/bin/python3 (pip or python3-torch).
//
// A libtorch found in 1 or 3 is usually not where the dynamic linker looks, and a running process cannot
// change its own LD_LIBRARY_PATH. So the loader preloads that libtorch's libraries by absolute path
// (preloadLibraries): a library the linker has already loaded satisfies a later DT_NEEDED entry with the
// same soname, so the addon then links to them without any LD_LIBRARY_PATH. Child processes (one per cell)
// run the same loader and do the same.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, delimiter, dirname, isAbsolute, join } from 'node:path';
import { readDynamicSection, usesCxx11Abi } from './elf.js';

export type LibtorchFoundBy = 'LIBTORCH' | 'linker path' | 'python3 torch';

/** One libtorch on this machine. */
export interface LibtorchInstall {
  /** The directory holding libtorch.so*, libtorch_cpu.so* and libc10.so*. */
  libDir: string;
  foundBy: LibtorchFoundBy;
  /** e.g. "1.13.1" or "2.3.0+cpu", from a version file, the headers or the library file names; null if none says. */
  version: string | null;
  /** Whether it uses libstdc++'s C++11 string ABI (read from libc10's symbols); null if that could not be read. */
  cxx11Abi: boolean | null;
  /** Its library files by name, e.g. libtorch.so.1.13, libtorch_cpu.so.1.13, libc10.so.1.13. */
  files: string[];
  /** Whether its C++ headers are there too (needed to build the addon from source). */
  headers: boolean;
  /** Whether the dynamic linker searches libDir on its own. */
  onLinkerPath: boolean;
}

export interface LibtorchSearch {
  /** Every libtorch found, in search order (stops at the first one `accept` takes, when given). */
  installs: LibtorchInstall[];
  /** Where it looked, in words, for error messages. */
  searched: string;
}

export interface SearchOptions {
  env?: NodeJS.ProcessEnv;
  /** Stop at the first install this returns true for (spares a python3 start when the system one fits). */
  accept?: (install: LibtorchInstall) => boolean;
  /** Overrides, for tests: the linker's directories and the python3 interpreters to ask. */
  linkerDirs?: string[];
  pythons?: string[];
}

const LIBTORCH_FILE = /^lib(torch|torch_cpu|torch_cuda|c10|c10_cuda)\.so(\.\d+)*$/;
const MULTIARCH: Partial<Record<string, string>> = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' };

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function realpathOr(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** The directories of an ld.so.conf file, following its `include` lines (globs of the form dir/*.conf). */
function ldSoConfDirs(file: string, seen = new Set<string>()): string[] {
  if (seen.has(file)) return [];
  seen.add(file);
  const text = readText(file);
  if (text === null) return [];
  const dirs: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const include = /^include\s+(.+)$/.exec(line);
    if (!include) {
      dirs.push(line);
      continue;
    }
    for (const pattern of include[1]!.split(/\s+/)) {
      const absolute = isAbsolute(pattern) ? pattern : join(dirname(file), pattern);
      const dir = dirname(absolute);
      const namePattern = new RegExp(`^${basename(absolute).replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
      let names: string[] = [];
      try {
        names = readdirSync(dir).filter((n) => namePattern.test(n)).sort();
      } catch {
        // an include of a missing directory is not an error for ldconfig either
      }
      for (const name of names) dirs.push(...ldSoConfDirs(join(dir, name), seen));
    }
  }
  return dirs;
}

/** The directories the dynamic linker searches for a library without RUNPATH, in its order. */
export function linkerSearchDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const multiarch = MULTIARCH[process.arch];
  const dirs = [
    ...(env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean),
    ...ldSoConfDirs('/etc/ld.so.conf'),
    ...(multiarch ? [`/lib/${multiarch}`, `/usr/lib/${multiarch}`] : []),
    '/lib64',
    '/usr/lib64',
    '/lib',
    '/usr/lib',
  ];
  return [...new Set(dirs)];
}

/** An executable's path from PATH, or null. */
export function findOnPath(name: string, env: NodeJS.ProcessEnv = process.env): string | null {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/** The python3 interpreters whose torch counts, as cmake/FindLibtorch.cmake asks them: the one on PATH, then the
 * system's (Debian's python3-torch belongs to /usr/bin/python3, while pyenv or a venv may come first on PATH). */
function pythonInterpreters(env: NodeJS.ProcessEnv): string[] {
  const found = [findOnPath('python3', env), existsSync('/usr/bin/python3') ? '/usr/bin/python3' : null];
  return [...new Set(found.filter((p): p is string => p !== null))];
}

/** Asks python3 where its torch package is, without importing torch (which takes seconds). */
function pythonTorchDir(python: string, env: NodeJS.ProcessEnv): string | null {
  const script =
    "import importlib.util as u; s = u.find_spec('torch'); print(s.submodule_search_locations[0] if s and s.submodule_search_locations else '')";
  const result = spawnSync(python, ['-c', script], { env, encoding: 'utf8', timeout: 15_000 });
  const dir = result.status === 0 ? result.stdout.trim() : '';
  return dir && isDirectory(dir) ? dir : null;
}

/** For a system library directory (/usr/lib/x86_64-linux-gnu, /usr/local/lib64, …) its prefix (/usr, /usr/local). */
function systemPrefix(libDir: string): string | null {
  const match = /^(.*)\/lib(?:64)?(?:\/[^/]*-linux-[^/]*)?$/.exec(libDir);
  return match ? match[1] || '/' : null;
}

/** Where libtorch's headers would be for a library directory: beside it (LibTorch download, torch package) or
 * under the system prefix. The real path counts too: with a merged /usr, /lib/x86_64-linux-gnu is /usr/lib/…. */
function headerDirs(libDir: string): string[] {
  const real = realpathOr(libDir);
  const prefixes = [dirname(libDir), systemPrefix(libDir), dirname(real), systemPrefix(real)].filter((p): p is string => p !== null);
  return [...new Set(prefixes)].map((prefix) => join(prefix, 'include', 'torch', 'csrc', 'api', 'include', 'torch'));
}

function versionFromHeader(header: string): string | null {
  const text = readText(header);
  if (text === null) return null;
  const part = (name: string) => new RegExp(`TORCH_VERSION_${name}\\s+(\\d+)`).exec(text)?.[1];
  const [major, minor, patch] = [part('MAJOR'), part('MINOR'), part('PATCH')];
  return major && minor ? `${major}.${minor}${patch ? `.${patch}` : ''}` : null;
}

/** The version a libtorch directory declares: LibTorch download's build-version, a torch package's version.py,
 * the headers' torch/version.h, and last the numbers in the library file names (Debian: libtorch.so.1.13.0). */
function libtorchVersion(libDir: string, files: string[]): string | null {
  const buildVersion = readText(join(libDir, '..', 'build-version'))?.trim();
  if (buildVersion) return buildVersion;
  const versionPy = readText(join(libDir, '..', 'version.py'));
  const fromPy = versionPy ? /__version__\s*=\s*['"]([^'"]+)['"]/.exec(versionPy)?.[1] : undefined;
  if (fromPy) return fromPy;
  for (const dir of headerDirs(libDir)) {
    const fromHeader = versionFromHeader(join(dir, 'version.h'));
    if (fromHeader) return fromHeader;
  }
  const numbered = files
    .map((f) => /^lib(?:torch|torch_cpu|c10)\.so\.(\d+(?:\.\d+)+)$/.exec(f)?.[1])
    .filter((v): v is string => v !== undefined)
    .sort((a, b) => b.length - a.length);
  return numbered[0] ?? null;
}

/** The libtorch in a directory, or null when it holds none. */
export function inspectLibtorchDir(libDir: string, foundBy: LibtorchFoundBy, linkerDirs: string[]): LibtorchInstall | null {
  let files: string[];
  try {
    files = readdirSync(libDir).filter((name) => LIBTORCH_FILE.test(name)).sort();
  } catch {
    return null;
  }
  if (!files.some((f) => f.startsWith('libtorch.so') || f.startsWith('libtorch_cpu.so'))) return null;
  const c10 = files.find((f) => f.startsWith('libc10.so'));
  const realDir = realpathOr(libDir);
  return {
    libDir: realDir,
    foundBy,
    version: libtorchVersion(libDir, files),
    cxx11Abi: c10 ? usesCxx11Abi(join(libDir, c10)) : null,
    files,
    headers: headerDirs(libDir).some((dir) => existsSync(join(dir, 'torch.h'))),
    onLinkerPath: linkerDirs.some((dir) => realpathOr(dir) === realDir),
  };
}

/** LIBTORCH may name the libtorch directory itself, its lib/ directory, or a CMake prefix inside it
 * (torch.utils.cmake_prefix_path is <torch>/share/cmake). */
function libDirsOfLibtorchVariable(value: string): string[] {
  const candidates = [join(value, 'lib'), value];
  if (/\/share\/cmake\/?$/.test(value)) candidates.push(join(value, '..', '..', 'lib'));
  return candidates;
}

/** Looks for libtorch in the order above. */
export function searchLibtorch(options: SearchOptions = {}): LibtorchSearch {
  const env = options.env ?? process.env;
  const linkerDirs = options.linkerDirs ?? linkerSearchDirs(env);
  const installs: LibtorchInstall[] = [];
  const seen = new Set<string>();
  const consider = (libDir: string, foundBy: LibtorchFoundBy): boolean => {
    const real = realpathOr(libDir);
    if (seen.has(real)) return false;
    seen.add(real);
    const install = inspectLibtorchDir(libDir, foundBy, linkerDirs);
    if (!install) return false;
    installs.push(install);
    return options.accept?.(install) ?? false;
  };

  if (env.LIBTORCH) {
    for (const dir of libDirsOfLibtorchVariable(env.LIBTORCH)) {
      consider(dir, 'LIBTORCH');
      if (installs.length > 0) break;
    }
    return { installs, searched: `LIBTORCH=${env.LIBTORCH} (when LIBTORCH is set, nothing else is looked at)` };
  }
  for (const dir of linkerDirs) if (consider(dir, 'linker path')) return { installs, searched: '' };
  const pythons = options.pythons ?? pythonInterpreters(env);
  for (const python of pythons) {
    const torchDir = pythonTorchDir(python, env);
    if (torchDir && consider(join(torchDir, 'lib'), 'python3 torch')) break;
  }
  const shownDirs = linkerDirs.length > 6 ? [...linkerDirs.slice(0, 6), '…'] : linkerDirs;
  const searched =
    `the dynamic linker's directories (${shownDirs.join(', ')}) and the torch package of ` +
    (pythons.length > 0 ? pythons.join(' and ') : 'python3 (none on PATH)') +
    '; LIBTORCH is not set';
  return { installs, searched };
}

export function describeInstall(install: LibtorchInstall): string {
  const abi = install.cxx11Abi === null ? '' : `, ${install.cxx11Abi ? 'C++11' : 'pre-C++11'} ABI`;
  return `libtorch ${install.version ?? '(version unknown)'}${abi} in ${install.libDir} (${install.foundBy})`;
}

/** What a prebuilt addon records about itself, in the JSON file next to it (written by scripts/make-prebuilds.mjs). */
export interface PrebuiltDescription {
  /** The @tfbench/native version it was built from. */
  addon: string;
  platform: string;
  arch: string;
  /** The glibc of the machine it was built on: it may use any symbol up to that version. */
  glibc: string | null;
  /** The Node-API version it was compiled for (NAPI_VERSION). */
  napiVersion: number;
  libtorch: {
    /** TORCH_VERSION of the headers it was compiled with. */
    version: string;
    /** _GLIBCXX_USE_CXX11_ABI it was compiled with (read from the binary's symbols). */
    cxx11Abi: boolean;
    cuda: boolean;
    /** The libtorch sonames it links (its DT_NEEDED entries): exactly these files must be found. */
    libraries: string[];
    /** How CMake found libtorch on the build machine, e.g. "system (/usr/lib/x86_64-linux-gnu/libtorch.so)". */
    builtAgainst: string;
  };
  /** The compiler, from the binary's .comment section. */
  compiler: string | null;
  builtAt: string;
}

/** The description next to an addon (tfbench_native.node → tfbench_native.json); null for a local build. */
export function readPrebuiltDescription(addonPath: string): PrebuiltDescription | null {
  const text = readText(addonPath.replace(/\.node$/, '.json'));
  return text === null ? null : (JSON.parse(text) as PrebuiltDescription);
}

function majorMinor(version: string): string {
  return /^(\d+\.\d+)/.exec(version)?.[1] ?? version;
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The file in an install that the dynamic linker would accept for a soname: the file of that name, or one
 * whose DT_SONAME it is (Debian's python3-torch has libtorch.so, a link to libtorch.so.1.13). */
export function fileProviding(install: LibtorchInstall, soname: string): string | null {
  if (install.files.includes(soname)) return soname;
  const stem = soname.replace(/\.so(\.\d+)*$/, '.so');
  const candidates = install.files.filter((f) => f === stem || f.startsWith(`${stem}.`));
  return candidates.find((f) => readDynamicSection(join(install.libDir, f))?.soname === soname) ?? null;
}

/** Why a libtorch install cannot run a prebuilt addon, or null when it can. */
export function libtorchMismatch(description: PrebuiltDescription, install: LibtorchInstall): string | null {
  const missing = description.libtorch.libraries.filter((soname) => fileProviding(install, soname) === null);
  if (missing.length > 0) return `it has no ${missing.join(', ')} (it has ${install.files.join(', ')})`;
  if (install.version && majorMinor(install.version) !== majorMinor(description.libtorch.version)) {
    return `it is version ${install.version}`;
  }
  if (install.cxx11Abi !== null && install.cxx11Abi !== description.libtorch.cxx11Abi) {
    return `it uses the ${install.cxx11Abi ? 'C++11' : 'pre-C++11'} string ABI`;
  }
  return null;
}

/** What a prebuilt addon needs, in words. */
export function describeRequirement(description: PrebuiltDescription): string {
  const { version, cxx11Abi, libraries, builtAgainst } = description.libtorch;
  const debian = builtAgainst.startsWith('system') ? ", as Debian 12's libtorch-dev installs it" : '';
  return `libtorch ${majorMinor(version)} with the ${cxx11Abi ? 'C++11' : 'pre-C++11'} string ABI (${libraries.join(', ')}${debian})`;
}

/** How to get libtorch, for every message that says it is missing. */
export const HOW_TO_GET_LIBTORCH =
  "on Debian 12 `sudo apt-get install libtorch-dev` (libtorch 1.13, which the prebuilt addon uses as is); " +
  'or `pip install torch` for python3; or unpack a LibTorch download from https://pytorch.org and set LIBTORCH=/path/to/libtorch. ' +
  'For any libtorch but Debian\'s 1.13, then run `npm rebuild @tfbench/native` to build the addon against it ' +
  '(needs cmake and a C++17 compiler: `sudo apt-get install cmake g++`).';

export type PrebuiltCheck =
  /** `files`: the install's files for the addon's libtorch sonames, in the addon's order (to preload them). */
  | { ok: true; install: LibtorchInstall; files: string[] }
  | { ok: false; code: 'PREBUILT_PLATFORM' | 'NO_LIBTORCH' | 'LIBTORCH_MISMATCH'; message: string; hint: string; installs: LibtorchInstall[] };

function glibcRuntimeVersion(): string | null {
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return header?.glibcVersionRuntime ?? null;
}

/** Whether a prebuilt addon can run here: this platform, a glibc at least as new, and a libtorch that fits. */
export function checkPrebuilt(description: PrebuiltDescription, options: SearchOptions = {}): PrebuiltCheck {
  const here = `${process.platform}-${process.arch}`;
  const rebuild =
    'Build the addon from source for this machine: `npm rebuild @tfbench/native` (or `pnpm rebuild @tfbench/native`); it needs cmake, a C++17 compiler and libtorch.';
  if (`${description.platform}-${description.arch}` !== here) {
    return {
      ok: false,
      code: 'PREBUILT_PLATFORM',
      message: `the prebuilt addon is for ${description.platform}-${description.arch}, this is ${here}`,
      hint: rebuild,
      installs: [],
    };
  }
  if (description.platform === 'linux' && description.glibc) {
    const glibc = glibcRuntimeVersion();
    if (glibc === null || compareVersions(glibc, description.glibc) < 0) {
      return {
        ok: false,
        code: 'PREBUILT_PLATFORM',
        message: `the prebuilt addon needs glibc ${description.glibc} or newer; this system has ${glibc ? `glibc ${glibc}` : 'another C library (musl?)'}`,
        hint: rebuild,
        installs: [],
      };
    }
  }
  const search = searchLibtorch({ ...options, accept: (install) => libtorchMismatch(description, install) === null });
  const fitting = search.installs.find((install) => libtorchMismatch(description, install) === null);
  if (fitting) {
    const files = description.libtorch.libraries.map((soname) => fileProviding(fitting, soname)!);
    return { ok: true, install: fitting, files };
  }
  if (search.installs.length === 0) {
    return {
      ok: false,
      code: 'NO_LIBTORCH',
      message: `libtorch was not found: tfbench's addon needs it at run time (looked in ${search.searched})`,
      hint: `Install libtorch: ${HOW_TO_GET_LIBTORCH}`,
      installs: [],
    };
  }
  const found = search.installs.map((install) => `${describeInstall(install)}: ${libtorchMismatch(description, install)}`);
  return {
    ok: false,
    code: 'LIBTORCH_MISMATCH',
    message: `the prebuilt addon needs ${describeRequirement(description)}, but the libtorch found does not fit:\n${found.join('\n')}`,
    hint: `${rebuild} Or install the libtorch it was built for (Debian 12: \`sudo apt-get install libtorch-dev\`).`,
    installs: search.installs,
  };
}

/** glibc's dlopen flags (os.constants.dlopen lacks RTLD_NODELETE). */
const RTLD_NOW = 0x2;
const RTLD_NODELETE = 0x1000;

/** libc10 first, libtorch last: each library's own dependencies are then already loaded. */
function loadOrder(name: string): number {
  if (name.startsWith('libc10')) return 0;
  if (name.startsWith('libtorch_cpu')) return 1;
  if (name.startsWith('libtorch_cuda') || name.startsWith('libc10_cuda')) return 2;
  return 3;
}

/**
 * Loads libtorch's libraries from `libDir` by absolute path, so that the addon's DT_NEEDED entries (matched by
 * soname against what is already loaded) bind to them when the directory is not on the linker's path.
 * process.dlopen is Node's dlopen; handed a plain library it runs the library's initialisers, finds no addon
 * in it and throws "Module did not self-register" after dlclose(), which RTLD_NODELETE turns into a no-op:
 * the library stays loaded. Any other error (a missing dependency of libtorch itself) is rethrown.
 */
export function preloadLibraries(libDir: string, libraries: string[]): void {
  for (const name of [...libraries].sort((a, b) => loadOrder(a) - loadOrder(b))) {
    try {
      process.dlopen({ exports: {} }, join(libDir, name), RTLD_NOW | RTLD_NODELETE);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (!/did not self-register/.test(message)) throw err;
    }
  }
}
