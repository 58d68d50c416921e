// Tests of the hot-path vocabulary: loss policies, sparse row operations and
// proximal operators.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "asyncopt/error.hpp"
#include "kernels/losses.hpp"
#include "kernels/prox.hpp"
#include "kernels/sparse_ops.hpp"

namespace asyncopt {
namespace {

using kernels::HingeLoss;
using kernels::LogisticLoss;
using kernels::SquaredHingeLoss;
using kernels::SquaredLoss;

// Margins on a grid from -40 to 40 plus a few extreme ones; `kink` points
// (y z == 1) are skipped where a loss is not differentiable.
std::vector<double> GridMargins() {
  std::vector<double> z;
  for (int k = -400; k <= 400; ++k) z.push_back(0.1 * k + 0.0371);
  return z;
}

template <class L>
void CheckDerivativeByFiniteDifferences(bool check_curvature) {
  const double h = 1e-6;
  for (const double y : {-1.0, 1.0}) {
    for (const double z : GridMargins()) {
      if (std::fabs(1.0 - y * z) < 1e-3) continue;  // kink of (squared) hinge
      const double fd = (L::Value(y, z + h) - L::Value(y, z - h)) / (2 * h);
      const double scale = std::max(1.0, std::fabs(fd));
      EXPECT_NEAR(L::Derivative(y, z), fd, 1e-6 * scale) << "y=" << y << " z=" << z;
      if (check_curvature) {
        const double fd2 = (L::Derivative(y, z + h) - L::Derivative(y, z - h)) / (2 * h);
        EXPECT_NEAR(L::Curvature(y, z), fd2, 1e-6 * std::max(1.0, std::fabs(fd2)))
            << "y=" << y << " z=" << z;
      }
    }
  }
}

TEST(Losses, LogisticDerivativesMatchFiniteDifferences) {
  CheckDerivativeByFiniteDifferences<LogisticLoss>(true);
}
TEST(Losses, HingeSubgradientMatchesFiniteDifferencesAwayFromKink) {
  CheckDerivativeByFiniteDifferences<HingeLoss>(true);
}
TEST(Losses, SquaredHingeDerivativesMatchFiniteDifferences) {
  CheckDerivativeByFiniteDifferences<SquaredHingeLoss>(true);
}
TEST(Losses, SquaredDerivativesMatchFiniteDifferences) {
  CheckDerivativeByFiniteDifferences<SquaredLoss>(true);
}

TEST(Losses, LogisticMatchesNaiveFormulaWhereThatIsSafe) {
  for (const double y : {-1.0, 1.0}) {
    for (double z = -30.0; z <= 30.0; z += 0.37) {
      const double naive = std::log(1.0 + std::exp(-y * z));
      EXPECT_NEAR(LogisticLoss::Value(y, z), naive, 1e-14 * std::max(1.0, naive));
      const double naive_d = -y / (1.0 + std::exp(y * z));
      EXPECT_NEAR(LogisticLoss::Derivative(y, z), naive_d, 1e-15);
      const double s = 1.0 / (1.0 + std::exp(-z));
      EXPECT_NEAR(LogisticLoss::Curvature(y, z), s * (1.0 - s), 1e-15);
    }
  }
}

TEST(Losses, LogisticIsStableAtExtremeMargins) {
  for (const double z : {1e300, -1e300, 1e30, -1e30, 800.0, -800.0,
                         std::numeric_limits<double>::max(), -std::numeric_limits<double>::max()}) {
    for (const double y : {-1.0, 1.0}) {
      const double v = LogisticLoss::Value(y, z);
      const double d = LogisticLoss::Derivative(y, z);
      const double c = LogisticLoss::Curvature(y, z);
      EXPECT_TRUE(std::isfinite(v) && std::isfinite(d) && std::isfinite(c)) << z;
      EXPECT_GE(v, 0.0);
      EXPECT_LE(std::fabs(d), 1.0);
      EXPECT_GE(c, 0.0);
      EXPECT_LE(c, 0.25);
    }
  }
  // Badly classified: loss ~ -yz, derivative -y; well classified: ~0.
  EXPECT_DOUBLE_EQ(LogisticLoss::Value(1.0, -1e300), 1e300);
  EXPECT_DOUBLE_EQ(LogisticLoss::Value(-1.0, 1e300), 1e300);
  EXPECT_EQ(LogisticLoss::Value(1.0, 1e300), 0.0);
  EXPECT_EQ(LogisticLoss::Derivative(1.0, -1e300), -1.0);
  EXPECT_EQ(LogisticLoss::Derivative(-1.0, 1e300), 1.0);
  EXPECT_EQ(LogisticLoss::Derivative(1.0, 1e300), -0.0);
  EXPECT_EQ(LogisticLoss::Curvature(1.0, 1e300), 0.0);
  EXPECT_DOUBLE_EQ(LogisticLoss::Value(1.0, -800.0), 800.0);
  // Infinite margins do not produce NaN either.
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(LogisticLoss::Value(1.0, inf), 0.0);
  EXPECT_EQ(LogisticLoss::Value(1.0, -inf), inf);
  EXPECT_FALSE(std::isnan(LogisticLoss::Derivative(1.0, -inf)));
  EXPECT_FALSE(std::isnan(LogisticLoss::Curvature(1.0, inf)));
}

TEST(Losses, SquaredHingeCurvatureIsTwoOnActiveSetOnly) {
  EXPECT_EQ(SquaredHingeLoss::Curvature(1.0, 0.5), 2.0);
  EXPECT_EQ(SquaredHingeLoss::Curvature(-1.0, -0.5), 2.0);
  EXPECT_EQ(SquaredHingeLoss::Curvature(1.0, 1.5), 0.0);
  EXPECT_EQ(SquaredHingeLoss::Curvature(-1.0, 3.0), 2.0);
  EXPECT_EQ(HingeLoss::Derivative(1.0, 2.0), 0.0);
  EXPECT_EQ(HingeLoss::Derivative(-1.0, 0.0), 1.0);
}

// Fenchel-Young: phi*(u) >= u z - phi(z) for all z, with equality at the z
// where u = phi'(z). Checked on a grid against every policy's Conjugate.
template <class L>
void CheckConjugate() {
  for (const double y : {-1.0, 1.0}) {
    for (const double z0 : GridMargins()) {
      if (std::fabs(z0) > 20.0) continue;
      const double u = L::Derivative(y, z0);
      const double conj = L::Conjugate(y, u);
      ASSERT_TRUE(std::isfinite(conj)) << "y=" << y << " z0=" << z0;
      // Equality at z0 (hinge: any z0 off the kink attains the sup).
      EXPECT_NEAR(conj, u * z0 - L::Value(y, z0), 1e-12 * std::max(1.0, std::fabs(conj)));
      for (double z = -25.0; z <= 25.0; z += 0.173) {
        EXPECT_GE(conj, u * z - L::Value(y, z) - 1e-12 * std::max(1.0, std::fabs(conj)));
      }
    }
  }
}

TEST(Losses, ConjugatesSatisfyFenchelYoung) {
  CheckConjugate<LogisticLoss>();
  CheckConjugate<HingeLoss>();
  CheckConjugate<SquaredHingeLoss>();
  CheckConjugate<SquaredLoss>();
  EXPECT_TRUE(std::isinf(LogisticLoss::Conjugate(1.0, 0.5)));  // a = -0.5 < 0
  EXPECT_TRUE(std::isinf(HingeLoss::Conjugate(1.0, -1.5)));    // a = 1.5 > 1
  EXPECT_TRUE(std::isinf(SquaredHingeLoss::Conjugate(-1.0, -0.1)));
}

TEST(Losses, DispatchPicksThePolicyOfEachLoss) {
  for (const Loss loss : {Loss::kLogistic, Loss::kHinge, Loss::kSquaredHinge, Loss::kSquared}) {
    EXPECT_EQ(kernels::DispatchLoss(loss, [](auto l) { return decltype(l)::kLoss; }), loss);
  }
  EXPECT_THROW(kernels::DispatchLoss(static_cast<Loss>(99), [](auto) { return 0; }), Error);
}

TEST(SparseOps, MatchDenseComputation) {
  std::mt19937_64 gen(7);
  std::normal_distribution<double> normal;
  const std::vector<std::int32_t> index = {0, 3, 4, 9};
  const std::vector<double> value = {1.5, -2.0, 0.25, 3.0};
  const SparseRow row{index.data(), value.data(), 4};
  std::vector<double> dense_row(10, 0.0), w(10);
  for (std::size_t k = 0; k < index.size(); ++k) dense_row[index[k]] = value[k];
  for (double& v : w) v = normal(gen);
  double dot = 0.0, sq = 0.0;
  for (int j = 0; j < 10; ++j) {
    dot += dense_row[j] * w[j];
    sq += dense_row[j] * dense_row[j];
  }
  EXPECT_NEAR(kernels::Dot(row, w), dot, 1e-14);
  EXPECT_NEAR(kernels::Dot(row, w.data()), dot, 1e-14);
  EXPECT_DOUBLE_EQ(kernels::SquaredNorm(row), sq);
  std::vector<double> w2 = w;
  kernels::Axpy(-0.5, row, w2);
  for (int j = 0; j < 10; ++j) EXPECT_DOUBLE_EQ(w2[j], w[j] - 0.5 * dense_row[j]);
  const SparseRow empty{};
  EXPECT_EQ(kernels::Dot(empty, w), 0.0);
  EXPECT_EQ(kernels::SquaredNorm(empty), 0.0);
}

// Dot4 sums in four interleaved partial sums: for every row length (the
// tails 0-3 included) it must equal that order of summation exactly, agree
// with the dense dot to rounding, and hand every value it reads to `keep`.
TEST(SparseOps, Dot4SumsFourInterleavedPartialsAndReportsEveryRead) {
  std::mt19937_64 gen(11);
  std::normal_distribution<double> normal;
  std::vector<double> w(40);
  for (double& v : w) v = normal(gen);
  for (std::int32_t n = 0; n <= 11; ++n) {
    std::vector<std::int32_t> index;
    std::vector<double> value;
    for (std::int32_t k = 0; k < n; ++k) {
      index.push_back(3 * k + 1);
      value.push_back(normal(gen));
    }
    const SparseRow row{index.data(), value.data(), n};
    double part[4] = {0.0, 0.0, 0.0, 0.0};
    const std::int32_t body = n - n % 4;
    for (std::int32_t k = 0; k < body; ++k) part[k % 4] += value[k] * w[index[k]];
    for (std::int32_t k = body; k < n; ++k) part[0] += value[k] * w[index[k]];
    const double expected = (part[0] + part[1]) + (part[2] + part[3]);
    EXPECT_EQ(kernels::Dot4(row, w), expected) << "n = " << n;
    EXPECT_NEAR(kernels::Dot4(row, w), kernels::Dot(row, w), 1e-13) << "n = " << n;
    std::vector<double> kept(static_cast<std::size_t>(n), -1.0);
    const double z = kernels::Dot4Read(
        row, [&](std::int32_t j) { return w[j]; },
        [&](std::int32_t k, double v) { kept[static_cast<std::size_t>(k)] = v; });
    EXPECT_EQ(z, expected);
    for (std::int32_t k = 0; k < n; ++k) EXPECT_EQ(kept[k], w[index[k]]) << "k = " << k;
  }
}

// SGD loops prefetch rows ahead only when the rows outgrow the caches
// (kPrefetchMinBytes of indices and values); PrefetchRow is a hint and must
// accept any row, the empty one included.
TEST(SparseOps, PrefetchOnlyRowsThatOutgrowTheCaches) {
  const std::size_t per_nnz = sizeof(std::int32_t) + sizeof(double);
  const std::size_t fits = kernels::kPrefetchMinBytes / per_nnz;
  Dataset d;
  d.num_rows = 1;
  d.num_cols = 1;
  d.col_index.assign(fits, 0);
  d.values.assign(fits, 1.0);
  d.row_ptr = {0, static_cast<std::int64_t>(fits)};
  d.labels = {1.0};
  EXPECT_FALSE(kernels::WorthPrefetching(d));
  d.col_index.push_back(0);
  d.values.push_back(1.0);
  d.row_ptr.back() += 1;
  EXPECT_TRUE(kernels::WorthPrefetching(d));
  kernels::PrefetchRow(d.row(0));
  kernels::PrefetchRow(SparseRow{nullptr, nullptr, 0});
}

// The fused evaluation must give the bits of the three separate calls (the
// reference solver relies on it: its results are unchanged by the fusion).
TEST(Losses, EvaluateLossEqualsTheSeparateMembersBitForBit) {
  std::vector<double> margins = {0.0, -0.0, 1e-300, -1e-300, 1e-8, -1e-8, 0.5, -0.5, 1.0, -1.0,
                                 30.0, -30.0, 700.0, -700.0, 1e6, -1e6};
  std::mt19937_64 gen(3);
  std::normal_distribution<double> normal(0.0, 5.0);
  for (int k = 0; k < 200; ++k) margins.push_back(normal(gen));
  auto check = [&](auto loss) {
    using L = decltype(loss);
    for (const double y : {-1.0, 1.0}) {
      for (const double z : margins) {
        const kernels::LossAtMargin at = kernels::EvaluateLoss<L>(y, z);
        EXPECT_EQ(at.value, L::Value(y, z)) << "y " << y << " z " << z;
        EXPECT_EQ(at.derivative, L::Derivative(y, z)) << "y " << y << " z " << z;
        EXPECT_EQ(at.curvature, L::Curvature(y, z)) << "y " << y << " z " << z;
      }
    }
  };
  check(kernels::LogisticLoss{});
  check(kernels::SquaredHingeLoss{});
  check(kernels::SquaredLoss{});
}

TEST(Prox, SoftThresholdSolvesItsProblem) {
  for (double v = -3.0; v <= 3.0; v += 0.013) {
    for (const double t : {0.0, 0.1, 1.0, 2.5}) {
      const double x = kernels::SoftThreshold(v, t);
      // Optimality of 0.5 (x - v)^2 + t |x|.
      if (x != 0.0) {
        EXPECT_NEAR(x - v + t * (x > 0 ? 1.0 : -1.0), 0.0, 1e-15);
      } else {
        EXPECT_LE(std::fabs(v), t);
      }
      // Not beaten by nearby points.
      const auto obj = [&](double p) { return 0.5 * (p - v) * (p - v) + t * std::fabs(p); };
      EXPECT_LE(obj(x), obj(x + 1e-4));
      EXPECT_LE(obj(x), obj(x - 1e-4));
    }
  }
}

TEST(Prox, ElasticNetProxSatisfiesOptimalityAndIsNonexpansive) {
  std::mt19937_64 gen(3);
  std::uniform_real_distribution<double> u(-5.0, 5.0);
  for (int k = 0; k < 2000; ++k) {
    const double v = u(gen), step = 0.01 + std::fabs(u(gen));
    const double l1 = 0.1 * std::fabs(u(gen)), l2 = 0.1 * std::fabs(u(gen));
    const double x = kernels::ElasticNetProx(v, step, l1, l2);
    if (x != 0.0) {
      EXPECT_NEAR((x - v) / step + l1 * (x > 0 ? 1.0 : -1.0) + l2 * x, 0.0,
                  1e-12 * (1.0 + std::fabs(v) / step));
    } else {
      EXPECT_LE(std::fabs(v), step * l1 * (1.0 + 1e-15));
    }
    const double v2 = u(gen);
    EXPECT_LE(std::fabs(x - kernels::ElasticNetProx(v2, step, l1, l2)),
              std::fabs(v - v2) + 1e-15);
  }
  EXPECT_EQ(kernels::ElasticNetProx(2.0, 1.0, 0.0, 1.0), 1.0);
  EXPECT_EQ(kernels::ElasticNetProx(0.5, 1.0, 1.0, 0.0), 0.0);
}

}  // namespace
}  // namespace asyncopt
