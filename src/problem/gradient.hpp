// asyncopt internal: the loss part of the gradient together with the per-row
// loss derivatives (SVRG's reference point needs both from one pass).
#pragma once

#include <span>

#include "asyncopt/dataset.hpp"
#include "asyncopt/problem.hpp"

namespace asyncopt::internal {

// (l2/2)||w||^2 + l1||w||_1, summed serially in index order: the regulariser
// every objective value in asyncopt uses (same bits everywhere).
double Regulariser(const Problem& problem, std::span<const double> w);

// derivative[i] = loss'(y_i, x_i . w) (size m); grad = (1/m) X^T derivative
// (size d, no regulariser). Returns (1/m) sum_i loss(y_i, x_i . w).
// Deterministic for any thread count, like ObjectiveAndGradient().
double LossDerivativesAndGradient(const Dataset& data, Loss loss, std::span<const double> w,
                                  std::span<double> derivative, std::span<double> grad,
                                  int threads);

}  // namespace asyncopt::internal
