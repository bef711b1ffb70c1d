import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  collectEnvironment,
  cudaVersionText,
  cudnnVersionText,
  describeGpus,
  environmentEntries,
  memoryBandwidthText,
  type EnvironmentInfo,
} from '../src/env/index.js';
import type { GpuReport, MemoryBandwidth } from '../src/backend/index.js';
import { renderEnvironment } from '../src/report/table.js';
import { mergeResults } from '../src/report/merge.js';
import { resultsJsonSchema } from '../src/report/results-schema.js';
import { benchmark } from '../src/run/benchmark.js';
import { backendOf, fakeModel, tiny } from './fake-backend.js';
import { validate } from './json-schema.js';

const nvmlDevice = {
  pciBusId: '00000000:1B:00.0', name: 'NVIDIA H100 80GB HBM3', memoryTotalBytes: 85520809984, powerLimitWatts: 700,
  performanceState: 0, smClockMHz: 1755, smClockMaxMHz: 1980, memoryClockMHz: 2619, memoryClockMaxMHz: 2619,
};
const report: GpuReport = {
  cudaRuntimeVersion: 13000,
  cudnnVersion: 91002,
  cudaDevices: [
    { index: 0, name: 'NVIDIA H100 80GB HBM3', totalMemoryBytes: 84987740160, pciBusId: '0000:1b:00.0', computeCapability: '9.0' },
    { index: 1, name: 'NVIDIA H100 80GB HBM3', totalMemoryBytes: 84987740160, pciBusId: '0000:3B:00.0', computeCapability: '9.0' },
  ],
  nvml: { reason: null, driverVersion: '580.65.06', cudaDriverVersion: 13000, devices: [{ ...nvmlDevice, pciBusId: '00000000:3B:00.0', performanceState: 2 }, nvmlDevice] },
};

test('CUDA and cuDNN version numbers read as people write them', () => {
  assert.equal(cudaVersionText(12080), '12.8');
  assert.equal(cudaVersionText(13000), '13.0');
  assert.equal(cudnnVersionText(8902), '8.9.2');
  assert.equal(cudnnVersionText(90100), '9.1.0');
  assert.equal(cudnnVersionText(91002), '9.10.2');
  assert.equal(cudnnVersionText(null), null);
});

test('each CUDA device is joined with the NVML device on its PCI bus, whatever order NVML lists them in', () => {
  const gpus = describeGpus(report, []);
  assert.deepEqual(gpus.map((g) => [g.index, g.pciBusId, g.performanceState, g.powerLimitWatts]), [
    [0, '0000:1b:00.0', 0, 700],
    [1, '0000:3B:00.0', 2, 700],
  ]);
  assert.equal(gpus[0]!.memoryBytes, 84987740160); // the CUDA runtime's figure
  assert.equal(gpus[0]!.driverVersion, '580.65.06');
});

test('without NVML, systeminformation names the GPUs and the driver; power and clocks stay unknown', () => {
  const noNvml: GpuReport = { cudaRuntimeVersion: null, cudnnVersion: null, cudaDevices: [], nvml: { reason: 'libnvidia-ml.so.1 could not be loaded', driverVersion: null, cudaDriverVersion: null, devices: [] } };
  const gpus = describeGpus(noNvml, [
    { vendor: 'Intel Corporation', model: 'UHD 630', vram: 0 },
    { vendor: 'NVIDIA Corporation', model: 'NVIDIA L4', vram: 23034, driverVersion: '550.54.15' },
  ]);
  assert.deepEqual(gpus.map((g) => [g.name, g.memoryBytes, g.driverVersion, g.powerLimitWatts]), [['NVIDIA L4', 23034 * 1024 * 1024, '550.54.15', null]]);
});

function environment(over: Partial<EnvironmentInfo>): EnvironmentInfo {
  return {
    tfbenchVersion: '0.1.0', framework: 'libtorch', frameworkVersion: '2.11.0', frameworkSource: 'python3 torch', nodeVersion: '20.19.0',
    system: 'Linux', osRelease: 'Ubuntu 24.04', architecture: 'x64', cpuModel: 'Intel Xeon Platinum 8480+', cpuPhysicalCores: 16, cpuLogicalCores: 16,
    cpuRamBytes: 128 * 2 ** 30, blas: 'MKL', threads: 16, parallelInfo: '', device: 'cuda:1', dtype: 'bfloat16', isolate: true, onlyPretrainModel: false,
    date: '2026-11-23', time: '07:00:00Z', gpus: describeGpus(report, []), cudaRuntimeVersion: '13.0', cudnnVersion: '9.10.2', cudaDriverVersion: '13.0', nvmlReason: null,
    ...over,
  };
}

test("on CUDA the block has Hugging Face's GPU keys in its order, for the device measured, then the driver, CUDA, cuDNN and clocks", () => {
  const rows = environmentEntries(environment({}));
  const keys = rows.map(([k]) => k);
  const hfOrder = ['use_gpu', 'num_gpus', 'gpu', 'gpu_ram_mb', 'gpu_power_watts', 'gpu_performance_state', 'use_tpu'];
  assert.deepEqual(keys.filter((k) => hfOrder.includes(k)), hfOrder);
  assert.equal(keys.indexOf('gpu_performance_state') + 1, keys.indexOf('use_tpu'));
  const value = Object.fromEntries(rows);
  assert.equal(value.num_gpus, 2);
  assert.equal(value.gpu_performance_state, 2); // cuda:1's NVML device, not the first one
  assert.equal(value.gpu_ram_mb, 81050); // floor(84987740160 / 2^20)
  assert.equal(value.gpu_power_watts, 700);
  assert.equal(value.gpu_driver, '580.65.06');
  assert.equal(value.cuda_driver, '13.0');
  assert.equal(value.cuda_runtime, '13.0');
  assert.equal(value.cudnn, '9.10.2');
  assert.equal(value.gpu_compute_capability, '9.0');
  assert.equal(value.gpu_sm_clock_mhz, '1755 (max 1980)');
  assert.equal(value.gpu_memory_clock_mhz, '2619 (max 2619)');
  assert.equal(value.gpu_pci_bus_id, '0000:3B:00.0');
  assert.equal(value.nvml, undefined);
});

test('on CUDA without NVML the block says why the NVML fields are missing; on CPU there are no GPU keys', () => {
  const noNvml = Object.fromEntries(environmentEntries(environment({ nvmlReason: 'libnvidia-ml.so.1 could not be loaded', gpus: [] })));
  assert.equal(noNvml.nvml, 'unavailable: libnvidia-ml.so.1 could not be loaded');
  assert.equal(noNvml.num_gpus, 0);
  const cpu = environmentEntries(environment({ device: 'cpu' })).map(([k]) => k);
  assert.ok(!cpu.some((k) => k.startsWith('gpu') || k.startsWith('cud') || k === 'num_gpus'), cpu.join(','));
  assert.ok(cpu.includes('use_gpu'));
});

// The device's memory bandwidth: measured once per environment on the run's device, shown after the other keys.
const CPU_THREADS = { threads: 2, rule: 'pinned' as const, reason: 'threads: 2', probe: null };
const NO_BLAS = { library: null, vendor: null, threading: null, threads: null, config: null };
const context = (device: string) => ({
  device, dtype: 'float32', isolate: false, onlyPretrainModel: false, blas: NO_BLAS, threads: CPU_THREADS,
});

/** A fake backend measuring `bandwidth` (or failing with it), recording the devices asked. */
function bandwidthBackend(bandwidth: MemoryBandwidth | null | Error, devices: string[] = []) {
  return backendOf(fakeModel({ seconds: () => 0.001 }), 2, {
    measureMemoryBandwidth: async (device) => {
      devices.push(device);
      if (bandwidth instanceof Error) throw bandwidth;
      return bandwidth;
    },
  });
}

const MEASURED: MemoryBandwidth = { device: 'cpu', bytesPerSecond: 12.34e9, bufferBytes: 256 * 2 ** 20, repeats: 9 };

test('collectEnvironment measures the memory bandwidth on the device, and the block shows it last', async () => {
  const devices: string[] = [];
  const env = await collectEnvironment(bandwidthBackend(MEASURED, devices), context('cpu'));
  assert.deepEqual(devices, ['cpu']);
  assert.deepEqual(env.memoryBandwidth, { bytesPerSecond: 12.34e9, bufferBytes: 268435456, repeats: 9 });
  assert.equal(env.memoryBandwidthReason, null);
  const rows = environmentEntries(env);
  assert.deepEqual(rows.at(-1), ['memory_bandwidth', '12.3 GB/s (copy of 256 MiB, median of 9)']);
  // Hugging Face's keys keep their places ahead of it.
  assert.ok(rows.findIndex(([k]) => k === 'use_tpu') < rows.length - 1);
  assert.match(renderEnvironment(rows), /\n- memory_bandwidth: 12\.3 GB\/s \(copy of 256 MiB, median of 9\)\n$/);
});

test('a backend that cannot measure the bandwidth, or fails to, leaves it null with the reason shown', async () => {
  const none = await collectEnvironment(bandwidthBackend(null), context('cpu'));
  assert.deepEqual([none.memoryBandwidth, none.memoryBandwidthReason], [null, 'the fake backend does not measure it']);
  const row = ['memory_bandwidth', 'unknown (the fake backend does not measure it)'];
  assert.deepEqual(environmentEntries(none).at(-1), row);
  const oom = Object.assign(new Error('CUDA out of memory. Tried to allocate 256.00 MiB\nmore'), { code: 'OOM' });
  const failed = await collectEnvironment(bandwidthBackend(oom), context('cpu'));
  assert.deepEqual(
    [failed.memoryBandwidth, failed.memoryBandwidthReason],
    [null, 'the measurement failed: CUDA out of memory. Tried to allocate 256.00 MiB'],
  );
});

test('bandwidths print in decimal GB/s to 3 significant digits, grouped past 1000; older files show none', () => {
  const text = (bytesPerSecond: number, bufferBytes = 2 ** 30, repeats = 5) =>
    memoryBandwidthText({ memoryBandwidth: { bytesPerSecond, bufferBytes, repeats }, memoryBandwidthReason: null });
  assert.equal(text(4.2134e12), '4,213 GB/s (copy of 1 GiB, median of 5)');
  assert.equal(text(987.6e9), '988 GB/s (copy of 1 GiB, median of 5)');
  assert.equal(text(5.5e8, 64 * 2 ** 20, 9), '0.550 GB/s (copy of 64 MiB, median of 9)');
  const keys = environmentEntries(environment({ device: 'cpu' })).map(([k]) => k);
  assert.ok(!keys.includes('memory_bandwidth'), 'a results file of schema 1.2 has no bandwidth to show');
});

test('a run measures the bandwidth once, at start, on its device; the results schema accepts it and null', async () => {
  const devices: string[] = [];
  const results = await benchmark(
    { models: [tiny], batchSizes: [1], sequenceLengths: [8, 16], isolate: false, device: 'cpu', threads: 2 },
    { backend: bandwidthBackend(MEASURED, devices) },
  );
  assert.deepEqual(devices, ['cpu']);
  assert.equal(results.environment.memoryBandwidth?.bytesPerSecond, 12.34e9);
  const schema = resultsJsonSchema();
  const file = JSON.parse(JSON.stringify(results));
  assert.deepEqual(validate(file, schema, schema), []);
  const unmeasured = { memoryBandwidth: null, memoryBandwidthReason: 'not here' };
  const none = { ...file, environment: { ...file.environment, ...unmeasured } };
  assert.deepEqual(validate(none, schema, schema), []);
  const wrong = { ...file, environment: { ...file.environment, memoryBandwidth: { bytesPerSecond: '12 GB/s' } } };
  assert.deepEqual(validate(wrong, schema, schema), ['$.environment.memoryBandwidth: matches no alternative']);
});

test('the bandwidth is measured per run: shards that measured different figures merge without a note', async () => {
  const args = { models: [tiny], batchSizes: [1], sequenceLengths: [8, 16], isolate: false, device: 'cpu', threads: 2 };
  const shard = (i: number, bytesPerSecond: number) =>
    benchmark({ ...args, shard: `${i}/2` }, { backend: bandwidthBackend({ ...MEASURED, bytesPerSecond }) });
  const merged = mergeResults([await shard(1, 12.34e9), await shard(2, 11.9e9)], { names: ['a.json', 'b.json'] });
  assert.deepEqual(merged.merged?.environmentDifferences, []);
  assert.equal(merged.environment.memoryBandwidth?.bytesPerSecond, 12.34e9, "the first file's environment");
});
