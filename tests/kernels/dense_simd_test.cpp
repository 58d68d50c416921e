// The dense kernels' two variants (kernels/dense_simd.hpp): the baseline
// computes exactly the plain loops it replaces; the AVX2 variant (run where
// the CPU has it) gives AMSGrad and the sums of squares with the same bits,
// and the row kernels within rounding of a fused multiply-add; AMSGrad
// counts non-finite results.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "kernels/dense_simd.hpp"

namespace asyncopt::kernels {
namespace {

std::vector<double> Random(std::mt19937_64& gen, std::size_t n, double lo = -1.0, double hi = 1.0) {
  std::uniform_real_distribution<double> u(lo, hi);
  std::vector<double> v(n);
  for (double& x : v) x = u(gen);
  return v;
}

// Both variants where the CPU has AVX2 and FMA, else the baseline alone.
std::vector<const DenseKernels*> Variants() {
  std::vector<const DenseKernels*> v{&DenseBaseline()};
  if (DenseAvx2() != nullptr) v.push_back(DenseAvx2());
  return v;
}

struct SparseRows {
  std::vector<std::int32_t> index;
  std::vector<double> value;
};

SparseRows SomeRows(std::mt19937_64& gen, std::int32_t d, std::int32_t nnz) {
  SparseRows r;
  std::vector<std::int32_t> all(static_cast<std::size_t>(d));
  for (std::int32_t j = 0; j < d; ++j) all[static_cast<std::size_t>(j)] = j;
  std::shuffle(all.begin(), all.end(), gen);
  r.index.assign(all.begin(), all.begin() + nnz);
  std::sort(r.index.begin(), r.index.end());
  r.value = Random(gen, static_cast<std::size_t>(nnz));
  return r;
}

// Odd widths and offsets: the vector loops' remainders and unaligned starts.
TEST(DenseKernels, RowKernelsAreThePlainLoops) {
  std::mt19937_64 gen(3);
  const std::int32_t d = 40;
  for (const std::size_t stride : {std::size_t{1}, std::size_t{7}, std::size_t{100}, std::size_t{131}}) {
    const std::vector<double> W = Random(gen, static_cast<std::size_t>(d) * stride);
    const SparseRows row = SomeRows(gen, d, 13);
    const std::vector<double> a = Random(gen, stride);
    for (const std::size_t offset : {std::size_t{0}, stride / 3}) {
      const std::size_t n = stride - offset;
      const std::vector<double> start = Random(gen, n);
      std::vector<double> plain_z = start, plain_g = W;
      for (std::size_t k = 0; k < row.index.size(); ++k) {
        const std::size_t base = static_cast<std::size_t>(row.index[k]) * stride + offset;
        for (std::size_t h = 0; h < n; ++h) {
          plain_z[h] += row.value[k] * W[base + h];
          plain_g[base + h] += row.value[k] * a[h];
        }
      }
      for (const DenseKernels* kern : Variants()) {
        std::vector<double> z = start, g = W;
        kern->row_combination(W.data() + offset, stride, row.index.data(), row.value.data(),
                              static_cast<std::int32_t>(row.index.size()), z.data(), n);
        kern->row_scatter(g.data() + offset, stride, row.index.data(), row.value.data(),
                          static_cast<std::int32_t>(row.index.size()), a.data(), n);
        const bool exact = kern == &DenseBaseline();
        for (std::size_t h = 0; h < n; ++h) {
          if (exact) {
            ASSERT_EQ(z[h], plain_z[h]) << kern->isa << " stride " << stride << " h " << h;
          } else {
            ASSERT_NEAR(z[h], plain_z[h], 1e-13) << kern->isa << " stride " << stride << " h " << h;
          }
        }
        for (std::size_t q = 0; q < g.size(); ++q) {
          if (exact) {
            ASSERT_EQ(g[q], plain_g[q]) << kern->isa << " stride " << stride << " q " << q;
          } else {
            ASSERT_NEAR(g[q], plain_g[q], 1e-13) << kern->isa << " stride " << stride << " q " << q;
          }
        }
        // Columns outside [offset, stride) of every row are untouched.
        for (std::size_t j = 0; j < static_cast<std::size_t>(d); ++j) {
          for (std::size_t h = 0; h < offset; ++h) ASSERT_EQ(g[j * stride + h], W[j * stride + h]);
        }
      }
    }
  }
}

TEST(DenseKernels, AmsGradIsTheFormulasBitForBitInBothVariants) {
  std::mt19937_64 gen(11);
  const AmsGradStepArgs c{0.9, 0.999, 1e-8, 1e-3, 0.25};
  for (const std::size_t n : {std::size_t{1}, std::size_t{5}, std::size_t{67}, std::size_t{1000}}) {
    const std::vector<double> theta0 = Random(gen, n), g = Random(gen, n, -3, 3);
    const std::vector<double> m0 = Random(gen, n), v0 = Random(gen, n, 0, 2), h0 = Random(gen, n, 0, 2);
    std::vector<double> want = theta0, wm = m0, wv = v0, wh = h0;
    for (std::size_t j = 0; j < n; ++j) {
      const double gj = c.scale * g[j];
      wm[j] = c.beta1 * wm[j] + (1.0 - c.beta1) * gj;
      wv[j] = c.beta2 * wv[j] + (1.0 - c.beta2) * gj * gj;
      wh[j] = std::max(wh[j], wv[j]);
      want[j] -= c.eta * wm[j] / (std::sqrt(wh[j]) + c.epsilon);
    }
    for (const DenseKernels* kern : Variants()) {
      std::vector<double> theta = theta0, m = m0, v = v0, h = h0;
      EXPECT_EQ(kern->amsgrad_step(c, theta.data(), m.data(), v.data(), h.data(), g.data(), n), 0u);
      EXPECT_EQ(theta, want) << kern->isa << " n " << n;
      EXPECT_EQ(m, wm) << kern->isa;
      EXPECT_EQ(v, wv) << kern->isa;
      EXPECT_EQ(h, wh) << kern->isa;
    }
  }
}

TEST(DenseKernels, AmsGradCountsTheCoordinatesThatAreNoLongerFinite) {
  const AmsGradStepArgs c{0.9, 0.999, 1e-8, 1e-3, 1.0};
  const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
  for (const DenseKernels* kern : Variants()) {
    std::vector<double> theta = {0, 1, 2, 3, 4, 5, 6, 7, 8}, m(9, 0.0), v(9, 0.0), h(9, 0.0);
    const std::vector<double> g = {1, nan, 1, 1, inf, 1, 1, 1, -inf};
    EXPECT_EQ(kern->amsgrad_step(c, theta.data(), m.data(), v.data(), h.data(), g.data(), 9), 3u) << kern->isa;
    EXPECT_TRUE(std::isfinite(theta[0]) && std::isfinite(theta[8 - 1]));
    EXPECT_FALSE(std::isfinite(theta[1]));
  }
}

TEST(DenseKernels, ScaleAndSquaresAddsEightLanesInOrderInBothVariants) {
  std::mt19937_64 gen(5);
  for (const std::size_t n : {std::size_t{0}, std::size_t{3}, std::size_t{8}, std::size_t{29}, std::size_t{4096}}) {
    const std::vector<double> x = Random(gen, n, -10, 10);
    double lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (std::size_t i = 0; i < n; ++i) lane[i % 8] += x[i] * x[i];
    double want = 0.0;
    for (const double l : lane) want += l;
    for (const DenseKernels* kern : Variants()) {
      std::vector<double> y(n, -1.0);
      EXPECT_EQ(kern->scale_and_squares(x.data(), 0.5, y.data(), n), want) << kern->isa << " n " << n;
      EXPECT_EQ(kern->squares(x.data(), n), want) << kern->isa << " n " << n;
      for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(y[i], 0.5 * x[i]);
    }
  }
}

// /proc/cpuinfo's flags of the first CPU ("" where there is none).
std::string CpuFlags() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("flags", 0) == 0) return line + " ";
  }
  return "";
}

// The AVX2 variant exists exactly where the CPU says it has AVX2 and FMA,
// and (with ASYNCOPT_ISA unset, as under ctest) it is the one chosen.
TEST(DenseKernels, TheCpusVariantIsFoundAndChosen) {
  const std::string flags = CpuFlags();
  if (flags.empty()) GTEST_SKIP() << "no /proc/cpuinfo flags to compare with";
  const bool has = flags.find(" avx2 ") != std::string::npos && flags.find(" fma ") != std::string::npos;
  EXPECT_EQ(DenseAvx2() != nullptr, has) << flags;
  const char* forced = std::getenv("ASYNCOPT_ISA");
  if (forced != nullptr && *forced != '\0') GTEST_SKIP() << "ASYNCOPT_ISA=" << forced << " is set";
  EXPECT_EQ(&Dense(), has ? DenseAvx2() : &DenseBaseline()) << Dense().isa;
  if (!has) GTEST_SKIP() << "this CPU has no AVX2 with FMA: only the baseline variant was tested";
}

}  // namespace
}  // namespace asyncopt::kernels
