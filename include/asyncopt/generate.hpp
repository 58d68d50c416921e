// asyncopt: seeded, reproducible synthetic data generators.
#pragma once

#include <cstdint>

#include "asyncopt/dataset.hpp"

namespace asyncopt {

// Wangni et al. (NeurIPS 2018, paper 002) Section 4.2: the synthetic SVM data
// of the multi-thread experiment. a_bar ~ N(0,1)^d, w_bar ~ U[-0.5,0.5]^d,
// B ~ U[0,1]^d, B_i <- C1 B_i where B_i <= C2, a_n = a_bar_n (.) B,
// b_n = sign(a_n . w_bar + sigma), sigma ~ N(0, noise^2).
struct WangniSvmOptions {
  std::int64_t rows = 51200;  // N
  std::int32_t dim = 256;     // d
  double c1 = 0.01;
  double c2 = 0.9;
  double noise = 1.0;         // standard deviation of sigma
  std::uint64_t seed = 1;
};
Dataset GenerateWangniSvm(const WangniSvmOptions& options);

// Wangni et al. Section 4 (logistic-regression experiments): a_bar ~ N(0,1)^d,
// B ~ U[0,1]^d, B_i <- C1 B_i where B_i <= C2, a_n = a_bar_n (.) B, and, as
// that section writes it, w_bar ~ N(0, I), b_n = sign(a_bar_n . w_bar + sigma)
// (labels from the dense a_bar_n; the paper has no sigma: noise = 0 gives its
// recipe exactly). Defaults follow the paper (N = 1024, d = 2048, C1 = 0.9,
// C2 = 1/4). For both Wangni generators sign(0) = +1.
struct WangniLogisticOptions {
  std::int64_t rows = 1024;
  std::int32_t dim = 2048;
  double c1 = 0.9;
  double c2 = 0.25;
  double noise = 0.0;         // paper-exact default: no label noise
  std::uint64_t seed = 1;
};
Dataset GenerateWangniLogistic(const WangniLogisticOptions& options);

// RCV1-like sparse data: every row has `nnz_per_row` distinct features drawn
// with probability proportional to 1 / rank^zipf_exponent (hot features
// first), values positive tf-idf-like and rows l2-normalised; labels from a
// sparse planted model plus label noise. Memory is proportional to the
// output; 1e8 nonzeros fit in ~1.2 GB.
struct PowerLawOptions {
  std::int64_t rows = 10000;
  std::int32_t dim = 20000;
  std::int32_t nnz_per_row = 50;
  double zipf_exponent = 1.0;  // in [0, 10]; 0 = uniform
  double label_noise = 0.05;   // probability of flipping a label
  std::uint64_t seed = 1;
  int threads = 0;             // generation threads (result independent of it)
};
Dataset GeneratePowerLaw(const PowerLawOptions& options);

// Least-squares regression with a planted model, by default in the shape of
// YearPredictionMSD (Bertin-Mahieux et al. 2011; LIBSVM's regression sets:
// 463,715 training rows x 90 dense features), the set of the DisSVRG paper's
// experiments (paper 004, Section 5). Only the shape is YearPredictionMSD's:
// w* ~ N(0, I_d), x_n ~ N(0, I_d) (every feature stored, so rows are dense),
// y_n = x_n . w* + e_n, e_n ~ N(0, noise^2); real targets
// (LabelKind::kTargets). With the defaults R^2 of w* is about d / (d + 1).
// Memory about 12 bytes per entry (0.5 GB by default; its LIBSVM text is
// about 0.95 GB).
struct RegressionOptions {
  std::int64_t rows = 463715;
  std::int32_t dim = 90;
  double noise = 1.0;          // standard deviation of e_n, >= 0
  std::uint64_t seed = 1;
  int threads = 0;             // generation threads (result independent of it)
};
Dataset GenerateRegression(const RegressionOptions& options);

}  // namespace asyncopt
