// Hogwild!: asynchronous lock-free SGD on a shared model.
//
// Niu, Recht, Re, Wright, "Hogwild!: A lock-free approach to parallelizing
// stochastic gradient descent", NIPS 2011 (Algorithm 1), with the gradient
// sparsification of Wangni et al., NeurIPS 2018 (paper 002, Section 4.2):
//
//   every worker, repeatedly: pick row i; z = x_i . w (read from the shared w);
//   g_j = loss'(y_i, z) x_ij + l2 * w_j * m / |{rows with feature j}|  for j in
//   supp(x_i) (the l2 term reweighted by feature frequency, so E[g] = grad F and
//   an update costs O(nnz(x_i)), not O(d)); q = Q(g) (sparsifier);
//   w_j <- w_j - step * q_j for the kept j, under the run's write policy.
//
// l1 > 0 is handled by a soft-threshold of the written coordinates with the
// same reweighting (a stochastic proximal step; `svrg` is the exact l1 solver).
#pragma once

#include "asyncopt/dataset.hpp"
#include "asyncopt/problem.hpp"
#include "asyncopt/solver.hpp"

namespace asyncopt::algorithms {

Result RunHogwild(const Dataset& data, const Problem& problem, const Options& options);

// Default first step: 1 / (c max_i ||x_i||^2 + l2 max_j m/n_j).
double HogwildDefaultStep(const Dataset& data, const Problem& problem);

// The per-epoch decay a run uses: options.async.step_decay, or for 0 the
// decay that takes the step 1000x down over options.max_epochs.
double HogwildStepDecay(const Options& options);

// Bytes a run allocates beyond the data (model, snapshots, per-feature
// statistics, per-worker buffers, the row order), for the memory check
// Solve makes before any of it is allocated.
double HogwildMemoryBytes(const Dataset& data, const Options& options);

}  // namespace asyncopt::algorithms
