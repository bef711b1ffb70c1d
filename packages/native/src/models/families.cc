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

void check_probability(const char* field, double p) {
  if (p < 0.0 || p >= 1.0) throw_bad_spec(c10::str("spec.", field, " must be in [0, 1), got ", p));
}

}  // namespace tfbench
