// LLaMA-shaped decoders: the same math as Hugging Face transformers' modeling_llama.py (and Mistral's and
// Qwen2's, which differ only in config flags), eager attention, with parameters named as in their checkpoints
// so safetensors weights load by name:
//   LlamaModel        embed_tokens, layers.N.{self_attn.{q,k,v,o}_proj, mlp.{gate,up,down}_proj,
//                     input_layernorm, post_attention_layernorm}, norm
//   LlamaForCausalLM  model.<the above>, lm_head.weight (only when tie_word_embeddings is false)
// Blocks are pre-norm: x = x + attn(rms_1(x)); x = x + down(act(gate(rms_2(x))) * up(rms_2(x))); the output is
// norm(x). Attention is causal (plus the attention_mask when given) with rotary position embeddings on queries
// and keys (positions 0 … T-1, base rope_theta, Hugging Face's rotate_half layout: the first and second halves
// of each head are the pairs; rope_scaling as modeling_rope_utils.py computes it), scores divided by
// sqrt(head_dim), the softmax in float32, and grouped-query attention: query head h reads key/value head
// h / (num_attention_heads / num_key_value_heads). A sliding window (Mistral: every layer; Qwen2: layers
// max_window_layers and up) also hides keys sliding_window or more positions back. Biases by flags: q/k/v
// (attention_bias: LLaMA's attention_bias, Qwen2 always), o (LLaMA's attention_bias only), MLP (mlp_bias).
//
// Generation (models/generation.h): the static cache holds every layer's rotated keys and values of the nkv
// key/value heads for S + N positions. A cached forward rotates its queries and keys at their positions P … P + T
// - 1 and attends over the cached positions 0 … P + T - 1 (a sliding layer over the last sliding_window of them).
// A decode step's nh / nkv query heads of a key/value head become that head's rows of queries, so grouped-query
// attention reads the cache as it is, with no copy per query head.
//
// Hidden states travel as (B*T, H) matrices. Shapes: B batch, T sequence, H hidden, nh query heads, nkv
// key/value heads, hd head_dim (nh * hd need not equal H), I intermediate, V vocabulary.
#include <algorithm>
#include <cmath>
#include <limits>
#include <tuple>

#include <ATen/Parallel.h>

#include "errors.h"
#include "models/attention.h"
#include "models/decoder.h"
#include "models/families.h"
#include "models/layers.h"

namespace tfbench {
namespace {

// The spec object's fields (LlamaSpec in packages/core/src/models/families/llama.ts), named as in LlamaConfig.
struct LlamaSpec : CommonSpec {  // hidden_act: the gate's, act(gate_proj x) * up_proj x
  std::string head;  // "base" (LlamaModel, MistralModel, Qwen2Model) | "causal-lm" (*ForCausalLM)
  int64_t num_key_value_heads;  // grouped-query attention: divides num_attention_heads
  int64_t head_dim;             // per-head size, even; num_attention_heads * head_dim need not be hidden_size
  int64_t max_position_embeddings;
  double rms_norm_eps;
  double rope_theta;                  // rotary base
  std::string rope_type;              // rope_scaling: "default" | "linear" | "llama3" | "dynamic" | "yarn"
  double rope_factor;                 // all but "default"
  double rope_low_freq_factor;        // "llama3" only, as the next
  double rope_high_freq_factor;
  double rope_original_max_position_embeddings;  // "llama3" and "yarn"
  double rope_attention_factor;       // "yarn": cos and sin times this (1 otherwise)
  double rope_beta_fast;              // "yarn": the ramp's ends, in rotations over the original context
  double rope_beta_slow;
  bool rope_truncate;                 // "yarn": the ramp's ends rounded outwards to whole dimensions
  int64_t sliding_window;       // attend to the last sliding_window keys only; 0 = all
  int64_t first_sliding_layer;  // the window applies to layers first_sliding_layer and up
  bool attention_bias;         // q/k/v projections have biases (LLaMA's attention_bias, Qwen2)
  bool attention_output_bias;  // o_proj has a bias (LLaMA's attention_bias; not Qwen2)
  bool mlp_bias;               // gate/up/down projections have biases
  double attention_dropout;    // on the attention probabilities
  double initializer_range;
  int64_t pad_token_id;  // embed_tokens' padding_idx; -1 for none
};

LlamaSpec read_spec(const SpecReader& r) {
  LlamaSpec s;
  static_cast<CommonSpec&>(s) = read_common_spec(r);
  s.head = r.one_of("head", {"base", "causal-lm"});
  s.max_position_embeddings = r.integer("max_position_embeddings", 1);
  s.initializer_range = r.number("initializer_range", 0.0);
  s.head_dim = r.integer("head_dim", 2);
  s.num_key_value_heads = r.integer("num_key_value_heads", 1);
  s.rope_theta = r.number("rope_theta", 0.0);
  s.rms_norm_eps = r.number("rms_norm_eps", 0.0);
  s.rope_type = r.one_of("rope_type", {"default", "linear", "llama3", "dynamic", "yarn"});
  s.rope_factor = r.number("rope_factor", 0.0);
  s.rope_low_freq_factor = r.number("rope_low_freq_factor", 0.0);
  s.rope_high_freq_factor = r.number("rope_high_freq_factor", 0.0);
  s.rope_original_max_position_embeddings = r.number("rope_original_max_position_embeddings", 0.0);
  s.rope_attention_factor = r.number("rope_attention_factor", 0.0);
  s.rope_beta_fast = r.number("rope_beta_fast", 0.0);
  s.rope_beta_slow = r.number("rope_beta_slow", 0.0);
  s.rope_truncate = r.boolean("rope_truncate");
  s.sliding_window = r.integer("sliding_window", 0);
  s.first_sliding_layer = r.integer("first_sliding_layer", 0);
  s.pad_token_id = r.integer("pad_token_id", -1);
  s.attention_bias = r.boolean("attention_bias");
  s.attention_output_bias = r.boolean("attention_output_bias");
  s.mlp_bias = r.boolean("mlp_bias");
  s.attention_dropout = r.number("attention_dropout", 0.0);

  if (s.head_dim % 2 != 0)
    throw_bad_spec(c10::str("spec.head_dim must be even for rotary position embeddings, got ", s.head_dim));
  if (s.num_attention_heads % s.num_key_value_heads != 0)
    throw_bad_spec(c10::str("spec.num_attention_heads (", s.num_attention_heads,
                            ") must be a multiple of spec.num_key_value_heads (", s.num_key_value_heads, ")"));
  if (s.rope_theta <= 0.0 || s.rms_norm_eps <= 0.0 || s.rope_factor <= 0.0 || s.rope_low_freq_factor <= 0.0 ||
      s.rope_original_max_position_embeddings <= 0.0 || s.rope_attention_factor <= 0.0 || s.rope_beta_fast <= 0.0 ||
      s.rope_beta_slow <= 0.0)
    throw_bad_spec("spec.rope_theta, rms_norm_eps, rope_factor, rope_low_freq_factor, "
                   "rope_original_max_position_embeddings, rope_attention_factor, rope_beta_fast and rope_beta_slow "
                   "must be > 0");
  if (s.rope_type == "dynamic" && s.head_dim <= 2)
    throw_bad_spec(c10::str("spec.head_dim must exceed 2 for dynamic rotary scaling, got ", s.head_dim));
  if (s.rope_type == "llama3" && s.rope_high_freq_factor <= s.rope_low_freq_factor)
    throw_bad_spec("spec.rope_high_freq_factor must exceed spec.rope_low_freq_factor");
  check_probability("attention_dropout", s.attention_dropout);
  if (s.pad_token_id >= s.vocab_size)
    throw_bad_spec(c10::str("spec.pad_token_id (", s.pad_token_id, ") must be < spec.vocab_size (", s.vocab_size, ")"));
  return s;
}

struct Layer {
  Linear q_proj, k_proj, v_proj, o_proj;  // (nh*hd, H), (nkv*hd, H) ×2, (H, nh*hd)
  Linear gate_proj, up_proj, down_proj;   // (I, H) ×2, (H, I)
  RmsNorm input_layernorm, post_attention_layernorm;
  // The weights above side by side (those parameters are views of these), for one product where no gradient is
  // recorded: q, k, v ((nh + 2·nkv)·hd, H) and gate, up (2I, H).
  Linear qkv_proj, gate_up_proj;
};

class Llama final : public CausalDecoder {
 public:
  Llama(const LlamaSpec& spec, const BuildOptions& options);

  ModelOutputs forward(const ModelInputs& inputs) override;
  int64_t vocab_size() const override { return spec_.vocab_size; }
  // Dynamic NTK scaling exists to run past max_position_embeddings; the other rotary types stop there.
  int64_t max_sequence_length() const override {
    return spec_.rope_type == "dynamic" ? std::numeric_limits<int32_t>::max() : spec_.max_position_embeddings;
  }
  void check_inputs(const ModelInputs& inputs) const override;
  std::string canonical_name(const std::string& name) const override;
  KvCache make_kv_cache(int64_t batch, int64_t prompt_length, int64_t new_tokens) const override;

 protected:
  at::Tensor extend(const at::Tensor& ids, KvCache& cache) override;

 private:
  Linear linear(const std::string& name, int64_t in, int64_t out, bool bias) {
    return linear_parameters(name, in, out, spec_.initializer_range, bias);
  }
  RmsNorm rms_norm(const std::string& name) {
    return RmsNorm{constant_parameter(name + ".weight", {spec_.hidden_size}, 1.0), spec_.rms_norm_eps};
  }
  // Where no gradient is recorded (inference, generation), q, k and v come from one product and the gate and up
  // projections from another.
  bool fused() const { return !at::GradMode::is_enabled() && !is_training(); }
  // Queries and keys of x (B*T, H) rotated by cos and sin, and values: (B, T, nh, hd), (B, T, nkv, hd) ×2, views.
  std::tuple<at::Tensor, at::Tensor, at::Tensor> rotated_qkv(const Layer& l, const at::Tensor& x, const at::Tensor& cos,
                                                             const at::Tensor& sin, int64_t B, int64_t T) const;
  // down(act(gate(h)) · up(h)): (B*T, H) -> (B*T, H)
  at::Tensor mlp(const Layer& l, const at::Tensor& h) const;
  // cos and sin (1, T, 1, hd) in `dtype` for positions [P, P + T) of a forward whose last position is P + T - 1.
  std::pair<at::Tensor, at::Tensor> rotary_tables(int64_t P, int64_t T, c10::ScalarType dtype) const;
  // (B*T, H) -> (B*T, H)
  at::Tensor attention(const Layer& l, const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin,
                       const at::Tensor& mask, int64_t B, int64_t T);
  // Attention of x (B*T, H) at positions [P, P + T) over the cache, after writing its keys and values into layer
  // `layer`'s slots; returns (B*T, H).
  at::Tensor cached_attention(size_t layer, const Layer& l, const at::Tensor& x, const at::Tensor& cos,
                              const at::Tensor& sin, KvCache& cache, int64_t B, int64_t T);
  // Layer `layer` hides keys sliding_window or more positions back.
  bool is_sliding(size_t layer) const {
    return spec_.sliding_window > 0 && static_cast<int64_t>(layer) >= spec_.first_sliding_layer;
  }

  LlamaSpec spec_;
  Activation act_;
  std::string prefix_;  // "model." for *ForCausalLM, "" for the base model

  at::Tensor embed_tokens_;  // (V, H)
  std::vector<Layer> layers_;
  RmsNorm norm_;
  at::Tensor inv_freq_;  // (hd/2) float32: the rotary frequencies, rope_scaling applied (dynamic: up to M)
};

// inv_freq[j] = 1 / theta^(2j / hd), (hd/2) float32 on `device`.
at::Tensor plain_frequencies(double theta, int64_t hd, const c10::Device& device) {
  const auto f32 = at::TensorOptions().dtype(at::kFloat).device(device);
  return at::pow(theta, at::arange(0, hd, 2, f32.dtype(at::kLong)).to(at::kFloat) / static_cast<double>(hd))
      .reciprocal();
}

// YaRN: the frequencies that turn more than beta_fast times over the original context are kept, those that turn
// fewer than beta_slow times are divided by factor, and a linear ramp over the dimension index blends the two
// in between.
at::Tensor yarn_frequencies(const LlamaSpec& s, const c10::Device& device) {
  const double dim = static_cast<double>(s.head_dim), original = s.rope_original_max_position_embeddings;
  // The (fractional) dimension index whose frequency turns `rotations` times over the original context.
  auto correction_dim = [&](double rotations) {
    return dim * std::log(original / (rotations * 2 * M_PI)) / (2 * std::log(s.rope_theta));
  };
  double low = correction_dim(s.rope_beta_fast), high = correction_dim(s.rope_beta_slow);
  if (s.rope_truncate) low = std::floor(low), high = std::ceil(high);
  low = std::max(low, 0.0), high = std::min(high, dim - 1);
  if (low == high) high += 0.001;  // no division by zero
  at::Tensor extrapolation = plain_frequencies(s.rope_theta, s.head_dim, device);  // (hd/2)
  at::Tensor interpolation = extrapolation / s.rope_factor;
  at::Tensor ramp = ((at::arange(s.head_dim / 2, extrapolation.options()) - low) / (high - low)).clamp(0, 1);
  at::Tensor keep = 1 - ramp;  // 1: the frequency as trained; 0: divided by factor
  return interpolation * (1 - keep) + extrapolation * keep;
}

// Hugging Face's rotary frequencies (modeling_rope_utils.py), in float32 as it computes them, for a sequence of
// T positions (only 'dynamic' depends on it): inv_freq[j] = 1 / theta^(2j / hd); 'linear' divides them by
// factor; 'llama3' divides those whose wavelength exceeds original / low_freq_factor by factor, keeps those
// below original / high_freq_factor, and blends between; 'dynamic', once T exceeds M = max_position_embeddings,
// raises the base to theta · (factor · T / M - (factor - 1))^(hd / (hd - 2)), a float32 scalar as transformers
// computes it (dynamic_rope_update passes T as a tensor); 'yarn' as above.
at::Tensor rotary_frequencies(const LlamaSpec& s, const c10::Device& device, int64_t T) {
  const int64_t hd = s.head_dim;
  if (s.rope_type == "yarn") return yarn_frequencies(s, device);
  if (s.rope_type == "dynamic" && T > s.max_position_embeddings) {
    const auto f32 = at::TensorOptions().dtype(at::kFloat).device(device);
    const double M = static_cast<double>(s.max_position_embeddings);
    at::Tensor L = at::full({}, static_cast<double>(T), f32);
    at::Tensor base = (L * s.rope_factor / M - (s.rope_factor - 1)).pow(static_cast<double>(hd) / (hd - 2)) * s.rope_theta;
    return base.pow(at::arange(0, hd, 2, f32.dtype(at::kLong)).to(at::kFloat) / static_cast<double>(hd)).reciprocal();
  }
  at::Tensor inv_freq = plain_frequencies(s.rope_theta, hd, device);  // (hd/2)
  if (s.rope_type == "linear") return inv_freq / s.rope_factor;
  if (s.rope_type != "llama3") return inv_freq;
  const double old_len = s.rope_original_max_position_embeddings;
  const double low_freq_wavelen = old_len / s.rope_low_freq_factor;
  const double high_freq_wavelen = old_len / s.rope_high_freq_factor;
  at::Tensor wavelen = 2.0 * M_PI / inv_freq;
  at::Tensor scaled = at::where(wavelen > low_freq_wavelen, inv_freq / s.rope_factor, inv_freq);
  at::Tensor smooth = (old_len / wavelen - s.rope_low_freq_factor) / (s.rope_high_freq_factor - s.rope_low_freq_factor);
  at::Tensor smoothed = (1 - smooth) * scaled / s.rope_factor + smooth * scaled;
  at::Tensor medium = at::logical_not(wavelen < high_freq_wavelen).logical_and(at::logical_not(wavelen > low_freq_wavelen));
  return at::where(medium, smoothed, scaled);
}

Llama::Llama(const LlamaSpec& spec, const BuildOptions& options)
    : CausalDecoder(options, "llama", spec.head),
      spec_(spec),
      act_(spec.hidden_act),
      prefix_(causal_lm_ ? "model." : "") {
  const int64_t H = spec.hidden_size, I = spec.intermediate_size, V = spec.vocab_size, hd = spec.head_dim;
  const int64_t q_out = spec.num_attention_heads * hd, kv_out = spec.num_key_value_heads * hd;

  embed_tokens_ = normal_parameter(prefix_ + "embed_tokens.weight", {V, H}, spec.initializer_range);
  if (spec.pad_token_id >= 0) {
    at::NoGradGuard no_grad;
    embed_tokens_[spec.pad_token_id].zero_();  // the padding_idx row starts at zero, as Hugging Face inits it
  }
  layers_.reserve(spec.num_hidden_layers);
  for (int64_t i = 0; i < spec.num_hidden_layers; ++i) {
    const std::string p = c10::str(prefix_, "layers.", i, ".");
    Layer l;  // registered in Hugging Face's named_parameters() order
    const double std = spec.initializer_range;
    l.qkv_proj = fused_linear_parameters({{p + "self_attn.q_proj", q_out, &l.q_proj},
                                          {p + "self_attn.k_proj", kv_out, &l.k_proj},
                                          {p + "self_attn.v_proj", kv_out, &l.v_proj}},
                                         H, std, spec.attention_bias);
    l.o_proj = linear(p + "self_attn.o_proj", q_out, H, spec.attention_output_bias);
    l.gate_up_proj = fused_linear_parameters(
        {{p + "mlp.gate_proj", I, &l.gate_proj}, {p + "mlp.up_proj", I, &l.up_proj}}, H, std, spec.mlp_bias);
    l.down_proj = linear(p + "mlp.down_proj", I, H, spec.mlp_bias);
    l.input_layernorm = rms_norm(p + "input_layernorm");
    l.post_attention_layernorm = rms_norm(p + "post_attention_layernorm");
    layers_.push_back(std::move(l));
  }
  norm_ = rms_norm(prefix_ + "norm");
  inv_freq_ = rotary_frequencies(spec, options.device, spec.max_position_embeddings);
  make_lm_head(embed_tokens_, spec.tie_word_embeddings, spec.initializer_range);
}

std::string Llama::canonical_name(const std::string& name) const {
  // A checkpoint may store the tied lm_head.weight too: it is embed_tokens.
  if (causal_lm_ && spec_.tie_word_embeddings && name == "lm_head.weight") return prefix_ + "embed_tokens.weight";
  return name;
}

void Llama::check_inputs(const ModelInputs& inputs) const {
  Model::check_inputs(inputs);
  if (inputs.token_type_ids.defined()) throw_bad_input("token_type_ids were given but llama models take none");
}

// x (B, T, n, hd) -> x · cos + rotate_half(x) · sin, with rotate_half(x) = [-x2, x1] for halves x1, x2 of hd;
// cos and sin (1, T, 1, hd).
at::Tensor apply_rotary(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin) {
  const int64_t half = x.size(-1) / 2;
  at::Tensor rotated = at::cat({x.narrow(-1, half, half).neg(), x.narrow(-1, 0, half)}, -1);
  return x * cos + rotated * sin;
}

// Rotary tables in float32, then `dtype`: angle[t, j] = t · inv_freq[j] for t in [P, P + T), j < hd / 2, repeated
// for both halves; cos and sin times the attention factor (YaRN's; 1 otherwise). 'dynamic' takes the frequencies
// of the forward's length P + T (max(position_ids) + 1, as transformers 4.47 does with or without a cache): a
// full forward over L positions rotates every key with the frequencies of L, while cached generation rotated
// each key once, with those of the forward that cached it. Up to max_position_embeddings the two agree (the
// frequencies do not depend on the length); past it, cached keys keep the smaller base they were rotated with and
// the logits differ from a full recomputation's, as transformers' cached generate differs from its own forward.
std::pair<at::Tensor, at::Tensor> Llama::rotary_tables(int64_t P, int64_t T, c10::ScalarType dtype) const {
  const int64_t hd = spec_.head_dim, length = P + T;
  const at::Tensor inv_freq = spec_.rope_type == "dynamic" && length > spec_.max_position_embeddings
                                  ? rotary_frequencies(spec_, inv_freq_.device(), length)
                                  : inv_freq_;  // (hd/2)
  at::Tensor angles = at::outer(at::arange(P, length, inv_freq.options()), inv_freq);  // (T, hd/2)
  at::Tensor emb = at::cat({angles, angles}, -1);                                       // (T, hd)
  at::Tensor cos = emb.cos(), sin = emb.sin();
  if (spec_.rope_attention_factor != 1.0) {
    cos = cos * spec_.rope_attention_factor;
    sin = sin * spec_.rope_attention_factor;
  }
  return {cos.to(dtype).view({1, T, 1, hd}), sin.to(dtype).view({1, T, 1, hd})};
}

std::tuple<at::Tensor, at::Tensor, at::Tensor> Llama::rotated_qkv(const Layer& l, const at::Tensor& x,
                                                                 const at::Tensor& cos, const at::Tensor& sin,
                                                                 int64_t B, int64_t T) const {
  const int64_t nh = spec_.num_attention_heads, nkv = spec_.num_key_value_heads, hd = spec_.head_dim;
  if (!fused()) {
    return {apply_rotary(l.q_proj(x).view({B, T, nh, hd}), cos, sin),
            apply_rotary(l.k_proj(x).view({B, T, nkv, hd}), cos, sin), l.v_proj(x).view({B, T, nkv, hd})};
  }
  at::Tensor qkv = l.qkv_proj(x);  // (B*T, (nh + 2·nkv)·hd)
  // Queries and keys rotate together, as nh + nkv heads.
  at::Tensor qk = apply_rotary(qkv.narrow(1, 0, (nh + nkv) * hd).view({B, T, nh + nkv, hd}), cos, sin);
  return {qk.narrow(2, 0, nh), qk.narrow(2, nh, nkv), qkv.narrow(1, (nh + nkv) * hd, nkv * hd).view({B, T, nkv, hd})};
}

at::Tensor Llama::mlp(const Layer& l, const at::Tensor& h) const {
  const int64_t I = spec_.intermediate_size;
  if (!fused()) return l.down_proj(activate(act_, l.gate_proj(h)).mul(l.up_proj(h)));
  at::Tensor gate_up = l.gate_up_proj(h);  // (B*T, 2I)
  at::Tensor gate = activate(act_, gate_up.narrow(1, 0, I));
  return l.down_proj(gate.mul_(gate_up.narrow(1, I, I)));  // (B*T, H)
}

at::Tensor Llama::attention(const Layer& l, const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin,
                            const at::Tensor& mask, int64_t B, int64_t T) {
  const int64_t nh = spec_.num_attention_heads, nkv = spec_.num_key_value_heads, hd = spec_.head_dim;
  const int64_t groups = nh / nkv;
  auto [q, k, v] = rotated_qkv(l, x, cos, sin, B, T);  // (B, T, nh, hd), (B, T, nkv, hd) ×2
  if (groups > 1) {  // repeat_kv: key/value head g serves query heads g·groups … g·groups + groups - 1
    k = k.unsqueeze(3).expand({B, T, nkv, groups, hd}).reshape({B, T, nh, hd});
    v = v.unsqueeze(3).expand({B, T, nkv, groups, hd}).reshape({B, T, nh, hd});
  }
  q = q.transpose(1, 2);  // (B, nh, T, hd), strided
  k = k.transpose(1, 2);
  v = v.transpose(1, 2);
  const double divisor = std::sqrt(static_cast<double>(hd));
  if (!at::GradMode::is_enabled() && !is_training()) {
    at::Tensor context = at::empty({B * T, nh * hd}, x.options());             // (B*T, nh*hd)
    at::Tensor context_heads = context.view({B, T, nh, hd}).transpose(1, 2);  // (B, nh, T, hd), strided
    const ScoreRule rule{divisor, /*softmax_in_float32=*/true};  // as the path below
    scaled_dot_product_attention(q, k, v, mask, rule, context_heads);
    return l.o_proj(context);
  }
  // Hugging Face (4.47) divides by sqrt(head_dim) and takes the softmax in float32.
  at::Tensor scores = at::matmul(q, k.transpose(2, 3)).div(divisor).add(mask);  // (B, nh, T, T)
  at::Tensor probs = at::softmax(scores, -1, at::kFloat).to(q.scalar_type());
  probs = at::dropout(probs, spec_.attention_dropout, is_training());
  at::Tensor context = at::matmul(probs, v);                               // (B, nh, T, hd)
  return l.o_proj(context.transpose(1, 2).reshape({B * T, nh * hd}));  // (B*T, H)
}

ModelOutputs Llama::forward(const ModelInputs& in) {
  const at::Tensor& ids = in.input_ids;  // (B, T)
  TORCH_CHECK(ids.dim() == 2, "input_ids must be (batch, sequence), got ", ids.sizes());
  const int64_t B = ids.size(0), T = ids.size(1);
  // padding_idx: the pad token's row gets no gradient (nn.Embedding(..., padding_idx=pad_token_id))
  at::Tensor x = at::embedding(embed_tokens_, ids.reshape({B * T}), spec_.pad_token_id);  // (B*T, H)
  probe("embeddings");

  const auto [cos, sin] = rotary_tables(0, T, x.scalar_type());  // (1, T, 1, hd)

  // Additive mask: the dtype's lowest finite value above the diagonal and, with an attention_mask, on padded
  // keys (one lowest value, not a sum: Hugging Face fills rather than adds).
  const double lowest = lowest_finite(x.scalar_type());
  // The sliding layers' mask also hides keys sliding_window or more positions back.
  auto make_mask = [&](bool sliding) {
    at::Tensor mask = at::ones({T, T}, x.options()).triu_(1);  // (T, T): 1 where query t may not see key s
    if (sliding) mask.add_(at::ones({T, T}, x.options()).tril_(-spec_.sliding_window));
    mask = mask.mul_(lowest).view({1, 1, T, T});  // (1, 1, T, T)
    if (in.attention_mask.defined()) {
      at::Tensor padded = in.attention_mask.eq(0).view({B, 1, 1, T});
      mask = mask.masked_fill(padded, lowest);  // (B, 1, T, T)
    }
    return mask;
  };
  const int64_t L = static_cast<int64_t>(layers_.size());
  const bool window_bites = spec_.sliding_window > 0 && T > spec_.sliding_window;
  const int64_t first_sliding = window_bites ? std::min(spec_.first_sliding_layer, L) : L;
  const at::Tensor full_mask = first_sliding > 0 ? make_mask(false) : at::Tensor();
  const at::Tensor sliding_mask = first_sliding < L ? make_mask(true) : at::Tensor();

  for (size_t i = 0; i < layers_.size(); ++i) {
    const Layer& l = layers_[i];
    const at::Tensor& mask = static_cast<int64_t>(i) >= first_sliding ? sliding_mask : full_mask;
    x = attention(l, l.input_layernorm(x), cos, sin, mask, B, T).add(x);
    x = mlp(l, l.post_attention_layernorm(x)).add(x);
    probe("layer", static_cast<int64_t>(i));
  }
  x = norm_(x);

  return outputs(x, B, T);
}

KvCache Llama::make_kv_cache(int64_t batch, int64_t prompt_length, int64_t new_tokens) const {
  return allocate_kv_cache(spec_.num_hidden_layers, batch, spec_.num_key_value_heads, prompt_length + new_tokens,
                           spec_.head_dim, embed_tokens_.options());
}

at::Tensor Llama::cached_attention(size_t layer, const Layer& l, const at::Tensor& x, const at::Tensor& cos,
                                   const at::Tensor& sin, KvCache& cache, int64_t B, int64_t T) {
  const int64_t nh = spec_.num_attention_heads, nkv = spec_.num_key_value_heads, hd = spec_.head_dim;
  const int64_t groups = nh / nkv, L = cache.length + T, window = is_sliding(layer) ? spec_.sliding_window : 0;
  auto [q, k, v] = rotated_qkv(l, x, cos, sin, B, T);  // (B, T, nh, hd), (B, T, nkv, hd) ×2
  auto [keys, values] = cache.write(layer, k, v);     // (B, nkv, L, hd)
  const ScoreRule rule{std::sqrt(static_cast<double>(hd)), /*softmax_in_float32=*/true};  // as attention()
  at::Tensor context = at::empty({B * T, nh * hd}, x.options());  // (B*T, nh*hd)
  if (T == 1) {
    // The query at position L - 1 sees every cached key, or in a sliding layer the last `window` of them.
    if (window > 0 && L > window) {
      keys = keys.narrow(2, L - window, window);
      values = values.narrow(2, L - window, window);
    }
    // Query heads g·groups … g·groups + groups - 1 read key/value head g (repeat_kv's order): as `groups` query
    // rows of head g they share its keys without copying them.
    at::Tensor grouped_out = context.view({B, nkv, groups, hd});
    scaled_dot_product_attention(q.view({B, nkv, groups, hd}), keys, values, at::Tensor(), rule, grouped_out);
    return l.o_proj(context);
  }
  const at::Tensor mask = cached_causal_mask(T, cache.length, window, x.options());  // (1, 1, T, L)
  // With at least one (batch item, key/value head) pair per thread, a prefill stacks the `groups` query heads of
  // key/value head g as groups·T rows, row j·T + t being query head g·groups + j at position P + t: one GEMM per
  // pair of (groups·T, hd) queries over the cache as it is, with no copy of its keys and values per query head.
  // The copies are of the queries in and the context out instead, nkv / nh the size of the repeated cache's.
  // (Qwen2.5-0.5B, 14 heads over 2, T = 128, 2 threads: its 24 layers' attention 102-106 against 105-115 ms,
  // interleaved.) With fewer pairs than threads the per-head path below keeps every thread busy.
  if (groups > 1 && B * nkv >= at::get_num_threads()) {
    at::Tensor grouped_q = q.view({B, T, nkv, groups, hd}).permute({0, 2, 3, 1, 4}).reshape({B, nkv, groups * T, hd});
    const at::Tensor grouped_mask = mask.expand({groups, 1, T, L}).reshape({1, 1, groups * T, L});  // (1, 1, gT, L)
    at::Tensor grouped_out = at::empty({B, nkv, groups * T, hd}, x.options());                      // (B, nkv, gT, hd)
    scaled_dot_product_attention(grouped_q, keys, values, grouped_mask, rule, grouped_out);
    context.view({B, T, nkv, groups, hd}).copy_(grouped_out.view({B, nkv, groups, T, hd}).permute({0, 3, 1, 2, 4}));
    return l.o_proj(context);
  }
  if (groups > 1) {  // a prefill's rows of queries differ in position, so the heads are repeated once here
    keys = keys.unsqueeze(2).expand({B, nkv, groups, L, hd}).reshape({B, nh, L, hd});
    values = values.unsqueeze(2).expand({B, nkv, groups, L, hd}).reshape({B, nh, L, hd});
  }
  at::Tensor context_heads = context.view({B, T, nh, hd}).transpose(1, 2);           // (B, nh, T, hd), strided
  scaled_dot_product_attention(q.transpose(1, 2), keys, values, mask, rule, context_heads);
  return l.o_proj(context);
}

at::Tensor Llama::extend(const at::Tensor& ids, KvCache& cache) {
  const int64_t B = ids.size(0), T = ids.size(1);
  at::Tensor x = at::embedding(embed_tokens_, ids.reshape({B * T}), spec_.pad_token_id);  // (B*T, H)
  const auto [cos, sin] = rotary_tables(cache.length, T, x.scalar_type());                // (1, T, 1, hd)
  for (size_t i = 0; i < layers_.size(); ++i) {
    const Layer& l = layers_[i];
    x = cached_attention(i, l, l.input_layernorm(x), cos, sin, cache, B, T).add_(x);
    x = mlp(l, l.post_attention_layernorm(x)).add_(x);
  }
  cache.advance(T);
  return next_token_logits(norm_(last_position(x, B, T)));  // (B, V)
}

}  // namespace

ModelBuilder read_llama_spec(const SpecReader& reader) {
  LlamaSpec spec = read_spec(reader);
  return [spec](const BuildOptions& options) { return std::make_shared<Llama>(spec, options); };
}

}  // namespace tfbench
