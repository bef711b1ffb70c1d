// LLaMA-shaped decoders as Hugging Face transformers computes them (modeling_llama.py, modeling_mistral.py,
// modeling_qwen2.py, eager attention): LlamaModel / MistralModel / Qwen2Model (head 'base') and their
// *ForCausalLM classes (head 'causal-lm').
#pragma once

#include <memory>

#include "models/model.h"

namespace tfbench {

std::shared_ptr<Model> make_llama(const ModelSpec& spec, const BuildOptions& options);

}  // namespace tfbench
