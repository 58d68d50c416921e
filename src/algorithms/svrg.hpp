// Asynchronous sparse proximal SVRG.
//
// SVRG (Johnson & Zhang, NIPS 2013) made sparse and lock-free as in
// ASAGA / ProxASAGA (Leblond, Pedregosa, Lacoste-Julien, AISTATS 2017;
// Pedregosa, Leblond, Lacoste-Julien, NIPS 2017, Algorithm 1), with SVRG's
// fixed reference point instead of SAGA's table:
//
//   outer loop: w~ = w; a_i = loss'(y_i, x_i.w~) for every row; mu = (1/m) X^T a.
//   inner loop (every worker, asynchronously, svrg_inner_epochs * m updates):
//     pick row i, S = supp(x_i), z = x_i . w (shared, relaxed reads);
//     for j in S:  v_j = (loss'(y_i, z) - a_i) x_ij + D_j mu_j,   D_j = m / n_j
//                  w_j <- prox_{step D_j (l1 |.| + l2/2 (.)^2)}(w_j - step v_j)
//   n_j = rows containing feature j. E[D_j 1{j in S}] = 1, so v is an unbiased
//   estimate of the smooth gradient and the block-separable reweighted prox
//   has the full problem's fixed point; each update costs O(nnz(x_i)).
// Converges linearly to the exact optimum for smooth losses (logistic,
// squared hinge, squared); the hinge loss is rejected (not smooth).
#pragma once

#include "asyncopt/dataset.hpp"
#include "asyncopt/problem.hpp"
#include "asyncopt/solver.hpp"

namespace asyncopt::algorithms {

Result RunSvrg(const Dataset& data, const Problem& problem, const Options& options);

// What svrg refuses (Error(kUnsupported) for the hinge loss).
void CheckSvrg(const Dataset& data, const Problem& problem, const Options& options);

// Default step 1 / (3 L), L = c mean_i ||x_i||^2: the mean row rather than
// ProxASAGA's max (one dense row among sparse ones made w8a 5x slower); a
// safeguard halves the step whenever F rises between reference points.
double SvrgDefaultStep(const Dataset& data, const Problem& problem);

// Bytes a run allocates beyond the data (see HogwildMemoryBytes).
double SvrgMemoryBytes(const Dataset& data, const Options& options);

}  // namespace asyncopt::algorithms
