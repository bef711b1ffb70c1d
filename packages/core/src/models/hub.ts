// The Hugging Face Hub: where it is (HF_ENDPOINT), who asks (HF_TOKEN or the token file `huggingface-cli login`
// writes), whether to ask at all (HF_HUB_OFFLINE), and downloading a repo's config files into the local cache
// (hub-cache.ts) as huggingface_hub does, so that Python tools see them too. Only config.json, and
// generation_config.json for runs that generate, are ever asked for: never weights.
import { setTimeout as sleep } from 'node:timers/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModelError, oneLine } from '../errors.js';
import { TOOL_VERSION } from '../version.js';
import {
  DEFAULT_REVISION,
  findCachedFile,
  hfHome,
  isCommitHash,
  revisionProblem,
  storeCachedFile,
  storeMissingFile,
  type CachedFile,
  type HubEnv,
} from './hub-cache.js';

export const CONFIG_FILE = 'config.json';
/** Read by nothing in tfbench yet; stored for generate runs so that the cache holds what a generating tool needs. */
export const GENERATION_CONFIG_FILE = 'generation_config.json';

export interface HubOptions {
  /** Where HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE, HF_HUB_CACHE, … are read (default: process.env). */
  env?: HubEnv;
  /** Per request, body included (default: HF_HUB_DOWNLOAD_TIMEOUT seconds, else 30 s). */
  timeoutMs?: number;
  /** Tries after the first when the Hub answers 5xx or cannot be reached (default 3); never after a 4xx. */
  retries?: number;
  /** Wait before the first retry, doubling each time after (default 500 ms: 0.5, 1, 2 s). */
  retryDelayMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_RETRIES = 3;
const DEFAULT_RETRY_DELAY_MS = 500;

/** $HF_ENDPOINT without a trailing slash, else https://huggingface.co. */
export function hubEndpoint(env: HubEnv = process.env): string {
  return (env.HF_ENDPOINT || 'https://huggingface.co').replace(/\/+$/, '');
}

/** Where `huggingface-cli login` keeps the token: $HF_TOKEN_PATH, else $HF_HOME/token. */
export function tokenPath(env: HubEnv = process.env): string {
  return env.HF_TOKEN_PATH || join(hfHome(env), 'token');
}

/** The token sent as `Authorization: Bearer …`, and where it came from (for messages); null when there is none. */
export interface HubToken {
  value: string;
  from: string;
}

/** $HF_TOKEN (or the legacy $HUGGING_FACE_HUB_TOKEN), else the token file (tokenPath), trimmed; null when none. */
export function hubToken(env: HubEnv = process.env): HubToken | null {
  for (const name of ['HF_TOKEN', 'HUGGING_FACE_HUB_TOKEN']) {
    const value = env[name]?.trim();
    if (value) return { value, from: name };
  }
  const path = tokenPath(env);
  try {
    const value = readFileSync(path, 'utf8').trim();
    if (value) return { value, from: path };
  } catch {
    // no token file: no token
  }
  return null;
}

/** `HF_HUB_OFFLINE=1` (or TRANSFORMERS_OFFLINE) when offline mode is on, as a message names it; else null.
 * 1, on, yes and true (any case) turn it on, as in huggingface_hub. */
export function hubOffline(env: HubEnv = process.env): string | null {
  for (const name of ['HF_HUB_OFFLINE', 'TRANSFORMERS_OFFLINE']) {
    const value = env[name];
    if (value) return ['1', 'ON', 'YES', 'TRUE'].includes(value.toUpperCase()) ? `${name}=${value}` : null;
  }
  return null;
}

/** `{endpoint}/{repoId}/resolve/{revision}/{file}`: the revision URL-encoded (a branch may hold `/`). */
export function resolveUrl(repoId: string, revision: string, file: string, env: HubEnv = process.env): string {
  return `${hubEndpoint(env)}/${repoId}/resolve/${encodeURIComponent(revision)}/${encodeURI(file)}`;
}

/** The status line and the headers a message and the cache need, and the body. */
interface Answer {
  status: number;
  statusText: string;
  headers: Headers;
  body: Uint8Array;
}

/** What a request was for, for its messages. */
interface HubRequest {
  url: string;
  repoId: string;
  revision: string;
  file: string;
  env: HubEnv;
  token: HubToken | null;
}

/** Why a fetch failed, in a few words: a timeout, or the network's reason ("connect ECONNREFUSED 127.0.0.1:9"). */
function fetchFailure(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && err.name === 'TimeoutError') return `no answer within ${timeoutMs / 1000} s`;
  const cause = err instanceof Error ? (err.cause as { message?: unknown } | undefined) : undefined;
  if (typeof cause?.message === 'string') return cause.message;
  return err instanceof Error ? err.message : String(err);
}

/**
 * GET `url`, following redirects (fetch drops the Authorization header when one leads to another host), with a
 * timeout per try. A 5xx or a failure to connect is tried again after a delay that doubles; any other answer is
 * returned as it is. Throws ModelError naming the URL and the last failure when every try failed.
 */
async function getWithRetries(r: HubRequest, headers: Record<string, string>, options: HubOptions): Promise<Answer> {
  const { url, env } = r;
  const fromEnv = Number(env.HF_HUB_DOWNLOAD_TIMEOUT) * 1000;
  const timeoutMs = options.timeoutMs ?? (fromEnv > 0 ? fromEnv : DEFAULT_TIMEOUT_MS);
  const retries = options.retries ?? DEFAULT_RETRIES;
  const delayMs = options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS;
  let last = '';
  for (let attempt = 0; attempt <= retries; attempt++) {
    if (attempt > 0) await sleep(delayMs * 2 ** (attempt - 1));
    try {
      const response = await fetch(url, { headers, redirect: 'follow', signal: AbortSignal.timeout(timeoutMs) });
      const body = new Uint8Array(await response.arrayBuffer());
      if (response.status < 500) return { status: response.status, statusText: response.statusText, headers: response.headers, body };
      last = `${response.status} ${response.statusText}`.trim();
    } catch (err) {
      last = fetchFailure(err, timeoutMs);
    }
  }
  const tries = retries === 0 ? 'one try' : `${retries + 1} tries`;
  throw new ModelError(`${url}: no usable answer after ${tries} (last: ${last})`, {
    hint:
      `Check the network and HF_ENDPOINT (${hubEndpoint(env)}). Without a network, fill the cache elsewhere ` +
      `(\`huggingface-cli download ${r.repoId} ${r.file}\`) and run with HF_HUB_OFFLINE=1.`,
  });
}

/** The ModelError for a 4xx answer: a repo, revision or file that does not exist (the Hub's X-Error-Code says
 * which), a gated or private repo, too many requests, or anything else with the Hub's own words. */
function answerError(answer: Answer, r: HubRequest): ModelError {
  const code = answer.headers.get('x-error-code');
  const said = answer.headers.get('x-error-message');
  const hubSays = said ? ` ("${oneLine(said).slice(0, 200)}")` : '';
  const status = `${answer.status} ${code ?? answer.statusText}`.trim();
  const endpoint = hubEndpoint(r.env);
  const page = `${endpoint}/${r.repoId}`;
  const tokenNote = r.token ? `a token was sent (from ${r.token.from})` : `no token was sent (no HF_TOKEN, no ${tokenPath(r.env)})`;
  const login = 'set HF_TOKEN to a token of an account with access, or run `huggingface-cli login`';
  if (code === 'RepoNotFound') {
    return new ModelError(`no repository ${r.repoId} on the Hub (${status}; ${tokenNote})`, {
      hint: `Check the id at ${page} (ids are org/name as the model page shows them). A private repo reads as not found without access: ${login}.`,
    });
  }
  if (code === 'RevisionNotFound') {
    return new ModelError(`${r.repoId} has no revision ${JSON.stringify(r.revision)} on the Hub (${status})`, {
      hint: `Name a branch, tag or commit hash that ${page} has (its "Files and versions" tab lists them).`,
    });
  }
  if (code === 'EntryNotFound') {
    return new ModelError(`${r.repoId} has no ${r.file} at revision ${r.revision} on the Hub (${status})`, {
      hint: 'tfbench builds a model from its config.json: a repo without one (GGUF-only, not a transformers model) cannot be built; name a config.json path instead.',
    });
  }
  if (answer.status === 401 || answer.status === 403) {
    const hint = r.token
      ? `The token from ${r.token.from} has no access: accept the repo's terms at ${page} with that token's account (a gated repo may wait for approval), or use another token.`
      : `Accept its terms at ${page} (logged in), then ${login}.`;
    return new ModelError(`${r.repoId} is gated or private: the Hub answered ${status}${hubSays}; ${tokenNote}`, { hint });
  }
  if (answer.status === 404) {
    return new ModelError(`${r.url}: ${status}${hubSays}: the id, the revision or the file does not exist on the Hub`, {
      hint: `Check the id at ${page} and the revision (${r.revision}).`,
    });
  }
  if (answer.status === 429) {
    return new ModelError(`${r.url}: ${status}: the Hub limits how often it is asked`, {
      hint: 'Wait a few minutes and run again; requests with a token (HF_TOKEN) get a higher limit.',
    });
  }
  return new ModelError(`${r.url}: the Hub answered ${status}${hubSays}`, { hint: `Check HF_ENDPOINT (${endpoint}) and the id.` });
}

/** The Hub's answer is not one huggingface_hub could store either (a proxy's page, another server). */
function notTheHub(r: HubRequest, what: string): ModelError {
  return new ModelError(`${r.url}: the answer ${what}: ${hubEndpoint(r.env)} does not answer as the Hugging Face Hub does`, {
    hint: 'Check HF_ENDPOINT (unset, it is https://huggingface.co) and any proxy between here and the Hub.',
  });
}

/**
 * Downloads `file` of `repoId` at `revision` (default main) into the cache: GET {endpoint}/{repoId}/resolve/…, the
 * commit from X-Repo-Commit, the blob's name from X-Linked-Etag or ETag (quotes and W/ stripped), stored by
 * storeCachedFile. An `optional` file the Hub does not have (404) is recorded under .no_exist/ and returned with
 * path null. Throws ModelError for offline mode, an error answer (answerError), no answer after the retries, or an
 * answer that lacks those headers.
 */
export async function downloadHubFile(
  repoId: string,
  file: string,
  options: HubOptions & { revision?: string; optional?: boolean } = {},
): Promise<CachedFile> {
  const env = options.env ?? process.env;
  const revision = options.revision ?? DEFAULT_REVISION;
  const badRevision = revisionProblem(revision);
  if (badRevision !== null) throw new ModelError(`revision of ${repoId}: ${badRevision}`);
  const offline = hubOffline(env);
  if (offline !== null) {
    throw new ModelError(`${file} of ${repoId} is not in the Hugging Face cache, and offline mode is on (${offline})`, {
      hint: 'Unset it to download from the Hub.',
    });
  }
  const url = resolveUrl(repoId, revision, file, env);
  try {
    new URL(url);
  } catch {
    throw new ModelError(`HF_ENDPOINT ${JSON.stringify(env.HF_ENDPOINT)} is not a URL`, { hint: 'Unset it for https://huggingface.co.' });
  }
  const token = hubToken(env);
  const headers: Record<string, string> = { 'user-agent': `tfbench/${TOOL_VERSION}` };
  if (token) headers.authorization = `Bearer ${token.value}`;
  const request: HubRequest = { url, repoId, revision, file, env, token };

  const answer = await getWithRetries(request, headers, options);
  const commit = answer.headers.get('x-repo-commit');
  if (answer.status === 404 && options.optional) {
    if (commit !== null && isCommitHash(commit)) await storeMissingFile({ repoId, revision, commit, file }, env);
    return { repoId, revision, commit: commit ?? revision, path: null };
  }
  if (answer.status < 200 || answer.status >= 300) throw answerError(answer, request);
  if (commit === null || !isCommitHash(commit)) {
    throw notTheHub(request, commit === null ? 'has no X-Repo-Commit header' : `names commit ${JSON.stringify(commit)}, not a 40-digit hash`);
  }
  // The blob is named by the file's etag, as huggingface_hub names it: W/"…" and "…" both give the bare value.
  const etag = (answer.headers.get('x-linked-etag') ?? answer.headers.get('etag'))?.replace(/^W\//, '').replace(/^"|"$/g, '');
  if (!etag || !/^[A-Za-z0-9_.-]+$/.test(etag) || /^\.+$/.test(etag)) {
    throw notTheHub(request, etag ? `has an etag that cannot name a file (${JSON.stringify(etag)})` : 'has no ETag header');
  }
  const path = await storeCachedFile({ repoId, revision, commit, etag, file, bytes: answer.body }, env);
  return { repoId, revision, commit, path };
}

/**
 * Makes sure the cache holds what building `repoId` at `revision` needs: config.json, and for a run that generates
 * generation_config.json (or the record that the repo has none) of the same commit. Asks the Hub only for what the
 * cache lacks. Returns config.json as cached. Throws ModelError as downloadHubFile does.
 */
export async function fetchHubConfigs(
  repoId: string,
  options: HubOptions & { revision?: string; generate?: boolean } = {},
): Promise<CachedFile> {
  const lookup = { revision: options.revision ?? DEFAULT_REVISION, env: options.env };
  let config = findCachedFile(repoId, CONFIG_FILE, lookup);
  // A recorded absence of config.json is asked again: the repo may have one now, and without it nothing builds.
  if (config?.path == null) config = await downloadHubFile(repoId, CONFIG_FILE, { ...options, optional: false });
  // Pinned to config.json's commit, so both files come from one snapshot even if the branch moves meanwhile.
  if (options.generate && findCachedFile(repoId, GENERATION_CONFIG_FILE, { ...lookup, revision: config.commit }) === null) {
    await downloadHubFile(repoId, GENERATION_CONFIG_FILE, { ...options, revision: config.commit, optional: true });
  }
  return config;
}
