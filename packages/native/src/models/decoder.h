// What the decoder-only families (gpt2.cc, llama.cc) share: head 'base' or 'causal-lm', an LM head that is the
// token embedding when tied, the outputs of the final hidden states, the shifted causal-LM loss, and generation:
// the prefill and every decode step are one cached forward (extend) over new positions.
#pragma once

#include <string>

#include "errors.h"
#include "models/generation.h"
#include "models/layers.h"
#include "models/model.h"

namespace tfbench {

class CausalDecoder : public Model {
 public:
  at::Tensor loss(const ModelOutputs& outputs, const at::Tensor& labels) override {
    if (!causal_lm_) throw_bad_input(c10::str("loss needs head 'causal-lm'; this ", family_, " model has head 'base'"));
    return causal_lm_loss(outputs.logits, labels);
  }
  bool has_loss() const override { return causal_lm_; }

  void check_generation(int64_t prompt_length, int64_t new_tokens) const override {
    if (!causal_lm_)
      throw_bad_input(c10::str("generate needs head 'causal-lm'; this ", family_, " model has head 'base'"));
    if (new_tokens < 1) throw_bad_input(c10::str("newTokens must be >= 1, got ", new_tokens));
    // The cache holds S + N positions (the last token is never fed back, but a static cache has room for it).
    if (prompt_length + new_tokens > max_sequence_length())
      throw_bad_input(c10::str("a prompt of ", prompt_length, " tokens and ", new_tokens, " new tokens need ",
                               prompt_length + new_tokens, " positions, more than this ", family_,
                               " model's max_position_embeddings (", max_sequence_length(), ")"));
  }
  at::Tensor prefill(const at::Tensor& prompt_ids, KvCache& cache) override { return extend(prompt_ids, cache); }
  at::Tensor decode_step(const at::Tensor& token_ids, KvCache& cache) override { return extend(token_ids, cache); }

 protected:
  CausalDecoder(const BuildOptions& options, std::string family, const std::string& head)
      : Model(options), family_(std::move(family)), causal_lm_(head == "causal-lm") {
    weight_layout_ = WeightLayout::kOutIn;  // decode steps read every weight once: streaming_linear's rows
    if (head != "base" && head != "causal-lm")
      throw_bad_spec(c10::str("spec.head '", head, "' is not supported for ", family_, " (supported: 'base', 'causal-lm')"));
  }

  // The LM head: `embedding` when tied, else a new (V, H) parameter "lm_head.weight". Only for 'causal-lm'.
  void make_lm_head(const at::Tensor& embedding, bool tied, double std) {
    if (causal_lm_) lm_head_ = tied ? embedding : normal_parameter("lm_head.weight", embedding.sizes(), std);
  }

  // Outputs of the final hidden states x (B*T, H): last_hidden_state (B, T, H) and, with the LM head, logits
  // (B, T, V); probes "head" last.
  ModelOutputs outputs(const at::Tensor& x, int64_t B, int64_t T) {
    ModelOutputs out;
    out.last_hidden_state = x.view({B, T, x.size(1)});
    if (causal_lm_) out.logits = affine(x, lm_head_, at::Tensor()).view({B, T, lm_head_.size(0)});  // (B, T, V)
    probe("head");
    return out;
  }

  // A cached forward: ids (B, T) at positions [P, P + T), P = cache.length; writes every layer's keys and values of
  // those positions into `cache` and advances it by T. Returns the logits (B, V) of the last position only (the
  // next token's): its final norm and LM head run on that position alone, which in a prefill saves the
  // (B, S, V) product the other positions would need. (transformers 4.47's generate asks LLaMA, Mistral and Qwen2
  // for the last position only, num_logits_to_keep = 1, and GPT-2 for all of them.)
  virtual at::Tensor extend(const at::Tensor& ids, KvCache& cache) = 0;

  // The last position of each sequence of hidden states x (B*T, H): (B, H), a strided view.
  static at::Tensor last_position(const at::Tensor& x, int64_t B, int64_t T) {
    return x.view({B, T, x.size(1)}).select(1, T - 1);
  }
  // The LM head on final hidden states (B, H) -> logits (B, V).
  at::Tensor next_token_logits(const at::Tensor& h) const { return affine(h, lm_head_, at::Tensor()); }

  std::string family_;
  bool causal_lm_;
  at::Tensor lm_head_;  // (V, H): the token embedding when tied; undefined for 'base'
};

}  // namespace tfbench
