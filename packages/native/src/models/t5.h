// T5 (Raffel et al. 2020) as Hugging Face transformers computes it (modeling_t5.py, eager attention): T5Model
// (head 'base') and T5ForConditionalGeneration (head 'seq2seq-lm').
#pragma once

#include <memory>

#include "models/model.h"

namespace tfbench {

std::shared_ptr<Model> make_t5(const ModelSpec& spec, const BuildOptions& options);

}  // namespace tfbench
