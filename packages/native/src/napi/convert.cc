#include "napi/convert.h"

#include <ATen/Parallel.h>
#include <c10/util/Exception.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <functional>
#include <future>
#include <mutex>
#include <new>
#include <set>
#include <thread>
#include <utility>

#ifdef __linux__
#include <sched.h>
#endif

#include "errors.h"

namespace tfbench {
namespace js {

// ---- option objects ---------------------------------------------------------------------------------------

std::string type_name(const Napi::Value& v) {
  switch (v.Type()) {
    case napi_undefined: return "undefined";
    case napi_null: return "null";
    case napi_boolean: return "a boolean";
    case napi_number: return "a number";
    case napi_string: return "a string";
    case napi_bigint: return "a bigint";
    case napi_object:
      if (v.IsArray()) return "an array";
      if (v.IsTypedArray()) return "a typed array";
      return "an object";
    default: return "a value of another type";
  }
}

Fields::Fields(const Napi::Value& value, std::string what, std::string code, bool optional)
    : what_(std::move(what)), code_(std::move(code)) {
  if (optional && value.IsUndefined()) {
    empty_ = true;
    return;
  }
  if (!value.IsObject() || value.IsArray())
    throw Error(code_, c10::str(what_, " must be an object, got ", type_name(value)));
  object_ = value.As<Napi::Object>();
}

void Fields::fail(const char* name, const std::string& message) const {
  throw Error(code_, c10::str(path(name), " ", message));
}

bool Fields::has(const char* name) const {
  return !empty_ && object_.Has(name) && !object_.Get(name).IsUndefined();
}

Napi::Value Fields::get(const char* name, const char* expected) const {
  if (!has(name)) fail(name, c10::str("is missing (expected ", expected, ")"));
  return object_.Get(name);
}

std::string Fields::one_of(const char* name, std::initializer_list<const char*> allowed) const {
  std::string expected = "one of";
  const char* sep = " ";
  for (const char* a : allowed) {
    expected += c10::str(sep, "'", a, "'");
    sep = ", ";
  }
  Napi::Value v = get(name, expected.c_str());
  if (!v.IsString()) fail(name, c10::str("must be ", expected, ", got ", type_name(v)));
  std::string s = v.As<Napi::String>().Utf8Value();
  for (const char* a : allowed) {
    if (s == a) return s;
  }
  fail(name, c10::str("must be ", expected, ", got '", s, "'"));
}

std::string Fields::string(const char* name) const {
  Napi::Value v = get(name, "a string");
  if (!v.IsString()) fail(name, c10::str("must be a string, got ", type_name(v)));
  return v.As<Napi::String>().Utf8Value();
}

bool Fields::boolean(const char* name) const {
  Napi::Value v = get(name, "a boolean");
  if (!v.IsBoolean()) fail(name, c10::str("must be a boolean, got ", type_name(v)));
  return v.As<Napi::Boolean>().Value();
}

bool Fields::boolean_or(const char* name, bool fallback) const {
  return has(name) ? boolean(name) : fallback;
}

double Fields::number(const char* name, double min) const {
  Napi::Value v = get(name, "a number");
  if (!v.IsNumber()) fail(name, c10::str("must be a number, got ", type_name(v)));
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d)) fail(name, c10::str("must be a finite number, got ", d));
  if (d < min) fail(name, c10::str("must be >= ", min, ", got ", d));
  return d;
}

int64_t Fields::integer(const char* name, int64_t min) const {
  Napi::Value v = get(name, "an integer");
  if (!v.IsNumber()) fail(name, c10::str("must be an integer, got ", type_name(v)));
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::trunc(d) != d || std::fabs(d) > 9007199254740991.0)
    fail(name, c10::str("must be an integer, got ", d));
  auto i = static_cast<int64_t>(d);
  if (i < min) fail(name, c10::str("must be >= ", min, ", got ", i));
  return i;
}

// ---- tensors ------------------------------------------------------------------------------------------------

at::Tensor tensor_from_js(const Napi::Value& value, const std::string& what) {
  Fields f(value, what, "BAD_INPUT");
  const std::string dtype = f.one_of("dtype", {"float32", "float16", "bfloat16", "int64"});
  Napi::Value shape_value = f.get("shape", "an array of integers");
  if (!shape_value.IsArray()) f.fail("shape", c10::str("must be an array of integers, got ", type_name(shape_value)));
  auto shape_array = shape_value.As<Napi::Array>();
  std::vector<int64_t> shape;
  int64_t numel = 1;
  for (uint32_t i = 0; i < shape_array.Length(); ++i) {
    Napi::Value d = shape_array.Get(i);
    double x = d.IsNumber() ? d.As<Napi::Number>().DoubleValue() : -1.0;
    if (!(x >= 0.0) || std::trunc(x) != x || x > 9007199254740991.0)
      f.fail("shape", c10::str("must hold non-negative integers; item ", i, " is not one"));
    shape.push_back(static_cast<int64_t>(x));
    numel *= shape.back();
  }

  Napi::Value data = f.get("data", "a typed array");
  napi_typedarray_type want;
  c10::ScalarType scalar;
  const char* array_name;
  if (dtype == "float32") {
    want = napi_float32_array, scalar = at::kFloat, array_name = "Float32Array";
  } else if (dtype == "int64") {
    want = napi_bigint64_array, scalar = at::kLong, array_name = "BigInt64Array";
  } else {
    want = napi_uint16_array, array_name = "Uint16Array";
    scalar = dtype == "float16" ? at::kHalf : at::kBFloat16;
  }
  if (!data.IsTypedArray() || data.As<Napi::TypedArray>().TypedArrayType() != want)
    f.fail("data", c10::str("must be a ", array_name, " for dtype '", dtype, "', got ", type_name(data)));
  auto typed = data.As<Napi::TypedArray>();
  if (static_cast<int64_t>(typed.ElementLength()) != numel)
    f.fail("data", c10::str("has ", typed.ElementLength(), " elements but shape ", at::IntArrayRef(shape), " needs ",
                            numel));
  at::Tensor t = at::empty(shape, at::TensorOptions().dtype(scalar));
  if (numel > 0) {
    const auto* src = static_cast<const uint8_t*>(typed.ArrayBuffer().Data()) + typed.ByteOffset();
    std::memcpy(t.data_ptr(), src, typed.ByteLength());
  }
  return t;
}

Napi::Object tensor_to_js(Napi::Env env, const at::Tensor& tensor) {
  TORCH_INTERNAL_ASSERT(tensor.device().is_cpu() && tensor.is_contiguous(), "tensor_to_js needs a contiguous CPU tensor");
  const auto n = static_cast<size_t>(tensor.numel());
  Napi::Object out = Napi::Object::New(env);
  Napi::TypedArray data;
  const char* dtype;
  switch (tensor.scalar_type()) {
    case at::kFloat: data = Napi::Float32Array::New(env, n), dtype = "float32"; break;
    case at::kLong: data = Napi::BigInt64Array::New(env, n), dtype = "int64"; break;
    case at::kHalf: data = Napi::Uint16Array::New(env, n), dtype = "float16"; break;
    case at::kBFloat16: data = Napi::Uint16Array::New(env, n), dtype = "bfloat16"; break;
    default: TORCH_CHECK(false, "tensor_to_js: unsupported dtype ", tensor.scalar_type());
  }
  if (n > 0) {
    std::memcpy(static_cast<uint8_t*>(data.ArrayBuffer().Data()) + data.ByteOffset(), tensor.data_ptr(),
                n * tensor.element_size());
  }
  Napi::Array shape = Napi::Array::New(env, tensor.dim());
  for (int64_t i = 0; i < tensor.dim(); ++i) shape.Set(static_cast<uint32_t>(i), Napi::Number::New(env, tensor.size(i)));
  out.Set("dtype", dtype);
  out.Set("shape", shape);
  out.Set("data", data);
  return out;
}

// ---- errors -----------------------------------------------------------------------------------------------

namespace {

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}

bool mentions_oom(const std::string& m) {
  // libtorch 1.13's CPU allocator says "can't allocate memory", 2.x's "not enough memory".
  for (const char* phrase : {"can't allocate memory", "not enough memory", "Could not allocate memory", "out of memory",
                             "Out of memory"}) {
    if (m.find(phrase) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

ErrorInfo current_exception_info() {
  try {
    throw;
  } catch (const Error& e) {
    return {e.code(), trim(e.what())};
  } catch (const c10::OutOfMemoryError& e) {
    return {"OOM", trim(e.what_without_backtrace())};
  } catch (const c10::Error& e) {
    std::string message = trim(e.what_without_backtrace());
    return {mentions_oom(message) ? "OOM" : "TORCH_ERROR", message};
  } catch (const std::bad_alloc& e) {
    return {"OOM", c10::str("out of memory (", e.what(), ")")};
  } catch (const Napi::Error& e) {
    return {"BAD_INPUT", e.Message()};  // a JS value that could not be read
  } catch (const std::exception& e) {
    return {"TORCH_ERROR", trim(e.what())};
  } catch (...) {
    return {"TORCH_ERROR", "unknown C++ exception"};
  }
}

Napi::Error to_js_error(Napi::Env env, const ErrorInfo& info) {
  Napi::Error error = Napi::Error::New(env, info.message);
  error.Value().Set("code", Napi::String::New(env, info.code));
  return error;
}

Napi::Value guard_sync(Napi::Env env, const std::function<Napi::Value()>& body) {
  ErrorInfo info;
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;  // already a JS exception
  } catch (...) {
    info = current_exception_info();
  }
  throw to_js_error(env, info);
}

// ---- threads ------------------------------------------------------------------------------------------------

namespace {
std::atomic<int> g_threads{0};  // 0: not chosen yet

// Physical cores among the CPUs this process may run on (Linux: affinity mask + sysfs topology); 0 if unknown.
int physical_cores_available() {
#ifdef __linux__
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return 0;
  std::set<std::pair<long, long>> cores;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (!CPU_ISSET(cpu, &set)) continue;
    auto read_id = [cpu](const char* what) -> long {
      std::ifstream in(c10::str("/sys/devices/system/cpu/cpu", cpu, "/topology/", what));
      long id = -1;
      return (in >> id) ? id : -1;
    };
    const long package = read_id("physical_package_id"), core = read_id("core_id");
    cores.insert(core < 0 ? std::make_pair(-1L - cpu, 0L) : std::make_pair(package, core));
  }
  return static_cast<int>(cores.size());
#else
  return 0;
#endif
}

// libtorch's default (one thread per physical core as cpuinfo sees it, or OMP_NUM_THREADS), raised to the
// physical cores this process may use when cpuinfo saw fewer (it reports 1 core on some VMs).
int default_thread_count() {
  const int torch_default = at::get_num_threads();
  if (std::getenv("OMP_NUM_THREADS") != nullptr || std::getenv("MKL_NUM_THREADS") != nullptr) return torch_default;
  return std::max(torch_default, physical_cores_available());
}

void apply_thread_count() {
  const int n = g_threads.load();
  if (n > 0 && at::get_num_threads() != n) at::set_num_threads(n);
}
}  // namespace

void set_thread_count(int threads) {
  g_threads.store(threads);
  at::set_num_threads(threads);
}

int thread_count() {
  int n = g_threads.load();
  if (n == 0) {
    n = default_thread_count();
    int expected = 0;
    if (g_threads.compare_exchange_strong(expected, n)) at::set_num_threads(n);
    n = g_threads.load();
  }
  return n;
}

Napi::Object cpu_memory_peak_to_js(Napi::Env env, const CpuMemoryPeak& peak) {
  Napi::Object m = Napi::Object::New(env);
  m.Set("rssBeforeBytes", Napi::Number::New(env, static_cast<double>(peak.rss_before_bytes)));
  m.Set("rssPeakBytes", Napi::Number::New(env, static_cast<double>(peak.rss_peak_bytes)));
  return m;
}

Napi::Object cuda_memory_peak_to_js(Napi::Env env, const CudaMemoryPeak& peak) {
  Napi::Object m = Napi::Object::New(env);
  auto bytes = [&](int64_t v) { return Napi::Number::New(env, static_cast<double>(v)); };
  m.Set("allocatedBeforeBytes", bytes(peak.allocated_before_bytes));
  m.Set("peakAllocatedBytes", bytes(peak.peak_allocated_bytes));
  m.Set("peakReservedBytes", bytes(peak.peak_reserved_bytes));
  m.Set("deviceUsedBytes", peak.device_used_bytes ? bytes(*peak.device_used_bytes) : env.Null());
  m.Set("deviceUsedReason", peak.device_used_reason.empty() ? env.Null() : Napi::String::New(env, peak.device_used_reason));
  return m;
}

// ---- async work ---------------------------------------------------------------------------------------------

namespace {

// Every piece of libtorch work runs on this one thread, never directly on libuv's pool. OpenMP keeps a team
// of threads per calling thread: work hopping between pool threads would start a second team whose idle
// threads spin beside the busy one, and on a 2-core machine that made every call after the first block up
// to 50% slower. The thread and its queue are never destroyed (they may be in use while the process exits).
class ComputeThread {
 public:
  static ComputeThread& instance() {
    static ComputeThread* thread = new ComputeThread();
    return *thread;
  }

  // Runs `task` on the compute thread and waits for it; rethrows what it threw.
  void run(const std::function<void()>& task) {
    std::packaged_task<void()> job(task);
    std::future<void> done = job.get_future();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      queue_.push_back(std::move(job));
    }
    ready_.notify_one();
    done.get();
  }

 private:
  ComputeThread() {
    std::thread([this] { loop(); }).detach();
  }

  void loop() {
    for (;;) {
      std::packaged_task<void()> job;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        ready_.wait(lock, [this] { return !queue_.empty(); });
        job = std::move(queue_.front());
        queue_.pop_front();
      }
      job();
    }
  }

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::packaged_task<void()>> queue_;
};

class PromiseWorker final : public Napi::AsyncWorker {
 public:
  PromiseWorker(Napi::Env env, Work work, Done done, std::shared_ptr<void> hold)
      : Napi::AsyncWorker(env, "tfbench"),
        deferred_(Napi::Promise::Deferred::New(env)),
        work_(std::move(work)),
        done_(std::move(done)),
        hold_(std::move(hold)) {}

  Napi::Promise promise() const { return deferred_.Promise(); }

 protected:
  // On a libuv pool thread, which hands the work to the compute thread and waits.
  void Execute() override {
    try {
      ComputeThread::instance().run([this] {
        apply_thread_count();
        work_();
      });
    } catch (...) {
      failed_ = true;
      error_ = current_exception_info();
    }
  }

  void OnOK() override {
    hold_.reset();
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    if (failed_) {
      deferred_.Reject(to_js_error(env, error_).Value());
      return;
    }
    try {
      deferred_.Resolve(done_(env));
    } catch (...) {
      deferred_.Reject(to_js_error(env, current_exception_info()).Value());
    }
  }

  void OnError(const Napi::Error& e) override {
    hold_.reset();
    deferred_.Reject(e.Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  Work work_;
  Done done_;
  std::shared_ptr<void> hold_;
  bool failed_ = false;
  ErrorInfo error_;
};

}  // namespace

Napi::Promise run_async(Napi::Env env, Work work, Done done, std::shared_ptr<void> hold) {
  auto* worker = new PromiseWorker(env, std::move(work), std::move(done), std::move(hold));
  Napi::Promise promise = worker->promise();
  worker->Queue();
  return promise;
}

Napi::Promise rejected_promise(Napi::Env env) {
  ErrorInfo info = current_exception_info();
  auto deferred = Napi::Promise::Deferred::New(env);
  deferred.Reject(to_js_error(env, info).Value());
  return deferred.Promise();
}

}  // namespace js
}  // namespace tfbench
