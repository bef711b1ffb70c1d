// gpuInfo()'s NVML half, end to end through dlopen: a stand-in libnvidia-ml.so.1 compiled here answers with
// known values (this machine has no NVIDIA driver), and a child process that finds it on LD_LIBRARY_PATH must
// report exactly those. This checks the symbol names, the argument order and the unit conversions
// (milliwatts to watts); NVML's real struct layouts are checked on a GPU machine.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { addonCandidates, loadBinding } from '../lib/index.js';

const FAKE_NVML = String.raw`
#include <string.h>
typedef struct { unsigned long long total, free, used; } mem_t;
typedef struct { char legacy[16]; unsigned int domain, bus, device, id, subsys; char busId[32]; } pci_t;
static int dev0 = 0, dev1 = 1;
int nvmlInit_v2(void) { return 0; }
const char* nvmlErrorString(int r) { return r ? "fake error" : "success"; }
int nvmlSystemGetDriverVersion(char* v, unsigned int n) { strncpy(v, "580.65.06", n); return 0; }
int nvmlSystemGetCudaDriverVersion_v2(int* v) { *v = 13000; return 0; }
int nvmlDeviceGetCount_v2(unsigned int* n) { *n = 2; return 0; }
int nvmlDeviceGetHandleByIndex_v2(unsigned int i, void** d) { *d = i ? (void*)&dev1 : (void*)&dev0; return 0; }
int nvmlDeviceGetHandleByPciBusId_v2(const char* id, void** d) { *d = &dev0; return 0; }
int nvmlDeviceGetName(void* d, char* s, unsigned int n) { strncpy(s, d == &dev0 ? "NVIDIA H100 80GB HBM3" : "NVIDIA H100 PCIe", n); return 0; }
int nvmlDeviceGetPciInfo_v3(void* d, pci_t* p) { memset(p, 0, sizeof *p); strcpy(p->busId, d == &dev0 ? "00000000:1B:00.0" : "00000000:3B:00.0"); return 0; }
int nvmlDeviceGetMemoryInfo(void* d, mem_t* m) { m->total = 85520809984ULL; m->used = 1ULL << 30; m->free = m->total - m->used; return 0; }
int nvmlDeviceGetPowerManagementLimit(void* d, unsigned int* mw) { *mw = d == &dev0 ? 700000 : 350000; return 0; }
int nvmlDeviceGetPerformanceState(void* d, int* p) { *p = d == &dev0 ? 0 : 8; return 0; }
int nvmlDeviceGetClockInfo(void* d, int type, unsigned int* mhz) { if (d == &dev1) return 3; *mhz = type == 1 ? 1755 : 2619; return 0; }
int nvmlDeviceGetMaxClockInfo(void* d, int type, unsigned int* mhz) { if (d == &dev1) return 3; *mhz = type == 1 ? 1980 : 2619; return 0; }
`;

function compiler(): string | null {
  for (const cc of ['cc', 'gcc', 'clang']) {
    if (spawnSync(cc, ['--version'], { stdio: 'ignore' }).status === 0) return cc;
  }
  return null;
}

test('gpuInfo() without NVML: no devices and the reason, not a failure', (t) => {
  const info = loadBinding().gpuInfo();
  if (info.nvml.reason === null) return t.skip('this machine has a working libnvidia-ml.so.1: nothing to test without one');
  assert.match(info.nvml.reason, /libnvidia-ml\.so\.1/);
  assert.deepEqual(info.nvml.devices, []);
  assert.equal(info.nvml.driverVersion, null);
});

test('gpuInfo() reads driver, CUDA driver version, names, PCI ids, memory, power, performance state and clocks from NVML', (t) => {
  const cc = compiler();
  if (!cc) return t.skip('no C compiler to build the stand-in libnvidia-ml.so.1 (sh scripts/setup-system.sh installs g++)');
  const dir = mkdtempSync(join(tmpdir(), 'tfbench-nvml-'));
  writeFileSync(join(dir, 'fake.c'), FAKE_NVML);
  const built = spawnSync(cc, ['-shared', '-fPIC', '-o', join(dir, 'libnvidia-ml.so.1'), join(dir, 'fake.c')], { encoding: 'utf8' });
  assert.equal(built.status, 0, built.stderr);
  const addon = addonCandidates().find((p) => existsSync(p))!;
  const child = spawnSync(process.execPath, ['-e', `console.log(JSON.stringify(require(${JSON.stringify(addon)}).gpuInfo()))`], {
    encoding: 'utf8',
    env: { ...process.env, LD_LIBRARY_PATH: [dir, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') },
  });
  assert.equal(child.status, 0, child.stderr);
  const info = JSON.parse(child.stdout);
  assert.deepEqual(info.nvml, {
    reason: null,
    driverVersion: '580.65.06',
    cudaDriverVersion: 13000,
    devices: [
      {
        pciBusId: '00000000:1B:00.0', name: 'NVIDIA H100 80GB HBM3', memoryTotalBytes: 85520809984, powerLimitWatts: 700,
        performanceState: 0, smClockMHz: 1755, smClockMaxMHz: 1980, memoryClockMHz: 2619, memoryClockMaxMHz: 2619,
      },
      {
        // clocks NVML refuses (NVML_ERROR_NOT_SUPPORTED) are null, the rest is still read
        pciBusId: '00000000:3B:00.0', name: 'NVIDIA H100 PCIe', memoryTotalBytes: 85520809984, powerLimitWatts: 350,
        performanceState: 8, smClockMHz: null, smClockMaxMHz: null, memoryClockMHz: null, memoryClockMaxMHz: null,
      },
    ],
  });
});
