// BERT-shaped encoders: the same math as Hugging Face transformers' modeling_bert.py, modeling_roberta.py and
// modeling_distilbert.py (eager attention), with parameters named as in each family's checkpoints so
// safetensors weights load by name:
//   BertModel        embeddings.*, encoder.layer.N.*, pooler.dense.* (when add_pooling_layer)
//   BertForMaskedLM  bert.<the above>, cls.predictions.bias, cls.predictions.transform.*,
//                    cls.predictions.decoder.weight (only when tie_word_embeddings is false)
//   RobertaModel / RobertaForMaskedLM: as BERT under roberta., head lm_head.{bias,dense,layer_norm,decoder}
//   DistilBertModel  embeddings.{word,position}_embeddings, embeddings.LayerNorm (no token types),
//                    transformer.layer.N.{attention.{q,k,v,out}_lin, sa_layer_norm, ffn.lin1, ffn.lin2,
//                    output_layer_norm}
//   DistilBertForMaskedLM  distilbert.<the above>, vocab_transform, vocab_layer_norm, vocab_projector
// The three differ only in those names, in how position ids are made (RoBERTa counts past the padding id:
// spec.position_ids), in the head's activation (spec.head_act) and in DistilBERT having no dropout after the
// attention output projection; the blocks (post-LayerNorm attention + feed-forward) are the same.
//
// Hidden states travel as (B*T, H) matrices so every Linear is one addmm (GEMM + bias); they are viewed as
// (B, T, H) only for outputs. Shapes: B batch, T sequence, H hidden, nh heads, hs = H / nh, I intermediate,
// V vocabulary.
#include <cmath>

#include "errors.h"
#include "models/attention.h"
#include "models/families.h"
#include "models/layers.h"

namespace tfbench {
namespace {

// The spec object's fields (EncoderSpec in packages/core/src/models/families/bert.ts), named as in BertConfig;
// family, head, add_pooling_layer, head_act and position_ids are tfbench's.
struct BertSpec : CommonSpec {
  std::string family;  // "bert" | "roberta" | "distilbert": the checkpoint names (Naming below)
  std::string head;    // "base" (BertModel, ...) | "masked-lm" (BertForMaskedLM, ...)
  bool add_pooling_layer;
  int64_t max_position_embeddings;
  int64_t type_vocab_size;  // 0 = no token type embeddings
  double layer_norm_eps;
  Activation head_act;       // between the masked-LM head's dense layer and its LayerNorm
  std::string position_ids;  // "absolute" (0..T-1) | "padding-offset" (RoBERTa: counting past pad_token_id)
  double hidden_dropout_prob;
  double attention_probs_dropout_prob;
  double initializer_range;
  int64_t pad_token_id;  // the embeddings' padding_idx
};

BertSpec read_spec(const SpecReader& r, const std::string& family) {
  BertSpec s;
  s.family = family;
  static_cast<CommonSpec&>(s) = read_common_spec(r);
  s.head = r.one_of("head", {"base", "masked-lm"});
  s.max_position_embeddings = r.integer("max_position_embeddings", 1);
  s.layer_norm_eps = r.number("layer_norm_eps", 0.0);
  s.initializer_range = r.number("initializer_range", 0.0);
  s.add_pooling_layer = r.boolean("add_pooling_layer");
  s.type_vocab_size = r.integer("type_vocab_size", 0);
  s.head_act = read_activation(r, "head_act");
  s.position_ids = r.one_of("position_ids", {"absolute", "padding-offset"});
  s.hidden_dropout_prob = r.number("hidden_dropout_prob", 0.0);
  s.attention_probs_dropout_prob = r.number("attention_probs_dropout_prob", 0.0);
  s.pad_token_id = r.integer("pad_token_id", 0);

  if (s.hidden_size % s.num_attention_heads != 0)
    throw_bad_spec(c10::str("spec.hidden_size (", s.hidden_size, ") must be a multiple of spec.num_attention_heads (",
                            s.num_attention_heads, ")"));
  if (s.layer_norm_eps <= 0.0) throw_bad_spec(c10::str("spec.layer_norm_eps must be > 0, got ", s.layer_norm_eps));
  check_probability("hidden_dropout_prob", s.hidden_dropout_prob);
  check_probability("attention_probs_dropout_prob", s.attention_probs_dropout_prob);
  if (s.pad_token_id >= s.vocab_size)
    throw_bad_spec(c10::str("spec.pad_token_id (", s.pad_token_id, ") must be < spec.vocab_size (", s.vocab_size, ")"));
  if (s.position_ids == "padding-offset" && s.max_position_embeddings <= s.pad_token_id + 1)
    throw_bad_spec(c10::str("spec.max_position_embeddings (", s.max_position_embeddings,
                            ") must exceed spec.pad_token_id + 1 (", s.pad_token_id + 1,
                            ") for position_ids 'padding-offset'"));
  return s;
}

// Parameter names of one family's checkpoints (N = the layer index).
struct Naming {
  std::string base;           // the base model's attribute in the masked-LM class, with its dot
  std::string layer;          // "<layer>N."
  std::string query, key, value, attention_output, attention_norm, intermediate, output, output_norm;
  std::string head_bias;       // the decoder's bias, owned by the head
  std::string head_dense, head_norm, decoder;
  bool head_bias_first;        // head_bias comes first in named_parameters() (BERT, RoBERTa) or last (DistilBERT)
  bool attention_output_dropout;  // dropout after the attention output projection (not in DistilBERT)
};

Naming naming_for(const std::string& family) {
  if (family == "bert")
    return {"bert.", "encoder.layer.",
            "attention.self.query", "attention.self.key", "attention.self.value",
            "attention.output.dense", "attention.output.LayerNorm",
            "intermediate.dense", "output.dense", "output.LayerNorm",
            "cls.predictions.bias", "cls.predictions.transform.dense", "cls.predictions.transform.LayerNorm",
            "cls.predictions.decoder", true, true};
  if (family == "roberta")
    return {"roberta.", "encoder.layer.",
            "attention.self.query", "attention.self.key", "attention.self.value",
            "attention.output.dense", "attention.output.LayerNorm",
            "intermediate.dense", "output.dense", "output.LayerNorm",
            "lm_head.bias", "lm_head.dense", "lm_head.layer_norm", "lm_head.decoder", true, true};
  if (family == "distilbert")
    return {"distilbert.", "transformer.layer.",
            "attention.q_lin", "attention.k_lin", "attention.v_lin",
            "attention.out_lin", "sa_layer_norm",
            "ffn.lin1", "ffn.lin2", "output_layer_norm",
            "vocab_projector.bias", "vocab_transform", "vocab_layer_norm", "vocab_projector", false, false};
  throw_bad_spec(c10::str("spec.family '", family, "' is not a BERT-shaped encoder"));
}

struct BertLayer {
  Linear query, key, value;  // attention.self.{query,key,value} (DistilBERT: attention.{q,k,v}_lin)
  // query/key/value weights and biases stacked, sharing their storage: inference projects all three with
  // one GEMM; autograd uses the three leaves above.
  at::Tensor qkv_weight;  // (3H, H), a view of (H, 3H) storage
  at::Tensor qkv_bias;    // (3H)
  Linear attention_output;   // attention.output.dense
  LayerNorm attention_norm;  // attention.output.LayerNorm
  Linear intermediate;       // intermediate.dense
  Linear output;             // output.dense
  LayerNorm output_norm;     // output.LayerNorm
};

class Bert final : public Model {
 public:
  Bert(const BertSpec& spec, const BuildOptions& options);

  ModelOutputs forward(const ModelInputs& inputs) override;
  at::Tensor loss(const ModelOutputs& outputs, const at::Tensor& labels) override;
  bool has_loss() const override { return masked_lm_; }
  int64_t vocab_size() const override { return spec_.vocab_size; }
  int64_t max_sequence_length() const override {
    // RoBERTa's position ids run from pad_token_id + 1 to pad_token_id + T
    return offset_positions_ ? spec_.max_position_embeddings - spec_.pad_token_id - 1 : spec_.max_position_embeddings;
  }
  void check_inputs(const ModelInputs& inputs) const override;
  std::string canonical_name(const std::string& name) const override;

 private:
  Linear linear(const std::string& name, int64_t in, int64_t out) {
    return linear_parameters(name, in, out, spec_.initializer_range, /*bias=*/true);
  }
  LayerNorm layer_norm(const std::string& name, int64_t size) {
    return layer_norm_parameters(name, size, spec_.layer_norm_eps);
  }
  BertLayer make_layer(const std::string& prefix);
  at::Tensor self_attention(const BertLayer& l, const at::Tensor& x, const at::Tensor& mask, int64_t B, int64_t T);
  at::Tensor layer_forward(const BertLayer& l, const at::Tensor& x, const at::Tensor& mask, int64_t B, int64_t T);

  BertSpec spec_;
  Naming names_;
  bool masked_lm_;
  bool offset_positions_;  // position_ids 'padding-offset'
  Activation act_;
  Activation head_act_;
  std::string prefix_;  // names_.base ("bert.", ...) for the masked-LM class, "" for the base model

  at::Tensor word_embeddings_;        // (V, H)
  at::Tensor position_embeddings_;    // (max_position_embeddings, H)
  at::Tensor token_type_embeddings_;  // (type_vocab_size, H); undefined when type_vocab_size is 0
  LayerNorm embeddings_norm_;
  std::vector<BertLayer> layers_;
  bool has_pooler_;
  Linear pooler_;
  // Masked-LM head (cls.predictions / lm_head / vocab_*)
  Linear transform_;          // transform.dense
  LayerNorm transform_norm_;  // transform.LayerNorm
  at::Tensor decoder_weight_;  // (V, H): word_embeddings_ when tied
  at::Tensor decoder_bias_;    // (V): cls.predictions.bias / lm_head.bias / vocab_projector.bias
};

BertLayer Bert::make_layer(const std::string& prefix) {
  const int64_t H = spec_.hidden_size, I = spec_.intermediate_size;
  BertLayer l;
  at::Tensor qkv_storage = empty_tensor({H, 3 * H});  // (in, out), see Model::linear_weight()
  fill_normal(qkv_storage, spec_.initializer_range);
  l.qkv_weight = qkv_storage.t();  // (3H, H)
  l.qkv_bias = empty_tensor({3 * H});
  l.qkv_bias.zero_();
  const std::string* names[3] = {&names_.query, &names_.key, &names_.value};
  Linear* parts[3] = {&l.query, &l.key, &l.value};
  for (int i = 0; i < 3; ++i) {
    const std::string name = prefix + *names[i];
    parts[i]->weight = register_parameter(name + ".weight", l.qkv_weight.narrow(0, i * H, H));  // (H, H)
    parts[i]->bias = register_parameter(name + ".bias", l.qkv_bias.narrow(0, i * H, H));        // (H)
  }
  l.attention_output = linear(prefix + names_.attention_output, H, H);
  l.attention_norm = layer_norm(prefix + names_.attention_norm, H);
  l.intermediate = linear(prefix + names_.intermediate, H, I);
  l.output = linear(prefix + names_.output, I, H);
  l.output_norm = layer_norm(prefix + names_.output_norm, H);
  return l;
}

Bert::Bert(const BertSpec& spec, const BuildOptions& options)
    : Model(options),
      spec_(spec),
      names_(naming_for(spec.family)),
      masked_lm_(spec.head == "masked-lm"),
      offset_positions_(spec.position_ids == "padding-offset"),
      act_(spec.hidden_act),
      head_act_(spec.head_act),
      prefix_(masked_lm_ ? names_.base : ""),
      has_pooler_(spec.add_pooling_layer) {
  const int64_t H = spec.hidden_size, V = spec.vocab_size;
  const double std = spec.initializer_range;
  const std::string e = prefix_ + "embeddings.";

  word_embeddings_ = normal_parameter(e + "word_embeddings.weight", {V, H}, std);
  {
    at::NoGradGuard no_grad;
    word_embeddings_[spec.pad_token_id].zero_();  // the padding_idx row starts at zero
  }
  position_embeddings_ = normal_parameter(e + "position_embeddings.weight", {spec.max_position_embeddings, H}, std);
  if (offset_positions_) {
    at::NoGradGuard no_grad;
    position_embeddings_[spec.pad_token_id].zero_();  // RoBERTa's position embeddings have padding_idx too
  }
  if (spec.type_vocab_size > 0)
    token_type_embeddings_ = normal_parameter(e + "token_type_embeddings.weight", {spec.type_vocab_size, H}, std);
  embeddings_norm_ = layer_norm(e + "LayerNorm", H);

  layers_.reserve(spec.num_hidden_layers);
  for (int64_t i = 0; i < spec.num_hidden_layers; ++i) {
    layers_.push_back(make_layer(c10::str(prefix_, names_.layer, i, ".")));
  }
  if (has_pooler_) pooler_ = linear(prefix_ + "pooler.dense", H, H);

  if (masked_lm_) {
    // Registered in named_parameters() order: the head's own bias first (BERT, RoBERTa) or last (DistilBERT).
    if (names_.head_bias_first) decoder_bias_ = constant_parameter(names_.head_bias, {V}, 0.0);
    transform_ = linear(names_.head_dense, H, H);
    transform_norm_ = layer_norm(names_.head_norm, H);
    decoder_weight_ = spec.tie_word_embeddings ? word_embeddings_
                                               : normal_parameter(names_.decoder + ".weight", {V, H}, std);
    if (!names_.head_bias_first) decoder_bias_ = constant_parameter(names_.head_bias, {V}, 0.0);
  }
}

std::string Bert::canonical_name(const std::string& name) const {
  if (!masked_lm_) return name;
  // Some checkpoints also store the decoder's bias (the same tensor as the head's bias) and, when tied,
  // the decoder's weight (the same tensor as the word embeddings).
  if (name == names_.decoder + ".bias") return names_.head_bias;
  if (name == names_.decoder + ".weight" && spec_.tie_word_embeddings)
    return prefix_ + "embeddings.word_embeddings.weight";
  return name;
}

void Bert::check_inputs(const ModelInputs& inputs) const {
  Model::check_inputs(inputs);
  if (inputs.token_type_ids.defined() && spec_.type_vocab_size == 0)
    throw_bad_input(c10::str("token_type_ids were given but this ", spec_.family, " model has no token types"));
  if (inputs.token_type_ids.defined()) {
    auto [lo, hi] = at::aminmax(inputs.token_type_ids);
    int64_t min = lo.item<int64_t>(), max = hi.item<int64_t>();
    if (min < 0 || max >= spec_.type_vocab_size)
      throw_bad_input(c10::str("token_type_ids must lie in [0, type_vocab_size = ", spec_.type_vocab_size,
                               "), got values in [", min, ", ", max, "]"));
  }
}

// softmax(q k^T / sqrt(hs) + mask) v for every head; returns the heads' contexts side by side, (B*T, H).
at::Tensor Bert::self_attention(const BertLayer& l, const at::Tensor& x, const at::Tensor& mask, int64_t B,
                                int64_t T) {
  const int64_t H = spec_.hidden_size, nh = spec_.num_attention_heads, hs = H / nh;
  if (!at::GradMode::is_enabled() && !is_training()) {
    // Inference: one GEMM projects query, key and value; every head then reads its slice of that buffer in
    // place (strided views, no permuted copies) and writes its context straight into the (B*T, H) result.
    at::Tensor qkv = at::addmm(l.qkv_bias, x, l.qkv_weight.t()).view({B, T, 3, nh, hs});  // (B, T, 3, nh, hs)
    at::Tensor q = qkv.select(2, 0).transpose(1, 2);  // (B, nh, T, hs), strided
    at::Tensor k = qkv.select(2, 1).transpose(1, 2);  // (B, nh, T, hs), strided
    at::Tensor v = qkv.select(2, 2).transpose(1, 2);  // (B, nh, T, hs), strided
    at::Tensor context = at::empty({B * T, H}, x.options());                  // (B*T, H)
    at::Tensor context_heads = context.view({B, T, nh, hs}).transpose(1, 2);  // (B, nh, T, hs), strided
    // mask (B, 1, 1, T); scores / sqrt(hs) as Hugging Face scales them
    scaled_dot_product_attention(q, k, v, mask, ScoreRule{std::sqrt(static_cast<double>(hs))}, context_heads);
    return context;
  }
  auto split_heads = [&](const at::Tensor& t) {                               // (B*T, H)
    return t.view({B, T, nh, hs}).transpose(1, 2).reshape({B * nh, T, hs});  // (B*nh, T, hs)
  };
  at::Tensor q = split_heads(l.query(x));
  at::Tensor k = split_heads(l.key(x));
  at::Tensor v = split_heads(l.value(x));
  at::Tensor scores = at::bmm(q, k.transpose(1, 2)).div_(std::sqrt(static_cast<double>(hs)));  // (B*nh, T, T)
  if (mask.defined()) scores = scores.view({B, nh, T, T}).add(mask).view({B * nh, T, T});
  at::Tensor probs = at::softmax(scores, -1);  // (B*nh, T, T)
  probs = at::dropout(probs, spec_.attention_probs_dropout_prob, is_training());
  at::Tensor context = at::bmm(probs, v);                                          // (B*nh, T, hs)
  return context.view({B, nh, T, hs}).permute({0, 2, 1, 3}).reshape({B * T, H});  // (B*T, H)
}

// x = LayerNorm(x + dropout(attention_output(attention(x)))); x = LayerNorm(x + dropout(output(act(intermediate(x)))))
at::Tensor Bert::layer_forward(const BertLayer& l, const at::Tensor& x, const at::Tensor& mask, int64_t B, int64_t T) {
  const double p = spec_.hidden_dropout_prob;
  if (!at::GradMode::is_enabled() && !is_training()) {
    // Inference, no dropout: each residual input is dead after its block, so bias and residual are summed
    // into it and the GEMM accumulates onto that (beta = 1): no extra buffer, one pass fewer.
    at::Tensor context = self_attention(l, x, mask, B, T);                                       // (B*T, H)
    at::Tensor a = x.add_(l.attention_output.bias).addmm_(context, l.attention_output.weight.t());  // (B*T, H)
    at::Tensor h = l.attention_norm(a);                                                          // (B*T, H)
    at::Tensor f = activate(act_, l.intermediate(h));                                            // (B*T, I)
    return l.output_norm(h.add_(l.output.bias).addmm_(f, l.output.weight.t()));                  // (B*T, H)
  }
  at::Tensor a = l.attention_output(self_attention(l, x, mask, B, T));  // (B*T, H)
  if (names_.attention_output_dropout) a = at::dropout(a, p, is_training());
  a = a.add_(x);
  at::Tensor h = l.attention_norm(a);                          // (B*T, H)
  at::Tensor f = activate(act_, l.intermediate(h));            // (B*T, I)
  f = at::dropout(l.output(f), p, is_training()).add_(h);      // (B*T, H)
  return l.output_norm(f);
}

ModelOutputs Bert::forward(const ModelInputs& in) {
  const at::Tensor& ids = in.input_ids;  // (B, T)
  TORCH_CHECK(ids.dim() == 2, "input_ids must be (batch, sequence), got ", ids.sizes());
  const int64_t B = ids.size(0), T = ids.size(1), H = spec_.hidden_size;

  // Embeddings: word + token type (0 when not given; none in DistilBERT) + position
  at::Tensor x = at::embedding(word_embeddings_, ids.reshape({B * T}), spec_.pad_token_id);  // (B*T, H)
  if (in.token_type_ids.defined()) {
    x.add_(at::embedding(token_type_embeddings_, in.token_type_ids.reshape({B * T})));  // (B*T, H)
  } else if (token_type_embeddings_.defined()) {
    x.add_(token_type_embeddings_[0]);  // (H)
  }
  if (offset_positions_) {
    // RoBERTa: non-padding tokens count up from pad + 1, padding tokens sit at pad
    const int64_t pad = spec_.pad_token_id;
    at::Tensor not_pad = ids.ne(pad).to(at::kLong);                      // (B, T)
    at::Tensor positions = at::cumsum(not_pad, 1).mul_(not_pad).add_(pad);  // (B, T)
    x.add_(at::embedding(position_embeddings_, positions.reshape({B * T}), pad));  // (B*T, H)
  } else {
    x.view({B, T, H}).add_(position_embeddings_.narrow(0, 0, T));  // (T, H) broadcast over B
  }
  x = at::dropout(embeddings_norm_(x), spec_.hidden_dropout_prob, is_training());
  probe("embeddings");

  // Additive attention mask, (B, 1, 1, T): 0 where attended, the dtype's lowest finite value where masked
  at::Tensor mask;
  if (in.attention_mask.defined()) {
    mask = at::rsub(in.attention_mask.to(x.scalar_type()), 1.0).mul_(lowest_finite(x.scalar_type()));
    mask = mask.view({B, 1, 1, T});
  }

  for (size_t i = 0; i < layers_.size(); ++i) {
    x = layer_forward(layers_[i], x, mask, B, T);  // (B*T, H)
    probe("layer", static_cast<int64_t>(i));
  }

  ModelOutputs out;
  out.last_hidden_state = x.view({B, T, H});
  if (has_pooler_) {
    out.pooler_output = at::tanh(pooler_(out.last_hidden_state.select(1, 0)));  // (B, H), from token 0
  }
  if (masked_lm_) {
    at::Tensor t = transform_norm_(activate(head_act_, transform_(x)));            // (B*T, H)
    const int64_t V = spec_.vocab_size;
    out.logits = at::addmm(decoder_bias_, t, decoder_weight_.t()).view({B, T, V});  // (B*T, V) -> (B, T, V)
  }
  probe("head");
  return out;
}

at::Tensor Bert::loss(const ModelOutputs& outputs, const at::Tensor& labels) {
  if (!masked_lm_) throw_bad_input(c10::str("loss needs head 'masked-lm'; this ", spec_.family, " model has head 'base'"));
  const int64_t V = spec_.vocab_size;
  return at::cross_entropy_loss(outputs.logits.view({-1, V}), labels.reshape({-1}));  // mean over all positions
}

}  // namespace

ModelBuilder read_bert_spec(const SpecReader& reader, const std::string& family) {
  BertSpec spec = read_spec(reader, family);
  return [spec](const BuildOptions& options) { return std::make_shared<Bert>(spec, options); };
}

}  // namespace tfbench
