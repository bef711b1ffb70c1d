// T5: the same math as Hugging Face transformers' modeling_t5.py (eager attention), with parameters named as in
// T5 checkpoints so safetensors weights load by name:
//   shared.weight (V, d): the token embeddings of both stacks (encoder/decoder.embed_tokens are aliases)
//   encoder.block.N.layer.0.{SelfAttention.{q,k,v,o}, layer_norm}, encoder.block.N.layer.1.{DenseReluDense, layer_norm}
//   decoder.block.N.layer.0 (self-attention), layer.1.{EncDecAttention.{q,k,v,o}, layer_norm}, layer.2 (feed-forward)
//   block.0.layer.0.SelfAttention.relative_attention_bias (buckets, nh) in each stack, shared by its later blocks
//   {encoder,decoder}.final_layer_norm; lm_head.weight for T5ForConditionalGeneration when not tied
// Blocks are pre-norm with T5's RMS norm (no mean, no bias); attention has no biases and no score scaling, and
// adds a learned bias per head and relative-position bucket (bidirectional in the encoder, causal in the
// decoder; cross-attention gets none). Feed-forward: wo(act(wi x)), or gated wo(act(wi_0 x) · wi_1 x). With tied
// embeddings the decoder output is scaled by d^-0.5 before the LM head.
//
// Generation (models/generation.h): the encoder runs once on the prompt; the prefill also computes every decoder
// layer's cross-attention keys and values of its output (the cache's cross_keys/values, S positions) and runs
// the decoder's first position (decoder_start_token_id). Each decode step feeds one decoder position i, caches its
// self-attention keys and values (1 + N positions) and gives it the causal position bias over keys 0 … i.
//
// Hidden states travel as (B*T, d) matrices. Shapes: B batch, T encoder and S decoder sequence, d = d_model
// (hidden_size), nh heads, dkv per-head size (head_dim; nh * dkv need not equal d), F = d_ff
// (intermediate_size), V vocabulary, R relative_attention_num_buckets.
#include <cmath>
#include <limits>

#include "errors.h"
#include "models/attention.h"
#include "models/families.h"
#include "models/generation.h"
#include "models/layers.h"

namespace tfbench {
namespace {

// The spec object's fields (T5Spec in packages/core/src/models/families/t5.ts): T5Config's, under the BERT names
// of its attribute_map (hidden_size = d_model, intermediate_size = d_ff, num_hidden_layers = num_layers,
// head_dim = d_kv).
struct T5Spec : CommonSpec {  // num_hidden_layers: encoder blocks; hidden_act: the feed-forward's <act>
  std::string head;  // "base" (T5Model) | "seq2seq-lm" (T5ForConditionalGeneration)
  int64_t num_decoder_layers;  // decoder blocks
  int64_t head_dim;  // num_attention_heads * head_dim need not be hidden_size
  int64_t relative_attention_num_buckets;
  int64_t relative_attention_max_distance;
  bool gated_feed_forward;  // feed_forward_proj "gated-<act>": wo(act(wi_0 x) * wi_1 x); else wo(act(wi x))
  double layer_norm_eps;    // layer_norm_epsilon of the RMS norms
  double dropout_rate;
  double initializer_factor;
  int64_t decoder_start_token_id;  // the decoder's first input in generation
};

T5Spec read_spec(const SpecReader& r) {
  T5Spec s;
  static_cast<CommonSpec&>(s) = read_common_spec(r);
  s.head = r.one_of("head", {"base", "seq2seq-lm"});
  s.head_dim = r.integer("head_dim", 1);
  s.num_decoder_layers = r.integer("num_decoder_layers", 0);
  s.relative_attention_num_buckets = r.integer("relative_attention_num_buckets", 2);
  s.relative_attention_max_distance = r.integer("relative_attention_max_distance", 1);
  s.gated_feed_forward = r.boolean("gated_feed_forward");
  s.layer_norm_eps = r.number("layer_norm_eps", 0.0);
  s.dropout_rate = r.number("dropout_rate", 0.0);
  s.initializer_factor = r.number("initializer_factor", 0.0);
  s.decoder_start_token_id = r.integer("decoder_start_token_id", 0);

  if (s.layer_norm_eps <= 0.0) throw_bad_spec(c10::str("spec.layer_norm_eps must be > 0, got ", s.layer_norm_eps));
  check_probability("dropout_rate", s.dropout_rate);
  if (s.decoder_start_token_id >= s.vocab_size)
    throw_bad_spec(c10::str("spec.decoder_start_token_id (", s.decoder_start_token_id, ") must be < spec.vocab_size (",
                            s.vocab_size, ")"));
  return s;
}

struct Attention {
  Linear q, k, v, o;  // (nh*dkv, d) ×3, (d, nh*dkv); no biases
};

struct FeedForward {
  Linear wi, wi_1;  // wi: (F, d) (gated: wi_0); wi_1 (F, d) only when gated
  Linear wo;        // (d, F)
};

struct Block {
  Attention self_attention;
  RmsNorm self_attention_norm;
  Attention cross_attention;  // decoder blocks only
  RmsNorm cross_attention_norm;
  FeedForward feed_forward;
  RmsNorm feed_forward_norm;
};

struct Stack {
  std::vector<Block> blocks;
  at::Tensor relative_attention_bias;  // (R, nh): block 0's, used by every block of the stack
  RmsNorm final_layer_norm;
};

// Hugging Face's _relative_position_bucket: relative (T, S) int64 = key position - query position -> bucket ids.
// Half the buckets (all when causal) hold exact small distances, the rest grow logarithmically up to
// max_distance; bidirectional buckets split by sign.
at::Tensor relative_position_bucket(at::Tensor relative, bool bidirectional, int64_t num_buckets,
                                    int64_t max_distance) {
  at::Tensor buckets = at::zeros_like(relative);
  if (bidirectional) {
    num_buckets /= 2;
    buckets = buckets + relative.gt(0).to(at::kLong) * num_buckets;
    relative = relative.abs();
  } else {
    relative = relative.clamp_max(0).neg();
  }
  const int64_t max_exact = num_buckets / 2;
  at::Tensor is_small = relative.lt(max_exact);
  at::Tensor if_large = (at::log(relative.to(at::kFloat) / static_cast<double>(max_exact)) /
                         std::log(static_cast<double>(max_distance) / static_cast<double>(max_exact)) *
                         static_cast<double>(num_buckets - max_exact))
                            .to(at::kLong)
                            .add(max_exact)
                            .clamp_max(num_buckets - 1);
  return buckets + at::where(is_small, relative, if_large);
}

class T5 final : public Model {
 public:
  T5(const T5Spec& spec, const BuildOptions& options);

  ModelOutputs forward(const ModelInputs& inputs) override;
  at::Tensor loss(const ModelOutputs& outputs, const at::Tensor& labels) override;
  bool has_loss() const override { return lm_; }
  bool is_encoder_decoder() const override { return true; }
  int64_t vocab_size() const override { return spec_.vocab_size; }
  // Relative positions have no length limit.
  int64_t max_sequence_length() const override { return std::numeric_limits<int32_t>::max(); }
  void check_inputs(const ModelInputs& inputs) const override;
  std::string canonical_name(const std::string& name) const override;

  void check_generation(int64_t prompt_length, int64_t new_tokens) const override;
  KvCache make_kv_cache(int64_t batch, int64_t prompt_length, int64_t new_tokens) const override;
  at::Tensor prefill(const at::Tensor& prompt_ids, KvCache& cache) override;
  at::Tensor decode_step(const at::Tensor& token_ids, KvCache& cache) override;
  at::Tensor generation_prefix(const at::Tensor& prompt_ids) const override;

 private:
  Linear linear(const std::string& name, int64_t in, int64_t out, double std) {
    return linear_parameters(name, in, out, spec_.initializer_factor * std, /*bias=*/false);
  }
  RmsNorm rms_norm(const std::string& name) {
    return RmsNorm{constant_parameter(name + ".weight", {spec_.hidden_size}, spec_.initializer_factor),
                   spec_.layer_norm_eps};
  }
  Attention attention_parameters(const std::string& prefix);
  FeedForward feed_forward_parameters(const std::string& prefix);
  Stack stack_parameters(const std::string& prefix, int64_t layers, bool decoder);

  // Position bias (1, nh, T, S) of a stack's self-attention: queries at positions [P, P + T), keys [0, S).
  at::Tensor position_bias(const Stack& stack, int64_t T, int64_t S, bool bidirectional, const at::Tensor& like,
                           int64_t P = 0);
  // x (B*T, d), memory (B*S, d); bias additive, (1 or B, nh, T, S). Returns (B*T, d).
  at::Tensor attend(const Attention& a, const at::Tensor& x, const at::Tensor& memory, const at::Tensor& bias,
                    int64_t B, int64_t T, int64_t S);
  // x (B*T, d) attends to keys and values k, v (B, nh, S, dkv), any strides; bias additive or undefined.
  at::Tensor attend_to(const Attention& a, const at::Tensor& x, const at::Tensor& k, const at::Tensor& v,
                       const at::Tensor& bias, int64_t B, int64_t T);
  // The encoder over ids (B, T): its output (B*T, d). `cross_bias` gets the additive mask (1 or B, 1, 1, T) the
  // decoder's cross-attention adds: lowest on padded keys with an attention_mask, else zeros.
  at::Tensor encode(const at::Tensor& ids, const at::Tensor& attention_mask, at::Tensor& cross_bias);
  // The decoder's logits of final hidden states y (N, d), after the final norm: (N, V).
  at::Tensor lm_logits(const at::Tensor& y) const;
  at::Tensor feed_forward(const FeedForward& f, const at::Tensor& x);  // (N, d) -> (N, d)
  at::Tensor dropout(const at::Tensor& x) { return at::dropout(x, spec_.dropout_rate, is_training()); }

  T5Spec spec_;
  bool lm_;
  Activation act_;
  at::Tensor shared_;  // (V, d)
  Stack encoder_, decoder_;
  at::Tensor lm_head_;  // (V, d): shared_ when tied
};

Attention T5::attention_parameters(const std::string& prefix) {
  const int64_t d = spec_.hidden_size, inner = spec_.num_attention_heads * spec_.head_dim;
  const double dd = static_cast<double>(d);
  Attention a;  // initialised as Hugging Face's _init_weights does (Mesh TensorFlow's scheme)
  a.q = linear(prefix + ".q", d, inner, 1.0 / std::sqrt(dd * static_cast<double>(spec_.head_dim)));
  a.k = linear(prefix + ".k", d, inner, 1.0 / std::sqrt(dd));
  a.v = linear(prefix + ".v", d, inner, 1.0 / std::sqrt(dd));
  a.o = linear(prefix + ".o", inner, d, 1.0 / std::sqrt(static_cast<double>(inner)));
  return a;
}

FeedForward T5::feed_forward_parameters(const std::string& prefix) {
  const int64_t d = spec_.hidden_size, F = spec_.intermediate_size;
  FeedForward f;
  const double std_in = 1.0 / std::sqrt(static_cast<double>(d));
  if (spec_.gated_feed_forward) {
    f.wi = linear(prefix + ".wi_0", d, F, std_in);
    f.wi_1 = linear(prefix + ".wi_1", d, F, std_in);
  } else {
    f.wi = linear(prefix + ".wi", d, F, std_in);
  }
  f.wo = linear(prefix + ".wo", F, d, 1.0 / std::sqrt(static_cast<double>(F)));
  return f;
}

Stack T5::stack_parameters(const std::string& prefix, int64_t layers, bool decoder) {
  Stack s;
  s.blocks.reserve(layers);
  for (int64_t i = 0; i < layers; ++i) {
    const std::string p = c10::str(prefix, ".block.", i, ".layer.");
    Block b;  // registered in Hugging Face's named_parameters() order
    b.self_attention = attention_parameters(p + "0.SelfAttention");
    if (i == 0) {
      s.relative_attention_bias = normal_parameter(
          p + "0.SelfAttention.relative_attention_bias.weight",
          {spec_.relative_attention_num_buckets, spec_.num_attention_heads},
          spec_.initializer_factor / std::sqrt(static_cast<double>(spec_.hidden_size)));
    }
    b.self_attention_norm = rms_norm(p + "0.layer_norm");
    const std::string ff = decoder ? "2" : "1";
    if (decoder) {
      b.cross_attention = attention_parameters(p + "1.EncDecAttention");
      b.cross_attention_norm = rms_norm(p + "1.layer_norm");
    }
    b.feed_forward = feed_forward_parameters(p + ff + ".DenseReluDense");
    b.feed_forward_norm = rms_norm(p + ff + ".layer_norm");
    s.blocks.push_back(std::move(b));
  }
  s.final_layer_norm = rms_norm(prefix + ".final_layer_norm");
  return s;
}

T5::T5(const T5Spec& spec, const BuildOptions& options)
    : Model(options), spec_(spec), lm_(spec.head == "seq2seq-lm"), act_(spec.hidden_act) {
  shared_ = normal_parameter("shared.weight", {spec.vocab_size, spec.hidden_size}, spec.initializer_factor);
  encoder_ = stack_parameters("encoder", spec.num_hidden_layers, /*decoder=*/false);
  decoder_ = stack_parameters("decoder", spec.num_decoder_layers, /*decoder=*/true);
  if (lm_) {
    lm_head_ = spec.tie_word_embeddings
                   ? shared_
                   : normal_parameter("lm_head.weight", {spec.vocab_size, spec.hidden_size}, spec.initializer_factor);
  }
}

std::string T5::canonical_name(const std::string& name) const {
  // Checkpoints may store the tied copies of the shared embedding under the stacks' (and the head's) names.
  if (name == "encoder.embed_tokens.weight" || name == "decoder.embed_tokens.weight") return "shared.weight";
  if (lm_ && spec_.tie_word_embeddings && name == "lm_head.weight") return "shared.weight";
  return name;
}

void T5::check_inputs(const ModelInputs& inputs) const {
  Model::check_inputs(inputs);
  if (inputs.token_type_ids.defined()) throw_bad_input("token_type_ids were given but t5 models take none");
}

at::Tensor T5::position_bias(const Stack& stack, int64_t T, int64_t S, bool bidirectional, const at::Tensor& like,
                             int64_t P) {
  const auto ids = at::TensorOptions().dtype(at::kLong).device(like.device());
  at::Tensor relative = at::arange(S, ids).view({1, S}) - at::arange(P, P + T, ids).view({T, 1});  // (T, S)
  at::Tensor buckets = relative_position_bucket(relative, bidirectional, spec_.relative_attention_num_buckets,
                                                spec_.relative_attention_max_distance);
  at::Tensor values = at::embedding(stack.relative_attention_bias, buckets);  // (T, S, nh)
  return values.permute({2, 0, 1}).unsqueeze(0);                              // (1, nh, T, S)
}

at::Tensor T5::attend(const Attention& a, const at::Tensor& x, const at::Tensor& memory, const at::Tensor& bias,
                      int64_t B, int64_t T, int64_t S) {
  const int64_t nh = spec_.num_attention_heads, dkv = spec_.head_dim;
  at::Tensor k = a.k(memory).view({B, S, nh, dkv}).transpose(1, 2);  // (B, nh, S, dkv)
  at::Tensor v = a.v(memory).view({B, S, nh, dkv}).transpose(1, 2);
  return attend_to(a, x, k, v, bias, B, T);
}

at::Tensor T5::attend_to(const Attention& a, const at::Tensor& x, const at::Tensor& k, const at::Tensor& v,
                         const at::Tensor& bias, int64_t B, int64_t T) {
  const int64_t nh = spec_.num_attention_heads, dkv = spec_.head_dim;
  at::Tensor q = a.q(x).view({B, T, nh, dkv}).transpose(1, 2);  // (B, nh, T, dkv), strided
  if (!at::GradMode::is_enabled() && !is_training()) {
    at::Tensor context = at::empty({B * T, nh * dkv}, x.options());             // (B*T, nh*dkv)
    at::Tensor context_heads = context.view({B, T, nh, dkv}).transpose(1, 2);  // (B, nh, T, dkv), strided
    const ScoreRule rule{/*divisor=*/1.0, /*softmax_in_float32=*/true};  // as the path below
    scaled_dot_product_attention(q, k, v, bias, rule, context_heads);
    return a.o(context);
  }
  at::Tensor scores = at::matmul(q, k.transpose(2, 3));  // (B, nh, T, S), unscaled
  if (bias.defined()) scores = scores.add(bias);
  at::Tensor probs = dropout(at::softmax(scores, -1, at::kFloat).to(q.scalar_type()));
  at::Tensor context = at::matmul(probs, v);                               // (B, nh, T, dkv)
  return a.o(context.transpose(1, 2).reshape({B * T, nh * dkv}));  // (B*T, d)
}

at::Tensor T5::feed_forward(const FeedForward& f, const at::Tensor& x) {
  at::Tensor h = activate(act_, f.wi(x));       // (N, F)
  if (spec_.gated_feed_forward) h = h * f.wi_1(x);
  return f.wo(dropout(h));  // (N, d)
}

// float16 only: Hugging Face clamps hidden states to the finite range after each sub-layer (to max - 1000 when
// some are infinite). The limit stays on the device: no read back per sub-layer.
at::Tensor clamp_half(const at::Tensor& x) {
  if (x.scalar_type() != at::kHalf) return x;
  const double max = 65504.0;
  const at::Tensor limit = at::where(x.isinf().any(), at::scalar_tensor(max - 1000.0, x.options()),
                                     at::scalar_tensor(max, x.options()));  // 0-dim, x's dtype
  return at::clamp(x, limit.neg(), limit);
}

at::Tensor T5::encode(const at::Tensor& ids, const at::Tensor& attention_mask, at::Tensor& cross_bias) {
  const int64_t B = ids.size(0), T = ids.size(1);
  // Self-attention bias = relative positions (+ lowest on padded keys when a mask is given).
  at::Tensor x = dropout(at::embedding(shared_, ids.reshape({B * T})));  // (B*T, d)
  probe("embeddings");
  at::Tensor encoder_bias = position_bias(encoder_, T, T, /*bidirectional=*/true, x);  // (1, nh, T, T)
  cross_bias = at::zeros({1, 1, 1, T}, x.options());
  if (attention_mask.defined()) {
    const double lowest = lowest_finite(x.scalar_type());
    cross_bias = at::rsub(attention_mask.to(x.scalar_type()), 1.0).mul_(lowest).view({B, 1, 1, T});
    encoder_bias = encoder_bias + cross_bias;  // (B, nh, T, T)
  }
  for (size_t i = 0; i < encoder_.blocks.size(); ++i) {
    const Block& b = encoder_.blocks[i];
    at::Tensor h = b.self_attention_norm(x);
    x = clamp_half(dropout(attend(b.self_attention, h, h, encoder_bias, B, T, T)).add(x));
    x = clamp_half(dropout(feed_forward(b.feed_forward, b.feed_forward_norm(x))).add(x));
    probe("encoder.layer", static_cast<int64_t>(i));
  }
  return dropout(encoder_.final_layer_norm(x));  // (B*T, d)
}

at::Tensor T5::lm_logits(const at::Tensor& y) const {
  const double d = static_cast<double>(spec_.hidden_size);
  // With tied embeddings the decoder output is scaled by d^-0.5 first.
  at::Tensor scaled = spec_.tie_word_embeddings ? y * (1.0 / std::sqrt(d)) : y;
  return affine(scaled, lm_head_, at::Tensor());  // (N, V)
}

ModelOutputs T5::forward(const ModelInputs& in) {
  const at::Tensor& ids = in.input_ids;  // (B, T)
  TORCH_CHECK(ids.dim() == 2, "input_ids must be (batch, sequence), got ", ids.sizes());
  const at::Tensor& decoder_ids = in.decoder_input_ids.defined() ? in.decoder_input_ids : ids;  // (B, S)
  const int64_t B = ids.size(0), T = ids.size(1), S = decoder_ids.size(1), d = spec_.hidden_size;
  const double lowest = lowest_finite(shared_.scalar_type());

  at::Tensor cross_bias;                                           // (1 or B, 1, 1, T)
  at::Tensor memory = encode(ids, in.attention_mask, cross_bias);  // (B*T, d)

  // Decoder: causal self-attention with relative positions; cross-attention with no position bias.
  at::Tensor y = dropout(at::embedding(shared_, decoder_ids.reshape({B * S})));  // (B*S, d)
  at::Tensor causal = at::ones({S, S}, y.options()).triu_(1).mul_(lowest).view({1, 1, S, S});
  at::Tensor decoder_bias = position_bias(decoder_, S, S, /*bidirectional=*/false, y) + causal;  // (1, nh, S, S)
  at::Tensor cross = cross_bias.expand({cross_bias.size(0), spec_.num_attention_heads, S, T});  // (1|B, nh, S, T)
  probe("decoder.embeddings");  // with the encoder's final norm
  for (size_t i = 0; i < decoder_.blocks.size(); ++i) {
    const Block& b = decoder_.blocks[i];
    at::Tensor h = b.self_attention_norm(y);
    y = clamp_half(dropout(attend(b.self_attention, h, h, decoder_bias, B, S, S)).add(y));
    y = clamp_half(dropout(attend(b.cross_attention, b.cross_attention_norm(y), memory, cross, B, S, T)).add(y));
    y = clamp_half(dropout(feed_forward(b.feed_forward, b.feed_forward_norm(y))).add(y));
    probe("decoder.layer", static_cast<int64_t>(i));
  }
  y = dropout(decoder_.final_layer_norm(y));  // (B*S, d)

  ModelOutputs out;
  out.encoder_last_hidden_state = memory.view({B, T, d});
  out.last_hidden_state = y.view({B, S, d});
  if (lm_) out.logits = lm_logits(y).view({B, S, spec_.vocab_size});  // (B, S, V)
  probe("head");
  return out;
}

at::Tensor T5::loss(const ModelOutputs& outputs, const at::Tensor& labels) {
  if (!lm_) throw_bad_input("loss needs head 'seq2seq-lm'; this t5 model has head 'base'");
  const int64_t V = spec_.vocab_size;
  if (outputs.logits.size(1) != labels.size(1))
    throw_bad_input("the seq2seq loss takes labels = input_ids, so decoder_input_ids must have their length");
  // Mean cross-entropy over every decoder position (labels are not shifted: decoder_input_ids are), in the
  // logits' dtype as T5ForConditionalGeneration's CrossEntropyLoss takes it (the causal-LM heads upcast; T5 does
  // not).
  return at::cross_entropy_loss(outputs.logits.reshape({-1, V}), labels.reshape({-1}));
}

void T5::check_generation(int64_t, int64_t new_tokens) const {
  if (!lm_) throw_bad_input("generate needs head 'seq2seq-lm'; this t5 model has head 'base'");
  if (new_tokens < 1) throw_bad_input(c10::str("newTokens must be >= 1, got ", new_tokens));
}

KvCache T5::make_kv_cache(int64_t batch, int64_t prompt_length, int64_t new_tokens) const {
  const int64_t nh = spec_.num_attention_heads, dkv = spec_.head_dim, layers = spec_.num_decoder_layers;
  const auto options = shared_.options();
  // Decoder positions: decoder_start_token_id and the N new tokens (the last is never fed; a static cache has
  // room for it).
  KvCache cache = allocate_kv_cache(layers, batch, nh, 1 + new_tokens, dkv, options);
  for (int64_t i = 0; i < layers; ++i) {
    cache.cross_keys.push_back(at::empty({batch, nh, prompt_length, dkv}, options));
    cache.cross_values.push_back(at::empty({batch, nh, prompt_length, dkv}, options));
  }
  return cache;
}

at::Tensor T5::generation_prefix(const at::Tensor& prompt_ids) const {
  return at::full({prompt_ids.size(0), 1}, spec_.decoder_start_token_id, prompt_ids.options());  // (B, 1)
}

at::Tensor T5::prefill(const at::Tensor& prompt_ids, KvCache& cache) {
  const int64_t B = prompt_ids.size(0), S = prompt_ids.size(1);
  const int64_t nh = spec_.num_attention_heads, dkv = spec_.head_dim;
  at::Tensor zero_bias;  // the prompt has no padding: the cross-attention bias is zero, so decode_step adds none
  const at::Tensor memory = encode(prompt_ids, /*attention_mask=*/at::Tensor(), zero_bias);  // (B*S, d)
  for (size_t i = 0; i < decoder_.blocks.size(); ++i) {
    const Attention& a = decoder_.blocks[i].cross_attention;
    cache.cross_keys[i].copy_(a.k(memory).view({B, S, nh, dkv}).transpose(1, 2));  // (B, nh, S, dkv)
    cache.cross_values[i].copy_(a.v(memory).view({B, S, nh, dkv}).transpose(1, 2));
  }
  return decode_step(generation_prefix(prompt_ids), cache);
}

at::Tensor T5::decode_step(const at::Tensor& token_ids, KvCache& cache) {
  const int64_t B = token_ids.size(0), P = cache.length;
  const int64_t nh = spec_.num_attention_heads, dkv = spec_.head_dim;
  at::Tensor y = at::embedding(shared_, token_ids.reshape({B}));  // (B, d): decoder position P
  // Causal relative positions of the query at P over keys 0 … P (no mask: no key lies after it).
  const at::Tensor bias = position_bias(decoder_, 1, P + 1, /*bidirectional=*/false, y, P);  // (1, nh, 1, P+1)
  for (size_t i = 0; i < decoder_.blocks.size(); ++i) {
    const Block& b = decoder_.blocks[i];
    at::Tensor h = b.self_attention_norm(y);
    auto [keys, values] = cache.write(i, b.self_attention.k(h).view({B, 1, nh, dkv}),
                                      b.self_attention.v(h).view({B, 1, nh, dkv}));  // (B, nh, P+1, dkv)
    y = clamp_half(attend_to(b.self_attention, h, keys, values, bias, B, 1).add_(y));
    y = clamp_half(attend_to(b.cross_attention, b.cross_attention_norm(y), cache.cross_keys[i], cache.cross_values[i],
                             at::Tensor(), B, 1)
                       .add_(y));
    y = clamp_half(feed_forward(b.feed_forward, b.feed_forward_norm(y)).add_(y));
  }
  cache.advance(1);
  return lm_logits(decoder_.final_layer_norm(y));  // (B, V)
}

}  // namespace

ModelBuilder read_t5_spec(const SpecReader& reader) {
  T5Spec spec = read_spec(reader);
  return [spec](const BuildOptions& options) { return std::make_shared<T5>(spec, options); };
}

}  // namespace tfbench
