// Reads a NativeModelSpec from JavaScript, field by field, into the plain C++ ModelSpec.
#include "models/config.h"

#include <napi.h>

#include "errors.h"
#include "napi/fields.h"

namespace tfbench {
namespace {

void check_probability(const char* name, double p) {
  if (p < 0.0 || p >= 1.0) throw_bad_spec(c10::str("spec.", name, " must be in [0, 1), got ", p));
}

}  // namespace

ModelSpec spec_from_js(const Napi::Object& object) {
  js::Fields f(object, "spec", "BAD_SPEC");
  ModelSpec s;
  s.family = f.one_of("family", {"bert", "roberta", "distilbert", "gpt2", "llama", "t5"});
  const auto activation = [&](const char* name) {
    return f.one_of(name, {"gelu", "gelu_new", "gelu_pytorch_tanh", "relu", "silu"});
  };
  // What every family has.
  s.vocab_size = f.integer("vocab_size", 1);
  s.hidden_size = f.integer("hidden_size", 1);
  s.num_hidden_layers = f.integer("num_hidden_layers", 0);
  s.num_attention_heads = f.integer("num_attention_heads", 1);
  s.intermediate_size = f.integer("intermediate_size", 1);
  s.hidden_act = activation("hidden_act");
  s.tie_word_embeddings = f.boolean("tie_word_embeddings");

  if (s.family == "gpt2") {
    s.head = f.one_of("head", {"base", "causal-lm"});
    s.max_position_embeddings = f.integer("max_position_embeddings", 1);
    s.layer_norm_eps = f.number("layer_norm_eps", 0.0);
    s.initializer_range = f.number("initializer_range", 0.0);
    s.head_act = s.hidden_act;
    s.scale_attn_weights = f.boolean("scale_attn_weights");
    s.scale_attn_by_inverse_layer_idx = f.boolean("scale_attn_by_inverse_layer_idx");
    s.embd_pdrop = f.number("embd_pdrop", 0.0);
    s.attn_pdrop = f.number("attn_pdrop", 0.0);
    s.resid_pdrop = f.number("resid_pdrop", 0.0);
  } else if (s.family == "llama") {
    s.head = f.one_of("head", {"base", "causal-lm"});
    s.max_position_embeddings = f.integer("max_position_embeddings", 1);
    s.initializer_range = f.number("initializer_range", 0.0);
    s.head_dim = f.integer("head_dim", 2);
    s.num_key_value_heads = f.integer("num_key_value_heads", 1);
    s.rope_theta = f.number("rope_theta", 0.0);
    s.rms_norm_eps = f.number("rms_norm_eps", 0.0);
    s.rope_type = f.one_of("rope_type", {"default", "linear", "llama3"});
    s.rope_factor = f.number("rope_factor", 0.0);
    s.rope_low_freq_factor = f.number("rope_low_freq_factor", 0.0);
    s.rope_high_freq_factor = f.number("rope_high_freq_factor", 0.0);
    s.rope_original_max_position_embeddings = f.number("rope_original_max_position_embeddings", 0.0);
    s.sliding_window = f.integer("sliding_window", 0);
    s.pad_token_id = f.integer("pad_token_id", -1);
    s.attention_bias = f.boolean("attention_bias");
    s.attention_output_bias = f.boolean("attention_output_bias");
    s.mlp_bias = f.boolean("mlp_bias");
    s.attention_dropout = f.number("attention_dropout", 0.0);
  } else if (s.family == "t5") {
    s.head = f.one_of("head", {"base", "seq2seq-lm"});
    s.head_dim = f.integer("head_dim", 1);
    s.num_decoder_layers = f.integer("num_decoder_layers", 0);
    s.relative_attention_num_buckets = f.integer("relative_attention_num_buckets", 2);
    s.relative_attention_max_distance = f.integer("relative_attention_max_distance", 1);
    s.gated_feed_forward = f.boolean("gated_feed_forward");
    s.layer_norm_eps = f.number("layer_norm_eps", 0.0);
    s.dropout_rate = f.number("dropout_rate", 0.0);
    s.initializer_factor = f.number("initializer_factor", 0.0);
  } else {  // BERT-shaped encoders (BERT, RoBERTa, DistilBERT)
    s.head = f.one_of("head", {"base", "masked-lm"});
    s.max_position_embeddings = f.integer("max_position_embeddings", 1);
    s.layer_norm_eps = f.number("layer_norm_eps", 0.0);
    s.initializer_range = f.number("initializer_range", 0.0);
    s.add_pooling_layer = f.boolean("add_pooling_layer");
    s.type_vocab_size = f.integer("type_vocab_size", 0);
    s.head_act = activation("head_act");
    s.position_ids = f.one_of("position_ids", {"absolute", "padding-offset"});
    s.hidden_dropout_prob = f.number("hidden_dropout_prob", 0.0);
    s.attention_probs_dropout_prob = f.number("attention_probs_dropout_prob", 0.0);
    s.pad_token_id = f.integer("pad_token_id", 0);
  }
  validate_spec(s);
  return s;
}

void validate_spec(const ModelSpec& s) {
  const bool explicit_head_dim = s.family == "llama" || s.family == "t5";
  if (explicit_head_dim && s.head_dim < 1) throw_bad_spec(c10::str("spec.head_dim must be >= 1, got ", s.head_dim));
  if (s.family == "llama" && s.head_dim % 2 != 0)
    throw_bad_spec(c10::str("spec.head_dim must be even for rotary position embeddings, got ", s.head_dim));
  if (s.family == "llama" && (s.num_key_value_heads < 1 || s.num_attention_heads % s.num_key_value_heads != 0))
    throw_bad_spec(c10::str("spec.num_attention_heads (", s.num_attention_heads,
                            ") must be a multiple of spec.num_key_value_heads (", s.num_key_value_heads, ")"));
  if (s.family == "llama" && (s.rope_theta <= 0.0 || s.rms_norm_eps <= 0.0 || s.rope_factor <= 0.0 ||
                              s.rope_low_freq_factor <= 0.0 || s.rope_original_max_position_embeddings <= 0.0))
    throw_bad_spec("spec.rope_theta, rms_norm_eps, rope_factor, rope_low_freq_factor and "
                   "rope_original_max_position_embeddings must be > 0");
  if (s.family == "llama" && s.rope_type == "llama3" && s.rope_high_freq_factor <= s.rope_low_freq_factor)
    throw_bad_spec("spec.rope_high_freq_factor must exceed spec.rope_low_freq_factor");
  if (s.family == "t5" && s.relative_attention_num_buckets < 2)
    throw_bad_spec(c10::str("spec.relative_attention_num_buckets must be >= 2, got ", s.relative_attention_num_buckets));
  if (!explicit_head_dim && s.hidden_size % s.num_attention_heads != 0)
    throw_bad_spec(c10::str("spec.hidden_size (", s.hidden_size, ") must be a multiple of spec.num_attention_heads (",
                            s.num_attention_heads, ")"));
  if (s.family != "llama" && s.layer_norm_eps <= 0.0)
    throw_bad_spec(c10::str("spec.layer_norm_eps must be > 0, got ", s.layer_norm_eps));
  if (s.initializer_range < 0.0)
    throw_bad_spec(c10::str("spec.initializer_range must be >= 0, got ", s.initializer_range));
  check_probability("hidden_dropout_prob", s.hidden_dropout_prob);
  check_probability("attention_probs_dropout_prob", s.attention_probs_dropout_prob);
  check_probability("embd_pdrop", s.embd_pdrop);
  check_probability("attn_pdrop", s.attn_pdrop);
  check_probability("resid_pdrop", s.resid_pdrop);
  check_probability("attention_dropout", s.attention_dropout);
  check_probability("dropout_rate", s.dropout_rate);
  if (s.pad_token_id >= s.vocab_size)
    throw_bad_spec(c10::str("spec.pad_token_id (", s.pad_token_id, ") must be < spec.vocab_size (", s.vocab_size, ")"));
  if (s.position_ids == "padding-offset" && s.max_position_embeddings <= s.pad_token_id + 1)
    throw_bad_spec(c10::str("spec.max_position_embeddings (", s.max_position_embeddings,
                            ") must exceed spec.pad_token_id + 1 (", s.pad_token_id + 1,
                            ") for position_ids 'padding-offset'"));
}

}  // namespace tfbench
