// The interface every model family implements (bert.cc, gpt2.cc, llama.cc, t5.cc; models/families.h reads their
// specs). No Node-API here: models take their family's spec and at::Tensors, so they can be driven from anywhere.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "models/layers.h"

namespace torch {
namespace optim {
class Optimizer;
}  // namespace optim
}  // namespace torch

namespace tfbench {

struct KvCache;  // models/generation.h

struct BuildOptions {
  c10::Device device{c10::kCPU};
  c10::ScalarType dtype = at::kFloat;
  uint64_t seed = 0;  // seeds the random initialisation
};

struct NamedParameter {
  std::string name;  // the Hugging Face checkpoint name, e.g. "bert.encoder.layer.0.attention.self.query.weight"
  at::Tensor tensor;  // a leaf that requires grad, on the model's device and dtype
};

struct ModelInputs {
  at::Tensor input_ids;       // int64 (B, T)
  at::Tensor attention_mask;  // int64 (B, T), 1 = attend, 0 = masked; undefined = attend everywhere
  at::Tensor token_type_ids;  // int64 (B, T); undefined = all zeros
  at::Tensor decoder_input_ids;  // int64 (B, T'), encoder-decoder models; undefined = input_ids
};

struct ModelOutputs {
  at::Tensor last_hidden_state;  // (B, T, H): the base model's output, before any head (T5: the decoder's)
  at::Tensor encoder_last_hidden_state;  // (B, T, H): encoder-decoder models' encoder output, else undefined
  at::Tensor pooler_output;      // (B, H) when the model has a pooler, else undefined
  at::Tensor logits;             // (B, T, V) when the model has an LM head, else undefined
};

class Model {
 public:
  virtual ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  // One forward pass. Runs with whatever autograd state the caller set (InferenceMode for inference);
  // when no gradient is being recorded, element-wise steps run in place.
  virtual ModelOutputs forward(const ModelInputs& inputs) = 0;
  // The LM loss for labels = input_ids (masked LM and seq2seq LM: mean cross-entropy over all positions;
  // causal LM: shifted by one).
  virtual at::Tensor loss(const ModelOutputs& outputs, const at::Tensor& labels) = 0;
  virtual bool has_loss() const = 0;
  // Takes decoder_input_ids (T5); other models refuse them.
  virtual bool is_encoder_decoder() const { return false; }
  virtual int64_t vocab_size() const = 0;
  virtual int64_t max_sequence_length() const = 0;
  // Throws BAD_INPUT when inputs do not fit the model (shapes, dtypes, id ranges, sequence length).
  virtual void check_inputs(const ModelInputs& inputs) const;
  // Greedy generation with a static KV cache (models/generation.h runs the loop); the families that generate
  // override these, the defaults refuse with BAD_INPUT. Called in eval mode with no autograd (InferenceMode).
  // Throws BAD_INPUT unless this model can generate `new_tokens` (N >= 1) tokens after a prompt of
  // `prompt_length` (S) tokens: it decodes with an LM head, and S + N positions are within its positions.
  virtual void check_generation(int64_t prompt_length, int64_t new_tokens) const;
  // The static cache of one generate call: every tensor allocated here, once, for every position it will feed.
  virtual KvCache make_kv_cache(int64_t batch, int64_t prompt_length, int64_t new_tokens) const;
  // Runs the prompt (B, S) into the empty `cache` (T5: the encoder, the cross-attention keys and values, and the
  // decoder's first position); returns the logits (B, V) of the first new token.
  virtual at::Tensor prefill(const at::Tensor& prompt_ids, KvCache& cache);
  // Feeds token_ids (B, 1) at the next position, writing its keys and values into `cache`; returns the logits
  // (B, V) of the token after it.
  virtual at::Tensor decode_step(const at::Tensor& token_ids, KvCache& cache);
  // What precedes the new tokens in generate()'s output: decoders' prompt (B, S); T5's decoder_start_token_id.
  virtual at::Tensor generation_prefix(const at::Tensor& prompt_ids) const { return prompt_ids; }
  // Maps another name a checkpoint may use for a parameter (e.g. a tied decoder weight) to the name in
  // parameters(); returns the name unchanged when it has no alias.
  virtual std::string canonical_name(const std::string& name) const { return name; }

  const std::vector<NamedParameter>& parameters() const { return parameters_; }
  // The parameter called `name`, or an undefined tensor.
  at::Tensor parameter(const std::string& name) const;
  int64_t parameter_count() const;
  const BuildOptions& options() const { return options_; }
  void train(bool on) { training_ = on; }
  bool is_training() const { return training_; }
  // Breakdown: while set, forward() calls `probe` with each module's name as that module finishes:
  // "embeddings", "layer.N" (T5: "encoder.layer.N", "decoder.embeddings", "decoder.layer.N"), "head" (final
  // norm, pooler and LM head). Unset (the default), probing costs one branch per module.
  using Probe = std::function<void(const std::string& module)>;
  void set_probe(Probe probe) { probe_ = std::move(probe); }

  // Drops every parameter's gradient (PyTorch's zero_grad(set_to_none=True)).
  void zero_grad();
  // The AdamW optimizer over every parameter (torch defaults but lr 5e-5, Hugging Face Trainer's default),
  // made on first use and kept with the model, so its state (two moments per parameter) lives on between
  // measurement blocks as it does in a training loop.
  torch::optim::Optimizer& optimizer();

 protected:
  explicit Model(const BuildOptions& options);

  // Parameters are made directly on options.device in options.dtype and initialised in place, as
  // Hugging Face's _init_weights does, from a generator seeded with options.seed.
  at::Tensor normal_parameter(std::string name, at::IntArrayRef shape, double std);
  at::Tensor constant_parameter(std::string name, at::IntArrayRef shape, double value);
  // `name`.weight = 1 and `name`.bias = 0, both (size): a LayerNorm as Hugging Face initialises it.
  LayerNorm layer_norm_parameters(const std::string& name, int64_t size, double eps);
  // How linear_weight(), conv1d_weight() and fused_linear_parameters() lay a weight out in memory.
  //   kInOut (the default): weight.t() contiguous, so products over many rows are BLAS "NN" GEMMs, which OpenBLAS
  //     runs faster than "NT" for short inputs (up to ~30% for BERT's (B*T, I) x (I, H) output projection at
  //     B*T = 64) and, in our measurements, never slower.
  //   kOutIn, as checkpoints store nn.Linear: each output's weights are one contiguous row, which streaming_linear
  //     reads front to back once per decode step (batch 1, against BLAS's GEMV over (in, out) weights, alternating
  //     runs: 6-28% less time per token for GPT-2 and Qwen2.5-0.5B; batch 8: 5% less for GPT-2, where the GEMM
  //     packed each weight); a prefill's GEMMs are then "NT", within 0-4% of "NN" at 128 rows. CausalDecoder sets it.
  enum class WeightLayout { kInOut, kOutIn };
  WeightLayout weight_layout_ = WeightLayout::kInOut;
  // A Linear's weight, (out, in) as checkpoints name it, stored as weight_layout_ says. Drawn in (in, out) order
  // in either layout, so a seed gives the same weights.
  at::Tensor linear_weight(std::string name, int64_t in, int64_t out, double std);
  // GPT-2's Conv1D weight, (in, out) as checkpoints name it: the transpose of a linear_weight(), stored alike.
  at::Tensor conv1d_weight(std::string name, int64_t in, int64_t out, double std);
  // `name`.weight from linear_weight() and, when `bias`, `name`.bias = 0 (out).
  Linear linear_parameters(const std::string& name, int64_t in, int64_t out, double std, bool bias);
  // Linears over the same input whose weights (and biases) lie side by side in one storage (weight_layout_):
  // each part's `name`.weight (and .bias) is drawn and registered as linear_parameters() would, in order, and set
  // into *part.linear as a view of that storage. Returns the whole (sum of outs, in) Linear: where no gradient is
  // recorded, one product computes every part (decoding one token, one GEMV instead of several small ones).
  struct LinearPart {
    std::string name;
    int64_t out;
    Linear* linear;
  };
  Linear fused_linear_parameters(const std::vector<LinearPart>& parts, int64_t in, double std, bool bias);
  at::Tensor empty_tensor(at::IntArrayRef shape) const;
  // Registers `tensor` (detached, then requires_grad) under `name`; returns the registered tensor.
  at::Tensor register_parameter(std::string name, const at::Tensor& tensor);
  // Fills in place from the model's seeded generator.
  void fill_normal(at::Tensor& tensor, double std);

  // Calls the probe, if any, for `module` (with ".index" appended when index >= 0).
  void probe(const char* module, int64_t index = -1) const {
    if (probe_) probe_(index < 0 ? std::string(module) : c10::str(module, ".", index));
  }

  BuildOptions options_;
  bool training_ = false;
  Probe probe_;

 private:
  // A Linear's (out, in) weight drawn from the model's generator in (in, out) order, stored as weight_layout_ says;
  // not registered.
  at::Tensor drawn_linear_weight(int64_t in, int64_t out, double std);

  std::vector<NamedParameter> parameters_;
  at::Generator generator_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
};

struct RunOptions {
  bool train = false;
  bool loss = false;
  std::vector<std::string> gradients;  // parameter names; needs loss
};

// Named float32 CPU tensors: last_hidden_state, pooler_output, logits, loss, grad.<name>.
using NamedTensors = std::vector<std::pair<std::string, at::Tensor>>;

// One call on given inputs (already on the model's device): eval mode unless options.train; autograd only
// when gradients are asked. Leaves the model in eval mode with no gradients.
NamedTensors run_model(Model& model, const ModelInputs& inputs, const RunOptions& options);

// A family's checked spec bound to its model's constructor (made by the family's reader, models/families.h).
using ModelBuilder = std::function<std::shared_ptr<Model>(const BuildOptions& options)>;

// Builds with `builder` once the device is known to multiply in options.dtype (BAD_INPUT if it cannot).
std::shared_ptr<Model> build_model(const ModelBuilder& builder, const BuildOptions& options);

// 'cpu', 'cuda' or 'cuda:N'. Throws BAD_INPUT for anything else and NO_CUDA when the device is absent.
c10::Device parse_device(const std::string& device);

// The lowest finite value of a floating dtype (torch.finfo(dtype).min): the additive attention mask.
double lowest_finite(c10::ScalarType dtype);

}  // namespace tfbench
