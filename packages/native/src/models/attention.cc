// On CPU, one batch item per task: its heads' GEMMs (one bmm over strided views, no copies) run on every
// intra-op thread, where a single bmm over all (batch, head) pairs would run them one after another on one
// thread. Other devices get one batched matmul.
//
// (Plain loops instead of BLAS for short sequences were tried: no faster at T = 8..32, so BLAS it is.)
#include "models/attention.h"

#include <ATen/Parallel.h>

namespace tfbench {
namespace {

template <typename F>
void for_each_batch_item(int64_t B, const F& fn) {
  at::parallel_for(0, B, 1, [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; ++b) fn(b);
  });
}

}  // namespace

void attention_scores(const at::Tensor& q, const at::Tensor& k, at::Tensor& scores) {
  if (!q.is_cpu()) {
    at::matmul_out(scores, q, k.transpose(2, 3));
    return;
  }
  for_each_batch_item(q.size(0), [&](int64_t b) {
    at::Tensor out = scores[b];  // (nh, T, S)
    at::bmm_out(out, q[b], k[b].transpose(1, 2));
  });
}

void attention_context(const at::Tensor& probs, const at::Tensor& v, at::Tensor& out) {
  if (!v.is_cpu()) {
    out.copy_(at::matmul(probs, v));
    return;
  }
  for_each_batch_item(probs.size(0), [&](int64_t b) {
    at::Tensor o = out[b];  // (nh, T, hs)
    at::bmm_out(o, probs[b], v[b]);
  });
}

}  // namespace tfbench
