// Parameter names, shapes and counts computed from a spec, without building the model.
import { encoderParameterShapes } from './families/bert.js';
import { gpt2ParameterShapes } from './families/gpt2.js';
import { llamaParameterShapes } from './families/llama.js';
import { t5ParameterShapes } from './families/t5.js';
import type { ParameterShape } from './families/types.js';
import type { ModelSpec } from './types.js';

export type { ParameterShape } from './families/types.js';

/** Every trainable parameter with its Hugging Face name and shape, in `named_parameters()` order
 * (tied weights listed once). */
export function parameterShapes(spec: ModelSpec): ParameterShape[] {
  switch (spec.family) {
    case 'bert':
    case 'roberta':
    case 'distilbert':
      return encoderParameterShapes(spec);
    case 'gpt2':
      return gpt2ParameterShapes(spec);
    case 'llama':
      return llamaParameterShapes(spec);
    case 't5':
      return t5ParameterShapes(spec);
  }
}

/** Number of trainable parameters (tied weights counted once), as `sum(p.numel() for p in model.parameters())`. */
export function parameterCount(spec: ModelSpec): number {
  let total = 0;
  for (const p of parameterShapes(spec)) total += p.shape.reduce((a, b) => a * b, 1);
  return total;
}
