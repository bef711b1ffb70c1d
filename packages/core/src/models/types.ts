// Types shared by the models module, below the families (the spec types are theirs: families/index.ts).
/** A Hugging Face config.json, as parsed JSON. */
export type HfConfig = Record<string, unknown>;

/**
 * A model named in args.json:
 * - a string: a known id (`bert-base-uncased`), a path to a config.json or to a checkpoint directory, or any other
 *   Hugging Face id (`org/name`, optionally `org/name@revision`), read from the local Hugging Face cache;
 * - an inline model: `{ name, base?, revision?, config? }`: `config` overrides the fields of `base` (a known id,
 *   path or Hugging Face id); without `base`, `config` is a whole config and must hold `model_type`.
 */
export type ModelRef = string | InlineModelRef;

export interface InlineModelRef {
  /** Display name in tables and results. */
  name: string;
  /** Known id, path or Hugging Face id the config starts from. */
  base?: string;
  /** A branch, tag or commit hash of `base`, which must then be a Hugging Face id (default main). */
  revision?: string;
  /** Hugging Face config fields, applied over the base's config. */
  config?: HfConfig;
}

/** Which head a model is built with, and what for. */
export type ModelPurpose = 'inference' | 'training';
