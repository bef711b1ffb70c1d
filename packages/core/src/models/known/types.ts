/** A model whose public config.json ships with tfbench. */
export interface KnownModel {
  /** The id people use (`bert-base-uncased`). */
  id: string;
  /** Other ids for the same config (the hub's namespaced id, `google-bert/bert-base-uncased`). */
  aliases: readonly string[];
  description: string;
  /** The config.json contents, exactly as published. */
  config: Readonly<Record<string, unknown>>;
}
