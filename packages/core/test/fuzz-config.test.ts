// Fuzzed model configs (inline configs over every family's known config, and config.json files): resolving
// one never throws anything but a ModelError with one `path: message` line per problem, never hangs, and a
// config it accepts gets a finite parameter count that checkFits compares with memory before anything is
// allocated. Inputs: zero, negative, fractional, huge (up to 2^53) and mistyped sizes, heads that do not
// divide hidden, absurd vocab and layer counts, unknown keys.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import type { GpuReport } from '../src/backend/index.js';
import { ModelError, formatValue } from '../src/errors.js';
import {
  checkFits,
  checkModelsFit,
  families,
  formatBytes,
  knownModelConfig,
  mapCheckpointToParameters,
  memoryCapacity,
  parameterCount,
  parameterShapes,
  resolveModel,
  type FitOptions,
  type ModelSpec,
  type ResolvedModel,
} from '../src/models/index.js';
import { benchmark } from '../src/run/benchmark.js';
import { checkCheckpoint } from '../src/run/check.js';
import { PROTOTYPE_NAMES, checkProperty, edgeNumber, nested, wildValue } from './fuzz.js';
import { safetensorsBytes } from './safetensors-bytes.js';

const opts = { onlyPretrainModel: false, baseDir: process.cwd() };
/** One known model per model_type, so every family's reader is fuzzed. */
const BASES = ['bert-base-uncased', 'roberta-base', 'distilbert-base-uncased', 'gpt2', 't5-small', 'meta-llama/Llama-3.2-1B', 'mistralai/Mistral-7B-v0.1', 'Qwen/Qwen2.5-0.5B'];

/** Size keys under every family's names (and aliases), plus the keys of the base configs. */
const SIZE_KEYS = [
  'vocab_size', 'hidden_size', 'num_hidden_layers', 'num_attention_heads', 'intermediate_size', 'max_position_embeddings',
  'type_vocab_size', 'num_key_value_heads', 'head_dim', 'n_embd', 'n_layer', 'n_head', 'n_inner', 'n_positions', 'dim',
  'n_layers', 'n_heads', 'hidden_dim', 'd_model', 'd_kv', 'd_ff', 'num_layers', 'num_decoder_layers', 'num_heads',
  'relative_attention_num_buckets', 'relative_attention_max_distance', 'sliding_window', 'pad_token_id',
];
const configKeys = [...new Set([...SIZE_KEYS, ...BASES.flatMap((id) => Object.keys(knownModelConfig(id)!))])];

/** A value for a size: small, absurd but valid (up to 2^53 − 1), or not a size at all. */
const sizeValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 64 }) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }) },
  { weight: 2, arbitrary: fc.constantFrom(0, -1, -768, 0.5, 767.5, 1e12, 2 ** 53, 1e308) },
  { weight: 2, arbitrary: edgeNumber },
  { weight: 1, arbitrary: wildValue },
  { weight: 1, arbitrary: fc.constantFrom(...PROTOTYPE_NAMES).chain((name) => fc.constantFrom<unknown>(name, [name], `gated-${name}`)) },
);

/** Overrides over a known config: sizes, other fields, unknown keys. */
const overrides: fc.Arbitrary<Record<string, unknown>> = fc.dictionary(
  fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...configKeys) }, { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 8 }) }),
  sizeValue,
  { minKeys: 1, maxKeys: 6 },
);

/** The memory check as `benchmark` makes it, in a given capacity. */
function fitOptions(capacityBytes: number, dtype: FitOptions['dtype'] = 'float32'): FitOptions {
  return { dtype, inference: true, training: true, trainStep: 'optimizer', capacity: { bytes: capacityBytes, what: 'RAM' } };
}

/** Every parameter of the spec listed and multiplied out: what parameterCount must equal. */
function listedCount(spec: ModelSpec): number {
  return parameterShapes(spec).reduce((total, p) => total + p.shape.reduce((a, b) => a * b, 1), 0);
}

test('fuzzed configs resolve or end in a ModelError, and a resolved one is counted and checked against memory', { timeout: 120_000 }, async (t) => {
  await checkProperty(
    t,
    'config',
    fc.property(fc.constantFrom(...BASES), overrides, fc.constantFrom<'float32' | 'bfloat16'>('float32', 'bfloat16'), (base, config, dtype) => {
      let model: ResolvedModel;
      try {
        model = resolveModel({ name: 'fuzzed', base, config }, opts);
      } catch (err) {
        assert.ok(err instanceof ModelError, `expected a ModelError, got ${String(err)}`);
        assert.ok(err.message.trim() !== '');
        for (const p of err.problems) {
          assert.ok(p.path !== '' && p.message.trim() !== '', formatValue(p));
          assert.ok(!/[\n\r]/.test(p.path + p.message), `one line per problem: ${formatValue(p)}`);
        }
        return;
      }
      for (const count of [model.parameterCount, model.trainParameterCount]) assert.ok(Number.isFinite(count) && count > 0, `count ${count}`);
      // What the addon receives: plain values only (a function here came from a table lookup that found
      // Object.prototype's member for a name like "constructor").
      for (const spec of [model.spec, model.trainSpec]) {
        for (const [key, value] of Object.entries(spec)) assert.ok(['number', 'string', 'boolean'].includes(typeof value), `spec.${key}: ${formatValue(value)}`);
      }
      const capacity = 64 * 2 ** 30;
      const message = checkFits(model, fitOptions(capacity, dtype));
      const bytes = model.trainParameterCount * 4 * (dtype === 'float32' ? 4 : 2);
      if (message === undefined) {
        assert.ok(bytes <= capacity, `${bytes} bytes fit in ${capacity}?`);
      } else {
        assert.ok(bytes > capacity || model.parameterCount * (dtype === 'float32' ? 4 : 2) > capacity);
        assert.match(message, /^"fuzzed" cannot fit: .* parameters × [24] bytes \((float32|bfloat16)\) = .*, are more than the 64 GiB of RAM \(vocab_size \d+, /);
      }
    }),
    { runs: 300, seconds: 6 },
  );
});

/** Small sizes every family accepts: heads × head size = hidden, an even head size (rotary embeddings). */
const smallSizes = fc
  .record({ heads: fc.integer({ min: 1, max: 4 }), headDim: fc.integer({ min: 1, max: 4 }).map((h) => 2 * h), layers: fc.integer({ min: 0, max: 5 }), decoderLayers: fc.integer({ min: 0, max: 5 }), vocab: fc.integer({ min: 2, max: 50 }), inner: fc.integer({ min: 1, max: 40 }), tied: fc.boolean() })
  .map(({ heads, headDim, layers, decoderLayers, vocab, inner, tied }) => {
    const hidden = heads * headDim;
    return {
      vocab_size: vocab, hidden_size: hidden, n_embd: hidden, dim: hidden, d_model: hidden, d_kv: headDim, head_dim: headDim,
      num_attention_heads: heads, n_head: heads, n_heads: heads, num_heads: heads, num_key_value_heads: heads,
      num_hidden_layers: Math.max(layers, 1), n_layer: Math.max(layers, 1), n_layers: Math.max(layers, 1), num_layers: layers, num_decoder_layers: decoderLayers,
      intermediate_size: inner, hidden_dim: inner, d_ff: inner, n_inner: inner, pad_token_id: 0, tie_word_embeddings: tied,
    };
  });

test('parameterCount equals the listed parameters multiplied out, for every family', { timeout: 120_000 }, async (t) => {
  await checkProperty(
    t,
    'parameter count',
    fc.property(fc.constantFrom(...BASES), smallSizes, fc.boolean(), (base, config, onlyPretrainModel) => {
      const m = resolveModel({ name: 'small', base, config }, { ...opts, onlyPretrainModel });
      assert.equal(m.parameterCount, listedCount(m.spec));
      assert.equal(m.trainParameterCount, listedCount(m.trainSpec));
    }),
    { runs: 150, seconds: 4 },
  );
  assert.equal(families.length, 6, 'BASES has a model of every family');
});

test('10^8 layers are counted without listing them, and refused with the numbers', { timeout: 60_000 }, () => {
  const m = resolveModel({ name: 'deep', base: 'gpt2', config: { n_layer: 100_000_000 } }, opts);
  const twelve = resolveModel('gpt2', opts);
  const perLayer = (twelve.parameterCount - resolveModel({ name: 'one', base: 'gpt2', config: { n_layer: 1 } }, opts).parameterCount) / 11;
  assert.equal(perLayer, 7_087_872); // ln_1, attn.c_attn, attn.c_proj, ln_2, mlp.c_fc, mlp.c_proj at n_embd 768
  assert.equal(m.parameterCount, twelve.parameterCount + (100_000_000 - 12) * perLayer);
  assert.equal(
    checkFits(m, { ...fitOptions(24 * 2 ** 30), training: false }),
    '"deep" cannot fit: its weights alone, 708,787,239,385,344 parameters × 4 bytes (float32) = 2.52 PiB, are more than the 24 GiB of RAM ' +
      '(vocab_size 50257, hidden_size 768, intermediate_size 3072, num_hidden_layers 100000000)',
  );
});

test('a vocab of 10^12 is refused before allocating, naming the figure compared', () => {
  const m = resolveModel({ name: 'huge-vocab', base: 'bert-base-uncased', config: { vocab_size: 1e12 } }, opts);
  // BertForMaskedLM: the word embeddings [10^12, 768] and the head's bias [10^12] dominate.
  assert.equal(m.parameterCount, 1e12 * 768 + 1e12 + (109_514_298 - 30522 * 768 - 30522));
  const sizes = '(vocab_size 1000000000000, hidden_size 768, intermediate_size 3072, num_hidden_layers 12)';
  const ram = { bytes: 24 * 2 ** 30, what: 'RAM' };
  assert.equal(
    checkFits(m, { dtype: 'float32', inference: true, training: false, trainStep: 'backward', capacity: ram }),
    `"huge-vocab" cannot fit: its weights alone, 769,000,086,042,880 parameters × 4 bytes (float32) = 2.73 PiB, are more than the 24 GiB of RAM ${sizes}`,
  );
  assert.equal(
    checkFits(m, { dtype: 'bfloat16', inference: false, training: true, trainStep: 'backward', capacity: ram }),
    `"huge-vocab" cannot fit: training's weights and gradients, 2 × 769,000,086,042,880 parameters × 2 bytes (bfloat16) = 2.73 PiB, are more than the 24 GiB of RAM ${sizes}`,
  );
  assert.match(
    checkFits(m, { dtype: 'float32', inference: false, training: true, trainStep: 'optimizer', capacity: ram })!,
    /^"huge-vocab" cannot fit: training's weights, gradients and AdamW's two moments, 4 × 769,000,086,042,880 parameters × 4 bytes \(float32\) = 10.9 PiB, /,
  );
  // A model that fits its weights but not training's four copies is refused only for training.
  const base = resolveModel('bert-base-uncased', opts); // 109,514,298 parameters: 418 MiB of float32 weights
  const capacity = { bytes: 1 * 2 ** 30, what: 'RAM' };
  assert.equal(checkFits(base, { dtype: 'float32', inference: true, training: false, trainStep: 'optimizer', capacity }), undefined);
  assert.match(checkFits(base, { dtype: 'float32', inference: true, training: true, trainStep: 'optimizer', capacity })!, /= 1.63 GiB, are more than the 1 GiB of RAM/);
});

test('checkModelsFit reports each model that cannot fit at its models[i] or configs[i]', () => {
  const small = resolveModel('gpt2', opts);
  const big = resolveModel({ name: 'big', base: 'gpt2', config: { vocab_size: 1e12 } }, opts);
  const args = { dtype: 'float32' as const, inference: true, training: false, trainStep: 'backward' as const };
  const ram = { bytes: 8 * 2 ** 30, what: 'RAM' };
  for (const [configs, key] of [[[], 'models'], [[{}, {}], 'configs']] as const) {
    try {
      checkModelsFit([small, big], { ...args, configs }, ram);
      assert.fail('expected a ModelError');
    } catch (err) {
      assert.ok(err instanceof ModelError);
      assert.deepEqual(err.problems.map((p) => p.path), [`${key}[1]`]);
      assert.match(err.message, new RegExp(`^a model cannot fit in memory:\\n  ${key}\\[1\\]: "big" cannot fit: its weights alone, 768,\\d{3},\\d{3},\\d{3},\\d{3} parameters`));
      assert.match(err.hint, /a 16-bit dtype, or a device with more memory/);
    }
  }
  assert.doesNotThrow(() => checkModelsFit([big], args, null)); // a GPU of unknown size: no check
});

test('formatBytes gives 3 significant digits in binary units', () => {
  assert.deepEqual([512, 1536, 24 * 2 ** 30, 2.5 * 2 ** 40, 2 ** 60 * 1.41e16].map(formatBytes), ['512 B', '1.5 KiB', '24 GiB', '2.5 TiB', '1.41e+16 EiB']);
});

test('a config.json nested past 64 levels is refused at its path', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tfbench-deep-'));
  const path = join(dir, 'config.json');
  // Written as text: JSON.stringify itself cannot go that deep.
  writeFileSync(path, `{"model_type": "bert", "hidden_act": ${'['.repeat(10_000)}${']'.repeat(10_000)}}`);
  assert.throws(
    () => resolveModel(path, { onlyPretrainModel: false, baseDir: dir }),
    (err) =>
      err instanceof ModelError &&
      err.message === `${path}: the config nests more than 64 levels deep (objects and arrays), at hidden_act${'[0]'.repeat(64)}`,
  );
});

test('parameterCount of a spec with no layers', () => {
  const spec = resolveModel({ name: 'flat', base: 't5-small', config: { num_layers: 0, num_decoder_layers: 0 } }, opts).spec;
  assert.equal(parameterCount(spec), listedCount(spec));
});

test("a library caller's inline config nested past 64 levels is refused at its path", () => {
  assert.throws(
    () => resolveModel({ name: 'x', base: 'gpt2', config: { task: nested(10_000, 'object') } }, opts),
    (err) => err instanceof ModelError && err.message === `the config of "x" nests more than 64 levels deep (objects and arrays), at task${'.a'.repeat(61)}`,
  );
});

test('benchmark refuses a model whose weights exceed the RAM before any cell runs', async () => {
  const cells: unknown[] = [];
  await assert.rejects(
    benchmark(
      { models: ['gpt2', { name: 'big', base: 'gpt2', config: { vocab_size: 1e12 } }], device: 'cpu', isolate: false, sequenceLengths: [8], batchSizes: [1] },
      { onProgress: (e) => cells.push(e) },
    ),
    (err) => {
      assert.ok(err instanceof ModelError);
      assert.deepEqual(err.problems.map((p) => p.path), ['models[1]']);
      assert.match(err.message, /^a model cannot fit in memory:\n  models\[1\]: "big" cannot fit: its weights alone, 768,\d{3},\d{3},\d{3},\d{3} parameters × 4 bytes \(float32\) = 2\.\d\d PiB, are more than the [\d.]+ [GT]iB of RAM \(vocab_size 1000000000000, /);
      assert.equal(err.message.split('of RAM')[0]!.endsWith(`${formatBytes(totalmem())} `), true);
      return true;
    },
  );
  assert.deepEqual(cells, [], 'nothing was planned or run');
});

test('invalid JSON in a config.json is reported on one line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tfbench-json-'));
  const path = join(dir, 'config.json');
  writeFileSync(path, '{"model_type": "bert",\n "hidden_size": 768,\n "vocab_size": nope\n}\n');
  assert.throws(
    () => resolveModel(path, { onlyPretrainModel: false, baseDir: dir }),
    // V8 quotes the text around the error, line breaks included (the wording varies between Node versions).
    (err) => err instanceof ModelError && err.message.startsWith(`${path}: the config is not valid JSON (`) && !/[\n\r]/.test(err.message),
  );
});

test('check refuses a checkpoint whose config cannot fit before building it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tfbench-check-big-'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'gpt2', architectures: ['GPT2LMHeadModel'], vocab_size: 1e12 }));
  const weights = safetensorsBytes({ 'transformer.wte.weight': { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 4);
  writeFileSync(join(dir, 'model.safetensors'), weights);
  writeFileSync(join(dir, 'expected.safetensors'), safetensorsBytes({ input_ids: { dtype: 'I64', shape: [1, 1], data_offsets: [0, 8] } }, 8));
  await assert.rejects(checkCheckpoint(dir), (err) => {
    assert.ok(err instanceof ModelError);
    assert.match(err.message, new RegExp(`^"${dir}" cannot fit: its weights alone, 768,\\d{3},\\d{3},\\d{3},\\d{3} parameters × 4 bytes \\(float32\\) = 2\\.\\d\\d PiB, are more than the [\\d.]+ [GMT]iB of RAM \\(vocab_size 1000000000000, `));
    return true;
  });
});

test("memoryCapacity: the machine's RAM on the CPU, the device's memory from gpuInfo on CUDA, none when unknown", () => {
  const gpus = (count: number) => () =>
    ({
      cudaRuntimeVersion: 12040,
      cudnnVersion: 90100,
      cudaDevices: Array.from({ length: count }, (_, index) => ({ index, name: `GPU ${index}`, totalMemoryBytes: (index + 1) * 80 * 2 ** 30, pciBusId: '', computeCapability: '9.0' })),
      nvml: { reason: null, driverVersion: null, cudaDriverVersion: null, devices: [] },
    }) as GpuReport;
  assert.deepEqual(memoryCapacity('cpu', gpus(0)), { bytes: totalmem(), what: 'RAM' });
  assert.deepEqual(memoryCapacity('cuda:1', gpus(2)), { bytes: 160 * 2 ** 30, what: 'memory of cuda:1 (GPU 1)' });
  assert.deepEqual(memoryCapacity('cuda', gpus(2)), { bytes: 80 * 2 ** 30, what: 'memory of cuda:0 (GPU 0)' });
  assert.equal(memoryCapacity('cuda:3', gpus(2)), null);
  const m = resolveModel({ name: 'big', base: 'gpt2', config: { vocab_size: 1e9 } }, opts);
  assert.match(checkFits(m, { ...fitOptions(160 * 2 ** 30), training: false, capacity: memoryCapacity('cuda:1', gpus(2))! })!, /= 2\.79 TiB, are more than the 160 GiB of memory of cuda:1 \(GPU 1\) /);
});

test('a name that is a member of every object (constructor, toString, __proto__) is not found in a lookup table', () => {
  const problemsOf = (base: string, config: Record<string, unknown>) => {
    try {
      resolveModel({ name: 'x', base, config }, opts);
    } catch (err) {
      assert.ok(err instanceof ModelError, String(err));
      return err.problems.map((p) => `${p.path}: ${p.message}`);
    }
    assert.fail('expected a ModelError');
  };
  assert.deepEqual(problemsOf('bert-base-uncased', { hidden_act: 'constructor' }), [
    'hidden_act: expected one of "gelu", "gelu_new", "gelu_pytorch_tanh", "relu", "silu", "swish", got "constructor"',
  ]);
  assert.match(problemsOf('gpt2', { architectures: ['toString'] })[0]!, /^architectures\[0\]: toString is not supported \(supported: GPT2Model, GPT2LMHeadModel\)/);
  assert.match(problemsOf('t5-small', { feed_forward_proj: 'gated-__proto__' })[0]!, /^feed_forward_proj: expected "<act>" or "gated-<act>" .*, got "gated-__proto__"$/);
  assert.deepEqual(mapCheckpointToParameters([{ name: 'constructor', dtype: 'F32', shape: [1], begin: 0, end: 4 }], ['a'], { family: 'bert' }).unexpected, ['constructor']);
});

test("a library caller's config value JSON cannot hold (a bigint) is named in the problem, not a TypeError", () => {
  assert.throws(
    () => resolveModel({ name: 'x', base: 'bert-base-uncased', config: { hidden_act: [0n], pruned_heads: { 1: 2n } } }, opts),
    (err) =>
      err instanceof ModelError &&
      err.problems.map((p) => `${p.path}: ${p.message}`).join('\n') ===
        'pruned_heads: pruned attention heads are not supported, got {"1":"2n"}\n' +
          'hidden_act: expected one of "gelu", "gelu_new", "gelu_pytorch_tanh", "relu", "silu", "swish", got ["0n"]',
  );
});
