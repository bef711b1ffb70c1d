// Whether a model's parameters can fit in memory at all, decided from the config before anything is allocated:
// a vocab_size of 10^12 or 10^8 layers is refused with the numbers, instead of a native allocation failing
// (or the kernel killing the process) in every cell.
import { totalmem } from 'node:os';
import type { DType, GpuReport } from '../backend/index.js';
import { ModelError, type Problem } from '../errors.js';
import { modelPath, type ResolvedModel } from './resolve.js';

/** What to do about a model that cannot fit. */
export const CANNOT_FIT_HINT = 'Use a smaller config (an inline config can override its sizes), a 16-bit dtype, or a device with more memory.';

/** Bytes per element of each dtype a model is built in. */
export const DTYPE_BYTES: Readonly<Record<DType, number>> = { float32: 4, float16: 2, bfloat16: 2 };

/** The memory a model's parameters must fit in. */
export interface MemoryCapacity {
  bytes: number;
  /** As a message names it: "RAM", "memory of cuda:0 (NVIDIA H100 80GB HBM3)". */
  what: string;
}

export interface FitOptions {
  dtype: DType;
  inference: boolean;
  training: boolean;
  /** Generation builds the model with its LM head (trainSpec's parameters), weights alone; absent: false. */
  generate?: boolean;
  trainStep: 'backward' | 'optimizer';
  capacity: MemoryCapacity;
}

/**
 * Where the parameters live on `device` ("cpu" or "cuda:N"): the machine's RAM, or the GPU's memory as the
 * backend reports it. Null when the GPU's size is unknown (no check is made then).
 */
export function memoryCapacity(device: string, gpuInfo: () => GpuReport): MemoryCapacity | null {
  if (!device.startsWith('cuda')) return { bytes: totalmem(), what: 'RAM' };
  const index = Number(device.slice('cuda:'.length) || 0);
  const gpu = gpuInfo().cudaDevices.find((d) => d.index === index);
  return gpu && gpu.totalMemoryBytes > 0 ? { bytes: gpu.totalMemoryBytes, what: `memory of cuda:${index} (${gpu.name})` } : null;
}

/** 3 significant digits in the largest binary unit below the value: "2.79 TiB", "31.3 GiB", "512 B", "1.41e+16 EiB". */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 1e4 ? value.toPrecision(3) : Number(value.toPrecision(3))} ${units[unit]}`; // only EiB reach 10^4
}

/** A parameter count as a user reads it: grouped digits, or 3 significant digits past 10^15. */
function formatCount(count: number): string {
  return count < 1e15 ? Math.round(count).toLocaleString('en-US') : count.toPrecision(3);
}

/**
 * Why `model` cannot run in `options.capacity`, or undefined when its parameters fit. Compared: inference,
 * the weights alone; generation, the weights with the LM head; training, the weights and their gradients
 * (2 copies), and with trainStep "optimizer" AdamW's two moments too (4 copies), all in `dtype`. Activations are
 * not counted: a model that passes can still run out of memory in a cell, which is then that cell's `oom`.
 */
export function checkFits(model: ResolvedModel, options: FitOptions): string | undefined {
  const bytesPer = DTYPE_BYTES[options.dtype];
  const checks: Array<{ count: number; copies: number; figure: string }> = [];
  if (options.inference) checks.push({ count: model.parameterCount, copies: 1, figure: 'its weights alone' });
  if (options.generate) {
    checks.push({ count: model.trainParameterCount, copies: 1, figure: "generation's weights (with the LM head)" });
  }
  if (options.training) {
    checks.push(
      options.trainStep === 'optimizer'
        ? { count: model.trainParameterCount, copies: 4, figure: "training's weights, gradients and AdamW's two moments" }
        : { count: model.trainParameterCount, copies: 2, figure: "training's weights and gradients" },
    );
  }
  const tooBig = checks.find((c) => c.count * c.copies * bytesPer > options.capacity.bytes);
  if (tooBig === undefined) return undefined;
  const { count, copies, figure } = tooBig;
  const copiesText = copies === 1 ? '' : `${copies} × `;
  const spec = model.spec;
  const sizes = [
    `vocab_size ${spec.vocab_size}`,
    `hidden_size ${spec.hidden_size}`,
    `intermediate_size ${spec.intermediate_size}`,
    `num_hidden_layers ${spec.num_hidden_layers}`,
    ...(spec.family === 't5' ? [`num_decoder_layers ${spec.num_decoder_layers}`] : []),
  ];
  return (
    `${JSON.stringify(model.name)} cannot fit: ${figure}, ${copiesText}${formatCount(count)} parameters × ${bytesPer} bytes (${options.dtype}) ` +
    `= ${formatBytes(count * copies * bytesPer)}, are more than the ${formatBytes(options.capacity.bytes)} of ${options.capacity.what} (${sizes.join(', ')})`
  );
}

/** checkFits for every model of a run; throws one ModelError listing each that cannot fit at its
 * `models[i]` (or `configs[i]`). No check when `capacity` is null (a GPU of unknown size). */
export function checkModelsFit(
  models: readonly ResolvedModel[],
  args: Omit<FitOptions, 'capacity'> & { configs?: readonly unknown[] },
  capacity: MemoryCapacity | null,
): void {
  if (capacity === null) return;
  const problems: Problem[] = [];
  models.forEach((model, i) => {
    const message = checkFits(model, { ...args, capacity });
    if (message !== undefined) problems.push({ path: modelPath(args, i), message });
  });
  if (problems.length > 0) {
    const count = problems.length === 1 ? 'a model' : `${problems.length} models`;
    throw new ModelError(`${count} cannot fit in memory:`, { problems, hint: CANNOT_FIT_HINT });
  }
}
