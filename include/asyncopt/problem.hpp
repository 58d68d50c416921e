// asyncopt: the regularised empirical-risk problem every solver minimises.
//
//   F(w) = (1/m) sum_j loss(y_j, x_j . w) + (l2/2) ||w||^2 + l1 ||w||_1
//
// Mapping of the papers' conventions onto these options (see README):
//  * Wangni et al. (paper 002) write reg * ||w||^2          -> l2 = 2 * reg.
//  * Wangni's logistic loss uses log2(1 + e^{-z})           -> F_ours = ln(2) * F_theirs
//    (same minimiser when l2 is scaled by ln 2 too: l2 = 2 * reg * ln 2).
//  * LIBLINEAR minimises 1/2||w||^2 + C sum loss            -> l2 = 1 / (C m).
//  * LIBLINEAR l1 solvers minimise ||w||_1 + C sum loss     -> l1 = 1 / (C m).
//  * SODA (paper 000) uses (1/m) sum loss + l2/2||w||^2 + l1||w||_1: identical.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "asyncopt/dataset.hpp"

namespace asyncopt {

enum class Loss {
  kLogistic,      // log(1 + exp(-y z))
  kHinge,         // max(0, 1 - y z)
  kSquaredHinge,  // max(0, 1 - y z)^2
  kSquared,       // (z - y)^2 / 2
};

struct Problem {
  Loss loss = Loss::kLogistic;
  double l1 = 0.0;  // >= 0
  double l2 = 0.0;  // >= 0
  // Throws Error(kInvalidOption) for negative or non-finite lambdas.
  void Validate() const;
};

// Throws Error(kInvalidInput) when the data's labels do not suit the loss:
// real targets (LabelKind::kTargets) with a classification loss (logistic,
// hinge, squared hinge), which needs -1/+1 classes (read the file without
// ReadOptions::keep_targets, or map the targets to classes first); class ids
// (LabelKind::kClassIds: multiclass data) with any loss of this linear
// problem, which takes two classes or real targets. The squared loss takes
// -1/+1 classes or real targets. O(1); Objective, ObjectiveAndGradient,
// Solve, CheckSolve and SolveReference call it.
void CheckLabelKind(const Dataset& data, const Problem& problem);

// Loss value and derivatives with respect to the margin z = x.w.
double LossValue(Loss loss, double y, double z);
double LossDerivative(Loss loss, double y, double z);  // a subgradient for hinge

// F(w), evaluated in parallel with oneTBB over row blocks with a
// deterministic reduction: the same value for any thread count.
// threads = 0 uses all hardware threads. w.size() must be data.num_cols.
double Objective(const Dataset& data, const Problem& problem,
                 std::span<const double> w, int threads = 0);

// Gradient of the smooth part (1/m) sum loss + (l2/2)||w||^2 (for hinge, a
// subgradient) into `grad` (size num_cols); returns F(w) including l1.
// Deterministic for any thread count.
double ObjectiveAndGradient(const Dataset& data, const Problem& problem,
                            std::span<const double> w, std::span<double> grad,
                            int threads = 0);

// Number of nonzero coordinates.
std::int64_t CountNonzeros(std::span<const double> w);

}  // namespace asyncopt
