// Greedy generation with a static KV cache, shared by every family that generates (gpt2.cc, llama.cc, t5.cc):
// the cache, the causal mask of a cached forward, and the greedy loop. A family fills the cache in its own
// prefill and decode step (Model::make_kv_cache, prefill, decode_step in model.h); the loop here drives them.
//
// Shapes: B batch, S prompt length, N new tokens, P positions already cached, T positions fed in one forward,
// L = P + T, nkv key/value heads, hd head size, V vocabulary.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "models/model.h"

namespace tfbench {

// A static KV cache: every tensor is allocated once, for every position the call will feed, before the prompt
// runs (the memory is known up front, nothing grows per step); each forward writes its keys and values in place.
struct KvCache {
  // Self-attention, one entry per layer (T5: per decoder layer), (B, nkv, capacity, hd): positions [0, length)
  // hold the keys (rotated, for rotary models) and values of every token fed so far.
  std::vector<at::Tensor> keys, values;
  // T5: the cross-attention keys and values of the encoder output, per decoder layer, (B, nh, S, hd), written
  // once by the prefill; empty for decoder-only models.
  std::vector<at::Tensor> cross_keys, cross_values;
  int64_t length = 0;  // P: positions cached

  int64_t capacity() const { return keys.empty() ? 0 : keys.front().size(2); }
  // Writes layer `layer`'s keys and values of T new positions, k and v (B, T, nkv, hd) with any strides, at
  // positions [length, length + T), and returns that layer's cached keys and values (B, nkv, length + T, hd).
  // Every layer writes the same T positions; advance(T) then moves `length` past them.
  std::pair<at::Tensor, at::Tensor> write(size_t layer, const at::Tensor& k, const at::Tensor& v);
  void advance(int64_t T);
  // Bytes of every cache tensor as allocated.
  int64_t bytes() const;
};

// A cache for `layers` layers of `heads` key/value heads of `head_dim`, `capacity` positions, B = `batch`.
KvCache allocate_kv_cache(int64_t layers, int64_t batch, int64_t heads, int64_t capacity, int64_t head_dim,
                          const at::TensorOptions& options);

// The additive mask (1, 1, T, L) of T queries at positions [P, P + T) over keys [0, L = P + T): the dtype's lowest
// finite value on keys after the query and, with `window` > 0, on keys `window` or more positions before it
// (keys at or before query - window); 0 elsewhere. A single query (T = 1) sees every cached key and needs none.
at::Tensor cached_causal_mask(int64_t T, int64_t P, int64_t window, const at::TensorOptions& options);

// Called once token i (0-based) of every sequence has been chosen: its argmax is queued on the device, not read.
using TokenHook = std::function<void(int64_t token)>;

struct GreedyRun {
  at::Tensor tokens;       // int64 (N, B) on the model's device: row i holds token i of every sequence
  at::Tensor step_logits;  // float32 (N, B, V) on the device when asked: row i the logits token i was taken from
  int64_t kv_cache_bytes = 0;
};

// Greedy decoding of exactly `new_tokens` tokens after `prompt_ids` (int64 (B, S), on the model's device; T5:
// the encoder's input), no stop at EOS: the model's static cache (make_kv_cache, allocated here, inside the call),
// its prefill (the first token's logits), then N - 1 decode steps each fed the previous token; each token is the
// argmax of its logits on the device (the first of equal maxima, as torch.argmax), nothing read back per token. Runs with whatever autograd
// state the caller set (InferenceMode for every caller here); the model must be in eval mode and able to
// generate (Model::check_generation). `after_token` (optional) marks each token for timing. Throws TORCH_ERROR
// if the loop did not produce exactly N tokens.
GreedyRun greedy_decode(Model& model, const at::Tensor& prompt_ids, int64_t new_tokens, bool keep_step_logits,
                        const TokenHook& after_token = nullptr);

struct GreedyOutput {
  at::Tensor generated_ids;  // int64 CPU: decoders (B, S + N), the prompt then the new tokens; T5 (B, 1 + N),
                             // decoder_start_token_id then the new tokens (Model::generation_prefix)
  at::Tensor step_logits;    // float32 CPU (N, B, V)
};

// generate() of the JS API: checks the prompt (as run() checks input_ids) and the call
// (Model::check_generation: BAD_INPUT), then greedy_decode in eval mode under InferenceMode, copied to the host.
GreedyOutput generate_greedy(Model& model, const at::Tensor& prompt_ids, int64_t new_tokens);

}  // namespace tfbench
