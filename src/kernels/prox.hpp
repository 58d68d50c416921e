// asyncopt kernels: proximal operators of the regularisers, per coordinate.
#pragma once

namespace asyncopt::kernels {

// argmin_x (1/2)(x - v)^2 + t |x|  (t >= 0): sign(v) max(|v| - t, 0).
inline double SoftThreshold(double v, double t) {
  if (v > t) return v - t;
  if (v < -t) return v + t;
  return 0.0;
}

// Proximal step of the elastic net with step size `step`:
//   argmin_x (1/(2 step))(x - v)^2 + l1 |x| + (l2/2) x^2
//   = SoftThreshold(v, step l1) / (1 + step l2).
inline double ElasticNetProx(double v, double step, double l1, double l2) {
  return SoftThreshold(v, step * l1) / (1.0 + step * l2);
}

}  // namespace asyncopt::kernels
