// BERT (Devlin et al. 2018) as Hugging Face transformers' modeling_bert computes it (eager attention):
// BertModel (head 'base') and BertForMaskedLM (head 'masked-lm').
#pragma once

#include <memory>

#include "models/model.h"

namespace tfbench {

std::shared_ptr<Model> make_bert(const ModelSpec& spec, const BuildOptions& options);

}  // namespace tfbench
