// Hugging Face ids through the local cache, else the Hub: a node:http server on 127.0.0.1 stands in for the Hub
// (HF_ENDPOINT), temporary directories for the cache and HF_HOME, and every test passes its environment explicitly,
// so nothing reads the real home, the real cache or the network.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelError } from '../src/errors.js';
import { parseArgs } from '../src/args/index.js';
import { benchmark } from '../src/run/benchmark.js';
import {
  findCachedFile,
  hubCacheDir,
  hubToken,
  isHubRepoId,
  listCachedModels,
  prefetchHubConfigs,
  resolveModel,
  resolveModels,
  resolveModelsOnline,
  type HubEnv,
} from '../src/models/index.js';
import { downloadHubFile, hubOffline } from '../src/models/hub.js';
import { fakeBackend } from './fake-backend.js';

/** A tiny GPT-2 (DESIGN.md's sizes) as a repo's config.json. */
const TINY_CONFIG = JSON.stringify({ model_type: 'gpt2', architectures: ['GPT2LMHeadModel'], vocab_size: 99, n_embd: 32, n_layer: 2, n_head: 4, n_positions: 64 });
const TINY_PARAMETERS = 30_688; // wte 99·32 + wpe 64·32 + 2 blocks · 12,704 + ln_f 64 (the LM head is tied)
const GENERATION_CONFIG = JSON.stringify({ bos_token_id: 0, eos_token_id: 0 });
const COMMIT = 'a'.repeat(40);
const TAGGED = 'b'.repeat(40);

/** A repo as the fake Hub serves it: refs (branch or tag → commit), each commit's files, and whether it is gated
 * (then only the token `hf_good` may read it). */
interface Repo {
  refs: Record<string, string>;
  files: Record<string, Record<string, string>>;
  gated?: boolean;
}

interface SeenRequest {
  url: string;
  authorization: string | undefined;
}

const etagOf = (text: string) => createHash('sha1').update(text).digest('hex');

/** What the Hub answers to GET /{repo}/resolve/{revision}/{file}, with its headers: 401 RepoNotFound for an unknown
 * repo (as it answers without a token), 401/403 GatedRepo, 404 RevisionNotFound or EntryNotFound (with the commit),
 * else 200 with X-Repo-Commit and a quoted ETag. */
function hubAnswer(repos: Record<string, Repo>, req: IncomingMessage, res: ServerResponse): void {
  const match = /^\/((?:[^/]+\/)?[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(req.url ?? '');
  const fail = (status: number, code: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'x-error-code': code, 'x-error-message': `${code} (fake hub)`, ...headers });
    res.end(code);
  };
  if (!match) return fail(404, 'NotFound');
  const [, repoId, revisionText, file] = match as unknown as [string, string, string, string];
  const repo = repos[repoId];
  if (!repo) return fail(401, 'RepoNotFound');
  const auth = req.headers.authorization;
  if (repo.gated && auth !== 'Bearer hf_good') return fail(auth ? 403 : 401, 'GatedRepo');
  const revision = decodeURIComponent(revisionText);
  const commit = repo.refs[revision] ?? (repo.files[revision] ? revision : undefined);
  if (commit === undefined) return fail(404, 'RevisionNotFound');
  const text = repo.files[commit]?.[file];
  if (text === undefined) return fail(404, 'EntryNotFound', { 'x-repo-commit': commit });
  res.writeHead(200, { 'content-type': 'application/json', 'x-repo-commit': commit, etag: `"${etagOf(text)}"` });
  res.end(text);
}

/** The fake Hub on a free port, counting requests; `override` answers a request first when it returns true. */
async function fakeHub(
  repos: Record<string, Repo>,
  override?: (req: IncomingMessage, res: ServerResponse, index: number) => boolean,
): Promise<{ endpoint: string; requests: SeenRequest[]; close: () => Promise<void> }> {
  const requests: SeenRequest[] = [];
  const server = createServer((req, res) => {
    requests.push({ url: req.url ?? '', authorization: req.headers.authorization });
    if (override?.(req, res, requests.length - 1)) return;
    hubAnswer(repos, req, res);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections(); // a request the test left hanging
      }),
  };
}

/** A port that nothing listens on: one the system gave a server that is closed again. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

/** A fresh HF_HOME (the cache is its hub/) and the environment pointing at it and at `endpoint`; no token. */
function hubEnv(endpoint = 'http://127.0.0.1:1', extra: Record<string, string> = {}): HubEnv & { HF_HOME: string } {
  const home = mkdtempSync(join(tmpdir(), 'tfbench-hf-home-'));
  return { HF_HOME: home, HF_ENDPOINT: endpoint, ...extra };
}

/** Fills the cache as huggingface_hub would have: blob, snapshot symlink, refs/{revision} (unless a commit). */
function preFill(env: HubEnv, repoId: string, files: Record<string, string>, commit = COMMIT, revision: string | null = 'main'): void {
  const folder = join(hubCacheDir(env), `models--${repoId.replace('/', '--')}`);
  mkdirSync(join(folder, 'blobs'), { recursive: true });
  mkdirSync(join(folder, 'snapshots', commit), { recursive: true });
  for (const [file, text] of Object.entries(files)) {
    writeFileSync(join(folder, 'blobs', etagOf(text)), text);
    symlinkSync(`../../blobs/${etagOf(text)}`, join(folder, 'snapshots', commit, file));
  }
  if (revision !== null) {
    mkdirSync(join(folder, 'refs'), { recursive: true });
    writeFileSync(join(folder, 'refs', revision), commit);
  }
}

const tinyRepo = (): Repo => ({ refs: { main: COMMIT, 'v1.0': TAGGED }, files: { [COMMIT]: { 'config.json': TINY_CONFIG }, [TAGGED]: { 'config.json': TINY_CONFIG.replace('"n_layer":2', '"n_layer":1') } } });

/** Fast retries, so that the tests that exhaust them stay fast. */
const FAST = { retries: 2, retryDelayMs: 1, timeoutMs: 5000 };

const resolveOpts = (env: HubEnv) => ({ onlyPretrainModel: false, baseDir: mkdtempSync(join(tmpdir(), 'tfbench-base-')), env });

/** The one problem of resolveModelsOnline's error for a single model. */
async function onlineProblem(model: unknown, env: HubEnv, options: { generate?: boolean } = {}): Promise<{ message: string; hint: string }> {
  const parsed = parseArgs({ models: [model], generate: options.generate ?? false });
  assert.ok(parsed.ok, JSON.stringify(parsed));
  const baseDir = mkdtempSync(join(tmpdir(), 'tfbench-base-'));
  try {
    await resolveModelsOnline(parsed.args, { ...FAST, baseDir, env });
  } catch (err) {
    assert.ok(err instanceof ModelError, String(err));
    assert.equal(err.problems.length, 1, err.message);
    return { message: err.problems[0]!.message, hint: err.hint };
  }
  assert.fail('expected a ModelError');
}

describe('the cache', () => {
  it('is HF_HUB_CACHE, else HF_HOME/hub, else XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub', () => {
    assert.equal(hubCacheDir({ HF_HUB_CACHE: '/c', HF_HOME: '/h' }), '/c');
    assert.equal(hubCacheDir({ HF_HOME: '/h' }), '/h/hub');
    assert.equal(hubCacheDir({ XDG_CACHE_HOME: '/x' }), '/x/huggingface/hub');
    assert.match(hubCacheDir({}), /[\\/]\.cache[\\/]huggingface[\\/]hub$/);
  });

  it('a hit in a pre-filled cache resolves with no request, as source hub with the commit', async () => {
    const hub = await fakeHub({ 'org/tiny': tinyRepo() });
    try {
      const env = hubEnv(hub.endpoint);
      preFill(env, 'org/tiny', { 'config.json': TINY_CONFIG });
      const failures = await prefetchHubConfigs(['org/tiny'], { ...FAST, baseDir: '/nonexistent', env, generate: false });
      assert.equal(failures.size, 0);
      assert.equal(hub.requests.length, 0);
      const m = resolveModel('org/tiny', resolveOpts(env));
      assert.equal(m.source, 'hub');
      assert.deepEqual(m.hub, { repoId: 'org/tiny', revision: 'main', commit: COMMIT });
      assert.equal(m.parameterCount, TINY_PARAMETERS);
      assert.equal(m.configPath, join(hubCacheDir(env), 'models--org--tiny', 'snapshots', COMMIT, 'config.json'));
      assert.deepEqual(m.weightFiles, []);
    } finally {
      await hub.close();
    }
  });

  it('a miss downloads config.json into the cache layout: blob, relative snapshot symlink, refs/main', async () => {
    const hub = await fakeHub({ 'org/tiny': tinyRepo() });
    try {
      const env = hubEnv(hub.endpoint);
      const [m] = await resolveModelsOnline({ models: ['org/tiny'], onlyPretrainModel: false }, { ...FAST, baseDir: '/nonexistent', env });
      assert.deepEqual(hub.requests.map((r) => r.url), ['/org/tiny/resolve/main/config.json']);
      assert.equal(hub.requests[0]!.authorization, undefined);
      const folder = join(hubCacheDir(env), 'models--org--tiny');
      const blob = join(folder, 'blobs', etagOf(TINY_CONFIG));
      const pointer = join(folder, 'snapshots', COMMIT, 'config.json');
      assert.equal(readFileSync(blob, 'utf8'), TINY_CONFIG);
      assert.equal(readlinkSync(pointer), `../../blobs/${etagOf(TINY_CONFIG)}`);
      assert.equal(readFileSync(pointer, 'utf8'), TINY_CONFIG);
      assert.equal(readFileSync(join(folder, 'refs', 'main'), 'utf8'), COMMIT);
      assert.equal(m?.source, 'hub');
      assert.deepEqual(m?.hub, { repoId: 'org/tiny', revision: 'main', commit: COMMIT });
      // Stored: the next run asks nothing.
      await resolveModelsOnline({ models: ['org/tiny'], onlyPretrainModel: false }, { ...FAST, baseDir: '/nonexistent', env });
      assert.equal(hub.requests.length, 1);
    } finally {
      await hub.close();
    }
  });

  it('lists the cached models tfbench can build, and those it cannot with the reason', () => {
    const env = hubEnv();
    preFill(env, 'org/tiny', { 'config.json': TINY_CONFIG });
    preFill(env, 'org/mamba', { 'config.json': JSON.stringify({ model_type: 'mamba' }) });
    preFill(env, 'org/odd-heads', { 'config.json': TINY_CONFIG.replace('"n_head":4', '"n_head":5') });
    preFill(env, 'org/weights-only', { 'model.safetensors': 'x' }); // no config.json: not listed
    const listed = listCachedModels({ env });
    assert.equal(listed.cacheDir, hubCacheDir(env));
    assert.deepEqual(listed.buildable, [
      { id: 'org/tiny', commit: COMMIT, modelType: 'gpt2', architecture: 'GPT2LMHeadModel', parameters: TINY_PARAMETERS },
    ]);
    assert.deepEqual(listed.unbuildable, [
      { id: 'org/mamba', reason: 'model_type "mamba" is not supported (supported: "bert", "roberta", "distilbert", "gpt2", "llama", "mistral", "qwen2", "t5")' },
      { id: 'org/odd-heads', reason: 'n_embd: 32 is not a multiple of n_head (5)' },
    ]);
    assert.deepEqual(listCachedModels({ env: { HF_HUB_CACHE: join(env.HF_HOME, 'none') } }).buildable, []);
  });
});

describe('the Hub', () => {
  it('401 without a token: gated, says no token was sent, and how to get access', async () => {
    const hub = await fakeHub({ 'org/gated': { ...tinyRepo(), gated: true } });
    try {
      const { message, hint } = await onlineProblem('org/gated', hubEnv(hub.endpoint));
      assert.equal(hub.requests.length, 1, 'a 4xx is not retried');
      assert.equal(hub.requests[0]!.authorization, undefined);
      assert.match(message, /^unknown model "org\/gated": not a known id, no file or directory at .*, not in the Hugging Face cache \(.*\), and from the Hub: org\/gated is gated or private: the Hub answered 401 GatedRepo \("GatedRepo \(fake hub\)"\); no token was sent/);
      assert.ok(hint.includes(`Accept its terms at ${hub.endpoint}/org/gated`), hint);
      assert.match(hint, /HF_TOKEN.*huggingface-cli login/);
    } finally {
      await hub.close();
    }
  });

  it('403 with a token that has no access says which token was sent; the token file works, trimmed', async () => {
    const hub = await fakeHub({ 'org/gated': { ...tinyRepo(), gated: true } });
    try {
      const { message, hint } = await onlineProblem('org/gated', hubEnv(hub.endpoint, { HF_TOKEN: 'hf_bad' }));
      assert.equal(hub.requests[0]!.authorization, 'Bearer hf_bad');
      assert.match(message, /org\/gated is gated or private: the Hub answered 403 GatedRepo .*; a token was sent \(from HF_TOKEN\)/);
      assert.match(hint, /The token from HF_TOKEN has no access/);

      const env = hubEnv(hub.endpoint);
      writeFileSync(join(env.HF_HOME, 'token'), '  hf_good\n');
      assert.deepEqual(hubToken(env), { value: 'hf_good', from: join(env.HF_HOME, 'token') });
      const [m] = await resolveModelsOnline({ models: ['org/gated'], onlyPretrainModel: false }, { ...FAST, baseDir: '/nonexistent', env });
      assert.equal(hub.requests.at(-1)!.authorization, 'Bearer hf_good');
      assert.equal(m?.hub?.commit, COMMIT);
      // HF_TOKEN_PATH wins over HF_HOME/token, HF_TOKEN over both.
      writeFileSync(join(env.HF_HOME, 'other'), 'hf_other');
      assert.equal(hubToken({ ...env, HF_TOKEN_PATH: join(env.HF_HOME, 'other') })?.value, 'hf_other');
      assert.equal(hubToken({ ...env, HF_TOKEN: 'hf_env' })?.value, 'hf_env');
    } finally {
      await hub.close();
    }
  });

  it('404s name what does not exist: the repo (RepoNotFound), the revision, the file (EntryNotFound)', async () => {
    const hub = await fakeHub({ 'org/tiny': tinyRepo(), 'org/gguf': { refs: { main: COMMIT }, files: { [COMMIT]: { 'model.gguf': 'x' } } } });
    try {
      const env = hubEnv(hub.endpoint);
      const repo = await onlineProblem('org/nope', env);
      assert.match(repo.message, /and from the Hub: no repository org\/nope on the Hub \(401 RepoNotFound; no token was sent/);
      assert.match(repo.hint, /Check the id at http:\/\/127\.0\.0\.1:\d+\/org\/nope/);
      const revision = await onlineProblem('org/tiny@v9', env);
      assert.match(revision.message, /org\/tiny has no revision "v9" on the Hub \(404 RevisionNotFound\)/);
      const entry = await onlineProblem('org/gguf', env);
      assert.match(entry.message, /org\/gguf has no config\.json at revision main on the Hub \(404 EntryNotFound\)/);
      assert.match(entry.hint, /config\.json/);
      assert.equal(hub.requests.length, 3, 'no 4xx is retried');
    } finally {
      await hub.close();
    }
  });

  it('a typo of a known id is asked of the Hub too, and the error still names the close known ids', async () => {
    const hub = await fakeHub({});
    try {
      const { message } = await onlineProblem('bert-base-uncasd', hubEnv(hub.endpoint));
      assert.match(message, /no repository bert-base-uncasd on the Hub .* Close known ids: bert-base-uncased/);
    } finally {
      await hub.close();
    }
  });

  it('a 500 is retried: 500 then 200 gets the file in two requests; 500s to the end name the URL and the last answer', async () => {
    const flaky = await fakeHub({ 'org/tiny': tinyRepo() }, (_req, res, i) => {
      if (i > 0) return false;
      res.writeHead(500).end('oops');
      return true;
    });
    try {
      const [m] = await resolveModelsOnline({ models: ['org/tiny'], onlyPretrainModel: false }, { ...FAST, baseDir: '/nonexistent', env: hubEnv(flaky.endpoint) });
      assert.equal(flaky.requests.length, 2);
      assert.equal(m?.hub?.commit, COMMIT);
    } finally {
      await flaky.close();
    }
    const down = await fakeHub({}, (_req, res) => {
      res.writeHead(503).end();
      return true;
    });
    try {
      const { message, hint } = await onlineProblem('org/tiny', hubEnv(down.endpoint));
      assert.equal(down.requests.length, 3, 'the first try and 2 retries');
      assert.ok(message.includes(`from the Hub: ${down.endpoint}/org/tiny/resolve/main/config.json: no usable answer after 3 tries (last: 503 Service Unavailable)`), message);
      assert.match(hint, /HF_ENDPOINT/);
    } finally {
      await down.close();
    }
  });

  it('a refused connection is retried, then named with the URL and the reason', async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const { message } = await onlineProblem('org/tiny', hubEnv(endpoint));
    assert.ok(message.includes(`${endpoint}/org/tiny/resolve/main/config.json: no usable answer after 3 tries (last: connect ECONNREFUSED`), message);
  });

  it('a request past the timeout is abandoned and retried', async () => {
    const silent = await fakeHub({}, () => true); // never answers
    try {
      await assert.rejects(
        downloadHubFile('org/tiny', 'config.json', { env: hubEnv(silent.endpoint), timeoutMs: 100, retries: 1, retryDelayMs: 1 }),
        (err) => err instanceof ModelError && /no usable answer after 2 tries \(last: no answer within 0\.1 s\)/.test(err.message),
      );
      assert.equal(silent.requests.length, 2);
    } finally {
      await silent.close();
    }
  });
});

describe('offline mode', () => {
  it('is on for 1, true, yes and on in any case, from HF_HUB_OFFLINE else TRANSFORMERS_OFFLINE', () => {
    for (const value of ['1', 'true', 'YES', 'On']) assert.equal(hubOffline({ HF_HUB_OFFLINE: value }), `HF_HUB_OFFLINE=${value}`);
    for (const value of ['0', 'false', 'no', '']) assert.equal(hubOffline({ HF_HUB_OFFLINE: value }), null);
    assert.equal(hubOffline({ TRANSFORMERS_OFFLINE: '1' }), 'TRANSFORMERS_OFFLINE=1');
  });

  it('a miss asks nothing and says offline mode is on; a hit works', async () => {
    const hub = await fakeHub({ 'org/tiny': tinyRepo() });
    try {
      const env = hubEnv(hub.endpoint, { HF_HUB_OFFLINE: '1' });
      const { message, hint } = await onlineProblem('org/tiny', env);
      assert.match(message, /not in the Hugging Face cache \(.*\), and offline mode is on \(HF_HUB_OFFLINE=1\): the Hub was not asked\.$/);
      assert.match(hint, /huggingface-cli download org\/tiny config\.json/);
      preFill(env, 'org/tiny', { 'config.json': TINY_CONFIG });
      const [m] = await resolveModelsOnline({ models: ['org/tiny'], generate: true, onlyPretrainModel: false }, { ...FAST, baseDir: '/nonexistent', env });
      assert.equal(m?.hub?.commit, COMMIT);
      assert.equal(hub.requests.length, 0);
    } finally {
      await hub.close();
    }
  });

  it('the synchronous resolveModel reads the cache only, and says the Hub was not asked', () => {
    const env = hubEnv();
    const err = (() => {
      try {
        resolveModel('org/tiny', resolveOpts(env));
      } catch (e) {
        return e as ModelError;
      }
      assert.fail('expected a ModelError');
    })();
    assert.match(err.message, /not in the Hugging Face cache \(.*\); the Hub was not asked\.$/);
    assert.match(err.hint, /resolveModelsOnline/);
  });
});

describe('revisions', () => {
  it('a tag goes through refs/{tag}; as "revision" or as @tag; the record keeps the tag and its commit', async () => {
    const hub = await fakeHub({ 'org/tiny': tinyRepo() });
    try {
      const env = hubEnv(hub.endpoint);
      const models = await resolveModelsOnline(
        { models: [{ name: 'one-layer', base: 'org/tiny', revision: 'v1.0' }, 'org/tiny@v1.0'], onlyPretrainModel: false },
        { ...FAST, baseDir: '/nonexistent', env },
      );
      assert.deepEqual(hub.requests.map((r) => r.url), ['/org/tiny/resolve/v1.0/config.json'], 'one download for both');
      assert.equal(readFileSync(join(hubCacheDir(env), 'models--org--tiny', 'refs', 'v1.0'), 'utf8'), TAGGED);
      assert.equal(existsSync(join(hubCacheDir(env), 'models--org--tiny', 'refs', 'main')), false);
      for (const m of models) {
        assert.deepEqual(m.hub, { repoId: 'org/tiny', revision: 'v1.0', commit: TAGGED });
        assert.equal(m.spec.num_hidden_layers, 1);
      }
      assert.deepEqual(models.map((m) => [m.name, m.source]), [['one-layer', 'inline'], ['org/tiny@v1.0', 'hub']]);
    } finally {
      await hub.close();
    }
  });

  it('a commit hash goes to snapshots/{hash} directly, with no ref written', async () => {
    const hub = await fakeHub({ 'org/tiny': tinyRepo() });
    try {
      const env = hubEnv(hub.endpoint);
      const [m] = await resolveModelsOnline({ models: [`org/tiny@${TAGGED}`], onlyPretrainModel: false }, { ...FAST, baseDir: '/nonexistent', env });
      assert.deepEqual(hub.requests.map((r) => r.url), [`/org/tiny/resolve/${TAGGED}/config.json`]);
      assert.deepEqual(m?.hub, { repoId: 'org/tiny', revision: TAGGED, commit: TAGGED });
      const folder = join(hubCacheDir(env), 'models--org--tiny');
      assert.equal(existsSync(join(folder, 'refs')), false);
      assert.ok(existsSync(join(folder, 'snapshots', TAGGED, 'config.json')));
      // A snapshot without any ref (as a pinned Python download leaves it) is a hit.
      const pinned = hubEnv();
      preFill(pinned, 'org/pinned', { 'config.json': TINY_CONFIG }, COMMIT, null);
      assert.equal(findCachedFile('org/pinned', 'config.json', { env: pinned }), null);
      assert.equal(resolveModel(`org/pinned@${COMMIT}`, resolveOpts(pinned)).hub?.commit, COMMIT);
    } finally {
      await hub.close();
    }
  });

  it('a revision with a slash is URL-encoded, and stored under refs/ as a path', async () => {
    const hub = await fakeHub({ 'org/tiny': { ...tinyRepo(), refs: { 'refs/pr/1': TAGGED } } });
    try {
      const env = hubEnv(hub.endpoint);
      await resolveModelsOnline({ models: ['org/tiny@refs/pr/1'], onlyPretrainModel: false }, { ...FAST, baseDir: '/nonexistent', env });
      assert.deepEqual(hub.requests.map((r) => r.url), ['/org/tiny/resolve/refs%2Fpr%2F1/config.json']);
      assert.equal(readFileSync(join(hubCacheDir(env), 'models--org--tiny', 'refs', 'refs', 'pr', '1'), 'utf8'), TAGGED);
    } finally {
      await hub.close();
    }
  });

  it('a revision is refused on a known id or a path, twice over, without a base, or as a path out of refs/', () => {
    const problems = (models: unknown[]) => {
      const parsed = parseArgs({ models });
      return parsed.ok ? [] : parsed.problems;
    };
    assert.deepEqual(problems([{ name: 'g', base: 'gpt2', revision: 'v1' }]), [
      { path: 'models[0].revision', message: '"gpt2" is a known id, whose config ships with tfbench: a revision only applies to a Hugging Face id' },
    ]);
    assert.deepEqual(problems([{ name: 'g', config: { model_type: 'gpt2' }, revision: 'v1' }]), [
      { path: 'models[0].revision', message: 'a revision needs "base": the Hugging Face id it is a revision of' },
    ]);
    assert.deepEqual(problems([{ name: 'g', base: 'org/x', revision: 3 }]), [{ path: 'models[0].revision', message: 'expected a branch, tag or commit hash, got 3' }]);
    assert.deepEqual(problems([{ name: 'g', base: 'org/x', revision: '../../x' }]), [
      { path: 'models[0].revision', message: '"../../x" is not a branch, tag or commit hash (no empty, "." or ".." parts, backslashes or control characters)' },
    ]);
    const env = hubEnv();
    const dir = mkdtempSync(join(tmpdir(), 'tfbench-base-'));
    writeFileSync(join(dir, 'c.json'), TINY_CONFIG);
    const opts = { onlyPretrainModel: false, baseDir: dir, env };
    const refused = (ref: Parameters<typeof resolveModel>[0], message: string) =>
      assert.throws(() => resolveModel(ref, opts), (err) => err instanceof ModelError && err.message === message);
    refused('gpt2@v1', '"gpt2" is a known id, whose config ships with tfbench: a revision only applies to a Hugging Face id');
    refused('c.json@v1', '"c.json" is a path: a revision only applies to a Hugging Face id');
    refused({ name: 'p', base: 'c.json', revision: 'v1' }, '"c.json" is a path: a revision only applies to a Hugging Face id');
    refused({ name: 'p', base: 'org/x@v1', revision: 'v2' }, '"org/x@v1" names a revision after "@", and "revision" names one too: name it once');
    refused('org/x@', 'the revision of "org/x@": expected a branch, tag or commit hash, got ""');
  });
});

describe('generation_config.json', () => {
  it('is fetched only for a run that generates, from the commit of config.json; its 404 is fine and remembered', async () => {
    const withGeneration = { refs: { main: COMMIT }, files: { [COMMIT]: { 'config.json': TINY_CONFIG, 'generation_config.json': GENERATION_CONFIG } } };
    const without = { refs: { main: COMMIT }, files: { [COMMIT]: { 'config.json': TINY_CONFIG } } };
    const hub = await fakeHub({ 'org/gen': withGeneration, 'org/plain': without });
    try {
      const env = hubEnv(hub.endpoint);
      const online = (generate: boolean, models: string[]) =>
        resolveModelsOnline({ models, generate, onlyPretrainModel: false }, { ...FAST, baseDir: '/nonexistent', env });
      await online(false, ['org/gen']);
      assert.deepEqual(hub.requests.map((r) => r.url), ['/org/gen/resolve/main/config.json']);
      await online(true, ['org/gen', 'org/plain']);
      assert.deepEqual(hub.requests.slice(1).map((r) => r.url).sort(), [
        `/org/gen/resolve/${COMMIT}/generation_config.json`,
        `/org/plain/resolve/${COMMIT}/generation_config.json`,
        '/org/plain/resolve/main/config.json',
      ]);
      assert.equal(readFileSync(findCachedFile('org/gen', 'generation_config.json', { env })!.path!, 'utf8'), GENERATION_CONFIG);
      // The Hub has none for org/plain: recorded under .no_exist/ as huggingface_hub records it; not asked again.
      assert.deepEqual(findCachedFile('org/plain', 'generation_config.json', { env }), { repoId: 'org/plain', revision: 'main', commit: COMMIT, path: null });
      assert.ok(existsSync(join(hubCacheDir(env), 'models--org--plain', '.no_exist', COMMIT, 'generation_config.json')));
      const before = hub.requests.length;
      await online(true, ['org/gen', 'org/plain']);
      assert.equal(hub.requests.length, before);
    } finally {
      await hub.close();
    }
  });
});

describe('resolution order', () => {
  it('known id, then an existing path, then a Hugging Face id; a string of no id form keeps the plain unknown-model error', () => {
    const env = hubEnv();
    preFill(env, 'gpt2', { 'config.json': TINY_CONFIG }); // a cached copy never shadows the known id
    assert.equal(resolveModel('gpt2', resolveOpts(env)).source, 'known');
    const dir = mkdtempSync(join(tmpdir(), 'tfbench-base-'));
    mkdirSync(join(dir, 'org'));
    writeFileSync(join(dir, 'org', 'tiny'), TINY_CONFIG);
    preFill(env, 'org/tiny', { 'config.json': TINY_CONFIG.replace('"n_layer":2', '"n_layer":1') });
    assert.equal(resolveModel('org/tiny', { onlyPretrainModel: false, baseDir: dir, env }).source, 'path');
    assert.equal(resolveModel('org/tiny', resolveOpts(env)).source, 'hub');
    assert.throws(
      () => resolveModel('a/b/c', { onlyPretrainModel: false, baseDir: dir, env }),
      (err) => err instanceof ModelError && err.message === `unknown model "a/b/c": not a known id, and no file or directory at ${join(dir, 'a/b/c')}.`,
    );
  });

  it('a Hugging Face id has the form name or org/name, as huggingface_hub validates it', () => {
    for (const id of ['gpt2', 'Qwen/Qwen2.5-1.5B', 'org_1/name.v2', 'a/b']) assert.ok(isHubRepoId(id), id);
    for (const id of ['a/b/c', './x', '/abs', 'x.json', 'org/x.json', 'a--b', 'a..b', '-a', 'a.', 'a b', 'org/name.git', '', 'x'.repeat(97)]) {
      assert.ok(!isHubRepoId(id), id);
    }
  });

  it('every model is tried: the Hub failures of some and the cache hits of others come back together', async () => {
    const hub = await fakeHub({ 'org/tiny': tinyRepo() });
    try {
      const env = hubEnv(hub.endpoint);
      await assert.rejects(
        resolveModelsOnline({ models: ['org/tiny', 'org/missing', 'bert-base-uncased'], onlyPretrainModel: false }, { ...FAST, baseDir: '/nonexistent', env }),
        (err) => {
          assert.ok(err instanceof ModelError);
          assert.deepEqual(err.problems.map((p) => p.path), ['models[1]']);
          assert.match(err.problems[0]!.message, /no repository org\/missing/);
          return true;
        },
      );
      // resolveModels alone (synchronous) now finds org/tiny in the cache.
      assert.equal(resolveModels({ models: ['org/tiny'], onlyPretrainModel: false }, { baseDir: '/nonexistent', env })[0]?.source, 'hub');
    } finally {
      await hub.close();
    }
  });
});

describe('benchmark()', () => {
  it('runs a Hugging Face id from the Hub, and its records keep the repo, revision and commit', async () => {
    const hub = await fakeHub({ 'org/tiny': tinyRepo() });
    try {
      const env = hubEnv(hub.endpoint);
      const results = await benchmark(
        { models: ['org/tiny', { name: 'inline-on-hub', base: 'org/tiny', config: { n_layer: 1 } }, 'gpt2'], batchSizes: [1], sequenceLengths: [8], isolate: false, device: 'cpu', threads: 1 },
        { backend: fakeBackend(1e9), hub: { ...FAST, env }, baseDir: '/nonexistent' },
      );
      assert.deepEqual(hub.requests.map((r) => r.url), ['/org/tiny/resolve/main/config.json']);
      assert.deepEqual(
        results.records.map((r) => [r.model, r.status, r.parameterCount, r.hub]),
        [
          ['org/tiny', 'ok', TINY_PARAMETERS, { repoId: 'org/tiny', revision: 'main', commit: COMMIT }],
          ['inline-on-hub', 'ok', TINY_PARAMETERS - 12_704, { repoId: 'org/tiny', revision: 'main', commit: COMMIT }],
          ['gpt2', 'ok', 124_439_808, null],
        ],
      );
      assert.equal(realpathSync(join(hubCacheDir(env), 'models--org--tiny', 'snapshots', COMMIT, 'config.json')), join(hubCacheDir(env), 'models--org--tiny', 'blobs', etagOf(TINY_CONFIG)));
    } finally {
      await hub.close();
    }
  });
});
