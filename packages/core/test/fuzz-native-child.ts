// One batch of the native fuzz cases, in a child process so that an abort or a segfault in the addon is seen
// by fuzz-safetensors.test.ts (which names the case it was on) instead of killing the test runner.
//   node --import tsx fuzz-native-child.ts <seed> <runs> <seconds or 0> <progress file>
// Each case is written to the progress file before it runs; the last line on stdout is
// { numRuns, failed, report }. Two properties share the runs:
// - a malformed file through what run and check do: readSafetensorsHeader, then loadCheckpointWeights
//   (mapping and the addon's loadWeights), ending in a WeightsError or the addon's BAD_WEIGHTS, or loaded;
// - entries handed straight to loadWeights, as no TypeScript parser would make them (shapes, dtypes and
//   byte ranges at the edges, names that are no parameter): the addon alone must refuse them.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { libtorchBackend, type BackendModel } from '../src/backend/index.js';
import { WeightsError } from '../src/errors.js';
import { normaliseConfig, readSafetensorsHeader } from '../src/models/index.js';
import { loadCheckpointWeights } from '../src/run/weights.js';
import { edgeNumber } from './fuzz.js';
import { TINY_BERT_CONFIG, TINY_BERT_PARAMETERS, renderCase, safetensorsCase } from './safetensors-cases.js';

const [seed, runs, seconds, progress] = process.argv.slice(2);
const dir = mkdtempSync(join(tmpdir(), 'tfbench-fuzz-native-'));
const file = join(dir, 'model.safetensors');

/** Resolves, or rejects with a coded, one-line error without a C++ backtrace. */
async function endsCleanly(work: Promise<unknown>, codes: readonly string[]): Promise<void> {
  try {
    await work;
  } catch (err) {
    if (err instanceof WeightsError) return;
    const e = err as Error & { code?: string };
    assert.ok(codes.includes(e.code ?? ''), `unexpected ${e.code ?? e.name}: ${e.message}`);
    assert.doesNotMatch(e.message, /frame #|Exception raised from/);
  }
}

const DTYPE_BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2, F64: 8 };

/** Entries as a caller that skipped every check might pass them: mostly near-right (a real parameter, its
 * shape, a range of about its length somewhere in the first few KiB, which may be the header, another
 * tensor's bytes or past the end), some anything at all. */
const rawEntry = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .record({
        parameter: fc.constantFrom(...TINY_BERT_PARAMETERS),
        dtype: fc.constantFrom('F32', 'F32', 'F16', 'BF16', 'F64'),
        begin: fc.integer({ min: 0, max: 6000 }),
        lengthDelta: fc.oneof(fc.constant(0), fc.integer({ min: -8, max: 8 })),
        reshape: fc.oneof(fc.constant(null), fc.array(fc.integer({ min: 0, max: 99 }), { maxLength: 3 })),
      })
      .map(({ parameter, dtype, begin, lengthDelta, reshape }) => {
        const shape = reshape ?? parameter.shape;
        const bytes = shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[dtype]!;
        return { parameter: parameter.name, dtype, shape, begin, end: Math.max(0, begin + bytes + lengthDelta) };
      }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      parameter: fc.oneof(fc.constantFrom(...TINY_BERT_PARAMETERS.map((p) => p.name)), fc.string({ maxLength: 8 })),
      dtype: fc.constantFrom<unknown>('F32', 'F16', 'BF16', 'F64', 'I8', '', 7, null),
      shape: fc.oneof(fc.constantFrom(...TINY_BERT_PARAMETERS.map((p) => p.shape)), fc.array(edgeNumber, { maxLength: 3 }), fc.constantFrom<unknown>('32', null, [[32]], [32, '4'])),
      begin: fc.oneof(fc.integer({ min: 0, max: 5000 }), edgeNumber),
      end: fc.oneof(fc.integer({ min: 0, max: 5000 }), edgeNumber),
    }),
  },
);

async function main(): Promise<void> {
  const model: BackendModel = await libtorchBackend().buildModel(normaliseConfig(TINY_BERT_CONFIG), { device: 'cpu', dtype: 'float32', seed: 0 });
  const note = (what: string, value: unknown) => writeFileSync(progress!, `${what}: ${fc.stringify(value)}\n`);
  const property = fc.asyncProperty(
    safetensorsCase,
    fc.option(fc.array(rawEntry, { minLength: 1, maxLength: 4 }), { nil: null, freq: 2 }),
    async (c, raw) => {
      note('case', { case: c, raw });
      writeFileSync(file, renderCase(c));
      if (raw !== null) {
        await endsCleanly(model.loadWeights(file, raw as never), ['BAD_WEIGHTS', 'BAD_INPUT']);
        return;
      }
      try {
        readSafetensorsHeader(file);
      } catch (err) {
        assert.ok(err instanceof WeightsError, String(err));
        return;
      }
      await endsCleanly(loadCheckpointWeights(model, [file], 'bert'), ['BAD_WEIGHTS']);
    },
  );
  const details = await fc.check(property, {
    seed: Number(seed),
    numRuns: Number(runs),
    ...(Number(seconds) > 0 ? { interruptAfterTimeLimit: Number(seconds) * 1000 } : {}),
  });
  const error = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance ?? '');
  process.stdout.write(`${JSON.stringify({ numRuns: details.numRuns, failed: details.failed, report: details.failed ? `${fc.defaultReportMessage(details)}\nError: ${error}` : null })}\n`);
}

main()
  .catch((err) => {
    process.stdout.write(`${JSON.stringify({ numRuns: 0, failed: true, report: `the batch itself failed: ${err instanceof Error ? err.stack : String(err)}` })}\n`);
  })
  .finally(() => rmSync(dir, { recursive: true, force: true }));
