// Device memory in use as NVML sees it (what nvidia-smi shows: every process's allocations plus the CUDA
// contexts), read through libnvidia-ml.so.1 loaded at run time: no build or link dependency on NVML, and a
// machine without it gets a reason instead of a failure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tfbench {

struct NvmlMemory {
  std::optional<int64_t> used_bytes;  // absent when NVML could not say
  std::string reason;                 // why it is absent; empty when present
};

// Memory used on the GPU with this PCI bus id ("0000:3B:00.0", as cudaDeviceGetPCIBusId gives it). Loads and
// initialises NVML on first use; thread-safe.
NvmlMemory nvml_memory_used(const std::string& pci_bus_id);

// One GPU as NVML describes it; a field NVML could not read (unsupported on the device, or an older driver
// without the entry point) is absent.
struct NvmlDevice {
  std::string pci_bus_id;  // "00000000:3B:00.0"
  std::string name;        // "NVIDIA H100 80GB HBM3"
  std::optional<int64_t> memory_total_bytes;
  std::optional<double> power_limit_watts;   // the power management limit (nvidia-smi's "Power Limit")
  std::optional<int> performance_state;      // 0 = P0 (highest performance) … 15; 32 = unknown
  std::optional<int> sm_clock_mhz;           // current SM clock
  std::optional<int> sm_clock_max_mhz;
  std::optional<int> memory_clock_mhz;
  std::optional<int> memory_clock_max_mhz;
};

struct NvmlSystem {
  std::string reason;                      // why NVML cannot be used; empty when it can
  std::string driver_version;              // "580.65.06"
  std::optional<int> cuda_driver_version;  // the newest CUDA the driver supports, as 1000 * major + 10 * minor
  std::vector<NvmlDevice> devices;         // in NVML's index order (PCI bus order)
};

// Every GPU NVML sees, with the driver's versions: the GPU fields of the environment block.
NvmlSystem nvml_system();

}  // namespace tfbench
