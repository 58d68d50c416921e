// The two variants of the dense kernels; see dense_simd.hpp.
//
// This file is compiled with -fno-math-errno (CMake): std::sqrt then is the
// IEEE square root instruction, which GCC vectorises; nothing here reads
// errno.
#include "kernels/dense_simd.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>

#include "asyncopt/error.hpp"

namespace asyncopt::kernels {
namespace {

#define ASYNCOPT_INLINE [[gnu::always_inline]] inline

ASYNCOPT_INLINE void RowCombinationBody(const double* __restrict W, std::size_t stride,
                                        const std::int32_t* __restrict index, const double* __restrict value,
                                        std::int32_t nnz, double* __restrict z, std::size_t n) {
  // Four rows per pass over z: z is loaded and stored a quarter as often,
  // and every z[h] still adds its terms one at a time in row order (the
  // bits of the one-row loop).
  std::int32_t k = 0;
  for (; k + 4 <= nnz; k += 4) {
    const double* __restrict r0 = W + static_cast<std::size_t>(index[k]) * stride;
    const double* __restrict r1 = W + static_cast<std::size_t>(index[k + 1]) * stride;
    const double* __restrict r2 = W + static_cast<std::size_t>(index[k + 2]) * stride;
    const double* __restrict r3 = W + static_cast<std::size_t>(index[k + 3]) * stride;
    const double x0 = value[k], x1 = value[k + 1], x2 = value[k + 2], x3 = value[k + 3];
    for (std::size_t h = 0; h < n; ++h) {
      double t = z[h];
      t += x0 * r0[h];
      t += x1 * r1[h];
      t += x2 * r2[h];
      t += x3 * r3[h];
      z[h] = t;
    }
  }
  for (; k < nnz; ++k) {
    const double* __restrict row = W + static_cast<std::size_t>(index[k]) * stride;
    const double x = value[k];
    for (std::size_t h = 0; h < n; ++h) z[h] += x * row[h];
  }
}

ASYNCOPT_INLINE void RowScatterBody(double* __restrict G, std::size_t stride, const std::int32_t* __restrict index,
                                    const double* __restrict value, std::int32_t nnz, const double* __restrict a,
                                    std::size_t n) {
  for (std::int32_t k = 0; k < nnz; ++k) {
    double* __restrict row = G + static_cast<std::size_t>(index[k]) * stride;
    const double x = value[k];
    for (std::size_t h = 0; h < n; ++h) row[h] += x * a[h];
  }
}

// amsgrad.hpp's formulas, operation for operation.
ASYNCOPT_INLINE std::size_t AmsGradBody(const AmsGradStepArgs& c, double* __restrict theta, double* __restrict m,
                                 double* __restrict v, double* __restrict v_hat, const double* __restrict g,
                                 std::size_t n) {
  const double b1 = c.beta1, b2 = c.beta2, one_b1 = 1.0 - c.beta1, one_b2 = 1.0 - c.beta2;
  const double eps = c.epsilon, eta = c.eta, scale = c.scale;
  std::size_t bad = 0;
  for (std::size_t j = 0; j < n; ++j) {
    const double gj = scale * g[j];
    const double mj = b1 * m[j] + one_b1 * gj;
    const double vj = b2 * v[j] + one_b2 * gj * gj;
    const double hj = v_hat[j] < vj ? vj : v_hat[j];
    m[j] = mj;
    v[j] = vj;
    v_hat[j] = hj;
    const double x = theta[j] - eta * mj / (std::sqrt(hj) + eps);
    theta[j] = x;
    bad += !(std::fabs(x) <= std::numeric_limits<double>::max());  // NaN or infinite
  }
  return bad;
}

// y = c x when kWrite; the sum of squares in eight lanes either way.
template <bool kWrite>
ASYNCOPT_INLINE double ScaleAndSquaresBody(const double* __restrict x, double c, double* __restrict y,
                                           std::size_t n) {
  double lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int l = 0; l < 8; ++l) {
      const double v = x[i + l];
      if constexpr (kWrite) y[i + l] = c * v;
      lane[l] += v * v;
    }
  }
  for (int l = 0; i < n; ++i, ++l) {
    if constexpr (kWrite) y[i] = c * x[i];
    lane[l] += x[i] * x[i];
  }
  double sum = 0.0;
  for (const double v : lane) sum += v;
  return sum;
}

void RowCombinationBase(const double* W, std::size_t stride, const std::int32_t* index, const double* value,
                        std::int32_t nnz, double* z, std::size_t n) {
  RowCombinationBody(W, stride, index, value, nnz, z, n);
}
void RowScatterBase(double* G, std::size_t stride, const std::int32_t* index, const double* value,
                    std::int32_t nnz, const double* a, std::size_t n) {
  RowScatterBody(G, stride, index, value, nnz, a, n);
}
std::size_t AmsGradBase(const AmsGradStepArgs& c, double* theta, double* m, double* v, double* v_hat,
                        const double* g, std::size_t n) {
  return AmsGradBody(c, theta, m, v, v_hat, g, n);
}
double ScaleAndSquaresBase(const double* x, double c, double* y, std::size_t n) {
  return ScaleAndSquaresBody<true>(x, c, y, n);
}
double SquaresBase(const double* x, std::size_t n) { return ScaleAndSquaresBody<false>(x, 0.0, nullptr, n); }

#if defined(__x86_64__) && defined(__GNUC__)
#define ASYNCOPT_HAVE_AVX2_VARIANT 1
[[gnu::target("avx2,fma")]] void RowCombinationAvx2(const double* W, std::size_t stride,
                                                    const std::int32_t* index, const double* value,
                                                    std::int32_t nnz, double* z, std::size_t n) {
  RowCombinationBody(W, stride, index, value, nnz, z, n);
}
[[gnu::target("avx2,fma")]] void RowScatterAvx2(double* G, std::size_t stride, const std::int32_t* index,
                                                const double* value, std::int32_t nnz, const double* a,
                                                std::size_t n) {
  RowScatterBody(G, stride, index, value, nnz, a, n);
}
// No FMA in these two: the same bits as the baseline.
[[gnu::target("avx2")]] std::size_t AmsGradAvx2(const AmsGradStepArgs& c, double* theta, double* m, double* v,
                                                double* v_hat, const double* g, std::size_t n) {
  return AmsGradBody(c, theta, m, v, v_hat, g, n);
}
[[gnu::target("avx2")]] double ScaleAndSquaresAvx2(const double* x, double c, double* y, std::size_t n) {
  return ScaleAndSquaresBody<true>(x, c, y, n);
}
[[gnu::target("avx2")]] double SquaresAvx2(const double* x, std::size_t n) {
  return ScaleAndSquaresBody<false>(x, 0.0, nullptr, n);
}
#endif

constexpr DenseKernels kBaseline{&RowCombinationBase, &RowScatterBase, &AmsGradBase, &ScaleAndSquaresBase, &SquaresBase, "baseline"};
#ifdef ASYNCOPT_HAVE_AVX2_VARIANT
constexpr DenseKernels kAvx2{&RowCombinationAvx2, &RowScatterAvx2, &AmsGradAvx2, &ScaleAndSquaresAvx2, &SquaresAvx2, "avx2+fma"};
#endif

bool CpuHasAvx2() {
#ifdef ASYNCOPT_HAVE_AVX2_VARIANT
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}

}  // namespace

const DenseKernels& DenseBaseline() { return kBaseline; }

const DenseKernels* DenseAvx2() {
#ifdef ASYNCOPT_HAVE_AVX2_VARIANT
  static const bool has = CpuHasAvx2();
  return has ? &kAvx2 : nullptr;
#else
  return nullptr;
#endif
}

const DenseKernels& Dense() {
  static const DenseKernels& chosen = [] () -> const DenseKernels& {
    const char* force = std::getenv("ASYNCOPT_ISA");
    if (force != nullptr && *force != '\0' && std::strcmp(force, "auto") != 0) {
      if (std::strcmp(force, "baseline") == 0) return kBaseline;
      throw Error(ErrorKind::kInvalidOption, "ASYNCOPT_ISA=" + std::string(force) +
                                                 " in the environment: not an instruction set asyncopt "
                                                 "knows (auto, baseline)");
    }
    const DenseKernels* avx2 = DenseAvx2();
    return avx2 != nullptr ? *avx2 : kBaseline;
  }();
  return chosen;
}

}  // namespace asyncopt::kernels
