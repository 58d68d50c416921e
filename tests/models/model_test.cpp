// The model interface: every model's mini-batch gradient matches central
// finite differences of its objective; softmax with K = 2 is the binary
// logistic model; the full objective has the same bits for any thread
// count; He initialisation is seeded and scaled as stated; MakeModel refuses
// data a model cannot fit, by name.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "asyncopt/error.hpp"
#include "models/model.hpp"
#include "problem/random_dataset.hpp"
#include "support/multiclass_data.hpp"

namespace asyncopt {
namespace {

using models::MakeModel;
using models::Model;
using models::ModelSpec;
using models::Workspace;

using testing::MulticlassData;

std::vector<std::int64_t> AllRows(const Dataset& d) {
  std::vector<std::int64_t> rows(static_cast<std::size_t>(d.num_rows));
  std::iota(rows.begin(), rows.end(), 0);
  return rows;
}

// theta from the model's own initialisation, then perturbed so that no
// parameter (bias, zero-initialised weight) sits at a special value.
std::vector<double> RandomTheta(const Model& m, std::uint64_t seed) {
  std::vector<double> theta(static_cast<std::size_t>(m.NumParameters()));
  m.Initialize(theta, seed);
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> normal(0.0, 0.3);
  for (double& v : theta) v += normal(gen);
  return theta;
}

// Largest |analytic - central difference| over every parameter, relative
// to max(1, |gradient|).
double GradientError(const Model& m, const Dataset& d, std::span<const std::int64_t> rows,
                     std::vector<double> theta) {
  Workspace ws;
  std::vector<double> grad(theta.size());
  m.LossAndGradient(d, rows, theta, grad, ws);
  std::vector<double> scratch(theta.size());
  double worst = 0.0;
  const double h = 1e-6;
  for (std::size_t p = 0; p < theta.size(); ++p) {
    const double keep = theta[p];
    theta[p] = keep + h;
    const double up = m.LossAndGradient(d, rows, theta, scratch, ws);
    theta[p] = keep - h;
    const double down = m.LossAndGradient(d, rows, theta, scratch, ws);
    theta[p] = keep;
    const double fd = (up - down) / (2 * h);
    worst = std::max(worst, std::fabs(fd - grad[p]) / std::max(1.0, std::fabs(grad[p])));
  }
  return worst;
}

TEST(Models, GradientsMatchFiniteDifferences) {
  const Dataset multi = MulticlassData(40, 7, 4, 3);
  testing::RandomDataOptions o;
  o.rows = 40;
  o.cols = 7;
  const Dataset binary = testing::RandomDataset(o);
  const std::vector<std::int64_t> batch = {3, 17, 17, 0, 39, 22};  // a repeat, as sampling may
  struct Case {
    ModelSpec spec;
    const Dataset* data;
  };
  const Case cases[] = {
      {{ModelKind::kLinear, 7, 0, Loss::kLogistic, 0.1, 0}, &binary},
      {{ModelKind::kLinear, 7, 0, Loss::kSquared, 0.1, 0}, &binary},
      {{ModelKind::kSoftmax, 7, 4, Loss::kLogistic, 0.1, 0}, &multi},
      {{ModelKind::kMlp, 7, 4, Loss::kLogistic, 0.1, 5}, &multi},
      {{ModelKind::kMlp, 7, 4, Loss::kLogistic, 0.0, 1}, &multi},
  };
  for (const Case& c : cases) {
    const auto m = MakeModel(c.spec, *c.data);
    for (const std::uint64_t seed : {1u, 2u}) {
      const std::vector<double> theta = RandomTheta(*m, seed);
      EXPECT_LT(GradientError(*m, *c.data, batch, theta), 1e-6)
          << "kind " << static_cast<int>(c.spec.kind) << " hidden " << c.spec.hidden;
      EXPECT_LT(GradientError(*m, *c.data, AllRows(*c.data), theta), 1e-6);
    }
  }
}

// The gradient is the batch mean: a batch of one row repeated is that row.
TEST(Models, GradientIsTheMeanOverTheBatch) {
  const Dataset d = MulticlassData(30, 6, 3, 5);
  const auto m = MakeModel({ModelKind::kMlp, 6, 3, Loss::kLogistic, 0.0, 4}, d);
  const std::vector<double> theta = RandomTheta(*m, 9);
  Workspace ws;
  std::vector<double> g1(theta.size()), g3(theta.size()), ga(theta.size()), gb(theta.size());
  const std::vector<std::int64_t> one = {4}, three = {4, 4, 4}, a = {4, 7}, b = {7};
  const double f1 = m->LossAndGradient(d, one, theta, g1, ws);
  EXPECT_DOUBLE_EQ(m->LossAndGradient(d, three, theta, g3, ws), f1);
  for (std::size_t p = 0; p < theta.size(); ++p) EXPECT_NEAR(g3[p], g1[p], 1e-15);
  m->LossAndGradient(d, a, theta, ga, ws);
  m->LossAndGradient(d, b, theta, gb, ws);
  for (std::size_t p = 0; p < theta.size(); ++p) EXPECT_NEAR(ga[p], 0.5 * (g1[p] + gb[p]), 1e-14);
}

// Softmax with two classes is the binary logistic model of w = W[:,1] -
// W[:,0] (class id 1 as +1): equal losses, and the logistic gradient is
// dF/dW[:,1] = -dF/dW[:,0] (without l2, which the two parametrisations
// weigh differently).
TEST(Models, SoftmaxWithTwoClassesIsTheLogisticLoss) {
  testing::RandomDataOptions o;
  o.rows = 50;
  o.cols = 6;
  o.seed = 4;
  const Dataset binary = testing::RandomDataset(o);
  Dataset ids = binary;
  for (double& y : ids.labels) y = y > 0 ? 1.0 : 0.0;
  ids.label_kind = LabelKind::kClassIds;
  ids.class_labels = {-1, 1};
  const auto soft = MakeModel({ModelKind::kSoftmax, 6, 2, Loss::kLogistic, 0.0, 0}, ids);
  const auto logit = MakeModel({ModelKind::kLinear, 6, 0, Loss::kLogistic, 0.0, 0}, binary);
  const std::vector<double> W = RandomTheta(*soft, 3);
  std::vector<double> w(6);
  for (std::size_t j = 0; j < 6; ++j) w[j] = W[2 * j + 1] - W[2 * j];
  const std::vector<std::int64_t> rows = AllRows(binary);
  Workspace ws;
  std::vector<double> gW(W.size()), gw(w.size());
  const double fs = soft->LossAndGradient(ids, rows, W, gW, ws);
  const double fl = logit->LossAndGradient(binary, rows, w, gw, ws);
  EXPECT_NEAR(fs, fl, 1e-13 * std::fabs(fl));
  for (std::size_t j = 0; j < 6; ++j) {
    EXPECT_NEAR(gW[2 * j + 1], gw[j], 1e-13);
    EXPECT_NEAR(gW[2 * j], -gw[j], 1e-13);
  }
  // Predictions agree: class id 1 exactly where the logistic model says +1.
  const std::vector<double> ps = models::PredictAll(*soft, ids, W);
  const std::vector<double> pl = models::PredictAll(*logit, binary, w);
  for (std::size_t i = 0; i < ps.size(); ++i) EXPECT_EQ(ps[i] == 1.0, pl[i] == 1.0) << i;
}

TEST(Models, ObjectiveHasTheSameBitsForAnyThreadCount) {
  const Dataset d = MulticlassData(5000, 20, 5, 8);  // more than two row blocks
  for (const ModelKind kind : {ModelKind::kSoftmax, ModelKind::kMlp}) {
    const auto m = MakeModel({kind, 20, 5, Loss::kLogistic, 1e-3, 16}, d);
    const std::vector<double> theta = RandomTheta(*m, 11);
    const double one = models::Objective(*m, d, theta, 1);
    EXPECT_TRUE(std::isfinite(one));
    EXPECT_EQ(models::Objective(*m, d, theta, 2), one);
    EXPECT_EQ(models::Objective(*m, d, theta, 4), one);
    // ... and it is the mean of the batch objective over all rows.
    Workspace ws;
    std::vector<double> g(theta.size());
    EXPECT_NEAR(m->LossAndGradient(d, AllRows(d), theta, g, ws), one, 1e-12 * std::fabs(one));
    EXPECT_EQ(models::PredictAll(*m, d, theta, 1), models::PredictAll(*m, d, theta, 3));
    // A shard's loss over listed rows is the range's, row for row.
    const std::vector<std::int64_t> some = {4999, 0, 17, 300, 17};
    double by_range = 0.0;
    for (const std::int64_t i : some) by_range += m->LossSum(d, i, i + 1, theta, ws);
    EXPECT_NEAR(m->LossSum(d, std::span<const std::int64_t>(some), theta, ws), by_range,
                1e-13 * std::fabs(by_range));
  }
}

TEST(Models, HeInitialisationIsSeededAndScaled) {
  const Dataset d = MulticlassData(20, 400, 3, 2);
  const int H = 200;
  const auto m = MakeModel({ModelKind::kMlp, 400, 3, Loss::kLogistic, 0.0, H}, d);
  ASSERT_EQ(m->NumParameters(), 400 * H + H + H * 3 + 3);
  std::vector<double> a(static_cast<std::size_t>(m->NumParameters()));
  std::vector<double> b(a.size()), c(a.size());
  m->Initialize(a, 7);
  m->Initialize(b, 7);
  m->Initialize(c, 8);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  // W1 ~ N(0, 2/d) over 80,000 draws: the sample variance within 3%.
  double sq = 0.0;
  for (int p = 0; p < 400 * H; ++p) sq += a[p] * a[p];
  EXPECT_NEAR(sq / (400 * H), 2.0 / 400, 0.03 * 2.0 / 400);
  // W2 ~ N(0, 2/H) over 600 draws: within 20%.
  double sq2 = 0.0;
  for (int p = 400 * H + H; p < 400 * H + H + 3 * H; ++p) sq2 += a[p] * a[p];
  EXPECT_NEAR(sq2 / (3 * H), 2.0 / H, 0.2 * 2.0 / H);
  for (int p = 400 * H; p < 400 * H + H; ++p) EXPECT_EQ(a[p], 0.0);  // b1
  for (int k = 0; k < 3; ++k) EXPECT_EQ(a[a.size() - 1 - k], 0.0);    // b2
}

// The l2 term of the perceptron leaves the biases alone.
TEST(Models, PerceptronRegularisesWeightsOnly) {
  const Dataset d = MulticlassData(10, 3, 2, 6);
  const auto m = MakeModel({ModelKind::kMlp, 3, 2, Loss::kLogistic, 2.0, 2}, d);
  std::vector<double> theta(static_cast<std::size_t>(m->NumParameters()), 0.0);
  // Layout: W1 (3 x 2) | b1 (2) | W2 (2 x 2) | b2 (2).
  theta[6] = theta[7] = 5.0;    // b1
  theta[12] = theta[13] = 5.0;  // b2
  EXPECT_EQ(m->Regulariser(theta), 0.0);
  theta[0] = 1.0;   // W1
  theta[8] = 2.0;   // W2
  EXPECT_DOUBLE_EQ(m->Regulariser(theta), 0.5 * 2.0 * (1.0 + 4.0));
}

// A test row may carry features the training data never had: they add
// nothing, as in LIBLINEAR's predict, rather than read past theta.
TEST(Models, FeaturesBeyondTheModelAreIgnored) {
  const Dataset train = MulticlassData(30, 5, 3, 12);
  Dataset wide = train;
  // Row 0 gains a feature at column 8 (the model has 5 columns).
  wide.num_cols = 9;
  wide.col_index.insert(wide.col_index.begin() + wide.row_ptr[1], 8);
  wide.values.insert(wide.values.begin() + wide.row_ptr[1], 100.0);
  for (std::size_t i = 1; i < wide.row_ptr.size(); ++i) wide.row_ptr[i] += 1;
  for (const ModelKind kind : {ModelKind::kSoftmax, ModelKind::kMlp}) {
    const auto m = MakeModel({kind, 5, 3, Loss::kLogistic, 0.0, 4}, train);
    const std::vector<double> theta = RandomTheta(*m, 1);
    EXPECT_EQ(models::PredictAll(*m, wide, theta), models::PredictAll(*m, train, theta));
    EXPECT_EQ(models::Objective(*m, wide, theta, 1), models::Objective(*m, train, theta, 1));
  }
}

TEST(Models, DataThatDoNotSuitTheModelAreRefusedByName) {
  const Dataset multi = MulticlassData(20, 4, 3, 1);
  testing::RandomDataOptions o;
  o.rows = 20;
  o.cols = 4;
  const Dataset binary = testing::RandomDataset(o);
  auto message = [](auto&& f, ErrorKind kind) -> std::string {
    try {
      f();
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), kind) << e.what();
      return e.what();
    }
    ADD_FAILURE() << "accepted";
    return "";
  };
  EXPECT_NE(message([&] { MakeModel({ModelKind::kLinear, 4, 0, Loss::kLogistic, 0.0, 0}, multi); },
                    ErrorKind::kInvalidInput)
                .find("3 class ids: use --model-kind softmax or mlp"),
            std::string::npos);
  EXPECT_NE(message([&] { MakeModel({ModelKind::kSoftmax, 4, 2, Loss::kLogistic, 0.0, 0}, binary); },
                    ErrorKind::kInvalidInput)
                .find("takes class ids"),
            std::string::npos);
  EXPECT_NE(message([&] { MakeModel({ModelKind::kSoftmax, 4, 2, Loss::kLogistic, 0.0, 0}, multi); },
                    ErrorKind::kInvalidInput)
                .find("the model has 2, the data 3"),
            std::string::npos);
  EXPECT_NE(message([&] { MakeModel({ModelKind::kMlp, 4, 3, Loss::kLogistic, 0.0, 0}, multi); },
                    ErrorKind::kInvalidOption)
                .find("hidden = 0"),
            std::string::npos);
  EXPECT_NE(message([&] { MakeModel({ModelKind::kMlp, 4, 3, Loss::kLogistic, -1.0, 3}, multi); },
                    ErrorKind::kInvalidOption)
                .find("l2 = -1"),
            std::string::npos);
  EXPECT_NE(message([&] { MakeModel({ModelKind::kMlp, 1 << 30, 3, Loss::kLogistic, 0.0, 64}, multi); },
                    ErrorKind::kInvalidOption)
                .find("parameters, more than 2^31 - 1"),
            std::string::npos);
}

}  // namespace
}  // namespace asyncopt
