// Preprocessing a data set held in parts with the global statistics gives
// every row the bits Apply() gives it in the whole data set, whichever rows a
// part holds and in whatever order.
#include "data/preprocess_parts.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "asyncopt/error.hpp"
#include "asyncopt/preprocess.hpp"
#include "data/data_test_util.hpp"

namespace asyncopt {
namespace {

using testing::Entries;
using testing::MakeDataset;

// Random rows over `cols` columns, values spread over many magnitudes (so
// that scaling and normalising round), some rows empty; num_cols is the
// largest index used + 1, as the reader sets it.
Dataset RandomData(std::int64_t rows, std::int32_t cols, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> mantissa(-1.0, 1.0);
  std::vector<Entries> entries(static_cast<std::size_t>(rows));
  std::vector<double> labels;
  std::int32_t width = 0;
  for (Entries& row : entries) {
    std::int32_t j = -1;
    const int nnz = static_cast<int>(rng() % 9);
    for (int k = 0; k < nnz; ++k) {
      j += 1 + static_cast<std::int32_t>(rng() % 6);
      if (j >= cols) break;
      const double v = std::ldexp(mantissa(rng), static_cast<int>(rng() % 40) - 20);
      if (v == 0.0) continue;
      row.emplace_back(j, v);
      width = std::max(width, j + 1);
    }
    labels.push_back(rng() % 2 ? 1.0 : -1.0);
  }
  return MakeDataset(entries, labels, width);
}

// The rows `rows` of `all`, in that order, as a part: its num_cols is its
// own width, as ReadLibsvmPart would give.
Dataset PartOf(const Dataset& all, const std::vector<std::int64_t>& rows) {
  std::vector<Entries> entries;
  std::vector<double> labels;
  std::int32_t width = 0;
  for (const std::int64_t r : rows) {
    const SparseRow row = all.row(r);
    Entries& e = entries.emplace_back();
    for (std::int32_t k = 0; k < row.nnz; ++k) {
      e.emplace_back(row.index[k], row.value[k]);
      width = std::max(width, row.index[k] + 1);
    }
    labels.push_back(all.labels[static_cast<std::size_t>(r)]);
  }
  return MakeDataset(entries, labels, width);
}

bool SameRowBits(const Dataset& a, std::int64_t ra, const Dataset& b, std::int64_t rb) {
  const SparseRow x = a.row(ra);
  const SparseRow y = b.row(rb);
  if (x.nnz != y.nnz) return false;
  for (std::int32_t k = 0; k < x.nnz; ++k) {
    if (x.index[k] != y.index[k] ||
        std::bit_cast<std::uint64_t>(x.value[k]) != std::bit_cast<std::uint64_t>(y.value[k])) {
      return false;
    }
  }
  return true;
}

std::vector<Preprocessing> PartwisePreprocessings() {
  std::vector<Preprocessing> out(6);
  out[1].scale_maxabs = true;
  out[2].normalize_rows = true;
  out[3].bias = 0.5;
  out[4].scale_maxabs = out[4].normalize_rows = true;
  out[5].scale_maxabs = out[5].normalize_rows = true;
  out[5].bias = 1.0;
  return out;
}

TEST(PreprocessParts, ShuffledShardsGetTheWholeDataRowsBitForBit) {
  const Dataset raw = RandomData(400, 60, 3);
  for (const Preprocessing& prep : PartwisePreprocessings()) {
    Dataset whole = raw;
    const PreprocessingRecord expected = Apply(prep, whole);
    for (int parts = 1; parts <= 6; ++parts) {
      SCOPED_TRACE(prep.Describe() + ", parts = " + std::to_string(parts));
      // A seeded permutation cut into shards, as the master-worker solvers
      // assign rows by default; each shard keeps the permuted order.
      std::vector<std::int64_t> order(static_cast<std::size_t>(raw.num_rows));
      std::iota(order.begin(), order.end(), std::int64_t{0});
      std::shuffle(order.begin(), order.end(), std::mt19937_64(static_cast<unsigned>(parts)));
      std::vector<std::vector<std::int64_t>> shard_rows(static_cast<std::size_t>(parts));
      for (std::size_t i = 0; i < order.size(); ++i)
        shard_rows[i % shard_rows.size()].push_back(order[i]);

      std::vector<Dataset> shards;
      std::int32_t width = 0;
      for (const auto& rows : shard_rows) {
        shards.push_back(PartOf(raw, rows));
        width = std::max(width, shards.back().num_cols);
      }
      std::vector<double> maxima;
      for (const Dataset& s : shards) data::MergeColumnMaxAbs(maxima, data::ColumnMaxAbs(s, width));
      const PreprocessingRecord record = data::MakeRecord(prep, width, maxima);
      ASSERT_EQ(record.column_scale.size(), expected.column_scale.size());
      for (std::size_t j = 0; j < record.column_scale.size(); ++j) {
        EXPECT_EQ(std::bit_cast<std::uint64_t>(record.column_scale[j]),
                  std::bit_cast<std::uint64_t>(expected.column_scale[j]));
      }
      EXPECT_EQ(record.num_cols, expected.num_cols);
      EXPECT_EQ(record.raw_num_cols, expected.raw_num_cols);
      EXPECT_EQ(record.bias, expected.bias);
      EXPECT_EQ(record.normalized_rows, expected.normalized_rows);
      EXPECT_TRUE(record.original_column.empty());
      for (std::size_t s = 0; s < shards.size(); ++s) {
        data::ApplyToPart(record, shards[s]);
        EXPECT_EQ(shards[s].num_cols, whole.num_cols);
        EXPECT_EQ(shards[s].labels.size(), shard_rows[s].size());
        for (std::size_t i = 0; i < shard_rows[s].size(); ++i) {
          EXPECT_TRUE(SameRowBits(shards[s], static_cast<std::int64_t>(i), whole, shard_rows[s][i]))
              << "row " << shard_rows[s][i];
        }
      }
    }
  }
}

TEST(PreprocessParts, BiasGoesToTheGlobalWidthInANarrowPart) {
  Dataset part = MakeDataset({{{0, 3.0}, {2, -6.0}}}, {1}, 3);
  Preprocessing prep;
  prep.scale_maxabs = true;
  prep.bias = 1.0;
  std::vector<double> maxima = data::ColumnMaxAbs(part, 10);
  EXPECT_EQ(maxima, (std::vector<double>{3, 0, 6, 0, 0, 0, 0, 0, 0, 0}));
  maxima[0] = 12.0;  // another part has a larger |x| in column 0
  const PreprocessingRecord record = data::MakeRecord(prep, 10, maxima);
  EXPECT_EQ(record.column_scale, (std::vector<double>{12, 1, 6, 1, 1, 1, 1, 1, 1, 1}));
  data::ApplyToPart(record, part);
  EXPECT_EQ(part.col_index, (std::vector<std::int32_t>{0, 2, 10}));
  EXPECT_EQ(part.values, (std::vector<double>{0.25, -1.0, 1.0}));
  EXPECT_EQ(part.num_cols, 11);
}

TEST(PreprocessParts, EmptyPartStaysEmptyWithTheGlobalWidth) {
  Dataset part = MakeDataset({}, {}, 0);
  Preprocessing prep;
  prep.normalize_rows = true;
  const PreprocessingRecord record = data::MakeRecord(prep, 7, {});
  data::ApplyToPart(record, part);
  EXPECT_EQ(part.num_rows, 0);
  EXPECT_EQ(part.num_cols, 7);
  EXPECT_EQ(part.row_ptr, (std::vector<std::int64_t>{0}));
}

TEST(PreprocessParts, CompactFeaturesIsRefusedWithAMessageTheCallerCanShow) {
  Preprocessing prep;
  prep.compact_columns = true;
  try {
    data::CheckPartwise(prep);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUnsupported);
    EXPECT_NE(std::string(e.what()).find("--compact-features"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("in parts"), std::string::npos) << e.what();
  }
  EXPECT_THROW(data::MakeRecord(prep, 4, {}), Error);
  Preprocessing bad_bias;
  bad_bias.bias = std::numeric_limits<double>::infinity();
  EXPECT_THROW(data::CheckPartwise(bad_bias), Error);
}

TEST(PreprocessParts, WidthsThatWereNotCombinedAreRefused) {
  Dataset part = MakeDataset({{{5, 1.0}}}, {1}, 6);
  EXPECT_THROW(data::ColumnMaxAbs(part, 5), Error);
  Preprocessing prep;
  prep.scale_maxabs = true;
  EXPECT_THROW(data::MakeRecord(prep, 6, std::vector<double>(5, 1.0)), Error);
  const PreprocessingRecord narrow = data::MakeRecord(Preprocessing{}, 4, {});
  EXPECT_THROW(data::ApplyToPart(narrow, part), Error);
  EXPECT_NO_THROW(data::ApplyToPart(data::MakeRecord(Preprocessing{}, 6, {}), part));
}

TEST(PreprocessParts, MergingMaximaIsAnElementwiseMaxThatGrows) {
  std::vector<double> into{1.0, 5.0};
  data::MergeColumnMaxAbs(into, std::vector<double>{2.0, 3.0, 4.0});
  EXPECT_EQ(into, (std::vector<double>{2.0, 5.0, 4.0}));
}

}  // namespace
}  // namespace asyncopt
