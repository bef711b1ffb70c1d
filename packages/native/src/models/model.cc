// What all model families share: parameter registry and seeded initialisation, the run() driver
// (outputs, loss, gradients), building on a device and dtype, and device parsing.
#include "models/model.h"

#include <ATen/CPUGeneratorImpl.h>
#include <c10/core/GradMode.h>
#include <c10/core/InferenceMode.h>
#include <torch/cuda.h>
#include <torch/optim/adamw.h>
#include <torch/version.h>

#include <limits>

#include "cuda.h"
#include "errors.h"
#include "huge_pages.h"
#include "models/generation.h"

namespace tfbench {

Model::~Model() = default;  // here, where torch::optim::Optimizer is a complete type

torch::optim::Optimizer& Model::optimizer() {
  if (!optimizer_) {
    std::vector<at::Tensor> params;
    params.reserve(parameters_.size());
    for (const auto& p : parameters_) params.push_back(p.tensor);
    optimizer_ = std::make_unique<torch::optim::AdamW>(params, torch::optim::AdamWOptions(5e-5));
  }
  return *optimizer_;
}

Model::Model(const BuildOptions& options) : options_(options) {
  if (options.device.is_cpu()) {
    generator_ = at::make_generator<at::CPUGeneratorImpl>(options.seed);
  } else {
    generator_ = cuda_generator(options.device.index(), options.seed);
  }
}

at::Tensor Model::empty_tensor(at::IntArrayRef shape) const {
  at::Tensor t = at::empty(shape, at::TensorOptions().dtype(options_.dtype).device(options_.device));
  advise_huge_pages(t);  // parameters and what they are drawn into: untouched so far
  return t;
}

void Model::fill_normal(at::Tensor& tensor, double std) {
  at::NoGradGuard no_grad;
  tensor.normal_(0.0, std, generator_);
}

at::Tensor Model::register_parameter(std::string name, const at::Tensor& tensor) {
  for (const auto& p : parameters_) {
    TORCH_INTERNAL_ASSERT(p.name != name, "parameter registered twice: ", name);
  }
  at::Tensor leaf = tensor.detach();
  leaf.requires_grad_(true);
  parameters_.push_back({std::move(name), leaf});
  return leaf;
}

at::Tensor Model::normal_parameter(std::string name, at::IntArrayRef shape, double std) {
  at::Tensor t = empty_tensor(shape);
  fill_normal(t, std);
  return register_parameter(std::move(name), t);
}

at::Tensor Model::constant_parameter(std::string name, at::IntArrayRef shape, double value) {
  at::Tensor t = empty_tensor(shape);
  t.fill_(value);
  return register_parameter(std::move(name), t);
}

at::Tensor Model::drawn_linear_weight(int64_t in, int64_t out, double std) {
  at::Tensor drawn = empty_tensor({in, out});  // (in, out)
  fill_normal(drawn, std);
  // (out, in): a transposed view of the (in, out) storage for kInOut, a contiguous copy for kOutIn
  if (weight_layout_ == WeightLayout::kInOut) return drawn.t();
  return empty_tensor({out, in}).copy_(drawn.t());
}

at::Tensor Model::linear_weight(std::string name, int64_t in, int64_t out, double std) {
  return register_parameter(std::move(name), drawn_linear_weight(in, out, std));  // (out, in)
}

at::Tensor Model::conv1d_weight(std::string name, int64_t in, int64_t out, double std) {
  return register_parameter(std::move(name), drawn_linear_weight(in, out, std).t());  // (in, out)
}

Linear Model::linear_parameters(const std::string& name, int64_t in, int64_t out, double std, bool bias) {
  Linear l;
  l.weight = linear_weight(name + ".weight", in, out, std);
  if (bias) l.bias = constant_parameter(name + ".bias", {out}, 0.0);
  return l;
}

Linear Model::fused_linear_parameters(const std::vector<LinearPart>& parts, int64_t in, double std, bool bias) {
  int64_t total = 0;
  for (const LinearPart& part : parts) total += part.out;
  // (sum of outs, in): each part's (out, in) weight one under another, contiguous for kOutIn, else a transposed
  // view of (in, sum of outs) storage with each part's (in, out) side by side
  at::Tensor weights =
      weight_layout_ == WeightLayout::kOutIn ? empty_tensor({total, in}) : empty_tensor({in, total}).t();
  at::Tensor biases = bias ? empty_tensor({total}).fill_(0.0) : at::Tensor();
  int64_t offset = 0;
  for (const LinearPart& part : parts) {
    at::Tensor drawn = empty_tensor({in, part.out});  // drawn as linear_weight() draws it: the same random stream
    fill_normal(drawn, std);
    at::Tensor slot = weights.narrow(0, offset, part.out);  // (out, in), a view
    slot.copy_(drawn.t());
    part.linear->weight = register_parameter(part.name + ".weight", slot);
    if (bias) part.linear->bias = register_parameter(part.name + ".bias", biases.narrow(0, offset, part.out));
    offset += part.out;
  }
  Linear whole;
  whole.weight = weights;  // (sum of outs, in)
  whole.bias = biases;
  return whole;
}

LayerNorm Model::layer_norm_parameters(const std::string& name, int64_t size, double eps) {
  LayerNorm n;
  n.weight = constant_parameter(name + ".weight", {size}, 1.0);
  n.bias = constant_parameter(name + ".bias", {size}, 0.0);
  n.eps = eps;
  return n;
}

at::Tensor Model::parameter(const std::string& name) const {
  for (const auto& p : parameters_) {
    if (p.name == name) return p.tensor;
  }
  return at::Tensor();
}

int64_t Model::parameter_count() const {
  int64_t n = 0;
  for (const auto& p : parameters_) n += p.tensor.numel();
  return n;
}

void Model::zero_grad() {
  for (auto& p : parameters_) p.tensor.mutable_grad() = at::Tensor();
}

void Model::check_inputs(const ModelInputs& in) const {
  const at::Tensor& ids = in.input_ids;
  if (!ids.defined()) throw_bad_input("input_ids is required");
  if (ids.scalar_type() != at::kLong) throw_bad_input(c10::str("input_ids must be int64, got ", ids.scalar_type()));
  if (ids.dim() != 2 || ids.size(0) < 1 || ids.size(1) < 1)
    throw_bad_input(c10::str("input_ids must have shape [batch, sequence] with both >= 1, got ", ids.sizes()));
  if (ids.size(1) > max_sequence_length())
    throw_bad_input(c10::str("sequence length ", ids.size(1), " exceeds the longest the position embeddings allow (",
                             max_sequence_length(), ")"));
  auto check_ids = [](const at::Tensor& t, const char* name, int64_t limit, const char* limit_name) {
    auto [lo, hi] = at::aminmax(t);
    int64_t min = lo.item<int64_t>(), max = hi.item<int64_t>();
    if (min < 0 || max >= limit)
      throw_bad_input(c10::str(name, " must lie in [0, ", limit_name, " = ", limit, "), got values in [", min, ", ",
                               max, "]"));
  };
  check_ids(ids, "input_ids", vocab_size(), "vocab_size");
  auto check_like_ids = [&](const at::Tensor& t, const char* name) {
    if (!t.defined()) return;
    if (t.scalar_type() != at::kLong) throw_bad_input(c10::str(name, " must be int64, got ", t.scalar_type()));
    if (t.sizes() != ids.sizes())
      throw_bad_input(c10::str(name, " must have the shape of input_ids ", ids.sizes(), ", got ", t.sizes()));
  };
  check_like_ids(in.attention_mask, "attention_mask");
  check_like_ids(in.token_type_ids, "token_type_ids");
  if (in.attention_mask.defined()) check_ids(in.attention_mask, "attention_mask", 2, "2");
  if (in.decoder_input_ids.defined()) {
    const at::Tensor& d = in.decoder_input_ids;
    if (!is_encoder_decoder()) throw_bad_input("decoder_input_ids were given but this model has no decoder");
    if (d.scalar_type() != at::kLong) throw_bad_input(c10::str("decoder_input_ids must be int64, got ", d.scalar_type()));
    if (d.dim() != 2 || d.size(0) != ids.size(0) || d.size(1) < 1)
      throw_bad_input(c10::str("decoder_input_ids must have shape [", ids.size(0), ", sequence >= 1], got ", d.sizes()));
    check_ids(d, "decoder_input_ids", vocab_size(), "vocab_size");
  }
}

namespace {

[[noreturn]] void cannot_generate() {
  throw_bad_input(
      "generate needs a model that decodes with an LM head (gpt2 or llama with head 'causal-lm', t5 with head "
      "'seq2seq-lm'); encoder-only models (bert, roberta, distilbert) cannot generate");
}

}  // namespace

void Model::check_generation(int64_t, int64_t) const { cannot_generate(); }
KvCache Model::make_kv_cache(int64_t, int64_t, int64_t) const { cannot_generate(); }
at::Tensor Model::prefill(const at::Tensor&, KvCache&) { cannot_generate(); }
at::Tensor Model::decode_step(const at::Tensor&, KvCache&) { cannot_generate(); }

namespace {

// Restores eval mode and drops gradients however run_model exits.
struct ResetAfterRun {
  Model& model;
  ~ResetAfterRun() {
    model.zero_grad();
    model.train(false);
  }
};

at::Tensor to_host_float(const at::Tensor& t) {
  return t.detach().to(at::kCPU, at::kFloat).contiguous();
}

}  // namespace

NamedTensors run_model(Model& model, const ModelInputs& inputs, const RunOptions& options) {
  if (!options.gradients.empty() && !options.loss) throw_bad_input("gradients need loss: true");
  if (options.loss && !model.has_loss())
    throw_bad_input("loss needs a model with an LM head (head 'masked-lm', 'causal-lm' or 'seq2seq-lm'); this model has none");
  for (const auto& name : options.gradients) {
    if (!model.parameter(name).defined()) throw_bad_input(c10::str("gradients: no parameter named '", name, "'"));
  }
  model.check_inputs(inputs);

  ResetAfterRun reset{model};
  model.zero_grad();
  model.train(options.train);
  NamedTensors result;
  auto add_outputs = [&](const ModelOutputs& out) {
    result.emplace_back("last_hidden_state", to_host_float(out.last_hidden_state));
    if (out.encoder_last_hidden_state.defined())
      result.emplace_back("encoder_last_hidden_state", to_host_float(out.encoder_last_hidden_state));
    if (out.pooler_output.defined()) result.emplace_back("pooler_output", to_host_float(out.pooler_output));
    if (out.logits.defined()) result.emplace_back("logits", to_host_float(out.logits));
  };

  if (!options.loss) {
    c10::InferenceMode inference;
    add_outputs(model.forward(inputs));
    return result;
  }
  c10::AutoGradMode grad_mode(!options.gradients.empty());
  ModelOutputs out = model.forward(inputs);
  at::Tensor loss = model.loss(out, inputs.input_ids);
  add_outputs(out);
  result.emplace_back("loss", to_host_float(loss));
  if (!options.gradients.empty()) {
    loss.backward();
    for (const auto& name : options.gradients) {
      at::Tensor p = model.parameter(name);
      at::Tensor g = p.grad().defined() ? p.grad() : at::zeros_like(p);  // unused in the loss: zero
      result.emplace_back("grad." + name, to_host_float(g));
    }
  }
  return result;
}

namespace {

// A dtype the device cannot multiply in is refused before anything is built: older CPU libtorch builds (1.13)
// have no float16 matrix multiply, and some GPUs or builds none in bfloat16. One tiny addmm in that dtype on
// that device says.
void check_dtype_supported(const BuildOptions& options) {
  if (options.dtype == at::kFloat) return;
  try {
    at::Tensor one = at::ones({1, 1}, at::TensorOptions().dtype(options.dtype).device(options.device));
    at::addmm(one, one, one);
  } catch (const c10::Error&) {
    const std::string dtype = options.dtype == at::kHalf ? "float16" : "bfloat16";
    const std::string where = options.device.is_cpu() ? std::string("CPU") : options.device.str();
    throw_bad_input(c10::str("dtype ", dtype, " is not supported on ", where, " by this libtorch (", TORCH_VERSION,
                             "): its matrix multiply has no ", dtype, " kernel there; use ",
                             options.device.is_cpu() ? "bfloat16 or float32, or a CUDA device" : "float32 or the other 16-bit type"));
  }
}

}  // namespace

std::shared_ptr<Model> build_model(const ModelBuilder& builder, const BuildOptions& options) {
  check_dtype_supported(options);
  return builder(options);
}

c10::Device parse_device(const std::string& text) {
  const std::string expected = "options.device must be 'cpu', 'cuda' or 'cuda:N'";
  bool well_formed = text == "cpu" || text == "cuda";
  if (!well_formed && text.rfind("cuda:", 0) == 0 && text.size() > 5 && text.size() < 9) {
    well_formed = text.find_first_not_of("0123456789", 5) == std::string::npos;
  }
  if (!well_formed) throw_bad_input(c10::str(expected, ", got '", text, "'"));
  if (text == "cpu") return c10::Device(c10::kCPU);
  const auto count = static_cast<int64_t>(torch::cuda::device_count());
  const int64_t index = text == "cuda" ? 0 : std::stoll(text.substr(5));
  require_cuda_build(text);
  if (count == 0)
    throw_no_cuda(c10::str("device '", text,
                           "' was asked but no CUDA device is visible (check nvidia-smi and CUDA_VISIBLE_DEVICES), "
                           "or use device 'cpu'"));
  if (index >= count)
    throw_no_cuda(c10::str("device '", text, "' was asked but only ", count, " CUDA device(s) are visible"));
  return c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(index));
}

double lowest_finite(c10::ScalarType dtype) {
  switch (dtype) {
    case at::kFloat: return std::numeric_limits<float>::lowest();
    case at::kDouble: return std::numeric_limits<double>::lowest();
    case at::kHalf: return -65504.0;
    case at::kBFloat16: return -3.3895313892515355e38;
    default: break;
  }
  TORCH_CHECK(false, "lowest_finite: not a floating dtype: ", dtype);
  return 0.0;
}

}  // namespace tfbench
