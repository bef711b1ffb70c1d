// The tiny BERT of DESIGN.md (hidden 32, 2 layers, 4 heads, intermediate 37, vocab 99) as an inline model of
// args.json, read from examples/tiny-bert.json so that the CLI tests also keep that example working.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const example = JSON.parse(readFileSync(fileURLToPath(new URL('../../../examples/tiny-bert.json', import.meta.url)), 'utf8'));

export const tinyBert: { name: string; config: Record<string, unknown> } = example.models[0];
