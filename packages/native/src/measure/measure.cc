// Host timing and CPU memory (VmRSS / VmHWM), and the measurement loop of one cell.
#include "measure/measure.h"

#include <ATen/CPUGeneratorImpl.h>
#include <c10/core/GradMode.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <functional>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <optional>
#include <unistd.h>

#include <torch/optim/optimizer.h>

#include "errors.h"

#ifdef TFBENCH_WITH_CUDA
#include <c10/cuda/CUDAFunctions.h>
#endif

namespace tfbench {

double monotonic_seconds() {
  using clock = std::chrono::steady_clock;
  return std::chrono::duration<double>(clock::now().time_since_epoch()).count();
}

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

namespace {

void synchronize(const c10::Device& device) {
#ifdef TFBENCH_WITH_CUDA
  if (device.is_cuda()) c10::cuda::device_synchronize();
#endif
}

struct RestoreEval {
  Model& model;
  ~RestoreEval() {
    model.zero_grad();
    model.train(false);
  }
};

void check_options(const Model& model, const MeasureOptions& o) {
  if (o.batch_size < 1) throw_bad_input(c10::str("batchSize must be >= 1, got ", o.batch_size));
  if (o.sequence_length < 1) throw_bad_input(c10::str("sequenceLength must be >= 1, got ", o.sequence_length));
  if (o.sequence_length > model.max_sequence_length())
    throw_bad_input(c10::str("sequenceLength ", o.sequence_length, " exceeds this model's max_position_embeddings (",
                             model.max_sequence_length(), ")"));
  if (o.training && !model.has_loss())
    throw_bad_input("training needs a model with an LM head (head 'masked-lm', 'causal-lm' or 'seq2seq-lm'); this model has none");
}

// Durations of one training call's phases, written by the call, kept by the loop for timed calls only.
struct Phases {
  double forward = 0.0, backward = 0.0, optimizer = 0.0;
};

// The loop shared by inference and training: `prepare` runs untimed before every call, `call` is timed.
MeasureResult measure_loop(const MeasureOptions& o, const c10::Device& device, const std::function<void()>& prepare,
                           const std::function<void()>& call, const Phases* phases) {
  MeasureResult r;
  auto timed = [&] {
    prepare();
    synchronize(device);
    const double t0 = monotonic_seconds();
    call();
    synchronize(device);
    return monotonic_seconds() - t0;
  };
  // Warm-up: `warmup` calls, then more while the last two still differ by over 10% (first-touch page
  // faults, lazily built kernels and caches settle over a few calls), up to twice as many again.
  for (int64_t i = 0; i < o.warmup; ++i) r.warmup_seconds.push_back(timed());
  auto settled = [&] {
    const size_t n = r.warmup_seconds.size();
    if (n < 2) return true;
    const double a = r.warmup_seconds[n - 2], b = r.warmup_seconds[n - 1];
    return std::abs(b - a) <= 0.1 * std::min(a, b);
  };
  for (int64_t extra = 0; extra < 2 * o.warmup && !settled(); ++extra) r.warmup_seconds.push_back(timed());
  if (o.memory) {
    prepare();
    synchronize(device);
    r.memory = measure_cpu_peak([&] {
      call();
      synchronize(device);
    });
  }
  if (o.speed) {
    double total = 0.0;
    while (!(static_cast<int64_t>(r.samples_seconds.size()) >= o.min_samples &&
             (total >= o.min_time_s || total >= o.max_time_s))) {
      const double t = timed();
      r.samples_seconds.push_back(t);
      total += t;
      if (phases != nullptr) {
        r.forward_seconds.push_back(phases->forward);
        r.backward_seconds.push_back(phases->backward);
        if (o.optimizer_step) r.optimizer_seconds.push_back(phases->optimizer);
      }
    }
  }
  return r;
}

}  // namespace

MeasureResult measure(Model& model, const MeasureOptions& o) {
  check_options(model, o);
  const c10::Device device = model.options().device;
  // Random input_ids in [0, vocab_size), made before anything is timed.
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(o.seed);
  at::Tensor ids = at::randint(0, model.vocab_size(), {o.batch_size, o.sequence_length}, gen,
                               at::TensorOptions().dtype(at::kLong));
  ModelInputs inputs;
  inputs.input_ids = ids.to(device);

  RestoreEval restore{model};
  model.zero_grad();
  if (!o.training) {
    c10::InferenceMode inference;  // thread-local: this runs on the worker thread that does the calls
    model.train(false);
    return measure_loop(o, device, [] {}, [&] { model.forward(inputs); }, nullptr);
  }
  c10::AutoGradMode grad_mode(true);
  model.train(true);
  torch::optim::Optimizer* optimizer = o.optimizer_step ? &model.optimizer() : nullptr;
  Phases phases;
  return measure_loop(
      o, device, [&] { model.zero_grad(); },
      [&] {
        const double t0 = monotonic_seconds();
        at::Tensor loss = model.loss(model.forward(inputs), inputs.input_ids);
        synchronize(device);
        const double t1 = monotonic_seconds();
        loss.backward();
        synchronize(device);
        const double t2 = monotonic_seconds();
        if (optimizer != nullptr) {
          optimizer->step();
          synchronize(device);
        }
        phases = {t1 - t0, t2 - t1, monotonic_seconds() - t2};
      },
      &phases);
}

}  // namespace tfbench
