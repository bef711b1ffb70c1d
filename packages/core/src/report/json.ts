// The JSON results file: versioned, everything a later compare/report needs, raw samples included.
import { readFileSync } from 'node:fs';
import { TfbenchError } from '../errors.js';
import { writeFileAtomic } from './atomic.js';
import { RESULTS_SCHEMA_VERSION, type BenchmarkResults } from './results.js';

export function resultsToJson(results: BenchmarkResults): string {
  return JSON.stringify(results, null, 2) + '\n';
}

/** Writes a results file atomically: a reader or a crash sees the old file or the new one, never a mix. */
export function writeResultsJson(results: BenchmarkResults, path: string): void {
  writeFileAtomic(path, resultsToJson(results));
}

/** Reads a results file; refuses a newer major schema version with a clear message. */
export function readResultsJson(path: string): BenchmarkResults {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new TfbenchError(`cannot read results file ${path}: ${(err as Error).message}`, { code: 'BAD_RESULTS', hint: 'Pass a file written by `tfbench run --json <file>`.' });
  }
  const version = (data as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (typeof version !== 'string' || !Array.isArray((data as { records?: unknown }).records)) {
    throw new TfbenchError(`${path} has no schemaVersion or records: not a tfbench results file`, { code: 'BAD_RESULTS', hint: 'Pass a file written by `tfbench run --json <file>`.' });
  }
  const major = Number(version.split('.')[0]);
  const ours = Number(RESULTS_SCHEMA_VERSION.split('.')[0]);
  if (major > ours) {
    throw new TfbenchError(`${path} uses results schema ${version}, newer than this tfbench understands (${RESULTS_SCHEMA_VERSION})`, { code: 'BAD_RESULTS', hint: 'Upgrade tfbench to read it.' });
  }
  const results = data as BenchmarkResults;
  // Files of schema 1.0 predate sharding: they hold every cell of their sweep.
  if (results.shard === undefined) results.shard = null;
  // Files of schema 1.2 and older predate generation; of 1.3 and older, Hugging Face ids; of 1.4 and older, tensor
  // byte counts.
  for (const record of results.records) {
    if (record === null || typeof record !== 'object') continue;
    record.generation ??= null;
    record.hub ??= null;
    const memory = record.memory as Record<string, unknown> | null | undefined;
    if (memory && typeof memory === 'object') {
      memory.tensorPeakBytes ??= null;
      memory.tensorBeforeBytes ??= null;
      memory.tensorIncreaseBytes ??= null;
    }
    const floor = (record.generation as { bandwidthFloor?: Record<string, unknown> | null } | null)?.bandwidthFloor;
    if (floor) {
      floor.bandwidthSource ??= 'run-start';
      floor.bandwidthSamples ??= [];
    }
  }
  return results;
}
