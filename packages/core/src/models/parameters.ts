// Parameter names, shapes and counts computed from a spec, without building the model.
import { familyOfSpec } from './families/index.js';
import type { ParameterShape } from './families/types.js';
import type { ModelSpec } from './types.js';

export type { ParameterShape } from './families/types.js';

/** Every trainable parameter with its Hugging Face name and shape, in `named_parameters()` order
 * (tied weights listed once). */
export function parameterShapes(spec: ModelSpec): ParameterShape[] {
  return familyOfSpec(spec).parameterShapes(spec);
}

function countOf(spec: ModelSpec): number {
  let total = 0;
  for (const p of parameterShapes(spec)) total += p.shape.reduce((a, b) => a * b, 1);
  return total;
}

/**
 * Number of trainable parameters (tied weights counted once), as `sum(p.numel() for p in model.parameters())`.
 * Counted from the same spec with at most two layers per stack: every layer after the first has the same
 * parameters in every family (T5's first carries the relative attention bias), so the count grows by
 * count(2 layers) − count(1 layer) per further layer. Listing every layer's parameters instead took minutes,
 * then the heap, for a config with 10^8 layers, before the size check could refuse it.
 */
export function parameterCount(spec: ModelSpec): number {
  const encoder = spec.num_hidden_layers;
  const decoder = spec.family === 't5' ? spec.num_decoder_layers : 0;
  const withLayers = (e: number, d: number): number =>
    countOf(spec.family === 't5' ? { ...spec, num_hidden_layers: e, num_decoder_layers: d } : { ...spec, num_hidden_layers: e });
  const e1 = Math.min(encoder, 1);
  const d1 = Math.min(decoder, 1);
  const base = withLayers(e1, d1);
  const perEncoderLayer = encoder > 1 ? withLayers(2, d1) - base : 0;
  const perDecoderLayer = decoder > 1 ? withLayers(e1, 2) - base : 0;
  return base + Math.max(encoder - 1, 0) * perEncoderLayer + Math.max(decoder - 1, 0) * perDecoderLayer;
}
