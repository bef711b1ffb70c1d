// `dtype: "auto"`, as transformers' from_pretrained(torch_dtype="auto"): each model in the dtype its config names
// (torch_dtype; transformers v5 writes it as `dtype`), float32 when it names none. A run builds every model in one
// dtype, so under "auto" the models' dtypes must agree.
import { DTYPES, type DType } from '../backend/index.js';
import { ArgsError, ModelError, formatValue, type Problem } from '../errors.js';
import { modelPath } from './resolve.js';
import type { HfConfig } from './types.js';

/** The value of args' dtype that reads each model's dtype from its config. */
export const AUTO_DTYPE = 'auto';

/** What args' dtype takes: a dtype, or "auto". */
export type DTypeChoice = DType | typeof AUTO_DTYPE;

/** The config fields that name a model's dtype: transformers v4's name, then v5's. */
const DTYPE_FIELDS = ['torch_dtype', 'dtype'] as const;

export interface ConfigDtype {
  dtype: DType;
  /** The field it was read from; null when the config names none (float32, transformers' default). */
  field: (typeof DTYPE_FIELDS)[number] | null;
}

/** The dtype a config names for its weights. Throws ModelError (with the field) for a value tfbench cannot build
 * in, or torch_dtype and dtype naming different ones. A null field counts as absent, as in transformers. */
export function configDtype(config: HfConfig): ConfigDtype {
  const named = DTYPE_FIELDS.flatMap((field) => {
    const value = config[field];
    if (value === undefined || value === null) return [];
    if (typeof value !== 'string' || !(DTYPES as readonly string[]).includes(value)) {
      throw new ModelError(`${field}: expected one of ${DTYPES.join(', ')} (or null), got ${formatValue(value)}`);
    }
    return [{ dtype: value as DType, field }];
  });
  const [first, second] = named;
  if (first === undefined) return { dtype: 'float32', field: null };
  if (second !== undefined && second.dtype !== first.dtype) {
    throw new ModelError(`torch_dtype ${JSON.stringify(first.dtype)} and dtype ${JSON.stringify(second.dtype)} name different dtypes`);
  }
  return first;
}

const PASS_DTYPE = 'Pass --dtype (dtype in args.json) explicitly';

/**
 * The one dtype a run builds its models in: `args.dtype` itself, or under "auto" the dtype every model's config
 * names (configDtype; float32 for a run of no model). Throws ModelError listing the configs whose dtype cannot be
 * read at their `models[i]` (or `configs[i]`), and ArgsError at `dtype` when the configs name different dtypes.
 */
export function runDtype(
  args: { dtype: DTypeChoice; configs?: readonly unknown[] },
  models: ReadonlyArray<{ name: string; hfConfig: HfConfig }>,
): DType {
  if (args.dtype !== AUTO_DTYPE) return args.dtype;
  const problems: Problem[] = [];
  const byDtype = new Map<DType, string[]>();
  models.forEach((model, i) => {
    let read: ConfigDtype;
    try {
      read = configDtype(model.hfConfig);
    } catch (err) {
      if (!(err instanceof ModelError)) throw err;
      problems.push({ path: modelPath(args, i), message: `config of ${JSON.stringify(model.name)}: ${err.message}` });
      return;
    }
    const label = JSON.stringify(model.name) + (read.field === null ? ' (no torch_dtype)' : '');
    byDtype.set(read.dtype, [...(byDtype.get(read.dtype) ?? []), label]);
  });
  if (problems.length > 0) {
    const count = problems.length === 1 ? 'a model' : `${problems.length} models`;
    throw new ModelError(`dtype "auto" cannot read the dtype of ${count}:`, {
      problems,
      hint: `${PASS_DTYPE}, or override torch_dtype in an inline config: { "name": "…", "base": "<this model>", "config": { "torch_dtype": "bfloat16" } }.`,
    });
  }
  const dtypes = [...byDtype.keys()];
  if (dtypes.length > 1) {
    const groups = [...byDtype].map(([dtype, names]) => `${dtype} for ${names.join(', ')}`).join('; ');
    throw new ArgsError(
      [{ path: 'dtype', message: `"auto" reads different dtypes from the models' configs: ${groups}; a run builds every model in one dtype` }],
      `${PASS_DTYPE}, or run the models of each dtype separately.`,
    );
  }
  return dtypes[0] ?? 'float32';
}
