// asyncopt internal: summary moments of real targets (LabelKind::kTargets),
// one definition for `asyncopt info`'s statistics and for standardising
// (Preprocessing::standardize_target), so both report the same mean and
// standard deviation.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>

namespace asyncopt::data {

struct TargetMoments {
  double min = 0.0;
  double max = 0.0;
  double mean = 0.0;
  double std = 0.0;  // population standard deviation: sqrt((1/m) sum (y - mean)^2)
};

// Two passes (the mean, then the squared deviations from it): no
// cancellation when the targets are large and close together (cadata's
// house values reach 500,001). All zero for no targets.
inline TargetMoments Moments(std::span<const double> y) {
  TargetMoments t;
  if (y.empty()) return t;
  t.min = t.max = y[0];
  double sum = 0.0;
  for (const double v : y) {
    sum += v;
    t.min = std::min(t.min, v);
    t.max = std::max(t.max, v);
  }
  const double n = static_cast<double>(y.size());
  t.mean = sum / n;
  double sq = 0.0;
  for (const double v : y) sq += (v - t.mean) * (v - t.mean);
  t.std = std::sqrt(sq / n);
  return t;
}

}  // namespace asyncopt::data
