// Matching a checkpoint's tensor names to a model's parameter names: the base-model prefix in either
// direction (a BertModel checkpoint into BertForMaskedLM and back), tied weights stored once or twice,
// buffers that some checkpoints carry, and old `gamma`/`beta` LayerNorm names.
import type { WeightEntry } from '../backend/index.js';
import { families, familyForModelType } from './families/index.js';
import type { CheckpointNaming, ParameterShape } from './families/types.js';
import type { SafetensorsEntry } from './safetensors.js';
import { ownValue } from './util.js';

export type { CheckpointNaming } from './families/types.js';

/** A WeightEntry for the backend, with the checkpoint tensor (and file) it comes from. */
export interface MappedWeight extends WeightEntry {
  /** The tensor's name in the checkpoint. */
  tensor: string;
  file?: string;
}

export interface WeightMismatch {
  tensor: string;
  parameter: string;
  message: string;
}

export interface CheckpointMapping {
  /** Tensors to load, in checkpoint order. */
  entries: MappedWeight[];
  /** Parameters no tensor fills (they keep their random initialisation). */
  missing: string[];
  /** Tensors that fill no parameter. */
  unexpected: string[];
  /** Tensors skipped on purpose: tied copies and buffers. */
  ignored: string[];
  /** Tensors whose name matches a parameter but whose shape or dtype cannot fill it. */
  mismatched: WeightMismatch[];
}

export interface MapCheckpointOptions {
  /** The family's naming rules, by model_type or spec family (`bert`). Without it, the family whose
   * base prefix appears in the parameter or tensor names is used. */
  family?: string;
  /** Explicit rules, overriding `family`. */
  naming?: CheckpointNaming;
}

const NO_NAMING: CheckpointNaming = { basePrefix: '', aliases: {}, ignore: [] };

function detectNaming(tensors: readonly string[], parameters: readonly string[]): CheckpointNaming {
  for (const family of families) {
    const prefix = `${family.checkpoint.basePrefix}.`;
    if (family.checkpoint.basePrefix !== '' && [...parameters, ...tensors].some((n) => n.startsWith(prefix))) {
      return family.checkpoint;
    }
  }
  return NO_NAMING;
}

/** Old checkpoints (converted from TensorFlow) name LayerNorm parameters gamma/beta. */
function modernName(name: string): string {
  return name.replace(/\.gamma$/, '.weight').replace(/\.beta$/, '.bias');
}

const FLOAT_DTYPES = new Set<string>(['F32', 'F16', 'BF16', 'F64']);

/**
 * Which checkpoint tensor fills which parameter. `parameters` are names (or names with shapes, which are
 * then checked) as the model lists them.
 */
export function mapCheckpointToParameters(
  tensors: readonly SafetensorsEntry[],
  parameters: readonly (string | ParameterShape)[],
  options: MapCheckpointOptions = {},
): CheckpointMapping {
  const shapes = new Map<string, readonly number[] | undefined>(
    parameters.map((p) => (typeof p === 'string' ? [p, undefined] : [p.name, p.shape])),
  );
  const naming =
    options.naming ??
    (options.family !== undefined ? familyForModelType(options.family)?.checkpoint : undefined) ??
    detectNaming(
      tensors.map((t) => t.name),
      [...shapes.keys()],
    );
  const prefix = naming.basePrefix === '' ? '' : `${naming.basePrefix}.`;

  /** Parameter names this tensor name could mean, best first. */
  const candidates = (name: string): string[] => {
    const out: string[] = [];
    for (const n of new Set([name, modernName(name)])) {
      for (const c of [n, ownValue(naming.aliases, n)]) {
        if (c === undefined) continue;
        out.push(c);
        if (prefix !== '') out.push(c.startsWith(prefix) ? c.slice(prefix.length) : `${prefix}${c}`);
      }
    }
    return out;
  };

  const assigned = new Map<string, SafetensorsEntry>(); // parameter → tensor
  const target = new Map<SafetensorsEntry, string>(); // tensor → parameter
  const unexpected: string[] = [];
  const ignored: string[] = [];

  // Exact names first, so a tensor stored under the parameter's own name wins over a tied copy.
  for (const t of tensors) {
    if (shapes.has(t.name) && !assigned.has(t.name)) {
      assigned.set(t.name, t);
      target.set(t, t.name);
    }
  }
  for (const t of tensors) {
    if (target.has(t)) continue;
    const options = candidates(t.name).filter((c) => shapes.has(c));
    const free = options.find((c) => !assigned.has(c));
    if (free !== undefined) {
      assigned.set(free, t);
      target.set(t, free);
    } else if (options.length > 0) {
      ignored.push(t.name); // another name of a parameter already filled: a tied copy
    } else {
      const stripped = prefix !== '' && t.name.startsWith(prefix) ? t.name.slice(prefix.length) : t.name;
      if (naming.ignore.some((re) => re.test(t.name) || re.test(stripped))) ignored.push(t.name);
      else unexpected.push(t.name);
    }
  }

  const entries: MappedWeight[] = [];
  const mismatched: WeightMismatch[] = [];
  for (const t of tensors) {
    const parameter = target.get(t);
    if (parameter === undefined) continue;
    const expected = shapes.get(parameter);
    if (!FLOAT_DTYPES.has(t.dtype)) {
      mismatched.push({ tensor: t.name, parameter, message: `dtype ${t.dtype} cannot fill a floating-point parameter` });
      continue;
    }
    if (expected !== undefined && (expected.length !== t.shape.length || expected.some((d, i) => d !== t.shape[i]))) {
      mismatched.push({
        tensor: t.name,
        parameter,
        message: `shape [${t.shape.join(', ')}] in the checkpoint, [${expected.join(', ')}] in the model`,
      });
      continue;
    }
    const entry: MappedWeight = {
      parameter,
      tensor: t.name,
      dtype: t.dtype as WeightEntry['dtype'],
      shape: [...t.shape],
      begin: t.begin,
      end: t.end,
    };
    if (t.file !== undefined) entry.file = t.file;
    entries.push(entry);
  }
  const filled = new Set(entries.map((e) => e.parameter));
  const missing = [...shapes.keys()].filter((p) => !filled.has(p));
  return { entries, missing, unexpected, ignored, mismatched };
}
