// benchmark() with framework "tfjs": isolated cells whose workers build the TensorFlow.js backend the ref names,
// the environment naming it, generate cells skipped with the reason, and the arguments it cannot honour refused
// before anything runs; Hugging Face's TensorFlow arguments (eager_mode noted, use_xla refused).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs } from '../src/args/index.js';
import { environmentEntries } from '../src/env/index.js';
import { ArgsError } from '../src/errors.js';
import { benchmark, type ProgressEvent } from '../src/run/benchmark.js';
import { tiny, tinyGpt2 } from './fake-backend.js';

const quick = { batchSizes: [1], sequenceLengths: [8], device: 'cpu', warmup: 1, minSamples: 3, minTimeS: 0.02, maxTimeS: 0.5, targetRelCi: 0 };

test('framework tfjs: isolated cells measured with the wasm backend, named in the environment; generate cells skipped', async () => {
  const events: ProgressEvent[] = [];
  const results = await benchmark(
    { models: [tiny, tinyGpt2], ...quick, framework: 'tfjs', tfjsBackend: 'wasm', training: true, generate: true, newTokens: 2, eager_mode: true },
    { onProgress: (e) => events.push(e) },
  );
  const env = results.environment;
  assert.equal(env.framework, 'tfjs');
  assert.equal(env.frameworkVersion, '4.22.0');
  assert.equal(env.frameworkSource, 'wasm (@tensorflow/tfjs-backend-wasm 4.22.0)');
  assert.equal(env.threads, 1);
  assert.equal(env.threadsChoice.rule, 'backend');
  assert.equal(env.blas, 'XNNPACK via tfjs-backend-wasm (serial)');
  const rows = new Map(environmentEntries(env));
  assert.equal(rows.get('framework'), 'tfjs');
  assert.equal(rows.get('tfjs_backend'), 'wasm (@tensorflow/tfjs-backend-wasm 4.22.0)');
  assert.equal(rows.has('libtorch_source'), false);
  assert.equal(results.args.framework, 'tfjs');
  assert.equal(results.args.tfjsBackend, 'wasm');

  const byCell = new Map(results.records.map((r) => [`${r.model}:${r.mode}`, r]));
  for (const cell of ['tiny:inference', 'tiny:training', 'tiny-gpt2:inference', 'tiny-gpt2:training']) {
    const r = byCell.get(cell)!;
    assert.equal(r.status, 'ok', `${cell}: ${r.error?.message}`);
    assert.ok(r.timeSeconds!.count >= 3 && r.timeSeconds!.median > 0);
    assert.ok(r.memory!.rssPeakBytes >= r.memory!.rssBeforeBytes && r.memory!.rssBeforeBytes > 0);
    assert.ok(r.memory!.tensorPeakBytes! > r.memory!.tensorBeforeBytes! && r.memory!.tensorBeforeBytes! >= 4 * r.parameterCount);
    assert.equal(r.memory!.tensorIncreaseBytes, r.memory!.tensorPeakBytes! - r.memory!.tensorBeforeBytes!);
    assert.equal(r.threads, 1);
  }
  assert.ok(byCell.get('tiny:training')!.phasesSeconds!.backward.median > 0);
  for (const cell of ['tiny:generate', 'tiny-gpt2:generate']) {
    const r = byCell.get(cell)!;
    assert.equal(r.status, 'skipped');
    assert.equal(r.error?.code, 'CANNOT_GENERATE');
    assert.match(r.error!.message, /cannot generate: the tfjs backend does not generate yet/);
  }
  const notes = events.filter((e) => e.type === 'note').map((e) => (e as { message: string }).message);
  assert.deepEqual(notes, [
    'eager_mode: every model runs eagerly, op by op: TensorFlow.js ("framework": "tfjs") has no graph mode (tf.function) and libtorch modules run eagerly too; eager_mode is accepted and changes nothing',
  ]);
});

test('framework tfjs refuses up front what the tfjs backend cannot do, naming each argument', async () => {
  const problems = async (args: Record<string, unknown>) => {
    const err = await benchmark({ models: [tiny], ...quick, framework: 'tfjs', tfjsBackend: 'cpu', ...args }).then(
      () => assert.fail('expected ArgsError'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ArgsError, String(err));
    return err.problems.map((p) => `${p.path}: ${p.message}`);
  };
  assert.deepEqual(await problems({ dtype: 'bfloat16', training: true, trainStep: 'optimizer', breakdown: true, threads: 2 }), [
    'dtype: bfloat16: the tfjs backend computes in float32 only',
    'breakdown: the tfjs backend has no per-module breakdown',
    "threads: 2: TensorFlow.js's cpu backend runs JavaScript on Node's main thread (1)",
  ]);
  // A spec the backend cannot build (every family and rotary scaling is built; dynamic NTK's base exponent
  // head_dim / (head_dim - 2) needs head_dim > 2).
  const dynamicConfig = { model_type: 'llama', architectures: ['LlamaForCausalLM'], vocab_size: 99, hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, head_dim: 2, intermediate_size: 37, max_position_embeddings: 64, rope_scaling: { rope_type: 'dynamic', factor: 2 } };
  assert.deepEqual(await problems({ models: [{ name: 'tiny-dynamic', config: dynamicConfig }] }), [
    'models[0]: tiny-dynamic: head_dim must exceed 2 for dynamic rotary scaling, got 2',
  ]);
  await assert.rejects(
    benchmark({ models: [tiny], ...quick, framework: 'tfjs', tfjsBackend: 'cpu', device: 'cuda' }),
    (e: Error & { code?: string }) => e.code === 'NO_CUDA' && /the tfjs backend runs on the CPU only/.test(e.message),
  );
});

test("Hugging Face's TensorFlow arguments: eager_mode is accepted with a note, use_xla and tpu_name are refused", () => {
  const ok = parseArgs({ models: ['bert-base-uncased'], eager_mode: false });
  assert.ok(ok.ok);
  assert.equal(ok.notes[0]!.path, 'eager_mode');
  assert.match(ok.notes[0]!.message, /accepted and changes nothing/);
  const plain = parseArgs({ models: ['bert-base-uncased'] });
  assert.ok(plain.ok);
  assert.deepEqual(plain.notes, []);
  const bad = parseArgs({ models: ['bert-base-uncased'], eager_mode: 'yes', use_xla: true, tpu_name: 'v3-8', framework: 'tensorflow', tfjsBackend: 'webgl' });
  assert.ok(!bad.ok);
  assert.deepEqual(
    bad.problems.map((p) => `${p.path}: ${p.message}`),
    [
      'eager_mode: expected true or false, got "yes"',
      `use_xla: Hugging Face's "use_xla" is not supported by tfbench: TensorFlow.js, the TensorFlow tfbench runs ("framework": "tfjs"), has no XLA compiler; remove it`,
      `tpu_name: Hugging Face's "tpu_name" is not supported by tfbench: TPUs are not supported; use "device"`,
      'framework: expected "libtorch" or "tfjs", got "tensorflow"',
      'tfjsBackend: expected "auto", "node", "wasm" or "cpu", got "webgl"',
    ],
  );
  const defaults = parseArgs({ models: ['bert-base-uncased'] });
  assert.ok(defaults.ok);
  assert.equal(defaults.args.framework, 'libtorch');
  assert.equal(defaults.args.tfjsBackend, 'auto');
});
