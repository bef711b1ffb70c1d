// Scaled dot-product attention for inference, on per-head views that may be strided (e.g. slices of a fused
// query/key/value projection), so no head is copied into a contiguous buffer first. Shared by every family's
// attention.
#pragma once

#include <ATen/ATen.h>

namespace tfbench {

// How a family's Hugging Face code turns q . k^T into probabilities.
struct ScoreRule {
  double divisor = 1.0;             // scores / divisor, divided as Hugging Face does (T5: 1, unscaled)
  bool softmax_in_float32 = false;  // softmax of the float32 scores, cast back (LLaMA, T5); a no-op in float32
};

// out[b, h] = softmax(q[b, h] . k[b, h]^T / divisor + mask[b]) . v[b, h], the softmax over the last dimension
//   q (B, nh, T, hs), k and v (B, nh, S, hs), out (B, nh, T, hs): any strides, unit stride along hs;
//   mask: undefined, or additive and (B or 1, 1 or nh, T or 1, S) (per-head: T5's position biases).
void scaled_dot_product_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                  const at::Tensor& mask, const ScoreRule& rule, at::Tensor& out);

}  // namespace tfbench
