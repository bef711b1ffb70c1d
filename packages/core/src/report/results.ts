// The results format: what `benchmark` returns and `tfbench run --json` writes, and what every report, merge and
// compare reads. Results are data: one flat list of cell records; units are in the field names, MiB appear only
// when rendered. results-schema.ts is its JSON Schema.
import type { BenchmarkArgs } from '../args/index.js';
import type { EnvironmentInfo } from '../env/index.js';
import type { Efficiency } from '../stats/efficiency.js';
import type { SampleSummary } from '../stats/summary.js';

// 1.1: `shard` (which share of the sweep a file holds) and `merged` (set by tfbench merge). Files of 1.0
// have neither; readResultsJson reads their shard as null.
// 1.2: status `timeout` for a cell stopped after cellTimeoutS (1.1 wrote status `error` with code TIMEOUT),
// and the arguments cellTimeoutS and resume.
// 1.3: mode `generate` with its `generation` record (files of 1.2 and older have no `generation` field;
// readResultsJson reads it as null), the arguments generate, newTokens and the generation CSV names, status
// `skipped` for a cell the model cannot run, and efficiency.flopsPerCall null where nothing can be counted.
// 1.4: `hub` on every record: the Hugging Face repo, revision and commit a model's config came from (files of 1.3
// and older have none; readResultsJson reads it as null); a generate record's bandwidthFloor says where its
// bandwidth was measured (bandwidthSource, bandwidthSamples: files of 1.3 read as 'run-start', []).
// 1.5: memory.tensorPeakBytes, tensorBeforeBytes and tensorIncreaseBytes: the bytes the framework's own tensors
// held (TensorFlow.js; null for libtorch and in files of 1.4 and older).
export const RESULTS_SCHEMA_VERSION = '1.5.0';

/** Which shares of a sweep's cells a results file holds: shards `indices` (1-based, ascending) of `count`. */
export interface ResultsShard {
  count: number;
  indices: number[];
}

/** What tfbench merge joined into a results file. */
export interface MergedFrom {
  /** Each input, in the order given: its name (file path), shard, record count and run times. */
  sources: Array<{ name: string; shard: ResultsShard | null; records: number; startedAt: string; finishedAt: string }>;
  /** The file's `environment` is the first input's; one line per field where another input's differs
   * (`cpuRamBytes: 16777216 in a.json; 33554432 in b.json`). Empty when every input ran on the same setup. */
  environmentDifferences: string[];
}

export interface BenchmarkResults {
  schemaVersion: string;
  tool: { name: 'tfbench'; version: string };
  /** When the sweep started (a resumed sweep: when the resumed file's did). */
  startedAt: string;
  /** When the file was written: after the last cell, or the latest cell while the sweep runs. */
  finishedAt: string;
  /** True when the file lacks a record of some planned cell: while the sweep runs (the results are written
   * after every cell), and when it was stopped (Ctrl-C, SIGTERM, abort, a killed process) before the end. */
  interrupted: boolean;
  args: BenchmarkArgs;
  /** The shares of the planned cells this file holds (args.shard of a run; tfbench merge joins shares);
   * null: every cell. */
  shard: ResultsShard | null;
  /** Only in files written by tfbench merge. */
  merged?: MergedFrom;
  environment: EnvironmentInfo;
  records: CellRecord[];
}

/** Where the results go while the sweep runs; ResultsFiles (files.ts) writes the files the args name. */
export interface ResultsSink {
  /** Called once the args are valid, before anything is measured: throw (an ArgsError) to refuse the run. */
  open?(args: BenchmarkArgs): void | Promise<void>;
  /** Called with the results so far after every cell, and with the returned results at the end
   * (`interrupted` stays true until every planned cell has a record). Failing to store them is the sink's
   * to report and retry: a throw ends the sweep. */
  write(results: BenchmarkResults): void | Promise<void>;
}

/** generate: greedy decoding of newTokens tokens after a prompt of sequenceLength tokens (GenerationRecord). */
export type Mode = 'inference' | 'training' | 'generate';
/** ok: measured. oom: out of memory (the backend's OOM, or the worker killed by SIGKILL). error: any other failure
 * (a crash, an exception). timeout: an isolated cell stopped after cellTimeoutS. skipped: not run, because a
 * smaller cell of the same model and mode ran out of memory (code SKIPPED_AFTER_OOM), or because the model cannot
 * run the cell (code CANNOT_GENERATE: a generate cell of an encoder-only model, or a prompt plus new tokens past
 * the model's positions). */
export type CellStatus = 'ok' | 'oom' | 'error' | 'timeout' | 'skipped';

/** One point of the grid. */
export interface Cell {
  /** The model's display name (known id, path, or inline name). */
  model: string;
  batchSize: number;
  sequenceLength: number;
  mode: Mode;
}

/** "bert-base-uncased batch 8 seq 128 training": how messages name a cell, and the key cells are matched by
 * across results files (compare, merge). */
export function cellName(cell: Cell): string {
  return `${cell.model} batch ${cell.batchSize} seq ${cell.sequenceLength} ${cell.mode}`;
}

export interface TimeRecord extends SampleSummary {
  /** Every timed call, in the order measured (seconds). */
  samples: number[];
  /** Untimed warm-up calls (seconds), kept to show settling. */
  warmup: number[];
}

/** One phase of a training call: its median and every sample (seconds), aligned with the call's samples. */
export interface PhaseRecord {
  median: number;
  samples: number[];
}

/** One module of the breakdown call — "embeddings", "layer.N" (T5: "encoder.layer.N", "decoder.embeddings",
 * "decoder.layer.N"), "head" — or a training phase after the forward pass ("loss", "backward", "optimizer"). */
export interface ModuleRecord {
  module: string;
  seconds: number;
  /** CPU: resident set size when the module starts; CUDA: bytes allocated to tensors then. */
  beforeBytes: number;
  /** CPU: peak resident set size while it runs; CUDA: peak bytes allocated while it runs. */
  peakBytes: number;
  /** peakBytes - beforeBytes: what the module added at its peak. */
  increaseBytes: number;
}

export interface GpuMemoryRecord {
  /** Peak bytes allocated to tensors during the call (torch.cuda.max_memory_allocated, reset right before). */
  peakAllocatedBytes: number;
  /** Peak bytes the caching allocator held from the device (torch.cuda.max_memory_reserved). */
  peakReservedBytes: number;
  /** Bytes allocated to tensors right before the call. */
  allocatedBeforeBytes: number;
  /** peakAllocatedBytes - allocatedBeforeBytes: what the call itself added. */
  allocatedIncreaseBytes: number;
  /** Device memory in use right after the call as NVML reports it (nvidia-smi's figure, as Hugging Face's
   * tool reported): null with deviceUsedReason when NVML is not available. */
  deviceUsedBytes: number | null;
  deviceUsedReason: string | null;
}

/** The figure the memory tables and CSV files show, in bytes: the peak RSS on CPU; on CUDA the device memory
 * NVML reports (Hugging Face's figure), else the allocator's peak reserved bytes. */
export function headlineMemoryBytes(record: Pick<CellRecord, 'memory' | 'gpuMemory'>): number | null {
  if (record.gpuMemory) return record.gpuMemory.deviceUsedBytes ?? record.gpuMemory.peakReservedBytes;
  return record.memory?.rssPeakBytes ?? null;
}

export interface CpuMemoryRecord {
  /** Peak resident set size of the process during the measured call: absolute, as Hugging Face reported. */
  rssPeakBytes: number;
  /** Resident set size right before the measured call. */
  rssBeforeBytes: number;
  /** rssPeakBytes - rssBeforeBytes: what the call itself added. */
  rssIncreaseBytes: number;
  /** Bytes held by the framework's tensors at their peak during the call and right before it, and the
   * difference, where the framework counts them (TensorFlow.js: tf.profile's peakBytes, tf.memory().numBytes);
   * null for libtorch, whose CPU allocator keeps no count. */
  tensorPeakBytes: number | null;
  tensorBeforeBytes: number | null;
  tensorIncreaseBytes: number | null;
}

/** A generate cell's figures (README, "Generation", defines each). B = batchSize, S = sequenceLength (the prompt),
 * N = newTokens. Per call: TTFT is the prefill with the first token's argmax, E2E the whole call, and between them
 * the N - 1 decode steps. The call is the unit of sampling; timeSeconds holds each call's E2E. */
export interface GenerationRecord {
  newTokens: number;
  /** Per timed call: time to first token; null when speed was not measured (so are the other time figures). */
  ttftSeconds: TimeRecord | null;
  /** Per timed call: time per output token after the first, (E2E − TTFT) / (N − 1); null when N = 1. */
  tpotSeconds: TimeRecord | null;
  /** Inter-token latencies: every decode step of every timed call pooled (quantiles as numpy's default); null
   * when N = 1. */
  itlSeconds: { p50: number; p90: number; p99: number; steps: number } | null;
  /** B·S / median TTFT. */
  prefillTokensPerSecond: number | null;
  /** B·(N − 1) / median(E2E − TTFT); null when N = 1. */
  decodeTokensPerSecond: number | null;
  /** Each timed call's decode-step latencies (N − 1 each), for plotting cost against context depth: step i
   * attends to contextStart + i positions (decoders: S + 1; T5: 2, the decoder's own). */
  trace: { contextStart: number; stepSeconds: number[][] };
  /** Bytes of the weights (parameters × dtype size). */
  weightBytes: number;
  /** The KV cache: from the family's formula (decoders 2·L·B·(S+N)·H_kv·d_head·bytes; T5 2·L_dec·B·(1+N+S)·
   * inner·bytes) and as the backend allocated it (null when memory was not measured). */
  kvCache: { formulaBytes: number; allocatedBytes: number | null };
  /** Batch 1 with a measured memory bandwidth: a decode step reads every weight it uses once (decodeWeightBytes:
   * all but row lookups and T5's encoder), so TPOT >= decodeWeightBytes / bandwidth; that floor and the median
   * TPOT over it. The bandwidth is the median of the copies measured between the cell's own timed calls
   * (bandwidthSource 'cell', each sample in bandwidthSamples, bytes/s), else the run start's (environment
   * memoryBandwidth, 'run-start'). Null otherwise (another batch size, no bandwidth measured, N = 1). */
  bandwidthFloor: {
    decodeWeightBytes: number;
    bandwidthBytesPerSecond: number;
    bandwidthSource: 'cell' | 'run-start';
    bandwidthSamples: number[];
    tpotFloorSeconds: number;
    tpotOverFloor: number;
  } | null;
}

export interface CellRecord extends Cell {
  status: CellStatus;
  /** Why the cell is not 'ok': a stable code (OOM, BAD_INPUT, EXIT_1, SIGSEGV, TIMEOUT, …) and the message. */
  error: { code: string; message: string } | null;
  device: string;
  dtype: string;
  /** Intra-op threads the measurement ran with. */
  threads: number | null;
  /** Threads the BLAS ran one matrix product on: libtorch's own with an OpenMP BLAS, its own pool's with a
   * pthreads one (the environment says which BLAS); null when unknown or not measured. */
  blasThreads: number | null;
  parameterCount: number;
  /** A model named by a Hugging Face id (or an inline model on one): the repo, the revision asked for and the commit
   * it resolved to in the cache; null for known ids, paths and other inline models. */
  hub: { repoId: string; revision: string; commit: string } | null;
  /** Seconds per call; null when speed was not measured or the cell failed. */
  timeSeconds: TimeRecord | null;
  /** Training: the call split into forward (with the loss), backward and optimizer step (null without one). */
  phasesSeconds: { forward: PhaseRecord; backward: PhaseRecord; optimizer: PhaseRecord | null } | null;
  /** Samples (sequences) and tokens per second of the median call; null for generate cells, whose tokens/s are
   * generation's prefill and decode rates (a whole call's tokens over its time would mix the two). */
  throughput: { samplesPerSecond: number; tokensPerSecond: number } | null;
  /** CPU cells: the process's resident memory around the measured call. */
  memory: CpuMemoryRecord | null;
  /** CUDA cells: the caching allocator's peaks and NVML's device memory around the measured call. */
  gpuMemory: GpuMemoryRecord | null;
  /** CUDA cells: host wall time per timed call (timeSeconds are GPU times from CUDA events); the gap between
   * the two medians is launch overhead. */
  hostSeconds: { median: number; samples: number[] } | null;
  /** Generate cells: TTFT, TPOT, ITL, tokens/s, the per-step trace and the KV cache (timeSeconds then holds the
   * end-to-end time per call); null for the other modes. */
  generation: GenerationRecord | null;
  /** breakdown: true: one more call, module by module (see ModuleRecord); null otherwise. */
  breakdown: ModuleRecord[] | null;
  /** Seconds spent building the model (allocation + random init or weight loading). */
  buildSeconds: number | null;
  /** Matrix-multiply FLOPs of one call, and the rate the median call achieved. MFU (achieved / the device's
   * dense peak for the dtype, peakTflops, from peakSource: tfbench's GPU table or the peakTflops argument) is
   * null where the peak is not known (CPUs, unlisted GPUs). */
  efficiency: Efficiency;
  /** What a reader should know about the figures (few samples, wide CI, high spread, a change of speed mid-measurement, why skipped). */
  warnings: string[];
}
