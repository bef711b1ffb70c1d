// GPT-2 (Radford et al. 2019) as Hugging Face transformers computes it (modeling_gpt2.py, eager attention):
// GPT2Model (head 'base') and GPT2LMHeadModel (head 'causal-lm').
#pragma once

#include <memory>

#include "models/model.h"

namespace tfbench {

std::shared_ptr<Model> make_gpt2(const ModelSpec& spec, const BuildOptions& options);

}  // namespace tfbench
