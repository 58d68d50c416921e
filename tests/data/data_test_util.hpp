// Helpers shared by the tests of src/data.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "asyncopt/dataset.hpp"

namespace asyncopt::testing {

using Entries = std::vector<std::pair<std::int32_t, double>>;

// A Dataset from explicit rows of (0-based index, value) pairs.
inline Dataset MakeDataset(const std::vector<Entries>& rows, const std::vector<double>& labels,
                           std::int32_t num_cols) {
  Dataset data;
  data.num_rows = static_cast<std::int64_t>(rows.size());
  data.num_cols = num_cols;
  for (const Entries& row : rows) {
    for (const auto& [j, v] : row) {
      data.col_index.push_back(j);
      data.values.push_back(v);
    }
    data.row_ptr.push_back(static_cast<std::int64_t>(data.col_index.size()));
  }
  data.labels = labels;
  return data;
}

inline bool SameMatrixAndLabels(const Dataset& a, const Dataset& b) {
  return a.num_rows == b.num_rows && a.num_cols == b.num_cols && a.row_ptr == b.row_ptr &&
         a.col_index == b.col_index && a.values == b.values && a.labels == b.labels;
}

}  // namespace asyncopt::testing
