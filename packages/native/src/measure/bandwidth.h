// A device's memory bandwidth, as a copy of one large buffer into another sees it: the yardstick for a decode
// step, which reads every weight once (time per output token >= weight bytes / bandwidth).
#pragma once

#include <c10/core/Device.h>

#include <cstdint>
#include <string>

namespace tfbench {

struct MemoryBandwidth {
  std::string device;            // "cpu", "cuda:0"
  double bytes_per_second = 0;   // (bytes read + bytes written) / the median copy's time
  int64_t buffer_bytes = 0;      // the size of each of the two buffers
  int64_t repeats = 0;           // timed copies
};

// Copies a `bytes` buffer into another on `device` (both in one allocation, a distance apart that is no large
// power of two: see bandwidth.cc; on the CPU backed by huge pages where Linux grants them, as weights are): one
// untimed copy (it also maps the target's pages), then `repeats` timed copies; 2 · bytes / the median time. CPU:
// a steady clock around each copy (libtorch's copy runs on the intra-op threads); CUDA: events around each, read
// after one synchronisation at the end. BAD_INPUT for bytes or repeats < 1.
MemoryBandwidth measure_memory_bandwidth(const c10::Device& device, int64_t bytes, int64_t repeats);

}  // namespace tfbench
