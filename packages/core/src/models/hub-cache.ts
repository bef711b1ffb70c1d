// The local Hugging Face cache, laid out as huggingface_hub (and so transformers) lays it out, so that what
// tfbench stores Python tools find, and what they stored tfbench finds. Per model repo:
//   {cache}/models--{org}--{name}/refs/{revision}             a branch or tag → the commit hash it pointed to
//   {cache}/models--{org}--{name}/snapshots/{commit}/{file}   a relative symlink → ../../blobs/{etag}
//   {cache}/models--{org}--{name}/blobs/{etag}                the bytes
//   {cache}/models--{org}--{name}/.no_exist/{commit}/{file}   empty: the Hub has no such file at that commit
// The Hub half (settings, downloads, its errors) is hub.ts; this file never touches the network.
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { ModelError } from '../errors.js';

/** The environment variables the cache and the Hub are configured by (HF_HUB_CACHE, HF_TOKEN, …). */
export type HubEnv = Readonly<Record<string, string | undefined>>;

/** A repo's revision when none is named. */
export const DEFAULT_REVISION = 'main';

/** A full commit hash: a revision that is one names a snapshot directly, without refs/. */
export function isCommitHash(revision: string): boolean {
  return /^[0-9a-f]{40}$/.test(revision);
}

/** A variable's value with a leading `~` expanded (as Python's os.path.expanduser), or undefined when unset or empty. */
function envPath(env: HubEnv, name: string): string | undefined {
  const value = env[name];
  if (value === undefined || value === '') return undefined;
  return value === '~' || value.startsWith('~/') ? join(homedir(), value.slice(1)) : value;
}

/** $HF_HOME, else $XDG_CACHE_HOME/huggingface, else ~/.cache/huggingface (huggingface_hub's constants.py). */
export function hfHome(env: HubEnv = process.env): string {
  return envPath(env, 'HF_HOME') ?? join(envPath(env, 'XDG_CACHE_HOME') ?? join(homedir(), '.cache'), 'huggingface');
}

/** $HF_HUB_CACHE, else the legacy $HUGGINGFACE_HUB_CACHE, else $HF_HOME/hub. */
export function hubCacheDir(env: HubEnv = process.env): string {
  return envPath(env, 'HF_HUB_CACHE') ?? envPath(env, 'HUGGINGFACE_HUB_CACHE') ?? join(hfHome(env), 'hub');
}

/** Whether `repoId` has the form of a Hugging Face model id: `name` or `org/name`, each part letters,
 * digits, `-`, `_`, `.`, starting and ending with a letter, digit or `_`, no `--` or `..`, at most 96 characters, not
 * ending in `.git` (huggingface_hub's validate_repo_id). tfbench adds: not ending in `.json` (a config's path). */
export function isHubRepoId(repoId: string): boolean {
  const part = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$/;
  const parts = repoId.split('/');
  return (
    parts.length <= 2 &&
    parts.every((p) => part.test(p)) &&
    repoId.length <= 96 &&
    !repoId.includes('--') &&
    !repoId.includes('..') &&
    !/\.(git|json)$/.test(repoId)
  );
}

/** Why `revision` cannot name a branch, tag or commit, or null when it can. It becomes a path under refs/
 * (`refs/pr/1` is a branch of the Hub's), so no empty, `.` or `..` segment, backslash or control character. */
export function revisionProblem(revision: string): string | null {
  if (revision === '') return 'expected a branch, tag or commit hash, got ""';
  const segments = revision.split('/');
  if (/[\u0000-\u001f\u007f\\]/.test(revision) || segments.some((s) => s === '' || s === '.' || s === '..')) {
    return `${JSON.stringify(revision)} is not a branch, tag or commit hash (no empty, "." or ".." parts, backslashes or control characters)`;
  }
  return null;
}

/** `models--{org}--{name}` in the cache. */
export function repoFolder(cacheDir: string, repoId: string): string {
  return join(cacheDir, `models--${repoId.split('/').join('--')}`);
}

/** A file of a repo at a revision, as the cache has it. */
export interface CachedFile {
  repoId: string;
  /** As asked for: a branch, a tag or a commit hash. */
  revision: string;
  /** The commit the revision pointed to when the file was stored. */
  commit: string;
  /** The snapshot's file (a symlink into blobs/); null when the cache records that the Hub has no such file at
   * that commit (.no_exist/). */
  path: string | null;
}

/** The commit that refs/{revision} holds, or null when the cache has none (or holds something else than a hash). */
function readRef(folder: string, revision: string): string | null {
  let text: string;
  try {
    text = readFileSync(join(folder, 'refs', revision), 'utf8').trim();
  } catch {
    return null;
  }
  return isCommitHash(text) ? text : null;
}

/** Finds `file` of `repoId` at `revision` (default main) in the cache, without touching the network: a commit
 * hash goes to snapshots/ directly, a branch or tag through refs/. null on a miss (a dangling symlink is one). */
export function findCachedFile(
  repoId: string,
  file: string,
  options: { revision?: string; env?: HubEnv } = {},
): CachedFile | null {
  const revision = options.revision ?? DEFAULT_REVISION;
  if (revisionProblem(revision) !== null) return null;
  const folder = repoFolder(hubCacheDir(options.env), repoId);
  const commit = isCommitHash(revision) ? revision : readRef(folder, revision);
  if (commit === null) return null;
  const snapshot = join(folder, 'snapshots', commit, file);
  if (existsSync(snapshot)) return { repoId, revision, commit, path: snapshot };
  if (existsSync(join(folder, '.no_exist', commit, file))) return { repoId, revision, commit, path: null };
  return null;
}

/** A repo in the cache with a config.json at main. */
export interface CachedRepo {
  repoId: string;
  commit: string;
  configPath: string;
}

/** Every `models--*` repo of the cache whose main snapshot has a config.json, sorted by id (case-insensitively);
 * [] when there is no cache. */
export function listCachedRepos(env: HubEnv = process.env): CachedRepo[] {
  let names: string[];
  try {
    names = readdirSync(hubCacheDir(env));
  } catch {
    return [];
  }
  const repos: CachedRepo[] = [];
  for (const name of names) {
    if (!name.startsWith('models--')) continue;
    const repoId = name.slice('models--'.length).split('--').join('/');
    const config = findCachedFile(repoId, 'config.json', { env });
    if (config?.path) repos.push({ repoId, commit: config.commit, configPath: config.path });
  }
  return repos.sort((a, b) => a.repoId.toLowerCase().localeCompare(b.repoId.toLowerCase()));
}

/** Writes `data` to `path` through a temporary file and a rename, so a reader sees the old file or the new one. */
async function writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${randomUUID().slice(0, 8)}.incomplete`;
  try {
    await writeFile(temporary, data);
    await rename(temporary, path);
  } catch (err) {
    await rm(temporary, { force: true });
    throw err;
  }
}

/** Points refs/{revision} at `commit`, unless the revision is a commit hash itself. */
async function storeRef(folder: string, revision: string, commit: string): Promise<void> {
  if (!isCommitHash(revision)) await writeAtomic(join(folder, 'refs', revision), commit);
}

/** What a download stores: the bytes of `file` at `commit`, named by the Hub's etag. */
export interface StoredFile {
  repoId: string;
  revision: string;
  commit: string;
  etag: string;
  file: string;
  bytes: Uint8Array;
}

function storeError(repoId: string, cacheDir: string, err: unknown): ModelError {
  const why = err instanceof Error ? err.message : String(err);
  return new ModelError(`cannot store files of ${repoId} in the Hugging Face cache ${cacheDir}: ${why}`, {
    hint: 'Set HF_HUB_CACHE (or HF_HOME) to a directory you can write, or fill the cache with `huggingface-cli download`.',
    cause: err,
  });
}

/** Stores a downloaded file as huggingface_hub does: the blob (temporary file + rename), then the snapshot's
 * relative symlink to it, then refs/{revision} (for a branch or tag), so that a reader that follows refs/ finds a
 * complete snapshot. Returns the snapshot's path. Throws ModelError when the cache cannot be written. */
export async function storeCachedFile(stored: StoredFile, env: HubEnv = process.env): Promise<string> {
  const cacheDir = hubCacheDir(env);
  const folder = repoFolder(cacheDir, stored.repoId);
  const blob = join(folder, 'blobs', stored.etag);
  const pointer = join(folder, 'snapshots', stored.commit, stored.file);
  try {
    // An etag names its bytes: a blob already there is the same file (another revision's, another process's).
    if (!existsSync(blob)) await writeAtomic(blob, stored.bytes);
    await mkdir(dirname(pointer), { recursive: true });
    await rm(pointer, { force: true });
    try {
      await symlink(relative(dirname(pointer), blob), pointer);
    } catch (err) {
      // Another process made the same link between our rm and symlink: fine when it leads to the same blob.
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST' || realpathSync(pointer) !== realpathSync(blob)) throw err;
    }
    await storeRef(folder, stored.revision, stored.commit);
  } catch (err) {
    throw storeError(stored.repoId, cacheDir, err);
  }
  return pointer;
}

/** Records that the Hub has no `file` in `repoId` at `commit` (.no_exist/{commit}/{file}, as huggingface_hub does),
 * and points refs/{revision} at that commit, so that the next run does not ask again. */
export async function storeMissingFile(
  missing: { repoId: string; revision: string; commit: string; file: string },
  env: HubEnv = process.env,
): Promise<void> {
  const cacheDir = hubCacheDir(env);
  const folder = repoFolder(cacheDir, missing.repoId);
  try {
    await writeAtomic(join(folder, '.no_exist', missing.commit, missing.file), '');
    await storeRef(folder, missing.revision, missing.commit);
  } catch (err) {
    throw storeError(missing.repoId, cacheDir, err);
  }
}
