import { test } from 'node:test';
import assert from 'node:assert/strict';
import { centre, renderSection, renderSections } from '../src/report/table.js';
import { cellRecord } from './records.js';
import { summarize } from '../src/stats/summary.js';

const record = cellRecord;

test('centre pads like Python str.center', () => {
  assert.equal(centre('8', 15), '       8       ');
  assert.equal(centre('ab', 15), '       ab      '); // odd margin and odd width: the extra space goes left
  assert.equal(centre('abc', 6), ' abc  ');
  assert.equal(centre('Model Name', 30), '          Model Name          ');
});

test('speed section in Hugging Face layout', () => {
  const out = renderSection(
    [record({}), record({ sequenceLength: 32, timeSeconds: { ...summarize([0.0002]), samples: [0.0002], warmup: [] } }), record({ sequenceLength: 128, status: 'oom', timeSeconds: null, memory: null, error: { code: 'OOM', message: 'x' } }),
      record({ sequenceLength: 512, status: 'timeout', timeSeconds: null, memory: null, error: { code: 'TIMEOUT', message: 'the cell ran past 60 s and was stopped' } })],
    'inference-speed',
    'hf',
  );
  const lines = out.trimEnd().split('\n');
  assert.equal(lines[0], '====================       INFERENCE - SPEED - RESULT       ====================');
  assert.equal(lines[1], '-'.repeat(80));
  assert.equal(lines[2], '          Model Name             Batch Size     Seq Length     Time in s   ');
  assert.equal(lines[3], '-'.repeat(80));
  assert.equal(lines[4], '      bert-base-uncased              8              8            0.102     ');
  assert.match(lines[5]!, /^ +bert-base-uncased +8 +32 +< 0\.001 +$/);
  assert.match(lines[6]!, /^ +bert-base-uncased +8 +128 +OOM +$/);
  assert.match(lines[7]!, /^ +bert-base-uncased +8 +512 +timeout +$/);
  assert.equal(lines[8], '-'.repeat(80));
  assert.equal(lines.length, 9);
});

test('memory section shows integer MiB of the peak RSS; only sections with data are printed', () => {
  const out = renderSections([record({})], 'hf');
  assert.match(out, /INFERENCE - MEMORY - RESULT/);
  assert.match(out, /Memory in MB/);
  assert.match(out, / 553 /);
  assert.doesNotMatch(out, /TRAIN/);
  assert.ok(out.indexOf('INFERENCE - SPEED') < out.indexOf('INFERENCE - MEMORY'));
});

test('CUDA cells show NVML device memory (Hugging Face\'s figure), else the allocator\'s peak reserved bytes', () => {
  const MiB = 1024 * 1024;
  const gpu = (deviceUsedBytes: number | null) =>
    record({
      device: 'cuda:0',
      memory: null,
      gpuMemory: {
        peakAllocatedBytes: 900 * MiB,
        peakReservedBytes: 1024 * MiB,
        allocatedBeforeBytes: 500 * MiB,
        allocatedIncreaseBytes: 400 * MiB,
        deviceUsedBytes,
        deviceUsedReason: deviceUsedBytes === null ? 'libnvidia-ml.so.1 could not be loaded' : null,
      },
    });
  assert.match(renderSection([gpu(1536 * MiB)], 'inference-memory', 'hf'), /\b1536\b/);
  assert.match(renderSection([gpu(null)], 'inference-memory', 'hf'), /\b1024\b/);
});

test('default layout: Hugging Face\'s columns, then CI (n), phases, throughput, TFLOP/s and MFU; failed cells show their status', () => {
  const samples = [0.1024, 0.1021, 0.1030, 0.1019, 0.1027, 0.1022];
  const timeSeconds = { ...summarize(samples), samples, warmup: [] };
  const ok = record({
    mode: 'training',
    timeSeconds,
    phasesSeconds: { forward: { median: 0.0312, samples: [] }, backward: { median: 0.0655, samples: [] }, optimizer: null },
    throughput: { samplesPerSecond: 8 / timeSeconds.median, tokensPerSecond: 1024 / timeSeconds.median },
    efficiency: { flopsPerCall: 1e12, tflopsPerSecond: 9.77, mfu: 0.0099, peakTflops: 989, peakSource: 'NVIDIA H100 80GB HBM3 (datasheet)' },
  });
  const oom = record({ mode: 'training', batchSize: 64, status: 'oom', timeSeconds: null, memory: null, error: { code: 'OOM', message: 'x' } });
  const lines = renderSection([ok, oom], 'training-speed').split('\n');
  assert.match(lines[0]!, /^=+ +TRAIN - SPEED - RESULTS +=+$/);
  assert.equal(lines[0]!.length, lines[1]!.length);
  assert.deepEqual(lines[2]!.split(/\s{2,}/), ['Model Name', 'Batch Size', 'Seq Length', 'Time in s', '95% CI (n)', 'Forward s', 'Backward s', 'Samples/s', 'Tokens/s', 'TFLOP/s', 'MFU']);
  const median = timeSeconds.median; // 0.10230
  const ci = `±${(timeSeconds.relCiHalfWidth * 100).toFixed(1)}% (6)`;
  assert.deepEqual(lines[4]!.split(/\s{2,}/), ['bert-base-uncased', '8', '8', median.toPrecision(4), ci, '0.03120', '0.06550', (8 / median).toPrecision(3), '10,010', '9.77', '1.0%']);
  assert.deepEqual(lines[5]!.split(/\s{2,}/), ['bert-base-uncased', '64', '8', 'OOM', '-', '-', '-', '-', '-', '-', '-']);
  assert.match(lines.slice(7).join('\n'), /MFU: .* 989 TFLOP\/s \(NVIDIA H100 80GB HBM3 \(datasheet\)\)/);
});

test('default layout marks a CI below 95% confidence and explains it', () => {
  const out = renderSection([record({})], 'inference-speed'); // 3 samples: [min, max] is a 75% interval
  assert.match(out, /±[\d.]+%\* \(3\)/);
  assert.match(out, /\*: too few samples for 95% confidence/);
});

test('default memory layout: peak RSS and its increase on CPU; NVML, allocated, reserved and increase on CUDA', () => {
  const cpu = renderSection([record({})], 'inference-memory').split('\n');
  assert.deepEqual(cpu[2]!.split(/\s{2,}/), ['Model Name', 'Batch Size', 'Seq Length', 'Memory in MB', 'RSS increase MB']);
  assert.deepEqual(cpu[4]!.split(/\s{2,}/), ['bert-base-uncased', '8', '8', '553', '53']);
  const MiB = 1024 * 1024;
  const gpu = renderSection(
    [record({ device: 'cuda:0', memory: null, gpuMemory: { peakAllocatedBytes: 900 * MiB, peakReservedBytes: 1024 * MiB, allocatedBeforeBytes: 500 * MiB, allocatedIncreaseBytes: 400 * MiB, deviceUsedBytes: 1536 * MiB, deviceUsedReason: null } })],
    'inference-memory',
  ).split('\n');
  assert.deepEqual(gpu[2]!.split(/\s{2,}/), ['Model Name', 'Batch Size', 'Seq Length', 'Memory in MB', 'Allocated MB', 'Reserved MB', 'Increase MB']);
  assert.deepEqual(gpu[4]!.split(/\s{2,}/), ['bert-base-uncased', '8', '8', '1536', '900', '1024', '400']);
  assert.match(gpu.join('\n'), /NVML \(nvidia-smi\)/);
});
