// Pieces every family's blocks use: LayerNorm and the activations named by Hugging Face configs.
#pragma once

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include <string>

namespace tfbench {

struct LayerNorm {
  at::Tensor weight;  // (H)
  at::Tensor bias;    // (H)
  double eps = 1e-12;

  at::Tensor operator()(const at::Tensor& x) const {  // (N, H) -> (N, H)
    return at::layer_norm(x, {weight.size(0)}, weight, bias, eps);
  }
};

enum class Activation { Gelu, GeluTanh, Relu, Silu };

// 'gelu' (exact, erf-based), 'gelu_new' / 'gelu_pytorch_tanh' (tanh approximation), 'relu', 'silu'.
// Throws BAD_SPEC for anything else.
Activation parse_activation(const std::string& name);

// In place when no autograd graph is being recorded (inference), out of place otherwise.
at::Tensor activate(Activation act, at::Tensor x);

}  // namespace tfbench
