// Why not BLAS: OpenBLAS 0.3.21's sgemv over a row-major (out, in) matrix works on several rows at once, i.e.
// several streams per thread at a row's distance from each other, and reached 11-15 GB/s on one thread of the
// project's 2-core VM where reading rows one after another reached 18-22 GB/s (the shapes of GPT-2's LM head and
// of Qwen2.5-0.5B's projections). Summing one row in four independent accumulators keeps the FMAs off the
// critical path; the sums differ from BLAS's only in rounding order (~1e-7 relative).
#include "models/gemv.h"

#include <ATen/Parallel.h>

#include <immintrin.h>

namespace tfbench {
namespace {

#if defined(__x86_64__) || defined(_M_X64)
#define TFBENCH_X86 1

__attribute__((target("avx2,fma"))) inline float horizontal_sum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}

// y[r] = a[r, :] · x (+ bias[r]) for rows [begin, end).
__attribute__((target("avx2,fma"))) void dot_rows(const float* a, const float* x, const float* bias, float* y,
                                                  int64_t in, int64_t begin, int64_t end) {
  for (int64_t r = begin; r < end; ++r) {
    const float* row = a + r * in;
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    int64_t j = 0;
    for (; j + 32 <= in; j += 32) {
      s0 = _mm256_fmadd_ps(_mm256_loadu_ps(row + j), _mm256_loadu_ps(x + j), s0);
      s1 = _mm256_fmadd_ps(_mm256_loadu_ps(row + j + 8), _mm256_loadu_ps(x + j + 8), s1);
      s2 = _mm256_fmadd_ps(_mm256_loadu_ps(row + j + 16), _mm256_loadu_ps(x + j + 16), s2);
      s3 = _mm256_fmadd_ps(_mm256_loadu_ps(row + j + 24), _mm256_loadu_ps(x + j + 24), s3);
    }
    for (; j + 8 <= in; j += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(row + j), _mm256_loadu_ps(x + j), s0);
    float sum = horizontal_sum(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
    for (; j < in; ++j) sum += row[j] * x[j];
    y[r] = bias == nullptr ? sum : sum + bias[r];
  }
}

bool cpu_has_avx2_fma() {
  static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return has;
}
#endif

bool dense_float_cpu(const at::Tensor& t) { return t.is_cpu() && t.scalar_type() == at::kFloat && t.is_contiguous(); }

}  // namespace

at::Tensor streaming_gemv(const at::Tensor& a, const at::Tensor& x, const at::Tensor& bias) {
#ifdef TFBENCH_X86
  if (!cpu_has_avx2_fma() || a.dim() != 2 || x.dim() != 1 || !dense_float_cpu(a) || !dense_float_cpu(x) ||
      x.size(0) != a.size(1) || (bias.defined() && (!dense_float_cpu(bias) || bias.numel() != a.size(0))))
    return at::Tensor();
  const int64_t out = a.size(0), in = a.size(1);
  at::Tensor y = at::empty({out}, x.options());
  const float* a_data = a.data_ptr<float>();
  const float* x_data = x.data_ptr<float>();
  const float* bias_data = bias.defined() ? bias.data_ptr<float>() : nullptr;
  float* y_data = y.data_ptr<float>();
  // A grain of 64 rows: a product smaller than 2 × 64 rows (at least 8 KiB of each per thread) stays on one thread.
  at::parallel_for(0, out, 64, [&](int64_t begin, int64_t end) {
    dot_rows(a_data, x_data, bias_data, y_data, in, begin, end);
  });
  return y;
#else
  (void)a, (void)x, (void)bias;
  return at::Tensor();
#endif
}

}  // namespace tfbench
