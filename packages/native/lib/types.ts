// The types of everything the addon exports (src/addon.cc's Init() lists it; keep the two in step).

export type DType = 'float32' | 'float16' | 'bfloat16';
export type TensorDType = 'float32' | 'float16' | 'bfloat16' | 'int64';

/** A tensor copied to or from the host: `data` is row-major, its length is the product of `shape`.
 * float16/bfloat16 travel as their raw 16-bit patterns in a Uint16Array. */
export interface HostTensor {
  dtype: TensorDType;
  shape: number[];
  data: Float32Array | BigInt64Array | Uint16Array;
}

/**
 * A normalised model description: `family` picks the reader, the family's reader in src/models/<family>.cc
 * ("bert", "roberta" and "distilbert" in bert.cc), which reads and range-checks the fields it needs by name.
 * Field names follow Hugging Face's config.json after core has resolved aliases and defaults; the typed spec
 * of each family lives with the family in @tfbench/core (models/families/<family>.ts).
 */
export interface NativeModelSpec {
  family: string;
  /** Which class: 'base' or the family's LM head ('masked-lm', 'causal-lm', 'seq2seq-lm'). */
  head: string;
  [field: string]: number | string | boolean;
}

export interface BuildOptions {
  /** 'cpu', 'cuda' or 'cuda:N'. */
  device: string;
  dtype: DType;
  /** Seeds the random weights (normal(0, initializer_range), as Hugging Face initialises them). */
  seed: number;
}

export interface ParameterInfo {
  name: string;
  shape: number[];
  dtype: TensorDType;
}

/** One tensor of a safetensors file: byte offsets are absolute positions in the file. */
export interface WeightEntry {
  /** The model parameter to fill (a name from parameters()). */
  parameter: string;
  dtype: 'F32' | 'F16' | 'BF16' | 'F64';
  shape: number[];
  begin: number;
  end: number;
}

export interface RunOptions {
  /** Train mode (dropout on). Default false: eval mode. */
  train?: boolean;
  /** Also compute `loss` with labels = input_ids (masked LM and seq2seq LM: mean cross-entropy over all
   * positions; causal LM: shifted by one). */
  loss?: boolean;
  /** Parameter names whose gradient of `loss` to return as `grad.<name>`. Needs loss: true. */
  gradients?: string[];
}

/** What every call of a cell does, the same for each block of the cell: the model keeps the seeded inputs of the
 * last shape and seed it was asked for, so every block runs on the same ones. */
export interface CellCallOptions {
  mode: 'inference' | 'training';
  /** Training: 'backward' (forward with the loss, then backward; the default) or 'optimizer' (and an AdamW
   * step whose state is kept with the model). */
  trainStep?: 'backward' | 'optimizer';
  batchSize: number;
  sequenceLength: number;
  /** Seeds the random input_ids in [0, vocab_size). */
  seed: number;
}

export interface RunCallsOptions extends CellCallOptions {
  /** Calls in this block, back to back (>= 1); on CUDA one synchronisation at its end. */
  calls: number;
}

/** A block of calls, each timed on its own; what to make of them (warm-up, samples) is the caller's. */
export interface CallTimes {
  /** One entry per call, seconds: host monotonic clock on CPU, CUDA events (GPU time) on CUDA. */
  seconds: number[];
  /** CUDA only: host wall time of each call (launch overhead); null on CPU. */
  hostSeconds: number[] | null;
  /** Training only (null for inference). */
  phasesSeconds: PhaseSamples | null;
}

/** The memory-measured call: `memory` on CPU, `cudaMemory` on CUDA, the other null. */
export interface MemoryPeaks {
  memory: CpuMemoryPeak | null;
  cudaMemory: CudaMemoryPeak | null;
}

export interface CpuMemoryPeak {
  /** Resident set size right before the measured call (VmRSS). */
  rssBeforeBytes: number;
  /** Peak resident set size during the measured call (VmHWM after resetting it through /proc/self/clear_refs). */
  rssPeakBytes: number;
  /** Bytes held by the framework's tensors right before the call and at their peak during it, where the framework
   * counts them (TensorFlow.js: tf.memory().numBytes and tf.profile's peakBytes); the libtorch addon leaves them
   * out (its CPU allocator keeps no such count). */
  tensorBeforeBytes?: number;
  tensorPeakBytes?: number;
}

/** Training calls split into their phases, one entry per call (seconds); optimizer is empty without an
 * optimizer step. Each call's phases add up to about its time. */
export interface PhaseSamples {
  forward: number[];
  backward: number[];
  optimizer: number[];
}

/** One module of a breakdown call — "embeddings", "layer.N" (T5: "encoder.layer.N", "decoder.embeddings",
 * "decoder.layer.N"), "head" (final norm, pooler, LM head) — or, in training, the phases after the forward pass
 * ("loss", "backward", "optimizer"). The device is synchronised at each boundary. */
export interface ModuleCost {
  module: string;
  seconds: number;
  /** CPU: resident set size when the module starts; CUDA: bytes allocated to tensors then. */
  beforeBytes: number;
  /** CPU: peak resident set size while it runs; CUDA: peak bytes allocated to tensors while it runs. */
  peakBytes: number;
}

/** libtorch's caching-allocator peaks over one call (reset right before it: torch.cuda.max_memory_allocated /
 * max_memory_reserved), and the device memory NVML reports in use right after it (nvidia-smi's figure:
 * every process plus CUDA contexts; null, with the reason, when NVML is not available). */
export interface CudaMemoryPeak {
  allocatedBeforeBytes: number;
  peakAllocatedBytes: number;
  peakReservedBytes: number;
  deviceUsedBytes: number | null;
  deviceUsedReason: string | null;
}

/** One generate call: greedy decoding of exactly `newTokens` tokens (no stop at EOS) after a random prompt, with
 * a static KV cache. Decoder-only families with an LM head (GPT-2, LLaMA/Mistral/Qwen2) and T5's seq2seq-LM. */
export interface GenerateCallOptions {
  batchSize: number;
  /** S: the prompt's length (T5: the encoder input's; its decoder starts from decoder_start_token_id). */
  promptLength: number;
  /** N >= 1: tokens generated per sequence. */
  newTokens: number;
  /** Seeds the random prompt ids in [0, vocab_size). */
  seed: number;
}

export interface GenerateCallsOptions extends GenerateCallOptions {
  /** Generate calls in this block, back to back (>= 1). */
  calls: number;
}

/** One generate call's times (seconds). */
export interface GenerateTiming {
  /** Time to first token: from the call's start (its KV cache is allocated inside the call) through the prefill
   * forward over the prompt (T5: the encoder, the cross-attention keys and values, and the decoder's first step)
   * and the first token's argmax, on the device's clock: CPU a steady clock, CUDA events as for stepSeconds. */
  ttftSeconds: number;
  /** N - 1 decode steps: step i (0-based) feeds token i and yields token i + 1, attending to S + i + 1 cached
   * positions (T5: i + 2 decoder positions). CPU: a steady clock around each step, its argmax included; CUDA:
   * events recorded between steps, read after one synchronisation at the end of the call. */
  stepSeconds: number[];
  /** The whole call, prefill to the last token. */
  e2eSeconds: number;
}

/** A block of generate calls; each call generated exactly newTokens tokens per sequence (checked: a TORCH_ERROR
 * otherwise). */
export interface GenerateTimes {
  calls: GenerateTiming[];
  /** CUDA only: host wall time of each call; null on CPU. */
  hostSeconds: number[] | null;
}

/** The generate call's peak memory (as MemoryPeaks) and its KV cache as allocated: every cache tensor's bytes
 * (decoders: keys and values of every layer for S + N positions; T5: the decoder's self-attention cache for
 * 1 + N positions and the cross-attention keys and values for S). */
export interface GenerateMemory extends MemoryPeaks {
  kvCacheBytes: number;
}

/** Greedy decoding from given prompt ids. */
export interface GreedyOutput {
  /** int64. Decoders: (B, S + N), the prompt then the N new tokens; T5: (B, 1 + N), decoder_start_token_id then
   * the N new tokens. */
  generatedIds: HostTensor;
  /** float32 (N, B, V): at step i the logits of the last position, from which token i was taken by argmax. */
  stepLogits: HostTensor;
}

/** A device's memory bandwidth from copying one large buffer into another: (read + written bytes) / time, the
 * median over `repeats` copies after one untimed copy. */
export interface MemoryBandwidth {
  device: string;
  bytesPerSecond: number;
  /** The size of each of the two buffers. */
  bufferBytes: number;
  repeats: number;
}

export interface NativeModel {
  parameters(): ParameterInfo[];
  parameterCount(): number;
  /** Copies tensors from a safetensors file into parameters, converting dtype; shapes must match. */
  loadWeights(file: string, entries: WeightEntry[]): Promise<void>;
  /** One call on given inputs (input_ids, optional attention_mask / token_type_ids, and for T5
   * decoder_input_ids, default input_ids): returns last_hidden_state, encoder_last_hidden_state (T5),
   * pooler_output and logits (when the model has them), loss and grad.<name> as asked. */
  run(inputs: Record<string, HostTensor>, options?: RunOptions): Promise<Record<string, HostTensor>>;
  /** A block of `calls` timed calls of a cell; raw times back. The sampling policy (warm-up, how many blocks) is
   * the caller's (core/src/run/sampling.ts). */
  runCalls(options: RunCallsOptions): Promise<CallTimes>;
  /** One call with its peak memory measured (CPU: VmHWM reset before it; CUDA: the allocator's peak stats). */
  measureMemory(options: CellCallOptions): Promise<MemoryPeaks>;
  /** One call timed and memory-measured module by module (in training, then its loss, backward and optimizer
   * phases). */
  measureBreakdown(options: CellCallOptions): Promise<ModuleCost[]>;
  /** Greedy decoding of `newTokens` tokens from `inputIds` (int64 (B, S); T5: the encoder's input) with the KV
   * cache, eval mode. BAD_INPUT for a model that cannot generate (no LM head, an encoder-only family) or when
   * S + N passes the positions the model has. */
  generate(inputIds: HostTensor, options: { newTokens: number }): Promise<GreedyOutput>;
  /** A block of timed generate calls on the seeded random prompt of `options`; the policy (warm-up, how many
   * blocks) is the caller's. */
  runGenerateCalls(options: GenerateCallsOptions): Promise<GenerateTimes>;
  /** One generate call with its peak memory measured (as measureMemory) and the KV cache's allocated bytes. */
  measureGenerateMemory(options: GenerateCallOptions): Promise<GenerateMemory>;
}

export interface Versions {
  addon: string;
  libtorch: string;
  /** Where CMake found libtorch: LIBTORCH, python3 torch or system. */
  libtorchSource: string;
  cuda: boolean;
  /** at::get_parallel_info(): OpenMP/MKL threading as libtorch sees it. */
  parallelInfo: string;
  /**
   * Threads that one at::parallel_for region of the addon's own code reaches on the calling thread: equal to the
   * intra-op thread count when the addon was built with its libtorch's OpenMP flag, 1 when not (a build check).
   */
  parallelForThreads: number;
}

/** A CUDA device as libtorch's CUDA runtime sees it. */
export interface CudaDeviceInfo {
  /** The N of cuda:N. */
  index: number;
  name: string;
  totalMemoryBytes: number;
  /** "0000:3B:00.0": matches NvmlDeviceInfo.pciBusId (NVML writes the domain with 8 digits). */
  pciBusId: string;
  computeCapability: string;
}

/** A GPU as NVML sees it; null where NVML could not say. */
export interface NvmlDeviceInfo {
  pciBusId: string;
  name: string;
  memoryTotalBytes: number | null;
  /** The power management limit (nvidia-smi's "Power Limit"), as Hugging Face's gpu_power_watts. */
  powerLimitWatts: number | null;
  /** 0 = P0 (highest performance) … 15; 32 = unknown. */
  performanceState: number | null;
  smClockMHz: number | null;
  smClockMaxMHz: number | null;
  memoryClockMHz: number | null;
  memoryClockMaxMHz: number | null;
}

export interface GpuReport {
  /** cudaRuntimeGetVersion (1000 * major + 10 * minor); null in a CPU-only build. */
  cudaRuntimeVersion: number | null;
  /** As cuDNN numbers itself (8902 = 8.9.2, 90100 = 9.1.0); null without cuDNN or CUDA. */
  cudnnVersion: number | null;
  /** Empty in a CPU-only build. */
  cudaDevices: CudaDeviceInfo[];
  nvml: {
    /** Why NVML could not be used (no libnvidia-ml.so.1, init failed); null when it could. */
    reason: string | null;
    driverVersion: string | null;
    /** The newest CUDA the driver supports (1000 * major + 10 * minor). */
    cudaDriverVersion: number | null;
    devices: NvmlDeviceInfo[];
  };
}

/** The BLAS library this process has loaded (libtorch's CPU matrix products run in it), read from the library. */
export interface BlasInfo {
  /** Resolved path of the loaded library; null when none is (a libtorch with its BLAS built in). */
  library: string | null;
  /** 'OpenBLAS', 'MKL', 'BLIS', 'reference' (Debian's netlib BLAS), or null when unknown. */
  vendor: string | null;
  /** How it runs one product's threads: 'openmp' (the OpenMP team libtorch uses too), 'pthreads' (a pool of
   * its own beside libtorch's), 'serial', or null when unknown. */
  threading: 'openmp' | 'pthreads' | 'serial' | null;
  /** The threads it would use for one product, as it reports them (OpenBLAS, MKL); null when it does not say. */
  threads: number | null;
  /** OpenBLAS's build description (version, target CPU, MAX_THREADS); null for others. */
  config: string | null;
}

export interface Binding {
  versions(): Versions;
  blasInfo(): BlasInfo;
  /** The GPU fields of the environment block: CUDA devices and versions (CUDA builds) and NVML's view. */
  gpuInfo(): GpuReport;
  getThreads(): number;
  setThreads(threads: number): void;
  cudaDeviceCount(): number;
  buildModel(spec: NativeModelSpec, options: BuildOptions): Promise<NativeModel>;
  /** The CPU peak-memory measurement applied to a call that allocates and touches `bytes`: a self-check
   * that the reported increase is what the call really needed. */
  measureAllocation(bytes: number): Promise<CpuMemoryPeak>;
  /** Copies a `bytes` buffer (default 256 MiB) into another on `device`: one untimed copy, then `repeats` timed
   * ones (default 9). BAD_INPUT for bytes or repeats < 1 and a malformed device, NO_CUDA for an absent one. */
  measureMemoryBandwidth(options: { device: string; bytes?: number; repeats?: number }): Promise<MemoryBandwidth>;
}

/** Errors thrown by the addon carry one of these codes. */
export type NativeErrorCode = 'OOM' | 'BAD_SPEC' | 'BAD_INPUT' | 'BAD_WEIGHTS' | 'NO_CUDA' | 'TORCH_ERROR';
