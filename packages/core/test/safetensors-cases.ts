// Malformed safetensors files for the fuzz tests (fuzz-safetensors.test.ts and its native child): a valid file
// (some tensors named and shaped as a tiny BERT's parameters, some anything) and mutations applied to its
// header object, its header bytes and the whole file. A case is data, so a failure's report shows what was
// done to the file, and the same case can be rendered again in another process.
import fc from 'fast-check';
import { SAFETENSORS_DTYPE_SIZES, normaliseConfig, parameterShapes, type ParameterShape } from '../src/models/index.js';
import { PROTOTYPE_NAMES, edgeNumber } from './fuzz.js';

/** The tiny BERT of DESIGN.md (hidden 32, 2 layers, 4 heads, intermediate 37, vocab 99), masked-LM head. */
export const TINY_BERT_CONFIG = {
  model_type: 'bert', architectures: ['BertForMaskedLM'], vocab_size: 99, hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 37,
};
export const TINY_BERT_PARAMETERS: readonly ParameterShape[] = parameterShapes(normaliseConfig(TINY_BERT_CONFIG));

const DTYPES = Object.keys(SAFETENSORS_DTYPE_SIZES);
/** What a tiny BERT parameter can be loaded from. */
const LOADABLE_DTYPES = ['F32', 'F16', 'BF16', 'F64'];

export interface TensorCase {
  name: string;
  dtype: string;
  shape: number[];
}

type Field = 'dtype' | 'shape' | 'data_offsets';

export type Mutation =
  /** Header object: one entry's field set to anything, or deleted. */
  | { kind: 'field'; entry: number; field: Field; value: unknown }
  | { kind: 'delete'; entry: number; field: Field }
  /** Header object: one entry's offsets moved (overlap, gap, past the end, reversed). */
  | { kind: 'shift'; entry: number; begin: number; end: number }
  /** Header object: one entry replaced by anything (not an object, an empty object, …). */
  | { kind: 'entry'; entry: number; value: unknown }
  | { kind: 'metadata'; value: unknown }
  /** Header text: one entry written twice (JSON.parse keeps the last), the copy's offsets shifted. */
  | { kind: 'duplicate'; entry: number; shift: number }
  /** Header bytes: bytes inserted (invalid UTF-8, NUL, a lone surrogate's encoding) at a fraction of it. */
  | { kind: 'insert'; at: number; bytes: readonly number[] }
  /** Header text: cut at a fraction of it, then `tail` appended (unbalanced braces, trailing garbage). */
  | { kind: 'cut'; at: number; tail: string }
  /** Whole file: the 8-byte header length replaced. */
  | { kind: 'length'; value: bigint }
  /** Whole file: cut at a fraction of its length. */
  | { kind: 'truncate'; at: number }
  /** Whole file: bytes overwritten at a fraction of its length. */
  | { kind: 'overwrite'; at: number; bytes: readonly number[] };

export interface SafetensorsCase {
  tensors: TensorCase[];
  metadata: Record<string, string> | null;
  /** Spaces after the JSON, as writers pad the header to 8 bytes. */
  padding: number;
  /** Fills the data section (a linear congruential sequence). */
  seed: number;
  mutations: Mutation[];
}

/** Values for header fields: edge numbers, wrong types, nesting, too-long lists, huge offsets. */
const fieldValue: fc.Arbitrary<unknown> = fc.oneof(
  edgeNumber.map((x) => (Number.isFinite(x) ? x : String(x))),
  fc.jsonValue({ maxDepth: 2 }),
  fc.array(edgeNumber.filter(Number.isFinite), { maxLength: 4 }),
  fc.constantFrom('F32', 'F128', 'f32', '', 'I64', [0], [0, 4, 8], [-4, 4], [2 ** 53, 2 ** 53 + 8], [2 ** 64, 2 ** 64 + 4], ['0', '4'], { dtype: 'F32' }),
);

const tensor: fc.Arbitrary<TensorCase> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.tuple(fc.constantFrom(...TINY_BERT_PARAMETERS), fc.constantFrom(...LOADABLE_DTYPES)).map(([p, dtype]) => ({ name: p.name, dtype, shape: [...p.shape] })),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      name: fc.oneof(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }), fc.constantFrom(...PROTOTYPE_NAMES)),
      dtype: fc.constantFrom(...DTYPES),
      shape: fc.array(fc.integer({ min: 0, max: 6 }), { maxLength: 3 }),
    }),
  },
);

const fraction = fc.double({ min: 0, max: 1, noNaN: true });
const someBytes = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 8 });

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('field' as const), entry: fc.nat(), field: fc.constantFrom<Field>('dtype', 'shape', 'data_offsets'), value: fieldValue }),
  fc.record({ kind: fc.constant('delete' as const), entry: fc.nat(), field: fc.constantFrom<Field>('dtype', 'shape', 'data_offsets') }),
  fc.record({ kind: fc.constant('shift' as const), entry: fc.nat(), begin: fc.integer({ min: -600, max: 600 }), end: fc.integer({ min: -600, max: 600 }) }),
  fc.record({ kind: fc.constant('entry' as const), entry: fc.nat(), value: fieldValue }),
  fc.record({ kind: fc.constant('metadata' as const), value: fieldValue }),
  fc.record({ kind: fc.constant('duplicate' as const), entry: fc.nat(), shift: fc.integer({ min: -64, max: 64 }) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fraction,
    bytes: fc.oneof(someBytes, fc.constantFrom([0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0x00], [0xe2, 0x82], [0x0a], [0x0d, 0x0a, 0x78])),
  }),
  fc.record({ kind: fc.constant('cut' as const), at: fraction, tail: fc.constantFrom('', '}', '}}', ']', '{', '"', ',', 'x', ' null', '{"a":1}', '\n}x', ',\n') }),
  fc.record({
    kind: fc.constant('length' as const),
    value: fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.bigInt({ min: 0n, max: 5000n }), fc.constantFrom(0n, 1n, 2n ** 31n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n, 100_000_001n)),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: fraction }),
  fc.record({ kind: fc.constant('overwrite' as const), at: fraction, bytes: someBytes }),
);

export const safetensorsCase: fc.Arbitrary<SafetensorsCase> = fc.record({
  tensors: fc.uniqueArray(tensor, { maxLength: 6, selector: (t) => t.name }),
  metadata: fc.option(fc.dictionary(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 }), { maxKeys: 2 }), { nil: null }),
  padding: fc.integer({ min: 0, max: 7 }),
  seed: fc.nat(),
  mutations: fc.array(mutation, { maxLength: 3 }),
});

/** The bytes of a case: the valid file, then its mutations (header object, header bytes, whole file). */
export function renderCase(c: SafetensorsCase): Uint8Array {
  const header: Record<string, unknown> = {};
  if (c.metadata !== null) header.__metadata__ = c.metadata;
  // defineProperty: a tensor named "__proto__" stays a key of the header (assigning it sets the prototype).
  const put = (key: string, value: unknown) => Object.defineProperty(header, key, { value, enumerable: true, writable: true, configurable: true });
  const names: string[] = [];
  let offset = 0;
  for (const t of c.tensors) {
    const bytes = t.shape.reduce((a, b) => a * b, 1) * SAFETENSORS_DTYPE_SIZES[t.dtype as keyof typeof SAFETENSORS_DTYPE_SIZES];
    put(t.name, { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] });
    names.push(t.name);
    offset += bytes;
  }
  const pick = (i: number) => (names.length === 0 ? undefined : names[i % names.length]);

  // Values go into the header as copies: a later mutation may change them, and fast-check hands the same
  // constant object to many cases (and to two mutations of one case, which would make a cycle).
  const copy = (value: unknown) => structuredClone(value);
  let duplicate = '';
  for (const m of c.mutations) {
    const name = 'entry' in m ? pick(m.entry) : undefined;
    const value = name === undefined ? undefined : header[name];
    // An earlier 'entry' mutation may have left something other than an object there.
    const info = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
    if (m.kind === 'field' && info) info[m.field] = copy(m.value);
    else if (m.kind === 'delete' && info) delete info[m.field];
    else if (m.kind === 'shift' && info && Array.isArray(info.data_offsets)) {
      const [b, e] = info.data_offsets as number[];
      info.data_offsets = [Number(b) + m.begin, Number(e) + m.end];
    } else if (m.kind === 'entry' && name !== undefined) put(name, copy(m.value));
    else if (m.kind === 'metadata') header.__metadata__ = copy(m.value);
    else if (m.kind === 'duplicate' && info) {
      const offsets = Array.isArray(info.data_offsets) ? (info.data_offsets as unknown[]).map((o) => Number(o) + m.shift) : info.data_offsets;
      duplicate = `,${JSON.stringify(name)}:${JSON.stringify({ ...info, data_offsets: offsets })}`;
    }
  }
  let text = JSON.stringify(header);
  if (duplicate !== '') text = `${text.slice(0, -1)}${text.length > 2 ? duplicate : duplicate.slice(1)}}`;
  text += ' '.repeat(c.padding);
  let headerBytes = new TextEncoder().encode(text);
  for (const m of c.mutations) {
    if (m.kind === 'cut') {
      headerBytes = Uint8Array.from([...headerBytes.subarray(0, Math.floor(m.at * headerBytes.length)), ...new TextEncoder().encode(m.tail)]);
    } else if (m.kind === 'insert') {
      const at = Math.floor(m.at * headerBytes.length);
      headerBytes = Uint8Array.from([...headerBytes.subarray(0, at), ...m.bytes, ...headerBytes.subarray(at)]);
    }
  }

  const data = new Uint8Array(offset);
  let x = c.seed % 2147483647 || 1;
  for (let i = 0; i < data.length; i++) data[i] = (x = (x * 48271) % 2147483647) & 0xff;
  let file = new Uint8Array(8 + headerBytes.length + data.length);
  const view = new DataView(file.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  file.set(headerBytes, 8);
  file.set(data, 8 + headerBytes.length);
  for (const m of c.mutations) {
    if (m.kind === 'length') view.setBigUint64(0, m.value, true);
    else if (m.kind === 'overwrite') m.bytes.forEach((b, i) => {
      const at = Math.floor(m.at * file.length) + i;
      if (at < file.length) file[at] = b;
    });
  }
  for (const m of c.mutations) if (m.kind === 'truncate') file = file.subarray(0, Math.floor(m.at * file.length));
  return file;
}
