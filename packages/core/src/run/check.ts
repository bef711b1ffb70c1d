// checkCheckpoint(dir): run a checkpoint directory (config.json + model.safetensors or indexed shards) on the
// inputs stored in <dir>/expected.safetensors and compare every stored tensor with what the model computes
// (format: shared/fixtures/README.md). Outputs are computed with the attention mask, loss and gradients without
// it, in eval mode, as the reference did, in the dtype the file's __metadata__ names (default float32). Not in the
// config's torch_dtype: that is the dtype the weights were saved in, not the one the reference was computed in (the
// shared llama-gqa-bf16 stores bfloat16 weights, torch_dtype "bfloat16", and a float32 reference computed from them).
// With a greedy-generation reference (<dir>/generate.safetensors, or another file), it also decodes from the
// reference's prompt and compares the generated ids exactly and each step's logits within the tolerance.
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DTYPES, libtorchBackend, type Backend, type BackendModel, type DType, type HostTensor } from '../backend/index.js';
import { ModelError, TfbenchError } from '../errors.js';
import { CANNOT_FIT_HINT, checkFits, hostTensorToFloat32, memoryCapacity, readSafetensors, resolveModelOnline } from '../models/index.js';
import type { ModelSpec } from '../models/index.js';
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
  /** The framework that computed, its version and how it runs: "libtorch 2.5.1", "tfjs 4.22.0, wasm (…)". */
  framework: string;
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
  /** The greedy-generation reference's comparison; null when there was none. */
  generation: GenerationComparison | null;
}

/** Where generated ids first differ from the reference's: the earliest position, then the lowest sequence. */
export interface IdDifference {
  /** The row of the batch. */
  sequence: number;
  /** The column of generated_ids. */
  position: number;
  /** Which new token (0-based); null for a position before the first (the prompt, or T5's start token). */
  step: number | null;
  expected: number;
  actual: number;
}

export interface GenerationComparison {
  /** The reference file. */
  file: string;
  /** prompt_ids' shape, (B, S). */
  promptShape: number[];
  /** N, the new tokens decoded. */
  newTokens: number;
  dtype: DType;
  /** step_logits' tolerance. */
  atol: number;
  rtol: number;
  /** Compared exactly. Decoders: (B, S + N); T5: (B, 1 + N). */
  generatedIds: {
    shape: number[];
    ok: boolean;
    firstDifference: IdDifference | null;
    /** Why the ids could not be compared, when they could not. */
    problem: string | null;
  };
  /** (N, B, V): each step's logits of the last position. */
  stepLogits: TensorComparison;
  ok: boolean;
}

export interface CheckOptions {
  device?: string;
  /** default: the fixture's __metadata__ dtype, else float32. */
  dtype?: DType;
  /** Tolerances for every tensor, the loss included; default: the fixture's __metadata__ atol/rtol (the loss's:
   * loss_atol/loss_rtol, else atol/rtol), else 1e-4. */
  atol?: number;
  rtol?: number;
  /** A greedy-generation reference to check too (format: shared/fixtures/README.md); default
   * <dir>/generate.safetensors when there is one; false: none. Its tolerance is its own __metadata__'s (else
   * 1e-4) unless atol/rtol are given, and so is its dtype (else float32) unless dtype is given. */
  generation?: string | false;
  backend?: Backend;
}

const INPUT_NAMES = new Set(['input_ids', 'attention_mask', 'token_type_ids', 'decoder_input_ids']);

function badDir(message: string): TfbenchError {
  return new TfbenchError(message, {
    code: 'BAD_CHECKPOINT',
    hint:
      'Pass a checkpoint directory holding config.json, model.safetensors (or model.safetensors.index.json and ' +
      'its shards) and expected.safetensors (see shared/fixtures/README.md).',
  });
}

function badGeneration(message: string): TfbenchError {
  return new TfbenchError(message, {
    code: 'BAD_CHECKPOINT',
    hint: 'A greedy-generation reference holds prompt_ids, generated_ids and step_logits (shared/fixtures/README.md).',
  });
}


export function compareTensor(
  name: string,
  actual: HostTensor | undefined,
  expected: HostTensor,
  atol: number,
  rtol: number,
): TensorComparison {
  const base = { name, shape: expected.shape, atol, rtol };
  const fail = (problem: string) => ({ ...base, maxAbsDiff: null, mismatched: 0, ok: false, problem });
  if (!actual) return fail('the model does not compute this tensor');
  if (actual.shape.join(',') !== expected.shape.join(',')) {
    return fail(`shape [${actual.shape}] instead of [${expected.shape}]`);
  }
  const a = hostTensorToFloat32(actual);
  const e = hostTensorToFloat32(expected);
  let maxAbsDiff = 0;
  let mismatched = 0;
  for (let i = 0; i < e.length; i++) {
    const d = Math.abs(a[i]! - e[i]!);
    if (!(d <= maxAbsDiff)) maxAbsDiff = d; // NaN propagates as a failure
    if (!(d <= atol + rtol * Math.abs(e[i]!))) mismatched++;
  }
  return { ...base, maxAbsDiff, mismatched, ok: mismatched === 0, problem: null };
}

/** Token ids compared exactly; `prefix` positions precede the first new token (S for a decoder, 1 for T5). */
export function compareGeneratedIds(
  actual: HostTensor,
  expected: HostTensor,
  prefix: number,
): GenerationComparison['generatedIds'] {
  const shape = expected.shape;
  const fail = (problem: string) => ({ shape, ok: false, firstDifference: null, problem });
  if (actual.dtype !== 'int64') return fail(`dtype ${actual.dtype} instead of int64`);
  if (actual.shape.join(',') !== shape.join(',')) return fail(`shape [${actual.shape}] instead of [${shape}]`);
  const [batch, width] = shape as [number, number];
  const a = actual.data as BigInt64Array;
  const e = expected.data as BigInt64Array;
  for (let position = 0; position < width; position++) {
    for (let sequence = 0; sequence < batch; sequence++) {
      const i = sequence * width + position;
      if (a[i] !== e[i]) {
        const step = position < prefix ? null : position - prefix;
        const firstDifference = { sequence, position, step, expected: Number(e[i]), actual: Number(a[i]) };
        return { shape, ok: false, firstDifference, problem: null };
      }
    }
  }
  return { shape, ok: true, firstDifference: null, problem: null };
}

/** Tokens before the first new one in generated_ids: an encoder-decoder's decoder starts from its
 * decoder_start_token_id alone (the prompt is the encoder's input); a decoder's sequence starts with the prompt. */
function generatedPrefix(spec: ModelSpec, promptLength: number): number {
  return 'decoder_start_token_id' in spec ? 1 : promptLength;
}

/** An int64 (rows, columns) tensor of the reference, or an error naming the file. */
function idsTensor(tensors: Record<string, HostTensor>, name: string, file: string): HostTensor {
  const t = tensors[name];
  if (!t) throw badGeneration(`${file} has no ${name}`);
  if (t.dtype !== 'int64' || t.shape.length !== 2 || t.shape.some((d) => d < 1)) {
    const got = `${t.dtype} [${t.shape}]`;
    throw badGeneration(`${file}: ${name} must be a non-empty int64 (batch, tokens) tensor, not ${got}`);
  }
  return t;
}

/** A greedy-generation reference, read and checked; `prefix` as in compareGeneratedIds. */
interface GenerationReference {
  file: string;
  prompt: HostTensor;
  generated: HostTensor;
  stepLogits: HostTensor;
  prefix: number;
  newTokens: number;
  metadata: Record<string, string>;
}

/** The reference's tensors, N from generated_ids' width checked against the metadata's new_tokens. */
function readGenerationReference(file: string, spec: ModelSpec): GenerationReference {
  if (!existsSync(file) || !statSync(file).isFile()) {
    throw badGeneration(`${file}: no such greedy-generation reference`);
  }
  const { tensors, metadata } = readSafetensors(file);
  const prompt = idsTensor(tensors, 'prompt_ids', file);
  const generated = idsTensor(tensors, 'generated_ids', file);
  const stepLogits = tensors.step_logits;
  if (!stepLogits) throw badGeneration(`${file} has no step_logits`);
  const [batch, promptLength] = prompt.shape as [number, number];
  const prefix = generatedPrefix(spec, promptLength);
  const newTokens = generated.shape[1]! - prefix;
  const layout = prefix === 1 ? 'the decoder start token' : `the ${promptLength} prompt tokens`;
  if (generated.shape[0] !== batch) {
    const shapes = `generated_ids [${generated.shape}] and prompt_ids [${prompt.shape}]`;
    throw badGeneration(`${file}: ${shapes} differ in batch size`);
  }
  if (newTokens < 1) {
    throw badGeneration(`${file}: generated_ids [${generated.shape}] holds no new token after ${layout}`);
  }
  const stated = metadata?.new_tokens;
  if (stated !== undefined && Number(stated) !== newTokens) {
    throw badGeneration(
      `${file}: generated_ids [${generated.shape}] holds ${newTokens} new tokens after ${layout}, ` +
        `but __metadata__ new_tokens is ${JSON.stringify(stated)}`,
    );
  }
  return { file, prompt, generated, stepLogits, prefix, newTokens, metadata: metadata ?? {} };
}

/** Greedy decoding from the reference's prompt on `model`, compared with the reference. */
async function compareGeneration(
  model: BackendModel,
  reference: GenerationReference,
  settings: { dtype: DType; atol: number; rtol: number },
): Promise<GenerationComparison> {
  let output;
  try {
    output = await model.generate(reference.prompt, { newTokens: reference.newTokens });
  } catch (err) {
    // The addon's BAD_INPUT: a model that cannot generate (no LM head), or more positions than it has.
    if (!(err instanceof Error) || (err as { code?: unknown }).code !== 'BAD_INPUT') throw err;
    throw badGeneration(`${reference.file}: cannot decode from this checkpoint: ${err.message}`);
  }
  const generatedIds = compareGeneratedIds(output.generatedIds, reference.generated, reference.prefix);
  const { atol, rtol } = settings;
  const stepLogits = compareTensor('step_logits', output.stepLogits, reference.stepLogits, atol, rtol);
  return {
    file: reference.file,
    ...settings,
    promptShape: reference.prompt.shape,
    newTokens: reference.newTokens,
    generatedIds,
    stepLogits,
    ok: generatedIds.ok && stepLogits.ok,
  };
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

/** A tolerance from a file's __metadata__ (text, as safetensors stores it), `fallback` when absent. */
function metadataTolerance(metadata: Record<string, string>, key: string, fallback: number, path: string): number {
  const text = metadata[key];
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0) {
    throw badDir(`${path}: __metadata__ ${key} ${JSON.stringify(text)} is not a tolerance (a number >= 0)`);
  }
  return value;
}

function frameworkText(backend: Backend): string {
  const info = backend.info();
  return info.framework === 'libtorch' ? `libtorch ${info.frameworkVersion}` : `${info.framework} ${info.frameworkVersion}, ${info.frameworkSource}`;
}

/** The greedy-generation reference to check: the one named, else <dir>/generate.safetensors when present. */
function generationReferencePath(dir: string, option: CheckOptions['generation']): string | null {
  if (option === false) return null;
  if (option !== undefined) return resolve(option);
  const inDir = join(dir, 'generate.safetensors');
  return existsSync(inDir) ? inDir : null;
}

/**
 * Runs the checkpoint directory `dirArg` on expected.safetensors' inputs and compares every stored tensor, then
 * checks greedy generation against a reference when there is one (CheckOptions.generation). Throws a
 * TfbenchError (BAD_CHECKPOINT, BAD_MODEL, BAD_WEIGHTS) naming the file for a directory or file it cannot use.
 */
export async function checkCheckpoint(dirArg: string, options: CheckOptions = {}): Promise<CheckResult> {
  const dir = resolve(dirArg);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw badDir(`${dir} is not a directory`);
  const expectedPath = join(dir, 'expected.safetensors');
  if (!existsSync(expectedPath)) throw badDir(`${dir} has no expected.safetensors to compare with`);
  const generationFile = generationReferencePath(dir, options.generation);
  // The directory exists, so the Hub is never asked; resolving goes the one way every command's does.
  const model = await resolveModelOnline(dir, { onlyPretrainModel: false, baseDir: dir, generate: generationFile !== null });
  const expected = readSafetensors(expectedPath);
  const metadata = expected.metadata ?? {};
  const tolerance = (key: string, fallback: number) => metadataTolerance(metadata, key, fallback, expectedPath);
  const atol = options.atol ?? tolerance('atol', 1e-4);
  const rtol = options.rtol ?? tolerance('rtol', 1e-4);
  const lossAtol = options.atol ?? tolerance('loss_atol', atol);
  const lossRtol = options.rtol ?? tolerance('loss_rtol', rtol);
  const dtype = options.dtype ?? fixtureDtype(metadata.dtype, expectedPath);
  const tensors = expected.tensors;
  if (!tensors.input_ids) throw badDir(`${expectedPath} has no input_ids`);
  // Read before anything is built, so that a malformed reference is refused first.
  const reference = generationFile === null ? null : readGenerationReference(generationFile, model.spec);
  // The reference's own dtype (the shared ones were computed in float32), unless one is given.
  const generationDtype = reference && (options.dtype ?? fixtureDtype(reference.metadata.dtype, reference.file));

  const backend = options.backend ?? libtorchBackend();
  const device = options.device ?? 'cpu';
  const capacity = memoryCapacity(device, () => backend.gpuInfo());
  const build = async (modelDtype: DType) => {
    const fit = { dtype: modelDtype, inference: true, training: false, trainStep: 'backward' as const };
    const tooBig = capacity && checkFits(model, { ...fit, capacity });
    if (tooBig) throw new ModelError(tooBig, { hint: CANNOT_FIT_HINT });
    const built = await backend.buildModel(model.spec, { device, dtype: modelDtype, seed: 0 });
    return { built, mapping: await loadCheckpointWeights(built, model.weightFiles, model.spec.family) };
  };
  const { built, mapping } = await build(dtype);

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
    .map(([name, t]) =>
      name === 'loss'
        ? compareTensor(name, outputs[name], t, lossAtol, lossRtol)
        : compareTensor(name, outputs[name], t, atol, rtol),
    );

  let generation: GenerationComparison | null = null;
  if (reference !== null && generationDtype !== null) {
    const generator = generationDtype === dtype ? built : (await build(generationDtype)).built;
    generation = await compareGeneration(generator, reference, {
      dtype: generationDtype,
      atol: options.atol ?? metadataTolerance(reference.metadata, 'atol', 1e-4, reference.file),
      rtol: options.rtol ?? metadataTolerance(reference.metadata, 'rtol', 1e-4, reference.file),
    });
  }
  return {
    dir,
    architecture: architectureOf(model.hfConfig) ?? `${model.spec.family} (${model.spec.head})`,
    framework: frameworkText(backend),
    device,
    dtype,
    atol,
    rtol,
    lossAtol,
    lossRtol,
    ok: comparisons.every((c) => c.ok) && (generation?.ok ?? true),
    tensors: comparisons,
    missingParameters: mapping.missing,
    unexpectedTensors: mapping.unexpected,
    generation,
  };
}
