// What every family module uses: PretrainedConfig's defaults, the activations the native side implements,
// the flags no family implements, choosing the head class from architectures[0], and the attention FLOPs.
import { formatValue } from '../../errors.js';
import type { ConfigReader } from '../config-reader.js';
import { ownValue } from '../util.js';
import type { GenerationShape, NormaliseOptions, ParameterShape, TokenShape } from './types.js';

/** PretrainedConfig's defaults for the fields every family reads or refuses (the base class of every
 * Hugging Face config); each family's defaults spread these. */
export const PRETRAINED_CONFIG_DEFAULTS: Readonly<Record<string, unknown>> = {
  tie_word_embeddings: true,
  is_decoder: false,
  add_cross_attention: false,
  chunk_size_feed_forward: 0,
  pruned_heads: {},
  torchscript: false,
};

/** An activation the native models implement (src/models/layers.h), as the spec names it. */
export type Activation = 'gelu' | 'gelu_new' | 'gelu_pytorch_tanh' | 'relu' | 'silu';

/** Activation names that the native side implements, as Hugging Face's ACT2FN spells them. */
export const ACTIVATIONS: Readonly<Record<string, Activation>> = {
  gelu: 'gelu',
  gelu_new: 'gelu_new',
  gelu_pytorch_tanh: 'gelu_pytorch_tanh',
  relu: 'relu',
  silu: 'silu',
  swish: 'silu', // ACT2FN maps "swish" to SiLU
};

/** An activation name from the config, or undefined after recording a problem. */
export function readActivation(r: ConfigReader, key: string): Activation | undefined {
  const act = r.raw(key);
  const name = typeof act === 'string' ? ownValue(ACTIVATIONS, act) : undefined;
  if (name === undefined) {
    r.problem(
      key,
      `expected one of ${Object.keys(ACTIVATIONS).map((a) => JSON.stringify(a)).join(', ')}, got ${formatValue(act)}`,
    );
  }
  return name;
}

/** PretrainedConfig flags that no native model implements (pruned heads, chunked feed-forward, and the
 * `flags` a family names: decoder modes, cross-attention, TorchScript's untied copies): problems when set. */
export function checkUnsupportedFlags(r: ConfigReader, flags: readonly string[]): void {
  for (const flag of flags) {
    const v = r.raw(flag);
    if (v !== false) r.problem(flag, `only false is supported, got ${formatValue(v)}`);
  }
  const chunk = r.raw('chunk_size_feed_forward');
  if (chunk !== 0) r.problem('chunk_size_feed_forward', `only 0 (no chunking) is supported, got ${formatValue(chunk)}`);
  const pruned = r.raw('pruned_heads');
  if (pruned !== null && (typeof pruned !== 'object' || Object.keys(pruned).length > 0)) {
    r.problem('pruned_heads', `pruned attention heads are not supported, got ${formatValue(pruned)}`);
  }
}

/**
 * The head for `architectures[0]` in `heads` (class name → head). Hugging Face's benchmark rules: with
 * onlyPretrainModel, or when the config names no architecture, the base model for inference and `lmHead` for
 * training; training always needs `lmHead` (a base model has no loss). An unknown class is a problem.
 */
export function chooseHead<Head extends string>(
  r: ConfigReader,
  options: Required<NormaliseOptions>,
  heads: Readonly<Record<string, Head>>,
  lmHead: Head,
): Head | undefined {
  const baseClass = Object.keys(heads).find((a) => heads[a] === 'base');
  const fallback = options.purpose === 'training' ? lmHead : (heads[baseClass ?? ''] ?? lmHead);
  const architecture = r.firstArchitecture();
  if (options.onlyPretrainModel || architecture === undefined) return fallback;
  const head = ownValue(heads, architecture);
  if (head === undefined) {
    r.problem(
      'architectures[0]',
      `${architecture} is not supported (supported: ${Object.keys(heads).join(', ')}); ` +
        `set onlyPretrainModel: true to benchmark its base model (${baseClass ?? 'the base model'})`,
    );
    return undefined;
  }
  return options.purpose === 'training' ? lmHead : head;
}

/** FLOPs of one attention's two batched products of T queries over K keys (K = contextLength, else T), with
 * `inner` = heads × head size: scores (B, nh, T, hd) × (B, nh, hd, K) and context (B, nh, T, K) × (B, nh, K, hd).
 * Causal masks are applied to full (T, K) scores, so they count in full. */
export function attentionProductFlops(shape: TokenShape, inner: number): number {
  const T = shape.sequenceLength;
  const K = shape.contextLength ?? T;
  const N = shape.batchSize * T; // tokens
  return 2 * 2 * N * K * inner;
}

/**
 * FLOPs of one generate call of a decoder-only model: `body` (the forward without the LM head) over the prompt,
 * N - 1 one-token steps (step i attends to S + i + 1 cached positions), and the LM head once per generated token
 * (`headFlopsPerToken` each). The body is affine in the keys attended, so the steps sum to N - 1 steps at their
 * mean context, S + N / 2.
 */
export function decoderGenerateFlops(
  body: (shape: TokenShape) => number,
  headFlopsPerToken: number,
  shape: GenerationShape,
): number {
  const { batchSize, promptLength: S, newTokens: N } = shape;
  const prefill = body({ batchSize, sequenceLength: S });
  const steps = N > 1 ? (N - 1) * body({ batchSize, sequenceLength: 1, contextLength: S + N / 2 }) : 0;
  return prefill + steps + N * batchSize * headFlopsPerToken;
}

/** Elements of the parameters listed, less those whose name `skip` matches. */
export function parameterElements(shapes: readonly ParameterShape[], skip: (name: string) => boolean): number {
  let total = 0;
  for (const p of shapes) if (!skip(p.name)) total += p.shape.reduce((a, b) => a * b, 1);
  return total;
}
