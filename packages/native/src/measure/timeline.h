// Time points of a run of timed work (a block of calls, one generate call's tokens): the host clock always; on
// CUDA also an event recorded on the current stream, read after one synchronisation at the end (events measure
// the GPU's work without a host synchronisation per point; the host times show launch overhead).
#pragma once

#include <c10/core/Device.h>

#include <cstddef>
#include <vector>

#include "cuda.h"
#include "measure/clock.h"

namespace tfbench {

class Timeline {
 public:
  explicit Timeline(const c10::Device& device, size_t expected_marks = 0) : cuda_(device.is_cuda()) {
    host_.reserve(expected_marks);
  }

  size_t mark() {
    host_.push_back(monotonic_seconds());
    if (cuda_) events_.record();
    return host_.size() - 1;
  }
  size_t marks() const { return host_.size(); }
  // Waits for the last marked event (CUDA); on CPU every call has finished when it returns.
  void finish() {
    if (cuda_ && !host_.empty()) events_.wait_for_last();
  }
  // Seconds from mark a to mark b: GPU time on CUDA (after finish()), host time otherwise.
  double seconds(size_t a, size_t b) const { return cuda_ ? events_.seconds(a, b) : host_seconds(a, b); }
  double host_seconds(size_t a, size_t b) const { return host_[b] - host_[a]; }

 private:
  bool cuda_;
  std::vector<double> host_;
  CudaEvents events_;
};

}  // namespace tfbench
