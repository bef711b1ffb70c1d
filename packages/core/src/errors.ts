// Errors that tfbench raises on purpose: each has a stable `code` and a `hint` that says what to do.
// Exit codes are the CLI's business; this file only describes what went wrong.

/** One thing wrong with the input, at the key path where it was found (`batchSizes[1]`, `models[0].config`). */
export interface Problem {
  path: string;
  message: string;
}

export interface TfbenchErrorOptions {
  code: string;
  hint: string;
  cause?: unknown;
}

/** Base class: an error tfbench expects and can explain. */
export class TfbenchError extends Error {
  readonly code: string;
  readonly hint: string;

  constructor(message: string, options: TfbenchErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TfbenchError';
    this.code = options.code;
    this.hint = options.hint;
  }
}

/** The path of `key` inside `parent`: `parent.key`, or `parent["key"]` (a JSON string) when the key holds
 * anything but letters, digits, `_`, `-` and `$` (a space, a dot, a newline, nothing), so that a path shows
 * the key exactly and stays on one line. */
export function keyPath(parent: string, key: string): string {
  if (/^[\p{L}\p{N}_$-]+$/u.test(key)) return parent === '' ? key : `${parent}.${key}`;
  return `${parent}[${JSON.stringify(key)}]`;
}

/** `text` on one line: control characters (such as the newlines JSON.parse quotes from the text it
 * refuses) written as JSON escapes, `\n`, `\u0000`. */
export function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => {
    const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
    return named[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

/** One line per problem: `path: message`. */
export function formatProblems(problems: readonly Problem[]): string {
  return problems.map((p) => (p.path === '' ? p.message : `${p.path}: ${p.message}`)).join('\n');
}

/** The arguments (args.json and flags) are wrong. Carries every problem found, not only the first. */
export class ArgsError extends TfbenchError {
  readonly problems: Problem[];

  constructor(
    problems: Problem[],
    hint = 'Fix the keys listed above in the args file or flags; `tfbench run --help` lists every argument with its default.',
  ) {
    super(formatProblems(problems), { code: 'BAD_ARGS', hint });
    this.name = 'ArgsError';
    this.problems = problems;
  }
}

export interface ModelErrorOptions {
  hint?: string;
  /** Problems inside a config, with paths relative to the config (`hidden_size`, `architectures[0]`). */
  problems?: Problem[];
  cause?: unknown;
}

/** A model cannot be used: unknown id, missing or unreadable config, unsupported model_type,
 * architecture or config value. */
export class ModelError extends TfbenchError {
  readonly problems: Problem[];

  constructor(message: string, options: ModelErrorOptions = {}) {
    const problems = options.problems ?? [];
    const full = problems.length > 0 ? `${message}\n${indent(formatProblems(problems))}` : message;
    super(full, {
      code: 'BAD_MODEL',
      hint:
        options.hint ??
        'Use a known id (`tfbench models` lists them), a path to a config.json or checkpoint directory, or an inline config.',
      cause: options.cause,
    });
    this.name = 'ModelError';
    this.problems = problems;
  }
}

/** A safetensors file is malformed or does not fit the model. */
export class WeightsError extends TfbenchError {
  constructor(message: string, hint = 'Check that the file is a complete safetensors file (re-download or re-save it).') {
    super(message, { code: 'BAD_WEIGHTS', hint });
    this.name = 'WeightsError';
  }
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}

/** A value as it should appear after "got" in a message: JSON-ish, shortened. */
export function formatValue(value: unknown, maxLength = 60): string {
  let text: string;
  if (value === undefined) text = 'undefined';
  else if (typeof value === 'bigint') text = `${value}n`;
  else if (typeof value === 'number' && !Number.isFinite(value)) text = String(value);
  else if (typeof value === 'function') text = 'a function';
  else {
    try {
      // A bigint inside (a library caller's value) as `1n`, as one at the top prints.
      text = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) ?? String(value);
    } catch {
      // Nested too deep for JSON.stringify (String() recurses too), or a cycle: say what it is.
      text = Array.isArray(value) ? '[…]' : typeof value === 'object' && value !== null ? '{…}' : typeof value;
    }
  }
  return text.length > maxLength ? `${text.slice(0, maxLength - 1)}…` : text;
}

/** Levenshtein distance (insertions, deletions, substitutions). */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * Candidates close to `word`, best first: compared case-insensitively and ignoring `-`, `_` and `/`,
 * so `batch_size` finds `batchSizes`. A candidate containing the word (or contained in it) also counts.
 */
export function closestMatches(word: string, candidates: readonly string[], max = 3): string[] {
  const squash = (s: string) => s.toLowerCase().replace(/[-_/.\s]/g, '');
  const w = squash(word);
  const scored: Array<{ candidate: string; score: number }> = [];
  for (const candidate of candidates) {
    const c = squash(candidate);
    const distance = editDistance(w, c);
    const limit = Math.max(2, Math.floor(Math.max(w.length, c.length) / 3));
    const contains = w.length >= 3 && (c.includes(w) || w.includes(c));
    if (distance <= limit || contains) scored.push({ candidate, score: contains ? distance / 2 : distance });
  }
  scored.sort((x, y) => x.score - y.score || x.candidate.localeCompare(y.candidate));
  return [...new Set(scored.map((s) => s.candidate))].slice(0, max);
}

/** `; did you mean "x"?` or `; did you mean "x" or "y"?`, or '' when nothing is close. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const close = closestMatches(word, candidates, 2).map((c) => JSON.stringify(c));
  return close.length === 0 ? '' : `; did you mean ${close.join(' or ')}?`;
}
