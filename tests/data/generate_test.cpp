// Synthetic generators: reproducibility, thread independence, the
// statistical shape of their output and argument checking.
#include "asyncopt/generate.hpp"

#include <gtest/gtest.h>

#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "asyncopt/error.hpp"
#include "asyncopt/optimum.hpp"
#include "asyncopt/preprocess.hpp"
#include "data/data_test_util.hpp"

namespace asyncopt {
namespace {

using testing::SameMatrixAndLabels;

void ExpectInvalidOption(const std::function<void()>& call, const std::string& mentions) {
  try {
    call();
    ADD_FAILURE() << "no exception; expected one mentioning " << mentions;
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidOption);
    EXPECT_NE(std::string(e.what()).find(mentions), std::string::npos) << e.what();
  }
}

double PositiveFraction(const Dataset& data) {
  return static_cast<double>(std::count(data.labels.begin(), data.labels.end(), 1.0)) /
         static_cast<double>(data.num_rows);
}

// Root mean square of every column.
std::vector<double> ColumnRms(const Dataset& data) {
  std::vector<double> sum_sq(static_cast<std::size_t>(data.num_cols), 0.0);
  for (std::size_t k = 0; k < data.col_index.size(); ++k) {
    sum_sq[static_cast<std::size_t>(data.col_index[k])] += data.values[k] * data.values[k];
  }
  for (double& v : sum_sq) v = std::sqrt(v / static_cast<double>(data.num_rows));
  return sum_sq;
}

// ---- Wangni et al. ---------------------------------------------------------

TEST(GenerateWangniSvm, DenseRowsOfTheRequestedShape) {
  WangniSvmOptions options;
  options.rows = 300;
  options.dim = 64;
  const Dataset data = GenerateWangniSvm(options);
  EXPECT_EQ(data.num_rows, 300);
  EXPECT_EQ(data.num_cols, 64);
  EXPECT_EQ(data.nnz(), 300 * 64);
  ASSERT_EQ(data.labels.size(), 300U);
  for (std::int64_t r = 0; r < data.num_rows; ++r) {
    const SparseRow row = data.row(r);
    for (std::int32_t k = 0; k < row.nnz; ++k) ASSERT_EQ(row.index[k], k);
  }
  for (const double y : data.labels) ASSERT_TRUE(y == 1.0 || y == -1.0);
  EXPECT_EQ(data.source, "generated:wangni-svm rows=300 dim=64 c1=0.01 c2=0.9 noise=1 seed=1");
}

TEST(GenerateWangniSvm, ReproducibleForASeedAndDifferentForAnother) {
  WangniSvmOptions options;
  options.rows = 200;
  options.dim = 32;
  options.seed = 5;
  const Dataset a = GenerateWangniSvm(options);
  const Dataset b = GenerateWangniSvm(options);
  options.seed = 6;
  const Dataset c = GenerateWangniSvm(options);
  EXPECT_TRUE(SameMatrixAndLabels(a, b));
  EXPECT_NE(a.values, c.values);
}

TEST(GenerateWangniSvm, SameBitsWhateverTheThreadCount) {
  WangniSvmOptions options;
  options.rows = 1000;
  options.dim = 16;
  Dataset one, four;
  tbb::task_arena(1).execute([&] { one = GenerateWangniSvm(options); });
  tbb::task_arena(4).execute([&] { four = GenerateWangniSvm(options); });
  EXPECT_TRUE(SameMatrixAndLabels(one, four));
}

TEST(GenerateWangniSvm, FractionOfColumnsScaledByC1IsAboutC2) {
  // Scaled columns have B_i <= C1 C2 = 0.009, the others B_i > C2 = 0.9, so
  // the column RMS (about B_i) separates them cleanly.
  WangniSvmOptions options;
  options.rows = 100;
  options.dim = 1024;
  const Dataset data = GenerateWangniSvm(options);
  const std::vector<double> rms = ColumnRms(data);
  const auto scaled = std::count_if(rms.begin(), rms.end(), [](double v) { return v < 0.1; });
  const auto unscaled = std::count_if(rms.begin(), rms.end(), [](double v) { return v > 0.5; });
  EXPECT_EQ(scaled + unscaled, 1024);  // nothing in between
  // Binomial(1024, 0.9): sd 0.0094 of the fraction.
  EXPECT_NEAR(static_cast<double>(scaled) / 1024.0, 0.9, 0.04);
}

TEST(GenerateWangniSvm, LabelsAreBalancedAndNoiseOnlyFlipsSome) {
  WangniSvmOptions options;
  options.rows = 4000;
  options.dim = 64;
  options.noise = 0.0;
  const Dataset clean = GenerateWangniSvm(options);
  options.noise = 1.0;
  const Dataset noisy = GenerateWangniSvm(options);
  EXPECT_EQ(clean.values, noisy.values);  // sigma is drawn after the features
  EXPECT_GT(PositiveFraction(clean), 0.4);
  EXPECT_LT(PositiveFraction(clean), 0.6);
  std::int64_t flipped = 0;
  for (std::size_t r = 0; r < clean.labels.size(); ++r) flipped += clean.labels[r] != noisy.labels[r];
  // |a . w_bar| is usually below 1 here (only ~6 unscaled columns with
  // |w| <= 0.5), so sigma ~ N(0,1) flips many labels but not most.
  EXPECT_GT(flipped, 200);
  EXPECT_LT(flipped, 2000);
}

TEST(GenerateWangniSvm, ZeroC1DropsTheScaledColumns) {
  WangniSvmOptions options;
  options.rows = 50;
  options.dim = 200;
  options.c1 = 0.0;
  options.c2 = 0.5;
  const Dataset data = GenerateWangniSvm(options);
  const std::int32_t per_row = data.row(0).nnz;
  EXPECT_GT(per_row, 60);   // Binomial(200, 0.5): mean 100, sd 7
  EXPECT_LT(per_row, 140);
  for (std::int64_t r = 1; r < data.num_rows; ++r) {
    const SparseRow row = data.row(r);
    ASSERT_EQ(row.nnz, per_row);
    for (std::int32_t k = 0; k < row.nnz; ++k) ASSERT_EQ(row.index[k], data.row(0).index[k]);
  }
  for (const double v : data.values) ASSERT_NE(v, 0.0);
  EXPECT_EQ(data.num_cols, 200);
}

TEST(GenerateWangniLogistic, PaperDefaultsAndScaledFraction) {
  const WangniLogisticOptions defaults;
  EXPECT_EQ(defaults.rows, 1024);
  EXPECT_EQ(defaults.dim, 2048);
  EXPECT_EQ(defaults.c1, 0.9);
  EXPECT_EQ(defaults.c2, 0.25);

  WangniLogisticOptions options;
  options.rows = 100;
  options.dim = 1024;
  options.c1 = 0.01;  // separates scaled columns as in the SVM test
  const Dataset data = GenerateWangniLogistic(options);
  EXPECT_EQ(data.nnz(), 100 * 1024);
  const std::vector<double> rms = ColumnRms(data);
  const auto scaled = std::count_if(rms.begin(), rms.end(), [](double v) { return v < 0.1; });
  // Binomial(1024, 0.25): sd 0.0135 of the fraction.
  EXPECT_NEAR(static_cast<double>(scaled) / 1024.0, 0.25, 0.06);
  EXPECT_GT(PositiveFraction(data), 0.3);
  EXPECT_LT(PositiveFraction(data), 0.7);
  EXPECT_NE(data.source.find("generated:wangni-logistic"), std::string::npos);
}

TEST(GenerateWangni, LogisticLabelsUseDenseDataSvmLabelsTheStoredData) {
  // C1 = 0, C2 = 1: every B_i <= 1 is zeroed, so no feature is stored. The
  // logistic recipe (Section 4) labels from the dense a_bar_n: still mixed.
  // The SVM recipe (Section 4.2) labels from a_n = 0: with noise 0 every
  // margin is 0 and sign(0) = +1.
  WangniLogisticOptions logistic;
  logistic.rows = 400;
  logistic.dim = 50;
  logistic.c1 = 0.0;
  logistic.c2 = 1.0;
  logistic.noise = 0.0;
  const Dataset dense_labels = GenerateWangniLogistic(logistic);
  EXPECT_EQ(dense_labels.nnz(), 0);
  EXPECT_GT(PositiveFraction(dense_labels), 0.3);
  EXPECT_LT(PositiveFraction(dense_labels), 0.7);

  WangniSvmOptions svm;
  svm.rows = 400;
  svm.dim = 50;
  svm.c1 = 0.0;
  svm.c2 = 1.0;
  svm.noise = 0.0;
  const Dataset stored_labels = GenerateWangniSvm(svm);
  EXPECT_EQ(stored_labels.nnz(), 0);
  EXPECT_EQ(PositiveFraction(stored_labels), 1.0);
}

TEST(GenerateWangni, RejectsBadArguments) {
  const auto svm = [](auto edit) {
    WangniSvmOptions o;
    o.rows = 10;
    o.dim = 4;
    edit(o);
    return [o] { GenerateWangniSvm(o); };
  };
  ExpectInvalidOption(svm([](WangniSvmOptions& o) { o.rows = 0; }), "rows");
  ExpectInvalidOption(svm([](WangniSvmOptions& o) { o.dim = -3; }), "dim");
  ExpectInvalidOption(svm([](WangniSvmOptions& o) { o.c1 = 1.5; }), "c1 = 1.5");
  ExpectInvalidOption(svm([](WangniSvmOptions& o) { o.c2 = -0.1; }), "c2 = -0.1");
  ExpectInvalidOption(svm([](WangniSvmOptions& o) { o.c2 = std::nan(""); }), "c2");
  ExpectInvalidOption(svm([](WangniSvmOptions& o) { o.noise = -1.0; }), "noise");
  WangniLogisticOptions logistic;
  logistic.c1 = 2.0;
  ExpectInvalidOption([&] { GenerateWangniLogistic(logistic); }, "GenerateWangniLogistic: c1");
}

// ---- Power law -------------------------------------------------------------

PowerLawOptions SmallPowerLaw() {
  PowerLawOptions options;
  options.rows = 2000;
  options.dim = 1500;
  options.nnz_per_row = 12;
  options.zipf_exponent = 1.0;
  options.seed = 7;
  return options;
}

TEST(GeneratePowerLaw, ExactSortedDistinctFeaturesPerRowWithUnitNorms) {
  const Dataset data = GeneratePowerLaw(SmallPowerLaw());
  EXPECT_EQ(data.num_rows, 2000);
  EXPECT_EQ(data.num_cols, 1500);
  EXPECT_EQ(data.nnz(), 2000 * 12);
  ASSERT_EQ(data.labels.size(), 2000U);
  for (std::int64_t r = 0; r < data.num_rows; ++r) {
    const SparseRow row = data.row(r);
    ASSERT_EQ(row.nnz, 12);
    double sq = 0.0;
    for (std::int32_t k = 0; k < row.nnz; ++k) {
      ASSERT_GE(row.index[k], 0);
      ASSERT_LT(row.index[k], 1500);
      if (k > 0) ASSERT_LT(row.index[k - 1], row.index[k]);
      ASSERT_GT(row.value[k], 0.0);
      sq += row.value[k] * row.value[k];
    }
    ASSERT_NEAR(sq, 1.0, 1e-13);
  }
  EXPECT_EQ(data.source,
            "generated:powerlaw rows=2000 dim=1500 nnz_per_row=12 zipf=1 label_noise=0.05 seed=7");
}

std::uint64_t Fnv1a(const void* bytes, std::size_t size, std::uint64_t hash) {
  const auto* p = static_cast<const unsigned char*>(bytes);
  for (std::size_t i = 0; i < size; ++i) {
    hash ^= p[i];
    hash *= 0x100000001B3ULL;
  }
  return hash;
}

std::uint64_t HashOf(const Dataset& data) {
  std::uint64_t h = 0xCBF29CE484222325ULL;
  h = Fnv1a(data.col_index.data(), data.col_index.size() * sizeof(std::int32_t), h);
  h = Fnv1a(data.values.data(), data.values.size() * sizeof(double), h);
  return Fnv1a(data.labels.data(), data.labels.size() * sizeof(double), h);
}

// Golden hashes recorded from this implementation (x86-64, g++ 12). The
// generators promise the same bits on every platform: a failure here on
// another machine is a portability bug, on the same one a format change that
// alters every generated data set.
TEST(Generators, GoldenHashesAreStable) {
  PowerLawOptions power;
  power.rows = 50;
  power.dim = 100;
  power.nnz_per_row = 7;
  power.seed = 99;
  EXPECT_EQ(HashOf(GeneratePowerLaw(power)), 0x89c99afd4c6d47a1ULL);
  WangniSvmOptions svm;
  svm.rows = 40;
  svm.dim = 16;
  svm.seed = 99;
  EXPECT_EQ(HashOf(GenerateWangniSvm(svm)), 0x8c628f8839b7e7ccULL);
}

TEST(GeneratePowerLaw, ReproducibleForASeedAndDifferentForAnother) {
  PowerLawOptions options = SmallPowerLaw();
  options.rows = 300;
  const Dataset a = GeneratePowerLaw(options);
  const Dataset b = GeneratePowerLaw(options);
  options.seed = 8;
  const Dataset c = GeneratePowerLaw(options);
  EXPECT_TRUE(SameMatrixAndLabels(a, b));
  EXPECT_NE(a.col_index, c.col_index);
}

TEST(GeneratePowerLaw, SameBitsForOneTwoAndFourThreads) {
  PowerLawOptions options = SmallPowerLaw();
  options.rows = 1000;
  options.threads = 1;
  const Dataset one = GeneratePowerLaw(options);
  options.threads = 2;
  const Dataset two = GeneratePowerLaw(options);
  options.threads = 4;
  const Dataset four = GeneratePowerLaw(options);
  EXPECT_TRUE(SameMatrixAndLabels(one, two));
  EXPECT_TRUE(SameMatrixAndLabels(one, four));
}

TEST(GeneratePowerLaw, FeatureFrequencyFallsWithRankAndFitsTheExponent) {
  for (const double zipf : {0.7, 1.0, 1.3}) {
    PowerLawOptions options;
    options.rows = 20000;
    options.dim = 1000;
    options.nnz_per_row = 5;
    options.zipf_exponent = zipf;
    const Dataset data = GeneratePowerLaw(options);
    std::vector<double> count(1000, 0.0);
    for (const std::int32_t j : data.col_index) count[static_cast<std::size_t>(j)] += 1.0;
    // Mean count per feature over rank bands [1,10), [10,100), [100,1000).
    const auto band_mean = [&](int lo, int hi) {
      double s = 0.0;
      for (int j = lo; j < hi; ++j) s += count[static_cast<std::size_t>(j)];
      return s / (hi - lo);
    };
    EXPECT_GT(count[0], band_mean(1, 10)) << zipf;
    EXPECT_GT(band_mean(1, 10), band_mean(10, 100)) << zipf;
    EXPECT_GT(band_mean(10, 100), band_mean(100, 1000)) << zipf;
    // Rejecting duplicates caps the hottest features below their Zipf share,
    // which flattens the fit a little at the top ranks.
    EXPECT_NEAR(ComputeStats(data, 0).zipf_exponent, zipf, 0.12) << zipf;
  }
}

TEST(GeneratePowerLaw, ZeroExponentIsUniform) {
  PowerLawOptions options = SmallPowerLaw();
  options.rows = 10000;
  options.zipf_exponent = 0.0;
  const DatasetStats stats = ComputeStats(GeneratePowerLaw(options), 0);
  // 120000 draws over 1500 features: counts 80 +- 9, a Poisson-like spread
  // (Gini about 0.06), nothing like the 0.72 of Zipf 1.
  EXPECT_LT(stats.gini, 0.1);
  EXPECT_LT(stats.zipf_exponent, 0.15);
  EXPECT_EQ(stats.empty_columns, 0);
}

TEST(GeneratePowerLaw, LabelsBalancedAndNoiseFlipsExactlyTheChosenRows) {
  PowerLawOptions options = SmallPowerLaw();
  options.label_noise = 0.0;
  const Dataset clean = GeneratePowerLaw(options);
  EXPECT_GT(PositiveFraction(clean), 0.25);
  EXPECT_LT(PositiveFraction(clean), 0.75);
  options.label_noise = 1.0;
  const Dataset flipped = GeneratePowerLaw(options);
  EXPECT_EQ(clean.values, flipped.values);
  for (std::size_t r = 0; r < clean.labels.size(); ++r) ASSERT_EQ(flipped.labels[r], -clean.labels[r]);
  options.label_noise = 0.2;
  const Dataset noisy = GeneratePowerLaw(options);
  std::int64_t changed = 0;
  for (std::size_t r = 0; r < clean.labels.size(); ++r) changed += clean.labels[r] != noisy.labels[r];
  EXPECT_NEAR(static_cast<double>(changed) / 2000.0, 0.2, 0.04);  // sd 0.009
}

TEST(GeneratePowerLaw, RowsCanHoldEveryFeatureEvenWithASteepLaw) {
  // Rejection alone would need ~50^3 draws for the last feature of a row.
  PowerLawOptions options;
  options.rows = 20;
  options.dim = 50;
  options.nnz_per_row = 50;
  options.zipf_exponent = 3.0;
  const Dataset data = GeneratePowerLaw(options);
  for (std::int64_t r = 0; r < data.num_rows; ++r) {
    const SparseRow row = data.row(r);
    ASSERT_EQ(row.nnz, 50);
    for (std::int32_t k = 0; k < 50; ++k) ASSERT_EQ(row.index[k], k);
  }
}

TEST(GeneratePowerLaw, RejectsBadArguments) {
  const auto make = [](auto edit) {
    PowerLawOptions o;
    o.rows = 10;
    o.dim = 20;
    o.nnz_per_row = 5;
    edit(o);
    return [o] { GeneratePowerLaw(o); };
  };
  ExpectInvalidOption(make([](PowerLawOptions& o) { o.rows = 0; }), "rows = 0");
  ExpectInvalidOption(make([](PowerLawOptions& o) { o.dim = 0; }), "dim = 0");
  ExpectInvalidOption(make([](PowerLawOptions& o) { o.nnz_per_row = 0; }), "nnz_per_row = 0");
  ExpectInvalidOption(make([](PowerLawOptions& o) { o.nnz_per_row = 21; }), "[1, dim = 20]");
  ExpectInvalidOption(make([](PowerLawOptions& o) { o.zipf_exponent = -0.5; }), "zipf_exponent = -0.5");
  ExpectInvalidOption(make([](PowerLawOptions& o) { o.zipf_exponent = std::nan(""); }), "zipf_exponent");
  ExpectInvalidOption(make([](PowerLawOptions& o) { o.label_noise = 1.5; }), "label_noise");
  ExpectInvalidOption(make([](PowerLawOptions& o) { o.threads = -1; }), "threads");
}

// ---- Planted least-squares regression -----------------------------------

RegressionOptions SmallRegression() {
  RegressionOptions options;
  options.rows = 3000;
  options.dim = 12;
  options.noise = 0.5;
  options.seed = 5;
  return options;
}

TEST(GenerateRegression, DefaultsAreYearPredictionMsdsShape) {
  const RegressionOptions defaults;
  EXPECT_EQ(defaults.rows, 463715);
  EXPECT_EQ(defaults.dim, 90);
  const Dataset d = GenerateRegression(SmallRegression());
  EXPECT_EQ(d.num_rows, 3000);
  EXPECT_EQ(d.num_cols, 12);
  EXPECT_EQ(d.nnz(), 3000 * 12);  // dense
  EXPECT_EQ(d.label_kind, LabelKind::kTargets);
  EXPECT_NO_THROW(ValidateDataset(d));
  // Targets are real numbers, not classes.
  EXPECT_GT(std::count_if(d.labels.begin(), d.labels.end(),
                          [](double y) { return y != 1.0 && y != -1.0; }),
            2990);
}

TEST(GenerateRegression, ReproducibleSameBitsForAnyThreadCountAndSeedMatters) {
  RegressionOptions options = SmallRegression();
  options.threads = 1;
  const Dataset one = GenerateRegression(options);
  options.threads = 2;
  const Dataset two = GenerateRegression(options);
  options.threads = 4;
  const Dataset four = GenerateRegression(options);
  EXPECT_TRUE(SameMatrixAndLabels(one, two));
  EXPECT_TRUE(SameMatrixAndLabels(one, four));
  options.seed = 6;
  EXPECT_NE(GenerateRegression(options).labels, one.labels);
  RegressionOptions golden;
  golden.rows = 40;
  golden.dim = 7;
  golden.seed = 99;
  EXPECT_EQ(HashOf(GenerateRegression(golden)), 0xd4f63e1f744574baULL);
}

// The noise is what least squares cannot explain: the mean squared residual
// of the fit is noise^2 (up to d / m and sampling), and 0 without noise.
TEST(GenerateRegression, LeastSquaresLeavesExactlyTheNoise) {
  for (const double noise : {0.0, 0.5, 2.0}) {
    RegressionOptions options = SmallRegression();
    options.noise = noise;
    const Dataset d = GenerateRegression(options);
    const ReferenceResult r = SolveReference(d, Problem{Loss::kSquared, 0.0, 0.0});
    const double mean_sq_residual = 2.0 * r.objective;  // F = (1/2m) sum residual^2
    if (noise == 0.0) {
      // f* = 0: no relative certificate can reach 1e-12 of it; F itself is 0.
      EXPECT_LT(mean_sq_residual, 1e-20);
    } else {
      ASSERT_TRUE(r.converged) << noise;
      EXPECT_NEAR(mean_sq_residual / (noise * noise), 1.0, 0.08) << noise;
    }
  }
}

TEST(GenerateRegression, RejectsBadArguments) {
  RegressionOptions o = SmallRegression();
  o.rows = 0;
  ExpectInvalidOption([&] { GenerateRegression(o); }, "GenerateRegression: rows = 0");
  o = SmallRegression();
  o.dim = -3;
  ExpectInvalidOption([&] { GenerateRegression(o); }, "dim = -3");
  o = SmallRegression();
  o.noise = -1.0;
  ExpectInvalidOption([&] { GenerateRegression(o); }, "noise = -1");
  o.noise = std::numeric_limits<double>::infinity();
  ExpectInvalidOption([&] { GenerateRegression(o); }, "noise = inf");
  o = SmallRegression();
  o.threads = -1;
  ExpectInvalidOption([&] { GenerateRegression(o); }, "threads = -1");
}

}  // namespace
}  // namespace asyncopt
