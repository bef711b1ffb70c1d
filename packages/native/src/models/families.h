// The model families, one file each (bert.cc, gpt2.cc, llama.cc, t5.cc). A family file owns its spec: the
// struct, its reader (fields of the spec object JS passes to buildModel, read and range-checked), its modules
// and forward. TypeScript (packages/core, models/families/<family>.ts) resolves Hugging Face aliases and
// defaults; the readers check types and ranges only. No Node-API here: the napi side implements SpecReader.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>

#include "models/layers.h"
#include "models/model.h"

namespace tfbench {

// The fields of one spec object. Every problem (missing, wrong type, out of range) throws tfbench::Error with
// code BAD_SPEC and the message "spec.<field> ...".
class SpecReader {
 public:
  virtual ~SpecReader() = default;
  virtual std::string one_of(const char* field, std::initializer_list<const char*> allowed) const = 0;
  virtual bool boolean(const char* field) const = 0;
  virtual double number(const char* field, double min) const = 0;    // finite, >= min
  virtual int64_t integer(const char* field, int64_t min) const = 0;  // a safe integer, >= min
};

// The fields every family's spec has, under BERT's names (the TypeScript families map their configs' names to
// them, e.g. GPT-2's n_embd to hidden_size). A family's spec struct derives from it.
struct CommonSpec {
  int64_t vocab_size;
  int64_t hidden_size;
  int64_t num_hidden_layers;
  int64_t num_attention_heads;
  int64_t intermediate_size;
  Activation hidden_act;
  bool tie_word_embeddings;
};

// Reads spec.family, then hands the spec to that family's reader.
ModelBuilder read_model_spec(const SpecReader& spec);

// Each family's reader: the family's spec, read and checked, bound to the family's model.
ModelBuilder read_bert_spec(const SpecReader& spec, const std::string& family);  // "bert", "roberta", "distilbert"
ModelBuilder read_gpt2_spec(const SpecReader& spec);
ModelBuilder read_llama_spec(const SpecReader& spec);  // LLaMA, Mistral, Qwen2
ModelBuilder read_t5_spec(const SpecReader& spec);

// For the readers: the common fields, read and checked.
CommonSpec read_common_spec(const SpecReader& spec);
// For the readers: an activation field ("gelu", "gelu_new", "gelu_pytorch_tanh", "relu" or "silu").
Activation read_activation(const SpecReader& spec, const char* field);
// For the readers' checks: BAD_SPEC "spec.<field> must be in [0, 1), got <p>" unless 0 <= p < 1.
void check_probability(const char* field, double p);

}  // namespace tfbench
