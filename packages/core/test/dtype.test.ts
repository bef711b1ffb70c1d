// dtype "auto" (transformers' torch_dtype="auto"): each model's config names its dtype, one dtype per run; the args
// keep "auto", the environment and the records carry the dtype the models were built in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs } from '../src/args/index.js';
import { ArgsError, ModelError } from '../src/errors.js';
import { configDtype, knownModelConfig, resolveModels, runDtype } from '../src/models/index.js';
import { benchmark } from '../src/run/benchmark.js';
import { backendOf, fakeModel, tiny } from './fake-backend.js';

const tinyIn = (name: string, fields: Record<string, unknown>) => ({ name, config: { ...tiny.config, ...fields } });

test("a config's dtype: torch_dtype, or transformers v5's dtype, float32 when it names none", () => {
  assert.deepEqual(configDtype({ torch_dtype: 'bfloat16' }), { dtype: 'bfloat16', field: 'torch_dtype' });
  assert.deepEqual(configDtype({ dtype: 'float16' }), { dtype: 'float16', field: 'dtype' });
  assert.deepEqual(configDtype({ torch_dtype: 'float16', dtype: 'float16' }), { dtype: 'float16', field: 'torch_dtype' });
  assert.deepEqual(configDtype({}), { dtype: 'float32', field: null });
  assert.deepEqual(configDtype({ torch_dtype: null }), { dtype: 'float32', field: null });
  // The published configs: Llama-2-7b was saved in float16, Llama-3.2-1B in bfloat16; GPT-2's names none.
  assert.equal(configDtype(knownModelConfig('meta-llama/Llama-2-7b-hf')!).dtype, 'float16');
  assert.equal(configDtype(knownModelConfig('meta-llama/Llama-3.2-1B')!).dtype, 'bfloat16');
  assert.deepEqual(configDtype(knownModelConfig('gpt2')!), { dtype: 'float32', field: null });

  const refused = (config: Record<string, unknown>) => {
    try {
      configDtype(config);
    } catch (err) {
      assert.ok(err instanceof ModelError);
      return err.message;
    }
    assert.fail('expected a ModelError');
  };
  assert.equal(refused({ torch_dtype: 'float64' }), 'torch_dtype: expected one of float32, float16, bfloat16 (or null), got "float64"');
  assert.equal(refused({ torch_dtype: 'torch.float16' }), 'torch_dtype: expected one of float32, float16, bfloat16 (or null), got "torch.float16"');
  assert.equal(refused({ dtype: 16 }), 'dtype: expected one of float32, float16, bfloat16 (or null), got 16');
  assert.equal(refused({ torch_dtype: 'float16', dtype: 'bfloat16' }), 'torch_dtype "float16" and dtype "bfloat16" name different dtypes');
});

test('the dtype of a run: an explicit one as given; "auto" the one every config names, else an error asking for --dtype', () => {
  const resolve = (input: Record<string, unknown>) => {
    const parsed = parseArgs(input);
    assert.ok(parsed.ok, JSON.stringify(!parsed.ok && parsed.problems));
    return { args: parsed.args, models: resolveModels(parsed.args, { baseDir: process.cwd() }) };
  };
  const bf16 = tinyIn('bf16', { torch_dtype: 'bfloat16' });
  const v5 = tinyIn('v5', { dtype: 'bfloat16' });
  const mixed = resolve({ models: [bf16, v5, tiny, 'meta-llama/Llama-2-7b-hf'], dtype: 'auto' });
  assert.equal(mixed.args.dtype, 'auto');
  assert.equal(runDtype({ ...mixed.args, dtype: 'float32' }, mixed.models), 'float32');
  assert.throws(
    () => runDtype(mixed.args, mixed.models),
    (err) => {
      assert.ok(err instanceof ArgsError);
      assert.equal(
        err.message,
        'dtype: "auto" reads different dtypes from the models\' configs: bfloat16 for "bf16", "v5"; float32 for "tiny" ' +
          '(no torch_dtype); float16 for "meta-llama/Llama-2-7b-hf"; a run builds every model in one dtype',
      );
      assert.equal(err.hint, 'Pass --dtype (dtype in args.json) explicitly, or run the models of each dtype separately.');
      return true;
    },
  );
  const same = resolve({ models: [bf16, v5, { name: 'overridden', base: 'meta-llama/Llama-2-7b-hf', config: { torch_dtype: 'bfloat16' } }], dtype: 'auto' });
  assert.equal(runDtype(same.args, same.models), 'bfloat16');
  assert.equal(runDtype({ dtype: 'auto' }, []), 'float32');

  const bad = resolve({ configs: [tinyIn('a', { torch_dtype: 'int8' }), tiny, tinyIn('c', { torch_dtype: 'float16', dtype: 'float32' })], dtype: 'auto' });
  assert.throws(
    () => runDtype(bad.args, bad.models),
    (err) => {
      assert.ok(err instanceof ModelError);
      assert.equal(err.message.split('\n')[0], 'dtype "auto" cannot read the dtype of 2 models:');
      assert.deepEqual(err.problems, [
        { path: 'configs[0]', message: 'config of "a": torch_dtype: expected one of float32, float16, bfloat16 (or null), got "int8"' },
        { path: 'configs[2]', message: 'config of "c": torch_dtype "float16" and dtype "float32" name different dtypes' },
      ]);
      assert.match(err.hint, /^Pass --dtype \(dtype in args\.json\) explicitly, or override torch_dtype in an inline config/);
      return true;
    },
  );
});

test('a run with dtype "auto" builds and records the dtype the configs name; the args keep "auto"', async () => {
  const built: string[] = [];
  const model = fakeModel({ seconds: () => 0.001 });
  const backend = backendOf(model, 2, {
    buildModel: async (_spec, options) => {
      built.push(options.dtype);
      return model;
    },
  });
  const input = { models: [tinyIn('a', { torch_dtype: 'bfloat16' }), tinyIn('b', { dtype: 'bfloat16' })], batchSizes: [1], sequenceLengths: [8] };
  const results = await benchmark({ ...input, dtype: 'auto', isolate: false, device: 'cpu', threads: 2, minTimeS: 0 }, { backend });
  assert.equal(results.args.dtype, 'auto');
  assert.equal(results.environment.dtype, 'bfloat16');
  assert.deepEqual(results.records.map((r) => [r.model, r.status, r.dtype]), [['a', 'ok', 'bfloat16'], ['b', 'ok', 'bfloat16']]);
  assert.ok(built.length > 0 && built.every((d) => d === 'bfloat16'), built.join(', '));

  // float16 on the CPU is refused after "auto" is read, as when it is asked for.
  const half = { models: [tinyIn('half', { torch_dtype: 'float16' })], batchSizes: [1], sequenceLengths: [8] };
  await assert.rejects(benchmark({ ...half, dtype: 'auto', isolate: false, device: 'cpu', threads: 2 }, { backend }), (err) => {
    assert.ok(err instanceof ArgsError);
    assert.equal(
      err.message,
      'dtype: float16 (what "auto" reads from the models\' torch_dtype) cannot run on the CPU with this libtorch (no ' +
        'half-precision matmul); use "bfloat16" or "float32", or a CUDA device',
    );
    return true;
  });
});
