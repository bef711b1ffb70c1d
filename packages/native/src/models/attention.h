// The two batched products of scaled dot-product attention, on per-head views that may be strided (e.g.
// slices of a fused query/key/value projection), so no head is copied into a contiguous buffer first.
// Shared by every family's attention.
#pragma once

#include <ATen/ATen.h>

namespace tfbench {

// scores[b, h] = q[b, h] . k[b, h]^T
//   q (B, nh, T, hs), k (B, nh, S, hs): any strides, unit stride along hs; scores (B, nh, T, S) contiguous.
void attention_scores(const at::Tensor& q, const at::Tensor& k, at::Tensor& scores);

// out[b, h] = probs[b, h] . v[b, h]
//   probs (B, nh, T, S) contiguous; v (B, nh, S, hs) and out (B, nh, T, hs): unit stride along hs.
void attention_context(const at::Tensor& probs, const at::Tensor& v, at::Tensor& out);

}  // namespace tfbench
