// safetensors: an 8-byte little-endian header length N, N bytes of JSON header
// `{ name: { dtype, shape, data_offsets: [begin, end] }, __metadata__?: { string: string } }` with offsets
// relative to the end of the header, then the raw little-endian tensor data.
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { endianness } from 'node:os';
import type { HostTensor } from '../backend/index.js';
import { WeightsError, formatValue, oneLine } from '../errors.js';
import { isPlainObject } from './util.js';

/** Element size in bytes of each safetensors dtype. */
export const SAFETENSORS_DTYPE_SIZES = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  I64: 8,
  U64: 8,
  F64: 8,
} as const;

export type SafetensorsDType = keyof typeof SAFETENSORS_DTYPE_SIZES;

/** One tensor of a safetensors file; `begin`/`end` are ABSOLUTE byte positions in the file. */
export interface SafetensorsEntry {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  begin: number;
  end: number;
  /** The file it is in, when read from a path. */
  file?: string;
}

export interface SafetensorsHeader {
  /** N, the JSON header's length in bytes. */
  headerLength: number;
  /** Absolute position of the data (8 + N): data_offsets count from here. */
  dataStart: number;
  fileSize: number;
  /** Tensors in file order (by begin offset). */
  entries: SafetensorsEntry[];
  /** `__metadata__`, or null when absent. */
  metadata: Record<string, string> | null;
}

/** Safetensors' own limit on the header size. */
const MAX_HEADER_BYTES = 100_000_000;

function isDType(value: unknown): value is SafetensorsDType {
  return typeof value === 'string' && Object.hasOwn(SAFETENSORS_DTYPE_SIZES, value);
}

/** Reads N from the first 8 bytes and checks it against the file size. */
function headerLengthOf(prefix: Uint8Array, fileSize: number, source: string): number {
  if (fileSize < 8 || prefix.length < 8) {
    throw new WeightsError(`${source}: ${fileSize} bytes is too short for a safetensors file (an 8-byte header length comes first)`);
  }
  const n = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(fileSize - 8)) {
    throw new WeightsError(`${source}: header length ${n} runs past the end of the file (${fileSize} bytes): the file is truncated or not safetensors`);
  }
  if (n > BigInt(MAX_HEADER_BYTES)) {
    throw new WeightsError(`${source}: header length ${n} is over the safetensors limit of ${MAX_HEADER_BYTES} bytes`);
  }
  return Number(n);
}

/**
 * Parses and checks a safetensors header. `bytes` holds at least the first 8 + N bytes of the file
 * (the whole file is fine); `fileSize` is the file's full size. Throws WeightsError naming `source`.
 */
export function parseSafetensorsHeader(bytes: Uint8Array, fileSize: number, source = 'safetensors file'): SafetensorsHeader {
  const headerLength = headerLengthOf(bytes, fileSize, source);
  const dataStart = 8 + headerLength;
  if (bytes.length < dataStart) {
    throw new WeightsError(`${source}: only ${bytes.length} bytes given, the header needs ${dataStart}`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, dataStart));
  } catch {
    throw new WeightsError(`${source}: the header is not valid UTF-8`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new WeightsError(`${source}: the header is not valid JSON (${oneLine(err instanceof Error ? err.message : String(err))})`);
  }
  if (!isPlainObject(json)) {
    throw new WeightsError(`${source}: the header must be a JSON object, got ${formatValue(json)}`);
  }

  const dataLength = fileSize - dataStart;
  let metadata: Record<string, string> | null = null;
  const entries: SafetensorsEntry[] = [];
  for (const [name, info] of Object.entries(json)) {
    const where = `${source}: tensor ${JSON.stringify(name)}`;
    if (name === '__metadata__') {
      if (!isPlainObject(info) || !Object.values(info).every((v) => typeof v === 'string')) {
        throw new WeightsError(`${source}: __metadata__ must map strings to strings, got ${formatValue(info)}`);
      }
      metadata = info as Record<string, string>;
      continue;
    }
    if (!isPlainObject(info)) throw new WeightsError(`${where}: expected { dtype, shape, data_offsets }, got ${formatValue(info)}`);
    const { dtype, shape, data_offsets: offsets } = info;
    if (!isDType(dtype)) {
      throw new WeightsError(`${where}: unknown dtype ${formatValue(dtype)} (known: ${Object.keys(SAFETENSORS_DTYPE_SIZES).join(', ')})`);
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
      throw new WeightsError(`${where}: shape must be a list of non-negative integers, got ${formatValue(shape)}`);
    }
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o) && (o as number) >= 0) ||
      (offsets[0] as number) > (offsets[1] as number)
    ) {
      throw new WeightsError(`${where}: data_offsets must be [begin, end] with 0 <= begin <= end, got ${formatValue(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    const elements = (shape as number[]).reduce((a, b) => a * b, 1);
    const expected = elements * SAFETENSORS_DTYPE_SIZES[dtype];
    if (end - begin !== expected) {
      throw new WeightsError(
        `${where}: shape ${formatValue(shape)} of ${dtype} needs ${expected} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`,
      );
    }
    if (end > dataLength) {
      throw new WeightsError(
        `${where}: data_offsets [${begin}, ${end}] run past the end of the data (${dataLength} bytes): the file is truncated`,
      );
    }
    entries.push({ name, dtype, shape: shape as number[], begin: dataStart + begin, end: dataStart + end });
  }

  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let previous: SafetensorsEntry | undefined;
  for (const entry of entries) {
    if (entry.begin === entry.end) continue;
    if (previous !== undefined && entry.begin < previous.end) {
      throw new WeightsError(
        `${source}: tensors ${JSON.stringify(previous.name)} and ${JSON.stringify(entry.name)} overlap ` +
          `(bytes ${previous.begin - dataStart}–${previous.end - dataStart} and ${entry.begin - dataStart}–${entry.end - dataStart} of the data)`,
      );
    }
    previous = entry;
  }
  return { headerLength, dataStart, fileSize, entries, metadata };
}

const UNREADABLE_HINT = 'Check the path of the checkpoint directory and that its safetensors files are readable.';

function readExactly(fd: number, length: number, position: number, path: string): Uint8Array {
  const buffer = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    let n: number;
    try {
      n = readSync(fd, buffer, done, length - done, position + done);
    } catch (err) {
      throw new WeightsError(`${path}: cannot be read (${err instanceof Error ? err.message : String(err)})`, UNREADABLE_HINT);
    }
    if (n === 0) throw new WeightsError(`${path}: unexpected end of file at byte ${position + done}`);
    done += n;
  }
  return buffer;
}

/** Opens a regular file; returns its descriptor and size. Anything else is refused before the open, which
 * would block on a FIFO until a writer came. */
function openForReading(path: string): { fd: number; size: number } {
  let fd: number;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) {
      throw new WeightsError(`${path}: not a file (${stat.isDirectory() ? 'a directory' : 'a device, FIFO or socket'})`, UNREADABLE_HINT);
    }
    fd = openSync(path, 'r');
  } catch (err) {
    if (err instanceof WeightsError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new WeightsError(
      code === 'ENOENT' ? `${path}: no such file` : `${path}: cannot be read (${err instanceof Error ? err.message : String(err)})`,
      UNREADABLE_HINT,
    );
  }
  return { fd, size: fstatSync(fd).size };
}

/** Reads and checks only the header of a safetensors file; entries carry `file: path`. */
export function readSafetensorsHeader(path: string): SafetensorsHeader {
  const { fd, size: fileSize } = openForReading(path);
  try {
    const prefix = readExactly(fd, Math.min(8, fileSize), 0, path);
    const headerLength = headerLengthOf(prefix, fileSize, path);
    const bytes = new Uint8Array(8 + headerLength);
    bytes.set(prefix, 0);
    bytes.set(readExactly(fd, headerLength, 8, path), 8);
    const header = parseSafetensorsHeader(bytes, fileSize, path);
    for (const entry of header.entries) entry.file = path;
    return header;
  } finally {
    closeSync(fd);
  }
}

const littleEndianHost = endianness() === 'LE';

/** Copies one tensor's bytes into a HostTensor: F32 → Float32Array, F16/BF16 → raw Uint16Array,
 * integer dtypes that fit → BigInt64Array (int64). Other dtypes throw. */
export function decodeTensor(entry: SafetensorsEntry, bytes: Uint8Array, source = 'safetensors file'): HostTensor {
  const raw = bytes.subarray(entry.begin, entry.end);
  const count = entry.shape.reduce((a, b) => a * b, 1);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const shape = [...entry.shape];
  switch (entry.dtype) {
    case 'F32': {
      const data = new Float32Array(count);
      if (littleEndianHost) new Uint8Array(data.buffer).set(raw);
      else for (let i = 0; i < count; i++) data[i] = view.getFloat32(i * 4, true);
      return { dtype: 'float32', shape, data };
    }
    case 'F16':
    case 'BF16': {
      const data = new Uint16Array(count);
      for (let i = 0; i < count; i++) data[i] = view.getUint16(i * 2, true);
      return { dtype: entry.dtype === 'F16' ? 'float16' : 'bfloat16', shape, data };
    }
    case 'I64': {
      const data = new BigInt64Array(count);
      for (let i = 0; i < count; i++) data[i] = view.getBigInt64(i * 8, true);
      return { dtype: 'int64', shape, data };
    }
    case 'BOOL':
    case 'U8':
    case 'I8':
    case 'I16':
    case 'U16':
    case 'I32':
    case 'U32': {
      const size = SAFETENSORS_DTYPE_SIZES[entry.dtype];
      const read: (offset: number) => number = {
        BOOL: (o: number) => view.getUint8(o),
        U8: (o: number) => view.getUint8(o),
        I8: (o: number) => view.getInt8(o),
        I16: (o: number) => view.getInt16(o, true),
        U16: (o: number) => view.getUint16(o, true),
        I32: (o: number) => view.getInt32(o, true),
        U32: (o: number) => view.getUint32(o, true),
      }[entry.dtype];
      const data = new BigInt64Array(count);
      for (let i = 0; i < count; i++) data[i] = BigInt(read(i * size));
      return { dtype: 'int64', shape, data };
    }
    default:
      throw new WeightsError(
        `${source}: tensor ${JSON.stringify(entry.name)} has dtype ${entry.dtype}, which cannot be read to the host without loss (F32, F16, BF16 and integers up to I64 can)`,
      );
  }
}

export interface SafetensorsContents {
  tensors: Record<string, HostTensor>;
  metadata: Record<string, string> | null;
  header: SafetensorsHeader;
}

/** Reads a whole (small) safetensors file into host tensors. Files over `maxBytes` (default 256 MiB) are
 * refused: load model weights with the backend instead. */
export function readSafetensors(path: string, options: { maxBytes?: number } = {}): SafetensorsContents {
  const maxBytes = options.maxBytes ?? 256 * 1024 * 1024;
  const { fd, size } = openForReading(path);
  let bytes: Uint8Array;
  try {
    if (size > maxBytes) {
      throw new WeightsError(
        `${path}: ${size} bytes is over the ${maxBytes}-byte limit for reading a whole file to the host`,
        'Load model weights with the backend (mapCheckpointToParameters + loadWeights) instead.',
      );
    }
    bytes = readExactly(fd, size, 0, path);
  } finally {
    closeSync(fd);
  }
  const header = parseSafetensorsHeader(bytes, bytes.length, path);
  const tensors: Record<string, HostTensor> = {};
  for (const entry of header.entries) {
    entry.file = path;
    // defineProperty: a tensor named "__proto__" stays a tensor.
    Object.defineProperty(tensors, entry.name, {
      value: decodeTensor(entry, bytes, path),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return { tensors, metadata: header.metadata, header };
}

/** A float16's value from its bits. */
function halfValue(bits: number): number {
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  const sign = bits & 0x8000 ? -1 : 1;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/** A host tensor's values as float32 (int64 and 16-bit floats converted; a float32 tensor's own data). */
export function hostTensorToFloat32(t: HostTensor): Float32Array {
  switch (t.dtype) {
    case 'float32':
      return t.data as Float32Array;
    case 'int64':
      return Float32Array.from(t.data as BigInt64Array, Number);
    case 'bfloat16': {
      // A bfloat16 is the top half of a float32.
      const bits = Uint32Array.from(t.data as Uint16Array, (b) => b << 16);
      return new Float32Array(bits.buffer);
    }
    case 'float16':
      return Float32Array.from(t.data as Uint16Array, halfValue);
  }
}

/** One floating-point tensor of a safetensors file as float32 values, read from its byte range alone (`begin`/`end`
 * absolute, as in SafetensorsEntry and the backends' WeightEntry): F32, F16, BF16 and F64. For backends that fill
 * parameters from the host (TensorFlow.js); the host holds this one tensor, never the file. */
export function readFloatTensor(path: string, entry: { name?: string; dtype: SafetensorsDType; shape: number[]; begin: number; end: number }): Float32Array {
  const { fd } = openForReading(path);
  let bytes: Uint8Array;
  try {
    bytes = readExactly(fd, entry.end - entry.begin, entry.begin, path);
  } finally {
    closeSync(fd);
  }
  const name = entry.name ?? '(tensor)';
  if (entry.dtype === 'F64') {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return Float32Array.from({ length: bytes.byteLength / 8 }, (_, i) => view.getFloat64(i * 8, true));
  }
  if (entry.dtype !== 'F32' && entry.dtype !== 'F16' && entry.dtype !== 'BF16') {
    throw new WeightsError(`${path}: tensor ${JSON.stringify(name)} has dtype ${entry.dtype}, not a float (F32, F16, BF16 or F64)`);
  }
  const local: SafetensorsEntry = { name, dtype: entry.dtype, shape: entry.shape, begin: 0, end: bytes.byteLength };
  return hostTensorToFloat32(decodeTensor(local, bytes, path));
}
