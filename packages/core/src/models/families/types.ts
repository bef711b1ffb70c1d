import type { Problem } from '../../errors.js';
import type { HfConfig, ModelPurpose } from '../types.js';

/** What every family's spec has; the specs themselves are the families' (ModelSpec in ./index.ts). */
export interface SpecBase {
  family: string;
  head: string;
  num_hidden_layers: number;
}

export interface NormaliseOptions {
  /** Use the base model (Hugging Face's MODEL_MAPPING) instead of `architectures[0]`. Default false. */
  onlyPretrainModel?: boolean;
  /** 'training' needs a head that gives a loss: a config without one gets the family's LM head, as
   * Hugging Face's benchmark did (MODEL_WITH_LM_HEAD_MAPPING). Default 'inference'. */
  purpose?: ModelPurpose;
}

/** One parameter as Hugging Face's `named_parameters()` lists it (tied weights once). */
export interface ParameterShape {
  name: string;
  shape: number[];
}

/** How a family's checkpoints name tensors, for loading them into a model with or without a head. */
export interface CheckpointNaming {
  /** The base model's attribute in head classes (`bert` in `bert.encoder.layer.0…`); '' when none. */
  basePrefix: string;
  /** Tensor names stored under another name that is the same parameter (tied), checkpoint → parameter. */
  aliases: Readonly<Record<string, string>>;
  /** Tensors that may be in a checkpoint but are not parameters when weights are tied, or are buffers. */
  ignore: readonly RegExp[];
}

/** The inputs of one call: (batchSize, sequenceLength) token ids (T5: the decoder's as long as the encoder's). */
export interface TokenShape {
  batchSize: number;
  sequenceLength: number;
  /** Keys each token attends to; absent: sequenceLength (the call's own tokens). A decode step's one token
   * attends to the cache: sequenceLength 1, contextLength the cached positions. */
  contextLength?: number;
}

/** One generate call: B sequences of a prompt of S tokens, N new tokens each. */
export interface GenerationShape {
  batchSize: number;
  promptLength: number;
  newTokens: number;
}

/** What a family that can generate (an LM head over a decoder) knows about it; encoder-only families lack it. */
export interface FamilyGeneration<Spec extends SpecBase = SpecBase> {
  /** The longest prompt + new tokens (S + N) the model has positions for; null: no limit. */
  maxContext(spec: Spec): number | null;
  /** Keys the first decode step attends to (decoders: S + 1, the prompt and the first new token; T5: 2, the
   * decoder's start token and the first new token); step i attends to one more than step i - 1. */
  firstStepContext(spec: Spec, shape: GenerationShape): number;
  /** The KV cache's bytes as the family's formula gives them, `bytesPerElement` per key or value element. */
  kvCacheBytes(spec: Spec, shape: GenerationShape, bytesPerElement: number): number;
  /** Matrix-multiply FLOPs of one generate call: the prefill, then N - 1 one-token steps whose attention runs
   * against the growing cache; the LM head once per generated token (only the last prompt position's logits are
   * needed for the first token). */
  callFlops(spec: Spec, shape: GenerationShape): number;
  /** Parameters a decode step reads in full: all but those only looked up by row (an untied input embedding,
   * GPT-2's position table) and those only the prefill uses (T5's encoder). */
  decodeStepParameters(spec: Spec): number;
}

/** One family module: everything about the specs it makes. */
export interface Family<Spec extends SpecBase = SpecBase> {
  /** `model_type` values handled. */
  modelTypes: readonly string[];
  /** The `family` of the specs it makes (the native reader: src/models/<family>.cc). */
  specFamily: Spec['family'];
  /** Checked config → spec; returns problems instead of throwing. */
  normalise(config: HfConfig, options: Required<NormaliseOptions>): { spec?: Spec; problems: Problem[] };
  /** Model classes accepted in `architectures[0]`. */
  architectures: readonly string[];
  checkpoint: CheckpointNaming;
  /** Every trainable parameter with its Hugging Face name and shape, in `named_parameters()` order (tied
   * weights once): what the native model registers. */
  parameterShapes(spec: Spec): ParameterShape[];
  /** Floating-point operations of one forward call: every matrix product counts 2·m·n·k (models/flops.ts). */
  forwardFlops(spec: Spec, shape: TokenShape): number;
  /** The stacks of layers, for a family with more than one (T5: encoder, decoder); absent: one stack of
   * num_hidden_layers. */
  layerStacks?: LayerStacks<Spec>;
  /** Greedy decoding with a KV cache (the generate mode), for families with a decoder and an LM head; absent:
   * an encoder-only family, whose generate cells are skipped. */
  generation?: FamilyGeneration<Spec>;
}

/** A model's stacks of identical layers: their depths, and the same spec with other depths. */
export interface LayerStacks<Spec extends SpecBase = SpecBase> {
  depths(spec: Spec): number[];
  withDepths(spec: Spec, depths: number[]): Spec;
}
