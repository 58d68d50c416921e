// ValidateDataset: the CSR invariants every solver relies on, checked once
// in O(nnz) before a run (a Dataset built in memory by an application has
// not been through the reader's checks).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "asyncopt/dataset.hpp"
#include "asyncopt/error.hpp"

namespace asyncopt {
namespace {

[[noreturn]] void Invalid(const std::string& what) {
  throw Error(ErrorKind::kInvalidInput, "invalid Dataset: " + what);
}

std::string Num(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

std::string Row(std::int64_t i) { return "row " + std::to_string(i); }

}  // namespace

void ValidateDataset(const Dataset& data) {
  const std::int64_t m = data.num_rows;
  if (m < 0) Invalid("num_rows = " + std::to_string(m) + " is negative");
  if (data.num_cols < 0) Invalid("num_cols = " + std::to_string(data.num_cols) + " is negative");
  const auto rows = static_cast<std::size_t>(m);
  if (data.row_ptr.size() != rows + 1) {
    Invalid("row_ptr has " + std::to_string(data.row_ptr.size()) +
            " entries, expected num_rows + 1 = " + std::to_string(m + 1));
  }
  if (data.col_index.size() != data.values.size()) {
    Invalid("col_index has " + std::to_string(data.col_index.size()) + " entries but values has " +
            std::to_string(data.values.size()));
  }
  if (data.label_kind != LabelKind::kClasses && data.label_kind != LabelKind::kTargets &&
      data.label_kind != LabelKind::kClassIds) {
    Invalid("label_kind = " + std::to_string(static_cast<int>(data.label_kind)) +
            " is not a LabelKind");
  }
  const auto classes = static_cast<std::int64_t>(data.class_labels.size());
  if (data.label_kind == LabelKind::kClassIds) {
    if (classes == 0) Invalid("class ids (LabelKind::kClassIds) but class_labels is empty");
    std::vector<double> sorted = data.class_labels;
    std::sort(sorted.begin(), sorted.end());
    for (std::size_t k = 0; k < sorted.size(); ++k) {
      if (!std::isfinite(sorted[k])) Invalid("class_labels holds " + Num(sorted[k]));
      if (k > 0 && sorted[k] == sorted[k - 1]) Invalid("class_labels holds " + Num(sorted[k]) + " twice");
    }
  }
  if (data.labels.size() != rows) {
    Invalid("labels has " + std::to_string(data.labels.size()) + " entries, expected num_rows = " +
            std::to_string(m));
  }
  const auto nnz = static_cast<std::int64_t>(data.col_index.size());
  if (data.row_ptr[0] != 0) Invalid("row_ptr[0] = " + std::to_string(data.row_ptr[0]) + ", expected 0");
  if (data.row_ptr[rows] != nnz) {
    Invalid("row_ptr[num_rows] = " + std::to_string(data.row_ptr[rows]) +
            ", expected the number of stored entries " + std::to_string(nnz));
  }
  for (std::int64_t i = 0; i < m; ++i) {
    const std::int64_t b = data.row_ptr[static_cast<std::size_t>(i)];
    const std::int64_t e = data.row_ptr[static_cast<std::size_t>(i) + 1];
    if (b > e || e > nnz) {
      Invalid(Row(i) + ": row_ptr[" + std::to_string(i) + "] = " + std::to_string(b) +
              " and row_ptr[" + std::to_string(i + 1) + "] = " + std::to_string(e) +
              " do not form a range within [0, " + std::to_string(nnz) + "]");
    }
    if (e - b > data.num_cols) {
      Invalid(Row(i) + ": " + std::to_string(e - b) + " entries in a row of " +
              std::to_string(data.num_cols) + " columns");
    }
    double sq = 0.0, largest = 0.0;
    std::int32_t largest_at = -1;
    for (std::int64_t k = b; k < e; ++k) {
      const std::int32_t j = data.col_index[static_cast<std::size_t>(k)];
      if (j < 0 || j >= data.num_cols) {
        Invalid(Row(i) + ": column index " + std::to_string(j) + " is outside [0, num_cols = " +
                std::to_string(data.num_cols) + ")");
      }
      if (k > b && j <= data.col_index[static_cast<std::size_t>(k) - 1]) {
        Invalid(Row(i) + ": column indices must strictly increase (" + std::to_string(j) +
                " after " + std::to_string(data.col_index[static_cast<std::size_t>(k) - 1]) + ")");
      }
      const double v = data.values[static_cast<std::size_t>(k)];
      if (!std::isfinite(v)) {
        Invalid(Row(i) + ": the value at column " + std::to_string(j) + " is " + Num(v));
      }
      sq += v * v;
      if (std::fabs(v) > largest) {
        largest = std::fabs(v);
        largest_at = j;
      }
    }
    if (!std::isfinite(sq)) {
      Invalid(Row(i) + ": its squared norm overflows (value " + Num(largest) + " at column " +
              std::to_string(largest_at) + "; a row's squared norm must stay below " +
              Num(std::numeric_limits<double>::max()) +
              "); rescale the data, e.g. max-abs column scaling");
    }
    const double y = data.labels[static_cast<std::size_t>(i)];
    if (data.label_kind == LabelKind::kTargets) {
      if (!std::isfinite(y)) Invalid(Row(i) + ": target " + Num(y) + " is not finite");
    } else if (data.label_kind == LabelKind::kClassIds) {
      if (!(y >= 0.0 && y < static_cast<double>(classes) && y == std::trunc(y))) {
        Invalid(Row(i) + ": class id " + Num(y) + " is not an integer in [0, " +
                std::to_string(classes) + ") (an index into class_labels)");
      }
    } else if (y != 1.0 && y != -1.0) {
      Invalid(Row(i) + ": label " + Num(y) +
              " is not -1 or +1 (map two-valued labels first, as the reader does; real "
              "targets are LabelKind::kTargets)");
    }
  }
}

}  // namespace asyncopt
