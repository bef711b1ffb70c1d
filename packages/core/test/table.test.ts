import { test } from 'node:test';
import assert from 'node:assert/strict';
import { centre, renderSection, renderSections } from '../src/report/table.js';
import type { CellRecord } from '../src/run/records.js';
import { summarize } from '../src/stats/summary.js';

function record(over: Partial<CellRecord>): CellRecord {
  const samples = [0.1024, 0.1021, 0.1030];
  return {
    model: 'bert-base-uncased',
    batchSize: 8,
    sequenceLength: 8,
    mode: 'inference',
    status: 'ok',
    error: null,
    device: 'cpu',
    dtype: 'float32',
    threads: 2,
    parameterCount: 109514298,
    timeSeconds: { ...summarize(samples), samples, warmup: [] },
    phasesSeconds: null,
    throughput: null,
    memory: { rssPeakBytes: 553 * 1024 * 1024 + 1234, rssBeforeBytes: 500 * 1024 * 1024, rssIncreaseBytes: 53 * 1024 * 1024 + 1234 },
    gpuMemory: null,
    hostSeconds: null,
    buildSeconds: 1,
    efficiency: { flopsPerCall: 1e9, tflopsPerSecond: 0.01, mfu: null, peakTflops: null, peakSource: null },
    warnings: [],
    ...over,
  };
}

test('centre pads like Python str.center', () => {
  assert.equal(centre('8', 15), '       8       ');
  assert.equal(centre('ab', 15), '       ab      '); // odd margin and odd width: the extra space goes left
  assert.equal(centre('abc', 6), ' abc  ');
  assert.equal(centre('Model Name', 30), '          Model Name          ');
});

test('speed section in Hugging Face layout', () => {
  const out = renderSection(
    [record({}), record({ sequenceLength: 32, timeSeconds: { ...summarize([0.0002]), samples: [0.0002], warmup: [] } }), record({ sequenceLength: 128, status: 'oom', timeSeconds: null, memory: null, error: { code: 'OOM', message: 'x' } })],
    'inference-speed',
  );
  const lines = out.trimEnd().split('\n');
  assert.equal(lines[0], '====================       INFERENCE - SPEED - RESULT       ====================');
  assert.equal(lines[1], '-'.repeat(80));
  assert.equal(lines[2], '          Model Name             Batch Size     Seq Length     Time in s   ');
  assert.equal(lines[3], '-'.repeat(80));
  assert.equal(lines[4], '      bert-base-uncased              8              8            0.102     ');
  assert.match(lines[5]!, /^ +bert-base-uncased +8 +32 +< 0\.001 +$/);
  assert.match(lines[6]!, /^ +bert-base-uncased +8 +128 +OOM +$/);
  assert.equal(lines[7], '-'.repeat(80));
  assert.equal(lines.length, 8);
});

test('memory section shows integer MiB of the peak RSS; only sections with data are printed', () => {
  const out = renderSections([record({})]);
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
  assert.match(renderSection([gpu(1536 * MiB)], 'inference-memory'), /\b1536\b/);
  assert.match(renderSection([gpu(null)], 'inference-memory'), /\b1024\b/);
});
