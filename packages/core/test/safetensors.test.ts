import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WeightsError } from '../src/errors.js';
import {
  decodeTensor,
  mapCheckpointToParameters,
  normaliseConfig,
  parameterShapes,
  parseSafetensorsHeader,
  readSafetensors,
  readSafetensorsHeader,
  type SafetensorsEntry,
} from '../src/models/index.js';
import { safetensorsBytes as build } from './safetensors-bytes.js';
import { sharedFixture, skipWithoutShared } from './shared-fixtures.js';

const FIXTURE = sharedFixture('parity/bert');
/** The tests that read the BERT parity checkpoint skip, saying why, where the shared fixtures are absent. */
const skip = skipWithoutShared('parity/bert');
const fixtureConfig = (skip ? {} : JSON.parse(readFileSync(join(FIXTURE, 'config.json'), 'utf8'))) as Record<string, unknown>;

function weightsError(fn: () => unknown): WeightsError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof WeightsError, `expected WeightsError, got ${String(err)}`);
    assert.equal(err.code, 'BAD_WEIGHTS');
    return err;
  }
  assert.fail('expected a WeightsError');
}

const parse = (bytes: Uint8Array) => parseSafetensorsHeader(bytes, bytes.length, 'test.safetensors');

describe('parseSafetensorsHeader', () => {
  it('parses the parity fixture with absolute offsets', { skip }, () => {
    const bytes = readFileSync(join(FIXTURE, 'model.safetensors'));
    const header = parseSafetensorsHeader(bytes, bytes.length);
    assert.equal(header.headerLength, 4464);
    assert.equal(header.dataStart, 8 + 4464);
    assert.equal(header.fileSize, 85036);
    assert.deepEqual(header.metadata, { format: 'pt' });
    assert.equal(header.entries.length, 42);
    assert.deepEqual(header.entries[0], {
      name: 'bert.embeddings.LayerNorm.bias',
      dtype: 'F32',
      shape: [32],
      begin: 4472,
      end: 4472 + 128,
    });
    const bias = header.entries.find((e) => e.name === 'cls.predictions.bias');
    assert.deepEqual(bias, { name: 'cls.predictions.bias', dtype: 'F32', shape: [99], begin: 4472 + 75688, end: 4472 + 76084 });
    assert.equal(header.entries.at(-1)?.end, 85036);
  });

  it('reads only the header from a path, tagging entries with the file', { skip }, () => {
    const path = join(FIXTURE, 'model.safetensors');
    const header = readSafetensorsHeader(path);
    const whole = readFileSync(path);
    assert.deepEqual(
      header.entries,
      parseSafetensorsHeader(whole, whole.length).entries.map((e) => ({ ...e, file: path })),
    );
  });

  it('accepts a header without __metadata__ and zero-sized tensors', () => {
    const header = parse(build({ a: { dtype: 'F32', shape: [0, 3], data_offsets: [0, 0] }, b: { dtype: 'I64', shape: [], data_offsets: [0, 8] } }, 8));
    assert.equal(header.metadata, null);
    assert.deepEqual(header.entries.map((e) => [e.name, e.begin - header.dataStart, e.end - header.dataStart]), [
      ['a', 0, 0],
      ['b', 0, 8],
    ]);
  });

  it('refuses a file too short for the length prefix', () => {
    assert.equal(
      weightsError(() => parse(new Uint8Array(5))).message,
      'test.safetensors: 5 bytes is too short for a safetensors file (an 8-byte header length comes first)',
    );
  });

  it('refuses a header length beyond the file size', () => {
    const bytes = build({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 4);
    const truncated = bytes.subarray(0, 20);
    assert.equal(
      weightsError(() => parse(truncated)).message,
      `test.safetensors: header length ${bytes.length - 12} runs past the end of the file (20 bytes): the file is truncated or not safetensors`,
    );
  });

  it('refuses bad JSON and a non-object header', () => {
    assert.match(weightsError(() => parse(build(null, 0, '{"a": '))).message, /^test\.safetensors: the header is not valid JSON \(/);
    assert.equal(weightsError(() => parse(build([1]))).message, 'test.safetensors: the header must be a JSON object, got [1]');
  });

  it('refuses an unknown dtype', () => {
    assert.equal(
      weightsError(() => parse(build({ w: { dtype: 'F128', shape: [1], data_offsets: [0, 16] } }, 16))).message,
      'test.safetensors: tensor "w": unknown dtype "F128" (known: BOOL, U8, I8, F8_E5M2, F8_E4M3, I16, U16, F16, BF16, I32, U32, F32, I64, U64, F64)',
    );
  });

  it('refuses a shape that does not fit its data_offsets span', () => {
    assert.equal(
      weightsError(() => parse(build({ w: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 20] } }, 24))).message,
      'test.safetensors: tensor "w": shape [2,3] of F32 needs 24 bytes but data_offsets [0, 20] span 20',
    );
  });

  it('refuses offsets out of range, reversed or overlapping', () => {
    assert.equal(
      weightsError(() => parse(build({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, 12))).message,
      'test.safetensors: tensor "w": data_offsets [0, 16] run past the end of the data (12 bytes): the file is truncated',
    );
    assert.equal(
      weightsError(() => parse(build({ w: { dtype: 'F32', shape: [1], data_offsets: [8, 4] } }, 12))).message,
      'test.safetensors: tensor "w": data_offsets must be [begin, end] with 0 <= begin <= end, got [8,4]',
    );
    assert.equal(
      weightsError(() =>
        parse(
          build(
            {
              a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
              b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
            },
            12,
          ),
        ),
      ).message,
      'test.safetensors: tensors "a" and "b" overlap (bytes 0–8 and 4–12 of the data)',
    );
  });

  it('refuses bad shapes and metadata', () => {
    assert.equal(
      weightsError(() => parse(build({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, 4))).message,
      'test.safetensors: tensor "w": shape must be a list of non-negative integers, got [-1]',
    );
    assert.equal(
      weightsError(() => parse(build({ __metadata__: { format: 1 } }))).message,
      'test.safetensors: __metadata__ must map strings to strings, got {"format":1}',
    );
  });

  it('reports a truncated real file', { skip }, () => {
    const bytes = readFileSync(join(FIXTURE, 'model.safetensors')).subarray(0, 50_000);
    assert.equal(
      weightsError(() => parseSafetensorsHeader(bytes, bytes.length, 'model.safetensors')).message,
      'model.safetensors: tensor "bert.encoder.layer.0.output.dense.weight": data_offsets [43796, 48532] run past the end of the data (45528 bytes): the file is truncated',
    );
  });
});

describe('readSafetensors', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tfbench-st-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the expected outputs of the parity fixture', { skip }, () => {
    const { tensors, metadata } = readSafetensors(join(FIXTURE, 'expected.safetensors'));
    assert.equal(metadata?.architecture, 'BertForMaskedLM');
    assert.equal(metadata?.atol, '1e-4');
    const ids = tensors.input_ids;
    assert.equal(ids?.dtype, 'int64');
    assert.deepEqual(ids?.shape, [2, 7]);
    assert.deepEqual([...(ids?.data as BigInt64Array)].map(Number), [40, 14, 15, 11, 34, 76, 14, 8, 50, 3, 83, 36, 79, 74]);
    assert.deepEqual([...(tensors.attention_mask?.data as BigInt64Array)].map(Number), [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0]);
    const loss = tensors.loss;
    assert.deepEqual(loss?.shape, []);
    assert.equal(loss?.data.length, 1);
    assert.ok(Math.abs((loss?.data[0] as number) - 5.438026) < 1e-6);
    const logits = tensors.logits;
    assert.equal(logits?.dtype, 'float32');
    assert.deepEqual(logits?.shape, [2, 7, 99]);
    assert.equal(logits?.data.length, 2 * 7 * 99);
    const first = [...(logits?.data as Float32Array).slice(0, 3)];
    [-1.5698845, 1.1004276, -2.1121654].forEach((v, i) => assert.ok(Math.abs((first[i] ?? NaN) - v) < 1e-6, `logits[${i}]`));
    assert.deepEqual(tensors['grad.cls.predictions.transform.LayerNorm.bias']?.shape, [32]);
  });

  it('keeps F16/BF16 as raw 16-bit patterns, widens integers, refuses F64', () => {
    const data = new Uint8Array(4 + 4 + 8 + 8);
    const view = new DataView(data.buffer);
    view.setUint16(0, 0x3c00, true); // 1.0 in float16
    view.setUint16(2, 0xc000, true); // -2.0
    view.setUint16(4, 0x3f80, true); // 1.0 in bfloat16
    view.setUint16(6, 0x4040, true); // 3.0
    view.setInt32(8, -7, true);
    view.setInt32(12, 2_000_000_000, true);
    view.setFloat64(16, 0.5, true);
    const path = join(dir, 'mixed.safetensors');
    const header = {
      h: { dtype: 'F16', shape: [2], data_offsets: [0, 4] },
      b: { dtype: 'BF16', shape: [2], data_offsets: [4, 8] },
      i: { dtype: 'I32', shape: [2], data_offsets: [8, 16] },
    };
    writeFileSync(path, build(header, data.subarray(0, 16)));
    const { tensors } = readSafetensors(path);
    assert.deepEqual(tensors.h, { dtype: 'float16', shape: [2], data: new Uint16Array([0x3c00, 0xc000]) });
    assert.deepEqual(tensors.b, { dtype: 'bfloat16', shape: [2], data: new Uint16Array([0x3f80, 0x4040]) });
    assert.deepEqual(tensors.i, { dtype: 'int64', shape: [2], data: new BigInt64Array([-7n, 2_000_000_000n]) });

    const f64: SafetensorsEntry = { name: 'd', dtype: 'F64', shape: [1], begin: 16, end: 24 };
    assert.match(weightsError(() => decodeTensor(f64, data, 'x.safetensors')).message, /^x\.safetensors: tensor "d" has dtype F64, which cannot be read/);
  });

  it('refuses files over the size limit and missing files', () => {
    const big = join(dir, 'big.safetensors');
    writeFileSync(big, build({ w: { dtype: 'F32', shape: [400], data_offsets: [0, 1600] } }, 1600));
    assert.match(weightsError(() => readSafetensors(big, { maxBytes: 1000 })).message, /big\.safetensors: 1667 bytes is over the 1000-byte limit/);
    assert.equal(weightsError(() => readSafetensors(join(dir, 'nope.safetensors'))).message, `${join(dir, 'nope.safetensors')}: no such file`);
    assert.equal(weightsError(() => readSafetensorsHeader(join(dir, 'nope.safetensors'))).message, `${join(dir, 'nope.safetensors')}: no such file`);
  });
});

describe('mapCheckpointToParameters', () => {
  const entries = skip ? [] : readSafetensorsHeader(join(FIXTURE, 'model.safetensors')).entries;
  const mlm = skip ? null! : normaliseConfig(fixtureConfig);
  const base = normaliseConfig(skip ? { model_type: 'bert' } : fixtureConfig, { onlyPretrainModel: true });
  const fake = (names: string[], dtype: SafetensorsEntry['dtype'] = 'F32'): SafetensorsEntry[] =>
    names.map((name, i) => ({ name, dtype, shape: [4], begin: i * 16, end: i * 16 + 16 }));

  it('fills every BertForMaskedLM parameter from the parity checkpoint', { skip }, () => {
    const params = parameterShapes(mlm);
    const mapping = mapCheckpointToParameters(entries, params);
    assert.deepEqual(mapping.missing, []);
    assert.deepEqual(mapping.unexpected, []);
    assert.deepEqual(mapping.ignored, []);
    assert.deepEqual(mapping.mismatched, []);
    assert.equal(mapping.entries.length, params.length);
    assert.deepEqual(new Set(mapping.entries.map((e) => e.parameter)), new Set(params.map((p) => p.name)));
    const bias = mapping.entries.find((e) => e.parameter === 'cls.predictions.bias');
    assert.deepEqual(bias, {
      parameter: 'cls.predictions.bias',
      tensor: 'cls.predictions.bias',
      dtype: 'F32',
      shape: [99],
      begin: 4472 + 75688,
      end: 4472 + 76084,
      file: join(FIXTURE, 'model.safetensors'),
    });
  });

  it('loads a BertForMaskedLM checkpoint into BertModel: strips bert., reports the rest', { skip }, () => {
    const mapping = mapCheckpointToParameters(entries, parameterShapes(base), { family: 'bert' });
    assert.deepEqual(mapping.missing, ['pooler.dense.weight', 'pooler.dense.bias']);
    assert.deepEqual(mapping.unexpected, [
      'cls.predictions.bias',
      'cls.predictions.transform.LayerNorm.bias',
      'cls.predictions.transform.LayerNorm.weight',
      'cls.predictions.transform.dense.bias',
      'cls.predictions.transform.dense.weight',
    ]);
    const word = mapping.entries.find((e) => e.parameter === 'embeddings.word_embeddings.weight');
    assert.equal(word?.tensor, 'bert.embeddings.word_embeddings.weight');
    assert.equal(mapping.entries.length, 37);
  });

  it('loads a BertModel checkpoint into BertForMaskedLM: adds bert.', () => {
    const names = parameterShapes(base).map((p) => p.name);
    const mapping = mapCheckpointToParameters(fake(names), names.map((n) => `bert.${n}`).filter((n) => !n.includes('pooler')));
    assert.deepEqual(mapping.unexpected, ['pooler.dense.weight', 'pooler.dense.bias']);
    assert.deepEqual(mapping.missing, []);
    assert.equal(mapping.entries.find((e) => e.tensor === 'embeddings.LayerNorm.weight')?.parameter, 'bert.embeddings.LayerNorm.weight');
  });

  it('handles tied weights stored once or twice', () => {
    const params = ['bert.embeddings.word_embeddings.weight', 'cls.predictions.bias'];
    const both = mapCheckpointToParameters(
      fake(['bert.embeddings.word_embeddings.weight', 'cls.predictions.bias', 'cls.predictions.decoder.weight', 'cls.predictions.decoder.bias']),
      params,
    );
    assert.deepEqual(both.entries.map((e) => [e.tensor, e.parameter]), [
      ['bert.embeddings.word_embeddings.weight', 'bert.embeddings.word_embeddings.weight'],
      ['cls.predictions.bias', 'cls.predictions.bias'],
    ]);
    assert.deepEqual(both.ignored, ['cls.predictions.decoder.weight', 'cls.predictions.decoder.bias']);
    assert.deepEqual(both.unexpected, []);

    const decoderOnly = mapCheckpointToParameters(fake(['cls.predictions.decoder.bias']), ['cls.predictions.bias'], { family: 'bert' });
    assert.deepEqual(decoderOnly.entries.map((e) => [e.tensor, e.parameter]), [['cls.predictions.decoder.bias', 'cls.predictions.bias']]);
    assert.deepEqual(decoderOnly.missing, []);

    // Untied: the decoder weight is a parameter of its own and is filled.
    const untied = mapCheckpointToParameters(fake(['cls.predictions.decoder.weight']), ['cls.predictions.decoder.weight'], { family: 'bert' });
    assert.deepEqual(untied.entries.map((e) => e.parameter), ['cls.predictions.decoder.weight']);
  });

  it('ignores buffers and renames gamma/beta', () => {
    const mapping = mapCheckpointToParameters(
      fake(['bert.embeddings.position_ids', 'bert.embeddings.LayerNorm.gamma', 'bert.embeddings.LayerNorm.beta'], 'F32'),
      ['bert.embeddings.LayerNorm.weight', 'bert.embeddings.LayerNorm.bias'],
    );
    assert.deepEqual(mapping.ignored, ['bert.embeddings.position_ids']);
    assert.deepEqual(mapping.entries.map((e) => [e.tensor, e.parameter]), [
      ['bert.embeddings.LayerNorm.gamma', 'bert.embeddings.LayerNorm.weight'],
      ['bert.embeddings.LayerNorm.beta', 'bert.embeddings.LayerNorm.bias'],
    ]);
  });

  it('reports shape and dtype mismatches, leaving those parameters missing', () => {
    const mapping = mapCheckpointToParameters(
      [
        { name: 'a', dtype: 'F32', shape: [4], begin: 0, end: 16 },
        { name: 'b', dtype: 'I64', shape: [2], begin: 16, end: 32 },
      ],
      [
        { name: 'a', shape: [2, 2] },
        { name: 'b', shape: [2] },
      ],
    );
    assert.deepEqual(mapping.mismatched, [
      { tensor: 'a', parameter: 'a', message: 'shape [4] in the checkpoint, [2, 2] in the model' },
      { tensor: 'b', parameter: 'b', message: 'dtype I64 cannot fill a floating-point parameter' },
    ]);
    assert.deepEqual(mapping.entries, []);
    assert.deepEqual(mapping.missing, ['a', 'b']);
  });
});
