// Published total parameter counts of the known LLaMA, Mistral, Qwen2 and T5 checkpoints, for the class in each
// config's architectures[0], tied weights counted once (what transformers' num_parameters() reports). Each is computed
// from the config with transformers' module structure and cross-checked against a published figure. Data, not a test.

export const PUBLISHED_PARAMETER_COUNTS: Readonly<
  Record<string, { architecture: string; count: number; source: string }>
> = {
  'meta-llama/Llama-2-7b-hf': {
    architecture: 'LlamaForCausalLM',
    count: 6_738_415_616,
    source: 'computed; matches the widely reported LlamaForCausalLM count 6,738,415,616 (model card: 7B / 6.7B)',
  },
  'meta-llama/Llama-3.1-8B': {
    architecture: 'LlamaForCausalLM',
    count: 8_030_261_248,
    source: 'computed; matches the Hugging Face safetensors total 8,030,261,248 (model card: 8B)',
  },
  'meta-llama/Llama-3.2-1B': {
    architecture: 'LlamaForCausalLM',
    count: 1_235_814_400,
    source: 'computed (lm_head tied to embed_tokens); matches the Hugging Face safetensors total 1,235,814,400 (1.24B)',
  },
  'TinyLlama/TinyLlama-1.1B-Chat-v1.0': {
    architecture: 'LlamaForCausalLM',
    count: 1_100_048_384,
    source: 'computed; matches the safetensors total 1,100,048,384 and llama.cpp n_params (model card: 1.1B)',
  },
  'mistralai/Mistral-7B-v0.1': {
    architecture: 'MistralForCausalLM',
    count: 7_241_732_096,
    source: 'computed; matches GGUF general.parameter_count 7,241,732,096 (7.24B)',
  },
  'Qwen/Qwen2.5-0.5B': {
    architecture: 'Qwen2ForCausalLM',
    count: 494_032_768,
    source:
      'computed (q/k/v biases; lm_head tied); matches HF model card 0.49B total / 0.36B non-embedding ' +
      'and the safetensors total 494,032,768',
  },
  'Qwen/Qwen2.5-7B': {
    architecture: 'Qwen2ForCausalLM',
    count: 7_615_616_512,
    source:
      'computed (q/k/v biases; untied lm_head); matches HF model card 7.61B total / 6.53B non-embedding ' +
      'and GGUF parameter_count 7,615,616,512',
  },
  't5-small': {
    architecture: 'T5ForConditionalGeneration',
    count: 60_506_624,
    source: 'computed (lm_head tied to shared); matches KerasNLP t5_small preset params 60,506,624 (60M)',
  },
  't5-base': {
    architecture: 'T5ForConditionalGeneration',
    count: 222_903_552,
    source: 'computed (lm_head tied to shared); matches KerasNLP t5_base preset params 222,903,552 (223M)',
  },
  't5-large': {
    architecture: 'T5ForConditionalGeneration',
    count: 737_668_096,
    source: 'computed (lm_head tied to shared); matches KerasNLP t5_large preset params 737,668,096 (738M)',
  },
  'google/flan-t5-base': {
    architecture: 'T5ForConditionalGeneration',
    count: 247_577_856,
    source:
      'computed (gated wi_0/wi_1; untied lm_head); matches the Hugging Face API safetensors total 247,577,856',
  },
};
