// Reads a NativeModelSpec from JavaScript, field by field, into the plain C++ ModelSpec.
#include "models/config.h"

#include <napi.h>

#include "errors.h"
#include "napi/convert.h"

namespace tfbench {
namespace {

void check_probability(const char* name, double p) {
  if (p < 0.0 || p >= 1.0) throw_bad_spec(c10::str("spec.", name, " must be in [0, 1), got ", p));
}

}  // namespace

ModelSpec spec_from_js(const Napi::Object& object) {
  js::Fields f(object, "spec", "BAD_SPEC");
  ModelSpec s;
  s.family = f.one_of("family", {"bert", "roberta", "distilbert", "gpt2"});
  const bool gpt2 = s.family == "gpt2";
  s.head = gpt2 ? f.one_of("head", {"base", "causal-lm"}) : f.one_of("head", {"base", "masked-lm"});
  // Sizes and norms every family has.
  s.vocab_size = f.integer("vocab_size", 1);
  s.hidden_size = f.integer("hidden_size", 1);
  s.num_hidden_layers = f.integer("num_hidden_layers", 0);
  s.num_attention_heads = f.integer("num_attention_heads", 1);
  s.intermediate_size = f.integer("intermediate_size", 1);
  s.max_position_embeddings = f.integer("max_position_embeddings", 1);
  s.layer_norm_eps = f.number("layer_norm_eps", 0.0);
  s.hidden_act = f.one_of("hidden_act", {"gelu", "gelu_new", "gelu_pytorch_tanh", "relu", "silu"});
  s.initializer_range = f.number("initializer_range", 0.0);
  s.tie_word_embeddings = f.boolean("tie_word_embeddings");
  if (gpt2) {
    s.head_act = s.hidden_act;
    s.scale_attn_weights = f.boolean("scale_attn_weights");
    s.scale_attn_by_inverse_layer_idx = f.boolean("scale_attn_by_inverse_layer_idx");
    s.embd_pdrop = f.number("embd_pdrop", 0.0);
    s.attn_pdrop = f.number("attn_pdrop", 0.0);
    s.resid_pdrop = f.number("resid_pdrop", 0.0);
    validate_spec(s);
    return s;
  }
  // Encoders (BERT, RoBERTa, DistilBERT).
  s.add_pooling_layer = f.boolean("add_pooling_layer");
  s.type_vocab_size = f.integer("type_vocab_size", 0);
  s.head_act = f.one_of("head_act", {"gelu", "gelu_new", "gelu_pytorch_tanh", "relu", "silu"});
  s.position_ids = f.one_of("position_ids", {"absolute", "padding-offset"});
  s.hidden_dropout_prob = f.number("hidden_dropout_prob", 0.0);
  s.attention_probs_dropout_prob = f.number("attention_probs_dropout_prob", 0.0);
  s.pad_token_id = f.integer("pad_token_id", 0);
  validate_spec(s);
  return s;
}

void validate_spec(const ModelSpec& s) {
  if (s.hidden_size % s.num_attention_heads != 0)
    throw_bad_spec(c10::str("spec.hidden_size (", s.hidden_size, ") must be a multiple of spec.num_attention_heads (",
                            s.num_attention_heads, ")"));
  if (s.layer_norm_eps <= 0.0) throw_bad_spec(c10::str("spec.layer_norm_eps must be > 0, got ", s.layer_norm_eps));
  if (s.initializer_range < 0.0)
    throw_bad_spec(c10::str("spec.initializer_range must be >= 0, got ", s.initializer_range));
  check_probability("hidden_dropout_prob", s.hidden_dropout_prob);
  check_probability("attention_probs_dropout_prob", s.attention_probs_dropout_prob);
  check_probability("embd_pdrop", s.embd_pdrop);
  check_probability("attn_pdrop", s.attn_pdrop);
  check_probability("resid_pdrop", s.resid_pdrop);
  if (s.pad_token_id >= s.vocab_size)
    throw_bad_spec(c10::str("spec.pad_token_id (", s.pad_token_id, ") must be < spec.vocab_size (", s.vocab_size, ")"));
  if (s.position_ids == "padding-offset" && s.max_position_embeddings <= s.pad_token_id + 1)
    throw_bad_spec(c10::str("spec.max_position_embeddings (", s.max_position_embeddings,
                            ") must exceed spec.pad_token_id + 1 (", s.pad_token_id + 1,
                            ") for position_ids 'padding-offset'"));
}

}  // namespace tfbench
