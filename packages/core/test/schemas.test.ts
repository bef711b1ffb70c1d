// The JSON Schemas that ship in schemas/: args.schema.json is the one generated from the argument table, and
// a real run's results file (training with breakdown, so every optional part is filled) validates against
// results.schema.json.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { argsJsonSchema } from '../src/args/help.js';
import { mergeResults } from '../src/report/merge.js';
import { resultsJsonSchema } from '../src/report/results-schema.js';
import { benchmark } from '../src/run/benchmark.js';
import { schemaFile, validate } from './json-schema.js';


test('the shipped args schema is the one generated from the argument table', () => {
  assert.deepEqual(schemaFile('args.schema.json'), argsJsonSchema());
});

test('a real results file validates against the shipped results schema', async () => {
  const schema = schemaFile('results.schema.json');
  assert.deepEqual(schema, resultsJsonSchema());
  const tiny = {
    name: 'tiny',
    config: { model_type: 'llama', vocab_size: 99, hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, intermediate_size: 37 },
  };
  const results = await benchmark(
    { models: [tiny], sequenceLengths: [8], batchSizes: [1], training: true, breakdown: true, isolate: false, minTimeS: 0.02, targetRelCi: 0, trainStep: 'optimizer', shard: '1/1' },
    { baseDir: process.cwd() },
  );
  const file = JSON.parse(JSON.stringify(results));
  assert.deepEqual(validate(file, schema, schema), []);
  assert.deepEqual(file.shard, { count: 1, indices: [1] });
  // What tfbench merge writes (shard and merged filled in) validates too.
  // Shard 1 of 2 of this sweep is its larger cell, the training one.
  const training = file.records.filter((r: { mode: string }) => r.mode === 'training');
  const partial = { ...file, args: { ...file.args, shard: '1/2' }, shard: { count: 2, indices: [1] }, records: training };
  const merged = JSON.parse(JSON.stringify(mergeResults([partial], { names: ['a.json'] })));
  assert.deepEqual(merged.shard, { count: 2, indices: [1] });
  assert.deepEqual(validate(merged, schema, schema), []);
  const broken = { ...file, records: [{ ...file.records[0], status: 'fine', timeSeconds: { median: 1 } }] };
  const errors = validate(broken, schema, schema);
  assert.ok(errors.some((e) => e.startsWith('$.records[0].status')), errors.join('\n'));
  assert.ok(errors.some((e) => e.startsWith('$.records[0].timeSeconds')), errors.join('\n'));
});
