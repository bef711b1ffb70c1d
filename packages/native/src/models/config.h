// The normalised model description the addon builds from (NativeModelSpec in lib/index.ts).
// Field names are Hugging Face config.json names; `family`, `head` and `add_pooling_layer` are tfbench's.
// TypeScript (packages/core) resolves aliases and defaults; this side checks types and ranges only.
#pragma once

#include <cstdint>
#include <string>

namespace Napi {
class Object;
}

namespace tfbench {

struct ModelSpec {
  std::string family;  // "bert" | "roberta" | "distilbert": BERT-shaped encoders, named as their checkpoints;
                       // "gpt2": the GPT-2 decoder (gpt2.cc)
  std::string head;    // "base" (BertModel, GPT2Model, ...) | "masked-lm" (BertForMaskedLM, ...) |
                       // "causal-lm" (GPT2LMHeadModel)
  bool add_pooling_layer = false;
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t num_hidden_layers = 0;
  int64_t num_attention_heads = 0;
  int64_t intermediate_size = 0;
  int64_t max_position_embeddings = 0;
  int64_t type_vocab_size = 0;  // 0 = no token type embeddings
  double layer_norm_eps = 1e-12;
  std::string hidden_act;  // "gelu" | "gelu_new" | "gelu_pytorch_tanh" | "relu" | "silu"
  std::string head_act;    // the masked-LM head's activation, same names
  std::string position_ids = "absolute";  // "absolute" (0..T-1) | "padding-offset" (RoBERTa: past pad_token_id)
  double hidden_dropout_prob = 0.0;
  double attention_probs_dropout_prob = 0.0;
  double initializer_range = 0.02;
  int64_t pad_token_id = 0;
  bool tie_word_embeddings = true;
  // GPT-2 only (family "gpt2"); its dropouts are these three, hidden/attention_probs_dropout_prob stay 0
  bool scale_attn_weights = true;
  bool scale_attn_by_inverse_layer_idx = false;
  double embd_pdrop = 0.0;
  double attn_pdrop = 0.0;
  double resid_pdrop = 0.0;
};

// Reads every field of a NativeModelSpec object, then validate_spec(). Throws tfbench::Error with code
// BAD_SPEC naming the field when one is missing, of the wrong type or out of range.
ModelSpec spec_from_js(const Napi::Object& object);

// Range and consistency checks (positive sizes, hidden_size divisible by num_attention_heads, ...).
void validate_spec(const ModelSpec& spec);

}  // namespace tfbench
