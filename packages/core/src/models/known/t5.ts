// Public config.json contents of T5 checkpoints on the Hugging Face hub (google-t5/*, google/flan-t5-*).
import type { KnownModel } from './types.js';

// The original T5 checkpoints all publish the same task_specific_params.
const t5TaskSpecificParams = {
  summarization: {
    early_stopping: true,
    length_penalty: 2.0,
    max_length: 200,
    min_length: 30,
    no_repeat_ngram_size: 3,
    num_beams: 4,
    prefix: 'summarize: ',
  },
  translation_en_to_de: {
    early_stopping: true,
    max_length: 300,
    num_beams: 4,
    prefix: 'translate English to German: ',
  },
  translation_en_to_fr: {
    early_stopping: true,
    max_length: 300,
    num_beams: 4,
    prefix: 'translate English to French: ',
  },
  translation_en_to_ro: {
    early_stopping: true,
    max_length: 300,
    num_beams: 4,
    prefix: 'translate English to Romanian: ',
  },
} as const;

// t5-small as published; t5-base and t5-large differ only in their sizes.
const t5Small = {
  architectures: ['T5ForConditionalGeneration'],
  d_ff: 2048,
  d_kv: 64,
  d_model: 512,
  decoder_start_token_id: 0,
  dropout_rate: 0.1,
  eos_token_id: 1,
  initializer_factor: 1.0,
  is_encoder_decoder: true,
  layer_norm_epsilon: 1e-6,
  model_type: 't5',
  n_positions: 512,
  num_heads: 8,
  num_layers: 6,
  output_past: true,
  pad_token_id: 0,
  relative_attention_num_buckets: 32,
  task_specific_params: t5TaskSpecificParams,
  vocab_size: 32128,
} as const;

export const t5Models: readonly KnownModel[] = [
  {
    id: 't5-small',
    aliases: ['google-t5/t5-small'],
    description: 'T5 small, English (60M)',
    config: t5Small,
  },
  {
    id: 't5-base',
    aliases: ['google-t5/t5-base'],
    description: 'T5 base, English (223M)',
    config: { ...t5Small, d_ff: 3072, d_model: 768, num_heads: 12, num_layers: 12 },
  },
  {
    id: 't5-large',
    aliases: ['google-t5/t5-large'],
    description: 'T5 large, English (738M)',
    config: { ...t5Small, d_ff: 4096, d_model: 1024, num_heads: 16, num_layers: 24 },
  },
  {
    id: 'google/flan-t5-base',
    aliases: ['flan-t5-base'],
    description: 'FLAN-T5 base, gated-GELU, untied head (248M)',
    // The published file also carries torch_dtype and transformers_version metadata, left out here.
    config: {
      architectures: ['T5ForConditionalGeneration'],
      d_ff: 2048,
      d_kv: 64,
      d_model: 768,
      decoder_start_token_id: 0,
      dense_act_fn: 'gelu_new',
      dropout_rate: 0.1,
      eos_token_id: 1,
      feed_forward_proj: 'gated-gelu',
      initializer_factor: 1.0,
      is_encoder_decoder: true,
      is_gated_act: true,
      layer_norm_epsilon: 1e-6,
      model_type: 't5',
      n_positions: 512,
      num_decoder_layers: 12,
      num_heads: 12,
      num_layers: 12,
      output_past: true,
      pad_token_id: 0,
      relative_attention_max_distance: 128,
      relative_attention_num_buckets: 32,
      task_specific_params: t5TaskSpecificParams,
      tie_word_embeddings: false,
      use_cache: true,
      vocab_size: 32128,
    },
  },
];
