// On CPU the (batch, head) pairs are split into one contiguous range per intra-op thread, and each thread runs
// the whole attention for its pairs, a batch item's heads at a time: one GEMM batch for the scores (strided
// views, no copies), mask and softmax while those scores are still in its cache, one GEMM batch for the
// context. Inside the parallel region BLAS runs single-threaded, which for these small per-head GEMMs beats one
// bmm over all pairs (it runs the pairs one after another, each split across the threads), and keeping the
// scores in cache beats separate passes over the whole (B, nh, T, S) tensor: for bert-base, batch 8, 2 threads,
// T = 128, 6.8-8.7 against 7.5-9.1 ms per layer; at T = 8 the extra per-item calls cost ~0.03 ms per layer.
// (baddbmm with alpha = 1 / divisor and beta = 0 would save the division, but libtorch 1.13's small-matrix
// kernel still reads the uninitialised output then: NaNs.) Other devices get batched matmuls.
//
// (Plain loops instead of BLAS for short sequences were tried: no faster at T = 8..32, so BLAS it is.)
#include "models/attention.h"

#include <ATen/Parallel.h>
#include <ATen/ThreadLocalState.h>

#include <algorithm>

namespace tfbench {

namespace {

void scale(at::Tensor& scores, const ScoreRule& rule) {
  if (rule.divisor != 1.0) scores.div_(rule.divisor);
}

bool upcasts(const at::Tensor& scores, const ScoreRule& rule) {
  return rule.softmax_in_float32 && scores.scalar_type() != at::kFloat && scores.scalar_type() != at::kDouble;
}

}  // namespace

void scaled_dot_product_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                  const at::Tensor& mask, const ScoreRule& rule, at::Tensor& out) {
  const int64_t B = q.size(0), nh = q.size(1), T = q.size(2), S = k.size(2);
  at::Tensor scores = at::empty({B, nh, T, S}, q.options());  // (B, nh, T, S)
  if (!q.is_cpu()) {
    at::matmul_out(scores, q, k.transpose(2, 3));
    scale(scores, rule);
    if (mask.defined()) scores.add_(mask);
    at::Tensor probs = upcasts(scores, rule) ? at::softmax(scores, -1, at::kFloat).to(q.scalar_type())
                                             : at::softmax(scores, -1);
    out.copy_(at::matmul(probs, v));
    return;
  }
  at::Tensor probs = at::empty_like(scores);  // (B, nh, T, S)
  const bool upcast = upcasts(scores, rule);
  // The intra-op threads run ATen operators here, so they take the caller's thread-local state (InferenceMode).
  const at::ThreadLocalState caller_state;
  at::parallel_for(0, B * nh, 1, [&](int64_t begin, int64_t end) {
    at::ThreadLocalStateGuard state_guard(caller_state);
    for (int64_t i = begin; i < end;) {
      const int64_t b = i / nh, h = i % nh, n = std::min(end - i, nh - h);  // heads [h, h + n) of item b
      auto heads = [&](const at::Tensor& t) { return n == nh ? t[b] : t[b].narrow(0, h, n); };
      at::Tensor s = heads(scores);  // (n, T, S)
      at::Tensor p = heads(probs);   // (n, T, S)
      at::Tensor o = heads(out);     // (n, T, hs)
      at::bmm_out(s, heads(q), heads(k).transpose(1, 2));
      scale(s, rule);
      if (mask.defined()) {
        at::Tensor m = mask[mask.size(0) == 1 ? 0 : b];  // (1 or nh, T or 1, S)
        s.add_(m.size(0) == 1 ? m : m.narrow(0, h, n));
      }
      if (upcast)
        p.copy_(at::_softmax(s.to(at::kFloat), -1, /*half_to_float=*/false));
      else
        at::_softmax_out(p, s, -1, /*half_to_float=*/false);
      at::bmm_out(o, p, heads(v));
      i += n;
    }
  });
}

}  // namespace tfbench
