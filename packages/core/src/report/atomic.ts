// Replacing a file atomically: the new contents go to a temporary file in the same directory, are flushed to
// the disk (fsync) and renamed over the old file. A reader, or a crash or kill at any moment, sees the old
// file or the new one, never a mix of the two; a write that fails (a full disk) leaves the old file as it was.
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** `.<name>.<pid>.tmp` beside the file: the same filesystem, so the rename is atomic. */
function tempPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
}

/** Makes the rename itself durable (the directory entry), where the filesystem supports fsync on a directory. */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some filesystems refuse fsync on a directory; the rename has happened either way.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Writes `text` to `path` atomically, creating the directory when needed. Throws the system's error (ENOSPC,
 * EACCES, ENOTDIR, …) with the old file untouched and no temporary file left behind. */
export function writeFileAtomic(path: string, text: string): void {
  const dir = dirname(path);
  ensureDirectory(dir);
  const temp = tempPath(path);
  let fd: number | undefined;
  try {
    fd = openSync(temp, 'w');
    writeFileSync(fd, text); // loops until every byte is written, or throws
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, path);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    rmSync(temp, { force: true });
    throw err;
  }
  syncDirectory(dir);
}

/** Why `path` cannot be written, checked the way writeFileAtomic writes it (the directory is created, a
 * temporary file made and removed beside it); null when it can. Does not touch an existing file at `path`. */
export function unwritableReason(path: string): string | null {
  try {
    ensureDirectory(dirname(path));
    if (existing(path)?.isDirectory()) return 'it is a directory';
    const temp = tempPath(path);
    closeSync(openSync(temp, 'wx'));
    rmSync(temp, { force: true });
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

/** What is at `path`; undefined when nothing is (ENOENT, or ENOTDIR: a parent is a file). */
function existing(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}

/** Creates `dir` and its parents as needed. Where an existing one is not a directory, the error names it
 * ("/out/r is not a directory") rather than mkdir's EEXIST, which names the wrong path. */
function ensureDirectory(dir: string): void {
  for (let p = dir; ; p = dirname(p)) {
    const stat = existing(p);
    if (stat?.isDirectory()) break;
    if (stat) throw Object.assign(new Error(`ENOTDIR: ${p} is not a directory`), { code: 'ENOTDIR' });
    if (dirname(p) === p) break;
  }
  mkdirSync(dir, { recursive: true });
}
