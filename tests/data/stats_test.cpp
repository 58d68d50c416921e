// ComputeStats on data small enough to check by hand, and the rho estimate
// against a plain recount.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "asyncopt/dataset.hpp"
#include "asyncopt/error.hpp"
#include "asyncopt/generate.hpp"
#include "asyncopt/preprocess.hpp"
#include "data/data_test_util.hpp"

namespace asyncopt {
namespace {

using testing::MakeDataset;

// 6 rows, 5 columns:
//   r0: {0, 1}   r1: {0}   r2: {0}   r3: {1, 2}   r4: {2, 3}   r5: {}
// Column counts: c0 = 3, c1 = 2, c2 = 2, c3 = 1, c4 = 0 (empty); nnz = 8.
Dataset HandData() {
  return MakeDataset({{{0, 1.0}, {1, -2.5}},
                      {{0, 0.5}},
                      {{0, 2.0}},
                      {{1, 1.0}, {2, 1.0}},
                      {{2, -1.0}, {3, 0.25}},
                      {}},
                     {1, -1, 1, 1, -1, -1}, 5);
}

TEST(ComputeStats, HandBuiltDataset) {
  const DatasetStats s = ComputeStats(HandData(), 2000, 1);
  EXPECT_EQ(s.rows, 6);
  EXPECT_EQ(s.cols, 5);
  EXPECT_EQ(s.nnz, 8);
  EXPECT_DOUBLE_EQ(s.density, 8.0 / 30.0);
  EXPECT_EQ(s.positives, 3);
  EXPECT_EQ(s.negatives, 3);
  EXPECT_EQ(s.min_row_nnz, 0);
  EXPECT_EQ(s.max_row_nnz, 2);
  EXPECT_DOUBLE_EQ(s.mean_row_nnz, 8.0 / 6.0);
  EXPECT_EQ(s.empty_columns, 1);
  EXPECT_EQ(s.max_abs_value, 2.5);
  // Delta: the busiest column (c0) touches 3 of 6 rows.
  EXPECT_DOUBLE_EQ(s.delta, 0.5);
  // rho: rows sharing a feature with r0 (itself included): via c0 {r0, r1,
  // r2}, via c1 {r0, r3} -> 4 rows. r1, r2: 3; r3: {r0, r3, r4} = 3;
  // r4: {r3, r4} = 2; r5: 0. max = 4, over 6 rows.
  EXPECT_EQ(s.rho_sample_rows, 6);
  EXPECT_DOUBLE_EQ(s.rho, 4.0 / 6.0);
  // top 1%: ceil(0.01 * 4 non-empty columns) = 1 column, c0 with 3 of 8.
  EXPECT_DOUBLE_EQ(s.top1pct_share, 3.0 / 8.0);
  // Gini over ascending counts (1, 2, 2, 3), n = 4, sum 8:
  // sum (2i - n - 1) x_i = -3*1 - 1*2 + 1*2 + 3*3 = 6; G = 6 / (4 * 8).
  EXPECT_DOUBLE_EQ(s.gini, 0.1875);
  // Zipf: counts (3, 2, 2, 1) at ranks 1..4; least-squares slope of
  // y = ln(count) on x = ln(rank): x mean 0.79451, y mean 0.62123,
  // Sxy = -0.73237, Sxx = 1.08422, exponent = -Sxy / Sxx = 0.67548.
  EXPECT_NEAR(s.zipf_exponent, 0.67548, 1e-4);
}

// Real targets: range, mean, population std and distinct values instead of
// class counts (-0 and 0 are one value).
TEST(ComputeStats, RealTargetsGetTheirStatisticsNotClassCounts) {
  Dataset d = HandData();
  d.labels = {2.5, -0.0, 0.0, 10.0, 2.5, -3.0};
  d.label_kind = LabelKind::kTargets;
  const DatasetStats s = ComputeStats(d, 6);
  EXPECT_TRUE(s.targets);
  EXPECT_EQ(s.positives, 0);
  EXPECT_EQ(s.negatives, 0);
  EXPECT_EQ(s.target_min, -3.0);
  EXPECT_EQ(s.target_max, 10.0);
  EXPECT_DOUBLE_EQ(s.target_mean, 2.0);
  // deviations 0.5, -2, -2, 8, 0.5, -5: squares sum to 97.5
  EXPECT_DOUBLE_EQ(s.target_std, std::sqrt(97.5 / 6.0));
  EXPECT_EQ(s.target_distinct, 4);
  // Classes keep their counts and no target statistics.
  const DatasetStats c = ComputeStats(HandData(), 6);
  EXPECT_FALSE(c.targets);
  EXPECT_EQ(c.positives, 3);
  EXPECT_EQ(c.target_distinct, 0);
}

TEST(ComputeStats, ColumnInEveryRowGivesRhoAndDeltaOne) {
  const Dataset data = MakeDataset({{{0, 1.0}}, {{0, 1.0}, {1, 1.0}}, {{0, 1.0}}, {{0, 1.0}, {2, 1.0}}},
                                   {1, 1, 1, 1}, 3);
  const DatasetStats s = ComputeStats(data);
  EXPECT_DOUBLE_EQ(s.rho, 1.0);
  EXPECT_DOUBLE_EQ(s.delta, 1.0);
  EXPECT_EQ(s.negatives, 0);
}

TEST(ComputeStats, EqualColumnCountsHaveZeroGiniAndZipf) {
  const Dataset data = MakeDataset({{{0, 1.0}}, {{1, 1.0}}, {{2, 1.0}}, {{3, 1.0}}}, {1, 1, -1, -1}, 4);
  const DatasetStats s = ComputeStats(data);
  EXPECT_DOUBLE_EQ(s.gini, 0.0);
  EXPECT_DOUBLE_EQ(s.zipf_exponent, 0.0);
  EXPECT_DOUBLE_EQ(s.rho, 0.25);  // every row conflicts only with itself
  EXPECT_DOUBLE_EQ(s.top1pct_share, 0.25);
}

TEST(ComputeStats, EmptyDatasetIsAllZero) {
  const DatasetStats s = ComputeStats(Dataset{});
  EXPECT_EQ(s.rows, 0);
  EXPECT_EQ(s.nnz, 0);
  EXPECT_EQ(s.rho, 0.0);
  EXPECT_EQ(s.density, 0.0);
}

// Plain recount of max_e |{e' sharing a feature with e}| with row lists.
std::int64_t RecountMaxConflicts(const Dataset& data) {
  std::vector<std::vector<std::int64_t>> rows_of(static_cast<std::size_t>(data.num_cols));
  for (std::int64_t r = 0; r < data.num_rows; ++r) {
    const SparseRow row = data.row(r);
    for (std::int32_t k = 0; k < row.nnz; ++k) rows_of[static_cast<std::size_t>(row.index[k])].push_back(r);
  }
  std::int64_t best = 0;
  std::vector<std::int64_t> mark(static_cast<std::size_t>(data.num_rows), -1);
  for (std::int64_t r = 0; r < data.num_rows; ++r) {
    const SparseRow row = data.row(r);
    std::int64_t distinct = 0;
    for (std::int32_t k = 0; k < row.nnz; ++k) {
      for (const std::int64_t other : rows_of[static_cast<std::size_t>(row.index[k])]) {
        if (mark[static_cast<std::size_t>(other)] != r) {
          mark[static_cast<std::size_t>(other)] = r;
          ++distinct;
        }
      }
    }
    best = std::max(best, distinct);
  }
  return best;
}

TEST(ComputeStats, ExactRhoMatchesRecountOnSkewedData) {
  // Zipf 0.7 over 3000 features: a few columns are dense enough for the
  // bitset path, the rest use row lists.
  PowerLawOptions options;
  options.rows = 1500;
  options.dim = 3000;
  options.nnz_per_row = 6;
  options.zipf_exponent = 0.7;
  options.seed = 3;
  const Dataset data = GeneratePowerLaw(options);
  const DatasetStats s = ComputeStats(data, data.num_rows, 1);
  EXPECT_EQ(s.rho_sample_rows, data.num_rows);
  EXPECT_DOUBLE_EQ(s.rho, static_cast<double>(RecountMaxConflicts(data)) / 1500.0);
  EXPECT_GT(s.rho, s.delta);  // a row meets more rows than its busiest column holds
}

TEST(ComputeStats, SampledRhoNeverExceedsExactRho) {
  PowerLawOptions options;
  options.rows = 1000;
  options.dim = 500;
  options.nnz_per_row = 4;
  options.seed = 4;
  const Dataset data = GeneratePowerLaw(options);
  const DatasetStats exact = ComputeStats(data, 1000, 1);
  const DatasetStats sampled = ComputeStats(data, 50, 9);
  EXPECT_EQ(sampled.rho_sample_rows, 50);
  EXPECT_LE(sampled.rho, exact.rho);
  EXPECT_GT(sampled.rho, 0.0);
  EXPECT_EQ(ComputeStats(data, 50, 9).rho, sampled.rho);  // seeded
  const DatasetStats skipped = ComputeStats(data, 0, 1);
  EXPECT_EQ(skipped.rho, 0.0);
  EXPECT_EQ(skipped.rho_sample_rows, 0);
}

long PeakRssKb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;  // kilobytes on Linux
}

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define ASYNCOPT_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define ASYNCOPT_TEST_SANITIZED 1
#endif
#endif

// Caps the address space at its current size + 2 GiB while alive, so that a
// d-sized allocation for d = 2^31 fails with bad_alloc instead of taking the
// machine's memory. Does nothing under sanitizers (they reserve terabytes).
class AddressSpaceCap {
 public:
  AddressSpaceCap() {
#ifndef ASYNCOPT_TEST_SANITIZED
    std::ifstream statm("/proc/self/statm");
    long pages = 0;
    statm >> pages;
    if (!statm || getrlimit(RLIMIT_AS, &saved_) != 0) return;
    rlimit cap = saved_;
    const auto wanted =
        static_cast<rlim_t>(pages) * static_cast<rlim_t>(sysconf(_SC_PAGESIZE)) + (rlim_t{2} << 30);
    if (cap.rlim_cur == RLIM_INFINITY || cap.rlim_cur > wanted) cap.rlim_cur = wanted;
    active_ = setrlimit(RLIMIT_AS, &cap) == 0;
#endif
  }
  ~AddressSpaceCap() {
    if (active_) setrlimit(RLIMIT_AS, &saved_);
  }
  AddressSpaceCap(const AddressSpaceCap&) = delete;
  AddressSpaceCap& operator=(const AddressSpaceCap&) = delete;

 private:
  rlimit saved_{};
  bool active_ = false;
};

// The statistics that do not depend on d (the number of columns).
void ExpectSameColumnFreeStats(const DatasetStats& a, const DatasetStats& b) {
  EXPECT_EQ(a.rows, b.rows);
  EXPECT_EQ(a.nnz, b.nnz);
  EXPECT_EQ(a.positives, b.positives);
  EXPECT_EQ(a.negatives, b.negatives);
  EXPECT_EQ(a.min_row_nnz, b.min_row_nnz);
  EXPECT_EQ(a.max_row_nnz, b.max_row_nnz);
  EXPECT_EQ(a.mean_row_nnz, b.mean_row_nnz);
  EXPECT_EQ(a.delta, b.delta);
  EXPECT_EQ(a.rho, b.rho);
  EXPECT_EQ(a.rho_sample_rows, b.rho_sample_rows);
  EXPECT_EQ(a.top1pct_share, b.top1pct_share);
  EXPECT_EQ(a.gini, b.gini);
  EXPECT_EQ(a.zipf_exponent, b.zipf_exponent);
  EXPECT_EQ(a.max_abs_value, b.max_abs_value);
}

// d much larger than nnz takes the path that renumbers the non-empty columns
// (memory in proportion to nnz); it must give the same statistics as the
// d-sized arrays, bit for bit, plus the extra empty columns.
TEST(ComputeStats, ManyEmptyColumnsGiveTheSameStatistics) {
  PowerLawOptions skewed;
  skewed.rows = 1500;
  skewed.dim = 3000;
  skewed.nnz_per_row = 6;
  skewed.zipf_exponent = 0.7;  // hot columns: the bitset path of the rho estimate
  skewed.seed = 3;
  const Dataset every_row = MakeDataset(
      {{{0, 1.0}}, {{0, 1.0}, {1, 1.0}}, {{0, 1.0}}, {{0, 1.0}, {2, 1.0}}}, {1, 1, 1, 1}, 3);
  for (const Dataset& data : {HandData(), GeneratePowerLaw(skewed), every_row}) {
    for (const std::int64_t samples : {std::int64_t{0}, std::int64_t{7}, data.num_rows}) {
      SCOPED_TRACE("rows " + std::to_string(data.num_rows) + " samples " + std::to_string(samples));
      const DatasetStats narrow = ComputeStats(data, samples, 5);
      for (const std::int32_t wide_cols :
           {data.num_cols + 1000000, std::numeric_limits<std::int32_t>::max()}) {
        Dataset wide = data;
        wide.num_cols = wide_cols;
        DatasetStats s;
        {
          AddressSpaceCap cap;
          s = ComputeStats(wide, samples, 5);
        }
        ExpectSameColumnFreeStats(narrow, s);
        EXPECT_EQ(s.cols, wide_cols);
        EXPECT_EQ(s.empty_columns, narrow.empty_columns + (wide_cols - data.num_cols));
        EXPECT_DOUBLE_EQ(s.density, static_cast<double>(data.nnz()) /
                                        (static_cast<double>(data.num_rows) * wide_cols));
      }
    }
  }
}

TEST(ComputeStats, LargestIndexOnTwoRowsCostsMemoryOfNnzNotD) {
  const Dataset data = ParseLibsvm("1 1:1\n-1 2147483647:-2\n", "two");
  ASSERT_EQ(data.num_cols, 2147483647);
  const long before = PeakRssKb();
  const auto start = std::chrono::steady_clock::now();
  DatasetStats s;
  {
    AddressSpaceCap cap;
    s = ComputeStats(data, 2000, 1);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(PeakRssKb() - before, 100 * 1024)
      << "peak RSS grew by MB: " << (PeakRssKb() - before) / 1024;
  EXPECT_LT(seconds, 5.0);
  EXPECT_EQ(s.rows, 2);
  EXPECT_EQ(s.cols, 2147483647);
  EXPECT_EQ(s.nnz, 2);
  EXPECT_EQ(s.empty_columns, 2147483645);
  EXPECT_DOUBLE_EQ(s.density, 2.0 / (2.0 * 2147483647.0));
  EXPECT_EQ(s.positives, 1);
  EXPECT_EQ(s.negatives, 1);
  EXPECT_EQ(s.min_row_nnz, 1);
  EXPECT_EQ(s.max_row_nnz, 1);
  EXPECT_EQ(s.max_abs_value, 2.0);
  EXPECT_DOUBLE_EQ(s.delta, 0.5);  // each column touches one of two rows
  EXPECT_DOUBLE_EQ(s.rho, 0.5);    // each row meets only itself
  EXPECT_EQ(s.rho_sample_rows, 2);
  EXPECT_DOUBLE_EQ(s.top1pct_share, 0.5);
  EXPECT_DOUBLE_EQ(s.gini, 0.0);
  EXPECT_DOUBLE_EQ(s.zipf_exponent, 0.0);
}

TEST(ComputeStats, RejectsNegativeRhoSamples) {
  try {
    ComputeStats(HandData(), -1);
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidOption);
    EXPECT_NE(std::string(e.what()).find("rho_samples"), std::string::npos);
  }
}

}  // namespace
}  // namespace asyncopt
