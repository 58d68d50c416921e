// asyncopt: the regularised empirical-risk objective and its gradient,
// evaluated in parallel over fixed row blocks with deterministic reductions.
#include "asyncopt/problem.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "asyncopt/error.hpp"
#include "asyncopt/solver.hpp"
#include "kernels/losses.hpp"
#include "kernels/sparse_ops.hpp"
#include "problem/gradient.hpp"
#include "problem/parallel.hpp"

namespace asyncopt {
namespace {

// Upper bound on the doubles held by the per-block partial gradients.
constexpr std::int64_t kPartialBudget = std::int64_t{1} << 24;
// Rows per partial-gradient block (at least).
constexpr std::int64_t kGradientRowsPerBlock = 4096;
constexpr std::int64_t kMaxGradientBlocks = 16;

void CheckArguments(const Dataset& data, const Problem& problem, std::size_t w_size,
                    int threads) {
  problem.Validate();
  if (w_size != static_cast<std::size_t>(data.num_cols)) {
    throw Error(ErrorKind::kInvalidOption,
                "weight vector has " + std::to_string(w_size) + " entries but the data has " +
                    std::to_string(data.num_cols) + " columns");
  }
  if (threads < 0) {
    throw Error(ErrorKind::kInvalidOption,
                "threads must be >= 0 (0 = all), got " + std::to_string(threads));
  }
  if (data.row_ptr.size() != static_cast<std::size_t>(data.num_rows) + 1 ||
      data.labels.size() != static_cast<std::size_t>(data.num_rows)) {
    throw Error(ErrorKind::kInvalidInput, "dataset row_ptr/labels sizes do not match num_rows");
  }
  CheckLabelKind(data, problem);
}

// Sum of the losses of all rows, in fixed blocks of kRowBlock rows.
template <class L>
double LossSum(const Dataset& data, std::span<const double> w, detail::Parallel& par) {
  return par.Sum(data.num_rows, detail::kRowBlock, [&](std::int64_t b, std::int64_t e) {
    double s = 0.0;
    for (std::int64_t i = b; i < e; ++i) {
      const double y = data.labels[static_cast<std::size_t>(i)];
      s += L::Value(y, kernels::Dot(data.row(i), w.data()));
    }
    return s;
  });
}

}  // namespace

void Problem::Validate() const {
  switch (loss) {
    case Loss::kLogistic:
    case Loss::kHinge:
    case Loss::kSquaredHinge:
    case Loss::kSquared:
      break;
    default:
      throw Error(ErrorKind::kInvalidOption,
                  "unknown loss value " + std::to_string(static_cast<int>(loss)));
  }
  if (!std::isfinite(l1) || l1 < 0.0) {
    throw Error(ErrorKind::kInvalidOption,
                "l1 must be finite and >= 0, got " + std::to_string(l1));
  }
  if (!std::isfinite(l2) || l2 < 0.0) {
    throw Error(ErrorKind::kInvalidOption,
                "l2 must be finite and >= 0, got " + std::to_string(l2));
  }
}

void CheckLabelKind(const Dataset& data, const Problem& problem) {
  if (data.label_kind == LabelKind::kTargets && problem.loss != Loss::kSquared) {
    throw Error(ErrorKind::kInvalidInput,
                "the " + std::string(ToString(problem.loss)) +
                    " loss is for -1/+1 classes, but the data's labels are real targets "
                    "(LabelKind::kTargets, read with keep_targets): use the squared loss, or "
                    "read the classes without keep_targets");
  }
  if (data.label_kind == LabelKind::kClassIds) {
    throw Error(ErrorKind::kInvalidInput,
                "the data's labels are " + std::to_string(data.class_labels.size()) +
                    " class ids (multiclass, read with class_ids), but the " +
                    std::string(ToString(problem.loss)) +
                    " loss of a linear model takes -1/+1 classes or real targets: use a "
                    "multiclass model (--model-kind softmax or mlp), or map the classes to two "
                    "with --positive-labels");
  }
}

double LossValue(Loss loss, double y, double z) {
  return kernels::DispatchLoss(loss, [&](auto l) { return decltype(l)::Value(y, z); });
}

double LossDerivative(Loss loss, double y, double z) {
  return kernels::DispatchLoss(loss, [&](auto l) { return decltype(l)::Derivative(y, z); });
}

double Objective(const Dataset& data, const Problem& problem, std::span<const double> w,
                 int threads) {
  CheckArguments(data, problem, w.size(), threads);
  if (data.num_rows == 0) return internal::Regulariser(problem, w);
  detail::Parallel par(threads);
  const double loss_sum = kernels::DispatchLoss(
      problem.loss, [&](auto l) { return LossSum<decltype(l)>(data, w, par); });
  return loss_sum / static_cast<double>(data.num_rows) + internal::Regulariser(problem, w);
}

namespace internal {

double Regulariser(const Problem& problem, std::span<const double> w) {
  double sq = 0.0, abs = 0.0;
  for (double v : w) {
    sq += v * v;
    abs += std::fabs(v);
  }
  return 0.5 * problem.l2 * sq + problem.l1 * abs;
}

double LossDerivativesAndGradient(const Dataset& data, Loss loss, std::span<const double> w,
                                  std::span<double> derivative, std::span<double> grad,
                                  int threads) {
  const std::int64_t m = data.num_rows;
  const std::int64_t d = data.num_cols;
  if (m == 0) {
    std::fill(grad.begin(), grad.end(), 0.0);
    return 0.0;
  }
  detail::Parallel par(threads);
  const double inv_m = 1.0 / static_cast<double>(m);

  // 1. Per-row loss derivatives and the loss sum, in the same fixed row blocks
  //    as Objective() (same bits).
  const double loss_sum = kernels::DispatchLoss(loss, [&](auto l) {
    using L = decltype(l);
    return par.Sum(m, detail::kRowBlock, [&](std::int64_t b, std::int64_t e) {
      double s = 0.0;
      for (std::int64_t i = b; i < e; ++i) {
        const double y = data.labels[static_cast<std::size_t>(i)];
        const double z = kernels::Dot(data.row(i), w.data());
        s += L::Value(y, z);
        derivative[static_cast<std::size_t>(i)] = L::Derivative(y, z);
      }
      return s;
    });
  });

  // 2. X^T r / m: a number of row blocks fixed by (m, d) only, each
  //    accumulating its rows in order into its own partial vector; partials
  //    are then added in block order per column. Memory: blocks * d <=
  //    kPartialBudget.
  const std::int64_t blocks = std::max<std::int64_t>(
      1, std::min({kMaxGradientBlocks, m / kGradientRowsPerBlock,
                   kPartialBudget / std::max<std::int64_t>(d, 1)}));
  if (blocks == 1) {
    // One block (few rows, or a model too wide for two partials): its rows go
    // straight into grad, the same additions from the same 0.0 as a single
    // partial (and 0.0 + p == p: a sum started at +0.0 is never -0.0), so the
    // same bits, without a d-long buffer to allocate and fault in and a
    // parallel pass to copy it. Both cost more than the rows themselves on
    // small data: svrg calls this once per outer iteration, and at 2 threads
    // the copy woke a TBB arena each time.
    std::fill(grad.begin(), grad.end(), 0.0);
    for (std::int64_t i = 0; i < m; ++i) {
      kernels::Axpy(derivative[static_cast<std::size_t>(i)] * inv_m, data.row(i), grad.data());
    }
    return loss_sum / static_cast<double>(m);
  }
  std::vector<double> partial(static_cast<std::size_t>(blocks * d), 0.0);
  par.For(blocks, 1, [&](std::int64_t b0, std::int64_t b1) {
    for (std::int64_t b = b0; b < b1; ++b) {
      double* acc = partial.data() + b * d;
      const std::int64_t e = (b + 1) * m / blocks;
      for (std::int64_t i = b * m / blocks; i < e; ++i) {
        kernels::Axpy(derivative[static_cast<std::size_t>(i)] * inv_m, data.row(i), acc);
      }
    }
  });
  par.For(d, 4096, [&](std::int64_t j0, std::int64_t j1) {
    for (std::int64_t j = j0; j < j1; ++j) {
      double s = 0.0;
      for (std::int64_t b = 0; b < blocks; ++b) s += partial[static_cast<std::size_t>(b * d + j)];
      grad[j] = s;
    }
  });
  return loss_sum / static_cast<double>(m);
}

}  // namespace internal

double ObjectiveAndGradient(const Dataset& data, const Problem& problem,
                            std::span<const double> w, std::span<double> grad, int threads) {
  CheckArguments(data, problem, w.size(), threads);
  if (grad.size() != w.size()) {
    throw Error(ErrorKind::kInvalidOption,
                "gradient has " + std::to_string(grad.size()) + " entries, expected " +
                    std::to_string(w.size()));
  }
  std::vector<double> derivative(static_cast<std::size_t>(data.num_rows));
  const double loss_mean =
      internal::LossDerivativesAndGradient(data, problem.loss, w, derivative, grad, threads);
  for (std::size_t j = 0; j < w.size(); ++j) grad[j] += problem.l2 * w[j];
  return loss_mean + internal::Regulariser(problem, w);
}

std::int64_t CountNonzeros(std::span<const double> w) {
  return std::count_if(w.begin(), w.end(), [](double v) { return v != 0.0; });
}

}  // namespace asyncopt
