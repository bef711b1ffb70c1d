// GPT-2 in TensorFlow.js: GPT2Model / GPT2LMHeadModel from Gpt2Spec (models/families/gpt2.ts), the same math as
// native/src/models/gpt2.cc and Hugging Face's modeling_gpt2.py: pre-LayerNorm blocks, Conv1D projections
// (weights (in, out)), learned positions 0 … T-1, causal self-attention, lm_head tied to wte.
import type { Tensor, Tensor2D } from '@tensorflow/tfjs-core';
import type { Gpt2Spec } from '../../models/index.js';
import {
  activate,
  attention,
  causalLmLoss,
  causalMask,
  combineMasks,
  dropout,
  embed,
  layerNorm,
  linear,
  mergeHeads,
  paddingMask,
  splitHeads,
  tiedHead,
  type ForwardContext,
  type TfInputs,
  type TfOutputs,
} from './layers.js';

/** Only an untied lm_head is a Linear (out, in), stored (in, out); the Conv1D weights are (in, out) already. */
export function gpt2StoredTransposed(_spec: Gpt2Spec, name: string): boolean {
  return name === 'lm_head.weight';
}

export function gpt2Forward(ctx: ForwardContext<Gpt2Spec>, inputs: TfInputs): TfOutputs {
  const { tf, spec, p, train } = ctx;
  const base = spec.head === 'base' ? '' : 'transformer.';
  const ids = inputs.inputIds; // (B, T) int32
  const [B, T] = ids.shape;
  const H = spec.hidden_size;
  const N = B * T;
  const nh = spec.num_attention_heads;
  const eps = spec.layer_norm_eps;

  // Token + position embeddings (positions 0 … T-1, broadcast over B).
  const tokens = embed(tf, p(`${base}wte.weight`), tf.reshape(ids, [N])); // (N, H)
  const positions = tf.slice(p(`${base}wpe.weight`), [0, 0], [T, H]); // (T, H)
  let x = dropout(tf, tf.reshape(tf.add(tf.reshape(tokens, [B, T, H]), positions), [N, H]), spec.embd_pdrop, train);

  const mask = combineMasks(tf, causalMask(tf, T), inputs.attentionMask ? paddingMask(tf, inputs.attentionMask) : undefined);
  const norm = (name: string, input: Tensor) => layerNorm(tf, input, p(`${name}.weight`), p(`${name}.bias`), eps);
  const conv = (name: string, input: Tensor) => linear(tf, input, p(`${name}.weight`), p(`${name}.bias`)); // Conv1D: (in, out)

  for (let i = 0; i < spec.num_hidden_layers; i++) {
    const l = `${base}h.${i}`;
    // x = x + dropout(c_proj(attention(ln_1(x))))
    const qkv = conv(`${l}.attn.c_attn`, norm(`${l}.ln_1`, x)); // (N, 3H)
    const [q, k, v] = tf.split(qkv, 3, 1).map((t) => splitHeads(tf, t as Tensor2D, B, T, nh)); // (B, nh, T, hs) each
    let scale = spec.scale_attn_weights ? 1 / Math.sqrt(H / nh) : 1;
    if (spec.scale_attn_by_inverse_layer_idx) scale /= i + 1;
    const context = mergeHeads(tf, attention(tf, q!, k!, v!, { scale, mask, dropout: spec.attn_pdrop, train })); // (N, H)
    x = tf.add(x, dropout(tf, conv(`${l}.attn.c_proj`, context), spec.resid_pdrop, train));
    // x = x + dropout(c_proj(act(c_fc(ln_2(x)))))
    const m = conv(`${l}.mlp.c_proj`, activate(tf, spec.hidden_act, conv(`${l}.mlp.c_fc`, norm(`${l}.ln_2`, x))));
    x = tf.add(x, dropout(tf, m, spec.resid_pdrop, train));
  }
  x = norm(`${base}ln_f`, x);

  const out: TfOutputs = { last_hidden_state: tf.reshape(x, [B, T, H]) };
  if (spec.head === 'causal-lm') {
    const logits = spec.tie_word_embeddings ? tiedHead(tf, x, p(`${base}wte.weight`)) : linear(tf, x, p('lm_head.weight'));
    out.logits = tf.reshape(logits, [B, T, spec.vocab_size]); // (B, T, V), no bias
  }
  return out;
}

/** GPT2LMHeadModel's loss: position t predicts token t + 1. */
export function gpt2Loss(ctx: ForwardContext<Gpt2Spec>, outputs: TfOutputs, labels: Tensor2D): Tensor {
  if (!outputs.logits) throw Object.assign(new Error("loss needs head 'causal-lm'; this gpt2 model has head 'base'"), { code: 'BAD_INPUT' });
  return causalLmLoss(ctx.tf, outputs.logits, labels);
}
