// A one-hidden-layer perceptron on class ids:
//
//   a = max(0, W1^T x + b1)   (H hidden ReLU units)
//   z = W2^T a + b2           (K logits),   loss_i = log sum_k exp(z_k) - z_{y_i}
//
// theta layout (version 1 of the model file, see runtime/model.cpp):
//   [ W1: d x H, feature-major (theta[j H + h]) | b1: H | W2: H x K, row-major
//     (theta[o2 + h K + k]) | b2: K ]
// He initialisation (He et al. 2015): W1 ~ N(0, 2/d), W2 ~ N(0, 2/H), biases
// 0, from the seed. The regulariser (l2/2)(||W1||^2 + ||W2||^2) leaves the
// biases alone, as scikit-learn's MLPClassifier does.
//
// A mini-batch runs as dense matrices: the sparse input layer is a sum of
// H-long rows of W1 per stored feature (forward) and a scatter into the
// gradient of W1 (backward), both kernels/dense_simd.hpp (AVX2 and FMA
// where the CPU has them); the output layer is two small Eigen products.
#include <Eigen/Core>

#include <algorithm>
#include <cmath>

#include "data/random.hpp"
#include "kernels/dense_simd.hpp"
#include "models/models.hpp"

namespace asyncopt::models {
namespace {

using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowVector = Eigen::Matrix<double, 1, Eigen::Dynamic>;
using MatrixMap = Eigen::Map<RowMatrix>;
using ConstMatrixMap = Eigen::Map<const RowMatrix>;
using VectorMap = Eigen::Map<RowVector>;
using ConstVectorMap = Eigen::Map<const RowVector>;

// Rows per block of the forward-only passes (loss sums, predictions).
constexpr std::int64_t kForwardBlock = 256;

class MlpModel final : public Model {
 public:
  explicit MlpModel(const ModelSpec& spec)
      : Model(spec),
        d_(spec.features),
        h_(spec.hidden),
        k_(spec.classes),
        o_b1_(static_cast<std::size_t>(d_) * static_cast<std::size_t>(h_)),
        o_w2_(o_b1_ + static_cast<std::size_t>(h_)),
        o_b2_(o_w2_ + static_cast<std::size_t>(h_) * static_cast<std::size_t>(k_)) {}

  std::int64_t NumParameters() const override {
    return static_cast<std::int64_t>(o_b2_) + k_;
  }

  void Initialize(std::span<double> theta, std::uint64_t seed) const override {
    std::fill(theta.begin(), theta.end(), 0.0);
    data::Rng rng = data::Rng::ForStream(seed, /*domain=*/0x4d4c50 /* "MLP" */, 0);
    const double s1 = std::sqrt(2.0 / d_), s2 = std::sqrt(2.0 / h_);
    for (std::size_t p = 0; p < o_b1_; ++p) theta[p] = s1 * rng.Normal();
    for (std::size_t p = o_w2_; p < o_b2_; ++p) theta[p] = s2 * rng.Normal();
  }

  double LossAndGradient(const Dataset& data, std::span<const std::int64_t> rows,
                         std::span<const double> theta, std::span<double> grad,
                         Workspace& ws) const override {
    const auto B = static_cast<Eigen::Index>(rows.size());
    MatrixMap z1 = Hidden(data, rows.data(), B, 0, theta, ws);  // pre-activations
    ws.d.resize(static_cast<std::size_t>(B * h_));
    MatrixMap a1(ws.d.data(), B, h_);
    a1 = z1.cwiseMax(0.0);
    MatrixMap z2 = Output(a1, theta, ws);
    double sum = 0.0;
    for (Eigen::Index b = 0; b < B; ++b) {
      sum += SoftmaxCrossEntropy(z2.row(b).data(), k_, Label(data, rows[static_cast<std::size_t>(b)]),
                                 /*gradient=*/true);
    }
    z2 *= 1.0 / static_cast<double>(B);  // now dF/dz2
    // grad W <- l2 W and the regulariser, in one pass each.
    const kernels::DenseKernels& dense = kernels::Dense();
    const double l2 = spec().l2;
    const double squares = dense.scale_and_squares(theta.data(), l2, grad.data(), o_b1_) +
                           dense.scale_and_squares(theta.data() + o_w2_, l2, grad.data() + o_w2_, o_b2_ - o_w2_);
    MatrixMap(grad.data() + o_w2_, h_, k_).noalias() += a1.transpose() * z2;
    VectorMap(grad.data() + o_b2_, k_) = z2.colwise().sum();
    // dF/da1 = dz2 W2^T, masked by the ReLU: dF/dz1 (into a1's memory).
    a1.noalias() = z2 * ConstMatrixMap(theta.data() + o_w2_, h_, k_).transpose();
    a1 = (z1.array() > 0.0).select(a1, 0.0);
    VectorMap(grad.data() + o_b1_, h_) = a1.colwise().sum();
    for (Eigen::Index b = 0; b < B; ++b) {
      const SparseRow row = data.row(rows[static_cast<std::size_t>(b)]);
      dense.row_scatter(grad.data(), H(), row.index, row.value, Known(row), a1.row(b).data(), H());
    }
    return sum / static_cast<double>(B) + 0.5 * l2 * squares;
  }

  double LossSum(const Dataset& data, std::int64_t begin, std::int64_t end,
                 std::span<const double> theta, Workspace& ws) const override {
    double sum = 0.0;
    for (std::int64_t b0 = begin; b0 < end; b0 += kForwardBlock) {
      const std::int64_t b1 = std::min(end, b0 + kForwardBlock);
      MatrixMap z2 = Forward(data, b0, b1, theta, ws);
      for (std::int64_t i = b0; i < b1; ++i) {
        sum += SoftmaxCrossEntropy(z2.row(i - b0).data(), k_, Label(data, i), /*gradient=*/false);
      }
    }
    return sum;
  }

  double LossSum(const Dataset& data, std::span<const std::int64_t> rows,
                 std::span<const double> theta, Workspace& ws) const override {
    double sum = 0.0;
    for (std::size_t b0 = 0; b0 < rows.size(); b0 += kForwardBlock) {
      const std::size_t b1 = std::min(rows.size(), b0 + static_cast<std::size_t>(kForwardBlock));
      const auto B = static_cast<Eigen::Index>(b1 - b0);
      MatrixMap z1 = Hidden(data, rows.data() + b0, B, 0, theta, ws);
      z1 = z1.cwiseMax(0.0);
      MatrixMap z2 = Output(z1, theta, ws);
      for (Eigen::Index b = 0; b < B; ++b) {
        sum += SoftmaxCrossEntropy(z2.row(b).data(), k_, Label(data, rows[b0 + static_cast<std::size_t>(b)]),
                                   /*gradient=*/false);
      }
    }
    return sum;
  }

  void Predict(const Dataset& data, std::int64_t begin, std::int64_t end,
               std::span<const double> theta, std::span<double> out, Workspace& ws) const override {
    for (std::int64_t b0 = begin; b0 < end; b0 += kForwardBlock) {
      const std::int64_t b1 = std::min(end, b0 + kForwardBlock);
      MatrixMap z2 = Forward(data, b0, b1, theta, ws);
      for (std::int64_t i = b0; i < b1; ++i) {
        out[static_cast<std::size_t>(i - begin)] = ArgMax(z2.row(i - b0).data(), k_);
      }
    }
  }

  double Regulariser(std::span<const double> theta) const override {
    // The sums LossAndGradient adds (scale_and_squares's lanes).
    const kernels::DenseKernels& dense = kernels::Dense();
    const double squares = dense.squares(theta.data(), o_b1_) + dense.squares(theta.data() + o_w2_, o_b2_ - o_w2_);
    return 0.5 * spec().l2 * squares;
  }

 private:
  std::size_t H() const { return static_cast<std::size_t>(h_); }
  // The row's leading entries that are training features (a test row may
  // hold columns the training data did not; indices ascend).
  std::int32_t Known(const SparseRow& row) const {
    std::int32_t k = row.nnz;
    while (k > 0 && row.index[k - 1] >= d_) --k;
    return k;
  }
  static int Label(const Dataset& data, std::int64_t i) {
    return static_cast<int>(data.labels[static_cast<std::size_t>(i)]);
  }

  // z1 = X W1 + b1 for B rows (the given indices, or first + [0, B) when
  // `rows` is null), into ws.a.
  MatrixMap Hidden(const Dataset& data, const std::int64_t* rows, Eigen::Index B, std::int64_t first,
                   std::span<const double> theta, Workspace& ws) const {
    ws.a.resize(static_cast<std::size_t>(B * h_));
    MatrixMap z1(ws.a.data(), B, h_);
    const double* b1 = theta.data() + o_b1_;
    const kernels::DenseKernels& dense = kernels::Dense();
    for (Eigen::Index b = 0; b < B; ++b) {
      const SparseRow row = data.row(rows != nullptr ? rows[b] : first + b);
      double* z = z1.row(b).data();
      std::copy(b1, b1 + h_, z);
      dense.row_combination(theta.data(), H(), row.index, row.value, Known(row), z, H());
    }
    return z1;
  }

  // z2 = a1 W2 + b2, into ws.b.
  MatrixMap Output(const MatrixMap& a1, std::span<const double> theta, Workspace& ws) const {
    const Eigen::Index B = a1.rows();
    ws.b.resize(static_cast<std::size_t>(B * k_));
    MatrixMap z2(ws.b.data(), B, k_);
    z2.noalias() = a1 * ConstMatrixMap(theta.data() + o_w2_, h_, k_);
    z2.rowwise() += ConstVectorMap(theta.data() + o_b2_, k_);
    return z2;
  }

  // The logits of rows [begin, end).
  MatrixMap Forward(const Dataset& data, std::int64_t begin, std::int64_t end,
                    std::span<const double> theta, Workspace& ws) const {
    MatrixMap z1 = Hidden(data, nullptr, end - begin, begin, theta, ws);
    z1 = z1.cwiseMax(0.0);
    return Output(z1, theta, ws);
  }

  const int d_, h_, k_;
  const std::size_t o_b1_, o_w2_, o_b2_;
};

}  // namespace

std::unique_ptr<Model> MakeMlpModel(const ModelSpec& spec) { return std::make_unique<MlpModel>(spec); }

}  // namespace asyncopt::models
