// Types shared by the models module, below the families (the spec types are theirs: families/index.ts).
/** A Hugging Face config.json, as parsed JSON. */
export type HfConfig = Record<string, unknown>;

/**
 * A model named in args.json:
 * - a string: a known id (`bert-base-uncased`), or a path to a config.json or to a checkpoint directory;
 * - an inline model: `{ name, base?, config? }`: `config` overrides the fields of `base` (a known id or
 *   path); without `base`, `config` is a whole config and must hold `model_type`.
 */
export type ModelRef = string | InlineModelRef;

export interface InlineModelRef {
  /** Display name in tables and results. */
  name: string;
  /** Known id or path the config starts from. */
  base?: string;
  /** Hugging Face config fields, applied over the base's config. */
  config?: HfConfig;
}

/** Which head a model is built with, and what for. */
export type ModelPurpose = 'inference' | 'training';
