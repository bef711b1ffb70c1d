// GPT-2: the same math as Hugging Face transformers' modeling_gpt2.py (eager attention), with parameters named
// as in GPT-2 checkpoints so safetensors weights load by name:
//   GPT2Model        wte, wpe, h.N.{ln_1, attn.c_attn, attn.c_proj, ln_2, mlp.c_fc, mlp.c_proj}, ln_f
//   GPT2LMHeadModel  transformer.<the above>, lm_head.weight (only when tie_word_embeddings is false; else wte)
// Blocks are pre-LayerNorm: x = x + attn(ln_1(x)); x = x + mlp(ln_2(x)); the output is ln_f(x). Attention is
// causal (plus the attention_mask when given), scores divided by sqrt(hs) (scale_attn_weights) and by
// layer_idx + 1 (scale_attn_by_inverse_layer_idx). Linear layers are GPT-2's Conv1D: the weight is named
// (in, out) and y = x · W + b; it is stored transposed, (out, in), as every causal decoder's (Model::WeightLayout).
//
// Generation (models/generation.h): the static cache holds every layer's keys and values for S + N positions;
// a cached forward embeds its tokens at their absolute positions P … P + T - 1 (wpe rows) and attends over the
// cached positions 0 … P + T - 1.
//
// Hidden states travel as (B*T, H) matrices. Shapes: B batch, T sequence, H hidden, nh heads, hs = H / nh,
// I inner (n_inner), V vocabulary.
#include <cmath>

#include "errors.h"
#include "models/attention.h"
#include "models/decoder.h"
#include "models/families.h"
#include "models/layers.h"

namespace tfbench {
namespace {

// The spec object's fields (Gpt2Spec in packages/core/src/models/families/gpt2.ts): GPT2Config's, under the
// BERT names of its attribute_map (hidden_size = n_embd, num_hidden_layers = n_layer, ...).
struct Gpt2Spec : CommonSpec {  // intermediate_size: n_inner; hidden_act: activation_function
  std::string head;  // "base" (GPT2Model) | "causal-lm" (GPT2LMHeadModel)
  int64_t max_position_embeddings;
  double layer_norm_eps;
  bool scale_attn_weights;               // divide the attention scores by sqrt(head size)
  bool scale_attn_by_inverse_layer_idx;  // and by layer_idx + 1
  double embd_pdrop;   // dropout after the embeddings
  double attn_pdrop;   // on the attention probabilities
  double resid_pdrop;  // after each residual branch
  double initializer_range;
};

Gpt2Spec read_spec(const SpecReader& r) {
  Gpt2Spec s;
  static_cast<CommonSpec&>(s) = read_common_spec(r);
  s.head = r.one_of("head", {"base", "causal-lm"});
  s.max_position_embeddings = r.integer("max_position_embeddings", 1);
  s.layer_norm_eps = r.number("layer_norm_eps", 0.0);
  s.initializer_range = r.number("initializer_range", 0.0);
  s.scale_attn_weights = r.boolean("scale_attn_weights");
  s.scale_attn_by_inverse_layer_idx = r.boolean("scale_attn_by_inverse_layer_idx");
  s.embd_pdrop = r.number("embd_pdrop", 0.0);
  s.attn_pdrop = r.number("attn_pdrop", 0.0);
  s.resid_pdrop = r.number("resid_pdrop", 0.0);

  if (s.hidden_size % s.num_attention_heads != 0)
    throw_bad_spec(c10::str("spec.hidden_size (", s.hidden_size, ") must be a multiple of spec.num_attention_heads (",
                            s.num_attention_heads, ")"));
  if (s.layer_norm_eps <= 0.0) throw_bad_spec(c10::str("spec.layer_norm_eps must be > 0, got ", s.layer_norm_eps));
  check_probability("embd_pdrop", s.embd_pdrop);
  check_probability("attn_pdrop", s.attn_pdrop);
  check_probability("resid_pdrop", s.resid_pdrop);
  return s;
}

struct Conv1D {
  at::Tensor weight;  // (in, out), stored (out, in) (Model::WeightLayout)
  at::Tensor bias;    // (out)

  at::Tensor operator()(const at::Tensor& x) const { return affine(x, weight.t(), bias); }  // (N, in) -> (N, out)
};

struct Block {
  LayerNorm ln_1;
  Conv1D c_attn;  // (H, 3H): query, key, value side by side
  Conv1D attn_proj;
  LayerNorm ln_2;
  Conv1D c_fc;  // (H, I)
  Conv1D mlp_proj;  // (I, H)
  double divisor = 1.0;  // what the attention scores are divided by
};

class Gpt2 final : public CausalDecoder {
 public:
  Gpt2(const Gpt2Spec& spec, const BuildOptions& options);

  ModelOutputs forward(const ModelInputs& inputs) override;
  int64_t vocab_size() const override { return spec_.vocab_size; }
  int64_t max_sequence_length() const override { return spec_.max_position_embeddings; }
  void check_inputs(const ModelInputs& inputs) const override;
  std::string canonical_name(const std::string& name) const override;
  KvCache make_kv_cache(int64_t batch, int64_t prompt_length, int64_t new_tokens) const override;

 protected:
  at::Tensor extend(const at::Tensor& ids, KvCache& cache) override;

 private:
  Conv1D conv1d(const std::string& name, int64_t in, int64_t out, double std);
  LayerNorm layer_norm(const std::string& name, int64_t size) {
    return layer_norm_parameters(name, size, spec_.layer_norm_eps);
  }
  at::Tensor attention(const Block& b, const at::Tensor& x, const at::Tensor& mask, int64_t B, int64_t T);
  // Attention of x (B*T, H) at positions [P, P + T) over the cache, after writing its keys and values into
  // layer `layer`'s slots; returns (B*T, H).
  at::Tensor cached_attention(size_t layer, const Block& b, const at::Tensor& x, KvCache& cache, int64_t B, int64_t T);

  Gpt2Spec spec_;
  Activation act_;
  std::string prefix_;  // "transformer." for GPT2LMHeadModel, "" for GPT2Model

  at::Tensor wte_;  // (V, H)
  at::Tensor wpe_;  // (max_position_embeddings, H)
  std::vector<Block> blocks_;
  LayerNorm ln_f_;
};

Conv1D Gpt2::conv1d(const std::string& name, int64_t in, int64_t out, double std) {
  Conv1D c;
  c.weight = conv1d_weight(name + ".weight", in, out, std);
  c.bias = constant_parameter(name + ".bias", {out}, 0.0);
  return c;
}

Gpt2::Gpt2(const Gpt2Spec& spec, const BuildOptions& options)
    : CausalDecoder(options, "gpt2", spec.head),
      spec_(spec),
      act_(spec.hidden_act),
      prefix_(causal_lm_ ? "transformer." : "") {
  const int64_t H = spec.hidden_size, I = spec.intermediate_size, V = spec.vocab_size;
  const int64_t nh = spec.num_attention_heads, hs = H / nh;
  const double std = spec.initializer_range;
  // Hugging Face scales the residual projections' init by 1 / sqrt(2 · n_layer)
  const double proj_std = std / std::sqrt(2.0 * static_cast<double>(std::max<int64_t>(spec.num_hidden_layers, 1)));

  wte_ = normal_parameter(prefix_ + "wte.weight", {V, H}, std);
  wpe_ = normal_parameter(prefix_ + "wpe.weight", {spec.max_position_embeddings, H}, std);
  blocks_.reserve(spec.num_hidden_layers);
  for (int64_t i = 0; i < spec.num_hidden_layers; ++i) {
    const std::string p = c10::str(prefix_, "h.", i, ".");
    Block b;
    b.ln_1 = layer_norm(p + "ln_1", H);
    b.c_attn = conv1d(p + "attn.c_attn", H, 3 * H, std);
    b.attn_proj = conv1d(p + "attn.c_proj", H, H, proj_std);
    b.ln_2 = layer_norm(p + "ln_2", H);
    b.c_fc = conv1d(p + "mlp.c_fc", H, I, std);
    b.mlp_proj = conv1d(p + "mlp.c_proj", I, H, proj_std);
    b.divisor = spec.scale_attn_weights ? std::sqrt(static_cast<double>(hs)) : 1.0;
    if (spec.scale_attn_by_inverse_layer_idx) b.divisor *= static_cast<double>(i + 1);
    blocks_.push_back(std::move(b));
  }
  ln_f_ = layer_norm(prefix_ + "ln_f", H);
  make_lm_head(wte_, spec.tie_word_embeddings, std);
}

std::string Gpt2::canonical_name(const std::string& name) const {
  // A checkpoint may store the tied lm_head.weight too: it is wte.
  if (causal_lm_ && spec_.tie_word_embeddings && name == "lm_head.weight") return prefix_ + "wte.weight";
  return name;
}

void Gpt2::check_inputs(const ModelInputs& inputs) const {
  Model::check_inputs(inputs);
  if (inputs.token_type_ids.defined())
    throw_bad_input("token_type_ids were given but tfbench's gpt2 model takes none");
}

// softmax(q k^T / divisor + mask) v for every head, mask causal (+ padding); returns (B*T, H).
at::Tensor Gpt2::attention(const Block& b, const at::Tensor& x, const at::Tensor& mask, int64_t B, int64_t T) {
  const int64_t H = spec_.hidden_size, nh = spec_.num_attention_heads, hs = H / nh;
  at::Tensor qkv = b.c_attn(x).view({B, T, 3, nh, hs});  // (B, T, 3, nh, hs)
  at::Tensor q = qkv.select(2, 0).transpose(1, 2);        // (B, nh, T, hs), strided
  at::Tensor k = qkv.select(2, 1).transpose(1, 2);
  at::Tensor v = qkv.select(2, 2).transpose(1, 2);
  if (!at::GradMode::is_enabled() && !is_training()) {
    at::Tensor context = at::empty({B * T, H}, x.options());                  // (B*T, H)
    at::Tensor context_heads = context.view({B, T, nh, hs}).transpose(1, 2);  // (B, nh, T, hs), strided
    scaled_dot_product_attention(q, k, v, mask, ScoreRule{b.divisor}, context_heads);
    return context;
  }
  at::Tensor scores = at::matmul(q, k.transpose(2, 3)).div(b.divisor).add(mask);  // (B, nh, T, T)
  at::Tensor probs = at::dropout(at::softmax(scores, -1), spec_.attn_pdrop, is_training());
  at::Tensor context = at::matmul(probs, v);                          // (B, nh, T, hs)
  return context.transpose(1, 2).reshape({B * T, H});                // (B*T, H)
}

ModelOutputs Gpt2::forward(const ModelInputs& in) {
  const at::Tensor& ids = in.input_ids;  // (B, T)
  TORCH_CHECK(ids.dim() == 2, "input_ids must be (batch, sequence), got ", ids.sizes());
  const int64_t B = ids.size(0), T = ids.size(1), H = spec_.hidden_size;

  at::Tensor x = at::embedding(wte_, ids.reshape({B * T}));  // (B*T, H)
  x = x.view({B, T, H}).add(wpe_.narrow(0, 0, T)).view({B * T, H});
  x = at::dropout(x, spec_.embd_pdrop, is_training());
  probe("embeddings");

  // Additive mask: the dtype's lowest finite value above the diagonal (future positions), plus
  // (1 - attention_mask) · lowest where a mask is given, as Hugging Face adds it after the causal fill.
  const double lowest = lowest_finite(x.scalar_type());
  at::Tensor mask = at::ones({T, T}, x.options()).triu_(1).mul_(lowest).view({1, 1, T, T});  // (1, 1, T, T)
  if (in.attention_mask.defined()) {
    at::Tensor pad = at::rsub(in.attention_mask.to(x.scalar_type()), 1.0).mul_(lowest).view({B, 1, 1, T});
    mask = mask.add(pad);  // (B, 1, T, T)
  }

  const double p = spec_.resid_pdrop;
  for (size_t i = 0; i < blocks_.size(); ++i) {
    const Block& b = blocks_[i];
    at::Tensor a = b.attn_proj(attention(b, b.ln_1(x), mask, B, T));  // (B*T, H)
    x = at::dropout(a, p, is_training()).add(x);
    at::Tensor f = b.mlp_proj(activate(act_, b.c_fc(b.ln_2(x))));  // (B*T, H)
    x = at::dropout(f, p, is_training()).add(x);
    probe("layer", static_cast<int64_t>(i));
  }
  x = ln_f_(x);

  return outputs(x, B, T);
}

KvCache Gpt2::make_kv_cache(int64_t batch, int64_t prompt_length, int64_t new_tokens) const {
  const int64_t nh = spec_.num_attention_heads, hs = spec_.hidden_size / nh;
  return allocate_kv_cache(spec_.num_hidden_layers, batch, nh, prompt_length + new_tokens, hs, wte_.options());
}

at::Tensor Gpt2::cached_attention(size_t layer, const Block& b, const at::Tensor& x, KvCache& cache, int64_t B,
                                  int64_t T) {
  const int64_t H = spec_.hidden_size, nh = spec_.num_attention_heads, hs = H / nh;
  at::Tensor qkv = b.c_attn(x).view({B, T, 3, nh, hs});  // (B, T, 3, nh, hs)
  auto [keys, values] = cache.write(layer, qkv.select(2, 1), qkv.select(2, 2));  // (B, nh, L, hs)
  at::Tensor q = qkv.select(2, 0).transpose(1, 2);                                  // (B, nh, T, hs), strided
  // One query sees every cached key; a longer run of queries needs the causal mask.
  const at::Tensor mask = T > 1 ? cached_causal_mask(T, cache.length, /*window=*/0, x.options()) : at::Tensor();
  at::Tensor context = at::empty({B * T, H}, x.options());                  // (B*T, H)
  at::Tensor context_heads = context.view({B, T, nh, hs}).transpose(1, 2);  // (B, nh, T, hs), strided
  scaled_dot_product_attention(q, keys, values, mask, ScoreRule{b.divisor}, context_heads);
  return context;
}

at::Tensor Gpt2::extend(const at::Tensor& ids, KvCache& cache) {
  const int64_t B = ids.size(0), T = ids.size(1), H = spec_.hidden_size, P = cache.length;
  at::Tensor x = at::embedding(wte_, ids.reshape({B * T}));                     // (B*T, H)
  x = x.view({B, T, H}).add(wpe_.narrow(0, P, T)).view({B * T, H});  // positions P … P + T - 1
  for (size_t i = 0; i < blocks_.size(); ++i) {
    const Block& b = blocks_[i];
    x = b.attn_proj(cached_attention(i, b, b.ln_1(x), cache, B, T)).add_(x);
    x = b.mlp_proj(activate(act_, b.c_fc(b.ln_2(x)))).add_(x);
  }
  cache.advance(T);
  return next_token_logits(ln_f_(last_position(x, B, T)));  // (B, V)
}

}  // namespace

ModelBuilder read_gpt2_spec(const SpecReader& reader) {
  Gpt2Spec spec = read_spec(reader);
  return [spec](const BuildOptions& options) { return std::make_shared<Gpt2>(spec, options); };
}

}  // namespace tfbench
