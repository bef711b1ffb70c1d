// spec.family -> the family's reader, and what the readers share.
#include "models/families.h"

#include <c10/util/StringUtil.h>

#include "errors.h"

namespace tfbench {

ModelBuilder read_model_spec(const SpecReader& spec) {
  const std::string family = spec.one_of("family", {"bert", "roberta", "distilbert", "gpt2", "llama", "t5"});
  if (family == "gpt2") return read_gpt2_spec(spec);
  if (family == "llama") return read_llama_spec(spec);
  if (family == "t5") return read_t5_spec(spec);
  return read_bert_spec(spec, family);
}

Activation read_activation(const SpecReader& spec, const char* field) {
  return parse_activation(spec.one_of(field, {"gelu", "gelu_new", "gelu_pytorch_tanh", "relu", "silu"}));
}

CommonSpec read_common_spec(const SpecReader& r) {
  CommonSpec s;
  s.vocab_size = r.integer("vocab_size", 1);
  s.hidden_size = r.integer("hidden_size", 1);
  s.num_hidden_layers = r.integer("num_hidden_layers", 0);
  s.num_attention_heads = r.integer("num_attention_heads", 1);
  s.intermediate_size = r.integer("intermediate_size", 1);
  s.hidden_act = read_activation(r, "hidden_act");
  s.tie_word_embeddings = r.boolean("tie_word_embeddings");
  return s;
}

void check_probability(const char* field, double p) {
  if (p < 0.0 || p >= 1.0) throw_bad_spec(c10::str("spec.", field, " must be in [0, 1), got ", p));
}

}  // namespace tfbench
