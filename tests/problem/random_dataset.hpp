// Test helper: small seeded random sparse datasets (test-only; not the
// library's generators, so tests do not depend on them).
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "asyncopt/dataset.hpp"

namespace asyncopt::testing {

struct RandomDataOptions {
  std::int64_t rows = 200;
  std::int32_t cols = 30;
  double density = 0.2;      // probability that an entry is stored
  double label_noise = 0.5;  // std dev of the noise added before sign()
  double separation = 1.0;   // scale of the true weights
  std::uint64_t seed = 1;
};

// Rows with Gaussian values on a random support (at least one entry per row
// unless density = 0), labels sign(x . w_true + noise) in {-1, +1}.
inline Dataset RandomDataset(const RandomDataOptions& o) {
  std::mt19937_64 gen(o.seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::vector<double> w_true(static_cast<std::size_t>(o.cols));
  for (double& v : w_true) v = o.separation * normal(gen);
  Dataset d;
  d.num_rows = o.rows;
  d.num_cols = o.cols;
  d.source = "test-random";
  for (std::int64_t i = 0; i < o.rows; ++i) {
    double margin = 0.0;
    for (std::int32_t j = 0; j < o.cols; ++j) {
      if (uniform(gen) < o.density) {
        const double v = normal(gen);
        d.col_index.push_back(j);
        d.values.push_back(v);
        margin += v * w_true[static_cast<std::size_t>(j)];
      }
    }
    d.row_ptr.push_back(static_cast<std::int64_t>(d.col_index.size()));
    margin += o.label_noise * normal(gen);
    d.labels.push_back(margin >= 0.0 ? 1.0 : -1.0);
  }
  return d;
}

}  // namespace asyncopt::testing
