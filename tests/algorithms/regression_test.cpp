// Least squares on real targets (LabelKind::kTargets): the reference
// solver's f* against an independent solve of the normal equations (Eigen's
// LDLT), every solver reaching it, and classification losses refused on
// real targets by name.
#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "asyncopt/error.hpp"
#include "asyncopt/optimum.hpp"
#include "asyncopt/problem.hpp"
#include "asyncopt/solver.hpp"

namespace asyncopt {
namespace {

struct Shape {
  int rows;
  int cols;
  double density;
  double offset;       // added to every target (cadata's are 15,000 to 500,001)
  double scale;        // targets = offset + scale (x.w + noise)
  double column_gain;  // column j's values are multiplied by column_gain^(j / cols)
  bool intercept;      // a last column of ones
  unsigned seed;
};

// Sparse (or dense) rows of N(0, 1) values scaled per column, targets from a
// planted N(0, 1) model plus N(0, 0.3) noise, shifted and scaled.
Dataset RegressionData(const Shape& s) {
  std::mt19937 rng(s.seed);
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const int cols = s.cols + (s.intercept ? 1 : 0);
  std::vector<double> truth(static_cast<std::size_t>(cols));
  for (double& v : truth) v = normal(rng);
  Dataset d;
  d.num_rows = s.rows;
  d.num_cols = cols;
  d.label_kind = LabelKind::kTargets;
  for (int i = 0; i < s.rows; ++i) {
    double z = 0.0;
    for (int j = 0; j < cols; ++j) {
      const bool one = s.intercept && j == s.cols;
      if (!one && unit(rng) >= s.density) continue;
      const double v =
          one ? 1.0 : normal(rng) * std::pow(s.column_gain, static_cast<double>(j) / s.cols);
      d.col_index.push_back(j);
      d.values.push_back(v);
      z += v * truth[static_cast<std::size_t>(j)];
    }
    d.row_ptr.push_back(static_cast<std::int64_t>(d.col_index.size()));
    d.labels.push_back(s.offset + s.scale * (z + 0.3 * normal(rng)));
  }
  return d;
}

// argmin (1/2m)||X w - y||^2 + (l2/2)||w||^2 from the normal equations
// (X^T X / m + l2 I) w = X^T y / m, by Eigen's LDLT on the dense matrix.
std::vector<double> NormalEquations(const Dataset& d, double l2) {
  Eigen::MatrixXd x = Eigen::MatrixXd::Zero(d.num_rows, d.num_cols);
  Eigen::VectorXd y(d.num_rows);
  for (std::int64_t i = 0; i < d.num_rows; ++i) {
    y(i) = d.labels[static_cast<std::size_t>(i)];
    for (auto k = d.row_ptr[i]; k < d.row_ptr[i + 1]; ++k) x(i, d.col_index[k]) = d.values[k];
  }
  const double m = static_cast<double>(d.num_rows);
  Eigen::MatrixXd a = x.transpose() * x / m;
  a.diagonal().array() += l2;
  const Eigen::VectorXd w = a.ldlt().solve(x.transpose() * y / m);
  return {w.data(), w.data() + w.size()};
}

struct Case {
  const char* name;
  Shape shape;
  double l2;
};

class ReferenceLeastSquares : public ::testing::TestWithParam<Case> {};

// f* to 1e-12 relative. F at the exact solution is evaluated by Objective,
// the same function that reports the reference solver's F: both carry the
// same evaluation rounding, so the comparison sees the solvers only.
TEST_P(ReferenceLeastSquares, FStarMatchesTheNormalEquationsTo1e12) {
  const Case& c = GetParam();
  const Dataset d = RegressionData(c.shape);
  const Problem p{Loss::kSquared, 0.0, c.l2};
  const std::vector<double> w_exact = NormalEquations(d, c.l2);
  const double f_exact = Objective(d, p, w_exact);
  const ReferenceResult r = SolveReference(d, p);
  ASSERT_TRUE(r.converged) << "certificate " << r.certificate << " after " << r.iterations
                           << " iterations";
  EXPECT_LT(r.iterations, 20);  // not 500 steps at the optimum waiting for a loose bound
  EXPECT_EQ(r.method, "newton-cg");
  EXPECT_LE(r.certificate, 1e-12);
  EXPECT_LE(std::fabs(r.objective - f_exact), 1e-12 * f_exact)
      << "reference " << r.objective << ", normal equations " << f_exact;
  // (On cadata_like the LDLT point is the worse of the two, by 5e-14: forming
  // X^T X squares the condition number.)
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, ReferenceLeastSquares,
    ::testing::Values(
        Case{"dense_unit_targets", {400, 12, 1.0, 0.0, 1.0, 1.0, false, 1}, 1e-3},
        // cadata-like: targets around 2e5, columns four decades apart, an
        // intercept column, weak l2 (ill-conditioned X^T X / m + l2 I).
        Case{"cadata_like", {1500, 8, 1.0, 2.0e5, 1.0e5, 1.0e4, true, 2}, 1e-6},
        // Sparse and wider: Newton-CG's CG path (many columns) before any
        // dense solve.
        Case{"sparse_wide", {2000, 300, 0.05, 50.0, 10.0, 1.0, false, 3}, 1e-4},
        // YearPredictionMSD-like targets (years), dense, 90 features.
        Case{"years", {3000, 90, 1.0, 1998.0, 10.0, 10.0, true, 4}, 1e-5}),
    [](const auto& info) { return std::string(info.param.name); });

// Hogwild, SVRG, SODA, DisSVRG and PetuumSGD on real targets converge to
// the reference's f*: their loss code takes any y (no -1/+1 sign trick).
TEST(RealTargets, EverySolverReachesTheReferenceOptimum) {
  const Dataset d = RegressionData({600, 30, 0.3, 40.0, 5.0, 1.0, true, 5});
  const Problem p{Loss::kSquared, 0.0, 1e-2};
  const ReferenceResult ref = SolveReference(d, p);
  ASSERT_TRUE(ref.converged);
  struct Run {
    SolverKind solver;
    double target;
    int max_epochs;
  };
  for (const Run& run : {Run{SolverKind::kSvrg, 1e-9, 2000}, Run{SolverKind::kSoda, 1e-8, 200000},
                         Run{SolverKind::kHogwild, 1e-3, 300}, Run{SolverKind::kDisSvrg, 1e-9, 100000},
                         Run{SolverKind::kPetuumSgd, 1e-2, 300}}) {
    SCOPED_TRACE(std::string(ToString(run.solver)));
    Options o;
    o.solver = run.solver;
    o.threads = 2;
    o.f_star = ref.objective;
    o.target_subopt = run.target;
    o.max_epochs = run.max_epochs;
    o.max_seconds = 120.0;
    if (run.solver == SolverKind::kHogwild) o.async.step_decay = 0.95;
    const Result r = Solve(d, p, o);
    EXPECT_EQ(r.status, Status::kTargetReached) << r.BriefReport();
    EXPECT_LE(r.suboptimality, run.target);
    EXPECT_GT(r.suboptimality, -1e-12);
  }
}

// A Dataset built in memory with real targets and a classification loss is
// refused by name everywhere the loss meets the labels, never silently
// fitted (a target 3.7 would count as a "positive" class).
TEST(RealTargets, ClassificationLossesAreRefusedByName) {
  const Dataset d = RegressionData({50, 5, 1.0, 3.0, 1.0, 1.0, false, 6});
  const std::vector<double> w(5, 0.0);
  for (const Loss loss : {Loss::kLogistic, Loss::kHinge, Loss::kSquaredHinge}) {
    const Problem p{loss, 0.0, 1e-2};
    const std::string name(ToString(loss));
    auto expect_refused = [&](auto&& call, const char* where) {
      try {
        call();
        ADD_FAILURE() << where << " accepted the " << name << " loss on real targets";
      } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput) << where;
        EXPECT_NE(std::string(e.what()).find("the " + name + " loss is for -1/+1 classes"),
                  std::string::npos)
            << where << ": " << e.what();
      }
    };
    expect_refused([&] { Objective(d, p, w); }, "Objective");
    expect_refused([&] { SolveReference(d, p); }, "SolveReference");
    for (const SolverKind solver :
         {SolverKind::kReference, SolverKind::kHogwild, SolverKind::kSvrg, SolverKind::kSoda}) {
      Options o;
      o.solver = solver;
      o.threads = 1;
      expect_refused([&] { CheckSolve(d, p, o); }, "CheckSolve");
      expect_refused([&] { Solve(d, p, o); }, "Solve");
    }
  }
  // The squared loss takes them, and classes too.
  EXPECT_NO_THROW(Objective(d, Problem{Loss::kSquared, 0.0, 1e-2}, w));
}

}  // namespace
}  // namespace asyncopt
