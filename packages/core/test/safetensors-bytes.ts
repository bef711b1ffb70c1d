// Safetensors files made inside a test (shared/fixtures/README.md has the layout): from a header object (or
// raw header text) and a data section, and a whole checkpoint directory for a config, with seeded weights.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { normaliseConfig, parameterShapes } from '../src/models/index.js';

/** 8-byte little-endian length, the header's JSON text, then `data` (or that many zero bytes). */
export function safetensorsBytes(header: unknown, data: number | Uint8Array = 0, headerText?: string): Uint8Array {
  const json = new TextEncoder().encode(headerText ?? JSON.stringify(header));
  const body = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + json.length + body.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(body, 8 + json.length);
  return out;
}

/**
 * Writes `dir`/config.json and `dir`/model.safetensors holding every parameter of the model `config`
 * describes (architectures[0]) as F32, values from a fixed sequence. Returns the weight file's path.
 */
export function writeCheckpoint(dir: string, config: Record<string, unknown>): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  const chunks: Float32Array[] = [];
  let offset = 0;
  let x = 1;
  for (const p of parameterShapes(normaliseConfig(config))) {
    const values = new Float32Array(p.shape.reduce((a, b) => a * b, 1)).map(() => ((x = (x * 48271) % 2147483647) / 2147483647 - 0.5) * 0.04);
    header[p.name] = { dtype: 'F32', shape: p.shape, data_offsets: [offset, offset + values.byteLength] };
    offset += values.byteLength;
    chunks.push(values);
  }
  const data = new Uint8Array(offset);
  let at = 0;
  for (const c of chunks) {
    data.set(new Uint8Array(c.buffer), at);
    at += c.byteLength;
  }
  const path = join(dir, 'model.safetensors');
  writeFileSync(path, safetensorsBytes(header, data));
  return path;
}
