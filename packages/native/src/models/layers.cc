#include "models/layers.h"

#include "errors.h"
#include "models/streaming_linear.h"

namespace tfbench {

at::Tensor affine(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) {
  at::Tensor y = streaming_linear(x, weight, bias);  // undefined unless a few float32 rows and (out, in) storage
  if (y.defined()) return y;
  if (x.size(0) == 1 && x.is_cpu() && x.scalar_type() == at::kFloat) {
    const at::Tensor row = x.select(0, 0);  // (in)
    return (bias.defined() ? at::addmv(bias, weight, row) : at::mv(weight, row)).unsqueeze(0);  // (1, out)
  }
  return bias.defined() ? at::addmm(bias, x, weight.t()) : at::mm(x, weight.t());
}

Activation parse_activation(const std::string& name) {
  if (name == "gelu") return Activation::Gelu;
  if (name == "gelu_new" || name == "gelu_pytorch_tanh") return Activation::GeluTanh;
  if (name == "relu") return Activation::Relu;
  if (name == "silu") return Activation::Silu;
  throw_bad_spec(c10::str("spec.hidden_act '", name, "' is not supported"));
}

at::Tensor activate(Activation act, at::Tensor x) {
  const bool in_place = !at::GradMode::is_enabled();
  switch (act) {
    case Activation::Gelu: return in_place ? at::gelu_(x) : at::gelu(x);
    case Activation::GeluTanh: return in_place ? at::gelu_(x, "tanh") : at::gelu(x, "tanh");
    case Activation::Relu: return in_place ? at::relu_(x) : at::relu(x);
    case Activation::Silu: return in_place ? at::silu_(x) : at::silu(x);
  }
  return x;
}

at::Tensor RmsNorm::operator()(const at::Tensor& x) const {
  const at::Tensor h = x.scalar_type() == at::kFloat ? x : x.to(at::kFloat);
  at::Tensor scale = at::rsqrt(h.pow(2).mean(-1, /*keepdim=*/true).add_(eps));
  at::Tensor normed = h * scale;
  return weight * (x.scalar_type() == at::kFloat ? normed : normed.to(x.scalar_type()));
}

at::Tensor causal_lm_loss(const at::Tensor& logits, const at::Tensor& labels) {
  const int64_t V = logits.size(2), T = logits.size(1);
  if (T < 2) throw_bad_input("the causal-LM loss needs sequences of at least 2 tokens");
  at::Tensor predicted = logits.narrow(1, 0, T - 1).reshape({-1, V});  // (B·(T-1), V)
  at::Tensor targets = labels.narrow(1, 1, T - 1).reshape({-1});        // (B·(T-1))
  return at::cross_entropy_loss(predicted.to(at::kFloat), targets);
}

}  // namespace tfbench
