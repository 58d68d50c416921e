#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include "asyncopt/error.hpp"
#include "asyncopt/model.hpp"

namespace asyncopt {
namespace {

std::filesystem::path TempFile(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("asyncopt_model_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir / name;
}

Dataset TinyData() {
  // rows: [1 0 2], [0 3 0], [0 0 0] ; labels +1, -1, +1
  Dataset d;
  d.num_rows = 3;
  d.num_cols = 3;
  d.row_ptr = {0, 2, 3, 3};
  d.col_index = {0, 2, 1};
  d.values = {1.0, 2.0, 3.0};
  d.labels = {1.0, -1.0, 1.0};
  return d;
}

TEST(Model, SaveLoadRoundTripsExactly) {
  LinearModel m;
  m.w = {0.1, -1e-300, 3.141592653589793, 0.5};
  m.bias = 1.0;
  m.loss = Loss::kLogistic;
  m.l1 = true;
  m.positive_label = "4";
  m.negative_label = "2";
  const auto path = TempFile("roundtrip.model").string();
  SaveModel(m, path);
  const LinearModel back = LoadModel(path);
  EXPECT_EQ(back.w, m.w);
  EXPECT_EQ(back.bias, 1.0);
  EXPECT_EQ(back.num_features(), 3);
  EXPECT_EQ(back.loss, Loss::kLogistic);
  EXPECT_TRUE(back.l1);
  EXPECT_EQ(back.positive_label, "4");
  EXPECT_EQ(back.negative_label, "2");
}

TEST(Model, FileHasLiblinearHeader) {
  LinearModel m;
  m.w = {1.0, 2.0};
  const auto path = TempFile("header.model").string();
  SaveModel(m, path);
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "solver_type L2R_LR");
  std::getline(in, line);
  EXPECT_EQ(line, "nr_class 2");
  std::getline(in, line);
  EXPECT_EQ(line, "label 1 -1");
  std::getline(in, line);
  EXPECT_EQ(line, "nr_feature 2");
}

TEST(Model, RefusesNonFiniteWeights) {
  LinearModel m;
  m.w = {1.0, std::nan("")};
  EXPECT_THROW(SaveModel(m, TempFile("nan.model").string()), Error);
}

TEST(Model, MalformedFileNamesTheLine) {
  const auto path = TempFile("bad.model").string();
  std::ofstream(path) << "solver_type L2R_LR\nnr_class 2\nlabel 1 -1\nnr_feature 2\nbias -1\nw\n0.5\nabc\n";
  try {
    LoadModel(path);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path + ":8:"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("'abc'"), std::string::npos) << e.what();
  }
}

TEST(Model, TruncatedWeightsAreAnError) {
  const auto path = TempFile("short.model").string();
  std::ofstream(path) << "solver_type L2R_LR\nnr_class 2\nlabel 1 -1\nnr_feature 3\nbias -1\nw\n0.5\n";
  EXPECT_THROW(LoadModel(path), Error);
}

TEST(Model, DecisionUsesBiasAndIgnoresUnknownFeatures) {
  LinearModel m;
  m.w = {1.0, 10.0, 0.5};  // two features + bias weight
  m.bias = 2.0;
  const std::vector<double> z = Decision(m, TinyData());
  // row 0: 1*1 + (feature 3 ignored) + 0.5*2 = 2; row 1: 10*3 + 1 = 31; row 2: 1
  EXPECT_DOUBLE_EQ(z[0], 2.0);
  EXPECT_DOUBLE_EQ(z[1], 31.0);
  EXPECT_DOUBLE_EQ(z[2], 1.0);
}

TEST(Metrics, AccuracyLoglossAndAucOnHandComputedExample) {
  const std::vector<double> margins = {2.0, -1.0, 0.0, 0.5};
  const std::vector<double> labels = {1.0, -1.0, 1.0, -1.0};
  const PredictionMetrics m = Evaluate(margins, labels);
  // predictions: +1, -1, -1 (0 is not > 0), +1 -> 2 of 4 correct
  EXPECT_DOUBLE_EQ(m.accuracy, 0.5);
  const double expected_logloss =
      (std::log1p(std::exp(-2.0)) + std::log1p(std::exp(-1.0)) + std::log(2.0) +
       std::log1p(std::exp(0.5))) / 4.0;
  EXPECT_NEAR(m.logloss, expected_logloss, 1e-15);
  // positive/negative pairs: (2,-1) win, (2,0.5) win, (0,-1) win, (0,0.5) loss -> 3/4
  EXPECT_DOUBLE_EQ(m.auc, 0.75);
}

TEST(Metrics, AucMatchesPairCountingWithTies) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> score(0, 5);
  std::vector<double> margins(300), labels(300);
  for (std::size_t i = 0; i < margins.size(); ++i) {
    margins[i] = score(rng);
    labels[i] = rng() % 3 == 0 ? 1.0 : -1.0;
  }
  double wins = 0.0, pairs = 0.0;
  for (std::size_t i = 0; i < margins.size(); ++i) {
    for (std::size_t j = 0; j < margins.size(); ++j) {
      if (labels[i] > 0 && labels[j] < 0) {
        pairs += 1;
        wins += margins[i] > margins[j] ? 1.0 : (margins[i] == margins[j] ? 0.5 : 0.0);
      }
    }
  }
  EXPECT_NEAR(Evaluate(margins, labels).auc, wins / pairs, 1e-12);
}

TEST(Metrics, AucIsUndefinedForOneClass) {
  EXPECT_TRUE(std::isnan(Evaluate({1.0, 2.0}, {1.0, 1.0}).auc));
}

}  // namespace
}  // namespace asyncopt
