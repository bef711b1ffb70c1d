// The Node-API side's shared pieces: reading option objects field by field, HostTensor <-> at::Tensor,
// translating C++ exceptions into JS Errors with a `code`, and running work off the JS thread.
#pragma once

#include <napi.h>

#include <ATen/ATen.h>

#include <functional>
#include <initializer_list>
#include <memory>
#include <string>

#include "measure/measure.h"

namespace tfbench {
namespace js {

// Reads the fields of an options object. Every problem throws tfbench::Error(code, "<what>.<field> ...").
class Fields {
 public:
  // `value` must be an object; with `optional`, undefined reads as an object with no fields.
  Fields(const Napi::Value& value, std::string what, std::string code, bool optional = false);

  bool has(const char* name) const;
  Napi::Value get(const char* name, const char* expected) const;  // required
  std::string one_of(const char* name, std::initializer_list<const char*> allowed) const;
  std::string string(const char* name) const;
  bool boolean(const char* name) const;
  bool boolean_or(const char* name, bool fallback) const;
  double number(const char* name, double min) const;   // finite, >= min
  int64_t integer(const char* name, int64_t min) const;  // a safe integer, >= min
  std::string path(const char* name) const { return what_ + "." + name; }
  [[noreturn]] void fail(const char* name, const std::string& message) const;

 private:
  Napi::Object object_;
  bool empty_ = false;
  std::string what_;
  std::string code_;
};

// "a number", "an array", ... for messages.
std::string type_name(const Napi::Value& value);

// HostTensor { dtype, shape, data } -> a CPU tensor holding a copy of the data. Throws BAD_INPUT naming `what`.
at::Tensor tensor_from_js(const Napi::Value& value, const std::string& what);
// A contiguous CPU tensor (float32, float16, bfloat16 or int64) -> HostTensor holding a copy.
Napi::Object tensor_to_js(Napi::Env env, const at::Tensor& tensor);

// CpuMemoryPeak -> { rssBeforeBytes, rssPeakBytes }.
Napi::Object cpu_memory_peak_to_js(Napi::Env env, const CpuMemoryPeak& peak);
// CudaMemoryPeak -> { allocatedBeforeBytes, peakAllocatedBytes, peakReservedBytes, deviceUsedBytes (or null),
// deviceUsedReason (or null) }.
Napi::Object cuda_memory_peak_to_js(Napi::Env env, const CudaMemoryPeak& peak);

struct ErrorInfo {
  std::string code;
  std::string message;
};
// Call inside a catch block: classifies the exception being handled (tfbench::Error keeps its code;
// out-of-memory -> OOM; other c10::Error / std::exception -> TORCH_ERROR), message without backtrace.
ErrorInfo current_exception_info();
Napi::Error to_js_error(Napi::Env env, const ErrorInfo& info);
// For synchronous entry points: runs `body`, rethrowing any C++ exception as a JS Error with a code.
Napi::Value guard_sync(Napi::Env env, const std::function<Napi::Value()>& body);

using Work = std::function<void()>;                  // runs on libuv's thread pool; may throw anything
using Done = std::function<Napi::Value(Napi::Env)>;  // runs on the JS thread once work succeeded
// Queues `work` and returns a promise that resolves with done(env) or rejects with a coded Error.
// `hold` is released on the JS thread before the promise settles (used for a model's busy flag).
Napi::Promise run_async(Napi::Env env, Work work, Done done, std::shared_ptr<void> hold = nullptr);
// A promise rejected with the exception being handled (call inside a catch block).
Napi::Promise rejected_promise(Napi::Env env);

// Intra-op threads: the count every worker applies to its own thread before its work (OpenMP's thread
// count is per calling thread, so setting it on the JS thread alone would not reach the workers).
// The default is libtorch's (OMP_NUM_THREADS when set), raised to the number of physical cores this process
// may use when libtorch detected fewer.
void set_thread_count(int threads);
int thread_count();

}  // namespace js
}  // namespace tfbench
