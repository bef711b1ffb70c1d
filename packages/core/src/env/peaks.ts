// Dense peak throughput of GPUs per dtype, for model FLOPs utilisation (MFU = achieved / peak).
// Figures are NVIDIA's datasheet numbers without structured sparsity, in TFLOP/s. float32 is the plain FP32
// (CUDA-core) rate, not TF32: PyTorch runs float32 matmuls in full FP32 unless TF32 is switched on.
// CPUs have no entry: their peak depends on clocks and vector units no datasheet in reach states.

export interface PeakEntry {
  /** The name as datasheets give it. */
  name: string;
  /** Tested against the device name the driver reports ("NVIDIA H100 80GB HBM3", "NVIDIA A100-SXM4-40GB"). */
  match: RegExp;
  float32: number;
  float16: number;
  /** null: the GPU has no bfloat16 tensor cores. */
  bfloat16: number | null;
}

/** Most specific first: "H100 PCIe" and "H100 NVL" before any other H100 (SXM). */
export const GPU_PEAK_TFLOPS: readonly PeakEntry[] = [
  { name: 'H200', match: /\bH200\b/i, float32: 67, float16: 989.4, bfloat16: 989.4 },
  { name: 'H100 NVL', match: /\bH100\b.*\bNVL\b/i, float32: 60, float16: 835.5, bfloat16: 835.5 },
  { name: 'H100 PCIe', match: /\bH100\b.*\bPCIe\b/i, float32: 51, float16: 756.5, bfloat16: 756.5 },
  { name: 'H100 SXM', match: /\bH100\b/i, float32: 67, float16: 989.4, bfloat16: 989.4 },
  { name: 'GH200', match: /\bGH200\b/i, float32: 67, float16: 989.4, bfloat16: 989.4 },
  { name: 'A100', match: /\bA100\b/i, float32: 19.5, float16: 312, bfloat16: 312 },
  { name: 'A10', match: /\bA10\b(?!0)/i, float32: 31.2, float16: 125, bfloat16: 125 },
  { name: 'L40S', match: /\bL40S\b/i, float32: 91.6, float16: 362.1, bfloat16: 362.1 },
  { name: 'L4', match: /\bL4\b/i, float32: 30.3, float16: 121, bfloat16: 121 },
  { name: 'V100', match: /\bV100\b/i, float32: 15.7, float16: 125, bfloat16: null },
  { name: 'T4', match: /\bT4\b/i, float32: 8.1, float16: 65, bfloat16: null },
];

export type PeakDType = 'float32' | 'float16' | 'bfloat16';

export interface Peak {
  tflops: number;
  /** Where the figure comes from: the table row, or the user's override. */
  source: string;
}

/** The dense peak for this device and dtype: `override` (args.peakTflops) when given, else the table's row
 * for a CUDA device whose name matches; null for CPUs and unknown GPUs. */
export function devicePeak(device: string, gpuName: string | undefined, dtype: PeakDType, override: number | null): Peak | null {
  if (override !== null) return { tflops: override, source: 'peakTflops' };
  if (!device.startsWith('cuda') || gpuName === undefined) return null;
  const entry = GPU_PEAK_TFLOPS.find((e) => e.match.test(gpuName));
  const tflops = entry?.[dtype];
  if (entry === undefined || tflops === null || tflops === undefined) return null;
  return { tflops, source: `${entry.name} ${dtype} dense peak (datasheet)` };
}
