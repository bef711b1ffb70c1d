// LLaMA-shaped decoders in TensorFlow.js (LLaMA, Mistral, Qwen2): *Model / *ForCausalLM from LlamaSpec
// (models/families/llama.ts), the same math as native/src/models/llama.cc and Hugging Face's modeling_llama.py:
// pre-RMSNorm blocks, rotary positions (rotate_half layout), grouped-query causal attention (each key/value head
// serves num_attention_heads / num_key_value_heads query heads), an optional sliding window, SwiGLU feed-forward.
import type { Tensor, Tensor2D, Tensor4D } from '@tensorflow/tfjs-core';
import type { LlamaSpec } from '../../models/index.js';
import {
  activate,
  attention,
  causalLmLoss,
  causalMask,
  combineMasks,
  embed,
  linear,
  mergeHeads,
  paddingMask,
  rmsNorm,
  splitHeads,
  tiedHead,
  type ForwardContext,
  type TfInputs,
  type TfOutputs,
} from './layers.js';
import type { Tf } from './load.js';

/** Why this backend cannot build `spec`, or null. Every rope_scaling type the spec reads is implemented; 'dynamic'
 * needs head_dim > 2 (its base's exponent is hd / (hd - 2)), as native/src/models/llama.cc requires. */
export function llamaProblem(spec: LlamaSpec): string | null {
  return spec.rope_type === 'dynamic' && spec.head_dim <= 2 ? `head_dim must exceed 2 for dynamic rotary scaling, got ${spec.head_dim}` : null;
}

const f32 = Math.fround;

/** inv_freq[j] = 1 / base^(2j / hd), j < hd / 2, each step rounded to float32 as torch computes it. */
function plainFrequencies(base: number, hd: number): Float32Array {
  return Float32Array.from({ length: hd / 2 }, (_, j) => f32(1 / f32(Math.pow(base, f32((2 * j) / hd)))));
}

/** YaRN: the frequencies that turn more than beta_fast times over the original context are kept, those that turn
 * fewer than beta_slow times are divided by factor, and a linear ramp over the dimension index blends the two in
 * between (the ends rounded outwards to whole dimensions when rope_truncate). */
function yarnFrequencies(spec: LlamaSpec): Float32Array {
  const hd = spec.head_dim;
  const original = spec.rope_original_max_position_embeddings;
  // The (fractional) dimension index whose frequency turns `rotations` times over the original context.
  const correctionDim = (rotations: number) => (hd * Math.log(original / (rotations * 2 * Math.PI))) / (2 * Math.log(spec.rope_theta));
  let low = correctionDim(spec.rope_beta_fast);
  let high = correctionDim(spec.rope_beta_slow);
  if (spec.rope_truncate) [low, high] = [Math.floor(low), Math.ceil(high)];
  low = Math.max(low, 0);
  high = Math.min(high, hd - 1);
  if (low === high) high += 0.001; // no division by zero
  const extrapolation = plainFrequencies(spec.rope_theta, hd); // (hd/2): the frequencies as trained
  return extrapolation.map((f, j) => {
    const ramp = Math.min(Math.max(f32(f32(j - low) / f32(high - low)), 0), 1); // float32, as torch's arange - low
    const keep = f32(1 - ramp); // 1: the frequency as trained; 0: divided by factor
    const interpolation = f32(f / spec.rope_factor);
    return f32(f32(interpolation * f32(1 - keep)) + f32(f * keep));
  });
}

/** Hugging Face's rotary frequencies (modeling_rope_utils.py) in float32 steps as it computes them, for a forward
 * over T positions (only 'dynamic' depends on it): inv_freq[j] = 1 / theta^(2j / hd); 'linear' divides them by
 * factor; 'llama3' divides those whose wavelength exceeds original / low_freq_factor by factor, keeps those below
 * original / high_freq_factor, blends between; 'dynamic' (NTK), once T exceeds M = max_position_embeddings, raises
 * the base to theta · (factor · T / M - (factor - 1))^(hd / (hd - 2)), a float32 scalar as transformers computes
 * it (dynamic_rope_update passes T = max(position_ids) + 1 as a tensor); 'yarn' as yarnFrequencies. */
export function rotaryFrequencies(spec: LlamaSpec, T: number): Float32Array {
  const hd = spec.head_dim;
  if (spec.rope_type === 'yarn') return yarnFrequencies(spec);
  if (spec.rope_type === 'dynamic' && T > spec.max_position_embeddings) {
    const factor = f32(spec.rope_factor);
    const grown = f32(f32(f32(T * factor) / f32(spec.max_position_embeddings)) - f32(spec.rope_factor - 1));
    return plainFrequencies(f32(f32(Math.pow(grown, f32(hd / (hd - 2)))) * f32(spec.rope_theta)), hd);
  }
  const inv = plainFrequencies(spec.rope_theta, hd);
  if (spec.rope_type === 'linear') return inv.map((f) => f32(f / spec.rope_factor));
  if (spec.rope_type !== 'llama3') return inv;
  const old = spec.rope_original_max_position_embeddings;
  const lowWavelen = old / spec.rope_low_freq_factor;
  const highWavelen = old / spec.rope_high_freq_factor;
  return inv.map((f) => {
    const wavelen = (2 * Math.PI) / f;
    const scaled = wavelen > lowWavelen ? f / spec.rope_factor : f;
    if (wavelen < highWavelen || wavelen > lowWavelen) return f32(scaled);
    const smooth = (old / wavelen - spec.rope_low_freq_factor) / (spec.rope_high_freq_factor - spec.rope_low_freq_factor);
    return f32((1 - smooth) * (scaled / spec.rope_factor) + smooth * scaled);
  });
}

/** cos and sin of every position's angles, (1, 1, T, hd): angle(t, j) = t · inv_freq[j mod hd/2], with the
 * frequencies of this forward's T positions (dynamic: a forward over T > max_position_embeddings rotates every
 * key with T's base, as transformers' full forward does); cos and sin times rope_attention_factor (YaRN's; 1
 * otherwise), in float32. */
function rotaryTables(tf: Tf, spec: LlamaSpec, T: number): { cos: Tensor4D; sin: Tensor4D } {
  const inv = rotaryFrequencies(spec, T);
  const hd = spec.head_dim;
  const attentionFactor = f32(spec.rope_attention_factor);
  const cos = new Float32Array(T * hd);
  const sin = new Float32Array(T * hd);
  for (let t = 0; t < T; t++) {
    for (let j = 0; j < hd; j++) {
      const angle = f32(t * inv[j % (hd / 2)]!);
      cos[t * hd + j] = f32(Math.cos(angle)) * attentionFactor;
      sin[t * hd + j] = f32(Math.sin(angle)) * attentionFactor;
    }
  }
  return { cos: tf.tensor4d(cos, [1, 1, T, hd]), sin: tf.tensor4d(sin, [1, 1, T, hd]) };
}

/** x · cos + rotate_half(x) · sin, rotate_half(x) = [-x₂, x₁] of x's halves. x (B, h, T, hd). */
function rotate(tf: Tf, x: Tensor4D, cos: Tensor4D, sin: Tensor4D): Tensor4D {
  const [first, second] = tf.split(x, 2, 3);
  const rotated = tf.concat([tf.neg(second!), first!], 3);
  return tf.add(tf.mul(x, cos), tf.mul(rotated, sin));
}

/** Each key/value head repeated for the `groups` query heads it serves: (B, kv, T, hd) → (B, kv·groups, T, hd),
 * as Hugging Face's repeat_kv. */
function repeatKv(tf: Tf, x: Tensor4D, groups: number): Tensor4D {
  if (groups === 1) return x;
  const [B, kv, T, hd] = x.shape;
  // Tiled as (B, kv, groups, T·hd): TensorFlow.js has no gradient for a rank-5 tile.
  return tf.reshape(tf.tile(tf.reshape(x, [B, kv, 1, T * hd]), [1, 1, groups, 1]), [B, kv * groups, T, hd]);
}

/** Linear weights (every 2-D parameter but embed_tokens), stored (in, out): see layers.linear. */
export function llamaStoredTransposed(_spec: LlamaSpec, name: string, shape: readonly number[]): boolean {
  return shape.length === 2 && !name.endsWith('embed_tokens.weight');
}

/** embed_tokens' padding_idx row starts at zero (and the forward's lookups leave it without gradient). */
export function llamaPaddingRows(spec: LlamaSpec): Record<string, number> {
  return spec.pad_token_id >= 0 ? { [`${spec.head === 'base' ? '' : 'model.'}embed_tokens.weight`]: spec.pad_token_id } : {};
}

export function llamaForward(ctx: ForwardContext<LlamaSpec>, inputs: TfInputs): TfOutputs {
  const { tf, spec, p, train } = ctx;
  const base = spec.head === 'base' ? '' : 'model.';
  const ids = inputs.inputIds; // (B, T) int32
  const [B, T] = ids.shape;
  const H = spec.hidden_size;
  const N = B * T;
  const nh = spec.num_attention_heads;
  const kv = spec.num_key_value_heads;
  const eps = spec.rms_norm_eps;

  let x = embed(tf, p(`${base}embed_tokens.weight`), tf.reshape(ids, [N]), spec.pad_token_id >= 0 ? spec.pad_token_id : undefined); // (N, H)
  const { cos, sin } = rotaryTables(tf, spec, T);
  const padding = inputs.attentionMask ? paddingMask(tf, inputs.attentionMask) : undefined;
  const fullMask = combineMasks(tf, causalMask(tf, T), padding);
  const windowMask = spec.sliding_window > 0 && T > spec.sliding_window ? combineMasks(tf, causalMask(tf, T, spec.sliding_window), padding) : fullMask;
  const lin = (name: string, input: Tensor, bias: boolean) => linear(tf, input, p(`${name}.weight`), bias ? p(`${name}.bias`) : undefined);
  const scale = 1 / Math.sqrt(spec.head_dim);

  for (let i = 0; i < spec.num_hidden_layers; i++) {
    const l = `${base}layers.${i}`;
    // x = x + o_proj(attention(rope(q), rope(k), v)) of input_layernorm(x)
    const h = rmsNorm(tf, x, p(`${l}.input_layernorm.weight`), eps);
    const q = rotate(tf, splitHeads(tf, lin(`${l}.self_attn.q_proj`, h, spec.attention_bias), B, T, nh), cos, sin); // (B, nh, T, hd)
    const k = rotate(tf, splitHeads(tf, lin(`${l}.self_attn.k_proj`, h, spec.attention_bias), B, T, kv), cos, sin); // (B, kv, T, hd)
    const v = splitHeads(tf, lin(`${l}.self_attn.v_proj`, h, spec.attention_bias), B, T, kv); // (B, kv, T, hd)
    const mask = spec.sliding_window > 0 && i >= spec.first_sliding_layer ? windowMask : fullMask;
    const context = attention(tf, q, repeatKv(tf, k, nh / kv), repeatKv(tf, v, nh / kv), { scale, mask, dropout: spec.attention_dropout, train });
    x = tf.add(x, lin(`${l}.self_attn.o_proj`, mergeHeads(tf, context), spec.attention_output_bias)); // (N, H)
    // x = x + down_proj(act(gate_proj(h)) · up_proj(h)) of post_attention_layernorm(x)
    const g = rmsNorm(tf, x, p(`${l}.post_attention_layernorm.weight`), eps);
    const gated = tf.mul(activate(tf, spec.hidden_act, lin(`${l}.mlp.gate_proj`, g, spec.mlp_bias)), lin(`${l}.mlp.up_proj`, g, spec.mlp_bias));
    x = tf.add(x, lin(`${l}.mlp.down_proj`, gated, spec.mlp_bias));
  }
  x = rmsNorm(tf, x, p(`${base}norm.weight`), eps);

  const out: TfOutputs = { last_hidden_state: tf.reshape(x, [B, T, H]) };
  if (spec.head === 'causal-lm') {
    const logits = spec.tie_word_embeddings ? tiedHead(tf, x, p(`${base}embed_tokens.weight`)) : linear(tf, x, p('lm_head.weight'));
    out.logits = tf.reshape(logits, [B, T, spec.vocab_size]); // (B, T, V)
  }
  return out;
}

/** *ForCausalLM's loss: position t predicts token t + 1. */
export function llamaLoss(ctx: ForwardContext<LlamaSpec>, outputs: TfOutputs, labels: Tensor2D): Tensor {
  if (!outputs.logits) throw Object.assign(new Error("loss needs head 'causal-lm'; this llama model has head 'base'"), { code: 'BAD_INPUT' });
  return causalLmLoss(ctx.tf, outputs.logits, labels);
}

