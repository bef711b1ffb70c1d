// Fuzzed args.json and flags: parseArgs never throws. It either refuses the input with one `path: message`
// line per problem (the CLI's exit 2), or returns arguments that the shipped args schema accepts and that
// parse again to themselves. Inputs: arguments valid for their kind, then wrong types, edge numbers, unicode
// keys and values, nesting thousands of levels deep, unknown keys and Hugging Face aliases on top.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ARG_DEFINITIONS, acceptedArgNames, parseArgs, type ArgKind } from '../src/args/index.js';
import { ArgsError, formatValue } from '../src/errors.js';
import { PROTOTYPE_NAMES, checkProperty, nested, wildValue } from './fuzz.js';
import { schemaFile, validate } from './json-schema.js';

const tinyBert = {
  name: 'tiny-bert',
  config: { model_type: 'bert', vocab_size: 99, hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 37 },
};

/** A value parseArgs accepts for `kind`. */
function validValue(kind: ArgKind): fc.Arbitrary<unknown> {
  const positive = fc.double({ min: 1e-6, max: 1e6, noNaN: true });
  switch (kind.type) {
    case 'boolean':
      return fc.boolean();
    case 'integer':
      return fc.integer({ min: kind.min, max: 10_000 });
    case 'integerOrNull':
      return fc.option(fc.integer({ min: kind.min, max: 64 }), { nil: null });
    case 'number':
      return fc.double({ min: kind.min, max: 100, noNaN: true });
    case 'positiveNumberOrNull':
      return fc.option(positive, { nil: null });
    case 'string':
      return fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 });
    case 'stringOrNull':
      return fc.option(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }), { nil: null });
    case 'enum':
      return fc.constantFrom(...kind.values);
    case 'device':
      return fc.constantFrom('auto', 'cpu', 'cuda', 'cuda:0', 'cuda:3');
    case 'shard':
      return fc.option(fc.integer({ min: 1, max: 8 }).chain((n) => fc.integer({ min: 1, max: n }).map((i) => `${i}/${n}`)), { nil: null });
    case 'integerList':
      return fc.uniqueArray(fc.integer({ min: kind.min, max: 4096 }), { minLength: 1, maxLength: 4 });
    case 'models':
      return fc.uniqueArray(fc.constantFrom<unknown>('bert-base-uncased', 'gpt2', 't5-small', tinyBert), { minLength: 1, maxLength: 3, selector: (m) => (typeof m === 'string' ? m : 'tiny-bert') });
    case 'configs':
      return fc.constant([]);
  }
}

/** args.json with every key valid (the models and a random subset of the rest), and valid together. */
const validArgs: fc.Arbitrary<Record<string, unknown>> = fc
  .record(Object.fromEntries(ARG_DEFINITIONS.map((d) => [d.key, validValue(d.kind)])) as Record<string, fc.Arbitrary<unknown>>, {
    requiredKeys: ['models'],
  })
  .map((args) => {
    if (args.inference === false && args.training === false) delete args.training;
    if (args.speed === false && args.memory === false) delete args.memory;
    if (typeof args.minTimeS === 'number' && typeof args.maxTimeS === 'number' && args.minTimeS > args.maxTimeS) delete args.maxTimeS;
    if (typeof args.minTimeS === 'number' && args.minTimeS > 10) delete args.minTimeS; // the default maxTimeS is 10
    return args;
  });

/** A library caller's list with a hole (`[8, , 16]`): JSON cannot hold one, a JavaScript array can. */
const withHole: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(validArgs, fc.constantFrom('models', 'batchSizes', 'sequenceLengths'), fc.nat())
  .map(([args, key, i]) => {
    const list = Array.isArray(args[key]) ? [...(args[key] as unknown[])] : [8, 16];
    delete list[i % list.length];
    return { ...args, [key]: list };
  });

/** Keys: the arguments, their Hugging Face aliases, names JavaScript treats specially, and anything. */
const key: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...acceptedArgNames()),
  fc.constantFrom(...PROTOTYPE_NAMES, '$schema', '', ' models', 'Models', 'batch-sizes', 'fp16', 'multi_process'),
  fc.string({ unit: 'grapheme', maxLength: 10 }),
  fc.string({ unit: 'binary', maxLength: 6 }), // control characters, lone surrogates
);

/** What a user can write in args.json or a library caller can pass. */
const argsInput: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 1, arbitrary: wildValue },
  { weight: 2, arbitrary: fc.dictionary(key, wildValue, { maxKeys: 6 }) },
  { weight: 3, arbitrary: validArgs },
  { weight: 1, arbitrary: withHole },
  {
    weight: 4,
    arbitrary: fc.tuple(validArgs, fc.dictionary(key, wildValue, { minKeys: 1, maxKeys: 3 })).map(([valid, bad]) => ({ ...valid, ...bad })),
  },
);

/** CLI flags as yargs hands them over: strings, numbers, lists, and anything a library caller passes. */
const overrides: fc.Arbitrary<Record<string, unknown>> = fc.dictionary(
  fc.oneof(fc.constantFrom(...ARG_DEFINITIONS.map((d) => d.key)), fc.string({ maxLength: 8 })),
  fc.oneof(fc.constantFrom('8', '8,16', ' 1e3 ', '-1', 'true', 'false', 'null', 'none', 'NaN', '0x10', '٣'), fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 }), wildValue),
  { maxKeys: 3 },
);

const argsSchema = schemaFile('args.schema.json');

test('fuzzed args.json and flags end in problems or arguments that parse again to themselves', async (t) => {
  await checkProperty(
    t,
    'args',
    fc.property(argsInput, fc.option(overrides, { nil: undefined }), (input, flags) => {
      const result = parseArgs(input, flags);
      if (result.ok) {
        const args = result.args;
        assert.deepEqual(validate(JSON.parse(JSON.stringify(args)), argsSchema, argsSchema), []);
        // The models list already holds the configs: parsing it alone gives the same arguments.
        const asJson = (value: unknown) => JSON.parse(JSON.stringify(value)); // as a results file holds them
        const again = parseArgs(asJson({ ...args, configs: [] }));
        assert.ok(again.ok, again.ok ? '' : again.problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
        assert.deepEqual(asJson(again.args), asJson({ ...args, configs: [] }));
        return;
      }
      assert.ok(result.problems.length > 0);
      for (const p of result.problems) {
        assert.equal(typeof p.path, 'string');
        assert.ok(typeof p.message === 'string' && p.message.trim() !== '', formatValue(p));
        assert.ok(!/[\n\r]/.test(p.path + p.message), `one line per problem: ${formatValue(p)}`);
        assert.doesNotMatch(p.message, /\[native code\]/, 'a name looked up in a table found an Object.prototype member');
      }
      assert.equal(new ArgsError(result.problems).message.split('\n').length, result.problems.length);
    }),
    { runs: 300, seconds: 6 },
  );
});

test('nesting past 64 levels is refused at its path, in the file and in a flag', () => {
  const refused = (input: unknown, flags?: Record<string, unknown>) => {
    const r = parseArgs(input, flags);
    assert.ok(!r.ok);
    return r.problems.map((p) => `${p.path}: ${p.message}`);
  };
  const message = 'nested more than 64 levels deep (objects and arrays); arguments and configs need a few';
  assert.deepEqual(refused({ models: [nested(10_000, 'array')] }), [`models${'[0]'.repeat(64)}: ${message}`]);
  assert.deepEqual(refused({ models: [{ name: 'x', config: { model_type: 'bert', task: nested(10_000, 'object') } }] }), [
    `models[0].config.task${'.a'.repeat(61)}: ${message}`,
  ]);
  assert.deepEqual(refused({ models: ['gpt2'] }, { batchSizes: nested(10_000, 'array') }), [`--batch-sizes${'[0]'.repeat(64)}: ${message}`]);
  // 64 levels are fine: the inline config below sits at depth 3, its field adds 61.
  const r = parseArgs({ models: [{ name: 'x', config: { model_type: 'bert', task: nested(60, 'object') } }] });
  assert.ok(r.ok, r.ok ? '' : r.problems[0]?.message);
});

test('a key that is not a plain name is written as a JSON string in its path, on one line', () => {
  const r = parseArgs({ models: ['gpt2', { name: 'x', base: 'gpt2', 'con\nfig': {} }], 'batch\nsizes': [8], ' models': [], '': 1, 'a.b': 2 }, { 'x\ny': 1 });
  assert.ok(!r.ok);
  assert.deepEqual(r.problems.map((p) => `${p.path}: ${p.message}`), [
    '["batch\\nsizes"]: unknown argument; did you mean "batchSizes"?',
    '[" models"]: unknown argument; did you mean "models"?',
    '[""]: unknown argument',
    '["a.b"]: unknown argument',
    '"x\\ny": unknown option',
    'models[1]["con\\nfig"]: unknown key (expected name, base, revision, config); did you mean "config"?',
  ]);
});

test('an argument named like a member of every object is an unknown argument', () => {
  const r = parseArgs({ models: ['gpt2'], constructor: 1, toString: 2 });
  assert.ok(!r.ok);
  assert.deepEqual(r.problems.map((p) => `${p.path}: ${p.message}`), ['constructor: unknown argument', 'toString: unknown argument']);
});

test("a hole in a library caller's list is a missing element", () => {
  // eslint-disable-next-line no-sparse-arrays
  const r = parseArgs({ models: ['gpt2', , 't5-small'], batchSizes: [8, , 16] });
  assert.ok(!r.ok);
  assert.deepEqual(r.problems.map((p) => `${p.path}: ${p.message}`), [
    'models[1]: expected a model id, a path, or { name, base?, revision?, config? }, got undefined',
    'batchSizes[1]: expected a positive integer, got undefined',
  ]);
});

test('a value too deep to print is named by its kind in a message', () => {
  assert.equal(formatValue(nested(10_000, 'array')), '[…]');
  assert.equal(formatValue(nested(10_000, 'object')), '{…}');
});
