// Device memory in use as NVML sees it (what nvidia-smi shows: every process's allocations plus the CUDA
// contexts), read through libnvidia-ml.so.1 loaded at run time: no build or link dependency on NVML, and a
// machine without it gets a reason instead of a failure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace tfbench {

struct NvmlMemory {
  std::optional<int64_t> used_bytes;  // absent when NVML could not say
  std::string reason;                 // why it is absent; empty when present
};

// Memory used on the GPU with this PCI bus id ("0000:3B:00.0", as cudaDeviceGetPCIBusId gives it). Loads and
// initialises NVML on first use; thread-safe.
NvmlMemory nvml_memory_used(const std::string& pci_bus_id);

}  // namespace tfbench
