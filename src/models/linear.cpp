// The linear model behind the model interface: theta = w in R^d, the loss
// of Problem::loss on the margin z = x . w (kernels/losses.hpp), -1/+1
// classes or real targets.
#include "models/models.hpp"

#include <algorithm>
#include <cmath>

#include "kernels/losses.hpp"

namespace asyncopt::models {
namespace {

// The margin of a row, columns beyond d (a test row's unseen features)
// contributing nothing.
double Margin(const SparseRow& row, std::span<const double> w) {
  const auto d = static_cast<std::int32_t>(w.size());
  double z = 0.0;
  for (std::int32_t k = 0; k < row.nnz && row.index[k] < d; ++k) {
    z += row.value[k] * w[static_cast<std::size_t>(row.index[k])];
  }
  return z;
}

template <class L>
class LinearModel final : public Model {
 public:
  explicit LinearModel(const ModelSpec& spec) : Model(spec) {}

  std::int64_t NumParameters() const override { return spec().features; }

  void Initialize(std::span<double> theta, std::uint64_t) const override {
    std::fill(theta.begin(), theta.end(), 0.0);
  }

  double LossAndGradient(const Dataset& data, std::span<const std::int64_t> rows,
                         std::span<const double> theta, std::span<double> grad,
                         Workspace&) const override {
    const double l2 = spec().l2;
    for (std::size_t j = 0; j < grad.size(); ++j) grad[j] = l2 * theta[j];
    const double scale = 1.0 / static_cast<double>(rows.size());
    double sum = 0.0;
    for (const std::int64_t i : rows) {
      const SparseRow row = data.row(i);
      const double y = data.labels[static_cast<std::size_t>(i)];
      const double z = Margin(row, theta);
      sum += L::Value(y, z);
      const double g = scale * L::Derivative(y, z);
      for (std::int32_t k = 0; k < row.nnz && row.index[k] < spec().features; ++k) {
        grad[static_cast<std::size_t>(row.index[k])] += g * row.value[k];
      }
    }
    return sum * scale + Regulariser(theta);
  }

  double LossSum(const Dataset& data, std::int64_t begin, std::int64_t end,
                 std::span<const double> theta, Workspace&) const override {
    double sum = 0.0;
    for (std::int64_t i = begin; i < end; ++i) {
      sum += L::Value(data.labels[static_cast<std::size_t>(i)], Margin(data.row(i), theta));
    }
    return sum;
  }

  double LossSum(const Dataset& data, std::span<const std::int64_t> rows,
                 std::span<const double> theta, Workspace&) const override {
    double sum = 0.0;
    for (const std::int64_t i : rows) {
      sum += L::Value(data.labels[static_cast<std::size_t>(i)], Margin(data.row(i), theta));
    }
    return sum;
  }

  void Predict(const Dataset& data, std::int64_t begin, std::int64_t end,
               std::span<const double> theta, std::span<double> out, Workspace&) const override {
    for (std::int64_t i = begin; i < end; ++i) {
      const double z = Margin(data.row(i), theta);
      out[static_cast<std::size_t>(i - begin)] =
          spec().loss == Loss::kSquared ? z : (z > 0.0 ? 1.0 : -1.0);
    }
  }

  double Regulariser(std::span<const double> theta) const override {
    double sq = 0.0;
    for (const double v : theta) sq += v * v;
    return 0.5 * spec().l2 * sq;
  }
};

}  // namespace

std::unique_ptr<Model> MakeLinearModel(const ModelSpec& spec) {
  return kernels::DispatchLoss(spec.loss, [&](auto loss) -> std::unique_ptr<Model> {
    return std::make_unique<LinearModel<decltype(loss)>>(spec);
  });
}

}  // namespace asyncopt::models
