// MFU: the dense-peak table, its lookup by the driver's device name, and the override.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { devicePeak } from '../src/env/peaks.js';
import { efficiency } from '../src/stats/efficiency.js';

test('device names as drivers report them find their datasheet row', () => {
  const peak = (name: string, dtype: 'float32' | 'float16' | 'bfloat16' = 'bfloat16') => devicePeak('cuda', name, dtype, null)?.tflops;
  assert.equal(peak('NVIDIA H100 80GB HBM3'), 989.4);
  assert.equal(peak('NVIDIA H100 PCIe'), 756.5);
  assert.equal(peak('NVIDIA H100 NVL'), 835.5);
  assert.equal(peak('NVIDIA H200'), 989.4);
  assert.equal(peak('NVIDIA A100-SXM4-80GB'), 312);
  assert.equal(peak('NVIDIA A100-SXM4-80GB', 'float32'), 19.5);
  assert.equal(peak('NVIDIA A10'), 125);
  assert.equal(peak('NVIDIA L4', 'float16'), 121);
  assert.equal(peak('NVIDIA L40S'), 362.1);
  assert.equal(peak('Tesla V100-SXM2-16GB', 'float16'), 125);
  assert.equal(peak('Tesla V100-SXM2-16GB', 'bfloat16'), undefined, 'no bfloat16 tensor cores');
  assert.equal(peak('Tesla T4', 'float32'), 8.1);
  assert.equal(peak('Some Future GPU'), undefined);
  assert.equal(devicePeak('cpu', undefined, 'float32', null), null, 'CPUs have no entry');
  assert.deepEqual(devicePeak('cpu', undefined, 'float32', 1.5), { tflops: 1.5, source: 'peakTflops' });
  assert.equal(devicePeak('cuda:0', 'NVIDIA H100 80GB HBM3', 'float16', null)?.source, 'H100 SXM float16 dense peak (datasheet)');
});

test('MFU is the achieved rate over the peak; null without a peak or a time', () => {
  const e = efficiency(2e12, 0.01, { tflops: 400, source: 'x' });
  assert.equal(e.tflopsPerSecond, 200);
  assert.equal(e.mfu, 0.5);
  assert.equal(e.peakTflops, 400);
  assert.equal(efficiency(2e12, 0.01, null).mfu, null);
  assert.equal(efficiency(2e12, null, { tflops: 400, source: 'x' }).mfu, null);
});
