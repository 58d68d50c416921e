// asyncopt kernels: the small sparse vocabulary over one CSR row.
//
// `Vec` is anything indexable by the row's column indices: double*,
// std::span<double>, std::vector<double>. No allocation, no bounds checks:
// callers guarantee the indices are < the vector size.
#pragma once

#include <cstdint>

#include "asyncopt/dataset.hpp"

namespace asyncopt::kernels {

// row . w
template <class Vec>
inline double Dot(const SparseRow& row, const Vec& w) {
  double s = 0.0;
  for (std::int32_t k = 0; k < row.nnz; ++k) s += row.value[k] * w[row.index[k]];
  return s;
}

// w += a * row
template <class Vec>
inline void Axpy(double a, const SparseRow& row, Vec&& w) {
  for (std::int32_t k = 0; k < row.nnz; ++k) w[row.index[k]] += a * row.value[k];
}

// ||row||^2
inline double SquaredNorm(const SparseRow& row) {
  double s = 0.0;
  for (std::int32_t k = 0; k < row.nnz; ++k) s += row.value[k] * row.value[k];
  return s;
}

}  // namespace asyncopt::kernels
