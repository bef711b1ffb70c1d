// The process's resident memory as Linux reports it (VmRSS, VmHWM in /proc/self/status), and the peak of
// one call measured with it.
#pragma once

#include <cstdint>
#include <functional>

namespace tfbench {

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

}  // namespace tfbench
