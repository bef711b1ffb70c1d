// Results are data: one flat list of cell records. Units are in the field names; MiB appear only when rendered.
import type { SampleSummary } from '../stats/summary.js';

export type Mode = 'inference' | 'training';
/** ok: measured. oom: out of memory (the backend's OOM, or the worker killed by SIGKILL). error: any other failure
 * (a crash, an exception). timeout: an isolated cell stopped after cellTimeoutS. skipped: not run because a
 * smaller cell of the same model and mode ran out of memory. */
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
  /** Seconds per call; null when speed was not measured or the cell failed. */
  timeSeconds: TimeRecord | null;
  /** Training: the call split into forward (with the loss), backward and optimizer step (null without one). */
  phasesSeconds: { forward: PhaseRecord; backward: PhaseRecord; optimizer: PhaseRecord | null } | null;
  throughput: { samplesPerSecond: number; tokensPerSecond: number } | null;
  /** CPU cells: the process's resident memory around the measured call. */
  memory: CpuMemoryRecord | null;
  /** CUDA cells: the caching allocator's peaks and NVML's device memory around the measured call. */
  gpuMemory: GpuMemoryRecord | null;
  /** CUDA cells: host wall time per timed call (timeSeconds are GPU times from CUDA events); the gap between
   * the two medians is launch overhead. */
  hostSeconds: { median: number; samples: number[] } | null;
  /** breakdown: true: one more call, module by module (see ModuleRecord); null otherwise. */
  breakdown: ModuleRecord[] | null;
  /** Seconds spent building the model (allocation + random init or weight loading). */
  buildSeconds: number | null;
  /** Matrix-multiply FLOPs of one call, and the rate the median call achieved. MFU (achieved / the device's
   * dense peak for the dtype, peakTflops, from peakSource: tfbench's GPU table or the peakTflops argument) is
   * null where the peak is not known (CPUs, unlisted GPUs). */
  efficiency: {
    flopsPerCall: number;
    tflopsPerSecond: number | null;
    mfu: number | null;
    peakTflops: number | null;
    peakSource: string | null;
  };
  /** What a reader should know about the figures (few samples, wide CI, high spread, a change of speed mid-measurement, why skipped). */
  warnings: string[];
}
