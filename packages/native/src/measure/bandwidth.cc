#include "measure/bandwidth.h"

#include <ATen/ATen.h>
#include <c10/util/StringUtil.h>

#include <algorithm>
#include <vector>

#include "errors.h"
#include "huge_pages.h"
#include "measure/timeline.h"

namespace tfbench {

MemoryBandwidth measure_memory_bandwidth(const c10::Device& device, int64_t bytes, int64_t repeats) {
  if (bytes < 1) throw_bad_input(c10::str("options.bytes must be >= 1, got ", bytes));
  if (repeats < 1) throw_bad_input(c10::str("options.repeats must be >= 1, got ", repeats));
  // Source and target lie in one allocation, the target a little past the source's end. Two separate allocations
  // of one large size tend to lie a large power of two apart (glibc's heap once mmap is off, as tfbench's workers
  // run it), where the loads and stores of the copy contend for the same cache sets: on the project's 2-core VM
  // such a copy ran at 45-60% of its speed at other distances, which no weight-reading GEMV suffers.
  constexpr int64_t gap = 37 * 4096 + 5 * 64;
  const auto options = at::TensorOptions().dtype(at::kByte).device(device);
  at::Tensor buffer = at::empty({2 * bytes + gap}, options);
  advise_huge_pages(buffer);  // as a model's weights are (model.cc): the probe stands for reading them
  at::Tensor source = buffer.narrow(0, 0, bytes).fill_(1);  // written, so its pages are mapped
  at::Tensor target = buffer.narrow(0, bytes + gap, bytes);
  target.copy_(source);  // untimed: maps the target's pages, wakes the intra-op threads
  Timeline timeline(device, static_cast<size_t>(2 * repeats));
  for (int64_t i = 0; i < repeats; ++i) {
    timeline.mark();
    target.copy_(source);
    timeline.mark();
  }
  timeline.finish();
  std::vector<double> seconds;
  seconds.reserve(static_cast<size_t>(repeats));
  for (int64_t i = 0; i < repeats; ++i) seconds.push_back(timeline.seconds(2 * i, 2 * i + 1));
  std::sort(seconds.begin(), seconds.end());
  const size_t n = seconds.size();
  const double median = n % 2 == 1 ? seconds[n / 2] : (seconds[n / 2 - 1] + seconds[n / 2]) / 2.0;
  if (!(median > 0.0))
    throw Error("TORCH_ERROR", c10::str("copies of ", bytes, " bytes were too quick to time; give more bytes"));
  MemoryBandwidth r;
  r.device = device.str();
  r.bytes_per_second = 2.0 * static_cast<double>(bytes) / median;
  r.buffer_bytes = bytes;
  r.repeats = repeats;
  return r;
}

}  // namespace tfbench
