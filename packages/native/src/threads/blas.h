// Which BLAS library the process has loaded (libtorch's CPU matrix products go through it) and how it runs its
// threads, read from the library itself: the file name says little once Debian's alternatives pick one.
#pragma once

#include <optional>
#include <string>

namespace tfbench {

struct BlasInfo {
  std::string library;                 // resolved path of the loaded BLAS; empty when none is loaded
  std::string vendor;                  // "OpenBLAS", "MKL", "BLIS", "reference" or "" (unknown)
  std::string threading;               // "openmp", "pthreads", "serial" or "" (unknown)
  std::optional<int> threads;          // the threads it would use for one product, when it says
  std::string config;                  // OpenBLAS's build description (version, target, MAX_THREADS)
};

// Looks at the shared objects mapped now; cheap, so it can be called whenever the count may have changed.
BlasInfo loaded_blas();

}  // namespace tfbench
