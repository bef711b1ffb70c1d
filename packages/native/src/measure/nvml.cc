// NVML through dlopen: the few entry points used, declared here with NVML's C ABI (nvml.h is not needed).
#include "measure/nvml.h"

#include <dlfcn.h>

#include <mutex>
#include <vector>

namespace tfbench {
namespace {

using nvmlReturn_t = int;  // NVML_SUCCESS = 0
using nvmlDevice_t = struct nvmlDevice_st*;
struct nvmlMemory_t {  // nvml.h's nvmlMemory_t (v1): total, free, used bytes
  unsigned long long total;
  unsigned long long free;
  unsigned long long used;
};

struct nvmlPciInfo_t {  // nvml.h's nvmlPciInfo_t as nvmlDeviceGetPciInfo_v3 fills it
  char busIdLegacy[16];
  unsigned int domain;
  unsigned int bus;
  unsigned int device;
  unsigned int pciDeviceId;
  unsigned int pciSubSystemId;
  char busId[32];
};
constexpr int kClockSm = 1;   // NVML_CLOCK_SM
constexpr int kClockMem = 2;  // NVML_CLOCK_MEM

struct Nvml {
  nvmlReturn_t (*init)() = nullptr;
  nvmlReturn_t (*by_pci_bus_id)(const char*, nvmlDevice_t*) = nullptr;
  nvmlReturn_t (*memory_info)(nvmlDevice_t, nvmlMemory_t*) = nullptr;
  const char* (*error_string)(nvmlReturn_t) = nullptr;
  // Environment queries: optional, each may be missing from an older driver's library.
  nvmlReturn_t (*driver_version)(char*, unsigned int) = nullptr;
  nvmlReturn_t (*cuda_driver_version)(int*) = nullptr;
  nvmlReturn_t (*device_count)(unsigned int*) = nullptr;
  nvmlReturn_t (*by_index)(unsigned int, nvmlDevice_t*) = nullptr;
  nvmlReturn_t (*name)(nvmlDevice_t, char*, unsigned int) = nullptr;
  nvmlReturn_t (*pci_info)(nvmlDevice_t, nvmlPciInfo_t*) = nullptr;
  nvmlReturn_t (*power_limit)(nvmlDevice_t, unsigned int*) = nullptr;  // milliwatts
  nvmlReturn_t (*performance_state)(nvmlDevice_t, int*) = nullptr;
  nvmlReturn_t (*clock)(nvmlDevice_t, int, unsigned int*) = nullptr;      // MHz
  nvmlReturn_t (*max_clock)(nvmlDevice_t, int, unsigned int*) = nullptr;  // MHz
  std::string failure;  // why NVML cannot be used; empty when it can
};

template <typename F>
void bind(void* lib, F& function, const char* symbol) {
  function = reinterpret_cast<F>(dlsym(lib, symbol));
}

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
  bind(lib, n.driver_version, "nvmlSystemGetDriverVersion");
  bind(lib, n.cuda_driver_version, "nvmlSystemGetCudaDriverVersion_v2");
  bind(lib, n.device_count, "nvmlDeviceGetCount_v2");
  bind(lib, n.by_index, "nvmlDeviceGetHandleByIndex_v2");
  bind(lib, n.name, "nvmlDeviceGetName");
  bind(lib, n.pci_info, "nvmlDeviceGetPciInfo_v3");
  bind(lib, n.power_limit, "nvmlDeviceGetPowerManagementLimit");
  bind(lib, n.performance_state, "nvmlDeviceGetPerformanceState");
  bind(lib, n.clock, "nvmlDeviceGetClockInfo");
  bind(lib, n.max_clock, "nvmlDeviceGetMaxClockInfo");
  if (!n.init || !n.by_pci_bus_id || !n.memory_info || !n.error_string) {
    n.failure = "libnvidia-ml.so.1 lacks nvmlInit_v2, nvmlDeviceGetHandleByPciBusId_v2 or nvmlDeviceGetMemoryInfo";
    return n;
  }
  const nvmlReturn_t r = n.init();
  if (r != 0) n.failure = std::string("nvmlInit_v2 failed: ") + n.error_string(r);
  return n;  // the library stays loaded for the life of the process
}

const Nvml& nvml_once() {
  static std::once_flag once;
  static Nvml nvml;
  std::call_once(once, [] { nvml = load(); });
  return nvml;
}

// An optional NVML getter's value: present only when the entry point exists and returned NVML_SUCCESS.
// `call(getter, &value)` passes the getter its other arguments.
template <typename T, typename Getter, typename Call>
std::optional<T> query(Getter getter, Call call) {
  T value{};
  if (getter == nullptr || call(getter, &value) != 0) return std::nullopt;
  return value;
}

}  // namespace

NvmlSystem nvml_system() {
  const Nvml& nvml = nvml_once();
  NvmlSystem s;
  if (!nvml.failure.empty()) {
    s.reason = nvml.failure;
    return s;
  }
  char text[96] = {0};
  if (nvml.driver_version && nvml.driver_version(text, sizeof(text)) == 0) s.driver_version = text;
  s.cuda_driver_version = query<int>(nvml.cuda_driver_version, [](auto get, int* v) { return get(v); });
  const auto count = query<unsigned int>(nvml.device_count, [](auto get, unsigned int* v) { return get(v); });
  if (!count || !nvml.by_index) {
    s.reason = "NVML cannot count or enumerate the devices (nvmlDeviceGetCount_v2 / nvmlDeviceGetHandleByIndex_v2)";
    return s;
  }
  for (unsigned int i = 0; i < *count; ++i) {
    nvmlDevice_t handle = nullptr;
    if (nvml.by_index(i, &handle) != 0) continue;  // e.g. a device this process may not see
    NvmlDevice d;
    char name[96] = {0};
    if (nvml.name && nvml.name(handle, name, sizeof(name)) == 0) d.name = name;
    nvmlPciInfo_t pci{};
    if (nvml.pci_info && nvml.pci_info(handle, &pci) == 0) d.pci_bus_id = pci.busId;
    nvmlMemory_t memory{};
    if (nvml.memory_info(handle, &memory) == 0) d.memory_total_bytes = static_cast<int64_t>(memory.total);
    const auto of_device = [handle](auto get, auto* v) { return get(handle, v); };
    if (const auto mw = query<unsigned int>(nvml.power_limit, of_device)) d.power_limit_watts = *mw / 1000.0;
    d.performance_state = query<int>(nvml.performance_state, of_device);
    const auto clock = [handle](auto getter, int type) -> std::optional<int> {
      const auto mhz = query<unsigned int>(getter, [handle, type](auto get, unsigned int* v) { return get(handle, type, v); });
      return mhz ? std::optional<int>(static_cast<int>(*mhz)) : std::nullopt;
    };
    d.sm_clock_mhz = clock(nvml.clock, kClockSm);
    d.sm_clock_max_mhz = clock(nvml.max_clock, kClockSm);
    d.memory_clock_mhz = clock(nvml.clock, kClockMem);
    d.memory_clock_max_mhz = clock(nvml.max_clock, kClockMem);
    s.devices.push_back(std::move(d));
  }
  return s;
}

NvmlMemory nvml_memory_used(const std::string& pci_bus_id) {
  const Nvml& nvml = nvml_once();
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
