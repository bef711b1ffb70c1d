// What the environment block says about the GPUs: the CUDA devices libtorch sees and the CUDA / cuDNN
// versions it runs with (CUDA builds only; empty in a CPU-only build), plus NVML's account (nvml.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tfbench {

struct CudaDevice {
  int index = 0;                // the N of cuda:N
  std::string name;             // cudaDeviceProp::name
  int64_t total_memory_bytes = 0;
  std::string pci_bus_id;       // "0000:3B:00.0" (cudaDeviceGetPCIBusId): matches the NVML device
  std::string compute_capability;  // "9.0"
};

struct CudaRuntime {
  std::optional<int> runtime_version;  // cudaRuntimeGetVersion: 1000 * major + 10 * minor
  std::optional<int> cudnn_version;    // as cuDNN numbers it (8.9.2 = 8902, 9.1.0 = 90100); absent without cuDNN
  std::vector<CudaDevice> devices;
};

// Empty (no versions, no devices) when the addon was built against a CPU-only libtorch.
CudaRuntime cuda_runtime();

}  // namespace tfbench
