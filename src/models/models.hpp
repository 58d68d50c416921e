// asyncopt internal: the models' constructors (MakeModel dispatches to them
// after its checks) and the softmax cross-entropy they share.
#pragma once

#include <algorithm>
#include <cmath>
#include <memory>

#include "models/model.hpp"

namespace asyncopt::models {

std::unique_ptr<Model> MakeLinearModel(const ModelSpec& spec);
std::unique_ptr<Model> MakeSoftmaxModel(const ModelSpec& spec);
std::unique_ptr<Model> MakeMlpModel(const ModelSpec& spec);

// Cross-entropy of the logits z[0..K) for class y: log sum_k exp(z_k) - z_y,
// computed after subtracting max z (no overflow). With `gradient`, z is
// overwritten by d/dz = softmax(z) - e_y.
inline double SoftmaxCrossEntropy(double* z, int classes, int y, bool gradient) {
  double top = z[0];
  for (int k = 1; k < classes; ++k) top = std::max(top, z[k]);
  double sum = 0.0;
  for (int k = 0; k < classes; ++k) sum += std::exp(z[k] - top);
  const double loss = std::log(sum) + top - z[y];
  if (gradient) {
    const double inv = 1.0 / sum;
    for (int k = 0; k < classes; ++k) z[k] = std::exp(z[k] - top) * inv;
    z[y] -= 1.0;
  }
  return loss;
}

// The index of the largest logit (the first on ties).
inline int ArgMax(const double* z, int classes) {
  return static_cast<int>(std::max_element(z, z + classes) - z);
}

}  // namespace asyncopt::models
