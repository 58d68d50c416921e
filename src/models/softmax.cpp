// Multinomial logistic regression (the softmax model) on class ids:
//
//   loss_i(W) = log sum_k exp(z_k) - z_{y_i},   z = W^T x_i,   W in R^{d x K}
//
// theta holds W feature-major: theta[j K + k] = W[j][k], the order of the
// weight lines of LIBLINEAR's multiclass model file (one line per feature,
// K values). No separate bias: --bias adds a constant feature, as LIBLINEAR.
// For K = 2 the loss is the binary logistic loss of w = W[:,1] - W[:,0]
// (a test checks it).
#include <Eigen/Core>

#include <algorithm>

#include "models/models.hpp"

namespace asyncopt::models {
namespace {

using RowVector = Eigen::Matrix<double, 1, Eigen::Dynamic>;

class SoftmaxModel final : public Model {
 public:
  explicit SoftmaxModel(const ModelSpec& spec) : Model(spec) {}

  std::int64_t NumParameters() const override {
    return static_cast<std::int64_t>(spec().features) * spec().classes;
  }

  void Initialize(std::span<double> theta, std::uint64_t) const override {
    std::fill(theta.begin(), theta.end(), 0.0);
  }

  double LossAndGradient(const Dataset& data, std::span<const std::int64_t> rows,
                         std::span<const double> theta, std::span<double> grad,
                         Workspace& ws) const override {
    const int K = spec().classes;
    const double l2 = spec().l2;
    for (std::size_t j = 0; j < grad.size(); ++j) grad[j] = l2 * theta[j];
    const double scale = 1.0 / static_cast<double>(rows.size());
    ws.a.resize(static_cast<std::size_t>(K));
    Eigen::Map<RowVector> z(ws.a.data(), K);
    double sum = 0.0;
    for (const std::int64_t i : rows) {
      const SparseRow row = data.row(i);
      Logits(row, theta, z);
      sum += SoftmaxCrossEntropy(z.data(), K, Label(data, i), /*gradient=*/true);
      z *= scale;
      for (std::int32_t k = 0; k < row.nnz && row.index[k] < spec().features; ++k) {
        Eigen::Map<RowVector>(grad.data() + Offset(row.index[k]), K).noalias() += row.value[k] * z;
      }
    }
    return sum * scale + Regulariser(theta);
  }

  double LossSum(const Dataset& data, std::int64_t begin, std::int64_t end,
                 std::span<const double> theta, Workspace& ws) const override {
    const int K = spec().classes;
    ws.a.resize(static_cast<std::size_t>(K));
    Eigen::Map<RowVector> z(ws.a.data(), K);
    double sum = 0.0;
    for (std::int64_t i = begin; i < end; ++i) {
      Logits(data.row(i), theta, z);
      sum += SoftmaxCrossEntropy(z.data(), K, Label(data, i), /*gradient=*/false);
    }
    return sum;
  }

  double LossSum(const Dataset& data, std::span<const std::int64_t> rows,
                 std::span<const double> theta, Workspace& ws) const override {
    const int K = spec().classes;
    ws.a.resize(static_cast<std::size_t>(K));
    Eigen::Map<RowVector> z(ws.a.data(), K);
    double sum = 0.0;
    for (const std::int64_t i : rows) {
      Logits(data.row(i), theta, z);
      sum += SoftmaxCrossEntropy(z.data(), K, Label(data, i), /*gradient=*/false);
    }
    return sum;
  }

  void Predict(const Dataset& data, std::int64_t begin, std::int64_t end,
               std::span<const double> theta, std::span<double> out, Workspace& ws) const override {
    const int K = spec().classes;
    ws.a.resize(static_cast<std::size_t>(K));
    Eigen::Map<RowVector> z(ws.a.data(), K);
    for (std::int64_t i = begin; i < end; ++i) {
      Logits(data.row(i), theta, z);
      out[static_cast<std::size_t>(i - begin)] = ArgMax(z.data(), K);
    }
  }

  double Regulariser(std::span<const double> theta) const override {
    double sq = 0.0;
    for (const double v : theta) sq += v * v;
    return 0.5 * spec().l2 * sq;
  }

 private:
  std::size_t Offset(std::int32_t j) const {
    return static_cast<std::size_t>(j) * static_cast<std::size_t>(spec().classes);
  }
  static int Label(const Dataset& data, std::int64_t i) {
    return static_cast<int>(data.labels[static_cast<std::size_t>(i)]);
  }
  // z = W^T x: one K-long axpy per stored feature (features beyond d, seen
  // only in a test file, add nothing).
  void Logits(const SparseRow& row, std::span<const double> theta, Eigen::Map<RowVector>& z) const {
    const int K = spec().classes;
    z.setZero();
    for (std::int32_t k = 0; k < row.nnz && row.index[k] < spec().features; ++k) {
      z.noalias() += row.value[k] * Eigen::Map<const RowVector>(theta.data() + Offset(row.index[k]), K);
    }
  }
};

}  // namespace

std::unique_ptr<Model> MakeSoftmaxModel(const ModelSpec& spec) {
  return std::make_unique<SoftmaxModel>(spec);
}

}  // namespace asyncopt::models
