// Fault injection, end to end: the built CLI on the tiny BERT (device pinned to cpu) while its worker is killed or
// hangs, the parent is killed or signalled, or the disk fills up. No fixed delays: each step waits for a readiness
// signal (the results file holding N records — it is rewritten after every cell — or the worker process
// existing as a child of the parent), and a worker is held with SIGSTOP where the sweep must not move on.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { schemaFile, validate } from '../../core/test/json-schema.js';
import { tinyBert } from './tiny-bert.js';

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
const schema = schemaFile('results.schema.json');

/** Three short cells (sequence 8, 16, 32), results in r.json. maxTimeS bounds the samples, so the files stay small. */
// threads pinned: no start-up thread probe, whose worker would otherwise be the first one these tests wait for.
const sweep = { models: [tinyBert], batchSizes: [1], sequenceLengths: [8, 16, 32], device: 'cpu', threads: 1, minTimeS: 0.05, maxTimeS: 0.2, targetRelCi: 0, json: 'r.json' };

function writeArgs(args: unknown): { dir: string; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tfbench-faults-'));
  const path = join(dir, 'args.json');
  writeFileSync(path, JSON.stringify(args));
  return { dir, path };
}

interface Run {
  child: ChildProcess;
  pid: number;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Every process a test started, killed (by id) when it ends however it ends. */
const started = new Set<number>();

function start(t: TestContext, args: string[], cwd: string): Run {
  const child = spawn(process.execPath, [bin, ...args], { cwd });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d));
  child.stderr!.on('data', (d: Buffer) => (stderr += d));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.on('exit', (code, signal) => done({ code, signal })));
  started.add(child.pid!);
  t.after(killStarted);
  return { child, pid: child.pid!, stdout: () => stdout, stderr: () => stderr, exit };
}

function killStarted(): void {
  for (const pid of started) signal(pid, 'SIGKILL');
  started.clear();
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

function tfbench(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Waits, polling, until `check` gives a value; fails with what the run printed if it exits first. */
async function until<T>(what: string, run: Run | null, check: () => T | undefined | false): Promise<T> {
  let exited = false;
  void run?.exit.then(() => (exited = true));
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (exited) assert.fail(`the run ended before ${what}:\n${run!.stderr()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The records of a results file, or undefined while it does not exist (it is replaced atomically, so it parses). */
function records(path: string): Array<Record<string, any>> | undefined {
  return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')).records : undefined;
}

/** The process ids of `pid`'s children: /proc/<pid>/task/<tid>/children, or the parent field of every process. */
function children(pid: number): number[] {
  const tasks = `/proc/${pid}/task`;
  try {
    const files = readdirSync(tasks).map((tid) => `${tasks}/${tid}/children`);
    if (files.length > 0 && existsSync(files[0]!)) {
      return files.flatMap((f) => readFileSync(f, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
    }
  } catch {
    return []; // the parent is gone
  }
  return readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => procStat(Number(p))?.ppid === pid).map(Number);
}

/** State (R, S, T stopped, Z zombie, …) and parent of a process; null once it is gone. */
function procStat(pid: number): { state: string; ppid: number } | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
    return { state: fields[0]!, ppid: Number(fields[1]) };
  } catch {
    return null;
  }
}

/** The parent's cell worker (its child running worker.js), once there is one. */
function worker(run: Run): number | undefined {
  const pid = children(run.pid).find((c) => {
    try {
      return readFileSync(`/proc/${c}/cmdline`, 'utf8').includes('worker.js');
    } catch {
      return false;
    }
  });
  if (pid !== undefined) started.add(pid);
  return pid;
}

/** Holds the sweep once `n` cells are written: the next cell's worker is stopped (SIGSTOP), so nothing more can
 * finish. Returns that worker. */
async function holdAfter(run: Run, file: string, n: number): Promise<number> {
  const pid = await until(`${n} record(s) in ${file} and the next worker`, run, () => (records(file)?.length ?? 0) >= n && worker(run));
  signal(pid, 'SIGSTOP');
  assert.equal(records(file)!.length, n, 'the worker of the next cell was held');
  return pid;
}

const gone = (pid: number) => ['Z', undefined].includes(procStat(pid)?.state);

test('a worker killed by SIGKILL mid-cell: that cell is oom with the reason, the next cell is measured', { timeout: 120_000 }, async (t) => {
  // A worker killed by SIGKILL reads as the kernel's out-of-memory killer: without skipAfterOom: false the
  // larger cell after it would be skipped.
  const { dir, path } = writeArgs({ ...sweep, sequenceLengths: [8, 16], skipAfterOom: false });
  const run = start(t, ['run', path], dir);
  const pid = await until('the first worker', run, () => worker(run));
  signal(pid, 'SIGKILL');
  const { code } = await run.exit;
  assert.equal(code, 1, run.stderr());
  const [killed, next] = records(join(dir, 'r.json'))!;
  assert.deepEqual([killed!.status, killed!.error.code, next!.status], ['oom', 'SIGKILL', 'ok']);
  assert.match(run.stderr(), /tiny-bert batch 1 seq 8 inference: oom \(SIGKILL: the worker was killed by SIGKILL \(most likely the kernel's out-of-memory killer\)/);
  assert.match(run.stdout(), /^tiny-bert +1 +8 +OOM +- /m);
  assert.match(run.stdout(), /^tiny-bert +1 +16 +\d\.\d+ /m);
});

test('the parent killed by SIGKILL: the file holds every finished cell and is a valid results file; --resume completes it', { timeout: 120_000 }, async (t) => {
  const { dir, path } = writeArgs(sweep);
  const file = join(dir, 'r.json');
  const run = start(t, ['run', path], dir);
  const held = await holdAfter(run, file, 1);
  signal(run.pid, 'SIGKILL');
  assert.equal((await run.exit).signal, 'SIGKILL');
  signal(held, 'SIGCONT'); // the orphaned worker finds its parent gone and ends
  await until('the orphaned worker to end', null, () => gone(held));

  const partial = JSON.parse(readFileSync(file, 'utf8'));
  assert.deepEqual(validate(partial, schema, schema), []);
  assert.equal(partial.interrupted, true);
  assert.deepEqual(partial.records.map((r: { sequenceLength: number; status: string }) => `${r.sequenceLength}:${r.status}`), ['8:ok']);
  assert.deepEqual(readdirSync(dir).sort(), ['args.json', 'r.json'], 'no temporary file left behind');

  const resumed = tfbench(['run', path, '--resume', 'r.json'], dir);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stderr, new RegExp(`tfbench: resuming ${file}: 1 cell kept \\(ok, oom, skipped\\), 2 cells to measure`));
  const whole = JSON.parse(readFileSync(file, 'utf8'));
  assert.deepEqual(validate(whole, schema, schema), []);
  assert.equal(whole.interrupted, false);
  assert.deepEqual(whole.records.map((r: { sequenceLength: number; status: string }) => `${r.sequenceLength}:${r.status}`), ['8:ok', '16:ok', '32:ok']);
  assert.deepEqual(whole.records[0], partial.records[0], 'the finished cell is kept as it was');
  assert.equal(whole.startedAt, partial.startedAt);
  assert.equal((resumed.stdout.match(/^tiny-bert +1 +(8|16|32) +\d\.\d+ /gm) ?? []).length, 3, 'the tables show every cell');

  const other = tfbench(['run', path, '--resume', 'r.json', '--batch-sizes', '2'], dir);
  assert.equal(other.code, 2);
  assert.match(other.stderr, new RegExp(`resume: args differ in batchSizes: \\[1\\] in ${file}; \\[2\\] in this run`));
  assert.equal(other.stdout, '');
});

for (const [name, exitCode] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  test(`${name} stops the sweep: exit ${exitCode}, what was measured is printed and written`, { timeout: 120_000 }, async (t) => {
    const { dir, path } = writeArgs(sweep);
    const file = join(dir, 'r.json');
    const run = start(t, ['run', path], dir);
    const held = await holdAfter(run, file, 1);
    signal(run.pid, name);
    const { code } = await run.exit;
    assert.equal(code, exitCode, run.stderr());
    assert.match(run.stderr(), new RegExp(`tfbench: interrupted by ${name}; writing what was measured so far`));
    const results = JSON.parse(readFileSync(file, 'utf8'));
    assert.equal(results.interrupted, true);
    assert.deepEqual(results.records.map((r: { sequenceLength: number; status: string }) => `${r.sequenceLength}:${r.status}`), ['8:ok']);
    assert.match(run.stdout(), /INFERENCE - SPEED - RESULT/);
    assert.equal((run.stdout().match(/^tiny-bert +1 +8 +\d/gm) ?? []).length, 2, 'a speed and a memory row of the measured cell');
    assert.doesNotMatch(run.stdout(), /^tiny-bert +1 +(16|32) /m);
    assert.ok(gone(held), 'the worker of the cell in progress was stopped');
  });
}

test('a hung cell (its worker stopped) ends with status timeout after cellTimeoutS; the next cell is measured', { timeout: 120_000 }, async (t) => {
  const { dir, path } = writeArgs({ ...sweep, sequenceLengths: [8, 16], cellTimeoutS: 10 });
  const run = start(t, ['run', path], dir);
  signal(await until('the first worker', run, () => worker(run)), 'SIGSTOP');
  const { code } = await run.exit;
  assert.equal(code, 1, run.stderr());
  const [hung, next] = records(join(dir, 'r.json'))!;
  assert.deepEqual([hung!.status, hung!.error.code, next!.status], ['timeout', 'TIMEOUT', 'ok']);
  assert.match(run.stderr(), /tiny-bert batch 1 seq 8 inference: timeout \(TIMEOUT: the cell ran past 10 s and was stopped\)/);
  assert.match(run.stdout(), /^tiny-bert +1 +8 +timeout +- /m);
});

test('an unwritable output place is refused up front: exit 2 naming the path, nothing run', () => {
  const { dir, path } = writeArgs({ ...sweep, outputDir: 'file/out' });
  writeFileSync(join(dir, 'file'), '');
  const r = tfbench(['run', path], dir);
  assert.equal(r.code, 2);
  assert.equal(r.stderr.split('\n')[0], `tfbench: json: cannot write ${join(dir, 'file', 'out', 'r.json')}: ENOTDIR: ${join(dir, 'file')} is not a directory`);
  assert.equal(r.stdout, '', 'nothing is run');
});

/** A directory on a tmpfs of `size` (root may mount one; elsewhere the test is skipped, saying why). */
function smallDisk(t: TestContext, size: string): string | null {
  const dir = mkdtempSync(join(tmpdir(), 'tfbench-disk-'));
  const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { encoding: 'utf8' });
  if (mount.status !== 0) {
    rmSync(dir, { recursive: true });
    t.skip(`cannot mount a tmpfs here (${(mount.stderr || mount.error?.message || `exit ${mount.status}`).trim()}): a full disk is not tested`);
    return null;
  }
  t.after(() => {
    killStarted(); // nothing may hold the mount
    spawnSync('umount', [dir]);
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** Fills the filesystem of `dir` with one file until writes fail with ENOSPC; returns its path. */
function fill(dir: string): string {
  const path = join(dir, 'filler');
  const fd = openSync(path, 'w');
  try {
    for (const size of [1 << 16, 1 << 12, 1]) {
      const chunk = Buffer.alloc(size, 1);
      try {
        for (;;) writeSync(fd, chunk);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      }
    }
  } finally {
    closeSync(fd);
  }
  return path;
}

test('a full disk mid-sweep: one clear error per file, the previous files kept, measuring goes on; exit 1 when the final write fails', { timeout: 120_000 }, async (t) => {
  const disk = smallDisk(t, '2m');
  if (disk === null) return;
  const { dir, path } = writeArgs({ ...sweep, sequenceLengths: [8, 16], outputDir: disk, saveToCsv: true });
  const run = start(t, ['run', path], dir);
  const held = await holdAfter(run, join(disk, 'r.json'), 1);
  const before = Object.fromEntries(readdirSync(disk).map((f) => [f, readFileSync(join(disk, f), 'utf8')]));
  fill(disk);
  signal(held, 'SIGCONT');
  const { code } = await run.exit;
  assert.equal(code, 1, run.stderr());
  const file = join(disk, 'r.json');
  const errors = run.stderr().split('\n').filter((l) => l.startsWith('tfbench: error: cannot write'));
  assert.deepEqual(errors.map((l) => l.slice(0, l.indexOf(':', 'tfbench: error: cannot write '.length))).sort(), Object.keys(before).sort().map((f) => `tfbench: error: cannot write ${join(disk, f)}`));
  assert.ok(
    run.stderr().includes(`tfbench: error: cannot write ${file}: ENOSPC: no space left on device, write; it keeps its previous version (1 cell); trying again after the next cell\n`),
    run.stderr(),
  );
  assert.match(run.stderr(), new RegExp(`tfbench: error: the final results could not be written to ${file}: ENOSPC: no space left on device, write; it keeps its previous version \\(1 cell\\)`));
  for (const [f, text] of Object.entries(before)) assert.equal(readFileSync(join(disk, f), 'utf8'), text, `${f} is as the last good write left it`);
  assert.deepEqual(readdirSync(disk).sort(), [...Object.keys(before), 'filler'].sort(), 'no temporary file left behind');
  assert.equal((run.stdout().match(/^tiny-bert +1 +(8|16) +\d\.\d+ /gm) ?? []).length, 2, 'both cells were measured and printed');
});

test('a full disk that frees up: the next cell\'s write succeeds and the run ends well (exit 0)', { timeout: 120_000 }, async (t) => {
  const disk = smallDisk(t, '2m');
  if (disk === null) return;
  const { dir, path } = writeArgs({ ...sweep, outputDir: disk });
  const file = join(disk, 'r.json');
  const run = start(t, ['run', path], dir);
  const second = await holdAfter(run, file, 1);
  const filler = fill(disk);
  signal(second, 'SIGCONT');
  // Cell 2's write fails; hold cell 3 while there is room again.
  const third = await until('the error and the third worker', run, () => run.stderr().includes(`cannot write ${file}: ENOSPC`) && worker(run));
  signal(third, 'SIGSTOP');
  rmSync(filler);
  signal(third, 'SIGCONT');
  const { code } = await run.exit;
  assert.equal(code, 0, run.stderr());
  assert.ok(run.stderr().includes(`tfbench: ${file} written again (3 cells)\n`), run.stderr());
  assert.equal(records(file)!.length, 3);
  assert.equal(JSON.parse(readFileSync(file, 'utf8')).interrupted, false);
});
