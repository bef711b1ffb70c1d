// Running a cell's calls: blocks of timed calls, the memory-measured call. The sampling policy (how many calls,
// when warm-up ends, when to stop) is the caller's: packages/core/src/run/sampling.ts.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "measure/cpu_memory.h"
#include "cuda.h"
#include "models/model.h"

namespace tfbench {

// What one call of a cell does; the same for every block of the cell.
struct CellCall {
  bool training = false;
  bool optimizer_step = false;  // training: also an AdamW step (trainStep "optimizer")
  int64_t batch_size = 1;
  int64_t sequence_length = 1;
  uint64_t seed = 0;  // seeds the random input_ids
};

// Throws BAD_INPUT when the model cannot run `cell` (shape past its positions, training without an LM head).
void check_cell_call(const Model& model, const CellCall& cell);
// Random input_ids (batch_size, sequence_length) in [0, vocab_size) from `cell.seed`, on the model's device.
ModelInputs cell_inputs(const Model& model, const CellCall& cell);

// Runs `body` with the model set up for `cell` on this thread: eval mode under InferenceMode, or train mode
// with grad mode on; gradients are cleared before and after, eval mode is restored however `body` ends, and the
// intra-op threads are woken first (they sleep while JS decides the next block).
void in_cell_mode(Model& model, const CellCall& cell, const std::function<void()>& body);

struct CallTimes {
  std::vector<double> seconds;       // one per call: GPU time from CUDA events on CUDA, host time on CPU
  std::vector<double> host_seconds;  // CUDA only: host wall time of each call (launch overhead)
  // Training only, one entry per call: forward (with the loss), backward, and the optimizer step (empty
  // without one). Each sums to about its `seconds` entry.
  std::vector<double> forward_seconds;
  std::vector<double> backward_seconds;
  std::vector<double> optimizer_seconds;
};

// `calls` calls back to back on `inputs` (made by cell_inputs), timed one by one; on CUDA one synchronisation
// at the end of the block.
CallTimes run_calls(Model& model, const CellCall& cell, const ModelInputs& inputs, int64_t calls);

struct MemoryPeaks {
  std::optional<CpuMemoryPeak> cpu;   // on the CPU
  std::optional<CudaMemoryPeak> cuda;  // on a CUDA device
};

// One call with its peak memory measured (measure_cpu_peak, measure_cuda_peak).
MemoryPeaks measure_memory(Model& model, const CellCall& cell, const ModelInputs& inputs);

}  // namespace tfbench
