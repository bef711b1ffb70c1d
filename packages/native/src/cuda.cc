#include "cuda.h"

#include <c10/util/StringUtil.h>

#include "errors.h"

#ifdef TFBENCH_WITH_CUDA

#include <ATen/cuda/CUDAGeneratorImpl.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAStream.h>
#include <cuda_runtime_api.h>
#include <torch/cuda.h>

#include <deque>

#include "measure/nvml.h"

namespace tfbench {

bool cuda_usable() { return torch::cuda::device_count() > 0; }

void require_cuda_build(const std::string&) {}

at::Generator cuda_generator(c10::DeviceIndex index, uint64_t seed) {
  at::Generator generator = at::cuda::detail::createCUDAGenerator(index);
  generator.set_current_seed(seed);
  return generator;
}

void synchronize(const c10::Device& device) {
  if (device.is_cuda()) c10::cuda::device_synchronize();
}

namespace {

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

}  // namespace

struct CudaEvents::Events {
  std::deque<TimingEvent> list;  // a deque: events are never moved once created
};

void CudaEvents::record() {
  events_->list.emplace_back();
  events_->list.back().record();
}

void CudaEvents::wait_for_last() const {
  if (!events_->list.empty()) events_->list.back().synchronize();
}

double CudaEvents::seconds(size_t from, size_t to) const {
  return static_cast<double>(events_->list[from].milliseconds_to(events_->list[to])) / 1000.0;
}

CudaAllocated cuda_allocated(c10::DeviceIndex index) {
  // allocated_bytes[0]: the aggregate over pool types (StatType::AGGREGATE is 0 in every release; the enum's
  // namespace moved in PyTorch 2.5).
  const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(index);
  return {stats.allocated_bytes[0].current, stats.allocated_bytes[0].peak};
}

void reset_cuda_peak(c10::DeviceIndex index) { c10::cuda::CUDACachingAllocator::resetPeakStats(index); }

CudaMemoryPeak measure_cuda_peak(const c10::Device& device, const std::function<void()>& call) {
  namespace alloc = c10::cuda::CUDACachingAllocator;
  const auto index = device.index() < 0 ? c10::cuda::current_device() : device.index();
  // allocated_bytes / reserved_bytes [0]: the aggregate over pool types (as in cuda_allocated).
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

CudaRuntime cuda_runtime() {
  CudaRuntime r;
  int version = 0;
  if (cudaRuntimeGetVersion(&version) == cudaSuccess) r.runtime_version = version;
  try {
    const auto& hooks = at::detail::getCUDAHooks();
    if (hooks.hasCuDNN()) r.cudnn_version = static_cast<int>(hooks.versionCuDNN());
  } catch (const std::exception&) {
    // a libtorch without cuDNN support: the version stays absent
  }
  const int count = static_cast<int>(c10::cuda::device_count());
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp prop{};
    if (cudaGetDeviceProperties(&prop, i) != cudaSuccess) continue;
    CudaDevice d;
    d.index = i;
    d.name = prop.name;
    d.total_memory_bytes = static_cast<int64_t>(prop.totalGlobalMem);
    d.compute_capability = std::to_string(prop.major) + "." + std::to_string(prop.minor);
    char bus_id[32] = {0};
    if (cudaDeviceGetPCIBusId(bus_id, sizeof(bus_id), i) == cudaSuccess) d.pci_bus_id = bus_id;
    r.devices.push_back(std::move(d));
  }
  return r;
}

}  // namespace tfbench

#else  // a CPU-only libtorch: no device to synchronise or measure

namespace tfbench {
namespace {
[[noreturn]] void no_cuda(const char* what) {
  throw_no_cuda(c10::str(what, " was asked of an addon built against a CPU-only libtorch"));
}
}  // namespace

bool cuda_usable() { return false; }

void require_cuda_build(const std::string& device) {
  throw_no_cuda(c10::str("device '", device, "' was asked but this addon was built against a CPU-only libtorch (",
                         TFBENCH_LIBTORCH_SOURCE,
                         "); rebuild it with LIBTORCH pointing at a CUDA libtorch, or use device 'cpu'"));
}

at::Generator cuda_generator(c10::DeviceIndex, uint64_t) { no_cuda("a CUDA generator"); }

void synchronize(const c10::Device&) {}

struct CudaEvents::Events {};

void CudaEvents::record() { no_cuda("a CUDA timing event"); }
void CudaEvents::wait_for_last() const { no_cuda("a CUDA timing event"); }
double CudaEvents::seconds(size_t, size_t) const { no_cuda("a CUDA timing event"); }

CudaAllocated cuda_allocated(c10::DeviceIndex) { no_cuda("CUDA memory"); }
void reset_cuda_peak(c10::DeviceIndex) { no_cuda("CUDA memory"); }
CudaMemoryPeak measure_cuda_peak(const c10::Device&, const std::function<void()>&) { no_cuda("CUDA memory"); }

CudaRuntime cuda_runtime() { return {}; }

}  // namespace tfbench

#endif

namespace tfbench {

CudaEvents::CudaEvents() : events_(std::make_unique<Events>()) {}
CudaEvents::~CudaEvents() = default;

}  // namespace tfbench
