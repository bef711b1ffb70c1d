// loadWeights(): values copied in, dtype converted, names, shapes and byte ranges checked. Parity with Hugging
// Face on the real fixtures runs in core (test/parity-bert.test.ts), through core's safetensors reader.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadBinding, type WeightEntry } from '../lib/index.js';
import { floats, rejectsWith, tinySpec } from './helpers.js';

const binding = loadBinding();
/** Writes a safetensors file holding float32 tensors; returns their entries (absolute byte ranges). */
function writeSafetensors(file: string, tensors: Record<string, { shape: number[]; data: Float32Array }>): WeightEntry[] {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  while ((json.length + 8) % 8) json += ' ';
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  writeFileSync(file, Buffer.concat([length, Buffer.from(json), ...Object.values(tensors).map((t) => Buffer.from(t.data.buffer))]));
  const dataStart = 8 + json.length;
  return Object.entries(tensors).map(([name, t]) => {
    const [begin, end] = (header[name] as { data_offsets: [number, number] }).data_offsets;
    return { parameter: name, dtype: 'F32' as const, shape: t.shape, begin: dataStart + begin, end: dataStart + end };
  });
}

test('loadWeights copies values in, converts dtype, and checks names, shapes and byte ranges', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tfbench-weights-'));
  const file = join(dir, 'w.safetensors');
  const bias = new Float32Array(99).map((_, i) => i / 100);
  const entries = writeSafetensors(file, { 'cls.predictions.bias': { shape: [99], data: bias }, wrong: { shape: [3, 33], data: new Float32Array(99) } });
  const good = entries.find((e) => e.parameter === 'cls.predictions.bias')!;
  const wrong = entries.find((e) => e.parameter === 'wrong')!;

  for (const dtype of ['float32', 'bfloat16'] as const) {
    const model = await binding.buildModel(tinySpec({ num_hidden_layers: 1 }), { device: 'cpu', dtype, seed: 0 });
    await model.loadWeights(file, [good]);
    // logits = transform(h) . E^T + cls.predictions.bias: against the same model without the loaded bias,
    // every logit moves by exactly that bias.
    const fresh = await binding.buildModel(tinySpec({ num_hidden_layers: 1 }), { device: 'cpu', dtype, seed: 0 });
    const ids = { dtype: 'int64' as const, shape: [1, 3], data: new BigInt64Array([1n, 2n, 3n]) };
    const [a, b] = [floats((await model.run({ input_ids: ids })).logits), floats((await fresh.run({ input_ids: ids })).logits)];
    const tol = dtype === 'float32' ? 1e-6 : 1e-2;
    for (let v = 0; v < 99; v++) assert.ok(Math.abs(a[v]! - b[v]! - bias[v]!) < tol, `vocab ${v}`);
  }

  const model = await binding.buildModel(tinySpec(), { device: 'cpu', dtype: 'float32', seed: 0 });
  await rejectsWith(model.loadWeights(file, [{ ...wrong }]), 'BAD_WEIGHTS', /'wrong' is not a parameter/);
  await rejectsWith(
    model.loadWeights(file, [{ ...wrong, parameter: 'bert.embeddings.word_embeddings.weight' }]),
    'BAD_WEIGHTS',
    /shape mismatch for 'bert\.embeddings\.word_embeddings\.weight': the model has \[99, 32\], the file has \[3, 33\]/,
  );
  await rejectsWith(model.loadWeights(file, [{ ...good, end: good.end - 4 }]), 'BAD_WEIGHTS', /byte range/);
  await rejectsWith(model.loadWeights(file, [{ ...good, begin: good.begin + 1e6, end: good.end + 1e6 }]), 'BAD_WEIGHTS', /past the end/);
  await rejectsWith(model.loadWeights(join(dir, 'missing.safetensors'), [good]), 'BAD_WEIGHTS', /cannot open/);
  await rejectsWith(model.loadWeights(file, [{ ...good, dtype: 'I8' as never }]), 'BAD_WEIGHTS', /entries\[0\]\.dtype/);
});

test('loadWeights trusts nothing it is handed: the file, the header length, where each range lies', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tfbench-weights-'));
  const file = join(dir, 'w.safetensors');
  const [good] = writeSafetensors(file, { 'cls.predictions.bias': { shape: [99], data: new Float32Array(99) } });
  const model = await binding.buildModel(tinySpec({ num_hidden_layers: 1 }), { device: 'cpu', dtype: 'float32', seed: 0 });
  const dataStart = good!.begin;

  // A range of the right length, inside the file, but in the header rather than the data.
  await rejectsWith(
    model.loadWeights(file, [{ ...good!, begin: 4, end: 4 + 396 }]),
    'BAD_WEIGHTS',
    new RegExp(`'cls\\.predictions\\.bias': byte range \\[4, 400\\) starts inside the header of '.*w\\.safetensors' \\(its data starts at byte ${dataStart}\\)`),
  );
  // Two entries for one parameter; two parameters reading the same bytes.
  await rejectsWith(model.loadWeights(file, [good!, good!]), 'BAD_WEIGHTS', /'cls\.predictions\.bias' is given more than once/);
  const both = writeSafetensors(file, {
    'cls.predictions.bias': { shape: [99], data: new Float32Array(99) },
    'bert.embeddings.LayerNorm.weight': { shape: [32], data: new Float32Array(32) },
  });
  const norm = both[1]!;
  await rejectsWith(
    model.loadWeights(file, [both[0]!, { ...norm, begin: both[0]!.begin, end: both[0]!.begin + 128 }]),
    'BAD_WEIGHTS',
    new RegExp(`'bert\\.embeddings\\.LayerNorm\\.weight' \\[${both[0]!.begin}, ${both[0]!.begin + 128}\\) and 'cls\\.predictions\\.bias' \\[${both[0]!.begin}, ${both[0]!.end}\\) overlap in '.*w\\.safetensors'`),
  );

  // The file's header length is read by the addon itself.
  const bytes = readFileSync(file);
  bytes.writeBigUInt64LE(BigInt(bytes.length), 0);
  writeFileSync(file, bytes);
  await rejectsWith(model.loadWeights(file, [both[0]!]), 'BAD_WEIGHTS', new RegExp(`header length ${bytes.length} runs past the end of the file \\(${bytes.length} bytes\\)`));
  writeFileSync(file, bytes.subarray(0, 5));
  await rejectsWith(model.loadWeights(file, []), 'BAD_WEIGHTS', /is 5 bytes: too short for a safetensors file/);

  // Not a regular file: a directory, and a FIFO (whose open would block until a writer came).
  await rejectsWith(model.loadWeights(dir, [good!]), 'BAD_WEIGHTS', /cannot open weights file '.*': not a regular file/);
  const fifo = join(dir, 'pipe.safetensors');
  if (spawnSync('mkfifo', [fifo]).status === 0) {
    await rejectsWith(model.loadWeights(fifo, [good!]), 'BAD_WEIGHTS', /cannot open weights file '.*pipe\.safetensors': not a regular file/);
  }

  // Shapes past 2^53 are refused before they are converted (a double past int64's range would be undefined behaviour).
  for (const dim of [2 ** 53, 2 ** 63, 1e300, Infinity, NaN, 1.5]) {
    await rejectsWith(model.loadWeights(file, [{ ...good!, shape: [dim] }]), 'BAD_WEIGHTS', /entries\[0\]\.shape must hold safe non-negative integers; item 0 is not one/);
  }
});
