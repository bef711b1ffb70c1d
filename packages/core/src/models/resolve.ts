// ModelRef → config → ModelSpec: known ids, config.json paths, checkpoint directories, Hugging Face ids (from the
// local Hugging Face cache; prefetchHubConfigs fills it from the Hub first), inline configs.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { ModelError, WeightsError, closestMatches, formatValue, oneLine, type Problem } from '../errors.js';
import { CONFIG_FILE, fetchHubConfigs, hubOffline, type HubOptions } from './hub.js';
import { DEFAULT_REVISION, findCachedFile, hubCacheDir, isHubRepoId, listCachedRepos, revisionProblem, type HubEnv } from './hub-cache.js';
import { findKnownModel, knownModelIds, knownModels, type KnownModel } from './known/index.js';
import { normaliseConfig } from './normalise.js';
import { parameterCount } from './parameters.js';
import { modelName } from './ref.js';
import { readSafetensorsHeader, type SafetensorsEntry } from './safetensors.js';
import type { ModelSpec } from './families/index.js';
import type { HfConfig, ModelRef } from './types.js';
import { MAX_JSON_DEPTH, isPlainObject, tooDeepPath } from './util.js';

export interface ResolveOptions {
  /** Build the base model instead of `architectures[0]` (see normaliseConfig). */
  onlyPretrainModel: boolean;
  /** Relative paths are resolved from here (the args file's directory). */
  baseDir: string;
  /** Where the Hugging Face cache is and whether offline mode is on (HF_HUB_CACHE, HF_HUB_OFFLINE, …; default
   * process.env). */
  env?: HubEnv;
  /** What prefetchHubConfigs could not download: a Hugging Face id missing from the cache is explained by it. */
  hubFailures?: HubFailures;
}

/** Where a Hugging Face model's config came from: the repo, the revision asked for, the commit that was. */
export interface HubSource {
  repoId: string;
  revision: string;
  commit: string;
}

export interface ResolvedModel {
  /** Display name. */
  name: string;
  source: 'known' | 'path' | 'hub' | 'inline';
  /** The known id the config came from (directly or as an inline model's base). */
  knownId?: string;
  /** The Hugging Face repo the config came from (directly or as an inline model's base), through the cache. */
  hub?: HubSource;
  /** The config.json read, when the config came from a file (a Hugging Face id's: the cache's snapshot). */
  configPath?: string;
  /** The checkpoint directory, when the model (or its base) is one. */
  checkpointDir?: string;
  /** The checkpoint's weight files (checkpointWeightFiles); [] for random weights (and for an inline model that
   * overrides a checkpoint's config, whose weights may no longer fit). */
  weightFiles: string[];
  /** The config after inline overrides, before defaults. */
  hfConfig: HfConfig;
  /** What inference builds. */
  spec: ModelSpec;
  /** What training builds: the same model with the head that gives a loss. */
  trainSpec: ModelSpec;
  /** Parameters of `spec` (the inference model). */
  parameterCount: number;
  /** Parameters of `trainSpec`. */
  trainParameterCount: number;
}

/** A checkpoint's weights as the Hub stores them: one file, or shards listed by an index. */
const WEIGHTS_FILE = 'model.safetensors';
const WEIGHTS_INDEX = 'model.safetensors.index.json';
const WEIGHTS_HINT =
  'A checkpoint directory holds config.json and model.safetensors, or model.safetensors.index.json and the ' +
  'shards its weight_map lists, as the Hugging Face hub stores them.';

/** Config fields an inline config may override while a checkpoint's weights still fit them: which code transformers
 * would run (auto_map) and the dtype that `dtype: "auto"` reads (torch_dtype, or dtype as transformers v5 names it).
 * Any other field may change shapes: overriding it leaves the weights out (random). */
const WEIGHT_NEUTRAL_FIELDS = new Set(['auto_map', 'torch_dtype', 'dtype']);

function keepsCheckpointWeights(overrides: Record<string, unknown>): boolean {
  return Object.keys(overrides).every((field) => WEIGHT_NEUTRAL_FIELDS.has(field));
}

interface LoadedConfig {
  source: 'known' | 'path' | 'hub';
  knownId?: string;
  hub?: HubSource;
  configPath?: string;
  checkpointDir?: string;
  weightFiles: string[];
  hfConfig: HfConfig;
}

function readJsonObject(path: string, what: string): HfConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ModelError(`${path}: cannot read ${what} (${err instanceof Error ? err.message : String(err)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ModelError(`${path}: ${what} is not valid JSON (${oneLine(err instanceof Error ? err.message : String(err))})`, {
      hint: 'Fix the JSON syntax of that file.',
    });
  }
  if (!isPlainObject(json)) throw new ModelError(`${path}: ${what} must be a JSON object, got ${formatValue(json)}`);
  const tooDeep = tooDeepPath(json);
  if (tooDeep !== undefined) {
    throw new ModelError(`${path}: ${what} nests more than ${MAX_JSON_DEPTH} levels deep (objects and arrays), at ${tooDeep}`, {
      hint: 'Fix that file: a Hugging Face config nests a few levels at most.',
    });
  }
  return json;
}

/** A sharded checkpoint's model.safetensors.index.json: the shard (absolute path) of each tensor. */
interface WeightIndex {
  path: string;
  shardOf: Map<string, string>;
  /** The shards, sorted. */
  files: string[];
}

function readWeightIndex(dir: string): WeightIndex {
  const path = join(dir, WEIGHTS_INDEX);
  const weightMap = readJsonObject(path, 'the safetensors index').weight_map;
  if (!isPlainObject(weightMap)) {
    const got = formatValue(weightMap);
    throw new ModelError(`${path}: weight_map must be an object mapping tensor names to shard file names, got ${got}`, {
      hint: WEIGHTS_HINT,
    });
  }
  const shardOf = new Map<string, string>();
  for (const [tensor, file] of Object.entries(weightMap)) {
    const shard = typeof file === 'string' && file !== '' ? resolve(dir, file) : undefined;
    // A shard is a file of this directory (or below it), never a path out of it.
    if (shard === undefined || !shard.startsWith(dir + sep)) {
      const entry = `weight_map[${JSON.stringify(tensor)}]`;
      throw new ModelError(`${path}: ${entry} must name a shard file in ${dir}, got ${formatValue(file)}`, {
        hint: WEIGHTS_HINT,
      });
    }
    shardOf.set(tensor, shard);
  }
  if (shardOf.size === 0) throw new ModelError(`${path}: weight_map lists no tensors`, { hint: WEIGHTS_HINT });
  return { path, shardOf, files: [...new Set(shardOf.values())].sort() };
}

/** PyTorch's pickled weights as the Hub stores them (pytorch_model.bin, or the shards pytorch_model.bin.index.json
 * lists) and other torch.save files, by name. */
const PICKLE_WEIGHTS = /^pytorch_model\.bin\.index\.json$|\.(bin|pt|pth|ckpt)$/;
/** Pickles that transformers' Trainer writes beside the weights of a training checkpoint: not weights. */
const TRAINER_STATE = /^(training_args\.bin|optimizer\.pt|scheduler\.pt|scaler\.pt|rng_state(_\d+)?\.pth)$/;

/** The refusal of a checkpoint whose weights are only pickles (`found`: their file names, sorted). */
function pickleWeightsError(dir: string, found: readonly string[]): ModelError {
  const named = found.length > 3 ? `${found.slice(0, 3).join(', ')} and ${found.length - 3} more` : found.join(', ');
  return new ModelError(
    `${dir}: the weights are pickle files (${named}), which tfbench does not load: unpickling can execute ` +
      `arbitrary code. There is no ${WEIGHTS_FILE} and no ${WEIGHTS_INDEX} in this checkpoint directory`,
    {
      hint:
        'Convert it to safetensors once, in Python with transformers (the class its config.json names in ' +
        'architectures, e.g. LlamaForCausalLM): model = LlamaForCausalLM.from_pretrained(dir); ' +
        'model.save_pretrained(dir, safe_serialization=True). Or, for random weights, name its config.json instead.',
    },
  );
}

/** The safetensors files holding a checkpoint directory's weights: model.safetensors, else the shards that
 * model.safetensors.index.json lists (either wins over pickled weights beside it, as in transformers). No other
 * file is weights (expected.safetensors, generate.safetensors, …). Throws ModelError naming the directory when
 * it has neither (saying why when its weights are pickles: pytorch_model.bin, *.pt, …), or the missing shards. */
export function checkpointWeightFiles(dirArg: string): string[] {
  const dir = resolve(dirArg);
  if (existsSync(join(dir, WEIGHTS_FILE))) return [join(dir, WEIGHTS_FILE)];
  if (!existsSync(join(dir, WEIGHTS_INDEX))) {
    const pickles = readdirSync(dir).filter((f) => PICKLE_WEIGHTS.test(f) && !TRAINER_STATE.test(f)).sort();
    if (pickles.length > 0) throw pickleWeightsError(dir, pickles);
    throw new ModelError(`${dir}: no ${WEIGHTS_FILE} and no ${WEIGHTS_INDEX} in this checkpoint directory`, {
      hint: `${WEIGHTS_HINT} For random weights, name its config.json instead.`,
    });
  }
  const index = readWeightIndex(dir);
  const absent = index.files.filter((f) => !existsSync(f));
  if (absent.length > 0) {
    const shards = absent.length === 1 ? 'a shard that is' : 'shards that are';
    throw new ModelError(`${index.path} lists ${shards} missing: ${absent.join(', ')}`, { hint: WEIGHTS_HINT });
  }
  return index.files;
}

/**
 * The tensors of a checkpoint's weight files (checkpointWeightFiles), each with its file: every tensor of
 * model.safetensors; of a shard, the tensors its directory's index places in it (a copy in another shard is
 * not read). Reads every file's header: a malformed one throws WeightsError naming the file, as does a shard
 * that lacks a tensor the index places in it.
 */
export function checkpointTensors(files: readonly string[]): SafetensorsEntry[] {
  const indexes = new Map<string, WeightIndex | null>();
  const indexOf = (dir: string): WeightIndex | null => {
    if (!indexes.has(dir)) indexes.set(dir, existsSync(join(dir, WEIGHTS_INDEX)) ? readWeightIndex(dir) : null);
    return indexes.get(dir)!;
  };
  return files.flatMap((fileArg) => {
    const file = resolve(fileArg);
    const entries = readSafetensorsHeader(file).entries;
    if (basename(file) === WEIGHTS_FILE) return entries;
    const index = indexOf(dirname(file));
    if (index === null || !index.files.includes(file)) return entries; // a file no index lists: a caller's own
    const present = new Set(entries.map((e) => e.name));
    const lacking = [...index.shardOf].filter(([t, shard]) => shard === file && !present.has(t)).map(([t]) => t);
    if (lacking.length > 0) {
      const more = lacking.length > 5 ? ` and ${lacking.length - 5} more` : '';
      const named = lacking.slice(0, 5).map((t) => JSON.stringify(t)).join(', ') + more;
      throw new WeightsError(
        `${file}: no tensor ${named}, which ${index.path} places in this shard`,
        'The index and its shards must come from the same checkpoint (re-download or re-save it).',
      );
    }
    return entries.filter((e) => index.shardOf.get(e.name) === file);
  });
}

/** Reads and checks the weight files' safetensors headers against the files (and a sharded checkpoint's index
 * against its shards): a malformed checkpoint is bad input, refused (naming the file) before anything runs,
 * rather than an error in every cell. */
function checkWeightFiles(files: readonly string[]): void {
  try {
    checkpointTensors(files);
  } catch (err) {
    if (err instanceof WeightsError) throw new ModelError(err.message, { hint: err.hint, cause: err });
    throw err;
  }
}

/** " Close known ids: a, b." when some are close to `id`, else "". */
function closeKnownIds(id: string): string {
  const close = closestMatches(id, knownModelIds(), 3);
  return close.length > 0 ? ` Close known ids: ${close.join(', ')}.` : '';
}

/** An id that is neither a known id, nor a path, nor of a Hugging Face id's form. */
function unknownModel(id: string, absolute: string): ModelError {
  return new ModelError(`unknown model ${JSON.stringify(id)}: not a known id, and no file or directory at ${absolute}.${closeKnownIds(id)}`, {
    hint: '`tfbench models` lists the known ids; a path must lead to a config.json or a checkpoint directory; a Hugging Face id is org/name.',
  });
}

/** Where a model id (or an inline model's base) leads, in the order resolution tries them. */
type Location =
  | { kind: 'known'; model: KnownModel }
  | { kind: 'path'; absolute: string }
  /** `absolute`: the path that was not there, for messages. */
  | { kind: 'hub'; repoId: string; revision: string; absolute: string }
  | { kind: 'unknown'; absolute: string };

function revisionNotForHub(id: string, known: boolean): ModelError {
  const what = known ? 'a known id, whose config ships with tfbench' : 'a path';
  return new ModelError(`${JSON.stringify(id)} is ${what}: a revision only applies to a Hugging Face id`, {
    hint: known
      ? 'Drop the revision (`tfbench models` lists the known ids), or name a config.json of that revision by its path.'
      : 'Drop the revision: a path names one config.json.',
  });
}

/**
 * Where `id` leads: a known id (which wins over a same-named relative path: write ./name for the directory), an
 * existing path, a Hugging Face id (`org/name` or `name`, with `revision`, or `@revision` after it, default main),
 * else nowhere. Throws ModelError for a revision given twice, a revision of a known id or a path, or a revision
 * that cannot name a branch, tag or commit. Reads no cache.
 */
function locate(id: string, revision: string | undefined, baseDir: string): Location {
  const absolute = resolve(baseDir, id);
  const known = findKnownModel(id);
  if (known !== undefined || existsSync(absolute)) {
    if (revision !== undefined) throw revisionNotForHub(id, known !== undefined);
    return known !== undefined ? { kind: 'known', model: known } : { kind: 'path', absolute };
  }
  let repoId = id;
  const at = id.lastIndexOf('@');
  if (at > 0) {
    if (revision !== undefined) {
      throw new ModelError(`${JSON.stringify(id)} names a revision after "@", and "revision" names one too: name it once`);
    }
    repoId = id.slice(0, at);
    revision = id.slice(at + 1);
    const knownBefore = findKnownModel(repoId) !== undefined;
    if (knownBefore || existsSync(resolve(baseDir, repoId))) throw revisionNotForHub(repoId, knownBefore);
  }
  if (!isHubRepoId(repoId)) return { kind: 'unknown', absolute };
  revision ??= DEFAULT_REVISION;
  const problem = revisionProblem(revision);
  if (problem !== null) throw new ModelError(`the revision of ${JSON.stringify(id)}: ${problem}`);
  return { kind: 'hub', repoId, revision, absolute };
}

/** The key of a repo at a revision in HubFailures. */
function hubKey(at: { repoId: string; revision: string }): string {
  return `${at.repoId}@${at.revision}`;
}

/** A Hugging Face id whose config.json the cache lacks: says that the cache was read, then why the Hub did not
 * fill it (its error from prefetchHubConfigs, offline mode, or not asked: a caller of the synchronous API). */
function notInCache(id: string, at: Location & { kind: 'hub' }, options: ResolveOptions): ModelError {
  const env = options.env ?? process.env;
  const tried = `unknown model ${JSON.stringify(id)}: not a known id, no file or directory at ${at.absolute}, not in the Hugging Face cache (${hubCacheDir(env)})`;
  const failure = options.hubFailures?.get(hubKey(at));
  if (failure !== undefined) {
    return new ModelError(`${tried}, and from the Hub: ${failure.message}.${closeKnownIds(id)}`, { hint: failure.hint, cause: failure });
  }
  const offline = hubOffline(env);
  if (offline !== null) {
    const revision = at.revision === DEFAULT_REVISION ? '' : ` --revision ${at.revision}`;
    return new ModelError(`${tried}, and offline mode is on (${offline}): the Hub was not asked.${closeKnownIds(id)}`, {
      hint: `Run once without ${offline.split('=')[0]} to store its config.json in the cache, or fill the cache where there is a network: \`huggingface-cli download ${at.repoId} ${CONFIG_FILE}${revision}\`.`,
    });
  }
  return new ModelError(`${tried}; the Hub was not asked.${closeKnownIds(id)}`, {
    hint: 'resolveModel and resolveModels read the cache only: resolveModelsOnline (as benchmark() does) downloads config.json from the Hub first.',
  });
}

/** A Hugging Face id's config.json from the cache. */
function loadHubConfig(id: string, at: Location & { kind: 'hub' }, options: ResolveOptions): LoadedConfig {
  const cached = findCachedFile(at.repoId, CONFIG_FILE, { revision: at.revision, env: options.env });
  if (cached === null || cached.path === null) throw notInCache(id, at, options);
  return {
    source: 'hub',
    hub: { repoId: at.repoId, revision: at.revision, commit: cached.commit },
    configPath: cached.path,
    weightFiles: [],
    hfConfig: readJsonObject(cached.path, 'the config'),
  };
}

/** A known id, a path, or a Hugging Face id (locate), read. */
function loadConfig(id: string, revision: string | undefined, options: ResolveOptions): LoadedConfig {
  const at = locate(id, revision, options.baseDir);
  if (at.kind === 'known') {
    return { source: 'known', knownId: at.model.id, weightFiles: [], hfConfig: structuredClone(at.model.config) as HfConfig };
  }
  if (at.kind === 'hub') return loadHubConfig(id, at, options);
  if (at.kind === 'unknown') throw unknownModel(id, at.absolute);
  const absolute = at.absolute;
  if (statSync(absolute).isDirectory()) {
    const configPath = join(absolute, 'config.json');
    if (!existsSync(configPath)) {
      throw new ModelError(`${absolute}: no config.json in this directory`, {
        hint: WEIGHTS_HINT,
      });
    }
    return {
      source: 'path',
      configPath,
      checkpointDir: absolute,
      weightFiles: checkpointWeightFiles(absolute),
      hfConfig: readJsonObject(configPath, 'the config'),
    };
  }
  return { source: 'path', configPath: absolute, weightFiles: [], hfConfig: readJsonObject(absolute, 'the config') };
}

/**
 * Finds the config a model reference names, applies inline overrides and normalises it; reads and checks
 * the header of every weight file it will load. Throws ModelError: unknown id (listing close ids), missing
 * file, invalid JSON or a malformed safetensors header (naming the file), or a config tfbench cannot build.
 */
export function resolveModel(ref: ModelRef, options: ResolveOptions): ResolvedModel {
  let name: string;
  let loaded: LoadedConfig;
  let source: ResolvedModel['source'];
  if (typeof ref === 'string') {
    loaded = loadConfig(ref, undefined, options);
    source = loaded.source;
    name = modelName(ref);
  } else {
    name = ref.name;
    source = 'inline';
    if (ref.revision !== undefined && ref.base === undefined) {
      throw new ModelError(`${JSON.stringify(name)} has a revision but no base: a revision is of a Hugging Face id given as "base"`);
    }
    const base: LoadedConfig =
      ref.base !== undefined ? loadConfig(ref.base, ref.revision, options) : { source: 'path', weightFiles: [], hfConfig: {} };
    const overrides = ref.config ?? {};
    const tooDeep = tooDeepPath(overrides, MAX_JSON_DEPTH - 3); // as deep as under models[i].config in args.json
    if (tooDeep !== undefined) {
      throw new ModelError(`the config of ${JSON.stringify(name)} nests more than ${MAX_JSON_DEPTH} levels deep (objects and arrays), at ${tooDeep}`);
    }
    loaded = {
      ...base,
      hfConfig: { ...base.hfConfig, ...structuredClone(overrides) },
      // Changed fields may change shapes: the checkpoint's weights are only used as they are.
      weightFiles: keepsCheckpointWeights(overrides) ? base.weightFiles : [],
    };
  }
  checkWeightFiles(loaded.weightFiles);
  const normalise = { onlyPretrainModel: options.onlyPretrainModel, name };
  const spec = normaliseConfig(loaded.hfConfig, { ...normalise, purpose: 'inference' });
  const trainSpec = normaliseConfig(loaded.hfConfig, { ...normalise, purpose: 'training' });
  const resolved: ResolvedModel = {
    name,
    source,
    weightFiles: loaded.weightFiles,
    hfConfig: loaded.hfConfig,
    spec,
    trainSpec,
    parameterCount: parameterCount(spec),
    trainParameterCount: parameterCount(trainSpec),
  };
  if (loaded.knownId !== undefined) resolved.knownId = loaded.knownId;
  if (loaded.hub !== undefined) resolved.hub = loaded.hub;
  if (loaded.configPath !== undefined) resolved.configPath = loaded.configPath;
  if (loaded.checkpointDir !== undefined) resolved.checkpointDir = loaded.checkpointDir;
  return resolved;
}

/** The path that problems with the i-th model are reported at: `configs[i]` when the models came from
 * `configs`, else `models[i]`. */
export function modelPath(args: { configs?: readonly unknown[] }, i: number): string {
  return `${args.configs !== undefined && args.configs.length > 0 ? 'configs' : 'models'}[${i}]`;
}

/**
 * Resolves every model of parsed args, so nothing starts until every model is buildable. Throws one
 * ModelError whose `problems` hold every failure at `models[i]` (or `configs[i]` when the models came
 * from configs), each message naming the model.
 */
export function resolveModels(
  args: { models: readonly ModelRef[]; configs?: readonly unknown[]; onlyPretrainModel: boolean },
  options: Omit<ResolveOptions, 'onlyPretrainModel'>,
): ResolvedModel[] {
  const models: ResolvedModel[] = [];
  const problems: Problem[] = [];
  let hint: string | undefined;
  let failed = 0;
  args.models.forEach((ref, i) => {
    try {
      models.push(resolveModel(ref, { ...options, onlyPretrainModel: args.onlyPretrainModel }));
    } catch (err) {
      if (!(err instanceof ModelError)) throw err;
      const path = modelPath(args, i);
      if (err.problems.length === 0) problems.push({ path, message: err.message });
      for (const p of err.problems) {
        problems.push({ path, message: `config of ${JSON.stringify(modelName(ref))}: ${p.path}: ${p.message}` });
      }
      failed++;
      hint ??= err.hint;
    }
  });
  const seen = new Map<string, number>();
  args.models.forEach((ref, i) => {
    const name = modelName(ref);
    const first = seen.get(name);
    if (first !== undefined) {
      problems.push({ path: modelPath(args, i), message: `the name ${JSON.stringify(name)} is already used by ${modelPath(args, first)}` });
      failed++;
    } else seen.set(name, i);
  });
  if (problems.length > 0) {
    const count = failed === 1 ? 'a model' : `${failed} models`;
    throw new ModelError(`cannot build ${count}:`, hint === undefined ? { problems } : { problems, hint });
  }
  return models;
}

/** What prefetchHubConfigs could not download, by repo and revision: the error that says why. */
export type HubFailures = ReadonlyMap<string, ModelError>;

export interface PrefetchOptions extends HubOptions {
  /** Relative paths are resolved from here, as in ResolveOptions: an existing path is never a Hugging Face id. */
  baseDir: string;
  /** The run generates: generation_config.json is stored too (the Hub may have none). */
  generate?: boolean;
}

/**
 * The asynchronous step before resolveModel(s), which stay synchronous and read the cache only: for every model
 * (or inline base) that names a Hugging Face id (neither a known id nor an existing path) whose config.json the
 * cache lacks, downloads it from the Hub into the cache (fetchHubConfigs), and generation_config.json for a run that
 * generates. Nothing is asked in offline mode. Never throws for one model: what failed comes back as HubFailures,
 * for resolveModels to report at that model's path with every other problem.
 */
export async function prefetchHubConfigs(refs: readonly ModelRef[], options: PrefetchOptions): Promise<HubFailures> {
  const failures = new Map<string, ModelError>();
  if (hubOffline(options.env ?? process.env) !== null) return failures;
  const wanted = new Map<string, { repoId: string; revision: string }>();
  for (const ref of refs) {
    const id = typeof ref === 'string' ? ref : ref.base;
    if (id === undefined) continue;
    try {
      const at = locate(id, typeof ref === 'string' ? undefined : ref.revision, options.baseDir);
      if (at.kind === 'hub') wanted.set(hubKey(at), at);
    } catch (err) {
      if (!(err instanceof ModelError)) throw err; // a bad revision: resolveModel says so
    }
  }
  await Promise.all(
    [...wanted].map(async ([key, at]) => {
      try {
        await fetchHubConfigs(at.repoId, { ...options, revision: at.revision });
      } catch (err) {
        if (!(err instanceof ModelError)) throw err;
        failures.set(key, err);
      }
    }),
  );
  return failures;
}

/** prefetchHubConfigs, then resolveModel: one model, with the Hub's help (what `tfbench check` uses). */
export async function resolveModelOnline(ref: ModelRef, options: ResolveOptions & PrefetchOptions): Promise<ResolvedModel> {
  const hubFailures = await prefetchHubConfigs([ref], options);
  return resolveModel(ref, { ...options, hubFailures });
}

/** prefetchHubConfigs, then resolveModels: every model of parsed args, with the Hub's help (what benchmark() uses). */
export async function resolveModelsOnline(
  args: { models: readonly ModelRef[]; configs?: readonly unknown[]; onlyPretrainModel: boolean; generate?: boolean },
  options: PrefetchOptions,
): Promise<ResolvedModel[]> {
  const hubFailures = await prefetchHubConfigs(args.models, { ...options, generate: args.generate ?? false });
  return resolveModels(args, { baseDir: options.baseDir, env: options.env, hubFailures });
}

export interface KnownModelInfo {
  id: string;
  aliases: string[];
  description: string;
  modelType: string;
  /** `architectures[0]` of the published config, or null. */
  architecture: string | null;
  /** Parameters of the model inference builds (architectures[0]). */
  parameters: number;
}

/** The models whose configs ship with tfbench, for `tfbench models`. */
export function listKnownModels(): KnownModelInfo[] {
  return knownModels.map((m) => {
    const architectures = m.config.architectures;
    const first = Array.isArray(architectures) && typeof architectures[0] === 'string' ? architectures[0] : null;
    return {
      id: m.id,
      aliases: [...m.aliases],
      description: m.description,
      modelType: String(m.config.model_type),
      architecture: first,
      parameters: parameterCount(normaliseConfig(m.config, { name: m.id })),
    };
  });
}

/** A cached Hugging Face model tfbench can build, for `tfbench models --cached` (the columns of KnownModelInfo). */
export interface CachedModelInfo {
  id: string;
  /** The commit main pointed to when its config.json was stored. */
  commit: string;
  modelType: string;
  architecture: string | null;
  parameters: number;
}

export interface CachedModels {
  /** The cache read (hubCacheDir). */
  cacheDir: string;
  buildable: CachedModelInfo[];
  /** Cached models with a config.json that tfbench cannot build, each with the first reason on one line. */
  unbuildable: Array<{ id: string; reason: string }>;
}

/** Every model of the local Hugging Face cache with a config.json at main (listCachedRepos), split into those
 * normaliseConfig can build and those it cannot. Reads the cache only. */
export function listCachedModels(options: { env?: HubEnv } = {}): CachedModels {
  const env = options.env ?? process.env;
  const result: CachedModels = { cacheDir: hubCacheDir(env), buildable: [], unbuildable: [] };
  for (const repo of listCachedRepos(env)) {
    try {
      const config = readJsonObject(repo.configPath, 'the config');
      const architectures = config.architectures;
      result.buildable.push({
        id: repo.repoId,
        commit: repo.commit,
        modelType: String(config.model_type),
        architecture: Array.isArray(architectures) && typeof architectures[0] === 'string' ? architectures[0] : null,
        parameters: parameterCount(normaliseConfig(config)),
      });
    } catch (err) {
      if (!(err instanceof ModelError)) throw err;
      const first = err.problems[0];
      const more = err.problems.length > 1 ? ` (and ${err.problems.length - 1} more)` : '';
      // normaliseConfig's messages start "config: " or "config (model_type …) cannot be used:" before the problems.
      const reason = first === undefined ? err.message.replace(/^config: /, '') : `${first.path}: ${first.message}${more}`;
      result.unbuildable.push({ id: repo.repoId, reason: oneLine(reason) });
    }
  }
  return result;
}

/** The published config.json contents of a known model (a copy), or undefined. */
export function knownModelConfig(id: string): HfConfig | undefined {
  const known = findKnownModel(id);
  return known === undefined ? undefined : (structuredClone(known.config) as HfConfig);
}
