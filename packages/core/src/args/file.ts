// Reading an args file: a JSON file's path to the value parseArgs validates. A file that cannot be read or is not
// JSON is a TfbenchError (code BAD_ARGS) naming the file; what the JSON holds is parseArgs' to judge.
import { readFileSync } from 'node:fs';
import { TfbenchError } from '../errors.js';

export function readArgsFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new TfbenchError(`cannot read args file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
      code: 'BAD_ARGS',
      hint: 'Pass the path of an existing args.json (see examples/), or give everything as flags.',
    });
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new TfbenchError(`${path} is not valid JSON: ${(err as Error).message}`, {
      code: 'BAD_ARGS',
      hint: 'Fix the JSON syntax (a trailing comma or a missing quote is the usual cause).',
    });
  }
}
