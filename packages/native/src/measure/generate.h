// Measuring generation: blocks of timed generate calls (time to first token, each decode step, end to end) and
// the memory-measured generate call. The greedy loop and the KV cache are models/generation.h's; the sampling
// policy (warm-up, how many blocks) is the caller's: packages/core/src/run/sampling.ts.
#pragma once

#include <cstdint>
#include <vector>

#include "measure/calls.h"
#include "models/model.h"

namespace tfbench {

// What one generate call of a cell does; the same for every block of the cell.
struct GenerateCall {
  int64_t batch_size = 1;
  int64_t prompt_length = 1;  // S (T5: the encoder input's length)
  int64_t new_tokens = 1;     // N
  uint64_t seed = 0;          // seeds the random prompt
};

// Throws BAD_INPUT when the model cannot run `call` (Model::check_generation: no LM head, an encoder-only family,
// S + N past its positions).
void check_generate_call(const Model& model, const GenerateCall& call);
// The inference cell whose seeded random input_ids (cell_inputs) are the call's prompt (B, S).
CellCall prompt_cell(const GenerateCall& call);

struct GenerateTiming {
  double ttft_seconds = 0.0;          // prefill and the first token's argmax
  std::vector<double> step_seconds;   // N - 1 decode steps, each with its argmax
  double e2e_seconds = 0.0;           // the first mark to the last: prefill to the last token
};

struct GenerateTimes {
  std::vector<GenerateTiming> calls;
  std::vector<double> host_seconds;  // CUDA only: host wall time of each call, the final copy of the ids included
};

// `calls` generate calls back to back on `prompt_ids` (B, S), each timed token by token: on CPU a steady clock
// read after each token's argmax; on CUDA an event recorded there, read after the call's one synchronisation
// (the copy of its tokens to the host, which also checks that it made N tokens per sequence).
GenerateTimes run_generate_calls(Model& model, const GenerateCall& call, const at::Tensor& prompt_ids, int64_t calls);

struct GenerateMemory {
  MemoryPeaks peaks;
  int64_t kv_cache_bytes = 0;  // every cache tensor as allocated
};

// One generate call with its peak memory measured as measure_memory measures a call (the cache is allocated
// inside the call, so the peak includes it).
GenerateMemory measure_generate_memory(Model& model, const GenerateCall& call, const at::Tensor& prompt_ids);

}  // namespace tfbench
