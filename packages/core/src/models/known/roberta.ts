// Public config.json contents of RoBERTa checkpoints on the Hugging Face hub (FacebookAI/*).
import type { KnownModel } from './types.js';

const robertaBase = {
  architectures: ['RobertaForMaskedLM'],
  attention_probs_dropout_prob: 0.1,
  bos_token_id: 0,
  eos_token_id: 2,
  hidden_act: 'gelu',
  hidden_dropout_prob: 0.1,
  hidden_size: 768,
  initializer_range: 0.02,
  intermediate_size: 3072,
  layer_norm_eps: 1e-5,
  max_position_embeddings: 514,
  model_type: 'roberta',
  num_attention_heads: 12,
  num_hidden_layers: 12,
  pad_token_id: 1,
  type_vocab_size: 1,
  vocab_size: 50265,
} as const;

export const robertaModels: readonly KnownModel[] = [
  {
    id: 'roberta-base',
    aliases: ['FacebookAI/roberta-base'],
    description: 'RoBERTa base, English (125M)',
    config: robertaBase,
  },
  {
    id: 'roberta-large',
    aliases: ['FacebookAI/roberta-large'],
    description: 'RoBERTa large, English (355M)',
    config: {
      ...robertaBase,
      hidden_size: 1024,
      intermediate_size: 4096,
      num_attention_heads: 16,
      num_hidden_layers: 24,
    },
  },
];
