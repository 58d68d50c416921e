// Preprocessing, the train/test split and shard boundaries.
#include "asyncopt/preprocess.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "asyncopt/error.hpp"
#include "data/data_test_util.hpp"

namespace asyncopt {
namespace {

using testing::MakeDataset;

// 4 rows x 4 columns; column 2 is empty, row 2 is empty.
Dataset SmallData() {
  return MakeDataset({{{0, 2.0}, {1, -4.0}},
                      {{0, -8.0}, {3, 0.5}},
                      {},
                      {{1, 1.0}, {3, -0.25}}},
                     {1, -1, 1, -1}, 4);
}

double ColumnMaxAbs(const Dataset& data, std::int32_t j) {
  double m = 0.0;
  for (std::size_t k = 0; k < data.col_index.size(); ++k) {
    if (data.col_index[k] == j) m = std::max(m, std::fabs(data.values[k]));
  }
  return m;
}

void ExpectThrowsInvalidOption(const std::function<void()>& call, const std::string& mentions) {
  try {
    call();
    ADD_FAILURE() << "no exception; expected one mentioning " << mentions;
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidOption);
    EXPECT_NE(std::string(e.what()).find(mentions), std::string::npos) << e.what();
  }
}

TEST(Preprocessing, DescribeListsTheStepsInOrder) {
  EXPECT_EQ(Preprocessing{}.Describe(), "none");
  EXPECT_EQ((Preprocessing{true, true, 1.0}).Describe(), "maxabs+rownorm+bias=1");
  EXPECT_EQ((Preprocessing{false, false, 0.5}).Describe(), "bias=0.5");
  EXPECT_EQ((Preprocessing{false, true, -1.0}).Describe(), "rownorm");
}

TEST(Preprocessing, MaxAbsScalingGivesUnitColumnMaxima) {
  Dataset data = SmallData();
  const PreprocessingRecord record = Apply({true, false, -1.0}, data);
  ASSERT_EQ(record.column_scale.size(), 4U);
  EXPECT_EQ(record.column_scale, (std::vector<double>{8.0, 4.0, 1.0, 0.5}));  // empty column: 1
  for (std::int32_t j : {0, 1, 3}) EXPECT_DOUBLE_EQ(ColumnMaxAbs(data, j), 1.0) << j;
  EXPECT_EQ(ColumnMaxAbs(data, 2), 0.0);
  EXPECT_EQ(data.values, (std::vector<double>{0.25, -1.0, -1.0, 1.0, 0.25, -0.5}));
  EXPECT_EQ(data.num_cols, 4);
  EXPECT_FALSE(record.normalized_rows);
  EXPECT_LE(record.bias, 0.0);
}

TEST(Preprocessing, RowNormalisationGivesUnitNormsAndKeepsEmptyRows) {
  Dataset data = SmallData();
  Apply({false, true, -1.0}, data);
  for (std::int64_t r = 0; r < data.num_rows; ++r) {
    const SparseRow row = data.row(r);
    double sq = 0.0;
    for (std::int32_t k = 0; k < row.nnz; ++k) sq += row.value[k] * row.value[k];
    if (r == 2) {
      EXPECT_EQ(row.nnz, 0);
    } else {
      EXPECT_NEAR(sq, 1.0, 1e-15) << r;
    }
  }
}

TEST(Preprocessing, RowNormalisationSurvivesHugeValues) {
  Dataset data = MakeDataset({{{0, 1e300}, {1, 1e300}}}, {1}, 2);
  Apply({false, true, -1.0}, data);
  EXPECT_NEAR(data.values[0], std::sqrt(0.5), 1e-15);
  EXPECT_NEAR(data.values[1], std::sqrt(0.5), 1e-15);
}

TEST(Preprocessing, BiasIsAppendedAsTheLastColumn) {
  Dataset data = SmallData();
  const PreprocessingRecord record = Apply({false, false, 2.5}, data);
  EXPECT_EQ(record.bias, 2.5);
  EXPECT_EQ(record.num_cols, 4);
  EXPECT_EQ(data.num_cols, 5);
  EXPECT_EQ(data.nnz(), 6 + 4);
  for (std::int64_t r = 0; r < data.num_rows; ++r) {
    const SparseRow row = data.row(r);
    ASSERT_GE(row.nnz, 1);
    EXPECT_EQ(row.index[row.nnz - 1], 4);
    EXPECT_EQ(row.value[row.nnz - 1], 2.5);
  }
}

TEST(Preprocessing, StepsComposeScaleThenNormaliseThenBias) {
  Dataset data = SmallData();
  Apply({true, true, 1.0}, data);
  // Row 0 after scaling: (0.25, -1.0), norm sqrt(1.0625), then bias 1.
  const SparseRow row = data.row(0);
  ASSERT_EQ(row.nnz, 3);
  EXPECT_NEAR(row.value[0], 0.25 / std::sqrt(1.0625), 1e-15);
  EXPECT_NEAR(row.value[1], -1.0 / std::sqrt(1.0625), 1e-15);
  EXPECT_EQ(row.value[2], 1.0);
  // The empty row gets only the bias feature.
  EXPECT_EQ(data.row(2).nnz, 1);
}

TEST(Preprocessing, ApplyRecordReproducesApplyOnTheSameData) {
  for (const Preprocessing& prep : {Preprocessing{true, false, -1.0}, Preprocessing{false, true, -1.0},
                                    Preprocessing{true, true, 1.0}, Preprocessing{false, false, 3.0}}) {
    Dataset applied = SmallData();
    Dataset replayed = SmallData();
    const PreprocessingRecord record = Apply(prep, applied);
    ApplyRecord(record, replayed);
    EXPECT_TRUE(testing::SameMatrixAndLabels(applied, replayed)) << prep.Describe();
  }
}

TEST(Preprocessing, ApplyRecordOnWiderTestData) {
  Dataset train = SmallData();
  const PreprocessingRecord record = Apply({true, false, -1.0}, train);
  // Feature 5 is beyond the training width: left as read without a bias.
  Dataset test = MakeDataset({{{0, 4.0}, {5, 7.0}}}, {1}, 6);
  ApplyRecord(record, test);
  EXPECT_EQ(test.col_index, (std::vector<std::int32_t>{0, 5}));
  EXPECT_EQ(test.values, (std::vector<double>{0.5, 7.0}));
  EXPECT_EQ(test.num_cols, 6);

  // With a bias the bias goes to the training width (4) and unseen features
  // are dropped, as the model has no weight for them.
  Dataset train_b = SmallData();
  const PreprocessingRecord with_bias = Apply({true, false, 1.0}, train_b);
  Dataset test_b = MakeDataset({{{0, 4.0}, {4, 3.0}, {5, 7.0}}}, {1}, 6);
  ApplyRecord(with_bias, test_b);
  EXPECT_EQ(test_b.col_index, (std::vector<std::int32_t>{0, 4}));
  EXPECT_EQ(test_b.values, (std::vector<double>{0.5, 1.0}));
  EXPECT_EQ(test_b.num_cols, 5);
}

TEST(Preprocessing, RejectsNonFiniteBias) {
  Dataset data = SmallData();
  ExpectThrowsInvalidOption([&] { Apply({false, false, std::nan("")}, data); }, "bias");
  ExpectThrowsInvalidOption(
      [&] { Apply({false, false, std::numeric_limits<double>::infinity()}, data); }, "bias");
}

// Row r of this data set holds the single feature 0 with value r, so rows can
// be identified after the split.
Dataset NumberedRows(std::int64_t rows) {
  std::vector<testing::Entries> entries;
  std::vector<double> labels;
  for (std::int64_t r = 0; r < rows; ++r) {
    entries.push_back({{0, static_cast<double>(r + 1)}});
    labels.push_back(r % 3 == 0 ? 1.0 : -1.0);
  }
  Dataset data = MakeDataset(entries, labels, 3);
  data.positive_label_text = "4";
  data.negative_label_text = "2";
  data.source = "fixture.svm";
  return data;
}

std::vector<double> RowIds(const Dataset& data) { return data.values; }

TEST(SplitTrainTest, SizesDisjointnessAndCoverage) {
  const Dataset all = NumberedRows(1000);
  Dataset train, test;
  SplitTrainTest(all, 0.2, 17, train, test);
  EXPECT_EQ(test.num_rows, 200);
  EXPECT_EQ(train.num_rows, 800);
  std::set<double> seen;
  for (const double id : RowIds(train)) EXPECT_TRUE(seen.insert(id).second);
  for (const double id : RowIds(test)) EXPECT_TRUE(seen.insert(id).second) << "row in both parts";
  EXPECT_EQ(seen.size(), 1000U);
  // Labels travel with their rows; rows keep their original order.
  for (std::int64_t r = 0; r < test.num_rows; ++r) {
    const auto original = static_cast<std::int64_t>(test.values[static_cast<std::size_t>(r)]) - 1;
    EXPECT_EQ(test.labels[static_cast<std::size_t>(r)], all.labels[static_cast<std::size_t>(original)]);
  }
  EXPECT_TRUE(std::is_sorted(train.values.begin(), train.values.end()));
  EXPECT_EQ(train.num_cols, 3);
  EXPECT_EQ(test.num_cols, 3);
  for (const Dataset* part : {&train, &test}) {
    EXPECT_EQ(part->positive_label_text, "4");
    EXPECT_EQ(part->negative_label_text, "2");
    EXPECT_EQ(part->source, "fixture.svm");
  }
}

TEST(SplitTrainTest, ReproducibleForASeedAndDifferentForAnother) {
  const Dataset all = NumberedRows(500);
  Dataset train1, test1, train2, test2, train3, test3;
  SplitTrainTest(all, 0.3, 5, train1, test1);
  SplitTrainTest(all, 0.3, 5, train2, test2);
  SplitTrainTest(all, 0.3, 6, train3, test3);
  EXPECT_TRUE(testing::SameMatrixAndLabels(test1, test2));
  EXPECT_TRUE(testing::SameMatrixAndLabels(train1, train2));
  EXPECT_FALSE(testing::SameMatrixAndLabels(test1, test3));
}

TEST(SplitTrainTest, MayOverwriteItsInput) {
  Dataset data = NumberedRows(10);
  Dataset test;
  SplitTrainTest(data, 0.5, 1, data, test);
  EXPECT_EQ(data.num_rows, 5);
  EXPECT_EQ(test.num_rows, 5);
}

TEST(SplitTrainTest, RejectsBadFractionsAndTooFewRows) {
  const Dataset all = NumberedRows(10);
  Dataset train, test;
  for (double fraction : {0.0, 1.0, -0.5, 1.5, std::nan("")}) {
    ExpectThrowsInvalidOption([&] { SplitTrainTest(all, fraction, 1, train, test); }, "test_fraction");
  }
  ExpectThrowsInvalidOption([&] { SplitTrainTest(NumberedRows(1), 0.5, 1, train, test); }, "rows");
}

TEST(ShardBoundaries, BalancedSizesDifferByAtMostOne) {
  const std::vector<std::int64_t> b = ShardBoundaries(10, 4);
  EXPECT_EQ(b, (std::vector<std::int64_t>{0, 3, 6, 8, 10}));
  for (std::int64_t rows : {1, 7, 100, 1001}) {
    for (int shards : {1, 3, 7}) {
      if (shards > rows) continue;
      const std::vector<std::int64_t> bounds = ShardBoundaries(rows, shards);
      ASSERT_EQ(bounds.size(), static_cast<std::size_t>(shards) + 1);
      EXPECT_EQ(bounds.front(), 0);
      EXPECT_EQ(bounds.back(), rows);
      std::int64_t smallest = rows, largest = 0;
      for (int i = 0; i < shards; ++i) {
        smallest = std::min(smallest, bounds[i + 1] - bounds[i]);
        largest = std::max(largest, bounds[i + 1] - bounds[i]);
      }
      EXPECT_LE(largest - smallest, 1);
      EXPECT_GE(smallest, 1);
    }
  }
}

TEST(ShardBoundaries, SkewedSizesShrinkGeometrically) {
  const std::vector<std::int64_t> b = ShardBoundaries(1000000, 5, 1.0);
  ASSERT_EQ(b.size(), 6U);
  EXPECT_EQ(b.back(), 1000000);
  // Shares 16/31, 8/31, 4/31, 2/31, 1/31: each shard about twice the next.
  for (int i = 0; i + 1 < 5; ++i) {
    const double ratio = static_cast<double>(b[i + 1] - b[i]) / static_cast<double>(b[i + 2] - b[i + 1]);
    EXPECT_NEAR(ratio, 2.0, 1e-3) << i;
  }
  // One row per shard is set aside first: 1 + (rows - 5) * 16 / 31.
  EXPECT_NEAR(static_cast<double>(b[1]), 1000000.0 * 16.0 / 31.0, 5.0);
}

TEST(ShardBoundaries, SkewedKeepsAtLeastOneRowPerShard) {
  // (1 + 3)^-i is tiny after a few shards; they still get one row each.
  const std::vector<std::int64_t> b = ShardBoundaries(20, 8, 3.0);
  ASSERT_EQ(b.size(), 9U);
  EXPECT_EQ(b.back(), 20);
  for (int i = 0; i < 8; ++i) {
    EXPECT_GE(b[i + 1] - b[i], 1) << i;
    if (i > 0) EXPECT_LE(b[i + 1] - b[i], b[i] - b[i - 1]) << i;  // never grows
  }
  EXPECT_EQ(ShardBoundaries(5, 5, 2.0), (std::vector<std::int64_t>{0, 1, 2, 3, 4, 5}));
}

TEST(ShardBoundaries, RejectsBadArguments) {
  ExpectThrowsInvalidOption([] { ShardBoundaries(0, 1); }, "rows");
  ExpectThrowsInvalidOption([] { ShardBoundaries(5, 6); }, "shards");
  ExpectThrowsInvalidOption([] { ShardBoundaries(5, 0); }, "shards");
  ExpectThrowsInvalidOption([] { ShardBoundaries(5, 2, -0.5); }, "skew");
  ExpectThrowsInvalidOption([] { ShardBoundaries(5, 2, std::nan("")); }, "skew");
}

// ---- Real targets: --scale-target standard --------------------------------

Dataset TargetData() {
  Dataset d = MakeDataset({{{0, 2.0}}, {{1, -4.0}}, {{0, 1.0}, {1, 1.0}}, {{1, 3.0}}},
                          {100000.0, 300000.0, 500001.0, 14999.0}, 2);
  d.label_kind = LabelKind::kTargets;
  d.source = "y.svm";
  return d;
}

TEST(TargetStandardisation, GivesMeanZeroStdOneAndRecordsTheMoments) {
  Dataset d = TargetData();
  const std::vector<double> raw = d.labels;
  Preprocessing prep;
  prep.standardize_target = true;
  EXPECT_EQ(prep.Describe(), "ystd");
  const PreprocessingRecord record = Apply(prep, d);
  ASSERT_TRUE(record.standardized_target);
  EXPECT_EQ(record.label_kind, LabelKind::kTargets);
  const double mean = (100000.0 + 300000.0 + 500001.0 + 14999.0) / 4.0;
  double sq = 0.0;
  for (const double y : raw) sq += (y - mean) * (y - mean);
  EXPECT_DOUBLE_EQ(record.target_mean, mean);
  EXPECT_DOUBLE_EQ(record.target_std, std::sqrt(sq / 4.0));
  double sum = 0.0, sum_sq = 0.0;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    EXPECT_DOUBLE_EQ(d.labels[i], (raw[i] - mean) / record.target_std);
    sum += d.labels[i];
    sum_sq += d.labels[i] * d.labels[i];
  }
  EXPECT_NEAR(sum, 0.0, 1e-12);
  EXPECT_NEAR(sum_sq / 4.0, 1.0, 1e-12);
  // A test set gets the training set's mean and std, not its own.
  Dataset test = MakeDataset({{{0, 1.0}}, {{1, 1.0}}}, {mean, mean + record.target_std}, 2);
  test.label_kind = LabelKind::kTargets;
  ApplyRecord(record, test);
  EXPECT_DOUBLE_EQ(test.labels[0], 0.0);
  EXPECT_DOUBLE_EQ(test.labels[1], 1.0);
  // The features are untouched by it.
  EXPECT_EQ(d.values, TargetData().values);
}

TEST(TargetStandardisation, RefusesClassesConstantTargetsAndClassTestData) {
  Preprocessing prep;
  prep.standardize_target = true;
  Dataset classes = SmallData();
  classes.source = "c.svm";
  ExpectThrowsInvalidOption([&] { Apply(prep, classes); }, "c.svm: standardising the target applies to real targets");
  Dataset constant = TargetData();
  for (double& y : constant.labels) y = 3.5;
  try {
    Apply(prep, constant);
    ADD_FAILURE() << "constant targets standardised";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    EXPECT_STREQ(e.what(), "y.svm: cannot standardise the target: every target is 3.5 (standard deviation 0)");
  }
  Dataset huge = TargetData();
  huge.labels = {1e308, -1e308, 1e308, -1e308};
  try {
    Apply(prep, huge);
    ADD_FAILURE() << "overflowing targets standardised";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("its mean or standard deviation overflows (targets from -1e+308 to 1e+308)"),
              std::string::npos)
        << e.what();
  }
  Dataset train = TargetData();
  const PreprocessingRecord record = Apply(prep, train);
  Dataset other = SmallData();
  other.source = "t.svm";
  ExpectThrowsInvalidOption([&] { ApplyRecord(record, other); }, "t.svm: the record standardises real targets");
}

}  // namespace
}  // namespace asyncopt
