// Model files (LIBLINEAR format, strict reader), the model glue
// (MakeLinearModel, DecisionValue, Probability) and prediction metrics.
#include "asyncopt/model.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "asyncopt/error.hpp"
#include "asyncopt/preprocess.hpp"
#include "support/temp_dir.hpp"

namespace asyncopt {
namespace {

using ScratchDir = testing::TempDir;

// The test fixture owns the scratch folder, so every TEST_F cleans up.
class ModelFile : public ::testing::Test {
 protected:
  std::filesystem::path TempFile(const std::string& name) const { return dir_.File(name); }
  // Writes `text` as a model file and returns the error LoadModel gives.
  std::string LoadError(const std::string& text, std::string* path_out = nullptr) {
    const std::string path = dir_.File("m" + std::to_string(++count_) + ".model");
    std::ofstream(path, std::ios::binary) << text;
    if (path_out != nullptr) *path_out = path;
    try {
      LoadModel(path);
    } catch (const Error& e) {
      EXPECT_EQ(static_cast<int>(e.kind()), static_cast<int>(ErrorKind::kInvalidInput)) << e.what();
      return e.what();
    }
    ADD_FAILURE() << "LoadModel accepted:\n" << text;
    return "";
  }

  ScratchDir dir_{"model"};
  int count_ = 0;
};

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

const char kHeader[] = "solver_type L2R_LR\nnr_class 2\nlabel 1 -1\n";

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

TEST_F(ModelFile, SaveLoadRoundTripsExactly) {
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

TEST_F(ModelFile, FileHasLiblinearHeader) {
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

TEST_F(ModelFile, RefusesNonFiniteWeights) {
  LinearModel m;
  m.w = {1.0, std::nan("")};
  EXPECT_THROW(SaveModel(m, TempFile("nan.model").string()), Error);
}

TEST_F(ModelFile, MalformedFileNamesTheLine) {
  const auto path = TempFile("bad.model").string();
  std::ofstream(path)
      << "solver_type L2R_LR\nnr_class 2\nlabel 1 -1\nnr_feature 2\nbias -1\nw\n0.5\nabc\n";
  try {
    LoadModel(path);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path + ":8:"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("'abc'"), std::string::npos) << e.what();
  }
}

TEST_F(ModelFile, TruncatedWeightsAreAnError) {
  const auto path = TempFile("short.model").string();
  std::ofstream(path)
      << "solver_type L2R_LR\nnr_class 2\nlabel 1 -1\nnr_feature 3\nbias -1\nw\n0.5\n";
  EXPECT_THROW(LoadModel(path), Error);
}

std::string Rows(int n) {
  std::string text;
  for (int i = 0; i < n; ++i) text += std::to_string(0.25 * i) + " \n";
  return text;
}

TEST_F(ModelFile, ExtraWeightRowsAreAnError) {
  std::string path;
  // nr_feature 5 and no bias: 5 rows (lines 7-11); 13 rows follow.
  const std::string e =
      LoadError(std::string(kHeader) + "nr_feature 5\nbias -1\nw\n" + Rows(13), &path);
  EXPECT_TRUE(Contains(e, path + ":12: malformed model file: extra weight row")) << e;
  EXPECT_TRUE(Contains(e, "nr_feature 5 gives 5 rows")) << e;
  // With a bias LIBLINEAR stores one more row: 7 rows for 6 is one too many.
  const std::string b =
      LoadError(std::string(kHeader) + "nr_feature 5\nbias 1\nw\n" + Rows(7), &path);
  EXPECT_TRUE(Contains(b, path + ":13:")) << b;
  EXPECT_TRUE(Contains(b, "nr_feature 5 and a bias give 6 rows")) << b;
}

TEST_F(ModelFile, ExtraColumnsOnAWeightRowAreAnError) {
  std::string path;
  const std::string e =
      LoadError(std::string(kHeader) + "nr_feature 2\nbias -1\nw\n0.5 \n0.25 0.75 \n", &path);
  EXPECT_TRUE(Contains(e, path + ":8:")) << e;
  EXPECT_TRUE(Contains(e, "holds one number, found 2")) << e;
}

TEST_F(ModelFile, TwoEqualLabelsAreAnError) {
  std::string path;
  for (const char* labels : {"label 1 1\n", "label 1 +1\n", "label 2 2.0\n"}) {
    const std::string e = LoadError(
        std::string("solver_type L2R_LR\nnr_class 2\n") + labels + "nr_feature 1\nbias -1\nw\n1\n",
        &path);
    EXPECT_TRUE(Contains(e, path + ":3:")) << e;
    EXPECT_TRUE(Contains(e, "the two labels are the same class")) << e;
  }
}

TEST_F(ModelFile, ExtraTokensOnAHeaderLineAreAnError) {
  std::string path;
  std::string e = LoadError(
      "solver_type L2R_LR\nnr_class 2 3\nlabel 1 -1\nnr_feature 1\n"
      "bias -1\nw\n1\n",
      &path);
  EXPECT_TRUE(Contains(e, path + ":2:")) << e;
  EXPECT_TRUE(Contains(e, "'nr_class' takes 1 value, found 2")) << e;
  e = LoadError(std::string(kHeader) + "nr_feature 1\nbias -1 junk\nw\n1\n", &path);
  EXPECT_TRUE(Contains(e, path + ":5:")) << e;
  e = LoadError("solver_type L2R_LR\nnr_class 2\nlabel 1 -1 3\nnr_feature 1\nbias -1\nw\n1\n",
                &path);
  EXPECT_TRUE(Contains(e, path + ":3:")) << e;
  EXPECT_TRUE(Contains(e, "'label' takes 2 values, found 3")) << e;
}

TEST_F(ModelFile, DuplicateHeaderKeysAreAnError) {
  std::string path;
  const std::string e =
      LoadError(std::string(kHeader) + "nr_feature 1\nbias -1\nbias 1\nw\n1\n", &path);
  EXPECT_TRUE(
      Contains(e, path + ":6: malformed model file: duplicate key 'bias' (first on line 5)"))
      << e;
}

TEST_F(ModelFile, MissingSolverTypeIsAnError) {
  std::string path;
  const std::string e = LoadError("nr_class 2\nlabel 1 -1\nnr_feature 1\nbias -1\nw\n1\n", &path);
  EXPECT_TRUE(Contains(e, path + ":5:")) << e;
  EXPECT_TRUE(Contains(e, "the header lacks solver_type")) << e;
}

TEST_F(ModelFile, UnknownKeysAreAnError) {
  std::string path;
  const std::string e =
      LoadError(std::string(kHeader) + "nr_feature 1\nnonsense 1\nbias -1\nw\n1\n", &path);
  EXPECT_TRUE(Contains(e, path + ":5: malformed model file: unknown key 'nonsense'")) << e;
}

TEST_F(ModelFile, WLineWithTrailingJunkIsAnError) {
  std::string path;
  const std::string e =
      LoadError(std::string(kHeader) + "nr_feature 1\nbias -1\nw 0.5\n1\n", &path);
  EXPECT_TRUE(Contains(e, path + ":6:")) << e;
  EXPECT_TRUE(Contains(e, "unexpected '0.5' after 'w'")) << e;
}

TEST_F(ModelFile, HugeNrFeatureIsBoundedByTheFileSize) {
  std::string path;
  const std::string text = std::string(kHeader) + "nr_feature 2147483647\nbias -1\nw\n1\n";
  const std::string e = LoadError(text, &path);
  EXPECT_TRUE(Contains(e, path +
                              ":4: malformed model file: nr_feature 2147483647, but the file "
                              "holds at most " +
                              std::to_string(text.size() / 2) + " weight rows"))
      << e;
  EXPECT_FALSE(Contains(e, "memory")) << e;
  // Within what the file could hold but more than it has: counted, not reserved.
  const std::string shorter = LoadError(std::string(kHeader) + "nr_feature 20\nbias -1\nw\n1\n");
  EXPECT_TRUE(Contains(shorter, "expected 20 weight rows after line 6, found 1")) << shorter;
}

TEST_F(ModelFile, EmptyRowBetweenWeightsIsAnError) {
  std::string path;
  const std::string e =
      LoadError(std::string(kHeader) + "nr_feature 2\nbias -1\nw\n1\n\n2\n", &path);
  EXPECT_TRUE(Contains(e, path + ":8: malformed model file: empty weight row")) << e;
}

TEST_F(ModelFile, AcceptsWhatLiblinearWrites) {
  // LIBLINEAR 2.4x layout: "%.17g " per weight row, rho line, keys in its order.
  const std::string path = TempFile("liblinear.model").string();
  std::ofstream(path, std::ios::binary)
      << "solver_type L2R_L2LOSS_SVC_DUAL\nnr_class 2\nlabel 4 2\nnr_feature 3\nbias 1\n"
         "rho 0\nw\n-0.12797240433884682 \n0.21428398688456132 \n1e-300 \n0.5 \n";
  const LinearModel m = LoadModel(path);
  EXPECT_EQ(m.w, (std::vector<double>{-0.12797240433884682, 0.21428398688456132, 1e-300, 0.5}));
  EXPECT_EQ(m.num_features(), 3);
  EXPECT_EQ(m.loss, Loss::kSquaredHinge);
  EXPECT_EQ(m.positive_label, "4");
  EXPECT_EQ(m.negative_label, "2");
  // Windows line ends and a trailing blank line are harmless.
  std::ofstream(path, std::ios::binary)
      << "solver_type L2R_LR\r\nnr_class 2\r\nlabel 1 -1\r\nnr_feature 1\r\nbias -1\r\nw\r\n"
         "2 \r\n\r\n";
  EXPECT_EQ(LoadModel(path).w, std::vector<double>{2.0});
}

TEST_F(ModelFile, BiasZeroKeepsLiblinearsExtraRow) {
  // LIBLINEAR writes a bias row whenever bias >= 0; with bias 0 its feature
  // is 0, so the weight is dropped on load and written as 0 on save.
  const std::string path = TempFile("bias0.model").string();
  std::ofstream(path) << std::string(kHeader) << "nr_feature 2\nbias 0\nw\n1.5 \n-2 \n7 \n";
  LinearModel m = LoadModel(path);
  EXPECT_EQ(m.w, (std::vector<double>{1.5, -2.0}));
  EXPECT_EQ(m.num_features(), 2);
  SaveModel(m, path);
  std::ifstream in(path);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_TRUE(Contains(text, "nr_feature 2\nbias 0\nw\n1.5 \n-2 \n0 \n")) << text;
  EXPECT_EQ(LoadModel(path).w, m.w);
}

// The real LIBLINEAR (Debian's liblinear-train), when installed, writes a
// model of the heart_scale fixture that LoadModel reads in full.
TEST_F(ModelFile, ReadsModelsOfTheRealLiblinearTrain) {
  const std::string train = "/usr/bin/liblinear-train";
  if (::access(train.c_str(), X_OK) != 0) GTEST_SKIP() << train << " is not installed";
  const std::string data = std::string(ASYNCOPT_TEST_FIXTURES) + "/heart_scale";
  for (const char* bias : {"1", "0", "-1"}) {
    const std::string model = TempFile(std::string("ll") + bias + ".model").string();
    const std::string log = TempFile("train.log").string();
    const std::string command =
        train + " -q -s 0 -B " + bias + " '" + data + "' '" + model + "' > '" + log + "' 2>&1";
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
    const LinearModel m = LoadModel(model);
    EXPECT_EQ(m.num_features(), 13) << bias;
    EXPECT_EQ(m.w.size(), std::string(bias) == "1" ? 14u : 13u) << bias;
    EXPECT_EQ(m.loss, Loss::kLogistic);
  }
}

TEST_F(ModelFile, SaveRefusesLabelsThatCannotRoundTrip) {
  LinearModel m;
  m.w = {1.0};
  m.positive_label = "1";
  m.negative_label = "+1";
  EXPECT_THROW(SaveModel(m, TempFile("same.model").string()), Error);
  m.negative_label = "minus one";
  EXPECT_THROW(SaveModel(m, TempFile("space.model").string()), Error);
  EXPECT_FALSE(std::filesystem::exists(TempFile("same.model")));
}

TEST_F(ModelFile, SaveThroughASymlinkKeepsTheLink) {
  LinearModel m;
  m.w = {1.0, -1.0};
  const std::string real = TempFile("real.model").string();
  const std::string link = TempFile("link.model").string();
  std::ofstream(real) << "old\n";
  std::filesystem::create_symlink("real.model", link);
  SaveModel(m, link);
  EXPECT_TRUE(std::filesystem::is_symlink(link));
  EXPECT_EQ(LoadModel(real).w, m.w);
}

// Raw rows whose columns have max |x| 3, 0.25 and 1 (and an empty column 3).
Dataset RawScalingData() {
  Dataset d;
  d.num_rows = 4;
  d.num_cols = 4;
  d.row_ptr = {0, 2, 4, 5, 7};
  d.col_index = {0, 1, 0, 2, 1, 0, 2};
  d.values = {3.0, 0.125, -1.5, 1.0, -0.25, 0.75, -0.5};
  d.labels = {1.0, -1.0, 1.0, -1.0};
  return d;
}

double Dot(SparseRow row, const std::vector<double>& w) {
  double dot = 0.0;
  for (std::int32_t k = 0; k < row.nnz; ++k) {
    dot += row.value[k] * w[static_cast<std::size_t>(row.index[k])];
  }
  return dot;
}

TEST(MakeLinearModel, FoldsColumnScalesBackIntoTheRawFeatureSpace) {
  const Dataset raw = RawScalingData();
  Dataset scaled = raw;
  Preprocessing prep;
  prep.scale_maxabs = true;
  prep.bias = 2.0;
  const PreprocessingRecord record = Apply(prep, scaled);
  ASSERT_EQ(record.column_scale, (std::vector<double>{3.0, 0.25, 1.0, 1.0}));
  // Weights "trained" on the scaled data: 4 columns + the bias column.
  const std::vector<double> w = {0.7, -1.3, 2.1, 5.0, 0.4};
  ASSERT_EQ(scaled.num_cols, 5);
  Problem problem;
  problem.loss = Loss::kLogistic;
  problem.l1 = 0.01;
  const LinearModel model = MakeLinearModel(w, problem, record, "4", "2");
  EXPECT_EQ(model.num_features(), 4);
  EXPECT_EQ(model.bias, 2.0);
  EXPECT_EQ(model.w.back(), 0.4);  // the bias weight is not scaled
  EXPECT_TRUE(model.l1);
  EXPECT_EQ(model.positive_label, "4");
  for (std::int64_t i = 0; i < raw.num_rows; ++i) {
    const double expected = Dot(scaled.row(i), w);  // includes the bias column
    const double got = DecisionValue(model, raw.row(i));
    EXPECT_NEAR(got, expected, 1e-12 * std::max(1.0, std::fabs(expected))) << "row " << i;
  }
  // The fold-back matters on these rows: without it the margins differ.
  const double unfolded = Dot(raw.row(0), w) + 0.4 * 2.0;
  EXPECT_GT(std::fabs(unfolded - Dot(scaled.row(0), w)), 0.5);
}

TEST(MakeLinearModel, RejectsWeightsOfTheWrongWidth) {
  Dataset scaled = RawScalingData();
  Preprocessing prep;
  prep.scale_maxabs = true;
  prep.bias = 1.0;
  const PreprocessingRecord record = Apply(prep, scaled);
  const std::vector<double> too_short = {1.0, 2.0, 3.0, 4.0};  // no bias weight
  try {
    MakeLinearModel(too_short, Problem{}, record);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidOption);
    EXPECT_TRUE(Contains(e.what(),
                         "w has 4 weights, but the training width is 4 plus 1 bias "
                         "weight = 5"))
        << e.what();
  }
  PreprocessingRecord bad = record;
  bad.column_scale[1] = 0.0;
  EXPECT_THROW(MakeLinearModel(std::vector<double>(5, 1.0), Problem{}, bad), Error);
  // Without scaling the width comes from num_cols; no bias: no extra weight.
  PreprocessingRecord plain;
  plain.num_cols = 3;
  EXPECT_EQ(MakeLinearModel(std::vector<double>{1, 2, 3}, Problem{}, plain).w,
            (std::vector<double>{1, 2, 3}));
  EXPECT_THROW(MakeLinearModel(std::vector<double>{1, 2, 3, 4}, Problem{}, plain), Error);
}

// Compacted training (Preprocessing::compact_columns): the model goes back
// to the raw feature indices, with weight 0 for every feature that never
// occurred, and decides the raw rows as the compact weights decide the
// compact rows; TrainingWeights maps the model back exactly.
TEST(MakeLinearModel, MapsCompactedColumnsBackToTheRawIndices) {
  Dataset raw;
  raw.num_rows = 3;
  raw.num_cols = 1000;
  raw.row_ptr = {0, 2, 3, 5};
  raw.col_index = {4, 700, 999, 4, 999};
  raw.values = {2.0, -1.0, 0.5, -4.0, 1.5};
  raw.labels = {1, -1, 1};
  Dataset compact = raw;
  Preprocessing prep;
  prep.compact_columns = true;
  prep.scale_maxabs = true;
  prep.bias = 1.5;
  const PreprocessingRecord record = Apply(prep, compact);
  ASSERT_EQ(record.original_column, (std::vector<std::int32_t>{4, 700, 999}));
  ASSERT_EQ(compact.num_cols, 4);  // 3 features + the bias
  const std::vector<double> w = {0.25, -2.0, 1.0, 0.75};
  const LinearModel model = MakeLinearModel(w, Problem{}, record);
  ASSERT_EQ(model.num_features(), 1000);
  EXPECT_EQ(model.w[4], 0.25 / 4.0);
  EXPECT_EQ(model.w[700], -2.0 / 1.0);
  EXPECT_EQ(model.w[999], 1.0 / 1.5);
  EXPECT_EQ(model.w[1000], 0.75);  // the bias weight, last
  double others = 0.0;
  for (std::size_t j = 0; j < 1000; ++j) {
    if (j != 4 && j != 700 && j != 999) others += std::fabs(model.w[j]);
  }
  EXPECT_EQ(others, 0.0);
  for (std::int64_t i = 0; i < raw.num_rows; ++i) {
    const double expected = Dot(compact.row(i), w);
    EXPECT_NEAR(DecisionValue(model, raw.row(i)), expected, 1e-12 * std::max(1.0, std::fabs(expected)));
  }
  const std::vector<double> back = TrainingWeights(model, record);
  ASSERT_EQ(back.size(), w.size());
  for (std::size_t c = 0; c < w.size(); ++c) EXPECT_NEAR(back[c], w[c], 1e-15) << c;
  // A record built by hand with columns out of order or out of range is
  // refused (it would write outside the model).
  for (const std::vector<std::int32_t> bad : {std::vector<std::int32_t>{700, 4, 999},
                                              std::vector<std::int32_t>{-1, 4, 999},
                                              std::vector<std::int32_t>{4, 700, 1000}}) {
    PreprocessingRecord broken = record;
    broken.original_column = bad;
    EXPECT_THROW(MakeLinearModel(w, Problem{}, broken), Error);
  }
}

// TrainingWeights: a warm start from a saved model in another training
// space: scales, a different bias value (the bias term is kept), features
// the model lacks (0), a model with a bias for data without one (refused).
TEST(TrainingWeights, MapsAModelIntoATrainingSpace) {
  LinearModel model;
  model.w = {1.0, -2.0, 0.5};  // two features + a bias weight
  model.bias = 2.0;
  PreprocessingRecord record;
  record.num_cols = 3;  // the new data has a third feature
  record.column_scale = {4.0, 0.5, 1.0};
  record.bias = 1.0;
  const std::vector<double> w = TrainingWeights(model, record);
  EXPECT_EQ(w, (std::vector<double>{4.0, -1.0, 0.0, 1.0}));  // bias term 0.5 x 2 = 1 x 1
  PreprocessingRecord no_bias;
  no_bias.num_cols = 2;
  EXPECT_THROW(TrainingWeights(model, no_bias), Error);
  model.bias = -1.0;
  model.w = {1.0, -2.0};
  EXPECT_EQ(TrainingWeights(model, no_bias), (std::vector<double>{1.0, -2.0}));
  EXPECT_EQ(TrainingWeights(model, record), (std::vector<double>{4.0, -1.0, 0.0, 0.0}));
}

TEST(DecisionValue, SpansGiveTheDatasetDecisionsAndHandComputedValues) {
  LinearModel m;
  m.w = {0.5, -2.0, 4.0, 1.5};  // three features + bias weight
  m.bias = 1.0;
  m.normalize_rows = true;
  // Row [3, 4] on features 0 and 1 plus feature 7 the model does not know
  // (dropped before normalising, as ApplyRecord does with a bias):
  // (0.5*3 - 2*4) / 5 + 1.5 * 1.
  const std::vector<std::int32_t> index = {0, 1, 7};
  const std::vector<double> value = {3.0, 4.0, 100.0};
  EXPECT_DOUBLE_EQ(DecisionValue(m, index, value), (1.5 - 8.0) / 5.0 + 1.5);

  std::mt19937 rng(11);
  std::uniform_real_distribution<double> uniform(-2.0, 2.0);
  Dataset d;
  d.num_cols = 5;
  for (int i = 0; i < 50; ++i) {
    for (std::int32_t j = 0; j < 5; ++j) {
      if (rng() % 2 == 0) {
        d.col_index.push_back(j);
        d.values.push_back(uniform(rng));
      }
    }
    d.row_ptr.push_back(static_cast<std::int64_t>(d.col_index.size()));
    d.labels.push_back(1.0);
  }
  d.num_rows = 50;
  const std::vector<double> margins = Decision(m, d);
  for (std::int64_t i = 0; i < d.num_rows; ++i) {
    const SparseRow row = d.row(i);
    const std::span<const std::int32_t> idx(row.index, static_cast<std::size_t>(row.nnz));
    const std::span<const double> val(row.value, static_cast<std::size_t>(row.nnz));
    EXPECT_EQ(DecisionValue(m, idx, val), margins[static_cast<std::size_t>(i)]);
    // Independent check of the same margin.
    double dot = 0.0, norm2 = 0.0;
    for (std::int32_t k = 0; k < row.nnz; ++k) {
      if (row.index[k] < 3) {
        dot += m.w[static_cast<std::size_t>(row.index[k])] * row.value[k];
        norm2 += row.value[k] * row.value[k];
      }
    }
    const double expected = (norm2 > 0 ? dot / std::sqrt(norm2) : 0.0) + 1.5;
    EXPECT_NEAR(margins[static_cast<std::size_t>(i)], expected, 1e-13) << "row " << i;
  }
}

TEST(DecisionValue, RejectsUnsortedIndicesAndMismatchedSpans) {
  LinearModel m;
  m.w = {1.0, 2.0};
  const std::vector<std::int32_t> unsorted = {1, 0};
  const std::vector<std::int32_t> negative = {-1};
  const std::vector<double> two = {1.0, 1.0}, one = {1.0};
  EXPECT_THROW(DecisionValue(m, unsorted, two), Error);
  EXPECT_THROW(DecisionValue(m, negative, one), Error);
  EXPECT_THROW(DecisionValue(m, unsorted, one), Error);
  LinearModel no_bias_weight;
  no_bias_weight.bias = 1.0;
  EXPECT_THROW(
      DecisionValue(no_bias_weight, std::span<const std::int32_t>(), std::span<const double>()),
      Error);
}

TEST(Probability, IsTheLogisticSigmoidInsideTheOpenUnitInterval) {
  LinearModel m;
  m.loss = Loss::kLogistic;
  for (double z = -30.0; z <= 30.0; z += 0.37) {
    const double expected = 1.0 / (1.0 + std::exp(-z));
    EXPECT_NEAR(Probability(m, z), expected, 4e-16 * expected) << "z = " << z;
  }
  const double high = Probability(m, 800.0), low = Probability(m, -800.0);
  EXPECT_GT(high, 0.5);
  EXPECT_LT(high, 1.0);
  EXPECT_GT(low, 0.0);
  EXPECT_LT(low, 1e-300);
  EXPECT_TRUE(std::isfinite(std::log(low)) && std::isfinite(std::log1p(-high)));
  EXPECT_EQ(Probability(m, std::numeric_limits<double>::infinity()), high);
  EXPECT_THROW(Probability(m, std::nan("")), Error);
}

TEST(Probability, OnlyLogisticModelsHaveOne) {
  LinearModel m;
  m.loss = Loss::kHinge;
  try {
    Probability(m, 1.0);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUnsupported);
    EXPECT_TRUE(Contains(e.what(), "hinge")) << e.what();
  }
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
  const double expected_logloss = (std::log1p(std::exp(-2.0)) + std::log1p(std::exp(-1.0)) +
                                   std::log(2.0) + std::log1p(std::exp(0.5))) /
                                  4.0;
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

// ---- Regression models ---------------------------------------------------

TEST_F(ModelFile, RegressionModelIsLiblinearsRegressionFormat) {
  LinearModel m;
  m.regression = true;
  m.loss = Loss::kSquared;
  m.w = {0.5, -2.25, 200000.5};
  m.bias = 1.0;
  m.positive_label = m.negative_label = "";  // unused: no label line
  const std::string path = TempFile("r.model").string();
  SaveModel(m, path);
  std::ifstream in(path);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "solver_type L2R_L2LOSS_SVR\nnr_class 2\nnr_feature 2\nbias 1\nw\n0.5 \n-2.25 \n"
                  "200000.5 \n");
  const LinearModel back = LoadModel(path);
  EXPECT_TRUE(back.regression);
  EXPECT_EQ(back.loss, Loss::kSquared);
  EXPECT_EQ(back.w, m.w);
  EXPECT_EQ(back.bias, 1.0);
  // Trained with l1 it is still LIBLINEAR's regression (it has no l1 name).
  m.l1 = true;
  SaveModel(m, path);
  EXPECT_TRUE(LoadModel(path).regression);
  // A classifier keeps its label line and its classes.
  m.regression = false;
  m.positive_label = "1";
  m.negative_label = "-1";
  SaveModel(m, path);
  EXPECT_FALSE(LoadModel(path).regression);
}

TEST_F(ModelFile, RegressionModelWithALabelLineIsAnError) {
  EXPECT_EQ(LoadError("solver_type L2R_L2LOSS_SVR\nnr_class 2\nlabel 1 -1\nnr_feature 1\n"
                      "bias -1\nw\n1\n"),
            dir_.File("m1.model") +
                ":3: malformed model file: a regression model (solver_type L2R_L2LOSS_SVR) has "
                "no label line");
  // ... and a classifier without one still lacks it.
  EXPECT_TRUE(Contains(LoadError("solver_type L2R_LR\nnr_class 2\nnr_feature 1\nbias -1\nw\n1\n"),
                       "the header lacks label"));
}

TEST_F(ModelFile, ReadsRegressionModelsOfTheRealLiblinearTrain) {
  const std::string train = "/usr/bin/liblinear-train";
  if (::access(train.c_str(), X_OK) != 0) GTEST_SKIP() << train << " is not installed";
  const std::string data = TempFile("r.svm").string();
  std::ofstream(data) << "3.5 1:1 2:0.5\n-1 1:0.25\n10 2:2\n0.5 1:-1 2:1\n";
  for (const char* solver : {"11", "12", "13"}) {
    const std::string model = TempFile(std::string("ll") + solver + ".model").string();
    const std::string command = train + " -q -s " + solver + " -p 0 -c 10 -B 1 '" + data + "' '" +
                                model + "' > '" + TempFile("train.log").string() + "' 2>&1";
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
    const LinearModel m = LoadModel(model);
    EXPECT_TRUE(m.regression) << solver;
    EXPECT_EQ(m.num_features(), 2) << solver;
    EXPECT_EQ(m.w.size(), 3u) << solver;
  }
}

// Standardised targets fold into the raw-space model: every weight times
// the std, the mean into the bias term (a bias of its own when training had
// none); TrainingWeights undoes it.
TEST(MakeLinearModel, StandardisedTargetsPredictInTheOriginalUnits) {
  for (const double bias : {-1.0, 2.0}) {
    SCOPED_TRACE("bias " + std::to_string(bias));
    Dataset raw = RawScalingData();
    raw.labels = {350000.0, 120000.5, 14999.0, 500001.0};
    raw.label_kind = LabelKind::kTargets;
    Dataset train = raw;
    Preprocessing prep;
    prep.scale_maxabs = true;
    prep.bias = bias;
    prep.standardize_target = true;
    const PreprocessingRecord record = Apply(prep, train);
    ASSERT_TRUE(record.standardized_target);
    std::vector<double> w = {0.7, -1.3, 2.1, 5.0};
    if (bias > 0) w.push_back(0.4);
    const LinearModel model = MakeLinearModel(w, Problem{Loss::kSquared, 0.0, 1e-3}, record);
    EXPECT_TRUE(model.regression);
    EXPECT_EQ(model.num_features(), 4);
    EXPECT_EQ(model.bias, bias > 0 ? bias : 1.0);  // a bias term for the mean either way
    for (std::int64_t i = 0; i < raw.num_rows; ++i) {
      const double original = record.target_mean + record.target_std * Dot(train.row(i), w);
      EXPECT_NEAR(DecisionValue(model, raw.row(i)), original, 1e-9 * std::fabs(original)) << i;
    }
    const std::vector<double> back = TrainingWeights(model, record);
    ASSERT_EQ(back.size(), w.size());
    for (std::size_t j = 0; j < w.size(); ++j) EXPECT_NEAR(back[j], w[j], 1e-12) << j;
    // Without the record's target scaling the same weights predict
    // standardised values, far from the original units.
    PreprocessingRecord plain = record;
    plain.standardized_target = false;
    const LinearModel unscaled = MakeLinearModel(w, Problem{Loss::kSquared, 0.0, 1e-3}, plain);
    EXPECT_GT(std::fabs(DecisionValue(unscaled, raw.row(0)) - DecisionValue(model, raw.row(0))), 1e4);
  }
}

TEST(Metrics, RegressionMetricsOnHandComputedExample) {
  // errors 1, -2, 0, 3; targets mean 2.5, deviations -1.5, -0.5, 0.5, 1.5
  const RegressionMetrics m = EvaluateRegression({2.0, 0.0, 3.0, 7.0}, {1.0, 2.0, 3.0, 4.0});
  EXPECT_EQ(m.rows, 4);
  EXPECT_DOUBLE_EQ(m.mse, 14.0 / 4.0);
  EXPECT_DOUBLE_EQ(m.rmse, std::sqrt(3.5));
  EXPECT_DOUBLE_EQ(m.mae, 6.0 / 4.0);
  EXPECT_DOUBLE_EQ(m.r2, 1.0 - 14.0 / 5.0);
  EXPECT_DOUBLE_EQ(EvaluateRegression({1.0, 2.0}, {1.0, 2.0}).r2, 1.0);
  EXPECT_TRUE(std::isnan(EvaluateRegression({1.0, 2.0}, {3.0, 3.0}).r2));  // nothing to explain
  EXPECT_TRUE(std::isnan(EvaluateRegression({}, {}).rmse));
}

}  // namespace
}  // namespace asyncopt
