// T5 in TensorFlow.js: T5Model / T5ForConditionalGeneration from T5Spec (models/families/t5.ts), the same math as
// native/src/models/t5.cc and Hugging Face's modeling_t5.py (eager attention): an encoder and a decoder stack of
// pre-norm blocks with T5's RMS norm (no mean, no bias), attention without biases or score scaling plus a learned
// bias per head and relative-position bucket (block 0's table, used by every block of its stack; bidirectional in
// the encoder, causal in the decoder, none in cross-attention), feed-forward wo(act(wi x)) or, gated,
// wo(act(wi_0 x) · wi_1 x). The decoder reads decoder_input_ids, input_ids when none are given (as tfbench's
// libtorch model: the loss's labels are input_ids, unshifted). Shapes: B batch, T encoder and S decoder positions,
// d = hidden_size, nh heads of head_dim each (nh · head_dim need not be d), V vocabulary.
import type { Tensor, Tensor2D, Tensor4D } from '@tensorflow/tfjs-core';
import type { T5Spec } from '../../models/index.js';
import {
  activate,
  attention,
  causalMask,
  dropout,
  embed,
  linear,
  mergeHeads,
  ownLabelLoss,
  paddingMask,
  rmsNorm,
  splitHeads,
  tiedHead,
  type ForwardContext,
  type TfInputs,
  type TfOutputs,
} from './layers.js';
import type { Tf } from './load.js';

/** Linear weights (every 2-D parameter but the shared embedding and the relative-position tables), stored (in, out):
 * see layers.linear. An untied lm_head is a Linear too. */
export function t5StoredTransposed(_spec: T5Spec, name: string, shape: readonly number[]): boolean {
  return shape.length === 2 && name !== 'shared.weight' && !name.endsWith('relative_attention_bias.weight');
}

const f32 = Math.fround;

/**
 * Hugging Face's _relative_position_bucket for key position j and query position i (relative = j - i), in the
 * float32 steps torch takes: half the buckets (all when causal) hold the exact distances below max_exact, the others
 * grow logarithmically up to max_distance; bidirectional buckets split by the sign (keys after the query in the upper
 * half); causal ones count only keys at or before the query.
 */
export function relativePositionBucket(relative: number, bidirectional: boolean, numBuckets: number, maxDistance: number): number {
  let bucket = 0;
  let distance: number;
  if (bidirectional) {
    numBuckets = Math.floor(numBuckets / 2);
    if (relative > 0) bucket += numBuckets;
    distance = Math.abs(relative);
  } else {
    distance = -Math.min(relative, 0);
  }
  const maxExact = Math.floor(numBuckets / 2);
  if (distance < maxExact) return bucket + distance;
  // log(distance / max_exact) / log(max_distance / max_exact) · (num_buckets - max_exact), truncated to an integer.
  const scaled = f32(f32(f32(Math.log(f32(distance / maxExact))) / f32(Math.log(maxDistance / maxExact))) * (numBuckets - maxExact));
  return bucket + Math.min(maxExact + Math.trunc(scaled), numBuckets - 1);
}

/** A stack's self-attention position bias (1, nh, T, S) for queries 0 … T-1 over keys 0 … S-1: its block 0's table
 * (buckets, nh) looked up at host-computed buckets, so that the table's gradient is embed's scatter-add. */
function positionBias(tf: Tf, table: Tensor, spec: T5Spec, T: number, S: number, bidirectional: boolean): Tensor4D {
  const buckets = new Int32Array(T * S);
  for (let i = 0; i < T; i++) {
    for (let j = 0; j < S; j++) {
      buckets[i * S + j] = relativePositionBucket(j - i, bidirectional, spec.relative_attention_num_buckets, spec.relative_attention_max_distance);
    }
  }
  const values = embed(tf, table, tf.tensor1d(buckets, 'int32')); // (T·S, nh)
  const nh = spec.num_attention_heads;
  return tf.reshape(tf.transpose(tf.reshape(values, [T, S, nh]), [2, 0, 1]), [1, nh, T, S]);
}

export function t5Forward(ctx: ForwardContext<T5Spec>, inputs: TfInputs): TfOutputs {
  const { tf, spec, p, train } = ctx;
  if (inputs.tokenTypeIds) throw Object.assign(new Error('token_type_ids were given but t5 models take none'), { code: 'BAD_INPUT' });
  const ids = inputs.inputIds; // (B, T) int32
  const decoderIds = inputs.decoderInputIds ?? ids; // (B, S)
  const [B, T] = ids.shape;
  const S = decoderIds.shape[1];
  const d = spec.hidden_size;
  const nh = spec.num_attention_heads;
  const rate = spec.dropout_rate;
  const eps = spec.layer_norm_eps;
  const shared = p('shared.weight'); // (V, d)
  const norm = (name: string, x: Tensor) => rmsNorm(tf, x, p(`${name}.weight`), eps);
  const lin = (name: string, x: Tensor) => linear(tf, x, p(`${name}.weight`)); // no biases anywhere in T5

  /** x (B·Tq, d) attends to memory (B·Tk, d) with the additive bias (broadcast to (B, nh, Tq, Tk)), unscaled →
   * (B·Tq, d) after o. */
  const attend = (prefix: string, x: Tensor, memory: Tensor, bias: Tensor | undefined, Tq: number, Tk: number) => {
    const q = splitHeads(tf, lin(`${prefix}.q`, x), B, Tq, nh); // (B, nh, Tq, head_dim)
    const k = splitHeads(tf, lin(`${prefix}.k`, memory), B, Tk, nh); // (B, nh, Tk, head_dim)
    const v = splitHeads(tf, lin(`${prefix}.v`, memory), B, Tk, nh);
    const context = attention(tf, q, k, v, { scale: 1, mask: bias, dropout: rate, train }); // (B, nh, Tq, head_dim)
    return lin(`${prefix}.o`, mergeHeads(tf, context)); // (B·Tq, d)
  };
  /** wo(dropout(act(wi x))) or, gated, wo(dropout(act(wi_0 x) · wi_1 x)): (N, d) → (N, d). */
  const feedForward = (prefix: string, x: Tensor) => {
    let h = spec.gated_feed_forward
      ? tf.mul(activate(tf, spec.hidden_act, lin(`${prefix}.wi_0`, x)), lin(`${prefix}.wi_1`, x))
      : activate(tf, spec.hidden_act, lin(`${prefix}.wi`, x)); // (N, F)
    h = dropout(tf, h, rate, train);
    return lin(`${prefix}.wo`, h);
  };
  /** x + dropout(sub-layer output): every T5 sub-layer's residual. */
  const residual = (x: Tensor, sublayer: Tensor) => tf.add(x, dropout(tf, sublayer, rate, train)) as Tensor2D;

  // Encoder: bidirectional relative positions, plus float32's lowest on padded keys when a mask is given; the same
  // padding mask is the cross-attention's.
  const padding = inputs.attentionMask ? paddingMask(tf, inputs.attentionMask) : undefined; // (B, 1, 1, T)
  let encoderBias: Tensor = positionBias(tf, p('encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight'), spec, T, T, true); // (1, nh, T, T)
  if (padding) encoderBias = tf.add(encoderBias, padding); // (B, nh, T, T); finite: the biases are small
  let x = dropout(tf, embed(tf, shared, tf.reshape(ids, [B * T])), rate, train); // (B·T, d)
  for (let i = 0; i < spec.num_hidden_layers; i++) {
    const l = `encoder.block.${i}.layer`;
    const h = norm(`${l}.0.layer_norm`, x);
    x = residual(x, attend(`${l}.0.SelfAttention`, h, h, encoderBias, T, T));
    x = residual(x, feedForward(`${l}.1.DenseReluDense`, norm(`${l}.1.layer_norm`, x)));
  }
  const memory = dropout(tf, norm('encoder.final_layer_norm', x), rate, train); // (B·T, d)

  // Decoder: causal relative positions plus the causal mask (lowest above the diagonal; lowest plus a small bias
  // stays finite); cross-attention over the encoder's output with only the padding mask.
  const decoderTable = p('decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight');
  const decoderBias = tf.add(positionBias(tf, decoderTable, spec, S, S, false), causalMask(tf, S)); // (1, nh, S, S)
  let y = dropout(tf, embed(tf, shared, tf.reshape(decoderIds, [B * S])), rate, train); // (B·S, d)
  for (let i = 0; i < spec.num_decoder_layers; i++) {
    const l = `decoder.block.${i}.layer`;
    const h = norm(`${l}.0.layer_norm`, y);
    y = residual(y, attend(`${l}.0.SelfAttention`, h, h, decoderBias, S, S));
    y = residual(y, attend(`${l}.1.EncDecAttention`, norm(`${l}.1.layer_norm`, y), memory, padding, S, T));
    y = residual(y, feedForward(`${l}.2.DenseReluDense`, norm(`${l}.2.layer_norm`, y)));
  }
  y = dropout(tf, norm('decoder.final_layer_norm', y), rate, train); // (B·S, d)

  const out: TfOutputs = { last_hidden_state: tf.reshape(y, [B, S, d]), encoder_last_hidden_state: tf.reshape(memory, [B, T, d]) };
  if (spec.head === 'seq2seq-lm') {
    // Tied: the decoder's output scaled by d^-0.5, then the shared embedding as the head.
    const logits = spec.tie_word_embeddings ? tiedHead(tf, tf.mul(y, 1 / Math.sqrt(d)), shared) : linear(tf, y, p('lm_head.weight'));
    out.logits = tf.reshape(logits, [B, S, spec.vocab_size]); // (B, S, V)
  }
  return out;
}

/** T5ForConditionalGeneration's loss: mean cross-entropy over every decoder position against labels = input_ids,
 * unshifted (the decoder's inputs are what is shifted, when they are). */
export function t5Loss(ctx: ForwardContext<T5Spec>, outputs: TfOutputs, labels: Tensor2D): Tensor {
  if (!outputs.logits) throw Object.assign(new Error("loss needs head 'seq2seq-lm'; this t5 model has head 'base'"), { code: 'BAD_INPUT' });
  const S = outputs.logits.shape[1];
  if (S !== labels.shape[1]) {
    throw Object.assign(new Error('the seq2seq loss takes labels = input_ids, so decoder_input_ids must have their length'), { code: 'BAD_INPUT' });
  }
  return ownLabelLoss(ctx.tf, outputs.logits, labels);
}
