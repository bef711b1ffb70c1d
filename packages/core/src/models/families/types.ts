import type { Problem } from '../../errors.js';
import type { HfConfig, ModelPurpose, ModelSpec } from '../types.js';

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

export interface Family {
  /** `model_type` values handled. */
  modelTypes: readonly string[];
  /** Checked config → spec; returns problems instead of throwing. */
  normalise(config: HfConfig, options: Required<NormaliseOptions>): { spec?: ModelSpec; problems: Problem[] };
  /** Model classes accepted in `architectures[0]`. */
  architectures: readonly string[];
  checkpoint: CheckpointNaming;
}

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
