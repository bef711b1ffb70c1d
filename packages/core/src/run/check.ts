// checkCheckpoint(dir): run a checkpoint directory (config.json + *.safetensors) on the inputs stored in
// <dir>/expected.safetensors and compare every stored tensor with what the model computes (format:
// shared/fixtures/README.md). Outputs are computed with the attention mask, loss and gradients without it,
// in eval mode, as the reference did, in the dtype the file's __metadata__ names (default float32).
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { libtorchBackend, type Backend, type DType, type HostTensor } from '../backend/index.js';
import { ModelError, TfbenchError } from '../errors.js';
import { CANNOT_FIT_HINT, checkFits, memoryCapacity, readSafetensors, resolveModel } from '../models/index.js';
import { loadCheckpointWeights } from './weights.js';

export interface TensorComparison {
  name: string;
  shape: number[];
  /** The tolerance this tensor was judged by (the loss may have its own). */
  atol: number;
  rtol: number;
  /** null when the model did not produce this tensor. */
  maxAbsDiff: number | null;
  /** Elements outside atol + rtol·|expected| (numpy.allclose's rule). */
  mismatched: number;
  ok: boolean;
  /** Why the tensor could not be compared, when it could not. */
  problem: string | null;
}

export interface CheckResult {
  dir: string;
  architecture: string;
  device: string;
  dtype: DType;
  /** The tensors' tolerance, and the loss's. */
  atol: number;
  rtol: number;
  lossAtol: number;
  lossRtol: number;
  ok: boolean;
  tensors: TensorComparison[];
  /** Parameters the checkpoint did not fill (left random): a reason for mismatches. */
  missingParameters: string[];
  unexpectedTensors: string[];
}

export interface CheckOptions {
  device?: string;
  /** default: the fixture's __metadata__ dtype, else float32. */
  dtype?: DType;
  /** Tolerances for every tensor, the loss included; default: the fixture's __metadata__ atol/rtol (the loss's:
   * loss_atol/loss_rtol, else atol/rtol), else 1e-4. */
  atol?: number;
  rtol?: number;
  backend?: Backend;
}

const INPUT_NAMES = new Set(['input_ids', 'attention_mask', 'token_type_ids', 'decoder_input_ids']);

function badDir(message: string): TfbenchError {
  return new TfbenchError(message, {
    code: 'BAD_CHECKPOINT',
    hint: 'Pass a checkpoint directory holding config.json, the *.safetensors weights and expected.safetensors (see shared/fixtures/README.md).',
  });
}

const DTYPES: readonly DType[] = ['float32', 'float16', 'bfloat16'];

/** A float16's value from its bits. */
function halfValue(bits: number): number {
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  const sign = bits & 0x8000 ? -1 : 1;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

function toFloat32(t: HostTensor): Float32Array {
  if (t.dtype === 'float32') return t.data as Float32Array;
  if (t.dtype === 'int64') return Float32Array.from(t.data as BigInt64Array, Number);
  if (t.dtype === 'bfloat16') {
    // A bfloat16 is the top half of a float32.
    const bits = Uint32Array.from(t.data as Uint16Array, (b) => b << 16);
    return new Float32Array(bits.buffer);
  }
  if (t.dtype === 'float16') return Float32Array.from(t.data as Uint16Array, halfValue);
  throw new TfbenchError(`cannot compare a ${t.dtype} tensor`, { code: 'BAD_CHECKPOINT', hint: 'Store expected tensors as F32.' });
}

export function compareTensor(name: string, actual: HostTensor | undefined, expected: HostTensor, atol: number, rtol: number): TensorComparison {
  const base = { name, shape: expected.shape, atol, rtol };
  if (!actual) return { ...base, maxAbsDiff: null, mismatched: 0, ok: false, problem: 'the model does not compute this tensor' };
  if (actual.shape.join(',') !== expected.shape.join(',')) {
    return { ...base, maxAbsDiff: null, mismatched: 0, ok: false, problem: `shape [${actual.shape}] instead of [${expected.shape}]` };
  }
  const a = toFloat32(actual);
  const e = toFloat32(expected);
  let maxAbsDiff = 0;
  let mismatched = 0;
  for (let i = 0; i < e.length; i++) {
    const d = Math.abs(a[i]! - e[i]!);
    if (!(d <= maxAbsDiff)) maxAbsDiff = d; // NaN propagates as a failure
    if (!(d <= atol + rtol * Math.abs(e[i]!))) mismatched++;
  }
  return { ...base, maxAbsDiff, mismatched, ok: mismatched === 0, problem: null };
}

function architectureOf(config: Record<string, unknown>): string | undefined {
  const first = Array.isArray(config.architectures) ? config.architectures[0] : undefined;
  return typeof first === 'string' ? first : undefined;
}

function fixtureDtype(value: string | undefined, path: string): DType {
  if (value === undefined) return 'float32';
  if ((DTYPES as readonly string[]).includes(value)) return value as DType;
  throw badDir(`${path}: __metadata__ dtype ${JSON.stringify(value)} is not one of ${DTYPES.join(', ')}`);
}

export async function checkCheckpoint(dirArg: string, options: CheckOptions = {}): Promise<CheckResult> {
  const dir = resolve(dirArg);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw badDir(`${dir} is not a directory`);
  const expectedPath = join(dir, 'expected.safetensors');
  if (!existsSync(expectedPath)) throw badDir(`${dir} has no expected.safetensors to compare with`);
  const model = resolveModel(dir, { onlyPretrainModel: false, baseDir: dir });
  if (model.weightFiles.length === 0) throw badDir(`${dir} has no *.safetensors weights`);
  const expected = readSafetensors(expectedPath);
  const metadata = expected.metadata ?? {};
  const atol = options.atol ?? (Number(metadata.atol) || 1e-4);
  const rtol = options.rtol ?? (Number(metadata.rtol) || 1e-4);
  const lossAtol = options.atol ?? (Number(metadata.loss_atol) || atol);
  const lossRtol = options.rtol ?? (Number(metadata.loss_rtol) || rtol);
  const dtype = options.dtype ?? fixtureDtype(metadata.dtype, expectedPath);
  const tensors = expected.tensors;
  if (!tensors.input_ids) throw badDir(`${expectedPath} has no input_ids`);

  const backend = options.backend ?? libtorchBackend();
  const device = options.device ?? 'cpu';
  const capacity = memoryCapacity(device, () => backend.gpuInfo());
  const tooBig = capacity && checkFits(model, { dtype, inference: true, training: false, trainStep: 'backward', capacity });
  if (tooBig) throw new ModelError(tooBig, { hint: CANNOT_FIT_HINT });
  const built = await backend.buildModel(model.spec, { device, dtype, seed: 0 });
  const mapping = await loadCheckpointWeights(built, model.weightFiles, model.spec.family);

  const inputs: Record<string, HostTensor> = {};
  for (const name of INPUT_NAMES) if (tensors[name]) inputs[name] = tensors[name]!;
  const outputs = await built.run(inputs);
  const gradients = Object.keys(tensors).filter((k) => k.startsWith('grad.')).map((k) => k.slice('grad.'.length));
  if (tensors.loss || gradients.length > 0) {
    // The reference's loss: eval mode, labels = input_ids, no attention mask (T5: decoder_input_ids = input_ids).
    const withLoss = await built.run({ input_ids: tensors.input_ids }, { loss: true, gradients });
    for (const [k, v] of Object.entries(withLoss)) if (k === 'loss' || k.startsWith('grad.')) outputs[k] = v;
  }

  const comparisons = Object.entries(tensors)
    .filter(([name]) => !INPUT_NAMES.has(name))
    .map(([name, t]) => (name === 'loss' ? compareTensor(name, outputs[name], t, lossAtol, lossRtol) : compareTensor(name, outputs[name], t, atol, rtol)));
  return {
    dir,
    architecture: architectureOf(model.hfConfig) ?? `${model.spec.family} (${model.spec.head})`,
    device,
    dtype,
    atol,
    rtol,
    lossAtol,
    lossRtol,
    ok: comparisons.every((c) => c.ok),
    tensors: comparisons,
    missingParameters: mapping.missing,
    unexpectedTensors: mapping.unexpected,
  };
}
