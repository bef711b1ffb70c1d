// BERT-shaped encoders in TensorFlow.js: BertModel / BertForMaskedLM, and RoBERTa and DistilBERT, whose differences
// are fields of the spec (models/families/bert.ts) and their checkpoint names (encoderNames). The same math as
// native/src/models/bert.cc and Hugging Face's modeling_bert.py: post-LayerNorm blocks, learned absolute positions
// (RoBERTa's padding offset), an additive padding mask.
import type { Tensor, Tensor2D } from '@tensorflow/tfjs-core';
import { encoderNames, type EncoderSpec } from '../../models/index.js';
import {
  activate,
  attention,
  dropout,
  embed,
  layerNorm,
  linear,
  ownLabelLoss,
  mergeHeads,
  paddingMask,
  splitHeads,
  tiedHead,
  type ForwardContext,
  type TfInputs,
  type TfOutputs,
} from './layers.js';

/** The base model's prefix in the masked-LM class ("bert."), '' for the base model itself. */
function basePrefix(spec: EncoderSpec): string {
  return spec.head === 'base' ? '' : `${encoderNames(spec.family).base}.`;
}

/** Linear weights (every 2-D parameter but the embedding tables), stored (in, out): see layers.linear. */
export function encoderStoredTransposed(_spec: EncoderSpec, name: string, shape: readonly number[]): boolean {
  return shape.length === 2 && !name.includes('embeddings.');
}

/** Embedding rows that start at zero (nn.Embedding's padding_idx; the forward's lookups leave them without gradient):
 * the word embeddings' pad row, and RoBERTa's position row at pad_token_id. */
export function encoderPaddingRows(spec: EncoderSpec): Record<string, number> {
  const base = basePrefix(spec);
  const rows: Record<string, number> = { [`${base}embeddings.word_embeddings.weight`]: spec.pad_token_id };
  if (spec.position_ids === 'padding-offset') rows[`${base}embeddings.position_embeddings.weight`] = spec.pad_token_id;
  return rows;
}

export function encoderForward(ctx: ForwardContext<EncoderSpec>, inputs: TfInputs): TfOutputs {
  const { tf, spec, p, train } = ctx;
  const n = encoderNames(spec.family);
  const base = basePrefix(spec);
  const ids = inputs.inputIds; // (B, T) int32
  const [B, T] = ids.shape;
  const H = spec.hidden_size;
  const N = B * T;
  const flatIds = tf.reshape(ids, [N]);

  // Embeddings: word + token type (row 0 when not given; none in DistilBERT) + position.
  let x = embed(tf, p(`${base}embeddings.word_embeddings.weight`), flatIds, spec.pad_token_id); // (N, H)
  if (inputs.tokenTypeIds) {
    x = tf.add(x, embed(tf, p(`${base}embeddings.token_type_embeddings.weight`), tf.reshape(inputs.tokenTypeIds, [N])));
  } else if (spec.type_vocab_size > 0) {
    x = tf.add(x, tf.slice(p(`${base}embeddings.token_type_embeddings.weight`), [0, 0], [1, H])); // (1, H)
  }
  const positionTable = p(`${base}embeddings.position_embeddings.weight`);
  if (spec.position_ids === 'padding-offset') {
    // RoBERTa: non-padding tokens count up from pad + 1, padding tokens sit at pad.
    const notPad = tf.cast(tf.notEqual(ids, spec.pad_token_id), 'int32'); // (B, T)
    const positions = tf.add(tf.mul(tf.cumsum(notPad, 1), notPad), tf.scalar(spec.pad_token_id, 'int32')); // (B, T) int32
    x = tf.add(x, embed(tf, positionTable, tf.reshape(positions, [N]), spec.pad_token_id));
  } else {
    const positions = tf.slice(positionTable, [0, 0], [T, H]); // (T, H), broadcast over B
    x = tf.reshape(tf.add(tf.reshape(x, [B, T, H]), positions), [N, H]);
  }
  x = dropout(tf, layerNorm(tf, x, p(`${base}embeddings.LayerNorm.weight`), p(`${base}embeddings.LayerNorm.bias`), spec.layer_norm_eps), spec.hidden_dropout_prob, train);

  const mask = inputs.attentionMask ? paddingMask(tf, inputs.attentionMask) : undefined; // (B, 1, 1, T)
  const nh = spec.num_attention_heads;
  const scale = 1 / Math.sqrt(H / nh);
  const pd = spec.hidden_dropout_prob;
  const lin = (name: string, input: Tensor) => linear(tf, input, p(`${name}.weight`), p(`${name}.bias`));
  const norm = (name: string, input: Tensor) => layerNorm(tf, input, p(`${name}.weight`), p(`${name}.bias`), spec.layer_norm_eps);

  for (let i = 0; i < spec.num_hidden_layers; i++) {
    const l = `${base}${n.layer}.${i}`;
    // x = LayerNorm(x + dropout(attention_output(attention(x))))
    const q = splitHeads(tf, lin(`${l}.${n.query}`, x), B, T, nh); // (B, nh, T, hs)
    const k = splitHeads(tf, lin(`${l}.${n.key}`, x), B, T, nh);
    const v = splitHeads(tf, lin(`${l}.${n.value}`, x), B, T, nh);
    const context = mergeHeads(tf, attention(tf, q, k, v, { scale, mask, dropout: spec.attention_probs_dropout_prob, train })); // (N, H)
    let a = lin(`${l}.${n.attentionOutput}`, context);
    if (spec.family !== 'distilbert') a = dropout(tf, a, pd, train); // DistilBERT has none here
    x = norm(`${l}.${n.attentionNorm}`, tf.add(a, x));
    // x = LayerNorm(x + dropout(output(act(intermediate(x)))))
    const f = dropout(tf, lin(`${l}.${n.output}`, activate(tf, spec.hidden_act, lin(`${l}.${n.intermediate}`, x))), pd, train);
    x = norm(`${l}.${n.outputNorm}`, tf.add(f, x));
  }

  const out: TfOutputs = { last_hidden_state: tf.reshape(x, [B, T, H]) };
  if (spec.add_pooling_layer) {
    const first = tf.reshape(tf.slice(out.last_hidden_state, [0, 0, 0], [B, 1, H]), [B, H]); // token 0
    out.pooler_output = tf.tanh(lin(`${base}pooler.dense`, first)); // (B, H)
  }
  if (spec.head === 'masked-lm') {
    const t = norm(n.headNorm, activate(tf, spec.head_act, lin(n.headDense, x))); // (N, H)
    const logits = spec.tie_word_embeddings ? tiedHead(tf, t, p(`${base}embeddings.word_embeddings.weight`)) : linear(tf, t, p(`${n.decoder}.weight`));
    out.logits = tf.reshape(tf.add(logits, p(n.headBias)), [B, T, spec.vocab_size]); // (B, T, V)
  }
  return out;
}

/** BertForMaskedLM's loss: mean cross-entropy over every position, labels = input_ids. */
export function encoderLoss(ctx: ForwardContext<EncoderSpec>, outputs: TfOutputs, labels: Tensor2D): Tensor {
  if (!outputs.logits) throw Object.assign(new Error(`loss needs head 'masked-lm'; this ${ctx.spec.family} model has head 'base'`), { code: 'BAD_INPUT' });
  return ownLabelLoss(ctx.tf, outputs.logits, labels);
}
