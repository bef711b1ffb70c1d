// tfbench_native: the whole native API on one screen (typed in lib/types.ts as `Binding`).
//
//   versions()                  -> { addon, libtorch, libtorchSource, cuda, parallelInfo, parallelForThreads }
//                                  parallelForThreads: the threads one of the addon's own at::parallel_for regions
//                                  reaches on the calling thread (a self-check of the build: see CMakeLists.txt)
//   getThreads()                -> intra-op thread count the workers use (default: physical cores)
//   setThreads(n)               -> sets it (at::set_num_threads, applied on the compute thread)
//   blasInfo()                  -> { library, vendor, threading, threads, config }: the BLAS loaded and how it
//                                  runs its threads (src/threads/blas.h)
//   cudaDeviceCount()           -> torch::cuda::device_count() (0 with a CPU-only libtorch)
//   gpuInfo()                   -> { cudaRuntimeVersion, cudnnVersion, cudaDevices, nvml }: the GPU fields of
//                                  the environment block (src/cuda.h, src/measure/nvml.h)
//   buildModel(spec, options)   -> Promise<Model>  (src/napi/model_wrap.cc: parameters, parameterCount,
//                                                   loadWeights, run, runCalls, measureMemory, measureBreakdown,
//                                                   generate, runGenerateCalls, measureGenerateMemory)
//   measureAllocation(bytes)    -> Promise<{ rssBeforeBytes, rssPeakBytes }>: the CPU peak-memory measurement
//                                  applied to a call that allocates and touches `bytes` (a self-check)
//   measureMemoryBandwidth({ device, bytes?, repeats? })
//                               -> Promise<{ device, bytesPerSecond, bufferBytes, repeats }>: one buffer copied
//                                  into another on the device (src/measure/bandwidth.h)
#include <napi.h>

#include <ATen/Parallel.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include <algorithm>
#include <atomic>
#include <vector>

#include "errors.h"
#include "measure/bandwidth.h"
#include "measure/cpu_memory.h"
#include "cuda.h"
#include "measure/nvml.h"
#include "models/model.h"
#include "napi/compute_thread.h"
#include "napi/fields.h"
#include "napi/js_error.h"
#include "napi/measurement.h"
#include "napi/model_wrap.h"
#include "napi/spec_reader.h"
#include "threads/blas.h"

#ifndef TFBENCH_LIBTORCH_SOURCE
#define TFBENCH_LIBTORCH_SOURCE "unknown"
#endif

namespace tfbench {
namespace {

constexpr const char* kAddonVersion = "0.1.0";

// How many distinct intra-op threads run the chunks of an at::parallel_for in this object code. It equals
// at::get_num_threads() when the addon was compiled with its libtorch's OpenMP flag, and is 1 when not.
int parallel_for_threads() {
  const int threads = std::max(1, at::get_num_threads());
  std::vector<std::atomic<int>> seen(static_cast<size_t>(threads));
  at::parallel_for(0, 64 * threads, 1, [&](int64_t, int64_t) {
    const int id = at::get_thread_num();
    if (id >= 0 && id < threads) seen[static_cast<size_t>(id)].store(1);
  });
  int reached = 0;
  for (const auto& s : seen) reached += s.load();
  return reached;
}

Napi::Value Versions(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return js::guard_sync(env, [&]() -> Napi::Value {
    Napi::Object v = Napi::Object::New(env);
    v.Set("addon", kAddonVersion);
    v.Set("libtorch", TORCH_VERSION);
    v.Set("libtorchSource", TFBENCH_LIBTORCH_SOURCE);
    v.Set("cuda", cuda_usable());
    v.Set("parallelInfo", at::get_parallel_info());
    v.Set("parallelForThreads", parallel_for_threads());
    return v;
  });
}

Napi::Value GetThreads(const Napi::CallbackInfo& info) {
  return js::guard_sync(info.Env(), [&]() -> Napi::Value { return Napi::Number::New(info.Env(), js::thread_count()); });
}

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return js::guard_sync(env, [&]() -> Napi::Value {
    double n = info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : 0.0;
    if (!(n >= 1.0 && n <= 4096.0) || static_cast<double>(static_cast<int>(n)) != n)
      throw_bad_input(c10::str("setThreads: threads must be an integer >= 1, got ", js::type_name(info[0])));
    js::set_thread_count(static_cast<int>(n));
    return env.Undefined();
  });
}

Napi::Value BlasInfoValue(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return js::guard_sync(env, [&]() -> Napi::Value {
    const BlasInfo blas = loaded_blas();
    auto text = [&](const std::string& s) -> Napi::Value { return s.empty() ? env.Null() : Napi::String::New(env, s); };
    Napi::Object out = Napi::Object::New(env);
    out.Set("library", text(blas.library));
    out.Set("vendor", text(blas.vendor));
    out.Set("threading", text(blas.threading));
    out.Set("threads", blas.threads ? Napi::Value(Napi::Number::New(env, *blas.threads)) : env.Null());
    out.Set("config", text(blas.config));
    return out;
  });
}

Napi::Value CudaDeviceCount(const Napi::CallbackInfo& info) {
  return js::guard_sync(info.Env(), [&]() -> Napi::Value {
    return Napi::Number::New(info.Env(), static_cast<double>(torch::cuda::device_count()));
  });
}

Napi::Value GpuInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return js::guard_sync(env, [&]() -> Napi::Value {
    const auto optional = [&](const auto& value) -> Napi::Value {
      return value ? Napi::Number::New(env, static_cast<double>(*value)).As<Napi::Value>() : env.Null();
    };
    const CudaRuntime cuda = cuda_runtime();
    Napi::Object out = Napi::Object::New(env);
    out.Set("cudaRuntimeVersion", optional(cuda.runtime_version));
    out.Set("cudnnVersion", optional(cuda.cudnn_version));
    Napi::Array devices = Napi::Array::New(env, cuda.devices.size());
    for (size_t i = 0; i < cuda.devices.size(); ++i) {
      const CudaDevice& d = cuda.devices[i];
      Napi::Object o = Napi::Object::New(env);
      o.Set("index", d.index);
      o.Set("name", d.name);
      o.Set("totalMemoryBytes", static_cast<double>(d.total_memory_bytes));
      o.Set("pciBusId", d.pci_bus_id);
      o.Set("computeCapability", d.compute_capability);
      devices.Set(static_cast<uint32_t>(i), o);
    }
    out.Set("cudaDevices", devices);

    const NvmlSystem nvml = nvml_system();
    Napi::Object n = Napi::Object::New(env);
    n.Set("reason", nvml.reason.empty() ? env.Null() : Napi::String::New(env, nvml.reason));
    n.Set("driverVersion", nvml.driver_version.empty() ? env.Null() : Napi::String::New(env, nvml.driver_version));
    n.Set("cudaDriverVersion", optional(nvml.cuda_driver_version));
    Napi::Array nvmlDevices = Napi::Array::New(env, nvml.devices.size());
    for (size_t i = 0; i < nvml.devices.size(); ++i) {
      const NvmlDevice& d = nvml.devices[i];
      Napi::Object o = Napi::Object::New(env);
      o.Set("pciBusId", d.pci_bus_id);
      o.Set("name", d.name);
      o.Set("memoryTotalBytes", optional(d.memory_total_bytes));
      o.Set("powerLimitWatts", optional(d.power_limit_watts));
      o.Set("performanceState", optional(d.performance_state));
      o.Set("smClockMHz", optional(d.sm_clock_mhz));
      o.Set("smClockMaxMHz", optional(d.sm_clock_max_mhz));
      o.Set("memoryClockMHz", optional(d.memory_clock_mhz));
      o.Set("memoryClockMaxMHz", optional(d.memory_clock_max_mhz));
      nvmlDevices.Set(static_cast<uint32_t>(i), o);
    }
    n.Set("devices", nvmlDevices);
    out.Set("nvml", n);
    return out;
  });
}

Napi::Value BuildModel(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  try {
    if (!info[0].IsObject()) throw_bad_spec(c10::str("spec must be an object, got ", js::type_name(info[0])));
    ModelBuilder builder = js::model_builder_from_js(info[0].As<Napi::Object>());
    js::Fields f(info[1], "options", "BAD_INPUT");
    std::string device = f.string("device");
    const std::string dtype = f.one_of("dtype", {"float32", "float16", "bfloat16"});
    BuildOptions options;
    options.dtype = dtype == "float32" ? at::kFloat : dtype == "float16" ? at::kHalf : at::kBFloat16;
    options.seed = static_cast<uint64_t>(f.integer("seed", 0));
    auto model = std::make_shared<std::shared_ptr<Model>>();
    return js::run_async(
        env,
        [builder, options, device, model]() mutable {
          options.device = parse_device(device);
          *model = build_model(builder, options);
        },
        [model](Napi::Env env) -> Napi::Value { return js::wrap_model(env, *model); });
  } catch (...) {
    return js::rejected_promise(env);
  }
}

Napi::Value MeasureAllocation(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  try {
    if (!info[0].IsNumber()) throw_bad_input(c10::str("measureAllocation: bytes must be a number, got ", js::type_name(info[0])));
    const auto bytes = static_cast<int64_t>(info[0].As<Napi::Number>().DoubleValue());
    auto peak = std::make_shared<CpuMemoryPeak>();
    return js::run_async(
        env, [bytes, peak] { *peak = measure_allocation(bytes); },
        [peak](Napi::Env env) -> Napi::Value { return js::cpu_memory_peak_to_js(env, *peak); });
  } catch (...) {
    return js::rejected_promise(env);
  }
}

Napi::Value MeasureMemoryBandwidth(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  try {
    js::Fields f(info[0], "options", "BAD_INPUT");
    const std::string device = f.string("device");
    const int64_t bytes = f.has("bytes") ? f.integer("bytes", 1) : int64_t{256} << 20;  // 256 MiB
    const int64_t repeats = f.has("repeats") ? f.integer("repeats", 1) : 9;
    auto bandwidth = std::make_shared<MemoryBandwidth>();
    return js::run_async(
        env,
        [device, bytes, repeats, bandwidth] {
          *bandwidth = measure_memory_bandwidth(parse_device(device), bytes, repeats);
        },
        [bandwidth](Napi::Env env) -> Napi::Value { return js::memory_bandwidth_to_js(env, *bandwidth); });
  } catch (...) {
    return js::rejected_promise(env);
  }
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("versions", Napi::Function::New<Versions>(env, "versions"));
  exports.Set("getThreads", Napi::Function::New<GetThreads>(env, "getThreads"));
  exports.Set("setThreads", Napi::Function::New<SetThreads>(env, "setThreads"));
  exports.Set("blasInfo", Napi::Function::New<BlasInfoValue>(env, "blasInfo"));
  exports.Set("cudaDeviceCount", Napi::Function::New<CudaDeviceCount>(env, "cudaDeviceCount"));
  exports.Set("gpuInfo", Napi::Function::New<GpuInfo>(env, "gpuInfo"));
  exports.Set("buildModel", Napi::Function::New<BuildModel>(env, "buildModel"));
  exports.Set("measureAllocation", Napi::Function::New<MeasureAllocation>(env, "measureAllocation"));
  exports.Set("measureMemoryBandwidth", Napi::Function::New<MeasureMemoryBandwidth>(env, "measureMemoryBandwidth"));
  js::define_model_class(env);
  js::thread_count();  // choose the default thread count before any worker runs
  return exports;
}

}  // namespace
}  // namespace tfbench

static Napi::Object InitTfbench(Napi::Env env, Napi::Object exports) { return tfbench::Init(env, exports); }

NODE_API_MODULE(tfbench_native, InitTfbench)
