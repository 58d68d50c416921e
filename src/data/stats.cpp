// Dataset statistics for `asyncopt info`: sizes, label balance, Hogwild's
// sparsity measures (Niu et al. 2011) and feature-frequency skew.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/enumerable_thread_specific.h>

#include "asyncopt/error.hpp"
#include "asyncopt/preprocess.hpp"
#include "data/parallel.hpp"
#include "data/random.hpp"
#include "data/targets.hpp"

namespace asyncopt {
namespace {

constexpr std::uint64_t kRhoSampleDomain = 0x52484F00ULL;

// A column touched by at least rows / kHotDivisor rows is handled as a bitset
// over rows (one OR per 64 rows) instead of a row list (one write per row).
// Bitsets then cost at most kHotDivisor / 8 bytes per nonzero.
constexpr std::int64_t kHotDivisor = 32;

// Per-column arrays (counts, the column index of the rho estimate) are sized
// by d while d <= kSparseColumnsFactor * nnz + kSparseColumnsSlack; above that
// the non-empty columns are renumbered 0..k-1 first, so that a file with
// index 2147483647 and two rows costs memory in proportion to nnz, not d.
// Renumbering keeps the column order, so both ways give the same statistics.
constexpr std::int64_t kSparseColumnsFactor = 4;
constexpr std::int64_t kSparseColumnsSlack = 4096;

// Column of every stored entry (aligned with data.col_index) in the id space
// the statistics use: the dataset's own indices, or the renumbered ones.
struct ColumnIds {
  const std::int32_t* of_entry = nullptr;
  std::int32_t count = 0;                // ids are 0..count-1
  std::vector<std::int32_t> renumbered;  // storage when renumbered
};

ColumnIds MakeColumnIds(const Dataset& data, std::int32_t cols) {
  ColumnIds ids;
  if (static_cast<std::int64_t>(cols) <= kSparseColumnsFactor * data.nnz() + kSparseColumnsSlack) {
    ids.of_entry = data.col_index.data();
    ids.count = cols;
    return ids;
  }
  // Sorted distinct columns; a column's new id is its rank among them.
  std::vector<std::int32_t> distinct(data.col_index.begin(), data.col_index.end());
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  ids.renumbered.resize(data.col_index.size());
  for (std::size_t k = 0; k < data.col_index.size(); ++k) {
    ids.renumbered[k] = static_cast<std::int32_t>(
        std::lower_bound(distinct.begin(), distinct.end(), data.col_index[k]) - distinct.begin());
  }
  ids.of_entry = ids.renumbered.data();
  ids.count = static_cast<std::int32_t>(distinct.size());
  return ids;
}

// Column ids of the entries of row `r`.
inline const std::int32_t* RowIds(const Dataset& data, const ColumnIds& ids, std::int64_t r) {
  return ids.of_entry + data.row_ptr[static_cast<std::size_t>(r)];
}

// Column -> rows index (CSC pattern) used by the rho estimate.
template <typename RowId>
struct ColumnIndex {
  std::vector<std::int64_t> col_ptr;
  std::vector<RowId> row_of;
};

template <typename RowId>
ColumnIndex<RowId> BuildColumnIndex(const Dataset& data, const ColumnIds& ids,
                                    const std::vector<std::int64_t>& counts) {
  const std::int32_t cols = ids.count;
  ColumnIndex<RowId> index;
  index.col_ptr.assign(static_cast<std::size_t>(cols) + 1, 0);
  for (std::int32_t j = 0; j < cols; ++j) {
    index.col_ptr[static_cast<std::size_t>(j) + 1] =
        index.col_ptr[static_cast<std::size_t>(j)] + counts[static_cast<std::size_t>(j)];
  }
  index.row_of.resize(static_cast<std::size_t>(data.nnz()));
  std::vector<std::int64_t> next(index.col_ptr.begin(), index.col_ptr.end() - 1);
  for (std::int64_t r = 0; r < data.num_rows; ++r) {
    const std::int32_t* row_ids = RowIds(data, ids, r);
    const std::int32_t row_nnz = data.row(r).nnz;
    for (std::int32_t k = 0; k < row_nnz; ++k) {
      index.row_of[static_cast<std::size_t>(next[static_cast<std::size_t>(row_ids[k])]++)] =
          static_cast<RowId>(r);
    }
  }
  return index;
}

// Rows chosen for the rho estimate: all rows, or `samples` distinct rows
// uniformly at random (Knuth's selection sampling, ascending order).
std::vector<std::int64_t> SampleRows(std::int64_t rows, std::int64_t samples, std::uint64_t seed) {
  std::vector<std::int64_t> chosen;
  if (samples >= rows) {
    chosen.resize(static_cast<std::size_t>(rows));
    for (std::int64_t r = 0; r < rows; ++r) chosen[static_cast<std::size_t>(r)] = r;
    return chosen;
  }
  chosen.reserve(static_cast<std::size_t>(samples));
  data::Rng rng = data::Rng::ForStream(seed, kRhoSampleDomain, 0);
  for (std::int64_t r = 0; r < rows && static_cast<std::int64_t>(chosen.size()) < samples; ++r) {
    const auto needed = static_cast<std::uint64_t>(samples - static_cast<std::int64_t>(chosen.size()));
    if (rng.Below(static_cast<std::uint64_t>(rows - r)) < needed) chosen.push_back(r);
  }
  return chosen;
}

// max over `sample` of |{e' : e' shares a feature with e}| (e itself
// included when it has a feature), by a per-thread bitset of seen rows.
template <typename RowId>
std::int64_t MaxConflicts(const Dataset& data, const ColumnIds& ids,
                          const std::vector<std::int64_t>& counts,
                          const std::vector<std::int64_t>& sample) {
  const std::int64_t rows = data.num_rows;
  const std::int32_t cols = ids.count;
  const ColumnIndex<RowId> index = BuildColumnIndex<RowId>(data, ids, counts);
  const auto words = static_cast<std::size_t>((rows + 63) / 64);

  // Bitsets of the hot columns; hot_slot[j] = position in `hot_bits` or -1.
  std::vector<std::int64_t> hot_slot(static_cast<std::size_t>(cols), -1);
  std::int64_t hot_columns = 0;
  for (std::int32_t j = 0; j < cols; ++j) {
    if (counts[static_cast<std::size_t>(j)] * kHotDivisor >= rows &&
        counts[static_cast<std::size_t>(j)] < rows) {
      hot_slot[static_cast<std::size_t>(j)] = hot_columns++;
    }
  }
  std::vector<std::uint64_t> hot_bits(static_cast<std::size_t>(hot_columns) * words, 0);
  for (std::int32_t j = 0; j < cols; ++j) {
    const std::int64_t slot = hot_slot[static_cast<std::size_t>(j)];
    if (slot < 0) continue;
    std::uint64_t* bits = hot_bits.data() + static_cast<std::size_t>(slot) * words;
    for (std::int64_t k = index.col_ptr[static_cast<std::size_t>(j)];
         k < index.col_ptr[static_cast<std::size_t>(j) + 1]; ++k) {
      const auto e = static_cast<std::uint64_t>(index.row_of[static_cast<std::size_t>(k)]);
      bits[e >> 6] |= std::uint64_t{1} << (e & 63);
    }
  }

  struct Scratch {
    std::vector<std::uint64_t> seen;
    std::vector<std::size_t> touched;
    std::int64_t best = 0;
  };
  tbb::enumerable_thread_specific<Scratch> scratch([words] {
    Scratch s;
    s.seen.assign(words, 0);
    return s;
  });
  data::ParallelFor<std::size_t>(
      0, sample.size(), 16,
      [&](const tbb::blocked_range<std::size_t>& range) {
        Scratch& s = scratch.local();
        for (std::size_t i = range.begin(); i != range.end(); ++i) {
          const std::int32_t* row_ids = RowIds(data, ids, sample[i]);
          const std::int32_t row_nnz = data.row(sample[i]).nnz;
          bool full = false, any_hot = false;
          for (std::int32_t k = 0; k < row_nnz; ++k) {
            const auto j = static_cast<std::size_t>(row_ids[k]);
            if (counts[j] == rows) {  // this feature alone touches every row
              full = true;
              break;
            }
            if (hot_slot[j] >= 0) {
              any_hot = true;
              continue;
            }
            for (std::int64_t p = index.col_ptr[j]; p < index.col_ptr[j + 1]; ++p) {
              const auto e = static_cast<std::uint64_t>(index.row_of[static_cast<std::size_t>(p)]);
              std::uint64_t& word = s.seen[e >> 6];
              if (word == 0) s.touched.push_back(e >> 6);
              word |= std::uint64_t{1} << (e & 63);
            }
          }
          std::int64_t distinct = 0;
          if (full) {
            distinct = rows;
            for (const std::size_t w : s.touched) s.seen[w] = 0;
          } else if (any_hot) {
            for (std::int32_t k = 0; k < row_nnz; ++k) {
              const std::int64_t slot = hot_slot[static_cast<std::size_t>(row_ids[k])];
              if (slot < 0) continue;
              const std::uint64_t* bits = hot_bits.data() + static_cast<std::size_t>(slot) * words;
              for (std::size_t w = 0; w < words; ++w) s.seen[w] |= bits[w];
            }
            for (std::size_t w = 0; w < words; ++w) {
              distinct += std::popcount(s.seen[w]);
              s.seen[w] = 0;
            }
          } else {
            for (const std::size_t w : s.touched) {
              distinct += std::popcount(s.seen[w]);
              s.seen[w] = 0;
            }
          }
          s.touched.clear();
          s.best = std::max(s.best, distinct);
        }
      });
  std::int64_t best = 0;
  for (const Scratch& s : scratch) best = std::max(best, s.best);
  return best;
}

}  // namespace

DatasetStats ComputeStats(const Dataset& data, std::int64_t rho_samples, std::uint64_t seed) {
  if (rho_samples < 0) {
    throw Error(ErrorKind::kInvalidOption, "ComputeStats: rho_samples = " + std::to_string(rho_samples) +
                                               " must be >= 0 (0 skips the rho estimate)");
  }
  DatasetStats stats;
  stats.rows = data.num_rows;
  stats.nnz = data.nnz();
  std::int32_t cols = std::max<std::int32_t>(data.num_cols, 0);
  for (const std::int32_t j : data.col_index) cols = std::max(cols, j + 1);
  stats.cols = cols;
  if (stats.rows > 0 && cols > 0) {
    stats.density = static_cast<double>(stats.nnz) /
                    (static_cast<double>(stats.rows) * static_cast<double>(cols));
  }
  if (data.label_kind == LabelKind::kTargets) {
    const data::TargetMoments t = data::Moments(data.labels);
    stats.targets = true;
    stats.target_min = t.min;
    stats.target_max = t.max;
    stats.target_mean = t.mean;
    stats.target_std = t.std;
    std::vector<double> sorted(data.labels);
    std::sort(sorted.begin(), sorted.end());
    // -0 and 0 are one value.
    stats.target_distinct = static_cast<std::int64_t>(
        std::unique(sorted.begin(), sorted.end()) - sorted.begin());
  } else if (data.label_kind == LabelKind::kClassIds) {
    stats.class_counts.assign(data.class_labels.size(), 0);
    for (const double y : data.labels) stats.class_counts[static_cast<std::size_t>(y)] += 1;
  } else {
    for (const double y : data.labels) (y > 0 ? stats.positives : stats.negatives) += 1;
  }
  for (const double v : data.values) stats.max_abs_value = std::max(stats.max_abs_value, std::fabs(v));
  if (stats.rows == 0) return stats;

  stats.min_row_nnz = std::numeric_limits<std::int32_t>::max();
  for (std::int64_t r = 0; r < data.num_rows; ++r) {
    const std::int32_t n = data.row(r).nnz;
    stats.min_row_nnz = std::min(stats.min_row_nnz, n);
    stats.max_row_nnz = std::max(stats.max_row_nnz, n);
  }
  stats.mean_row_nnz = static_cast<double>(stats.nnz) / static_cast<double>(stats.rows);

  // Counts per column id: memory in proportion to min(d, nnz) (ColumnIds).
  const ColumnIds ids = MakeColumnIds(data, cols);
  std::vector<std::int64_t> counts(static_cast<std::size_t>(ids.count), 0);
  for (std::size_t k = 0; k < data.col_index.size(); ++k) {
    ++counts[static_cast<std::size_t>(ids.of_entry[k])];
  }
  std::vector<std::int64_t> present;  // counts of non-empty columns
  present.reserve(counts.size());
  for (const std::int64_t c : counts) {
    if (c != 0) present.push_back(c);
  }
  stats.empty_columns = cols - static_cast<std::int32_t>(present.size());
  if (present.empty()) return stats;

  // Skew of the feature frequencies, hottest column first.
  std::sort(present.begin(), present.end(), std::greater<>());
  stats.delta = static_cast<double>(present.front()) / static_cast<double>(stats.rows);
  const std::size_t n = present.size();
  const std::size_t top = (n + 99) / 100;  // ceil(1% of the non-empty columns)
  std::int64_t top_sum = 0;
  for (std::size_t i = 0; i < top; ++i) top_sum += present[i];
  stats.top1pct_share = static_cast<double>(top_sum) / static_cast<double>(stats.nnz);
  // Gini over ascending counts x_(1) <= ... <= x_(n):
  // G = sum_i (2i - n - 1) x_(i) / (n sum_i x_(i)); i counts from 1.
  double weighted = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const double rank_ascending = static_cast<double>(n - i);  // present is descending
    weighted += (2.0 * rank_ascending - static_cast<double>(n) - 1.0) * static_cast<double>(present[i]);
  }
  stats.gini = weighted / (static_cast<double>(n) * static_cast<double>(stats.nnz));
  // Zipf exponent: minus the least-squares slope of log(count) on log(rank).
  if (n >= 2) {
    double mean_x = 0.0, mean_y = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
      mean_x += std::log(static_cast<double>(i + 1));
      mean_y += std::log(static_cast<double>(present[i]));
    }
    mean_x /= static_cast<double>(n);
    mean_y /= static_cast<double>(n);
    double sxy = 0.0, sxx = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
      const double dx = std::log(static_cast<double>(i + 1)) - mean_x;
      sxy += dx * (std::log(static_cast<double>(present[i])) - mean_y);
      sxx += dx * dx;
    }
    stats.zipf_exponent = sxx > 0.0 ? -sxy / sxx : 0.0;
  }

  if (rho_samples > 0) {
    const std::vector<std::int64_t> sample = SampleRows(stats.rows, rho_samples, seed);
    stats.rho_sample_rows = static_cast<std::int64_t>(sample.size());
    const std::int64_t conflicts = stats.rows <= std::numeric_limits<std::uint32_t>::max()
                                       ? MaxConflicts<std::uint32_t>(data, ids, counts, sample)
                                       : MaxConflicts<std::int64_t>(data, ids, counts, sample);
    stats.rho = static_cast<double>(conflicts) / static_cast<double>(stats.rows);
  }
  return stats;
}

}  // namespace asyncopt
