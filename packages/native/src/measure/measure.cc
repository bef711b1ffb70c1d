// Host timing and CPU memory (VmRSS / VmHWM), CUDA events and caching-allocator peaks, and the measurement
// loop of one cell.
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
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAStream.h>
#include <cuda_runtime_api.h>

#include <deque>

#include "measure/nvml.h"
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

#ifdef TFBENCH_WITH_CUDA
// A CUDA event with timing enabled, destroyed with its owner (plain runtime API: ATen's CUDAEvent would pull
// in cuBLAS/cuSPARSE headers for nothing).
class TimingEvent {
 public:
  TimingEvent() { C10_CUDA_CHECK(cudaEventCreateWithFlags(&event_, cudaEventDefault)); }
  ~TimingEvent() { cudaEventDestroy(event_); }
  TimingEvent(const TimingEvent&) = delete;
  TimingEvent& operator=(const TimingEvent&) = delete;
  void record() { C10_CUDA_CHECK(cudaEventRecord(event_, c10::cuda::getCurrentCUDAStream().stream())); }
  void synchronize() const { C10_CUDA_CHECK(cudaEventSynchronize(event_)); }
  // Milliseconds from this event to `later` (both recorded and complete).
  float milliseconds_to(const TimingEvent& later) const {
    float ms = 0.0f;
    C10_CUDA_CHECK(cudaEventElapsedTime(&ms, event_, later.event_));
    return ms;
  }

 private:
  cudaEvent_t event_ = nullptr;
};
#endif

// Time points of a block of calls: the host clock always; on CUDA also an event recorded on the current
// stream, read after one synchronisation at the end of the block (events measure the GPU's work without a
// host sync per call; the host times show launch overhead).
class Timeline {
 public:
  explicit Timeline(const c10::Device& device) : cuda_(device.is_cuda()) {}

  size_t mark() {
    host_.push_back(monotonic_seconds());
#ifdef TFBENCH_WITH_CUDA
    if (cuda_) {
      events_.emplace_back();
      events_.back().record();
    }
#endif
    return host_.size() - 1;
  }
  // Waits for the last marked event (CUDA); on CPU every call has finished when it returns.
  void finish() {
#ifdef TFBENCH_WITH_CUDA
    if (cuda_ && !events_.empty()) events_.back().synchronize();
#endif
  }
  // Seconds from mark a to mark b: GPU time on CUDA (after finish()), host time otherwise.
  double seconds(size_t a, size_t b) const {
#ifdef TFBENCH_WITH_CUDA
    if (cuda_) return static_cast<double>(events_[a].milliseconds_to(events_[b])) / 1000.0;
#endif
    return host_seconds(a, b);
  }
  double host_seconds(size_t a, size_t b) const { return host_[b] - host_[a]; }

 private:
  bool cuda_;
  std::vector<double> host_;
#ifdef TFBENCH_WITH_CUDA
  std::deque<TimingEvent> events_;  // a deque: events are never moved once created
#endif
};

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
    throw_bad_input(
        "training needs a model with an LM head (head 'masked-lm', 'causal-lm' or 'seq2seq-lm'); this model has none");
}

// One call: marks its phase boundaries (training: after forward + loss, after backward) on the timeline;
// the loop marks its start and end.
using Call = std::function<void(Timeline&)>;

// Blocks of calls on CUDA aim at this much GPU time between synchronisations.
constexpr double kCudaBlockSeconds = 0.25;
constexpr int64_t kCudaMaxBlock = 64;

// The loop shared by inference and training: `prepare` runs untimed before every call, `call` is timed.
MeasureResult measure_loop(const MeasureOptions& o, const c10::Device& device, const std::function<void()>& prepare,
                           const Call& call, int phase_marks) {
  MeasureResult r;
  // `n` calls; each call's seconds (and its phases', when it marks them) are appended when `keep`.
  auto block = [&](int64_t n, bool keep) {
    Timeline timeline(device);
    std::vector<size_t> starts;
    starts.reserve(n);
    for (int64_t i = 0; i < n; ++i) {
      prepare();
      starts.push_back(timeline.mark());
      call(timeline);
      timeline.mark();
    }
    timeline.finish();
    for (size_t start : starts) {
      const size_t end = start + 1 + phase_marks;
      const double t = timeline.seconds(start, end);
      if (!keep) {
        r.warmup_seconds.push_back(t);
        continue;
      }
      r.samples_seconds.push_back(t);
      if (device.is_cuda()) r.host_seconds.push_back(timeline.host_seconds(start, end));
      if (phase_marks == 2) {
        r.forward_seconds.push_back(timeline.seconds(start, start + 1));
        r.backward_seconds.push_back(timeline.seconds(start + 1, start + 2));
        if (o.optimizer_step) r.optimizer_seconds.push_back(timeline.seconds(start + 2, end));
      }
    }
  };
  // Warm-up: `warmup` calls, then more while the last one was over 10% faster than the one before it, up to
  // twice as many again. One-time costs (first-touch page faults, lazily built kernels and caches) only make
  // early calls slower, so a call that is not clearly faster than its predecessor ends the warm-up; a call
  // that is slower is the machine's noise, and waiting for two calls to agree would chase that noise (on a
  // noisy VM it added up to 4 calls, 31 s at bert-base training seq 128).
  for (int64_t i = 0; i < o.warmup; ++i) block(1, false);
  auto settled = [&] {
    const size_t n = r.warmup_seconds.size();
    if (n < 2) return true;
    const double before = r.warmup_seconds[n - 2], last = r.warmup_seconds[n - 1];
    return before - last <= 0.1 * last;
  };
  for (int64_t extra = 0; extra < 2 * o.warmup && !settled(); ++extra) block(1, false);
  if (o.memory) {
    prepare();
    synchronize(device);
    Timeline unused(device);
    const auto measured = [&] {
      call(unused);
      synchronize(device);
    };
    if (device.is_cuda()) {
      r.cuda_memory = measure_cuda_peak(device, measured);
    } else {
      r.memory = measure_cpu_peak(measured);
    }
  }
  if (o.speed) {
    // CPU: one call per block (nothing to synchronise). CUDA: as many calls as fill kCudaBlockSeconds by the
    // warm-up's last call, one synchronisation each block.
    int64_t per_block = 1;
    if (device.is_cuda() && !r.warmup_seconds.empty()) {
      const double last = std::max(r.warmup_seconds.back(), 1e-6);
      per_block = std::clamp<int64_t>(static_cast<int64_t>(kCudaBlockSeconds / last), 1, kCudaMaxBlock);
    }
    double total = 0.0;
    while (!(static_cast<int64_t>(r.samples_seconds.size()) >= o.min_samples &&
             (total >= o.min_time_s || total >= o.max_time_s))) {
      const size_t before = r.samples_seconds.size();
      const int64_t missing = o.min_samples - static_cast<int64_t>(before);
      block(missing > 0 ? std::min(per_block, missing) : per_block, true);
      for (size_t i = before; i < r.samples_seconds.size(); ++i) total += r.samples_seconds[i];
    }
  }
  return r;
}

}  // namespace

#ifdef TFBENCH_WITH_CUDA
CudaMemoryPeak measure_cuda_peak(const c10::Device& device, const std::function<void()>& call) {
  namespace alloc = c10::cuda::CUDACachingAllocator;
  const auto index = device.index() < 0 ? c10::cuda::current_device() : device.index();
  // allocated_bytes / reserved_bytes [0]: the aggregate over pool types (StatType::AGGREGATE is 0 in every
  // release; the enum's namespace moved in PyTorch 2.5).
  c10::cuda::device_synchronize();
  alloc::resetPeakStats(index);
  CudaMemoryPeak m;
  m.allocated_before_bytes = alloc::getDeviceStats(index).allocated_bytes[0].current;
  call();  // synchronises before returning
  const auto stats = alloc::getDeviceStats(index);
  m.peak_allocated_bytes = stats.allocated_bytes[0].peak;
  m.peak_reserved_bytes = stats.reserved_bytes[0].peak;
  char bus_id[32] = {0};
  if (cudaDeviceGetPCIBusId(bus_id, sizeof(bus_id), index) == cudaSuccess) {
    NvmlMemory used = nvml_memory_used(bus_id);
    m.device_used_bytes = used.used_bytes;
    m.device_used_reason = used.reason;
  } else {
    m.device_used_reason = "cudaDeviceGetPCIBusId failed: the device cannot be matched to an NVML device";
  }
  return m;
}
#else
CudaMemoryPeak measure_cuda_peak(const c10::Device&, const std::function<void()>&) {
  throw_no_cuda("CUDA memory was asked of an addon built against a CPU-only libtorch");
}
#endif

namespace {

// Time and memory of each module of one call: every mark synchronises the device, closes the running module
// and starts the next with a fresh peak (CPU: VmHWM reset; CUDA: the allocator's peak stats reset).
class ModuleMeter {
 public:
  // Free heap pages go back to the OS first (as before the memory call), so each module's increase is what
  // it touches anew, not hidden by pages earlier calls left mapped.
  explicit ModuleMeter(const c10::Device& device) : device_(device) {
    release_free_heap();
    start();
  }

  void mark(const std::string& module) {
    synchronize(device_);
    ModuleCost cost;
    cost.module = module;
    cost.seconds = monotonic_seconds() - started_;
    cost.before_bytes = before_;
    cost.peak_bytes = peak_bytes();
    costs_.push_back(std::move(cost));
    start();
  }
  std::vector<ModuleCost> take() { return std::move(costs_); }

 private:
  void start() {
#ifdef TFBENCH_WITH_CUDA
    if (device_.is_cuda()) {
      c10::cuda::CUDACachingAllocator::resetPeakStats(device_.index());
      before_ = c10::cuda::CUDACachingAllocator::getDeviceStats(device_.index()).allocated_bytes[0].current;
      started_ = monotonic_seconds();
      return;
    }
#endif
    reset_cpu_peak();
    before_ = read_cpu_memory().rss_bytes;
    started_ = monotonic_seconds();
  }
  int64_t peak_bytes() const {
#ifdef TFBENCH_WITH_CUDA
    if (device_.is_cuda()) return c10::cuda::CUDACachingAllocator::getDeviceStats(device_.index()).allocated_bytes[0].peak;
#endif
    return read_cpu_memory().hwm_bytes;
  }

  c10::Device device_;
  double started_ = 0.0;
  int64_t before_ = 0;
  std::vector<ModuleCost> costs_;
};

// Unsets the model's probe however the breakdown call ends.
struct ClearProbe {
  Model& model;
  ~ClearProbe() { model.set_probe(nullptr); }
};

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
  ClearProbe clear_probe{model};
  model.zero_grad();
  if (!o.training) {
    c10::InferenceMode inference;  // thread-local: this runs on the worker thread that does the calls
    model.train(false);
    MeasureResult r = measure_loop(o, device, [] {}, [&](Timeline&) { model.forward(inputs); }, /*phase_marks=*/0);
    if (o.breakdown) {
      synchronize(device);
      ModuleMeter meter(device);
      model.set_probe([&](const std::string& module) { meter.mark(module); });
      model.forward(inputs);
      r.breakdown = meter.take();
    }
    return r;
  }
  c10::AutoGradMode grad_mode(true);
  model.train(true);
  torch::optim::Optimizer* optimizer = o.optimizer_step ? &model.optimizer() : nullptr;
  MeasureResult r = measure_loop(
      o, device, [&] { model.zero_grad(); },
      [&](Timeline& timeline) {
        at::Tensor loss = model.loss(model.forward(inputs), inputs.input_ids);
        timeline.mark();  // forward (with the loss) ends
        loss.backward();
        timeline.mark();  // backward ends
        if (optimizer != nullptr) optimizer->step();
      },
      /*phase_marks=*/2);
  if (o.breakdown) {  // the forward pass module by module, then the loss, backward and optimizer phases
    model.zero_grad();
    synchronize(device);
    ModuleMeter meter(device);
    model.set_probe([&](const std::string& module) { meter.mark(module); });
    at::Tensor loss = model.loss(model.forward(inputs), inputs.input_ids);
    model.set_probe(nullptr);
    meter.mark("loss");
    loss.backward();
    meter.mark("backward");
    if (optimizer != nullptr) {
      optimizer->step();
      meter.mark("optimizer");
    }
    r.breakdown = meter.take();
  }
  return r;
}

}  // namespace tfbench
