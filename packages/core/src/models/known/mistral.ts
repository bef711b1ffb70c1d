// Public config.json contents of Mistral checkpoints on the Hugging Face hub (mistralai/*).
import type { KnownModel } from './types.js';

export const mistralModels: readonly KnownModel[] = [
  {
    id: 'mistralai/Mistral-7B-v0.1',
    aliases: ['mistral-7b'],
    description: 'Mistral 7B v0.1, 4096-token sliding window (7.2B)',
    config: {
      architectures: ['MistralForCausalLM'],
      bos_token_id: 1,
      eos_token_id: 2,
      hidden_act: 'silu',
      hidden_size: 4096,
      initializer_range: 0.02,
      intermediate_size: 14336,
      max_position_embeddings: 32768,
      model_type: 'mistral',
      num_attention_heads: 32,
      num_hidden_layers: 32,
      num_key_value_heads: 8,
      rms_norm_eps: 1e-5,
      rope_theta: 10000.0,
      sliding_window: 4096,
      tie_word_embeddings: false,
      torch_dtype: 'bfloat16',
      transformers_version: '4.34.0.dev0',
      use_cache: true,
      vocab_size: 32000,
    },
  },
];
