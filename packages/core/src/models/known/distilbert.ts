// Public config.json contents of DistilBERT checkpoints on the Hugging Face hub (distilbert/*).
import type { KnownModel } from './types.js';

export const distilbertModels: readonly KnownModel[] = [
  {
    id: 'distilbert-base-uncased',
    aliases: ['distilbert/distilbert-base-uncased'],
    description: 'DistilBERT base, uncased English (66M)',
    config: {
      activation: 'gelu',
      architectures: ['DistilBertForMaskedLM'],
      attention_dropout: 0.1,
      dim: 768,
      dropout: 0.1,
      hidden_dim: 3072,
      initializer_range: 0.02,
      max_position_embeddings: 512,
      model_type: 'distilbert',
      n_heads: 12,
      n_layers: 6,
      pad_token_id: 0,
      qa_dropout: 0.1,
      seq_classif_dropout: 0.2,
      sinusoidal_pos_embds: false,
      tie_weights_: true,
      transformers_version: '4.10.0.dev0',
      vocab_size: 30522,
    },
  },
];
