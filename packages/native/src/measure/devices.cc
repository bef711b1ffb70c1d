#include "measure/devices.h"

#ifdef TFBENCH_WITH_CUDA
#include <ATen/detail/CUDAHooksInterface.h>
#include <c10/cuda/CUDAFunctions.h>
#include <cuda_runtime_api.h>
#endif

namespace tfbench {

#ifdef TFBENCH_WITH_CUDA
CudaRuntime cuda_runtime() {
  CudaRuntime r;
  int version = 0;
  if (cudaRuntimeGetVersion(&version) == cudaSuccess) r.runtime_version = version;
  try {
    const auto& hooks = at::detail::getCUDAHooks();
    if (hooks.hasCuDNN()) r.cudnn_version = static_cast<int>(hooks.versionCuDNN());
  } catch (const std::exception&) {
    // a libtorch without cuDNN support: the version stays absent
  }
  const int count = static_cast<int>(c10::cuda::device_count());
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp prop{};
    if (cudaGetDeviceProperties(&prop, i) != cudaSuccess) continue;
    CudaDevice d;
    d.index = i;
    d.name = prop.name;
    d.total_memory_bytes = static_cast<int64_t>(prop.totalGlobalMem);
    d.compute_capability = std::to_string(prop.major) + "." + std::to_string(prop.minor);
    char bus_id[32] = {0};
    if (cudaDeviceGetPCIBusId(bus_id, sizeof(bus_id), i) == cudaSuccess) d.pci_bus_id = bus_id;
    r.devices.push_back(std::move(d));
  }
  return r;
}
#else
CudaRuntime cuda_runtime() { return {}; }
#endif

}  // namespace tfbench
