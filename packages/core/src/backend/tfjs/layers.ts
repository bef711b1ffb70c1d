// What the TensorFlow.js families share: PyTorch's Linear and GPT-2's Conv1D, LayerNorm and RMSNorm, the
// activations, embeddings, attention and the LM losses. Activations travel as (N, H) rows, N = B·T tokens, as in
// the libtorch models; attention reshapes to (B, nh, T, hs) and back. Every function is called inside tf.tidy or a
// gradient tape, which dispose what it makes.
import type { GradSaveFunc, Tensor, Tensor1D, Tensor2D, Tensor4D } from '@tensorflow/tfjs-core';
import type { Activation } from '../../models/families/common.js';
import type { Tf } from './load.js';

/** float32's lowest finite value: Hugging Face's additive mask value (torch.finfo(float32).min). */
export const LOWEST_FLOAT32 = -3.4028234663852886e38;

/** The model's parameters by Hugging Face name (throws for a name the model lacks). */
export type Params = (name: string) => Tensor;

/** What a family's forward gets. */
export interface ForwardContext<Spec> {
  tf: Tf;
  spec: Spec;
  p: Params;
  /** Train mode: dropout on. */
  train: boolean;
}

/** A call's inputs as int32 tensors (B, T); TensorFlow.js indexes with int32. */
export interface TfInputs {
  inputIds: Tensor2D;
  attentionMask?: Tensor2D;
  tokenTypeIds?: Tensor2D;
  /** (B, S), encoder-decoder models (T5): the decoder's inputs; input_ids when not given. */
  decoderInputIds?: Tensor2D;
}

/** A forward's outputs, named as the Backend's run() returns them. */
export interface TfOutputs {
  /** (B, T, H) */
  last_hidden_state: Tensor;
  /** (B, H), BERT-style base models. */
  pooler_output?: Tensor;
  /** (B, T, V), with an LM head. */
  logits?: Tensor;
  /** (B, T, H), encoder-decoder models (T5): the encoder's output; last_hidden_state is then the decoder's. */
  encoder_last_hidden_state?: Tensor;
}

/** A customGrad function as TensorFlow.js types it (its inputs, then the function that saves tensors for the
 * gradient). */
type CustomGradient = Parameters<Tf['customGrad']>[0];

/**
 * a (N, K) · b (K, M) → (N, M), its gradients by products without transposed operands: da = (b · dyᵀ)ᵀ and
 * db = aᵀ · dy, transposing only the N-row activations. The wasm backend multiplies by a transposed operand about 13
 * times slower than by a plain one (bert-base's 768 × 768 projections at 64 tokens: 41 ms against 3.2 ms), which
 * tf.matMul's own gradient does for both; with it a bert-base training step at batch 8, sequence 8 took 25 s.
 */
export function matMulPlain(tf: Tf, a: Tensor, b: Tensor): Tensor2D {
  const product = tf.customGrad(((x: Tensor, w: Tensor, save: GradSaveFunc) => {
    save([x, w]);
    return {
      value: tf.matMul(x as Tensor2D, w as Tensor2D),
      gradFunc: (dy: Tensor | Tensor[], saved: Tensor[]) => {
        const [xs, ws] = saved as [Tensor2D, Tensor2D];
        const g = dy as Tensor2D; // (N, M)
        return [tf.transpose(tf.matMul(ws, tf.transpose(g))), tf.matMul(tf.transpose(xs), g)];
      },
    };
  }) as unknown as CustomGradient);
  return product(a, b) as Tensor2D;
}

/**
 * A linear layer with its weight stored (in, out): x (N, in) · weight + bias → (N, out). PyTorch's Linear weights,
 * (out, in) in checkpoints, are stored transposed by the model (TfjsFamily.storedTransposed) so that no product
 * takes the wasm backend's slow transposed-operand path (matMulPlain); GPT-2's Conv1D weights are (in, out) already.
 */
export function linear(tf: Tf, x: Tensor, weight: Tensor, bias?: Tensor): Tensor2D {
  const y = matMulPlain(tf, x, weight);
  return bias ? (tf.add(y, bias) as Tensor2D) : y;
}

/** An LM head tied to an embedding table (V, H), as stored for lookups: x (N, H) · tableᵀ → (N, V), computed as
 * (table · xᵀ)ᵀ, with d x = dy · table and d table = dyᵀ · x: no product with a transposed operand (see matMulPlain;
 * bert-base's head at 64 tokens: 125 ms against 1.8 s). */
export function tiedHead(tf: Tf, x: Tensor, table: Tensor): Tensor2D {
  const head = tf.customGrad(((h: Tensor, e: Tensor, save: GradSaveFunc) => {
    save([h, e]);
    return {
      value: tf.transpose(tf.matMul(e as Tensor2D, tf.transpose(h as Tensor2D))),
      gradFunc: (dy: Tensor | Tensor[], saved: Tensor[]) => {
        const [hs, es] = saved as [Tensor2D, Tensor2D];
        const g = dy as Tensor2D; // (N, V)
        return [tf.matMul(g, es), tf.matMul(tf.transpose(g), hs)];
      },
    };
  }) as unknown as CustomGradient);
  return head(x, table) as Tensor2D;
}

/** LayerNorm over the last axis: (x - mean) / sqrt(var + eps) · weight + bias, var the biased variance. */
export function layerNorm(tf: Tf, x: Tensor, weight: Tensor, bias: Tensor, eps: number): Tensor2D {
  const mean = tf.mean(x, -1, true); // (N, 1)
  const centred = tf.sub(x, mean);
  const variance = tf.mean(tf.square(centred), -1, true); // (N, 1)
  return tf.add(tf.mul(tf.mul(centred, tf.rsqrt(tf.add(variance, eps))), weight), bias) as Tensor2D;
}

/** RMSNorm (LLaMA): x / sqrt(mean(x²) + eps) · weight. */
export function rmsNorm(tf: Tf, x: Tensor, weight: Tensor, eps: number): Tensor2D {
  const meanSquare = tf.mean(tf.square(x), -1, true); // (N, 1)
  return tf.mul(tf.mul(x, tf.rsqrt(tf.add(meanSquare, eps))), weight) as Tensor2D;
}

const SQRT_HALF = Math.SQRT1_2;
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** Hugging Face's ACT2FN as the spec names it: gelu is the exact (erf) one; gelu_new and gelu_pytorch_tanh the tanh
 * approximation; silu is x · sigmoid(x). */
export function activate<T extends Tensor>(tf: Tf, name: Activation, x: T): T {
  switch (name) {
    case 'gelu':
      return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, SQRT_HALF)), 1));
    case 'gelu_new':
    case 'gelu_pytorch_tanh': {
      const inner = tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), SQRT_2_OVER_PI);
      return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
    }
    case 'relu':
      return tf.relu(x) as T;
    case 'silu':
      return tf.mul(x, tf.sigmoid(x));
  }
}

/** Dropout in train mode, nothing in eval mode (or at rate 0). */
export function dropout<T extends Tensor>(tf: Tf, x: T, rate: number, train: boolean): T {
  return train && rate > 0 ? (tf.dropout(x, rate) as T) : x;
}

/**
 * Rows of an embedding table: ids (N) int32 → (N, H). With `paddingIdx`, as nn.Embedding's padding_idx: the lookups of
 * that row add nothing to its gradient (a tied LM head's use of the row still does). The table's gradient is a
 * scatter-add of dy's rows (tf.scatterND sums repeated ids): gather's own gradient needs UnsortedSegmentSum, a kernel
 * the wasm backend lacks.
 */
export function embed(tf: Tf, table: Tensor, ids: Tensor, paddingIdx?: number): Tensor2D {
  const lookup = tf.customGrad(((t: Tensor, i: Tensor, save: GradSaveFunc) => {
    save([i]);
    return {
      value: tf.gather(t, i),
      gradFunc: (dy: Tensor | Tensor[], saved: Tensor[]) => {
        const idx = saved[0]!;
        let rows = dy as Tensor; // (N, H)
        if (paddingIdx !== undefined) rows = tf.mul(rows, tf.expandDims(tf.cast(tf.notEqual(idx, paddingIdx), 'float32'), 1)); // 0 at padding
        // d table (V, H): row v is the sum of dy's rows looked up as v; the ids get none (float zeros).
        return [tf.scatterND(tf.expandDims(idx, 1), rows, t.shape), tf.zeros(idx.shape)];
      },
    };
  }) as unknown as CustomGradient);
  return lookup(table, ids) as Tensor2D;
}

/** (N, nh·hs) → (B, nh, T, hs). */
export function splitHeads(tf: Tf, x: Tensor, B: number, T: number, heads: number): Tensor4D {
  const hs = x.shape[1]! / heads;
  return tf.transpose(tf.reshape(x, [B, T, heads, hs]), [0, 2, 1, 3]);
}

/** (B, nh, T, hs) → (N, nh·hs). */
export function mergeHeads(tf: Tf, x: Tensor4D): Tensor2D {
  const [B, nh, T, hs] = x.shape;
  return tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [B * T, nh * hs]);
}

/**
 * softmax(q kᵀ · scale + mask) v per head: q (B, nh, T, hs), k and v (B, nh, K, hs), mask additive and broadcast to
 * (B, nh, T, K) or undefined; dropout on the probabilities in train mode. → (B, nh, T, hs).
 */
export function attention(
  tf: Tf,
  q: Tensor4D,
  k: Tensor4D,
  v: Tensor4D,
  options: { scale: number; mask?: Tensor; dropout: number; train: boolean },
): Tensor4D {
  let scores = tf.mul(tf.matMul(q, k, false, true), options.scale) as Tensor4D; // (B, nh, T, K)
  if (options.mask) scores = tf.add(scores, options.mask);
  const probs = dropout(tf, tf.softmax(scores, -1), options.dropout, options.train);
  return tf.matMul(probs, v); // (B, nh, T, hs)
}

/** Hugging Face's padding mask, additive: attention_mask (B, T) of 1 (attend) and 0 (padding) → (B, 1, 1, T) of 0
 * and float32's lowest value. */
export function paddingMask(tf: Tf, attentionMask: Tensor2D): Tensor4D {
  const [B, T] = attentionMask.shape;
  const masked = tf.sub(1, tf.cast(attentionMask, 'float32'));
  return tf.reshape(tf.mul(masked, LOWEST_FLOAT32), [B, 1, 1, T]);
}

/** An additive causal mask (1, 1, T, T): 0 where key j ≤ query i (and, with a window w > 0, i - j < w), float32's
 * lowest value elsewhere. Made from host data: a constant, not part of any gradient. */
export function causalMask(tf: Tf, T: number, window = 0): Tensor4D {
  const data = new Float32Array(T * T);
  for (let i = 0; i < T; i++) {
    for (let j = 0; j < T; j++) if (j > i || (window > 0 && i - j >= window)) data[i * T + j] = LOWEST_FLOAT32;
  }
  return tf.tensor4d(data, [1, 1, T, T]);
}

/** Two additive masks together, kept finite (a sum of two lowest values would be -Infinity, and a row of them NaN
 * after softmax, where Hugging Face's finite mask gives a uniform row). */
export function combineMasks(tf: Tf, a: Tensor, b: Tensor | undefined): Tensor {
  return b ? tf.maximum(tf.add(a, b), LOWEST_FLOAT32) : a;
}

/** Mean cross-entropy of logits (N, V) against labels (N) int32: -mean(log_softmax(logits)[label]). */
export function crossEntropy(tf: Tf, logits: Tensor, labels: Tensor): Tensor {
  const logProbs = tf.logSoftmax(logits, -1); // (N, V)
  const picked = tf.sum(tf.mul(logProbs, tf.oneHot(labels as Tensor1D, logits.shape[1]!)), -1); // (N)
  return tf.neg(tf.mean(picked));
}

/** Every position predicts its own label (labels = input_ids): BERT's masked-LM loss, and T5's seq2seq loss with
 * the decoder reading the labels. logits (B, T, V). */
export function ownLabelLoss(tf: Tf, logits: Tensor, labels: Tensor2D): Tensor {
  const V = logits.shape[2]!;
  return crossEntropy(tf, tf.reshape(logits, [-1, V]), tf.reshape(labels, [-1]));
}

/** The causal-LM loss: position t predicts label t + 1 (Hugging Face shifts by one). logits (B, T, V). */
export function causalLmLoss(tf: Tf, logits: Tensor, labels: Tensor2D): Tensor {
  const [B, T, V] = logits.shape as [number, number, number];
  const shifted = tf.slice(logits, [0, 0, 0], [B, T - 1, V]); // (B, T-1, V)
  const next = tf.slice(labels, [0, 1], [B, T - 1]); // (B, T-1)
  return crossEntropy(tf, tf.reshape(shifted, [-1, V]), tf.reshape(next, [-1]));
}
