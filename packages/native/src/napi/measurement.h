// A cell's call options from JS, and measurement results to JS (the shapes of CallsOptions, CallTimes,
// MemoryPeaks, ModuleCost, CpuMemoryPeak, GenerateCallOptions, GenerateTimes, GenerateMemory and MemoryBandwidth
// in lib/types.ts).
#pragma once

#include <napi.h>

#include <vector>

#include "measure/bandwidth.h"
#include "measure/breakdown.h"
#include "measure/calls.h"
#include "measure/cpu_memory.h"
#include "measure/generate.h"

namespace tfbench {
namespace js {

// { mode, trainStep?, batchSize, sequenceLength, seed } -> CellCall. Throws BAD_INPUT naming options.<field>.
CellCall cell_call_from_js(const Napi::Value& options);

// -> { seconds, hostSeconds (CUDA, else null), phasesSeconds ({ forward, backward, optimizer }; training, else null) }
Napi::Object call_times_to_js(Napi::Env env, const CallTimes& times);
// -> { memory: CpuMemoryPeak or null, cudaMemory: CudaMemoryPeak or null }
Napi::Object memory_peaks_to_js(Napi::Env env, const MemoryPeaks& peaks);
// -> [{ module, seconds, beforeBytes, peakBytes }]
Napi::Array module_costs_to_js(Napi::Env env, const std::vector<ModuleCost>& costs);
// -> { rssBeforeBytes, rssPeakBytes }
Napi::Object cpu_memory_peak_to_js(Napi::Env env, const CpuMemoryPeak& peak);

// { batchSize, promptLength, newTokens, seed } -> GenerateCall. Throws BAD_INPUT naming options.<field>.
GenerateCall generate_call_from_js(const Napi::Value& options);
// -> { calls: [{ ttftSeconds, stepSeconds, e2eSeconds }], hostSeconds (CUDA, else null) }
Napi::Object generate_times_to_js(Napi::Env env, const GenerateTimes& times);
// -> { memory, cudaMemory, kvCacheBytes }
Napi::Object generate_memory_to_js(Napi::Env env, const GenerateMemory& memory);
// -> { device, bytesPerSecond, bufferBytes, repeats }
Napi::Object memory_bandwidth_to_js(Napi::Env env, const MemoryBandwidth& bandwidth);

}  // namespace js
}  // namespace tfbench
