// Pieces every family's blocks use: Linear, LayerNorm, RMSNorm, the activations named by Hugging Face configs
// and the causal-LM loss.
#pragma once

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include <string>

namespace tfbench {

// x · weightᵀ (+ bias), as torch.nn.functional.linear: x (N, in), weight (out, in) with any strides, bias (out) or
// undefined -> (N, out). On the CPU in float32, up to kStreamingLinearMaxRows rows (a decode step) with weights
// stored (out, in) go through streaming_linear (streaming_linear.h), which reads the weight once; a single row
// with weights stored (in, out) through BLAS's GEMV, which OpenBLAS (0.3.21) runs at about twice the bandwidth of
// a one-row GEMM; the rest through a BLAS GEMM. (In bfloat16 libtorch's own GEMM beats its GEMV, so 16-bit rows
// stay with the GEMM.)
at::Tensor affine(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias);

// torch.nn.Linear: y = x · W^T (+ b). Weight (out, in) as checkpoints store it; bias may be undefined.
struct Linear {
  at::Tensor weight;  // (out, in), stored as Model::linear_weight() chose
  at::Tensor bias;    // (out) or undefined

  at::Tensor operator()(const at::Tensor& x) const { return affine(x, weight, bias); }  // (N, in) -> (N, out)
};

struct LayerNorm {
  at::Tensor weight;  // (H)
  at::Tensor bias;    // (H)
  double eps = 1e-12;

  at::Tensor operator()(const at::Tensor& x) const {  // (N, H) -> (N, H)
    return at::layer_norm(x, {weight.size(0)}, weight, bias, eps);
  }
};

// Root-mean-square norm without mean subtraction or bias (LlamaRMSNorm, T5LayerNorm): computed in float32,
// cast back to the input dtype, then scaled by the weight.
struct RmsNorm {
  at::Tensor weight;  // (H)
  double eps = 1e-6;

  at::Tensor operator()(const at::Tensor& x) const;  // (..., H) -> (..., H)
};

enum class Activation { Gelu, GeluTanh, Relu, Silu };

// 'gelu' (exact, erf-based), 'gelu_new' / 'gelu_pytorch_tanh' (tanh approximation), 'relu', 'silu'.
// Throws BAD_SPEC for anything else.
Activation parse_activation(const std::string& name);

// In place when no autograd graph is being recorded (inference), out of place otherwise.
at::Tensor activate(Activation act, at::Tensor x);

// Causal-LM loss with labels = the inputs: position t predicts token t + 1, mean cross-entropy over the
// B · (T - 1) predicted positions. logits (B, T, V), labels (B, T). Throws BAD_INPUT when T < 2.
at::Tensor causal_lm_loss(const at::Tensor& logits, const at::Tensor& labels);

}  // namespace tfbench
