#include "napi/measurement.h"

#include "napi/fields.h"

namespace tfbench {
namespace js {
namespace {

Napi::Array numbers(Napi::Env env, const std::vector<double>& values) {
  Napi::Array a = Napi::Array::New(env, values.size());
  for (size_t i = 0; i < values.size(); ++i) a.Set(static_cast<uint32_t>(i), Napi::Number::New(env, values[i]));
  return a;
}

Napi::Number bytes(Napi::Env env, int64_t value) { return Napi::Number::New(env, static_cast<double>(value)); }

Napi::Object cuda_memory_peak_to_js(Napi::Env env, const CudaMemoryPeak& peak) {
  Napi::Object m = Napi::Object::New(env);
  m.Set("allocatedBeforeBytes", bytes(env, peak.allocated_before_bytes));
  m.Set("peakAllocatedBytes", bytes(env, peak.peak_allocated_bytes));
  m.Set("peakReservedBytes", bytes(env, peak.peak_reserved_bytes));
  m.Set("deviceUsedBytes", peak.device_used_bytes ? bytes(env, *peak.device_used_bytes) : env.Null());
  m.Set("deviceUsedReason", peak.device_used_reason.empty() ? env.Null() : Napi::String::New(env, peak.device_used_reason));
  return m;
}

}  // namespace

CellCall cell_call_from_js(const Napi::Value& options) {
  Fields f(options, "options", "BAD_INPUT");
  CellCall cell;
  cell.training = f.one_of("mode", {"inference", "training"}) == "training";
  // Optional: "backward" (forward + backward) unless "optimizer" (and an AdamW step).
  cell.optimizer_step = f.has("trainStep") && f.one_of("trainStep", {"backward", "optimizer"}) == "optimizer";
  cell.batch_size = f.integer("batchSize", 1);
  cell.sequence_length = f.integer("sequenceLength", 1);
  cell.seed = static_cast<uint64_t>(f.integer("seed", 0));
  return cell;
}

Napi::Object call_times_to_js(Napi::Env env, const CallTimes& times) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("seconds", numbers(env, times.seconds));
  out.Set("hostSeconds", times.host_seconds.empty() ? env.Null() : numbers(env, times.host_seconds));
  if (times.forward_seconds.empty()) {
    out.Set("phasesSeconds", env.Null());
  } else {
    Napi::Object phases = Napi::Object::New(env);
    phases.Set("forward", numbers(env, times.forward_seconds));
    phases.Set("backward", numbers(env, times.backward_seconds));
    phases.Set("optimizer", numbers(env, times.optimizer_seconds));
    out.Set("phasesSeconds", phases);
  }
  return out;
}

Napi::Object memory_peaks_to_js(Napi::Env env, const MemoryPeaks& peaks) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("memory", peaks.cpu ? cpu_memory_peak_to_js(env, *peaks.cpu) : env.Null());
  out.Set("cudaMemory", peaks.cuda ? cuda_memory_peak_to_js(env, *peaks.cuda) : env.Null());
  return out;
}

Napi::Array module_costs_to_js(Napi::Env env, const std::vector<ModuleCost>& costs) {
  Napi::Array modules = Napi::Array::New(env, costs.size());
  for (size_t i = 0; i < costs.size(); ++i) {
    const ModuleCost& c = costs[i];
    Napi::Object m = Napi::Object::New(env);
    m.Set("module", c.module);
    m.Set("seconds", c.seconds);
    m.Set("beforeBytes", bytes(env, c.before_bytes));
    m.Set("peakBytes", bytes(env, c.peak_bytes));
    modules.Set(static_cast<uint32_t>(i), m);
  }
  return modules;
}

Napi::Object cpu_memory_peak_to_js(Napi::Env env, const CpuMemoryPeak& peak) {
  Napi::Object m = Napi::Object::New(env);
  m.Set("rssBeforeBytes", bytes(env, peak.rss_before_bytes));
  m.Set("rssPeakBytes", bytes(env, peak.rss_peak_bytes));
  return m;
}

GenerateCall generate_call_from_js(const Napi::Value& options) {
  Fields f(options, "options", "BAD_INPUT");
  GenerateCall call;
  call.batch_size = f.integer("batchSize", 1);
  call.prompt_length = f.integer("promptLength", 1);
  call.new_tokens = f.integer("newTokens", 1);
  call.seed = static_cast<uint64_t>(f.integer("seed", 0));
  return call;
}

Napi::Object generate_times_to_js(Napi::Env env, const GenerateTimes& times) {
  Napi::Array calls = Napi::Array::New(env, times.calls.size());
  for (size_t i = 0; i < times.calls.size(); ++i) {
    const GenerateTiming& t = times.calls[i];
    Napi::Object call = Napi::Object::New(env);
    call.Set("ttftSeconds", t.ttft_seconds);
    call.Set("stepSeconds", numbers(env, t.step_seconds));
    call.Set("e2eSeconds", t.e2e_seconds);
    calls.Set(static_cast<uint32_t>(i), call);
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("calls", calls);
  out.Set("hostSeconds", times.host_seconds.empty() ? env.Null() : numbers(env, times.host_seconds));
  return out;
}

Napi::Object generate_memory_to_js(Napi::Env env, const GenerateMemory& memory) {
  Napi::Object out = memory_peaks_to_js(env, memory.peaks);
  out.Set("kvCacheBytes", bytes(env, memory.kv_cache_bytes));
  return out;
}

Napi::Object memory_bandwidth_to_js(Napi::Env env, const MemoryBandwidth& bandwidth) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("device", bandwidth.device);
  out.Set("bytesPerSecond", bandwidth.bytes_per_second);
  out.Set("bufferBytes", bytes(env, bandwidth.buffer_bytes));
  out.Set("repeats", Napi::Number::New(env, static_cast<double>(bandwidth.repeats)));
  return out;
}

}  // namespace js
}  // namespace tfbench
