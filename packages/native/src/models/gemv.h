// A float32 matrix-vector product on the CPU that reads its matrix front to back: the product a batch-1 decode
// step spends its time in (every weight read once per token, so its speed is the memory bandwidth it reaches).
#pragma once

#include <ATen/ATen.h>

namespace tfbench {

// y = a · x (+ bias): a (out, in) row-major contiguous, x (in) and bias (out) contiguous or undefined -> y (out).
// Each intra-op thread takes a run of consecutive rows and forms their dot products one row at a time with AVX2
// FMAs, so each thread reads one sequential stream of the matrix. Returns an undefined tensor when it does not
// apply (no AVX2 and FMA on this CPU, not float32 CPU tensors, other layouts): the caller then uses BLAS.
at::Tensor streaming_gemv(const at::Tensor& a, const at::Tensor& x, const at::Tensor& bias);

}  // namespace tfbench
