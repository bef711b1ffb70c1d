// Why not BLAS: OpenBLAS 0.3.21's GEMMs pack the whole weight into a buffer on every call, so with a few rows
// (a decode step at batch 8: sgemm_incopy took 41% of the step's time) each weight is read, written and read
// again; its row-major (out, in) GEMV works on several rows at once, i.e. several streams per thread at a row's
// distance from each other, and reached 11-15 GB/s on one thread of the project's 2-core VM where reading rows
// one after another reached 18-22 GB/s. Each row's sums run in independent accumulators (several per x row when
// there are few), so the FMAs stay off the critical path; the sums differ from BLAS's only in rounding order
// (~1e-7 relative).
#include "models/streaming_linear.h"

#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>

#include <algorithm>
#include <atomic>

#if defined(__x86_64__) || defined(_M_X64)
#define TFBENCH_X86 1
#include <immintrin.h>
#endif

namespace tfbench {
namespace {

#ifdef TFBENCH_X86

__attribute__((target("avx2,fma"))) inline float horizontal_sum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}

// sums[r] = w[:in] · x[r * x_stride :][:in] for R rows of x. U accumulators per row (R · U independent FMA
// chains: at least 4, at most 8 with the weight and x registers, of AVX2's 16).
template <int R>
__attribute__((target("avx2,fma"))) inline void dot_row(const float* w, const float* x, int64_t x_stride, int64_t in,
                                                        float* sums) {
  constexpr int U = R >= 4 ? 1 : 4 / R;
  __m256 acc[U][R];
  for (int u = 0; u < U; ++u)
    for (int r = 0; r < R; ++r) acc[u][r] = _mm256_setzero_ps();
  int64_t j = 0;
  for (; j + 8 * U <= in; j += 8 * U) {
    for (int u = 0; u < U; ++u) {
      const __m256 wv = _mm256_loadu_ps(w + j + 8 * u);
      for (int r = 0; r < R; ++r)
        acc[u][r] = _mm256_fmadd_ps(wv, _mm256_loadu_ps(x + r * x_stride + j + 8 * u), acc[u][r]);
    }
  }
  for (; j + 8 <= in; j += 8) {
    const __m256 wv = _mm256_loadu_ps(w + j);
    for (int r = 0; r < R; ++r) acc[0][r] = _mm256_fmadd_ps(wv, _mm256_loadu_ps(x + r * x_stride + j), acc[0][r]);
  }
  for (int r = 0; r < R; ++r) {
    __m256 total = acc[0][r];
    for (int u = 1; u < U; ++u) total = _mm256_add_ps(total, acc[u][r]);
    float sum = horizontal_sum(total);
    for (int64_t k = j; k < in; ++k) sum += w[k] * x[r * x_stride + k];
    sums[r] = sum;
  }
}

// y[r, o] = w[o, :] · x[r, :] (+ bias[o]) for the R rows of x and weight rows o in [begin, end): the row loop and
// its dot products compiled together for each R, with no call or dispatch per weight row (a per-row switch cost
// ~5-10% of the bandwidth a one-row product reached on the project's VM when its memory ran fast).
template <int R>
__attribute__((target("avx2,fma"))) void product_rows_of(const float* w, const float* x, int64_t x_stride,
                                                         const float* bias, float* y, int64_t in, int64_t out,
                                                         int64_t begin, int64_t end) {
  float sums[R];
  for (int64_t o = begin; o < end; ++o) {
    dot_row<R>(w + o * in, x, x_stride, in, sums);
    for (int r = 0; r < R; ++r) y[r * out + o] = bias == nullptr ? sums[r] : sums[r] + bias[o];
  }
}

// y[m, o] for every m < M and weight rows o in [begin, end): the rows of x in groups of up to 8, each group's
// dot products formed while a weight row is in L1.
__attribute__((target("avx2,fma"))) void product_rows(const float* w, const float* x, int64_t x_stride,
                                                      const float* bias, float* y, int64_t M, int64_t in,
                                                      int64_t out, int64_t begin, int64_t end) {
  for (int64_t m = 0; m < M; m += 8) {
    const float* xm = x + m * x_stride;
    float* ym = y + m * out;
    switch (std::min<int64_t>(8, M - m)) {
      case 1: product_rows_of<1>(w, xm, x_stride, bias, ym, in, out, begin, end); break;
      case 2: product_rows_of<2>(w, xm, x_stride, bias, ym, in, out, begin, end); break;
      case 3: product_rows_of<3>(w, xm, x_stride, bias, ym, in, out, begin, end); break;
      case 4: product_rows_of<4>(w, xm, x_stride, bias, ym, in, out, begin, end); break;
      case 5: product_rows_of<5>(w, xm, x_stride, bias, ym, in, out, begin, end); break;
      case 6: product_rows_of<6>(w, xm, x_stride, bias, ym, in, out, begin, end); break;
      case 7: product_rows_of<7>(w, xm, x_stride, bias, ym, in, out, begin, end); break;
      default: product_rows_of<8>(w, xm, x_stride, bias, ym, in, out, begin, end); break;
    }
  }
}

bool cpu_has_avx2_fma() {
  static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return has;
}
#endif

bool float_cpu(const at::Tensor& t) { return t.is_cpu() && t.scalar_type() == at::kFloat; }

// The kernel records no autograd graph: only for products no gradient flows through.
bool needs_graph(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) {
  return at::GradMode::is_enabled() &&
         (x.requires_grad() || weight.requires_grad() || (bias.defined() && bias.requires_grad()));
}

}  // namespace

at::Tensor streaming_linear(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) {
#ifdef TFBENCH_X86
  if (!cpu_has_avx2_fma() || needs_graph(x, weight, bias) || x.dim() != 2 || weight.dim() != 2 || !float_cpu(x) ||
      !float_cpu(weight) || !weight.is_contiguous() || x.size(0) < 1 || x.size(0) > kStreamingLinearMaxRows ||
      x.size(1) != weight.size(1) || (x.size(1) > 1 && x.stride(1) != 1) ||
      (bias.defined() && (!float_cpu(bias) || !bias.is_contiguous() || bias.numel() != weight.size(0))))
    return at::Tensor();
  const int64_t M = x.size(0), in = weight.size(1), out = weight.size(0);
  at::Tensor y = at::empty({M, out}, x.options());
  const float* w_data = weight.data_ptr<float>();
  const float* x_data = x.data_ptr<float>();
  const float* bias_data = bias.defined() ? bias.data_ptr<float>() : nullptr;
  float* y_data = y.data_ptr<float>();
  const int64_t x_stride = x.stride(0);
  // The rows go out in chunks of about 256 KiB of weights, each thread taking the next chunk when done with one:
  // a thread that joins the parallel region late (woken from sleep) takes fewer, instead of the others waiting
  // for its fixed half at the region's end. Products under two chunks stay on the calling thread.
  const int64_t chunk_rows = std::max<int64_t>(1, (int64_t{256} << 10) / (in * static_cast<int64_t>(sizeof(float))));
  const int64_t chunks = (out + chunk_rows - 1) / chunk_rows;
  std::atomic<int64_t> next_chunk{0};
  at::parallel_for(0, chunks, 2, [&](int64_t, int64_t) {
    for (int64_t c = next_chunk.fetch_add(1); c < chunks; c = next_chunk.fetch_add(1)) {
      const int64_t begin = c * chunk_rows;
      product_rows(w_data, x_data, x_stride, bias_data, y_data, M, in, out, begin, std::min(out, begin + chunk_rows));
    }
  });
  return y;
#else
  (void)x, (void)weight, (void)bias;
  return at::Tensor();
#endif
}

}  // namespace tfbench
