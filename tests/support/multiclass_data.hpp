// Test helper: a small seeded multiclass dataset (class ids from a planted
// linear rule plus noise), for the model and spars-ams tests.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "asyncopt/dataset.hpp"
#include "problem/random_dataset.hpp"

namespace asyncopt::testing {

// Random sparse rows (density 0.4) with K class ids: the argmax of a
// planted W^T x plus N(0, 0.25) noise per class. class_labels are 1, 11,
// 21, ... (original labels unlike the ids).
inline Dataset MulticlassData(std::int64_t rows, std::int32_t cols, int classes, std::uint64_t seed) {
  RandomDataOptions o;
  o.rows = rows;
  o.cols = cols;
  o.density = 0.4;
  o.seed = seed;
  Dataset d = RandomDataset(o);
  std::mt19937_64 gen(seed + 1);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<double> w(static_cast<std::size_t>(cols) * static_cast<std::size_t>(classes));
  for (double& v : w) v = normal(gen);
  for (std::int64_t i = 0; i < rows; ++i) {
    const SparseRow r = d.row(i);
    int best = 0;
    double top = -1e300;
    for (int k = 0; k < classes; ++k) {
      double z = 0.5 * normal(gen);
      for (std::int32_t t = 0; t < r.nnz; ++t) {
        z += r.value[t] * w[static_cast<std::size_t>(r.index[t]) * static_cast<std::size_t>(classes) +
                            static_cast<std::size_t>(k)];
      }
      if (z > top) {
        top = z;
        best = k;
      }
    }
    d.labels[static_cast<std::size_t>(i)] = best;
  }
  d.label_kind = LabelKind::kClassIds;
  for (int k = 0; k < classes; ++k) d.class_labels.push_back(10.0 * k + 1);
  return d;
}

}  // namespace asyncopt::testing
