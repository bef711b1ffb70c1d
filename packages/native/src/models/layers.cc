#include "models/layers.h"

#include "errors.h"

namespace tfbench {

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

}  // namespace tfbench
