// What the decoder-only families (gpt2.cc, llama.cc) share: head 'base' or 'causal-lm', an LM head that is the
// token embedding when tied, the outputs of the final hidden states, and the shifted causal-LM loss.
#pragma once

#include <string>

#include "errors.h"
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

 protected:
  CausalDecoder(const BuildOptions& options, std::string family, const std::string& head)
      : Model(options), family_(std::move(family)), causal_lm_(head == "causal-lm") {
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
    if (causal_lm_) out.logits = at::mm(x, lm_head_.t()).view({B, T, lm_head_.size(0)});  // (B, T, V)
    probe("head");
    return out;
  }

  std::string family_;
  bool causal_lm_;
  at::Tensor lm_head_;  // (V, H): the token embedding when tied; undefined for 'base'
};

}  // namespace tfbench
