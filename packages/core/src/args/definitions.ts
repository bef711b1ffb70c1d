// The one table of benchmark arguments: key, kind, default, description, Hugging Face aliases.
// parseArgs, --help, the CLI's options and the JSON Schema are all generated from it.
import { DTYPES } from '../backend/index.js';
import { AUTO_DTYPE, type DTypeChoice } from '../models/dtype.js';
import type { InlineModelRef, ModelRef } from '../models/types.js';

export type Device = 'auto' | 'cpu' | 'cuda' | `cuda:${number}`;
export type TrainStep = 'backward' | 'optimizer';
/** The numeric framework the models run in (backend/): the libtorch addon, or TensorFlow.js. */
export type Framework = 'libtorch' | 'tfjs';
/** TensorFlow.js's backend: auto = the first that loads of node (@tensorflow/tfjs-node, when installed), wasm, cpu. */
export type TfjsBackendChoice = 'auto' | 'node' | 'wasm' | 'cpu';

/** Fully resolved arguments: every key present, every value checked. */
export interface BenchmarkArgs {
  /** Every model to run, in order. Entries of `configs` are merged in (named by `models[i]` when both
   * are given, as Hugging Face's benchmark paired them). */
  models: ModelRef[];
  /** The `configs` entries as given, each as an inline model with its name (already part of `models`). */
  configs: InlineModelRef[];
  batchSizes: number[];
  sequenceLengths: number[];
  inference: boolean;
  training: boolean;
  /** Greedy decoding of newTokens tokens after a prompt of each sequence length (results.ts: GenerationRecord). */
  generate: boolean;
  newTokens: number;
  speed: boolean;
  memory: boolean;
  /** "i/n": run only the i-th of n deterministic shares of the cells (see run/plan.ts); null: every cell. */
  shard: string | null;
  device: Device;
  framework: Framework;
  /** Which TensorFlow.js backend runs the models when framework is "tfjs". */
  tfjsBackend: TfjsBackendChoice;
  /** "auto": each model's config's torch_dtype, one for the whole run (models/dtype.ts: runDtype). */
  dtype: DTypeChoice;
  onlyPretrainModel: boolean;
  trainStep: TrainStep;
  warmup: number;
  minTimeS: number;
  maxTimeS: number;
  minSamples: number;
  targetRelCi: number;
  isolate: boolean;
  cellTimeoutS: number;
  skipAfterOom: boolean;
  threads: number | null;
  peakTflops: number | null;
  seed: number;
  breakdown: boolean;
  saveToCsv: boolean;
  inferenceTimeCsvFile: string;
  inferenceMemoryCsvFile: string;
  trainTimeCsvFile: string;
  trainMemoryCsvFile: string;
  generateTimeCsvFile: string;
  generateMemoryCsvFile: string;
  envInfoCsvFile: string;
  outputDir: string;
  json: string | null;
  resume: string | null;
  envPrint: boolean;
  logPrint: boolean;
  logFilename: string;
}

export type ArgKey = keyof BenchmarkArgs;

export type ArgKind =
  | { type: 'boolean' }
  /** An integer >= min. */
  | { type: 'integer'; min: number }
  /** An integer >= min, or null. */
  | { type: 'integerOrNull'; min: number }
  /** A finite number >= min. */
  | { type: 'number'; min: number }
  /** A finite number > min, or null. */
  | { type: 'positiveNumberOrNull' }
  /** A non-empty list of distinct integers >= min. */
  | { type: 'integerList'; min: number }
  /** A non-empty string. */
  | { type: 'string' }
  /** A non-empty string, or null. */
  | { type: 'stringOrNull' }
  | { type: 'enum'; values: readonly string[] }
  /** auto | cpu | cuda | cuda:N */
  | { type: 'device' }
  /** "i/n" with 1 ≤ i ≤ n, or null. */
  | { type: 'shard' }
  /** Model ids, paths or inline models. */
  | { type: 'models' }
  /** Raw Hugging Face config dicts or inline models. */
  | { type: 'configs' };

/** A Hugging Face name for a key: the same value under another name, or a boolean that stands for a value. */
export type ArgAlias = string | { name: string; ifTrue: unknown; ifFalse: unknown };

export type ArgGroup = 'Models' | 'Grid' | 'Measurement' | 'Timing' | 'Output';

export interface ArgDefinition<K extends ArgKey = ArgKey> {
  key: K;
  kind: ArgKind;
  default: BenchmarkArgs[K];
  /** How --help shows the default when the value alone does not say it. */
  defaultText?: string;
  description: string;
  aliases: readonly ArgAlias[];
  group: ArgGroup;
}

const positiveInt = { type: 'integer', min: 1 } as const;
const nonNegativeInt = { type: 'integer', min: 0 } as const;
const nonNegativeNumber = { type: 'number', min: 0 } as const;
const bool = { type: 'boolean' } as const;
const str = { type: 'string' } as const;

// Written as an object keyed by argument so the compiler checks that every key has exactly one entry
// and that each default has the key's type. Order here is the order of --help.
const table: { [K in ArgKey]: Omit<ArgDefinition<K>, 'key'> } = {
  models: {
    kind: { type: 'models' },
    default: [],
    defaultText: 'required unless configs',
    description: 'Models to benchmark: known ids, paths to a config.json or checkpoint directory, Hugging Face ids (org/name, org/name@revision: from the local Hugging Face cache, else the Hub), or { name, base?, revision?, config? }',
    aliases: [],
    group: 'Models',
  },
  configs: {
    kind: { type: 'configs' },
    default: [],
    defaultText: '[]',
    description: 'Hugging Face config dicts (with model_type) or { name, base?, revision?, config? }; models[i] names configs[i]',
    aliases: [],
    group: 'Models',
  },
  onlyPretrainModel: {
    kind: bool,
    default: false,
    description: 'Benchmark the base model (e.g. BertModel) instead of config.architectures[0]',
    aliases: ['only_pretrain_model'],
    group: 'Models',
  },
  batchSizes: {
    kind: { type: 'integerList', min: 1 },
    default: [8],
    description: 'Batch sizes to measure',
    aliases: ['batch_sizes'],
    group: 'Grid',
  },
  sequenceLengths: {
    kind: { type: 'integerList', min: 1 },
    default: [8, 32, 128, 512],
    description: 'Sequence lengths to measure (generate: the prompt lengths)',
    aliases: ['sequence_lengths'],
    group: 'Grid',
  },
  inference: {
    kind: bool,
    default: true,
    description: 'Measure inference (one forward pass, eval mode, no autograd)',
    aliases: [],
    group: 'Grid',
  },
  training: {
    kind: bool,
    default: false,
    description: 'Measure training (forward with labels = input_ids, backward)',
    aliases: [],
    group: 'Grid',
  },
  generate: {
    kind: bool,
    default: false,
    description:
      'Measure generation: greedy decoding of newTokens tokens after a random prompt of each sequence length, with ' +
      'a KV cache (GPT-2, LLaMA/Mistral/Qwen2 and T5, with their LM head; encoder-only models are skipped): TTFT, ' +
      'TPOT, inter-token latency, tokens/s, KV cache',
    aliases: [],
    group: 'Grid',
  },
  newTokens: {
    kind: positiveInt,
    default: 32,
    description: 'Tokens generated per sequence in generate: exactly this many (no stop at an end-of-sequence token)',
    aliases: [],
    group: 'Grid',
  },
  speed: {
    kind: bool,
    default: true,
    description: 'Measure time per call',
    aliases: [],
    group: 'Grid',
  },
  memory: {
    kind: bool,
    default: true,
    description: 'Measure peak memory per call',
    aliases: [],
    group: 'Grid',
  },
  shard: {
    kind: { type: 'shard' },
    default: null,
    defaultText: 'all cells',
    description: "Run only share i of n of the cells (1-based; the same split on every host, the largest cells in different shares); join the shards' JSON results with tfbench merge",
    aliases: [],
    group: 'Grid',
  },
  device: {
    kind: { type: 'device' },
    default: 'auto',
    description: 'auto (CUDA when available), cpu, cuda or cuda:N',
    aliases: [{ name: 'cuda', ifTrue: 'auto', ifFalse: 'cpu' }],
    group: 'Measurement',
  },
  framework: {
    kind: { type: 'enum', values: ['libtorch', 'tfjs'] },
    default: 'libtorch',
    description:
      'The framework the models run in: the libtorch addon, or TensorFlow.js (CPU only, float32; inference and ' +
      'training of BERT, RoBERTa, DistilBERT, GPT-2 and LLaMA-shaped models; no generate or breakdown yet)',
    aliases: [],
    group: 'Measurement',
  },
  tfjsBackend: {
    kind: { type: 'enum', values: ['auto', 'node', 'wasm', 'cpu'] },
    default: 'auto',
    description:
      "With framework tfjs: TensorFlow.js's backend; auto: the first that loads of node (@tensorflow/tfjs-node, " +
      'only when installed: tfbench never installs it), wasm (single-threaded in Node), cpu (plain JavaScript)',
    aliases: [],
    group: 'Measurement',
  },
  dtype: {
    kind: { type: 'enum', values: [...DTYPES, AUTO_DTYPE] },
    default: 'float32',
    description:
      "Parameter and activation dtype; auto: the torch_dtype of the models' configs (float32 where a config names " +
      'none), as transformers\' torch_dtype="auto", which must be the same for every model of the run',
    aliases: [{ name: 'fp16', ifTrue: 'float16', ifFalse: 'float32' }],
    group: 'Measurement',
  },
  trainStep: {
    kind: { type: 'enum', values: ['backward', 'optimizer'] },
    default: 'backward',
    description: 'What a training call does: forward + backward, or also an AdamW step',
    aliases: [],
    group: 'Measurement',
  },
  isolate: {
    kind: bool,
    default: true,
    description: 'Run every measurement in a fresh child process (whose malloc keeps freed memory mapped; false: in this process, with its default malloc)',
    aliases: ['multi_process'],
    group: 'Measurement',
  },
  cellTimeoutS: {
    kind: { type: 'number', min: 1 },
    default: 1800,
    description: 'Stop an isolated cell still running after this many seconds (status timeout) and go on with the next; a cell run in-process (isolate: false) cannot be stopped',
    aliases: [],
    group: 'Measurement',
  },
  skipAfterOom: {
    kind: bool,
    default: true,
    description: 'Once a model runs out of memory in a mode, skip its cells with batch and sequence at least as large',
    aliases: [],
    group: 'Measurement',
  },
  threads: {
    kind: { type: 'integerOrNull', min: 1 },
    default: null,
    defaultText: 'from the BLAS',
    description:
      "CPU threads for libtorch (intra-op). By default: 1 beside a pthreads OpenBLAS (its own pool does the products); else, on the CPU, the faster of 1 and one per physical core, timed at start-up on the first model; OMP_NUM_THREADS or a CUDA device: one per physical core",
    aliases: [],
    group: 'Measurement',
  },
  peakTflops: {
    kind: { type: 'positiveNumberOrNull' },
    default: null,
    defaultText: 'known GPUs',
    description: "The device's dense peak TFLOP/s for the dtype, for MFU; by default from tfbench's table of GPUs (none for CPUs)",
    aliases: [],
    group: 'Measurement',
  },
  seed: {
    kind: nonNegativeInt,
    default: 42,
    description: 'Seed of the random weights and inputs',
    aliases: [],
    group: 'Measurement',
  },
  breakdown: {
    kind: bool,
    default: false,
    description: 'Also measure time and memory per module (embeddings, each layer, head) in inference and training cells',
    aliases: [],
    group: 'Measurement',
  },
  warmup: {
    kind: nonNegativeInt,
    default: 2,
    description: 'Untimed calls before measuring; up to twice as many more follow while each is over 10% faster than the one before',
    aliases: [],
    group: 'Timing',
  },
  minTimeS: {
    kind: nonNegativeNumber,
    default: 1,
    description: 'Keep sampling for at least this many seconds',
    aliases: [],
    group: 'Timing',
  },
  maxTimeS: {
    kind: nonNegativeNumber,
    default: 10,
    description: 'Stop sampling after this many seconds (once minSamples are taken)',
    aliases: [],
    group: 'Timing',
  },
  minSamples: {
    kind: positiveInt,
    default: 6,
    description: 'Timed calls to take at least (6: the fewest whose order statistics bound the median with 95% confidence)',
    aliases: [],
    group: 'Timing',
  },
  targetRelCi: {
    kind: nonNegativeNumber,
    default: 0.01,
    description: 'Stop early once the 95% confidence interval of the median is within this fraction of it (0: never)',
    aliases: [],
    group: 'Timing',
  },
  saveToCsv: {
    kind: bool,
    default: false,
    description: "Write one CSV per section in Hugging Face's format",
    aliases: ['save_to_csv'],
    group: 'Output',
  },
  inferenceTimeCsvFile: {
    kind: str,
    default: 'inference_time.csv',
    description: 'CSV file of inference times',
    aliases: ['inference_time_csv_file'],
    group: 'Output',
  },
  inferenceMemoryCsvFile: {
    kind: str,
    default: 'inference_memory.csv',
    description: 'CSV file of inference memory',
    aliases: ['inference_memory_csv_file'],
    group: 'Output',
  },
  trainTimeCsvFile: {
    kind: str,
    default: 'train_time.csv',
    description: 'CSV file of training times',
    aliases: ['train_time_csv_file'],
    group: 'Output',
  },
  trainMemoryCsvFile: {
    kind: str,
    default: 'train_memory.csv',
    description: 'CSV file of training memory',
    aliases: ['train_memory_csv_file'],
    group: 'Output',
  },
  generateTimeCsvFile: {
    kind: str,
    default: 'generate_time.csv',
    description: 'CSV file of generation times (result: seconds per generate call; then TTFT, TPOT, ITL, tokens/s)',
    aliases: [],
    group: 'Output',
  },
  generateMemoryCsvFile: {
    kind: str,
    default: 'generate_memory.csv',
    description: 'CSV file of generation memory (result: peak MB; then weights and KV cache MB)',
    aliases: [],
    group: 'Output',
  },
  envInfoCsvFile: {
    kind: str,
    default: 'env.csv',
    description: 'CSV file of environment information',
    aliases: ['env_info_csv_file'],
    group: 'Output',
  },
  outputDir: {
    kind: str,
    default: '.',
    description: 'Directory that relative output files are written to',
    aliases: [],
    group: 'Output',
  },
  json: {
    kind: { type: 'stringOrNull' },
    default: null,
    defaultText: 'none',
    description: 'Write the JSON results file (read by compare and report) to this path, rewritten after every cell; "-": to stdout at the end, the tables then go to stderr',
    aliases: [],
    group: 'Output',
  },
  resume: {
    kind: { type: 'stringOrNull' },
    default: null,
    defaultText: 'none',
    description: "Continue the sweep of this results file (under outputDir, as json) with the same args: keep its ok, oom and skipped cells, measure the rest (error, timeout, missing); the joined results go to json, by default back to this file",
    aliases: [],
    group: 'Output',
  },
  envPrint: {
    kind: bool,
    default: false,
    description: 'Print the environment information',
    aliases: ['env_print'],
    group: 'Output',
  },
  logPrint: {
    kind: bool,
    default: false,
    description: 'Also write what is printed to logFilename',
    aliases: ['log_print'],
    group: 'Output',
  },
  logFilename: {
    kind: str,
    default: 'tfbench.log',
    description: 'Log file written when logPrint is true',
    aliases: ['log_filename'],
    group: 'Output',
  },
};

/** Every argument, in --help order. */
export const ARG_DEFINITIONS: readonly ArgDefinition[] = (Object.keys(table) as ArgKey[]).map(
  (key) => ({ key, ...table[key] }) as ArgDefinition,
);

const byKey = new Map<string, ArgDefinition>(ARG_DEFINITIONS.map((d) => [d.key, d]));

export function argDefinition(key: string): ArgDefinition | undefined {
  return byKey.get(key);
}

/** The defaults of every argument (fresh copies). */
export function defaultArgs(): BenchmarkArgs {
  const out: Record<string, unknown> = {};
  for (const d of ARG_DEFINITIONS) out[d.key] = structuredClone(d.default);
  return out as unknown as BenchmarkArgs;
}

/** `batchSizes` → `batch-sizes` (the CLI flag without dashes). */
export function kebabCase(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

export function aliasName(alias: ArgAlias): string {
  return typeof alias === 'string' ? alias : alias.name;
}

/**
 * Hugging Face benchmark arguments that tfbench does not take, with what to do instead. Given in
 * args.json they are problems with this advice, rather than "unknown key".
 */
export const UNSUPPORTED_HF_ARGS: Readonly<Record<string, string>> = {
  torchscript: 'TorchScript tracing is not part of tfbench (models run as libtorch modules); remove it',
  fp16_opt_level: 'apex AMP levels are not used; "dtype" picks the precision',
  tpu: 'TPUs are not supported; use "device"',
  tpu_name: 'TPUs are not supported; use "device"',
  tpu_print_metrics: 'TPUs are not supported',
  torch_xla_tpu_print_metrics: 'TPUs are not supported',
  use_xla: 'TensorFlow.js, the TensorFlow tfbench runs ("framework": "tfjs"), has no XLA compiler; remove it',
  repeat: 'tfbench samples until a time or precision target: use "minSamples", "minTimeS", "maxTimeS", "targetRelCi"',
  verbose: 'not used; remove it',
  trace_memory_line_by_line: 'use "breakdown": true for time and memory per module',
  no_inference: 'write "inference": false',
  no_cuda: 'write "device": "cpu"',
  no_tpu: 'TPUs are not supported; remove it',
  no_speed: 'write "speed": false',
  no_memory: 'write "memory": false',
  no_env_print: 'write "envPrint": false',
  no_multi_process: 'write "isolate": false',
};

/**
 * Hugging Face benchmark arguments that tfbench accepts and that change nothing, each with the note said when one
 * is given (parseArgs' notes).
 */
export const NOTED_HF_ARGS: Readonly<Record<string, string>> = {
  eager_mode:
    'every model runs eagerly, op by op: TensorFlow.js ("framework": "tfjs") has no graph mode (tf.function) and ' +
    'libtorch modules run eagerly too; eager_mode is accepted and changes nothing',
};
