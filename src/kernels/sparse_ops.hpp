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

// row . w with four partial sums: the adds no longer wait on each other
// (about 4x fewer cycles per nonzero than Dot on rows of 10-20 nonzeros),
// at the price of a different rounding than Dot's left-to-right sum.
template <class Vec>
inline double Dot4(const SparseRow& row, const Vec& w) {
  double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
  std::int32_t k = 0;
  for (; k + 4 <= row.nnz; k += 4) {
    s0 += row.value[k] * w[row.index[k]];
    s1 += row.value[k + 1] * w[row.index[k + 1]];
    s2 += row.value[k + 2] * w[row.index[k + 2]];
    s3 += row.value[k + 3] * w[row.index[k + 3]];
  }
  for (; k < row.nnz; ++k) s0 += row.value[k] * w[row.index[k]];
  return (s0 + s1) + (s2 + s3);
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
