// A float32 product of a few rows with a weight on the CPU that reads the weight front to back, once: the
// product a decode step spends its time in (every weight read once per token, so its speed is the memory
// bandwidth it reaches).
#pragma once

#include <ATen/ATen.h>

namespace tfbench {

// The most rows streaming_linear takes. Up to here a BLAS GEMM spends its time packing the weight (a read and a
// write of all of it on every call, with a one-row GEMM at about half the bandwidth of BLAS's own GEMV); past it
// the packing is shared by enough rows to pay.
constexpr int64_t kStreamingLinearMaxRows = 16;

// y = x · weightᵀ (+ bias): x (M, in) with M <= kStreamingLinearMaxRows and unit stride along in, weight (out, in)
// row-major contiguous, bias (out) contiguous or undefined -> y (M, out). Each intra-op thread takes a run of
// consecutive weight rows, i.e. one sequential stream of the matrix, and forms each row's M dot products with
// AVX2 FMAs while the row is in its L1 cache. Returns an undefined tensor when it does not apply (no AVX2 and FMA
// on this CPU, not float32 CPU tensors, other shapes or layouts, or a product autograd must record): the caller
// then uses BLAS.
at::Tensor streaming_linear(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias);

}  // namespace tfbench
