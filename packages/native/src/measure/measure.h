// Measuring one cell: warm-up, one memory-measured call, then timed calls. Raw samples only; statistics
// are computed in TypeScript (packages/core/src/stats).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "models/model.h"

namespace tfbench {

// Seconds on the host's monotonic clock (std::chrono::steady_clock).
double monotonic_seconds();

struct CpuMemory {
  int64_t rss_bytes = 0;  // VmRSS
  int64_t hwm_bytes = 0;  // VmHWM: peak RSS since start or since the last reset_cpu_peak()
};

// Reads /proc/self/status.
CpuMemory read_cpu_memory();
// Returns the allocator's free heap pages to the OS (glibc malloc_trim; no-op elsewhere).
void release_free_heap();
// Resets VmHWM to the current RSS (writes "5" to /proc/self/clear_refs, Linux >= 4.0).
void reset_cpu_peak();

struct CpuMemoryPeak {
  int64_t rss_before_bytes = 0;  // VmRSS right before the call
  int64_t rss_peak_bytes = 0;    // VmHWM right after it (reset right before it)
};

// The peak RSS of one call: the allocator's free pages go back to the OS, VmHWM is reset, then `call` runs.
CpuMemoryPeak measure_cpu_peak(const std::function<void()>& call);

// Self-check of measure_cpu_peak: a call that allocates `bytes` and writes every page of it.
CpuMemoryPeak measure_allocation(int64_t bytes);

struct CudaMemoryPeak {
  int64_t allocated_before_bytes = 0;  // bytes allocated to tensors right before the call
  int64_t peak_allocated_bytes = 0;    // torch.cuda.max_memory_allocated() over the call (reset right before)
  int64_t peak_reserved_bytes = 0;     // torch.cuda.max_memory_reserved() over the call
  std::optional<int64_t> device_used_bytes;  // NVML's used memory right after the call (nvidia-smi's figure)
  std::string device_used_reason;            // why device_used_bytes is absent
};

// The caching allocator's peaks over one call on a CUDA device (resetPeakStats / getDeviceStats), plus
// NVML's device memory in use after it. Throws NO_CUDA in an addon built without CUDA.
CudaMemoryPeak measure_cuda_peak(const c10::Device& device, const std::function<void()>& call);

struct MeasureOptions {
  bool training = false;
  bool optimizer_step = false;  // training: also an AdamW step (trainStep "optimizer")
  int64_t batch_size = 1;
  int64_t sequence_length = 1;
  int64_t warmup = 0;
  int64_t min_samples = 1;
  double min_time_s = 0.0;
  double max_time_s = 0.0;
  bool speed = true;
  bool memory = true;
  bool breakdown = false;  // one more call, timed and measured module by module
  uint64_t seed = 0;
};

// One module of a breakdown call (Model::set_probe names them), or a training phase after the forward pass
// ("loss", "backward", "optimizer").
struct ModuleCost {
  std::string module;
  double seconds = 0.0;      // host clock, the device synchronised at both ends
  int64_t before_bytes = 0;  // CPU: RSS when the module starts; CUDA: bytes allocated to tensors then
  int64_t peak_bytes = 0;    // CPU: peak RSS while it runs; CUDA: peak bytes allocated while it runs
};

struct MeasureResult {
  std::vector<double> samples_seconds;  // one per timed call: GPU time from CUDA events on CUDA
  std::vector<double> host_seconds;     // CUDA only: host wall time of each timed call (launch overhead)
  std::vector<double> warmup_seconds;
  // Training only, one entry per timed call: forward (with the loss), backward, and the optimizer step
  // (empty without one). Each sums to about its samples_seconds entry.
  std::vector<double> forward_seconds;
  std::vector<double> backward_seconds;
  std::vector<double> optimizer_seconds;
  std::optional<CpuMemoryPeak> memory;        // the memory-measured call on CPU, when asked for
  std::optional<CudaMemoryPeak> cuda_memory;  // the memory-measured call on CUDA, when asked for
  std::vector<ModuleCost> breakdown;          // the breakdown call, when asked for
};

// Runs on the calling thread; sets its own autograd guards (InferenceMode or grad mode) there.
MeasureResult measure(Model& model, const MeasureOptions& options);

}  // namespace tfbench
