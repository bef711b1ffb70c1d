// After tsc: writes the JSON Schemas that ship with the package, generated from the compiled sources so they
// cannot drift from the code: schemas/args.schema.json (from the argument table that validation uses) and
// schemas/results.schema.json (the results file).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const { argsJsonSchema } = await import(join(packageDir, 'dist/args/help.js'));
const { resultsJsonSchema } = await import(join(packageDir, 'dist/report/results-schema.js'));
const out = join(packageDir, 'schemas');
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'args.schema.json'), JSON.stringify(argsJsonSchema(), null, 2) + '\n');
writeFileSync(join(out, 'results.schema.json'), JSON.stringify(resultsJsonSchema(), null, 2) + '\n');
console.log('schemas: wrote schemas/args.schema.json and schemas/results.schema.json');
