// asyncopt internal: pieces of the reference solver (SolveReference in
// asyncopt/optimum.hpp) that other code and tests use directly.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "asyncopt/dataset.hpp"
#include "asyncopt/problem.hpp"

namespace asyncopt::detail {

// Compressed sparse column copy of a Dataset's matrix (rows in increasing
// order inside every column).
struct ColumnMatrix {
  std::int64_t num_rows = 0;
  std::int32_t num_cols = 0;
  std::vector<std::int64_t> col_ptr{0};  // size num_cols + 1
  std::vector<std::int32_t> row_index;   // size nnz (int32: row counts < 2^31)
  std::vector<double> values;
};

// Throws Error(kUnsupported) when the data has 2^31 rows or more.
ColumnMatrix ToColumns(const Dataset& data);

// Absolute upper bound on F(w) - f* from (a) the strong convexity of F when
// l2 > 0: ||s||^2 / (2 l2) with s the minimum-norm subgradient of F at w, and
// (b) for l1 > 0 and a smooth loss, the Fenchel duality gap at the dual point
// u_i = loss'(y_i, x_i.w) (scaled into the feasible set when l2 = 0).
// The smaller valid bound is returned; +infinity when neither applies
// (l1 = l2 = 0, or hinge with l2 = 0).
double OptimalityGapBound(const Dataset& data, const Problem& problem,
                          std::span<const double> w, int threads = 0);

// What SolveReference cannot solve: hinge with l1 > 0, hinge with l2 = 0
// (Error(kUnsupported)).
void CheckReferenceProblem(const Problem& problem);

// Bytes SolveReference allocates beyond the data: about a dozen vectors of
// d and eight of m, the column-major copy of the matrix, a dense Hessian
// for small d (the memory check Solve makes before a run).
double ReferenceMemoryBytes(const Dataset& data);

}  // namespace asyncopt::detail
