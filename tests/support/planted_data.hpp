// Test data shared by the solver tests: sparse rows with labels from a
// planted linear model plus Gaussian noise.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "asyncopt/dataset.hpp"

namespace asyncopt::testing {

// rows x cols, each entry present with probability `density` (N(0, 1)
// values); the planted model has a N(0, 1) weight on every `every`-th
// feature (every = 1: all of them, a dense model; larger: a sparse one);
// label = sign(x . truth + noise N(0, 1)). Deterministic in `seed`.
inline Dataset PlantedData(int rows, int cols, double density, unsigned seed, int every = 1,
                           double noise = 0.5) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<double> truth(static_cast<std::size_t>(cols), 0.0);
  for (int j = 0; j < cols; j += every) truth[static_cast<std::size_t>(j)] = normal(rng);
  Dataset d;
  d.num_rows = rows;
  d.num_cols = cols;
  for (int i = 0; i < rows; ++i) {
    double z = 0.0;
    for (int j = 0; j < cols; ++j) {
      if (unit(rng) < density) {
        const double v = normal(rng);
        d.col_index.push_back(j);
        d.values.push_back(v);
        z += v * truth[static_cast<std::size_t>(j)];
      }
    }
    d.row_ptr.push_back(static_cast<std::int64_t>(d.col_index.size()));
    d.labels.push_back(z + noise * normal(rng) > 0 ? 1.0 : -1.0);
  }
  return d;
}

}  // namespace asyncopt::testing
