// Preprocessing (column max-abs scaling, row normalisation, bias feature),
// the seeded train/test split and shard boundaries.
#include "asyncopt/preprocess.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "asyncopt/error.hpp"
#include "data/format.hpp"
#include "data/preprocess_parts.hpp"
#include "data/random.hpp"
#include "data/targets.hpp"

namespace asyncopt {
namespace {

// Stream family of the split shuffle (see data/random.hpp).
constexpr std::uint64_t kSplitDomain = 0x5350'4C49'5400ULL;

void CheckBias(double bias, const char* where) {
  if (std::isnan(bias) || std::isinf(bias)) {
    throw Error(ErrorKind::kInvalidOption,
                std::string(where) + ": bias = " + data::ShortestDouble(bias) +
                    " must be a finite number (> 0 appends a bias feature, <= 0 none)");
  }
}

// Width that covers every stored index, even if num_cols is stale.
std::int32_t CoveredWidth(const Dataset& data) {
  std::int32_t width = std::max<std::int32_t>(data.num_cols, 0);
  for (const std::int32_t j : data.col_index) width = std::max(width, j + 1);
  return width;
}

// The training column of raw feature j: j itself, or its position among
// the record's original columns (-1 when the training data lacked it).
std::int32_t TrainingColumn(const PreprocessingRecord& record, std::int32_t j) {
  if (record.original_column.empty()) return j;
  const auto& cols = record.original_column;
  const auto it = std::lower_bound(cols.begin(), cols.end(), j);
  return (it != cols.end() && *it == j) ? static_cast<std::int32_t>(it - cols.begin()) : -1;
}

// l2 norm of v[0..n) without overflow or underflow in the squares.
double ScaledNorm(const double* v, std::int64_t n) {
  double largest = 0.0;
  for (std::int64_t k = 0; k < n; ++k) largest = std::max(largest, std::fabs(v[k]));
  if (largest == 0.0 || std::isinf(largest)) return largest;
  double sum = 0.0;
  for (std::int64_t k = 0; k < n; ++k) {
    const double t = v[k] / largest;
    sum += t * t;
  }
  return largest * std::sqrt(sum);
}

// Appends feature `index` with value `bias` to every row (index must exceed
// every stored index so rows stay sorted).
void AppendBiasColumn(Dataset& data, std::int32_t index, double bias) {
  const auto rows = static_cast<std::size_t>(data.num_rows);
  std::vector<std::int64_t> row_ptr(rows + 1, 0);
  std::vector<std::int32_t> col_index(data.col_index.size() + rows);
  std::vector<double> values(data.values.size() + rows);
  std::int64_t out = 0;
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::int64_t k = data.row_ptr[r]; k < data.row_ptr[r + 1]; ++k) {
      col_index[static_cast<std::size_t>(out)] = data.col_index[static_cast<std::size_t>(k)];
      values[static_cast<std::size_t>(out)] = data.values[static_cast<std::size_t>(k)];
      ++out;
    }
    col_index[static_cast<std::size_t>(out)] = index;
    values[static_cast<std::size_t>(out)] = bias;
    ++out;
    row_ptr[r + 1] = out;
  }
  data.row_ptr = std::move(row_ptr);
  data.col_index = std::move(col_index);
  data.values = std::move(values);
  data.num_cols = index + 1;
}

// max |x_ij| of each training column of `record` (record.num_cols of them;
// 0.0 where a column has no nonzero).
std::vector<double> LargestByColumn(const Dataset& data, const PreprocessingRecord& record) {
  std::vector<double> largest(static_cast<std::size_t>(record.num_cols), 0.0);
  for (std::size_t k = 0; k < data.col_index.size(); ++k) {
    double& m = largest[static_cast<std::size_t>(TrainingColumn(record, data.col_index[k]))];
    m = std::max(m, std::fabs(data.values[k]));
  }
  return largest;
}

// Completes a record whose widths (and compaction) are set: the scale from
// the column maxima `largest` (when prep.scale_maxabs), row normalisation and
// bias. One place, for Apply and for data held in parts (MakeRecord).
void FinishRecord(const Preprocessing& prep, std::vector<double> largest,
                  PreprocessingRecord& record) {
  if (prep.scale_maxabs) {
    // Columns without a nonzero keep scale 1, so the record stays invertible.
    for (double& m : largest) {
      if (m == 0.0) m = 1.0;
    }
    record.column_scale = std::move(largest);
  }
  record.normalized_rows = prep.normalize_rows;
  record.bias = prep.bias > 0 ? prep.bias : -1.0;
}

// Preprocessing::standardize_target: the mean and std of data's targets
// into the record (ApplyRecord then scales them).
void StandardizeTargets(const Dataset& data, PreprocessingRecord& record) {
  if (data.label_kind != LabelKind::kTargets) {
    throw Error(ErrorKind::kInvalidOption,
                data.source + ": standardising the target applies to real targets (regression, "
                              "the squared loss); these labels are -1/+1 classes");
  }
  if (data.labels.empty()) {
    throw Error(ErrorKind::kInvalidInput,
                data.source + ": cannot standardise the target: there are no rows");
  }
  data::StandardizeTargets(record, data::Moments(data.labels), data.source);
}

// Copies the rows with keep[r] == want into a new Dataset of the same width.
Dataset SelectRows(const Dataset& all, const std::vector<char>& keep, char want) {
  Dataset part;
  part.num_cols = all.num_cols;
  part.label_kind = all.label_kind;
  part.positive_label_text = all.positive_label_text;
  part.negative_label_text = all.negative_label_text;
  part.source = all.source;
  std::int64_t rows = 0, nnz = 0;
  for (std::int64_t r = 0; r < all.num_rows; ++r) {
    if (keep[static_cast<std::size_t>(r)] != want) continue;
    ++rows;
    nnz += all.row(r).nnz;
  }
  part.num_rows = rows;
  part.row_ptr.reserve(static_cast<std::size_t>(rows) + 1);
  part.col_index.reserve(static_cast<std::size_t>(nnz));
  part.values.reserve(static_cast<std::size_t>(nnz));
  part.labels.reserve(static_cast<std::size_t>(rows));
  for (std::int64_t r = 0; r < all.num_rows; ++r) {
    if (keep[static_cast<std::size_t>(r)] != want) continue;
    const SparseRow row = all.row(r);
    part.col_index.insert(part.col_index.end(), row.index, row.index + row.nnz);
    part.values.insert(part.values.end(), row.value, row.value + row.nnz);
    part.row_ptr.push_back(static_cast<std::int64_t>(part.col_index.size()));
    part.labels.push_back(all.labels[static_cast<std::size_t>(r)]);
  }
  return part;
}

}  // namespace

std::string Preprocessing::Describe() const {
  std::string text;
  const auto add = [&text](const std::string& part) {
    if (!text.empty()) text += '+';
    text += part;
  };
  if (compact_columns) add("compact");
  if (scale_maxabs) add("maxabs");
  if (normalize_rows) add("rownorm");
  if (bias > 0) add("bias=" + data::ShortestDouble(bias));
  if (standardize_target) add("ystd");
  return text.empty() ? "none" : text;
}

PreprocessingRecord Apply(const Preprocessing& prep, Dataset& data) {
  CheckBias(prep.bias, "Preprocessing");
  PreprocessingRecord record;
  record.raw_num_cols = CoveredWidth(data);
  record.num_cols = record.raw_num_cols;
  data.num_cols = record.num_cols;
  if (prep.compact_columns) {
    // The features that occur, by sorting the indices: memory O(nnz), never
    // O(d).
    std::vector<std::int32_t> used(data.col_index.begin(), data.col_index.end());
    std::sort(used.begin(), used.end());
    used.erase(std::unique(used.begin(), used.end()), used.end());
    record.original_column = std::move(used);
    record.num_cols = static_cast<std::int32_t>(record.original_column.size());
  }
  std::vector<double> largest;
  if (prep.scale_maxabs) largest = LargestByColumn(data, record);
  FinishRecord(prep, std::move(largest), record);
  record.label_kind = data.label_kind;
  if (prep.standardize_target) StandardizeTargets(data, record);
  // The transformation itself is the record's, so Apply and ApplyRecord
  // cannot drift apart.
  ApplyRecord(record, data);
  return record;
}

void ApplyRecord(const PreprocessingRecord& record, Dataset& data) {
  CheckBias(record.bias, "PreprocessingRecord");
  if (record.standardized_target) {
    if (data.label_kind != LabelKind::kTargets) {
      throw Error(ErrorKind::kInvalidOption,
                  data.source + ": the record standardises real targets, but the labels are "
                                "-1/+1 classes");
    }
    if (!(record.target_std > 0.0) || !std::isfinite(record.target_std) ||
        !std::isfinite(record.target_mean)) {
      throw Error(ErrorKind::kInvalidOption,
                  "PreprocessingRecord: target_mean = " + data::ShortestDouble(record.target_mean) +
                      " and target_std = " + data::ShortestDouble(record.target_std) +
                      " must be finite, the std > 0");
    }
    for (double& y : data.labels) y = (y - record.target_mean) / record.target_std;
  }
  const bool with_bias = record.bias > 0;
  std::int32_t width = record.num_cols;
  if (width <= 0) {
    width = !record.column_scale.empty() ? static_cast<std::int32_t>(record.column_scale.size())
                                         : CoveredWidth(data);
  }
  const auto scaled_cols = static_cast<std::int32_t>(record.column_scale.size());

  // One in-place pass: scale, drop what the model cannot see (with a bias),
  // normalise each row, and drop entries that became exactly zero.
  std::int64_t out = 0;
  std::int64_t begin = data.row_ptr.empty() ? 0 : data.row_ptr[0];
  for (std::size_t r = 0; r < static_cast<std::size_t>(data.num_rows); ++r) {
    const std::int64_t end = data.row_ptr[r + 1];
    const std::int64_t row_start = out;
    for (std::int64_t k = begin; k < end; ++k) {
      const std::int32_t j = TrainingColumn(record, data.col_index[static_cast<std::size_t>(k)]);
      double v = data.values[static_cast<std::size_t>(k)];
      if (j < 0) continue;  // compacted away: the model has no weight for it
      if (with_bias && j >= width) continue;
      if (j < scaled_cols) v /= record.column_scale[static_cast<std::size_t>(j)];
      if (v == 0.0) continue;
      data.col_index[static_cast<std::size_t>(out)] = j;
      data.values[static_cast<std::size_t>(out)] = v;
      ++out;
    }
    if (record.normalized_rows && out > row_start) {
      double* v = data.values.data() + row_start;
      const double norm = ScaledNorm(v, out - row_start);
      if (norm > 0.0 && std::isfinite(norm)) {
        std::int64_t kept = row_start;
        for (std::int64_t k = row_start; k < out; ++k) {
          const double scaled = data.values[static_cast<std::size_t>(k)] / norm;
          if (scaled == 0.0) continue;  // underflow: keep "no explicit zeros"
          data.col_index[static_cast<std::size_t>(kept)] = data.col_index[static_cast<std::size_t>(k)];
          data.values[static_cast<std::size_t>(kept)] = scaled;
          ++kept;
        }
        out = kept;
      }
    }
    begin = end;
    data.row_ptr[r + 1] = out;
  }
  if (!data.row_ptr.empty()) data.row_ptr[0] = 0;
  data.col_index.resize(static_cast<std::size_t>(out));
  data.values.resize(static_cast<std::size_t>(out));
  if (with_bias) {
    AppendBiasColumn(data, width, record.bias);
  } else if (!record.original_column.empty()) {
    data.num_cols = width;  // every kept index maps below it
  } else {
    data.num_cols = std::max(data.num_cols, CoveredWidth(data));
  }
}

void SplitTrainTest(const Dataset& all, double test_fraction, std::uint64_t seed,
                    Dataset& train, Dataset& test) {
  if (!(test_fraction > 0.0 && test_fraction < 1.0)) {
    throw Error(ErrorKind::kInvalidOption,
                "SplitTrainTest: test_fraction = " + data::ShortestDouble(test_fraction) +
                    " is outside the allowed range (0, 1)");
  }
  if (all.num_rows < 2) {
    throw Error(ErrorKind::kInvalidOption,
                "SplitTrainTest: rows = " + std::to_string(all.num_rows) +
                    " cannot be split; at least 2 rows are needed");
  }
  const std::int64_t rows = all.num_rows;
  auto test_rows = static_cast<std::int64_t>(std::llround(test_fraction * static_cast<double>(rows)));
  test_rows = std::clamp<std::int64_t>(test_rows, 1, rows - 1);

  // Partial Fisher-Yates: the first test_rows entries of the permutation are
  // a uniformly random subset.
  std::vector<std::int64_t> order(static_cast<std::size_t>(rows));
  std::iota(order.begin(), order.end(), std::int64_t{0});
  data::Rng rng = data::Rng::ForStream(seed, kSplitDomain, 0);
  for (std::int64_t i = 0; i < test_rows; ++i) {
    const auto pick = i + static_cast<std::int64_t>(rng.Below(static_cast<std::uint64_t>(rows - i)));
    std::swap(order[static_cast<std::size_t>(i)], order[static_cast<std::size_t>(pick)]);
  }
  std::vector<char> in_test(static_cast<std::size_t>(rows), 0);
  for (std::int64_t i = 0; i < test_rows; ++i) in_test[static_cast<std::size_t>(order[static_cast<std::size_t>(i)])] = 1;

  // Both parts keep the original row order. Built first, then moved, so
  // `train` or `test` may alias `all`.
  Dataset new_train = SelectRows(all, in_test, 0);
  Dataset new_test = SelectRows(all, in_test, 1);
  train = std::move(new_train);
  test = std::move(new_test);
}

std::vector<std::int64_t> ShardBoundaries(std::int64_t rows, int shards, double skew) {
  if (rows <= 0) {
    throw Error(ErrorKind::kInvalidOption,
                "ShardBoundaries: rows = " + std::to_string(rows) + " must be >= 1");
  }
  if (shards < 1 || shards > rows) {
    throw Error(ErrorKind::kInvalidOption,
                "ShardBoundaries: shards = " + std::to_string(shards) +
                    " is outside the allowed range [1, rows = " + std::to_string(rows) + "]");
  }
  if (!(skew >= 0.0) || std::isinf(skew)) {
    throw Error(ErrorKind::kInvalidOption, "ShardBoundaries: skew = " + data::ShortestDouble(skew) +
                                               " must be finite and >= 0");
  }
  const auto m = static_cast<std::size_t>(shards);
  std::vector<std::int64_t> sizes(m, 0);
  if (skew == 0.0) {
    for (std::size_t i = 0; i < m; ++i) {
      sizes[i] = rows / shards + (static_cast<std::int64_t>(i) < rows % shards ? 1 : 0);
    }
  } else {
    // One row each, the rest split in proportion to (1 + skew)^(-i) by the
    // largest-remainder rule (ties to the lower shard, so sizes never grow).
    // Weights by repeated division: exactly rounded, hence portable.
    std::vector<double> weight(m);
    double total = 0.0;
    double w = 1.0;
    for (std::size_t i = 0; i < m; ++i) {
      weight[i] = w;
      total += w;
      w /= 1.0 + skew;
    }
    const std::int64_t rest = rows - shards;
    std::vector<double> remainder(m);
    std::int64_t assigned = 0;
    for (std::size_t i = 0; i < m; ++i) {
      const double share = static_cast<double>(rest) * (weight[i] / total);
      const auto whole = std::min<std::int64_t>(static_cast<std::int64_t>(std::floor(share)), rest);
      sizes[i] = 1 + whole;
      remainder[i] = share - static_cast<double>(whole);
      assigned += whole;
    }
    std::vector<std::size_t> by_remainder(m);
    std::iota(by_remainder.begin(), by_remainder.end(), std::size_t{0});
    std::stable_sort(by_remainder.begin(), by_remainder.end(),
                     [&](std::size_t a, std::size_t b) { return remainder[a] > remainder[b]; });
    for (std::size_t k = 0; assigned < rest; k = (k + 1) % m, ++assigned) {
      ++sizes[by_remainder[k]];
    }
    // Rounding can only overshoot by a few rows; take them from the largest.
    for (std::size_t i = 0; assigned > rest; i = (i + 1) % m) {
      if (sizes[i] > 1) {
        --sizes[i];
        --assigned;
      }
    }
  }
  std::vector<std::int64_t> bounds(m + 1, 0);
  for (std::size_t i = 0; i < m; ++i) bounds[i + 1] = bounds[i] + sizes[i];
  return bounds;
}

}  // namespace asyncopt

// ------------------------------------------------ data held in parts --

namespace asyncopt::data {

void CheckPartwise(const Preprocessing& prep) {
  CheckBias(prep.bias, "Preprocessing");
  if (prep.compact_columns) {
    throw Error(ErrorKind::kUnsupported,
                "--compact-features (Preprocessing::compact_columns) cannot be applied to data "
                "read in parts: which features occur is known only once every part is read; "
                "run without --compact-features, or on data read whole");
  }
}

std::vector<double> ColumnMaxAbs(const Dataset& part, std::int32_t num_cols) {
  const std::int32_t covered = CoveredWidth(part);
  if (covered > num_cols) {
    throw Error(ErrorKind::kInvalidOption,
                "ColumnMaxAbs: " + part.source + " has feature " + std::to_string(covered) +
                    " beyond the global width num_cols = " + std::to_string(num_cols) +
                    " (the widths of the parts were not combined)");
  }
  PreprocessingRecord identity;
  identity.num_cols = num_cols;
  return LargestByColumn(part, identity);
}

void MergeColumnMaxAbs(std::vector<double>& into, std::span<const double> more) {
  if (into.size() < more.size()) into.resize(more.size(), 0.0);
  for (std::size_t j = 0; j < more.size(); ++j) into[j] = std::max(into[j], more[j]);
}

PreprocessingRecord MakeRecord(const Preprocessing& prep, std::int32_t num_cols,
                               std::span<const double> column_maxabs) {
  CheckPartwise(prep);
  if (num_cols < 0) {
    throw Error(ErrorKind::kInvalidOption,
                "MakeRecord: num_cols = " + std::to_string(num_cols) + " must be >= 0");
  }
  if (prep.scale_maxabs && column_maxabs.size() != static_cast<std::size_t>(num_cols)) {
    throw Error(ErrorKind::kInvalidOption,
                "MakeRecord: " + std::to_string(column_maxabs.size()) +
                    " column maxima for num_cols = " + std::to_string(num_cols));
  }
  PreprocessingRecord record;
  record.raw_num_cols = num_cols;
  record.num_cols = num_cols;
  std::vector<double> largest;
  if (prep.scale_maxabs) largest.assign(column_maxabs.begin(), column_maxabs.end());
  FinishRecord(prep, std::move(largest), record);
  return record;
}

void StandardizeTargets(PreprocessingRecord& record, const TargetMoments& t,
                        const std::string& source) {
  if (t.min == t.max || !(t.std > 0.0)) {
    throw Error(ErrorKind::kInvalidInput,
                source + ": cannot standardise the target: every target is " +
                    ShortestDouble(t.min) + " (standard deviation 0)");
  }
  if (!std::isfinite(t.std) || !std::isfinite(t.mean)) {
    throw Error(ErrorKind::kInvalidInput,
                source + ": cannot standardise the target: its mean or standard deviation "
                         "overflows (targets from " + ShortestDouble(t.min) + " to " +
                    ShortestDouble(t.max) + ")");
  }
  record.standardized_target = true;
  record.target_mean = t.mean;
  record.target_std = t.std;
}

void ApplyToPart(const PreprocessingRecord& record, Dataset& part) {
  if (!record.original_column.empty()) {
    throw Error(ErrorKind::kInvalidOption,
                "ApplyToPart: a compacted record cannot be applied by parts");
  }
  const std::int32_t covered = CoveredWidth(part);
  if (covered > record.raw_num_cols) {
    throw Error(ErrorKind::kInvalidOption,
                "ApplyToPart: " + part.source + " has feature " + std::to_string(covered) +
                    " beyond the record's width " + std::to_string(record.raw_num_cols));
  }
  // As Apply: the width is the whole data's before the record is applied.
  part.num_cols = record.raw_num_cols;
  ApplyRecord(record, part);
}

}  // namespace asyncopt::data
