// `pnpm fuzz [runs]`: the long fuzz pass, outside `pnpm test`. Runs every property of
// packages/core/test/fuzz-*.test.ts (args.json and flags, model configs, parameter counts, the safetensors
// reader, the addon's loadWeights in child processes) for `runs` cases each (default 10,000) with no time
// limit, then prints one line per property: cases, seconds, failures. Exit 1 when any case failed or crashed;
// the failing test's report gives the shrunk case and its seed.
//
//   TFBENCH_FUZZ_SEED=<n> pnpm fuzz 500     replays one seed (every property starts from it)
//
// Needs the addon built (`pnpm build`); the TypeScript runs from source through tsx.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const runs = process.argv[2] ?? process.env.TFBENCH_FUZZ_RUNS ?? '10000';
if (!/^[1-9][0-9]*$/.test(runs)) {
  console.error(`usage: pnpm fuzz [runs]   (runs: a positive integer, got ${JSON.stringify(runs)})`);
  process.exit(2);
}
const testDir = join(root, 'packages', 'core', 'test');
const files = readdirSync(testDir)
  .filter((f) => /^fuzz-.*\.test\.ts$/.test(f))
  .sort()
  .map((f) => join(testDir, f));

console.log(`tfbench fuzz: ${runs} cases per property, ${files.length} files: ${files.map((f) => f.slice(root.length + 1)).join(', ')}`);
const started = performance.now();
// One file at a time: the native property already keeps a core busy with its child processes.
const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=tap', ...files], {
  cwd: join(root, 'packages', 'core'),
  env: { ...process.env, TFBENCH_FUZZ_RUNS: runs },
  stdio: ['ignore', 'pipe', 'inherit'],
});
let tap = '';
child.stdout.setEncoding('utf8');
child.stdout.on('data', (chunk) => {
  tap += chunk;
});
const code = await new Promise((done) => child.on('close', (status, signal) => done(signal ? 1 : status ?? 1)));

const seconds = ((performance.now() - started) / 1000).toFixed(0);
const properties = [...tap.matchAll(/^\s*# fuzz (.+?): (\d+) cases in ([\d.]+) s, 0 failures(.*)$/gm)];
for (const [, name, cases, s, rest] of properties) console.log(`  ${name.padEnd(22)} ${cases.padStart(7)} cases  ${s.padStart(6)} s  0 failures${rest}`);
const counts = /^# pass (\d+)\n# fail (\d+)/m.exec(tap);
if (code !== 0 || counts === null || counts[2] !== '0') {
  // The failing tests, as the TAP reporter wrote them (fast-check's report holds the shrunk case and its seed).
  const failures = tap.split(/^(?=\s*(?:not )?ok \d+ - )/m).filter((block) => /^\s*not ok/.test(block));
  console.log(failures.join('\n'));
  console.log(`tfbench fuzz: FAILED after ${seconds} s (${counts ? `${counts[2]} failing tests` : `exit ${code}`})`);
  process.exit(1);
}
console.log(`tfbench fuzz: ${properties.length} properties, ${properties.reduce((n, p) => n + Number(p[2]), 0)} cases, 0 failures, 0 crashes, ${seconds} s (${counts[1]} tests passed)`);
