#include "measure/cpu_memory.h"

#include <ATen/ATen.h>
#include <c10/util/StringUtil.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <unistd.h>

#include "errors.h"

namespace tfbench {

CpuMemory read_cpu_memory() {
  // Plain read(2) into a stack buffer: no allocation, so reading does not move the figures it reads.
  char buf[8192];
  int fd = ::open("/proc/self/status", O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error("TORCH_ERROR", c10::str("cannot open /proc/self/status: ", std::strerror(errno)));
  ssize_t n = 0, got;
  while (n < static_cast<ssize_t>(sizeof(buf)) - 1 && (got = ::read(fd, buf + n, sizeof(buf) - 1 - n)) > 0) n += got;
  ::close(fd);
  buf[n > 0 ? n : 0] = '\0';
  auto kib = [&](const char* key) -> int64_t {
    const char* at = std::strstr(buf, key);
    if (at == nullptr) throw Error("TORCH_ERROR", c10::str("/proc/self/status has no ", key, " line"));
    long long value = 0;
    std::sscanf(at + std::strlen(key), " %lld", &value);
    return static_cast<int64_t>(value) * 1024;
  };
  CpuMemory m;
  m.rss_bytes = kib("VmRSS:");
  m.hwm_bytes = kib("VmHWM:");
  return m;
}

void release_free_heap() {
#ifdef __GLIBC__
  malloc_trim(0);
#endif
}

void reset_cpu_peak() {
  int fd = ::open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
  bool ok = fd >= 0 && ::write(fd, "5", 1) == 1;
  int err = errno;
  if (fd >= 0) ::close(fd);
  if (!ok)
    throw Error("TORCH_ERROR",
                c10::str("cannot reset the peak RSS (writing 5 to /proc/self/clear_refs failed: ", std::strerror(err),
                         "); measure with memory: false on this system"));
}

CpuMemoryPeak measure_cpu_peak(const std::function<void()>& call) {
  // Free heap pages kept by the allocator from earlier calls (other threads' arenas included) go back to
  // the OS first, so the peak is what the process holds plus what this call needs, as in a fresh process.
  release_free_heap();
  reset_cpu_peak();
  CpuMemoryPeak m;
  m.rss_before_bytes = read_cpu_memory().rss_bytes;
  call();
  m.rss_peak_bytes = read_cpu_memory().hwm_bytes;
  return m;
}

CpuMemoryPeak measure_allocation(int64_t bytes) {
  if (bytes < 0) throw_bad_input(c10::str("bytes must be >= 0, got ", bytes));
  return measure_cpu_peak([bytes] {
    at::Tensor buffer = at::empty({bytes}, at::TensorOptions().dtype(at::kByte));
    buffer.fill_(1);  // touch every page: untouched pages are not resident
  });
}

}  // namespace tfbench
