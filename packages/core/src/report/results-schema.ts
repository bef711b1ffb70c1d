// The JSON Schema (draft 2020-12) of the results file `tfbench run --json` writes (schemaVersion 1.x),
// shipped as schemas/results.schema.json. Keep it in step with BenchmarkResults and CellRecord: a test
// validates a real run's file against it.
import { RESULTS_SCHEMA_VERSION } from './results.js';

type Schema = Record<string, unknown>;

const num = { type: 'number' };
const nullable = (s: Schema): Schema => ({ anyOf: [s, { type: 'null' }] });
/** An object whose `properties` are all required, and whose `optional` ones may be absent. */
const object = (properties: Record<string, Schema>, extra: Schema = {}, optional: Record<string, Schema> = {}): Schema => ({
  type: 'object',
  required: Object.keys(properties),
  properties: { ...properties, ...optional },
  ...extra,
});
const samples = { type: 'array', items: num };
const phase = object({ median: num, samples });
const positiveInteger = { type: 'integer', minimum: 1 };
const resultsShard = object({ count: positiveInteger, indices: { type: 'array', items: positiveInteger, minItems: 1 } });
const timeRecord = object({
  count: { type: 'integer' },
  median: num,
  mean: num,
  stdev: num,
  min: num,
  max: num,
  p90: num,
  p99: num,
  ciLow: num,
  ciHigh: num,
  ciLevel: num,
  relCiHalfWidth: num,
  samples,
  warmup: samples,
});
/** GenerationRecord (results.ts defines every figure). */
const generation = object({
  newTokens: positiveInteger,
  ttftSeconds: nullable(timeRecord),
  tpotSeconds: nullable(timeRecord),
  itlSeconds: nullable(object({ p50: num, p90: num, p99: num, steps: { type: 'integer' } })),
  prefillTokensPerSecond: nullable(num),
  decodeTokensPerSecond: nullable(num),
  trace: object({ contextStart: positiveInteger, stepSeconds: { type: 'array', items: samples } }),
  weightBytes: num,
  kvCache: object({ formulaBytes: num, allocatedBytes: nullable(num) }),
  bandwidthFloor: nullable(
    object({
      decodeWeightBytes: num,
      bandwidthBytesPerSecond: num,
      bandwidthSource: { enum: ['cell', 'run-start'] },
      bandwidthSamples: { type: 'array', items: num },
      tpotFloorSeconds: num,
      tpotOverFloor: num,
    }),
  ),
});

export function resultsJsonSchema(): Schema {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: `tfbench results (schemaVersion ${RESULTS_SCHEMA_VERSION.split('.')[0]}.x)`,
    ...object({
      schemaVersion: { type: 'string', pattern: '^1\\.' },
      tool: object({ name: { const: 'tfbench' }, version: { type: 'string' } }),
      startedAt: { type: 'string' },
      finishedAt: { type: 'string' },
      interrupted: {
        type: 'boolean',
        description: 'True when the file lacks a record of some planned cell: while the sweep runs (the file is rewritten after every cell) and when it was stopped before the end',
      },
      args: { type: 'object', description: 'The validated arguments (see args.schema.json)' },
      environment: {
        type: 'object',
        required: ['tfbenchVersion', 'framework', 'frameworkVersion', 'device', 'dtype', 'threads', 'gpus'],
        // Files of schema 1.2 and before have no bandwidth.
        properties: {
          memoryBandwidth: {
            description:
              "The device's memory bandwidth from a large copy at start-up: (read + written bytes) per second, the " +
              'median of repeats copies of a bufferBytes buffer; null: not measured (memoryBandwidthReason says why)',
            ...nullable(object({ bytesPerSecond: num, bufferBytes: positiveInteger, repeats: positiveInteger })),
          },
          memoryBandwidthReason: nullable({ type: 'string' }),
        },
      },
      records: { type: 'array', items: { $ref: '#/$defs/record' } },
    },
    {},
    {
      // Optional: files of schema 1.0 have no shard (they hold every cell), and only merged files have merged.
      shard: {
        description: 'The shares of the planned cells this file holds (shards indices of count); null: every cell',
        ...nullable(resultsShard),
      },
      merged: {
        description: 'Written by tfbench merge: the files joined, and where their environments differ',
        ...object({
          sources: {
            type: 'array',
            items: object({
              name: { type: 'string' },
              shard: nullable(resultsShard),
              records: { type: 'integer' },
              startedAt: { type: 'string' },
              finishedAt: { type: 'string' },
            }),
          },
          environmentDifferences: { type: 'array', items: { type: 'string' } },
        }),
      },
    }),
    $defs: {
      record: object({
        model: { type: 'string' },
        batchSize: { type: 'integer' },
        sequenceLength: { type: 'integer' },
        mode: { enum: ['inference', 'training', 'generate'] },
        status: { enum: ['ok', 'oom', 'error', 'timeout', 'skipped'] },
        error: nullable(object({ code: { type: 'string' }, message: { type: 'string' } })),
        device: { type: 'string' },
        dtype: { type: 'string' },
        threads: nullable({ type: 'integer' }),
        blasThreads: { description: "Threads the BLAS ran one matrix product on (libtorch's own with an OpenMP BLAS); null: unknown", ...nullable({ type: 'integer' }) },
        parameterCount: { type: 'integer' },
        timeSeconds: nullable(timeRecord),
        phasesSeconds: nullable(object({ forward: phase, backward: phase, optimizer: nullable(phase) })),
        throughput: nullable(object({ samplesPerSecond: num, tokensPerSecond: num })),
        memory: nullable(
          object({
            rssPeakBytes: num,
            rssBeforeBytes: num,
            rssIncreaseBytes: num,
            tensorPeakBytes: nullable(num),
            tensorBeforeBytes: nullable(num),
            tensorIncreaseBytes: nullable(num),
          }),
        ),
        gpuMemory: nullable(
          object({
            peakAllocatedBytes: num,
            peakReservedBytes: num,
            allocatedBeforeBytes: num,
            allocatedIncreaseBytes: num,
            deviceUsedBytes: nullable(num),
            deviceUsedReason: nullable({ type: 'string' }),
          }),
        ),
        hostSeconds: nullable(object({ median: num, samples })),
        breakdown: nullable({
          type: 'array',
          items: object({ module: { type: 'string' }, seconds: num, beforeBytes: num, peakBytes: num, increaseBytes: num }),
        }),
        buildSeconds: nullable(num),
        efficiency: object({
          flopsPerCall: nullable(num),
          tflopsPerSecond: nullable(num),
          mfu: nullable(num),
          peakTflops: nullable(num),
          peakSource: nullable({ type: 'string' }),
        }),
        warnings: { type: 'array', items: { type: 'string' } },
      },
      {},
      {
        // Optional: files of schema 1.2 and older have no generation field, of 1.3 and older no hub.
        generation: {
          description: 'Generate cells: TTFT, TPOT, ITL, tokens/s, the step trace, weights, KV cache; null otherwise',
          ...nullable(generation),
        },
        hub: {
          description:
            'A model named by a Hugging Face id (or an inline model on one): the repo, the revision asked for, the commit it resolved to; null otherwise',
          ...nullable(object({ repoId: { type: 'string' }, revision: { type: 'string' }, commit: { type: 'string', pattern: '^[0-9a-f]{40}$' } })),
        },
      }),
    },
  };
}
