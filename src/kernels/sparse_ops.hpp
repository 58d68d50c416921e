// asyncopt kernels: the small sparse vocabulary over one CSR row.
//
// `Vec` is anything indexable by the row's column indices: double*,
// std::span<double>, std::vector<double>. No allocation, no bounds checks:
// callers guarantee the indices are < the vector size.
#pragma once

#include <cstddef>
#include <cstdint>

#include "asyncopt/dataset.hpp"
#include "kernels/cache_line.hpp"

namespace asyncopt::kernels {

// The 4-sum dot below is forced inline. Its accessors are lambdas holding
// references (the model, the buffer of values read); out of line, they are
// read through memory, and every relaxed atomic load of the model (a
// shared policy's Load) makes the compiler read them again. GCC stopped
// inlining it into hogwild's worker once that function grew (issue 14,
// section 6): `atomic` at 2 threads ran 15-20% slower on powerlaw-flat.
#if defined(__GNUC__)
#define ASYNCOPT_HOT_INLINE inline __attribute__((always_inline))
#else
#define ASYNCOPT_HOT_INLINE inline
#endif

// row . w
template <class Vec>
inline double Dot(const SparseRow& row, const Vec& w) {
  double s = 0.0;
  for (std::int32_t k = 0; k < row.nnz; ++k) s += row.value[k] * w[row.index[k]];
  return s;
}

// row . w with four partial sums: the adds no longer wait on each other
// (about 4x fewer cycles per nonzero than Dot on long rows), at the price of
// a different rounding than Dot's left-to-right sum. `at(k)` returns the
// model value of the row's k-th nonzero, called for k = 0, 1, ... in order.
// Every 4-sum dot in asyncopt goes through here, so they agree bit for bit.
template <class At>
ASYNCOPT_HOT_INLINE double Dot4At(const SparseRow& row, At&& at) {
  double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
  std::int32_t k = 0;
  for (; k + 4 <= row.nnz; k += 4) {
    const double v0 = at(k), v1 = at(k + 1), v2 = at(k + 2), v3 = at(k + 3);
    s0 += row.value[k] * v0;
    s1 += row.value[k + 1] * v1;
    s2 += row.value[k + 2] * v2;
    s3 += row.value[k + 3] * v3;
  }
  for (; k < row.nnz; ++k) s0 += row.value[k] * at(k);
  return (s0 + s1) + (s2 + s3);
}

// Dot4At reading w_j = read(j); `keep(k, v)` sees every value read (hogwild
// keeps them for its conflict check).
template <class Read, class Keep>
ASYNCOPT_HOT_INLINE double Dot4Read(const SparseRow& row, Read&& read, Keep&& keep) {
  return Dot4At(row, [&](std::int32_t k) {
    const double v = read(row.index[k]);
    keep(k, v);
    return v;
  });
}

template <class Vec>
inline double Dot4(const SparseRow& row, const Vec& w) {
  return Dot4Read(row, [&w](std::int32_t j) { return static_cast<double>(w[j]); },
                  [](std::int32_t, double) {});
}

// w += a * row
template <class Vec>
inline void Axpy(double a, const SparseRow& row, Vec&& w) {
  for (std::int32_t k = 0; k < row.nnz; ++k) w[row.index[k]] += a * row.value[k];
}

// Asks the caches to start loading a row's indices and values: a hint with
// no effect on results. SGD loops visit rows in a random order, so each row
// starts with cache misses the hardware prefetcher cannot foresee; issued
// kPrefetchRowsAhead rows ahead, the loads overlap the work in between. On
// fashion-mnist (390 nnz per row) this raised one thread's SGD from 2.9e8 to
// about 3.9e8 nnz/s; one row ahead gained less for hogwild than for the plain
// loop. Data that fits in the caches gains nothing and pays the
// instructions (rcv1-vw-small, 0.9 MB: 4-8% slower), so the loops
// prefetch only when the rows take more than kPrefetchMinBytes.
inline constexpr std::int64_t kPrefetchRowsAhead = 2;
inline constexpr std::size_t kPrefetchMinBytes = std::size_t{4} << 20;

inline bool WorthPrefetching(const Dataset& data) {
  return data.col_index.size() * (sizeof(std::int32_t) + sizeof(double)) > kPrefetchMinBytes;
}

// Every prefetching function is force-inlined. GCC treats __builtin_prefetch
// as free of side effects, so a function that only loads and prefetches is
// "pure" to its interprocedural analysis, and a call to a pure function that
// returns nothing is dead code: when the prefetch moved into a member
// function of RowSchedule (8c61a0d), GCC 12 deleted every prefetch of hogwild
// and svrg, and one thread's hogwild fell from 1.02-1.05x to 0.82-0.84x of
// the plain loop (interleaved runs on powerlaw-flat). Inlined, the builtins
// stay in the caller's loop.
#if defined(__GNUC__)
#define ASYNCOPT_PREFETCH_INLINE inline __attribute__((always_inline))
#else
#define ASYNCOPT_PREFETCH_INLINE inline
#endif

ASYNCOPT_PREFETCH_INLINE void PrefetchRow(const SparseRow& row) {
  const auto* index = reinterpret_cast<const char*>(row.index);
  const auto* value = reinterpret_cast<const char*>(row.value);
  const auto n = static_cast<std::size_t>(row.nnz);
  for (std::size_t b = 0; b < n * sizeof(std::int32_t); b += kCacheLine) __builtin_prefetch(index + b);
  for (std::size_t b = 0; b < n * sizeof(double); b += kCacheLine) __builtin_prefetch(value + b);
}

// ||row||^2
inline double SquaredNorm(const SparseRow& row) {
  double s = 0.0;
  for (std::int32_t k = 0; k < row.nnz; ++k) s += row.value[k] * row.value[k];
  return s;
}

}  // namespace asyncopt::kernels
