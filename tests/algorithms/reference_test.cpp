// Tests of the reference solver (SolveReference): optimality conditions
// computed independently through ObjectiveAndGradient, comparison with an
// exact least-squares solve (Eigen), comparison with LIBLINEAR run as an
// external program, determinism, and the run-control options.
#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <atomic>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "algorithms/libsvm_text.hpp"
#include "algorithms/reference.hpp"
#include "asyncopt/error.hpp"
#include "asyncopt/optimum.hpp"
#include "asyncopt/problem.hpp"
#include "problem/random_dataset.hpp"

namespace asyncopt {
namespace {

const char* LossName(Loss loss) {
  switch (loss) {
    case Loss::kLogistic: return "logistic";
    case Loss::kHinge: return "hinge";
    case Loss::kSquaredHinge: return "squared_hinge";
    case Loss::kSquared: return "squared";
  }
  return "?";
}

struct KktCase {
  Loss loss;
  double l1;
  double l2;
};

std::string CaseName(const ::testing::TestParamInfo<KktCase>& info) {
  auto fmt = [](double v) {
    std::string s = std::to_string(v);
    for (char& c : s) c = (c == '.' || c == '-') ? '_' : c;
    return s;
  };
  return std::string(LossName(info.param.loss)) + "_l1_" + fmt(info.param.l1) + "_l2_" +
         fmt(info.param.l2);
}

class ReferenceKkt : public ::testing::TestWithParam<KktCase> {};

// Coordinate-wise optimality: grad_j + l1 sign(w_j) = 0 on nonzeros and
// |grad_j| <= l1 on zeros, with grad from ObjectiveAndGradient (not from the
// solver's own code path); and no small perturbation decreases F.
TEST_P(ReferenceKkt, SolutionSatisfiesOptimalityConditions) {
  const KktCase c = GetParam();
  const Dataset d = testing::RandomDataset({.rows = 300, .cols = 40, .density = 0.2, .seed = 5});
  const Problem p{c.loss, c.l1, c.l2};
  const ReferenceResult r = SolveReference(d, p, {.threads = 2});
  ASSERT_TRUE(r.converged) << r.method << " certificate " << r.certificate;
  const double tol = (c.l2 == 0.0 && c.l1 > 0.0) ? 1e-10 : 1e-12;
  EXPECT_LE(r.certificate, tol);
  EXPECT_EQ(r.objective, Objective(d, p, r.w, 1));
  EXPECT_GT(r.iterations, 0);
  EXPECT_GE(r.gradient_rows, d.num_rows);

  if (c.loss != Loss::kHinge) {
    std::vector<double> g(d.num_cols);
    ObjectiveAndGradient(d, p, r.w, g, 1);
    // F - f* <= ||s||^2 / (2 l2): a 1e-12 certificate means ||s|| ~ 1e-6 at
    // most; pure-l1 problems are only checked to the looser 1e-4.
    const double kkt_tol = c.l2 > 0.0 ? std::sqrt(2.0 * c.l2 * tol * r.objective) * 1.01 + 1e-12
                                      : 1e-4;
    for (std::int32_t j = 0; j < d.num_cols; ++j) {
      if (r.w[j] > 0.0) {
        EXPECT_NEAR(g[j] + c.l1, 0.0, kkt_tol) << "coordinate " << j;
      } else if (r.w[j] < 0.0) {
        EXPECT_NEAR(g[j] - c.l1, 0.0, kkt_tol) << "coordinate " << j;
      } else {
        EXPECT_LE(std::fabs(g[j]), c.l1 + kkt_tol) << "coordinate " << j;
      }
    }
  }
  // No coordinate step of size 1e-3 or 1e-5 (either sign) improves F.
  for (std::int32_t j = 0; j < d.num_cols; ++j) {
    for (const double eps : {1e-3, -1e-3, 1e-5, -1e-5}) {
      std::vector<double> w = r.w;
      w[j] += eps;
      EXPECT_GE(Objective(d, p, w, 1), r.objective * (1.0 - 1e-12)) << j << " " << eps;
    }
  }
  if (c.l1 > 0.0) {
    EXPECT_LT(CountNonzeros(r.w), d.num_cols) << "l1 should zero some coordinates";
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllLossesAndRegularisers, ReferenceKkt,
    ::testing::Values(KktCase{Loss::kLogistic, 0.0, 1e-2}, KktCase{Loss::kLogistic, 2e-2, 0.0},
                      KktCase{Loss::kLogistic, 1e-2, 1e-3}, KktCase{Loss::kSquaredHinge, 0.0, 1e-2},
                      KktCase{Loss::kSquaredHinge, 2e-2, 0.0},
                      KktCase{Loss::kSquaredHinge, 1e-2, 1e-3}, KktCase{Loss::kSquared, 0.0, 1e-2},
                      KktCase{Loss::kSquared, 5e-2, 0.0}, KktCase{Loss::kSquared, 2e-2, 1e-3},
                      KktCase{Loss::kHinge, 0.0, 1e-2}, KktCase{Loss::kHinge, 0.0, 1e-1}),
    CaseName);

TEST(Reference, UnregularisedLeastSquaresMatchesNormalEquations) {
  const Dataset d = testing::RandomDataset({.rows = 200, .cols = 15, .density = 0.5, .seed = 8});
  Eigen::MatrixXd x = Eigen::MatrixXd::Zero(d.num_rows, d.num_cols);
  Eigen::VectorXd y(d.num_rows);
  for (std::int64_t i = 0; i < d.num_rows; ++i) {
    y(i) = d.labels[i];
    for (auto k = d.row_ptr[i]; k < d.row_ptr[i + 1]; ++k) x(i, d.col_index[k]) = d.values[k];
  }
  const Eigen::VectorXd w_exact = x.colPivHouseholderQr().solve(y);
  const Problem p{Loss::kSquared, 0.0, 0.0};
  const ReferenceResult r = SolveReference(d, p);
  ASSERT_TRUE(r.converged);
  EXPECT_EQ(r.method, "newton-cg");
  const std::vector<double> w_e(w_exact.data(), w_exact.data() + w_exact.size());
  const double f_exact = Objective(d, p, w_e);
  EXPECT_NEAR(r.objective, f_exact, 1e-12 * f_exact);
  for (int j = 0; j < d.num_cols; ++j) EXPECT_NEAR(r.w[j], w_exact(j), 1e-5);
}

// Labels from a noiseless linear rule: the infimum 0 is not attained, so
// there is no f* to report (it used to come out as 1e-108, and every
// suboptimality against it as 1e106). The solver says so, with the
// separating point as its certificate.
TEST(Reference, SeparableUnregularisedLogisticHasNoMinimiser) {
  const Dataset d = testing::RandomDataset(
      {.rows = 100, .cols = 10, .density = 0.6, .label_noise = 0.0, .seed = 3});
  const Problem p{Loss::kLogistic, 0.0, 0.0};
  const ReferenceResult r = SolveReference(d, p, {.max_iterations = 40});
  EXPECT_TRUE(r.no_minimiser);
  EXPECT_FALSE(r.converged);
  for (double v : r.w) EXPECT_TRUE(std::isfinite(v));
  for (std::int64_t i = 0; i < d.num_rows; ++i) {  // the certificate: every margin positive
    double z = 0.0;
    const SparseRow row = d.row(i);
    for (std::int32_t k = 0; k < row.nnz; ++k) z += row.value[k] * r.w[static_cast<std::size_t>(row.index[k])];
    EXPECT_GT(d.labels[static_cast<std::size_t>(i)] * z, 0.0) << i;
  }
  // The same data with noise (not separable) or with l2 > 0 has a minimiser.
  const Dataset noisy = testing::RandomDataset(
      {.rows = 100, .cols = 10, .density = 0.6, .label_noise = 0.3, .seed = 3});
  EXPECT_FALSE(SolveReference(noisy, p).no_minimiser);
  const ReferenceResult l2 = SolveReference(d, {Loss::kLogistic, 0.0, 1e-3});
  EXPECT_FALSE(l2.no_minimiser);
  EXPECT_TRUE(l2.converged);
}

// SolveReference is public: a Dataset built in memory is checked before any
// work (a column index past num_cols used to be an out-of-bounds write).
TEST(Reference, RejectsAnInvalidDataset) {
  Dataset d = testing::RandomDataset({.rows = 50, .cols = 10, .density = 0.5, .seed = 3});
  d.col_index[static_cast<std::size_t>(d.row_ptr[4])] = 10;
  try {
    SolveReference(d, {Loss::kLogistic, 0.0, 1e-2});
    FAIL() << "accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    EXPECT_NE(std::string(e.what()).find("row 4: column index 10"), std::string::npos) << e.what();
  }
}

TEST(Reference, BitIdenticalForOneTwoAndFourThreads) {
  const Dataset d =
      testing::RandomDataset({.rows = 5000, .cols = 60, .density = 0.1, .seed = 17});
  for (const Problem p : {Problem{Loss::kLogistic, 0.0, 1e-3}, Problem{Loss::kLogistic, 1e-3, 1e-4},
                          Problem{Loss::kHinge, 0.0, 1e-2}}) {
    const ReferenceResult r1 = SolveReference(d, p, {.threads = 1});
    for (const int threads : {2, 4}) {
      const ReferenceResult r = SolveReference(d, p, {.threads = threads});
      EXPECT_EQ(r.objective, r1.objective) << r.method;
      EXPECT_EQ(r.iterations, r1.iterations);
      ASSERT_EQ(r.w.size(), r1.w.size());
      EXPECT_EQ(std::memcmp(r.w.data(), r1.w.data(), r.w.size() * sizeof(double)), 0) << r.method;
    }
  }
}

// Newton-CG has three ways to apply the Hessian: a dense Cholesky solve
// (d <= 1024, once CG gets expensive), Hessian-vector products by rows
// (d <= 4096) and by columns over the CSC copy. Empty columns leave the
// optimum unchanged (their weights are 0 with l2 > 0), so padding the same
// data pushes the solver down each path in turn: all three must reach the
// same optimum, and the dense path must give the same bits for any thread
// count.
TEST(Reference, NewtonPathsAgreeOnTheSameProblem) {
  // Few columns, many correlated-looking rows and a tiny l2: badly
  // conditioned, so CG needs many iterations and the dense solve kicks in.
  Dataset d = testing::RandomDataset(
      {.rows = 6000, .cols = 40, .density = 0.3, .label_noise = 0.2, .separation = 3.0, .seed = 5});
  const Problem p{Loss::kLogistic, 0.0, 1e-6};
  const ReferenceResult dense = SolveReference(d, p, {.threads = 1});
  ASSERT_TRUE(dense.converged);
  EXPECT_GT(dense.dense_newton_steps, 0);
  const ReferenceResult dense2 = SolveReference(d, p, {.threads = 2});
  EXPECT_EQ(std::memcmp(dense.w.data(), dense2.w.data(), dense.w.size() * sizeof(double)), 0);
  EXPECT_EQ(dense.objective, dense2.objective);

  for (const std::int32_t padded_cols : {1100, 5000}) {
    SCOPED_TRACE("padded to " + std::to_string(padded_cols) + " columns");
    Dataset wide = d;
    wide.num_cols = padded_cols;
    const ReferenceResult r = SolveReference(wide, p, {.threads = 2});
    ASSERT_TRUE(r.converged);
    const ReferenceResult r1 = SolveReference(wide, p, {.threads = 1});
    EXPECT_EQ(std::memcmp(r.w.data(), r1.w.data(), r.w.size() * sizeof(double)), 0);
    EXPECT_EQ(r.objective, r1.objective);
    EXPECT_EQ(r.dense_newton_steps, 0);
    EXPECT_GT(r.hessian_products, 0);
    // Exact Newton steps converge at least as fast as inexact ones.
    EXPECT_LE(dense.iterations, r.iterations);
    EXPECT_NEAR(r.objective, dense.objective, 1e-11 * dense.objective);
    for (std::int32_t j = 0; j < d.num_cols; ++j) {
      EXPECT_NEAR(r.w[static_cast<std::size_t>(j)], dense.w[static_cast<std::size_t>(j)],
                  1e-5 * (1.0 + std::fabs(dense.w[static_cast<std::size_t>(j)])));
    }
    for (std::int32_t j = d.num_cols; j < padded_cols; ++j) {
      ASSERT_EQ(r.w[static_cast<std::size_t>(j)], 0.0) << "empty column " << j;
    }
  }
}

// Newton-CG starts from one pass of SGD (ReferenceOptions::warm_start_passes).
// On a separable-ish logistic problem with a small l2, Newton from w = 0
// spends its first steps far from the optimum; the warm start must reach the
// same optimum in fewer Newton steps, keep the same bits for any thread
// count, and be dropped (w = 0 kept) when it does not lower F.
TEST(Reference, SgdWarmStartSavesNewtonStepsAndReachesTheSameOptimum) {
  const Dataset d = testing::RandomDataset(
      {.rows = 20000, .cols = 100, .density = 0.1, .label_noise = 0.3, .separation = 3.0, .seed = 31});
  const Problem p{Loss::kLogistic, 0.0, 1.0 / 20000.0};
  const ReferenceResult cold = SolveReference(d, p, {.threads = 1, .warm_start_passes = 0});
  const ReferenceResult warm = SolveReference(d, p, {.threads = 1});
  ASSERT_TRUE(cold.converged);
  ASSERT_TRUE(warm.converged);
  EXPECT_FALSE(cold.warm_start_kept);
  EXPECT_TRUE(warm.warm_start_kept);
  EXPECT_LT(warm.iterations, cold.iterations) << warm.iterations << " vs " << cold.iterations;
  EXPECT_NEAR(warm.objective, cold.objective, 1e-11 * cold.objective);
  for (std::size_t j = 0; j < warm.w.size(); ++j) {
    EXPECT_NEAR(warm.w[j], cold.w[j], 1e-5 * (1.0 + std::fabs(cold.w[j])));
  }
  const ReferenceResult warm2 = SolveReference(d, p, {.threads = 2});
  EXPECT_EQ(std::memcmp(warm.w.data(), warm2.w.data(), warm.w.size() * sizeof(double)), 0);
  EXPECT_EQ(warm.objective, warm2.objective);

  // Labels that carry no signal and a strong l2: w = 0 is all but optimal,
  // so an SGD pass only adds noise and must be dropped.
  const Dataset noise = testing::RandomDataset(
      {.rows = 2000, .cols = 20, .density = 0.5, .label_noise = 1e6, .seed = 32});
  const ReferenceResult dropped = SolveReference(noise, Problem{Loss::kLogistic, 0.0, 1.0}, {});
  ASSERT_TRUE(dropped.converged);
  EXPECT_FALSE(dropped.warm_start_kept);
}

// With l2 = 0 and a duplicated column the Hessian is singular. Newton-CG
// must still converge, and its minimum-norm steps split the weight evenly
// between the twins. (The dense step is reserved for l2 > 0; with exact
// twins its Cholesky would fail and fall back to CG anyway, so this test
// checks the outcome, not that rule.)
TEST(Reference, RankDeficientWithoutL2SplitsTheWeightBetweenTwinColumns) {
  Dataset d = testing::RandomDataset(
      {.rows = 3000, .cols = 2, .density = 1.0, .label_noise = 2.0, .seed = 8});
  // Column 2 duplicates column 0.
  Dataset twin;
  twin.num_rows = d.num_rows;
  twin.num_cols = d.num_cols + 1;
  twin.labels = d.labels;
  for (std::int64_t i = 0; i < d.num_rows; ++i) {
    const SparseRow row = d.row(i);
    for (std::int32_t k = 0; k < row.nnz; ++k) {
      twin.col_index.push_back(row.index[k]);
      twin.values.push_back(row.value[k]);
    }
    if (row.nnz > 0 && row.index[0] == 0) {
      twin.col_index.push_back(d.num_cols);
      twin.values.push_back(row.value[0]);
    }
    twin.row_ptr.push_back(static_cast<std::int64_t>(twin.col_index.size()));
  }
  const ReferenceResult r = SolveReference(twin, Problem{Loss::kLogistic, 0.0, 0.0}, {.threads = 2});
  EXPECT_EQ(r.dense_newton_steps, 0);
  EXPECT_GT(r.hessian_products, 0);
  ASSERT_TRUE(std::isfinite(r.objective));
  const ReferenceResult base = SolveReference(d, Problem{Loss::kLogistic, 0.0, 0.0}, {.threads = 2});
  EXPECT_NEAR(r.objective, base.objective, 1e-9 * base.objective);
  EXPECT_NEAR(r.w[0] + r.w[static_cast<std::size_t>(d.num_cols)], base.w[0], 1e-4 * (1.0 + std::fabs(base.w[0])));
  EXPECT_NEAR(r.w[0], r.w[static_cast<std::size_t>(d.num_cols)], 1e-6 * (1.0 + std::fabs(r.w[0])));
}

TEST(Reference, RejectsUnsupportedAndInvalidRequests) {
  const Dataset d = testing::RandomDataset({.rows = 20, .cols = 5, .seed = 1});
  try {
    SolveReference(d, Problem{Loss::kHinge, 1e-3, 1e-3});
    FAIL() << "expected Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUnsupported);
    EXPECT_NE(std::string(e.what()).find("hinge"), std::string::npos);
  }
  EXPECT_THROW(SolveReference(d, Problem{Loss::kHinge, 0.0, 0.0}), Error);
  EXPECT_THROW(SolveReference(d, Problem{Loss::kLogistic, -1.0, 0.0}), Error);
  EXPECT_THROW(SolveReference(d, Problem{Loss::kLogistic, 0.0, 1.0}, {.threads = -1}), Error);
  try {
    SolveReference(d, Problem{Loss::kLogistic, 0.0, 1.0}, {.warm_start_passes = -1});
    FAIL() << "expected Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidOption);
    EXPECT_NE(std::string(e.what()).find("warm_start_passes"), std::string::npos);
  }
}

TEST(Reference, HonoursStopFlagAndReportsIterations) {
  const Dataset d = testing::RandomDataset({.rows = 300, .cols = 20, .seed = 2});
  const Problem p{Loss::kLogistic, 1e-3, 1e-3};
  std::atomic<bool> stop{true};
  const ReferenceResult stopped = SolveReference(d, p, {.stop = &stop});
  EXPECT_TRUE(stopped.interrupted);
  EXPECT_FALSE(stopped.converged);
  EXPECT_EQ(stopped.iterations, 0);

  // Stop from inside the callback after the second iteration.
  stop = false;
  std::vector<int> seen;
  std::vector<double> objectives;
  std::int64_t last_rows = 0;
  ReferenceOptions o;
  o.stop = &stop;
  o.on_iteration = [&](int it, const std::vector<double>& w, double f, std::int64_t rows) {
    seen.push_back(it);
    objectives.push_back(f);
    EXPECT_EQ(w.size(), 20u);
    EXPECT_GT(rows, last_rows);
    last_rows = rows;
    if (it == 2) stop = true;
  };
  const ReferenceResult r = SolveReference(d, p, o);
  EXPECT_TRUE(r.interrupted);
  EXPECT_EQ(seen, (std::vector<int>{1, 2}));
  EXPECT_LT(objectives[1], objectives[0]);
  // A stop requested from the callback returns the iterate just reported,
  // with no further gradient pass (the CLI's target check relies on it).
  EXPECT_EQ(r.iterations, 2);
  EXPECT_EQ(r.gradient_rows, last_rows);

  // The same for Newton-CG (l1 = 0).
  stop = false;
  std::vector<double> reported;
  last_rows = 0;
  o.on_iteration = [&](int it, const std::vector<double>& w, double, std::int64_t rows) {
    last_rows = rows;
    reported = w;
    if (it == 2) stop = true;
  };
  const ReferenceResult newton = SolveReference(d, Problem{Loss::kLogistic, 0.0, 1e-3}, o);
  EXPECT_TRUE(newton.interrupted);
  EXPECT_EQ(newton.iterations, 2);
  EXPECT_EQ(newton.gradient_rows, last_rows);
  EXPECT_EQ(newton.w, reported);

  // Without interruption: callbacks for every iteration, F decreasing.
  stop = false;
  seen.clear();
  objectives.clear();
  last_rows = 0;
  o.on_iteration = [&](int it, const std::vector<double>&, double f, std::int64_t rows) {
    seen.push_back(it);
    if (!objectives.empty()) EXPECT_LE(f, objectives.back());
    objectives.push_back(f);
    EXPECT_GT(rows, last_rows);
    last_rows = rows;
  };
  const ReferenceResult full = SolveReference(d, p, o);
  ASSERT_TRUE(full.converged);
  ASSERT_EQ(static_cast<int>(seen.size()), full.iterations);
  for (int k = 0; k < full.iterations; ++k) EXPECT_EQ(seen[k], k + 1);
  EXPECT_EQ(full.gradient_rows % d.num_rows, 0);
}

TEST(Reference, MaxIterationsZeroReturnsTheStartingPoint) {
  const Dataset d = testing::RandomDataset({.rows = 50, .cols = 8, .seed = 4});
  const ReferenceResult r =
      SolveReference(d, Problem{Loss::kLogistic, 0.0, 1e-2}, {.max_iterations = 0});
  EXPECT_FALSE(r.converged);
  EXPECT_EQ(CountNonzeros(r.w), 0);
  EXPECT_NEAR(r.objective, std::log(2.0), 1e-15);
  EXPECT_GT(r.certificate, 1e-12);
}

TEST(Reference, GapBoundIsAnUpperBoundOnSuboptimality) {
  const Dataset d = testing::RandomDataset({.rows = 200, .cols = 20, .density = 0.3, .seed = 6});
  for (const Problem p : {Problem{Loss::kLogistic, 1e-2, 0.0}, Problem{Loss::kSquaredHinge, 1e-2, 1e-3},
                          Problem{Loss::kSquared, 0.0, 1e-2}}) {
    const double f_star = SolveReference(d, p).objective;
    std::mt19937_64 gen(1);
    std::normal_distribution<double> normal(0.0, 0.3);
    for (int trial = 0; trial < 5; ++trial) {
      std::vector<double> w(d.num_cols);
      for (double& v : w) v = trial == 0 ? 0.0 : normal(gen);
      const double bound = detail::OptimalityGapBound(d, p, w, 1);
      const double gap = Objective(d, p, w, 1) - f_star;
      EXPECT_GE(bound, gap * (1.0 - 1e-9)) << LossName(p.loss);
      EXPECT_TRUE(std::isfinite(bound));
    }
  }
}

// ---- LIBLINEAR as an external oracle -------------------------------------

struct LiblinearCase {
  const char* solver;  // liblinear -s value
  Loss loss;
  bool l1;             // l1 (C = 1/(l1 m)) or l2 (C = 1/(l2 m)) regularised
  double lambda;
  double c_factor;     // extra factor on C (L2-loss SVR uses 2 (z-y)^2/2)
  double rel_tol;      // allowed (F(w_liblinear) - f*) / f*
};

void CompareWithLiblinear(const Dataset& d, const LiblinearCase& c) {
  const testing::TempDir dir("reference_liblinear");
  const std::string data_path = dir.File("train.libsvm");
  WriteLibsvm(d, data_path);
  const Problem p{c.loss, c.l1 ? c.lambda : 0.0, c.l1 ? 0.0 : c.lambda};
  const double C = c.c_factor / (c.lambda * static_cast<double>(d.num_rows));
  char args[128];
  std::snprintf(args, sizeof args, "-s %s -c %.17g -e %s%s", c.solver, C,
                std::string(c.solver) == "3" ? "1e-8" : "1e-10",
                std::string(c.solver) == "11" ? " -p 0" : "");
  const auto w_lib = testing::TrainLiblinear(args, data_path, dir.File("model"), d.num_cols);
  ASSERT_EQ(w_lib.size(), static_cast<std::size_t>(d.num_cols)) << "liblinear-train " << args;
  const ReferenceResult r = SolveReference(d, p);
  ASSERT_TRUE(r.converged) << r.certificate;
  const double f_lib = Objective(d, p, w_lib);
  // LIBLINEAR cannot beat the certified optimum, and it should be close.
  EXPECT_GE(f_lib, r.objective * (1.0 - 2e-12)) << "liblinear -s " << c.solver;
  EXPECT_LT((f_lib - r.objective) / r.objective, c.rel_tol) << "liblinear -s " << c.solver;
}

const LiblinearCase kLiblinearCases[] = {
    {"0", Loss::kLogistic, false, 1e-2, 1.0, 1e-7},      // L2R_LR (trust-region Newton)
    {"6", Loss::kLogistic, true, 1e-2, 1.0, 1e-6},       // L1R_LR (newGLMNET)
    {"2", Loss::kSquaredHinge, false, 1e-2, 1.0, 1e-7},  // L2R_L2LOSS_SVC
    {"5", Loss::kSquaredHinge, true, 1e-2, 1.0, 1e-6},   // L1R_L2LOSS_SVC
    // LIBLINEAR's dual CD stops on the projected dual gradient, which does
    // not bound the primal suboptimality tightly: only 1e-3 is asked of it.
    {"3", Loss::kHinge, false, 1e-2, 1.0, 1e-3},         // L2R_L1LOSS_SVC_DUAL
    {"11", Loss::kSquared, false, 1e-2, 0.5, 1e-7},      // L2R_L2LOSS_SVR, p = 0
};

TEST(ReferenceVsLiblinear, HeartScale) {
  if (!testing::HaveLiblinear()) GTEST_SKIP() << "liblinear-train not installed";
  const Dataset d = ReadLibsvm(std::string(ASYNCOPT_TEST_FIXTURES) + "/heart_scale");
  ASSERT_EQ(d.num_rows, 270);
  ASSERT_EQ(d.num_cols, 13);
  for (const LiblinearCase& c : kLiblinearCases) {
    SCOPED_TRACE(std::string("liblinear -s ") + c.solver);
    CompareWithLiblinear(d, c);
  }
}

TEST(ReferenceVsLiblinear, GeneratedSparseThousandsOfRows) {
  if (!testing::HaveLiblinear()) GTEST_SKIP() << "liblinear-train not installed";
  const Dataset d = testing::RandomDataset(
      {.rows = 3000, .cols = 150, .density = 0.05, .label_noise = 1.0, .seed = 99});
  for (const LiblinearCase& c : kLiblinearCases) {
    SCOPED_TRACE(std::string("liblinear -s ") + c.solver);
    LiblinearCase small = c;
    small.lambda = c.lambda / 10.0;
    CompareWithLiblinear(d, small);
  }
}

// ---- Hard cases: small l2 hinge (large C), badly scaled dense data --------

// Independent optimality check for the hinge problem from w alone: with
// z_i = y_i x_i.w, rows with z_i < 1 must have a_i = 1, rows with z_i > 1
// a_i = 0, and the margin rows E (z_i = 1) some a_i in [0, 1] with
// l2 m w = sum_i a_i y_i x_i. a_E is fitted by least squares (Eigen) and
// both the fit residual and the box violation must be tiny.
void ExpectHingeKkt(const Dataset& d, double l2, const std::vector<double>& w, double margin_tol) {
  const auto m = d.num_rows;
  const auto n = d.num_cols;
  Eigen::VectorXd target = l2 * static_cast<double>(m) * Eigen::Map<const Eigen::VectorXd>(w.data(), n);
  std::vector<std::int64_t> margin_rows;
  for (std::int64_t i = 0; i < m; ++i) {
    double z = 0.0;
    for (auto k = d.row_ptr[i]; k < d.row_ptr[i + 1]; ++k) z += d.values[k] * w[d.col_index[k]];
    z *= d.labels[i];
    if (std::fabs(z - 1.0) <= margin_tol) {
      margin_rows.push_back(i);
    } else if (z < 1.0) {
      for (auto k = d.row_ptr[i]; k < d.row_ptr[i + 1]; ++k) target(d.col_index[k]) -= d.labels[i] * d.values[k];
    }
  }
  Eigen::MatrixXd b = Eigen::MatrixXd::Zero(n, static_cast<Eigen::Index>(margin_rows.size()));
  for (std::size_t t = 0; t < margin_rows.size(); ++t) {
    const auto i = margin_rows[t];
    for (auto k = d.row_ptr[i]; k < d.row_ptr[i + 1]; ++k) b(d.col_index[k], t) = d.labels[i] * d.values[k];
  }
  const Eigen::VectorXd a = b.completeOrthogonalDecomposition().solve(target);
  EXPECT_LE((b * a - target).norm(), 1e-7 * (1.0 + target.norm()));
  for (Eigen::Index t = 0; t < a.size(); ++t) {
    EXPECT_GE(a(t), -1e-6) << "margin row " << margin_rows[static_cast<std::size_t>(t)];
    EXPECT_LE(a(t), 1.0 + 1e-6) << "margin row " << margin_rows[static_cast<std::size_t>(t)];
  }
}

TEST(ReferenceHinge, SmallL2HeartScaleReachesTightCertificate) {
  const Dataset d = ReadLibsvm(std::string(ASYNCOPT_TEST_FIXTURES) + "/heart_scale");
  for (const double l2 : {1e-3, 1e-4, 1e-5}) {
    SCOPED_TRACE(l2);
    const Problem p{Loss::kHinge, 0.0, l2};
    const ReferenceResult r = SolveReference(d, p);
    ASSERT_TRUE(r.converged) << "certificate " << r.certificate << " after " << r.iterations;
    EXPECT_EQ(r.method, "dual-cd");
    EXPECT_LE(r.certificate, 1e-12);
    EXPECT_LT(r.iterations, 200);
    EXPECT_EQ(r.objective, Objective(d, p, r.w, 1));
    ExpectHingeKkt(d, l2, r.w, 1e-9);
    for (std::int32_t j = 0; j < d.num_cols; ++j) {
      for (const double eps : {1e-4, -1e-4, 1e-7, -1e-7}) {
        std::vector<double> w = r.w;
        w[j] += eps;
        EXPECT_GE(Objective(d, p, w, 1), r.objective * (1.0 - 1e-13)) << j << " " << eps;
      }
    }
  }
}

TEST(ReferenceHinge, SmallL2AgreesWithLiblinear) {
  if (!testing::HaveLiblinear()) GTEST_SKIP() << "liblinear-train not installed";
  const Dataset d = ReadLibsvm(std::string(ASYNCOPT_TEST_FIXTURES) + "/heart_scale");
  const double l2 = 1e-4;
  const Problem p{Loss::kHinge, 0.0, l2};
  const ReferenceResult r = SolveReference(d, p);
  ASSERT_TRUE(r.converged) << r.certificate;
  const testing::TempDir dir("reference_hinge");
  WriteLibsvm(d, dir.File("train.libsvm"));
  char args[128];
  std::snprintf(args, sizeof args, "-s 3 -c %.17g -e 1e-12", 1.0 / (l2 * static_cast<double>(d.num_rows)));
  const auto w_lib = testing::TrainLiblinear(args, dir.File("train.libsvm"), dir.File("model"), d.num_cols);
  ASSERT_EQ(w_lib.size(), static_cast<std::size_t>(d.num_cols));
  const double f_lib = Objective(d, p, w_lib);
  // LIBLINEAR's dual CD stops at its iteration limit here (C = 37): it may be
  // worse than the certified optimum, never better, and within 1%.
  EXPECT_GE(f_lib, r.objective * (1.0 - 2e-12));
  EXPECT_LT((f_lib - r.objective) / r.objective, 1e-2);
}

// Every row repeated three times: the dual has a continuum of solutions and
// more free variables than columns (the case of data sets with many
// duplicates such as a9a), so the exact finishing step must follow
// null-space directions of the free-set system.
TEST(ReferenceHinge, DuplicatedRowsSmallL2) {
  const Dataset base = testing::RandomDataset({.rows = 150, .cols = 8, .density = 0.7, .seed = 21});
  Dataset d;
  d.num_cols = base.num_cols;
  for (int copy = 0; copy < 3; ++copy) {
    for (std::int64_t i = 0; i < base.num_rows; ++i) {
      for (auto k = base.row_ptr[i]; k < base.row_ptr[i + 1]; ++k) {
        d.col_index.push_back(base.col_index[k]);
        d.values.push_back(base.values[k]);
      }
      d.row_ptr.push_back(static_cast<std::int64_t>(d.col_index.size()));
      d.labels.push_back(base.labels[i]);
    }
  }
  d.num_rows = static_cast<std::int64_t>(d.labels.size());
  for (const double l2 : {1e-4, 1e-6}) {
    SCOPED_TRACE(l2);
    const Problem p{Loss::kHinge, 0.0, l2};
    const ReferenceResult r = SolveReference(d, p, {.threads = 2});
    ASSERT_TRUE(r.converged) << "certificate " << r.certificate;
    EXPECT_LE(r.certificate, 1e-12);
    ExpectHingeKkt(d, l2, r.w, 1e-9);
    // Same optimum as the data without duplicates.
    const ReferenceResult rb = SolveReference(base, p);
    ASSERT_TRUE(rb.converged);
    EXPECT_NEAR(r.objective, rb.objective, 4e-12 * rb.objective);
  }
}

// Dense, unscaled, non-centred columns (values ~ 100 +- 10, as in raw
// madelon) with a few relevant ones: the Hessian is dominated by the common
// mean direction and coordinate descent alone on the proximal Newton model
// stalls (before the subspace steps: 20-60 outer iterations with inner solves
// at their pass cap, seconds per solve; now about 10).
Dataset BadlyScaledDense(std::int64_t rows, std::int32_t cols, std::int32_t relevant,
                         std::uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<double> w_true(static_cast<std::size_t>(cols), 0.0);
  for (std::int32_t j = 0; j < relevant; ++j) w_true[static_cast<std::size_t>(j)] = normal(gen);
  Dataset d;
  d.num_rows = rows;
  d.num_cols = cols;
  for (std::int64_t i = 0; i < rows; ++i) {
    double margin = 0.0;
    for (std::int32_t j = 0; j < cols; ++j) {
      const double e = normal(gen);
      d.col_index.push_back(j);
      d.values.push_back(100.0 + 10.0 * e);
      margin += e * w_true[static_cast<std::size_t>(j)];
    }
    d.row_ptr.push_back(static_cast<std::int64_t>(d.col_index.size()));
    d.labels.push_back(margin + 0.5 * normal(gen) >= 0.0 ? 1.0 : -1.0);
  }
  return d;
}

TEST(ReferenceProxNewton, BadlyScaledDenseElasticNetConverges) {
  const Dataset d = BadlyScaledDense(300, 80, 10, 7);
  for (const Problem p : {Problem{Loss::kLogistic, 2e-2, 1e-3}, Problem{Loss::kLogistic, 5e-3, 1e-3},
                          Problem{Loss::kSquaredHinge, 2e-2, 1e-3}}) {
    SCOPED_TRACE(p.l1);
    const ReferenceResult r = SolveReference(d, p, {.max_iterations = 100, .threads = 2});
    ASSERT_TRUE(r.converged) << "certificate " << r.certificate << " after " << r.iterations;
    EXPECT_EQ(r.method, "prox-newton-cd");
    EXPECT_LE(r.certificate, 1e-12);
    EXPECT_LE(r.iterations, p.loss == Loss::kLogistic ? 14 : 20);
    std::vector<double> g(d.num_cols);
    ObjectiveAndGradient(d, p, r.w, g, 1);
    const double kkt_tol = std::sqrt(2.0 * p.l2 * 1e-12 * r.objective) * 1.01 + 1e-12;
    for (std::int32_t j = 0; j < d.num_cols; ++j) {
      if (r.w[j] != 0.0) {
        EXPECT_NEAR(g[j] + (r.w[j] > 0.0 ? p.l1 : -p.l1), 0.0, kkt_tol) << j;
      } else {
        EXPECT_LE(std::fabs(g[j]), p.l1 + kkt_tol) << j;
      }
    }
    std::printf("[ info ] l1 %g: %d iterations, certificate %.2e, %lld nonzeros\n", p.l1,
                r.iterations, r.certificate, static_cast<long long>(CountNonzeros(r.w)));
  }
}

}  // namespace
}  // namespace asyncopt
