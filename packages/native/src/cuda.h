// The addon's use of the CUDA runtime and libtorch's CUDA side: a device's random generator, device
// synchronisation, timing events, the caching allocator's statistics, the GPUs libtorch sees. cuda.cc holds
// every CUDA-only line of the addon behind its one test of TFBENCH_WITH_CUDA (set by CMake when the libtorch
// found has CUDA), so the files that call these read the same in both builds. In a CPU-only build these
// functions say there is no GPU (cuda_usable, cuda_runtime, synchronize) or throw NO_CUDA (the rest: only a CUDA
// device reaches them, and require_cuda_build refuses CUDA devices when a model is built).
#pragma once

#include <ATen/core/Generator.h>
#include <c10/core/Device.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tfbench {

// A CUDA device is visible to libtorch (false in a CPU-only build).
bool cuda_usable();

// Throws NO_CUDA "device '<device>' was asked but this addon was built against a CPU-only libtorch ..." in a
// CPU-only build; nothing in a CUDA build.
void require_cuda_build(const std::string& device);

// A new random generator of CUDA device `index`, seeded.
at::Generator cuda_generator(c10::DeviceIndex index, uint64_t seed);

// Waits until `device` has finished its queued work (CUDA); returns at once for the CPU.
void synchronize(const c10::Device& device);

// Events recorded in order on the current CUDA stream, read after one synchronisation: the GPU's time
// between two points without a host synchronisation per point.
class CudaEvents {
 public:
  CudaEvents();
  ~CudaEvents();
  CudaEvents(const CudaEvents&) = delete;
  CudaEvents& operator=(const CudaEvents&) = delete;

  void record();
  // Waits for the last recorded event.
  void wait_for_last() const;
  // Seconds from event `from` to event `to` (both recorded, and complete: after wait_for_last()).
  double seconds(size_t from, size_t to) const;

 private:
  struct Events;
  std::unique_ptr<Events> events_;
};

// Bytes the caching allocator has given to tensors on one device (allocated_bytes, all pools).
struct CudaAllocated {
  int64_t current_bytes = 0;
  int64_t peak_bytes = 0;  // since the last reset_cuda_peak()
};
CudaAllocated cuda_allocated(c10::DeviceIndex index);
// Sets the allocator's peaks to its current figures (resetPeakStats).
void reset_cuda_peak(c10::DeviceIndex index);

struct CudaMemoryPeak {
  int64_t allocated_before_bytes = 0;  // bytes allocated to tensors right before the call
  int64_t peak_allocated_bytes = 0;    // torch.cuda.max_memory_allocated() over the call (reset right before)
  int64_t peak_reserved_bytes = 0;     // torch.cuda.max_memory_reserved() over the call
  std::optional<int64_t> device_used_bytes;  // NVML's used memory right after the call (nvidia-smi's figure)
  std::string device_used_reason;            // why device_used_bytes is absent
};

// The caching allocator's peaks over one call on a CUDA device (resetPeakStats / getDeviceStats), plus
// NVML's device memory in use after it. `call` must synchronise the device before it returns.
CudaMemoryPeak measure_cuda_peak(const c10::Device& device, const std::function<void()>& call);

// The environment block's account of the GPUs libtorch sees (NVML's is in nvml.h).
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

// Empty (no versions, no devices) in a CPU-only build.
CudaRuntime cuda_runtime();

}  // namespace tfbench
