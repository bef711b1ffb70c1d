#include "measure/generate.h"

#include <c10/util/StringUtil.h>

#include "cuda.h"
#include "errors.h"
#include "measure/timeline.h"
#include "models/generation.h"

namespace tfbench {
namespace {

const CellCall kInference{};  // eval mode under InferenceMode (in_cell_mode)

// The tokens (N, B) of one call on the host: the call's one read back (a synchronisation on CUDA), and the check
// that every sequence got exactly N tokens.
void read_back_tokens(const GreedyRun& run, const GenerateCall& call) {
  const at::Tensor tokens = run.tokens.to(at::kCPU);
  if (tokens.dim() != 2 || tokens.size(0) != call.new_tokens || tokens.size(1) != call.batch_size)
    throw Error("TORCH_ERROR", c10::str("a generate call returned tokens of shape ", tokens.sizes(), ", not [",
                                        call.new_tokens, ", ", call.batch_size, "] (newTokens, batchSize)"));
}

}  // namespace

void check_generate_call(const Model& model, const GenerateCall& call) {
  if (call.batch_size < 1) throw_bad_input(c10::str("batchSize must be >= 1, got ", call.batch_size));
  if (call.prompt_length < 1) throw_bad_input(c10::str("promptLength must be >= 1, got ", call.prompt_length));
  if (call.new_tokens < 1) throw_bad_input(c10::str("newTokens must be >= 1, got ", call.new_tokens));
  model.check_generation(call.prompt_length, call.new_tokens);
}

CellCall prompt_cell(const GenerateCall& call) {
  CellCall cell;
  cell.batch_size = call.batch_size;
  cell.sequence_length = call.prompt_length;
  cell.seed = call.seed;
  return cell;
}

GenerateTimes run_generate_calls(Model& model, const GenerateCall& call, const at::Tensor& prompt_ids, int64_t calls) {
  const c10::Device device = model.options().device;
  const int64_t N = call.new_tokens;
  GenerateTimes r;
  r.calls.reserve(static_cast<size_t>(calls));
  in_cell_mode(model, kInference, [&] {
    for (int64_t c = 0; c < calls; ++c) {
      Timeline timeline(device, static_cast<size_t>(N + 1));
      const double host_start = monotonic_seconds();
      timeline.mark();  // 0: the call starts (the cache is allocated inside it)
      GreedyRun run = greedy_decode(model, prompt_ids, N, /*keep_step_logits=*/false,
                                    [&](int64_t) { timeline.mark(); });  // mark i + 1: token i chosen
      read_back_tokens(run, call);
      const double host_end = monotonic_seconds();
      timeline.finish();
      if (timeline.marks() != static_cast<size_t>(N + 1))
        throw Error("TORCH_ERROR", c10::str("a generate call marked ", timeline.marks() - 1, " tokens, not ", N));
      GenerateTiming t;
      t.ttft_seconds = timeline.seconds(0, 1);
      t.step_seconds.reserve(static_cast<size_t>(N - 1));
      for (int64_t i = 1; i < N; ++i) t.step_seconds.push_back(timeline.seconds(i, i + 1));
      t.e2e_seconds = timeline.seconds(0, N);
      r.calls.push_back(std::move(t));
      if (device.is_cuda()) r.host_seconds.push_back(host_end - host_start);
    }
  });
  return r;
}

GenerateMemory measure_generate_memory(Model& model, const GenerateCall& call, const at::Tensor& prompt_ids) {
  const c10::Device device = model.options().device;
  GenerateMemory r;
  in_cell_mode(model, kInference, [&] {
    synchronize(device);
    const auto measured = [&] {
      GreedyRun run = greedy_decode(model, prompt_ids, call.new_tokens, /*keep_step_logits=*/false);
      r.kv_cache_bytes = run.kv_cache_bytes;
      read_back_tokens(run, call);
      synchronize(device);
    };
    if (device.is_cuda()) {
      r.peaks.cuda = measure_cuda_peak(device, measured);
    } else {
      r.peaks.cpu = measure_cpu_peak(measured);
    }
  });
  return r;
}

}  // namespace tfbench
