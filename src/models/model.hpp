// asyncopt internal: the model interface -- what a mini-batch solver needs
// from a model: its parameter count, a starting point, the objective and its
// gradient on a mini-batch, and predictions. Four models implement it:
//
//   linear   w . x with Problem::loss (binary classes or regression), w in R^d
//   softmax  K-class multinomial logistic regression, W in R^{d x K}
//   mlp      one hidden ReLU layer of H units and a softmax output
//
// Every model keeps its parameters in ONE flat vector theta (so a solver
// can compress, average and send it as a vector); the layout is the model's
// and is documented with it. The objective on a mini-batch B is
//
//   F_B(theta) = (1/|B|) sum_{i in B} loss_i(theta) + (l2/2) ||W||^2
//
// where W is every weight (theta for linear and softmax; W1 and W2, not the
// biases, for the perceptron, as in scikit-learn's MLPClassifier).
//
// The hot paths of hogwild, svrg, soda and dissvrg do not go through this
// interface: they keep their own inlined sparse kernels (kernels/), and one
// virtual call here covers a whole mini-batch, never a row.
//
// Thread safety: a Model is immutable after construction; each thread
// passes its own Workspace (scratch memory the model sizes on first use).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "asyncopt/dataset.hpp"
#include "asyncopt/problem.hpp"
#include "asyncopt/solver.hpp"

namespace asyncopt::models {

// Scratch memory of one thread's calls into a model; reused across calls.
struct Workspace {
  std::vector<double> a, b, c, d;
};

// What a model is made from: the kind, the data's shape, the problem's loss
// (linear only) and l2, the perceptron's hidden width.
struct ModelSpec {
  ModelKind kind = ModelKind::kLinear;
  std::int32_t features = 0;  // d: the training data's columns
  int classes = 0;            // K: class ids' count (softmax, mlp); unused for linear
  Loss loss = Loss::kLogistic;  // linear only
  double l2 = 0.0;
  int hidden = 100;  // mlp only: H
};

class Model {
 public:
  virtual ~Model() = default;

  const ModelSpec& spec() const { return spec_; }
  // The length of theta.
  virtual std::int64_t NumParameters() const = 0;
  // The starting point from `seed` (zero for the convex models; He
  // initialisation of the weights for the perceptron). Deterministic.
  virtual void Initialize(std::span<double> theta, std::uint64_t seed) const = 0;
  // F_B(theta) for B = `rows` (indices into `data`); grad <- its gradient
  // (size NumParameters(), overwritten). `rows` must not be empty.
  virtual double LossAndGradient(const Dataset& data, std::span<const std::int64_t> rows,
                                 std::span<const double> theta, std::span<double> grad,
                                 Workspace& ws) const = 0;
  // The summed loss over data rows [begin, end) (no regulariser, no mean):
  // the building block of the full objective and of test losses.
  virtual double LossSum(const Dataset& data, std::int64_t begin, std::int64_t end,
                         std::span<const double> theta, Workspace& ws) const = 0;
  // The same over the rows listed (a worker's shard).
  virtual double LossSum(const Dataset& data, std::span<const std::int64_t> rows,
                         std::span<const double> theta, Workspace& ws) const = 0;
  // out[i - begin] = the prediction for row i in [begin, end): a class id
  // for softmax and mlp, -1 or +1 for linear classifiers, the value x . w
  // for the squared loss.
  virtual void Predict(const Dataset& data, std::int64_t begin, std::int64_t end,
                       std::span<const double> theta, std::span<double> out,
                       Workspace& ws) const = 0;
  // (l2/2) ||W||^2 of the objective above.
  virtual double Regulariser(std::span<const double> theta) const = 0;

 protected:
  explicit Model(const ModelSpec& spec) : spec_(spec) {}

 private:
  ModelSpec spec_;
};

// Checks `spec` against `data` (the label kind each model takes: -1/+1
// classes or real targets for linear, class ids with K >= 2 for softmax and
// mlp; K at most kMaxClasses; hidden in [1, kMaxHidden]; the parameter count
// within int64) and builds the model. Throws Error(kInvalidInput) for data
// that do not suit the model, Error(kInvalidOption) for bad options, each
// naming the value at fault and what would fit.
std::unique_ptr<Model> MakeModel(const ModelSpec& spec, const Dataset& data);
inline constexpr int kMaxClasses = 100000;
inline constexpr int kMaxHidden = 1 << 20;

// The full objective F(theta) over every row of `data` (mean loss plus the
// regulariser), in parallel over fixed row blocks added in order: the same
// bits for any thread count (threads = 0: all).
double Objective(const Model& model, const Dataset& data, std::span<const double> theta,
                 int threads = 0);

// The spec of the model `options` asks for on these data and problem
// (model_kind, hidden; the linear model's loss and every model's l2).
ModelSpec SpecFor(const Dataset& data, const Problem& problem, const Options& options);

// The fraction of `test`'s rows whose predicted class (or sign) is their
// label; NaN for real targets or no rows.
double Accuracy(const Model& model, const Dataset& test, std::span<const double> theta, int threads = 0);

// The summed loss over every row of `data` (no mean, no regulariser): a
// part's share of the full objective under MPI. Same blocks as Objective.
double LossTotal(const Model& model, const Dataset& data, std::span<const double> theta, int threads = 0);

// Predictions for every row, in parallel (threads = 0: all).
std::vector<double> PredictAll(const Model& model, const Dataset& data,
                               std::span<const double> theta, int threads = 0);

}  // namespace asyncopt::models
