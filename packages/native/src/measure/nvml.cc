// NVML through dlopen: the few entry points used, declared here with NVML's C ABI (nvml.h is not needed).
#include "measure/nvml.h"

#include <dlfcn.h>

#include <mutex>

namespace tfbench {
namespace {

using nvmlReturn_t = int;  // NVML_SUCCESS = 0
using nvmlDevice_t = struct nvmlDevice_st*;
struct nvmlMemory_t {  // nvml.h's nvmlMemory_t (v1): total, free, used bytes
  unsigned long long total;
  unsigned long long free;
  unsigned long long used;
};

struct Nvml {
  nvmlReturn_t (*init)() = nullptr;
  nvmlReturn_t (*by_pci_bus_id)(const char*, nvmlDevice_t*) = nullptr;
  nvmlReturn_t (*memory_info)(nvmlDevice_t, nvmlMemory_t*) = nullptr;
  const char* (*error_string)(nvmlReturn_t) = nullptr;
  std::string failure;  // why NVML cannot be used; empty when it can
};

Nvml load() {
  Nvml n;
  void* lib = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    const char* why = dlerror();
    n.failure = std::string("libnvidia-ml.so.1 could not be loaded (") + (why ? why : "unknown error") + ")";
    return n;
  }
  n.init = reinterpret_cast<decltype(n.init)>(dlsym(lib, "nvmlInit_v2"));
  n.by_pci_bus_id = reinterpret_cast<decltype(n.by_pci_bus_id)>(dlsym(lib, "nvmlDeviceGetHandleByPciBusId_v2"));
  n.memory_info = reinterpret_cast<decltype(n.memory_info)>(dlsym(lib, "nvmlDeviceGetMemoryInfo"));
  n.error_string = reinterpret_cast<decltype(n.error_string)>(dlsym(lib, "nvmlErrorString"));
  if (!n.init || !n.by_pci_bus_id || !n.memory_info || !n.error_string) {
    n.failure = "libnvidia-ml.so.1 lacks nvmlInit_v2, nvmlDeviceGetHandleByPciBusId_v2 or nvmlDeviceGetMemoryInfo";
    return n;
  }
  const nvmlReturn_t r = n.init();
  if (r != 0) n.failure = std::string("nvmlInit_v2 failed: ") + n.error_string(r);
  return n;  // the library stays loaded for the life of the process
}

}  // namespace

NvmlMemory nvml_memory_used(const std::string& pci_bus_id) {
  static std::once_flag once;
  static Nvml nvml;
  std::call_once(once, [] { nvml = load(); });
  NvmlMemory m;
  if (!nvml.failure.empty()) {
    m.reason = nvml.failure;
    return m;
  }
  nvmlDevice_t device = nullptr;
  nvmlReturn_t r = nvml.by_pci_bus_id(pci_bus_id.c_str(), &device);
  nvmlMemory_t info{};
  if (r == 0) r = nvml.memory_info(device, &info);
  if (r != 0) {
    m.reason = std::string("NVML cannot read device ") + pci_bus_id + ": " + nvml.error_string(r);
    return m;
  }
  m.used_bytes = static_cast<int64_t>(info.used);
  return m;
}

}  // namespace tfbench
