// BERT (Devlin et al. 2018) and the encoders shaped like it, RoBERTa and DistilBERT, as Hugging Face
// transformers computes them (eager attention): the base models (head 'base') and *ForMaskedLM (head 'masked-lm').
#pragma once

#include <memory>

#include "models/model.h"

namespace tfbench {

std::shared_ptr<Model> make_bert(const ModelSpec& spec, const BuildOptions& options);

}  // namespace tfbench
