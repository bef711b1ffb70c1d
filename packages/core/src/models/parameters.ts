// Parameter names, shapes and counts computed from a spec, without building the model.
import { familyOfSpec } from './families/index.js';
import type { LayerStacks, ParameterShape } from './families/types.js';
import type { ModelSpec } from './families/index.js';

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

const ONE_STACK: LayerStacks<ModelSpec> = {
  depths: (spec) => [spec.num_hidden_layers],
  withDepths: (spec, [depth]) => ({ ...spec, num_hidden_layers: depth! }),
};

/** The spec's stacks of layers (one, num_hidden_layers, unless its family has more). */
export function layerStacks(spec: ModelSpec): LayerStacks<ModelSpec> {
  return familyOfSpec(spec).layerStacks ?? ONE_STACK;
}

/**
 * Number of trainable parameters (tied weights counted once), as `sum(p.numel() for p in model.parameters())`.
 * Counted from the same spec with at most two layers per stack: every layer after the first has the same
 * parameters in every family (T5's first carries the relative attention bias), so the count grows by
 * count(2 layers) − count(1 layer) per further layer. Listing every layer's parameters instead took minutes,
 * then the heap, for a config with 10^8 layers, before the size check could refuse it.
 */
export function parameterCount(spec: ModelSpec): number {
  const stacks = layerStacks(spec);
  const depths = stacks.depths(spec);
  const firsts = depths.map((d) => Math.min(d, 1));
  const base = countOf(stacks.withDepths(spec, firsts));
  let total = base;
  depths.forEach((depth, i) => {
    if (depth <= 1) return;
    const perLayer = countOf(stacks.withDepths(spec, firsts.map((d, j) => (j === i ? 2 : d)))) - base;
    total += (depth - 1) * perLayer;
  });
  return total;
}
