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
                       // "gpt2": the GPT-2 decoder (gpt2.cc); "llama": LLaMA-shaped decoders (LLaMA, Mistral,
                       // Qwen2; llama.cc); "t5": the T5 encoder-decoder (t5.cc)
  std::string head;    // "base" (BertModel, GPT2Model, LlamaModel, T5Model, ...) | "masked-lm" (BertForMaskedLM,
                       // ...) | "causal-lm" (GPT2LMHeadModel, LlamaForCausalLM, ...) | "seq2seq-lm"
                       // (T5ForConditionalGeneration)
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
  int64_t pad_token_id = 0;  // the embeddings' padding_idx; llama: -1 for none
  bool tie_word_embeddings = true;
  // GPT-2 only (family "gpt2"); its dropouts are these three, hidden/attention_probs_dropout_prob stay 0
  bool scale_attn_weights = true;
  bool scale_attn_by_inverse_layer_idx = false;
  double embd_pdrop = 0.0;
  double attn_pdrop = 0.0;
  double resid_pdrop = 0.0;
  // LLaMA-shaped decoders (family "llama") and T5 (head_dim is T5's d_kv)
  int64_t head_dim = 0;             // per-head size; num_attention_heads * head_dim need not be hidden_size
  int64_t num_key_value_heads = 0;  // llama: grouped-query attention, divides num_attention_heads
  double rope_theta = 10000.0;      // llama: rotary base
  double rms_norm_eps = 1e-6;       // llama: RMSNorm epsilon (T5 uses layer_norm_eps for its RMS norm)
  std::string rope_type = "default";  // llama: rope_scaling "default" | "linear" | "llama3"
  double rope_factor = 1.0;
  double rope_low_freq_factor = 1.0;   // llama3 only, as the three below
  double rope_high_freq_factor = 1.0;
  double rope_original_max_position_embeddings = 1.0;
  int64_t sliding_window = 0;       // llama (Mistral): attend to the last sliding_window keys only; 0 = all
  bool attention_bias = false;      // llama: q/k/v projections have biases (LLaMA attention_bias, Qwen2)
  bool attention_output_bias = false;  // llama: o_proj has a bias (LLaMA attention_bias; not Qwen2)
  bool mlp_bias = false;            // llama: gate/up/down projections have biases
  double attention_dropout = 0.0;   // llama: dropout on the attention probabilities
  // T5 only (family "t5"): hidden_size = d_model, intermediate_size = d_ff, num_hidden_layers = num_layers
  int64_t num_decoder_layers = 0;
  int64_t relative_attention_num_buckets = 32;
  int64_t relative_attention_max_distance = 128;
  bool gated_feed_forward = false;  // feed_forward_proj "gated-<act>": wo(act(wi_0 x) * wi_1 x)
  double dropout_rate = 0.0;
  double initializer_factor = 1.0;
};

// Reads every field of a NativeModelSpec object, then validate_spec(). Throws tfbench::Error with code
// BAD_SPEC naming the field when one is missing, of the wrong type or out of range.
ModelSpec spec_from_js(const Napi::Object& object);

// Range and consistency checks (positive sizes, head sizes that fit, probabilities in [0, 1), ...).
void validate_spec(const ModelSpec& spec);

}  // namespace tfbench
