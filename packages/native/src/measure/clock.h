// The host clock every measurement reads.
#pragma once

#include <chrono>

namespace tfbench {

// Seconds on the host's monotonic clock (std::chrono::steady_clock).
inline double monotonic_seconds() {
  using clock = std::chrono::steady_clock;
  return std::chrono::duration<double>(clock::now().time_since_epoch()).count();
}

}  // namespace tfbench
