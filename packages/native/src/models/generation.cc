#include "models/generation.h"

#include <c10/core/InferenceMode.h>
#include <c10/util/StringUtil.h>

#include "errors.h"

namespace tfbench {

std::pair<at::Tensor, at::Tensor> KvCache::write(size_t layer, const at::Tensor& k, const at::Tensor& v) {
  const int64_t T = k.size(1), end = length + T;
  TORCH_CHECK(end <= capacity(), "KV cache: ", end, " positions asked of a cache of ", capacity());
  keys[layer].narrow(2, length, T).copy_(k.transpose(1, 2));  // (B, nkv, T, hd) <- (B, nkv, T, hd) view
  values[layer].narrow(2, length, T).copy_(v.transpose(1, 2));
  return {keys[layer].narrow(2, 0, end), values[layer].narrow(2, 0, end)};
}

void KvCache::advance(int64_t T) { length += T; }

int64_t KvCache::bytes() const {
  int64_t total = 0;
  for (const auto* list : {&keys, &values, &cross_keys, &cross_values}) {
    for (const at::Tensor& t : *list) total += static_cast<int64_t>(t.nbytes());
  }
  return total;
}

KvCache allocate_kv_cache(int64_t layers, int64_t batch, int64_t heads, int64_t capacity, int64_t head_dim,
                          const at::TensorOptions& options) {
  KvCache cache;
  cache.keys.reserve(layers);
  cache.values.reserve(layers);
  for (int64_t i = 0; i < layers; ++i) {
    cache.keys.push_back(at::empty({batch, heads, capacity, head_dim}, options));
    cache.values.push_back(at::empty({batch, heads, capacity, head_dim}, options));
  }
  return cache;
}

at::Tensor cached_causal_mask(int64_t T, int64_t P, int64_t window, const at::TensorOptions& options) {
  const auto positions = options.dtype(at::kLong);
  const at::Tensor query = at::arange(P, P + T, positions).view({T, 1});  // (T, 1)
  const at::Tensor key = at::arange(P + T, positions).view({1, P + T});   // (1, L)
  at::Tensor hidden = key.gt(query);                                      // (T, L): a later key
  if (window > 0) hidden.logical_or_(key.le(query - window));             // or one `window` or more back
  const double lowest = lowest_finite(c10::typeMetaToScalarType(options.dtype()));
  return at::zeros({T, P + T}, options).masked_fill_(hidden, lowest).view({1, 1, T, P + T});
}

GreedyRun greedy_decode(Model& model, const at::Tensor& prompt_ids, int64_t new_tokens, bool keep_step_logits,
                        const TokenHook& after_token) {
  const int64_t B = prompt_ids.size(0), S = prompt_ids.size(1), N = new_tokens;
  GreedyRun run;
  KvCache cache = model.make_kv_cache(B, S, N);
  run.kv_cache_bytes = cache.bytes();
  run.tokens = at::empty({N, B}, prompt_ids.options());  // (N, B): one contiguous row per step
  int64_t produced = 0;
  auto choose = [&](const at::Tensor& logits) {  // logits (B, V) of token `produced`
    at::Tensor token = run.tokens[produced];  // (B)
    at::argmax_out(token, logits, /*dim=*/1);
    if (keep_step_logits) {
      if (!run.step_logits.defined())
        run.step_logits = at::empty({N, B, logits.size(1)}, logits.options().dtype(at::kFloat));  // (N, B, V)
      run.step_logits[produced].copy_(logits);
    }
    if (after_token) after_token(produced);
    ++produced;
  };
  choose(model.prefill(prompt_ids, cache));
  for (int64_t i = 1; i < N; ++i) choose(model.decode_step(run.tokens.narrow(0, i - 1, 1).t(), cache));  // (B, 1)
  if (produced != N || run.tokens.size(0) != N)
    throw Error("TORCH_ERROR", c10::str("greedy decoding produced ", produced, " tokens per sequence, not ", N));
  return run;
}

GreedyOutput generate_greedy(Model& model, const at::Tensor& prompt_ids, int64_t new_tokens) {
  ModelInputs inputs;
  inputs.input_ids = prompt_ids;
  model.check_inputs(inputs);
  model.check_generation(prompt_ids.size(1), new_tokens);
  c10::InferenceMode inference;
  model.train(false);
  GreedyRun run = greedy_decode(model, prompt_ids, new_tokens, /*keep_step_logits=*/true);
  GreedyOutput out;
  const at::Tensor prefix = model.generation_prefix(prompt_ids);  // (B, S) or (B, 1)
  out.generated_ids = at::cat({prefix, run.tokens.t()}, 1).to(at::kCPU).contiguous();
  out.step_logits = run.step_logits.to(at::kCPU).contiguous();
  return out;
}

}  // namespace tfbench
