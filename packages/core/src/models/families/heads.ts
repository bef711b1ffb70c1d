// Choosing the head class from architectures[0], shared by every family.
import type { ConfigReader } from '../config-reader.js';
import { ownValue } from '../util.js';
import type { NormaliseOptions } from './types.js';

/**
 * The head for `architectures[0]` in `heads` (class name → head). Hugging Face's benchmark rules: with
 * onlyPretrainModel, or when the config names no architecture, the base model for inference and `lmHead` for
 * training; training always needs `lmHead` (a base model has no loss). An unknown class is a problem.
 */
export function chooseHead<Head extends string>(
  r: ConfigReader,
  options: Required<NormaliseOptions>,
  heads: Readonly<Record<string, Head>>,
  lmHead: Head,
): Head | undefined {
  const baseClass = Object.keys(heads).find((a) => heads[a] === 'base');
  const fallback = options.purpose === 'training' ? lmHead : (heads[baseClass ?? ''] ?? lmHead);
  const architecture = r.firstArchitecture();
  if (options.onlyPretrainModel || architecture === undefined) return fallback;
  const head = ownValue(heads, architecture);
  if (head === undefined) {
    r.problem(
      'architectures[0]',
      `${architecture} is not supported (supported: ${Object.keys(heads).join(', ')}); ` +
        `set onlyPretrainModel: true to benchmark its base model (${baseClass ?? 'the base model'})`,
    );
    return undefined;
  }
  return options.purpose === 'training' ? lmHead : head;
}
