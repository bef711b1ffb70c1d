import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ARG_DEFINITIONS,
  argsJsonSchema,
  defaultArgs,
  helpRows,
  parseArgs,
  type BenchmarkArgs,
} from '../src/args/index.js';
import { ArgsError, type Problem } from '../src/errors.js';

function ok(input: unknown, overrides?: Record<string, unknown>): BenchmarkArgs {
  const result = parseArgs(input, overrides);
  if (!result.ok) assert.fail(`expected ok, got problems:\n${result.problems.map((p) => `${p.path}: ${p.message}`).join('\n')}`);
  return result.args;
}

function problems(input: unknown, overrides?: Record<string, unknown>): Problem[] {
  const result = parseArgs(input, overrides);
  assert.equal(result.ok, false, 'expected problems');
  return result.ok ? [] : result.problems;
}

describe('parseArgs: defaults', () => {
  it('fills every default from the table', () => {
    const args = ok({ models: ['bert-base-uncased'] });
    assert.deepEqual(args, {
      models: ['bert-base-uncased'],
      configs: [],
      onlyPretrainModel: false,
      batchSizes: [8],
      sequenceLengths: [8, 32, 128, 512],
      inference: true,
      training: false,
      generate: false,
      newTokens: 32,
      speed: true,
      memory: true,
      shard: null,
      device: 'auto',
      framework: 'libtorch',
      tfjsBackend: 'auto',
      dtype: 'float32',
      trainStep: 'backward',
      isolate: true,
      cellTimeoutS: 1800,
      skipAfterOom: true,
      threads: null,
      peakTflops: null,
      seed: 42,
      breakdown: false,
      warmup: 2,
      minTimeS: 1,
      maxTimeS: 10,
      minSamples: 6,
      targetRelCi: 0.01,
      saveToCsv: false,
      inferenceTimeCsvFile: 'inference_time.csv',
      inferenceMemoryCsvFile: 'inference_memory.csv',
      trainTimeCsvFile: 'train_time.csv',
      trainMemoryCsvFile: 'train_memory.csv',
      generateTimeCsvFile: 'generate_time.csv',
      generateMemoryCsvFile: 'generate_memory.csv',
      envInfoCsvFile: 'env.csv',
      outputDir: '.',
      json: null,
      resume: null,
      envPrint: false,
      logPrint: false,
      logFilename: 'tfbench.log',
    });
  });

  it('has one definition per key of defaultArgs, and defaults are fresh copies', () => {
    const defaults = defaultArgs();
    assert.deepEqual(ARG_DEFINITIONS.map((d) => d.key).sort(), Object.keys(defaults).sort());
    defaults.batchSizes.push(99);
    assert.deepEqual(defaultArgs().batchSizes, [8]);
    const a = ok({ models: ['x'] });
    a.sequenceLengths.push(1);
    assert.deepEqual(ok({ models: ['x'] }).sequenceLengths, [8, 32, 128, 512]);
  });

  it('accepts an absent args file when flags name the models', () => {
    assert.deepEqual(ok(undefined, { models: ['bert-base-uncased'] }).models, ['bert-base-uncased']);
    assert.deepEqual(ok(null, { models: 'bert-base-uncased' }).models, ['bert-base-uncased']);
  });

  it('ignores $schema', () => {
    assert.deepEqual(ok({ $schema: './schema.json', models: ['m'] }).models, ['m']);
  });
});

describe('parseArgs: Hugging Face aliases', () => {
  it('maps snake_case names to camelCase keys', () => {
    const args = ok({
      models: ['bert-base-uncased'],
      batch_sizes: [1, 2],
      sequence_lengths: [16],
      only_pretrain_model: true,
      multi_process: false,
      save_to_csv: true,
      inference_time_csv_file: 'a.csv',
      inference_memory_csv_file: 'b.csv',
      train_time_csv_file: 'c.csv',
      train_memory_csv_file: 'd.csv',
      env_info_csv_file: 'e.csv',
      env_print: true,
      log_print: true,
      log_filename: 'run.log',
    });
    assert.deepEqual(args.batchSizes, [1, 2]);
    assert.deepEqual(args.sequenceLengths, [16]);
    assert.equal(args.onlyPretrainModel, true);
    assert.equal(args.isolate, false);
    assert.equal(args.saveToCsv, true);
    assert.equal(args.inferenceTimeCsvFile, 'a.csv');
    assert.equal(args.inferenceMemoryCsvFile, 'b.csv');
    assert.equal(args.trainTimeCsvFile, 'c.csv');
    assert.equal(args.trainMemoryCsvFile, 'd.csv');
    assert.equal(args.envInfoCsvFile, 'e.csv');
    assert.equal(args.envPrint, true);
    assert.equal(args.logPrint, true);
    assert.equal(args.logFilename, 'run.log');
  });

  it('maps fp16 and cuda booleans to dtype and device', () => {
    assert.equal(ok({ models: ['m'], fp16: true }).dtype, 'float16');
    assert.equal(ok({ models: ['m'], fp16: false }).dtype, 'float32');
    assert.equal(ok({ models: ['m'], cuda: false }).device, 'cpu');
    assert.equal(ok({ models: ['m'], cuda: true }).device, 'auto');
  });

  it('reports an alias given with its key, and a non-boolean value alias', () => {
    assert.deepEqual(problems({ models: ['m'], batchSizes: [1], batch_sizes: [2] }), [
      { path: 'batch_sizes', message: 'sets the same argument as "batchSizes" (batchSizes); keep one of them' },
    ]);
    assert.deepEqual(problems({ models: ['m'], fp16: true, dtype: 'bfloat16' }), [
      { path: 'dtype', message: 'sets the same argument as "fp16" (dtype); keep one of them' },
    ]);
    assert.deepEqual(problems({ models: ['m'], fp16: 1 }), [{ path: 'fp16', message: 'expected true or false, got 1' }]);
  });

  it("explains Hugging Face arguments that tfbench does not take", () => {
    assert.deepEqual(problems({ models: ['m'], torchscript: true, no_cuda: true, repeat: 3 }), [
      {
        path: 'torchscript',
        message:
          `Hugging Face's "torchscript" is not supported by tfbench: TorchScript tracing is not part of tfbench (models run as libtorch modules); remove it`,
      },
      { path: 'no_cuda', message: `Hugging Face's "no_cuda" is not supported by tfbench: write "device": "cpu"` },
      {
        path: 'repeat',
        message:
          `Hugging Face's "repeat" is not supported by tfbench: tfbench samples until a time or precision target: use "minSamples", "minTimeS", "maxTimeS", "targetRelCi"`,
      },
    ]);
  });
});

describe('parseArgs: problems', () => {
  it('suggests the closest key for an unknown one', () => {
    assert.deepEqual(problems({ models: ['m'], batch_size: [8], sequenceLength: [8], warmpu: 1, zzzzzz: 1 }), [
      { path: 'batch_size', message: 'unknown argument; did you mean "batchSizes"?' },
      { path: 'sequenceLength', message: 'unknown argument; did you mean "sequenceLengths"?' },
      { path: 'warmpu', message: 'unknown argument; did you mean "warmup"?' },
      { path: 'zzzzzz', message: 'unknown argument' },
    ]);
  });

  it('reports wrong types with the value, at the path of each element', () => {
    assert.deepEqual(
      problems({
        models: ['m'],
        batchSizes: [8, -3, 2.5, '4'],
        sequenceLengths: 128,
        inference: 'yes',
        device: 'gpu',
        dtype: 'float',
        trainStep: 'adam',
        warmup: -1,
        minTimeS: -0.5,
        minSamples: 0,
        threads: 0,
        seed: 1.5,
        json: '',
        outputDir: 3,
      }),
      [
        { path: 'batchSizes[1]', message: 'expected a positive integer, got -3' },
        { path: 'batchSizes[2]', message: 'expected a positive integer, got 2.5' },
        { path: 'batchSizes[3]', message: 'expected a positive integer, got "4"' },
        { path: 'sequenceLengths', message: 'expected a list of positive integers such as [8], got 128' },
        { path: 'inference', message: 'expected true or false, got "yes"' },
        { path: 'device', message: 'expected "auto", "cpu", "cuda" or "cuda:N", got "gpu"' },
        { path: 'dtype', message: 'expected "float32", "float16", "bfloat16" or "auto", got "float"; did you mean "float16" or "float32"?' },
        { path: 'trainStep', message: 'expected "backward" or "optimizer", got "adam"' },
        { path: 'threads', message: 'expected a positive integer or null, got 0' },
        { path: 'seed', message: 'expected a non-negative integer, got 1.5' },
        { path: 'warmup', message: 'expected a non-negative integer, got -1' },
        { path: 'minTimeS', message: 'expected a non-negative number, got -0.5' },
        { path: 'minSamples', message: 'expected a positive integer, got 0' },
        { path: 'outputDir', message: 'expected a non-empty string, got 3' },
        { path: 'json', message: 'expected a non-empty string or null, got ""' },
      ],
    );
  });

  it('accepts every device form', () => {
    for (const device of ['auto', 'cpu', 'cuda', 'cuda:0', 'cuda:12']) assert.equal(ok({ models: ['m'], device }).device, device);
    for (const device of ['cuda:', 'cuda:01', 'cuda:-1', 'CPU', 'mps']) {
      assert.deepEqual(problems({ models: ['m'], device }), [
        { path: 'device', message: `expected "auto", "cpu", "cuda" or "cuda:N", got ${JSON.stringify(device)}` },
      ]);
    }
  });

  it('reports empty lists and duplicates', () => {
    assert.deepEqual(problems({ models: ['m'], batchSizes: [], sequenceLengths: [8, 32, 8] }), [
      { path: 'batchSizes', message: 'expected at least one value, got []' },
      { path: 'sequenceLengths[2]', message: '8 is already in sequenceLengths[0]' },
    ]);
    assert.deepEqual(problems({ models: [] }), [{ path: 'models', message: 'expected at least one model, got []' }]);
    assert.deepEqual(problems({ models: ['bert-base-uncased', 'x', 'bert-base-uncased'] }), [
      { path: 'models[2]', message: 'the name "bert-base-uncased" is already used by models[0]' },
    ]);
  });

  it('requires models unless configs are given', () => {
    assert.deepEqual(problems({}), [
      { path: 'models', message: 'required: a list of model ids, paths or inline models (or give "configs")' },
    ]);
  });

  it('reports minTimeS > maxTimeS at the key that was given', () => {
    assert.deepEqual(problems({ models: ['m'], minTimeS: 20 }), [
      { path: 'minTimeS', message: 'minTimeS (20) is greater than maxTimeS (10)' },
    ]);
    assert.deepEqual(problems({ models: ['m'], maxTimeS: 0.5 }), [
      { path: 'maxTimeS', message: 'minTimeS (1) is greater than maxTimeS (0.5)' },
    ]);
    assert.equal(ok({ models: ['m'], minTimeS: 3, maxTimeS: 3 }).maxTimeS, 3);
  });

  it('reports nothing to do', () => {
    assert.deepEqual(problems({ models: ['m'], inference: false }), [
      { path: 'inference', message: 'inference, training and generate are all false: nothing to measure' },
    ]);
    assert.deepEqual(problems({ models: ['m'], speed: false, memory: false }), [
      { path: 'speed', message: 'speed and memory are both false: nothing to measure' },
    ]);
    assert.equal(ok({ models: ['m'], inference: false, training: true }).training, true);
    assert.equal(ok({ models: ['m'], inference: false, generate: true }).generate, true);
  });

  it('takes generate with newTokens, a positive integer, from the file or --generate --new-tokens', () => {
    const args = ok({ models: ['gpt2'], inference: false }, { generate: 'true', newTokens: '8' });
    assert.deepEqual([args.generate, args.newTokens, args.inference], [true, 8, false]);
    assert.deepEqual(problems({ models: ['m'], generate: true, newTokens: 0 }), [{ path: 'newTokens', message: 'expected a positive integer, got 0' }]);
    assert.deepEqual(problems({ models: ['m'] }, { newTokens: '2.5' }), [{ path: '--new-tokens', message: 'expected a positive integer, got 2.5' }]);
  });

  it('reports a non-object input', () => {
    assert.deepEqual(problems([1, 2]), [{ path: '(args)', message: 'expected an object of arguments, got [1,2]' }]);
  });

  it('collects every problem at once, and ArgsError lists them one per line', () => {
    const found = problems({ models: ['m'], batchSizes: [0], dtype: 'x', bogus: 1 });
    assert.equal(found.length, 3);
    const err = new ArgsError(found);
    assert.equal(err.code, 'BAD_ARGS');
    assert.equal(
      err.message,
      'bogus: unknown argument\nbatchSizes[0]: expected a positive integer, got 0\ndtype: expected "float32", "float16", "bfloat16" or "auto", got "x"',
    );
    assert.match(err.hint, /--help/);
  });
});

describe('parseArgs: overrides (CLI flags)', () => {
  it('win over the file and are coerced from strings', () => {
    const args = ok(
      { models: ['m'], batchSizes: [1], training: false },
      { batchSizes: '2,4', sequenceLengths: ['16', '32'], training: 'true', threads: '4', minTimeS: '0.5', device: 'cuda:1', json: undefined },
    );
    assert.deepEqual(args.batchSizes, [2, 4]);
    assert.deepEqual(args.sequenceLengths, [16, 32]);
    assert.equal(args.training, true);
    assert.equal(args.threads, 4);
    assert.equal(args.minTimeS, 0.5);
    assert.equal(args.device, 'cuda:1');
    assert.equal(args.json, null);
  });

  it('report problems at the flag', () => {
    assert.deepEqual(problems({ models: ['m'] }, { batchSizes: [8, 'x'], warmUp: 3, threads: 'many' }), [
      { path: '--warm-up', message: 'unknown option; did you mean --warmup?' },
      { path: '--batch-sizes[1]', message: 'expected a positive integer, got "x"' },
      { path: '--threads', message: 'expected a positive integer or null, got "many"' },
    ]);
  });
});

describe('parseArgs: models and configs', () => {
  it("runs the Hugging Face docs example: models name configs", () => {
    const args = ok({
      models: ['bert-base', 'bert-384-hid', 'bert-6-lay'],
      configs: [{ model_type: 'bert' }, { model_type: 'bert', hidden_size: 384 }, { model_type: 'bert', num_hidden_layers: 6 }],
      batchSizes: [8],
      sequenceLengths: [8, 32, 128, 512],
    });
    assert.deepEqual(args.models, [
      { name: 'bert-base', config: { model_type: 'bert' } },
      { name: 'bert-384-hid', config: { model_type: 'bert', hidden_size: 384 } },
      { name: 'bert-6-lay', config: { model_type: 'bert', num_hidden_layers: 6 } },
    ]);
    assert.deepEqual(args.configs, args.models);
  });

  it('accepts inline models in models and in configs', () => {
    const inline = { name: 'bert-384-hid', base: 'bert-base-uncased', config: { hidden_size: 384 } };
    assert.deepEqual(ok({ models: ['bert-base-uncased', inline] }).models, ['bert-base-uncased', inline]);
    assert.deepEqual(ok({ configs: [inline] }).models, [inline]);
    assert.deepEqual(ok({ models: [{ name: 'tiny', config: { model_type: 'bert', hidden_size: 32 } }] }).models, [
      { name: 'tiny', config: { model_type: 'bert', hidden_size: 32 } },
    ]);
  });

  it('reports bad inline models with their paths', () => {
    assert.deepEqual(
      problems({
        models: [
          { base: 'bert-base-uncased' },
          { name: 'a' },
          { name: 'b', config: { hidden_size: 8 } },
          { name: 'c', base: 'bert-base-uncased', configs: {} },
          { name: 'd', base: 5 },
          { model_type: 'bert' },
          42,
          '',
        ],
      }),
      [
        { path: 'models[0].name', message: 'required: the name to show for this model' },
        { path: 'models[1]', message: 'needs "base" (a known id or path), "config" (config fields with model_type), or both' },
        { path: 'models[2].config.model_type', message: 'required when there is no "base" (e.g. "bert")' },
        { path: 'models[3].configs', message: 'unknown key (expected name, base, revision, config); did you mean "config"?' },
        { path: 'models[4].base', message: 'expected a known model id, a path or a Hugging Face id, got 5' },
        {
          path: 'models[5]',
          message: 'a raw config needs a name: write { "name": …, "config": { "model_type": … } }, or list it in "configs"',
        },
        { path: 'models[6]', message: 'expected a model id, a path, or { name, base?, revision?, config? }, got 42' },
        { path: 'models[7]', message: 'expected a model id or path, got ""' },
      ],
    );
  });

  it('reports configs that cannot be named or paired', () => {
    assert.deepEqual(problems({ configs: [{ model_type: 'bert' }] }), [
      { path: 'configs[0]', message: 'needs a name: give "models" with one name per config, or write { "name": …, "config": { … } }' },
    ]);
    assert.deepEqual(problems({ models: ['a', 'b'], configs: [{ model_type: 'bert' }] }), [
      { path: 'models', message: 'with "configs", "models" holds one name per config: expected 1 names, got 2' },
    ]);
    assert.deepEqual(problems({ models: [{ name: 'a', base: 'x' }], configs: [{ model_type: 'bert' }] }), [
      {
        path: 'models[0]',
        message: `with "configs", "models" entries are the configs' names: expected a string, got {"name":"a","base":"x"}`,
      },
    ]);
    assert.deepEqual(problems({ models: ['a'], configs: [{ name: 'b', config: { model_type: 'bert' } }] }), [
      { path: 'configs[0].name', message: '"b" differs from models[0] ("a")' },
    ]);
    assert.deepEqual(problems({ models: ['a', 'a'], configs: [{ model_type: 'bert' }, { model_type: 'bert' }] }), [
      { path: 'models[1]', message: 'the name "a" is already used by models[0]' },
    ]);
    assert.deepEqual(problems({ configs: [{ model_type: 3 }, 'bert'] }), [
      { path: 'configs[0].model_type', message: 'expected a model_type string such as "bert", got 3' },
      { path: 'configs[1]', message: 'expected a config object (with model_type) or { name, base?, revision?, config? }, got "bert"' },
    ]);
  });
});

describe('help and schema', () => {
  it('gives one help row per argument with kebab-case flags and defaults as text', () => {
    const rows = helpRows();
    assert.equal(rows.length, ARG_DEFINITIONS.length);
    const row = (flag: string) => rows.find((r) => r.flag === flag);
    assert.deepEqual(row('--sequence-lengths'), {
      key: 'sequenceLengths',
      flag: '--sequence-lengths',
      type: 'positive integers',
      description: 'Sequence lengths to measure (generate: the prompt lengths)',
      default: '8, 32, 128, 512',
      aliases: ['sequence_lengths'],
      group: 'Grid',
    });
    assert.equal(row('--min-time-s')?.default, '1');
    assert.equal(row('--target-rel-ci')?.default, '0.01');
    assert.equal(row('--threads')?.default, 'from the BLAS');
    assert.equal(row('--dtype')?.type, 'float32|float16|bfloat16|auto');
    assert.deepEqual(row('--dtype')?.aliases, ['fp16']);
    assert.equal(row('--env-info-csv-file')?.default, 'env.csv');
    assert.equal(row('--training')?.default, 'false');
    for (const r of rows) assert.ok(r.description.length > 0 && !r.description.includes('\n'), r.flag);
  });

  it('gives a JSON Schema that lists keys and aliases', () => {
    const schema = argsJsonSchema() as { properties: Record<string, Record<string, unknown>>; additionalProperties: boolean };
    assert.equal(schema.additionalProperties, false);
    assert.deepEqual(schema.properties.batchSizes, {
      description: 'Batch sizes to measure',
      type: 'array',
      items: { type: 'integer', minimum: 1 },
      minItems: 1,
      uniqueItems: true,
      default: [8],
    });
    assert.equal(schema.properties.fp16?.type, 'boolean');
    assert.equal(schema.properties.batch_sizes?.type, 'array');
  });
});

describe('shard', () => {
  it('is "i/n" with 1 ≤ i ≤ n, from the file or --shard, or null for every cell', () => {
    assert.equal(ok({ models: ['m'] }).shard, null);
    assert.equal(ok({ models: ['m'], shard: '2/4' }).shard, '2/4');
    assert.equal(ok({ models: ['m'], shard: '02/4' }).shard, '2/4', 'kept in its plain form');
    assert.equal(ok({ models: ['m'], shard: '1/4' }, { shard: '4/4' }).shard, '4/4');
    const expected = 'expected i/n with 1 ≤ i ≤ n such as "1/4", or null, got';
    assert.deepEqual(problems({ models: ['m'], shard: '0/3' }), [{ path: 'shard', message: `${expected} "0/3"` }]);
    assert.deepEqual(problems({ models: ['m'] }, { shard: '4/3' }), [{ path: '--shard', message: `${expected} "4/3"` }]);
    assert.deepEqual(problems({ models: ['m'], shard: 2 }), [{ path: 'shard', message: `${expected} 2` }]);
  });

  it('shows in --help and the JSON Schema', () => {
    const row = helpRows().find((r) => r.flag === '--shard');
    assert.deepEqual([row?.type, row?.default, row?.group], ['i/n', 'all cells', 'Grid']);
    const schema = argsJsonSchema() as { properties: Record<string, Record<string, unknown>> };
    assert.deepEqual(schema.properties.shard?.type, ['string', 'null']);
    assert.equal(schema.properties.shard?.pattern, '^[0-9]+/[0-9]+$');
  });
});

describe('peakTflops', () => {
  it('is a positive number or null', () => {
    const ok = parseArgs({ models: ['bert-base-uncased'], peakTflops: 989.4 });
    assert.ok(ok.ok && ok.args.peakTflops === 989.4);
    const bad = parseArgs({ models: ['bert-base-uncased'], peakTflops: 0 });
    assert.ok(!bad.ok && bad.problems.some((p) => p.path === 'peakTflops' && /positive number or null/.test(p.message)));
  });
});
