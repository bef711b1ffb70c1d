// Public config.json contents of BERT checkpoints on the Hugging Face hub (google-bert/*).
import type { KnownModel } from './types.js';

const bertBase = {
  architectures: ['BertForMaskedLM'],
  attention_probs_dropout_prob: 0.1,
  gradient_checkpointing: false,
  hidden_act: 'gelu',
  hidden_dropout_prob: 0.1,
  hidden_size: 768,
  initializer_range: 0.02,
  intermediate_size: 3072,
  layer_norm_eps: 1e-12,
  max_position_embeddings: 512,
  model_type: 'bert',
  num_attention_heads: 12,
  num_hidden_layers: 12,
  pad_token_id: 0,
  position_embedding_type: 'absolute',
  transformers_version: '4.6.0.dev0',
  type_vocab_size: 2,
  use_cache: true,
  vocab_size: 30522,
} as const;

export const bertModels: readonly KnownModel[] = [
  {
    id: 'bert-base-uncased',
    aliases: ['google-bert/bert-base-uncased'],
    description: 'BERT base, uncased English (110M)',
    config: bertBase,
  },
  {
    id: 'bert-base-cased',
    aliases: ['google-bert/bert-base-cased'],
    description: 'BERT base, cased English (108M)',
    config: { ...bertBase, vocab_size: 28996 },
  },
  {
    id: 'bert-large-uncased',
    aliases: ['google-bert/bert-large-uncased'],
    description: 'BERT large, uncased English (335M)',
    config: {
      ...bertBase,
      hidden_size: 1024,
      intermediate_size: 4096,
      num_attention_heads: 16,
      num_hidden_layers: 24,
    },
  },
];
