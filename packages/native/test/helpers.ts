// Shared by the addon tests: the tiny BERT config of DESIGN.md (and tiny GPT-2, LLaMA and T5 specs), host tensors,
// error assertions.
import type { HostTensor, NativeModelSpec } from '../lib/index.js';

/** Fields to change in a tiny spec. */
type SpecOverrides = Record<string, number | string | boolean>;

/** hidden 32, 2 layers, 4 heads, intermediate 37, vocab 99 (the shape of fixtures/parity/bert). */
export function tinySpec(overrides: SpecOverrides = {}): NativeModelSpec {
  return {
    family: 'bert',
    head: 'masked-lm',
    add_pooling_layer: false,
    vocab_size: 99,
    hidden_size: 32,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    intermediate_size: 37,
    max_position_embeddings: 64,
    type_vocab_size: 2,
    layer_norm_eps: 1e-12,
    hidden_act: 'gelu',
    head_act: 'gelu',
    position_ids: 'absolute',
    hidden_dropout_prob: 0.1,
    attention_probs_dropout_prob: 0.1,
    initializer_range: 0.02,
    pad_token_id: 0,
    tie_word_embeddings: true,
    ...overrides,
  };
}

/** A tiny GPT-2: n_embd 32, 2 layers, 4 heads, n_inner 37, 64 positions. */
export function tinyGpt2Spec(overrides: SpecOverrides = {}): NativeModelSpec {
  return {
    family: 'gpt2',
    head: 'causal-lm',
    vocab_size: 99,
    hidden_size: 32,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    intermediate_size: 37,
    max_position_embeddings: 64,
    layer_norm_eps: 1e-5,
    hidden_act: 'gelu_new',
    scale_attn_weights: true,
    scale_attn_by_inverse_layer_idx: false,
    embd_pdrop: 0.1,
    attn_pdrop: 0.1,
    resid_pdrop: 0.1,
    initializer_range: 0.02,
    tie_word_embeddings: true,
    ...overrides,
  };
}

/** A tiny LLaMA-shaped decoder: hidden 32, 2 layers, 4 query heads over 2 key/value heads of 8. */
export function tinyLlamaSpec(overrides: SpecOverrides = {}): NativeModelSpec {
  return {
    family: 'llama',
    head: 'causal-lm',
    vocab_size: 99,
    hidden_size: 32,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    head_dim: 8,
    intermediate_size: 37,
    max_position_embeddings: 64,
    rms_norm_eps: 1e-6,
    rope_theta: 10000,
    rope_type: 'default',
    rope_factor: 1,
    rope_low_freq_factor: 1,
    rope_high_freq_factor: 1,
    rope_original_max_position_embeddings: 1,
    rope_attention_factor: 1,
    rope_beta_fast: 32,
    rope_beta_slow: 1,
    rope_truncate: true,
    sliding_window: 0,
    first_sliding_layer: 0,
    hidden_act: 'silu',
    attention_bias: false,
    attention_output_bias: false,
    mlp_bias: false,
    attention_dropout: 0.1,
    initializer_range: 0.02,
    tie_word_embeddings: false,
    pad_token_id: -1,
    ...overrides,
  };
}

/** A tiny T5: d_model 32, 2 encoder and 2 decoder layers, 4 heads of 8, d_ff 37, 8 buckets. */
export function tinyT5Spec(overrides: SpecOverrides = {}): NativeModelSpec {
  return {
    family: 't5',
    head: 'seq2seq-lm',
    vocab_size: 99,
    hidden_size: 32,
    num_hidden_layers: 2,
    num_decoder_layers: 2,
    num_attention_heads: 4,
    head_dim: 8,
    intermediate_size: 37,
    relative_attention_num_buckets: 8,
    relative_attention_max_distance: 20,
    gated_feed_forward: false,
    hidden_act: 'relu',
    layer_norm_eps: 1e-6,
    dropout_rate: 0.1,
    initializer_factor: 1,
    tie_word_embeddings: true,
    decoder_start_token_id: 0,
    ...overrides,
  };
}

export function int64Tensor(rows: number[][]): HostTensor {
  const data = new BigInt64Array(rows.flat().map((v) => BigInt(v)));
  return { dtype: 'int64', shape: [rows.length, rows[0]?.length ?? 0], data };
}

export function floats(t: HostTensor | undefined): Float32Array {
  if (!t || !(t.data instanceof Float32Array)) throw new Error('expected a float32 HostTensor');
  return t.data;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Row `r` of a [B, T, H] tensor's data as a copy. */
export function row(t: HostTensor, r: number): Float32Array {
  const per = t.shape.slice(1).reduce((x, y) => x * y, 1);
  return floats(t).slice(r * per, (r + 1) * per);
}

/** Rejects with an Error whose `code` is `code` and whose message matches `pattern`. */
export async function rejectsWith(p: Promise<unknown>, code: string, pattern: RegExp): Promise<Error & { code: string }> {
  try {
    await p;
  } catch (err) {
    const e = err as Error & { code: string };
    if (e.code !== code) throw new Error(`expected code ${code}, got ${e.code}: ${e.message}`);
    if (!pattern.test(e.message)) throw new Error(`message ${JSON.stringify(e.message)} does not match ${pattern}`);
    if (/frame #|Exception raised from/.test(e.message)) throw new Error(`message carries a C++ backtrace: ${e.message}`);
    return e;
  }
  throw new Error(`expected a rejection with code ${code}`);
}
