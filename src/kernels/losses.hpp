// asyncopt kernels: loss policies over the margin z = x . w for labels y.
//
// Each policy is a stateless struct with static inline members so a solver
// templated on it gets the loss inlined into its hot loop:
//   Value(y, z)       loss(y, z)
//   Derivative(y, z)  d loss / dz (a subgradient where not differentiable)
//   Curvature(y, z)   (generalised) second derivative d^2 loss / dz^2
//   Conjugate(y, u)   Fenchel conjugate phi*(u) of z -> loss(y, z), +inf
//                     outside its domain (used for duality-gap certificates)
// Labels are -1 or +1 for classification losses. DispatchLoss() turns the
// runtime enum into one of these types once, outside the loop.
#pragma once

#include <cmath>
#include <limits>
#include <string>
#include <utility>

#include "asyncopt/error.hpp"
#include "asyncopt/problem.hpp"

namespace asyncopt::kernels {

namespace detail {
// log(1 + exp(x)) without overflow for any finite or infinite x.
inline double Log1pExp(double x) {
  return x > 0.0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
}
// 1 / (1 + exp(x)) without overflow.
inline double SigmoidOfMinus(double x) {
  if (x >= 0.0) {
    const double e = std::exp(-x);
    return e / (1.0 + e);
  }
  return 1.0 / (1.0 + std::exp(x));
}
// x log x with 0 log 0 = 0.
inline double XLogX(double x) { return x > 0.0 ? x * std::log(x) : 0.0; }
}  // namespace detail

// log(1 + exp(-y z)).
struct LogisticLoss {
  static constexpr Loss kLoss = Loss::kLogistic;
  static inline double Value(double y, double z) { return detail::Log1pExp(-y * z); }
  static inline double Derivative(double y, double z) {
    return -y * detail::SigmoidOfMinus(y * z);
  }
  // sigma(t) sigma(-t) = e^{-|t|} / (1 + e^{-|t|})^2: no overflow.
  static inline double Curvature(double y, double z) {
    const double e = std::exp(-std::fabs(y * z));
    const double s = 1.0 + e;
    return e / (s * s);
  }
  // u = -y a with a in [0, 1]: a log a + (1 - a) log(1 - a).
  static inline double Conjugate(double y, double u) {
    const double a = -y * u;
    if (a < 0.0 || a > 1.0) return std::numeric_limits<double>::infinity();
    return detail::XLogX(a) + detail::XLogX(1.0 - a);
  }
};

// max(0, 1 - y z). Derivative is the subgradient -y on y z < 1, else 0.
struct HingeLoss {
  static constexpr Loss kLoss = Loss::kHinge;
  static inline double Value(double y, double z) {
    const double v = 1.0 - y * z;
    return v > 0.0 ? v : 0.0;
  }
  static inline double Derivative(double y, double z) { return y * z < 1.0 ? -y : 0.0; }
  static inline double Curvature(double, double) { return 0.0; }
  // u = -y a with a in [0, 1]: -a.
  static inline double Conjugate(double y, double u) {
    const double a = -y * u;
    if (a < 0.0 || a > 1.0) return std::numeric_limits<double>::infinity();
    return -a;
  }
};

// max(0, 1 - y z)^2. Curvature is the generalised second derivative
// (2 on the active set y z < 1, 0 elsewhere).
struct SquaredHingeLoss {
  static constexpr Loss kLoss = Loss::kSquaredHinge;
  static inline double Value(double y, double z) {
    const double v = 1.0 - y * z;
    return v > 0.0 ? v * v : 0.0;
  }
  static inline double Derivative(double y, double z) {
    const double v = 1.0 - y * z;
    return v > 0.0 ? -2.0 * y * v : 0.0;
  }
  static inline double Curvature(double y, double z) { return y * z < 1.0 ? 2.0 : 0.0; }
  // u = -y a with a >= 0: a^2 / 4 - a.
  static inline double Conjugate(double y, double u) {
    const double a = -y * u;
    if (a < 0.0) return std::numeric_limits<double>::infinity();
    return 0.25 * a * a - a;
  }
};

// (z - y)^2 / 2.
struct SquaredLoss {
  static constexpr Loss kLoss = Loss::kSquared;
  static inline double Value(double y, double z) {
    const double v = z - y;
    return 0.5 * v * v;
  }
  static inline double Derivative(double y, double z) { return z - y; }
  static inline double Curvature(double, double) { return 1.0; }
  static inline double Conjugate(double y, double u) { return 0.5 * u * u + u * y; }
};

// Curvature bound c with |loss''| <= c (hinge: used as a scale only).
inline double CurvatureBound(Loss loss) {
  switch (loss) {
    case Loss::kLogistic:
      return 0.25;
    case Loss::kSquaredHinge:
      return 2.0;
    case Loss::kSquared:
    case Loss::kHinge:
      return 1.0;
  }
  return 1.0;
}

// Value, derivative and curvature at one margin. The generic version calls
// the three members; the logistic one shares a single exp(-|y z|) among
// them (one exp and one log1p instead of three exps and a log1p), with the
// same bits as the separate calls.
struct LossAtMargin {
  double value;
  double derivative;
  double curvature;
};
template <class L>
inline LossAtMargin EvaluateLoss(double y, double z) {
  return {L::Value(y, z), L::Derivative(y, z), L::Curvature(y, z)};
}
template <>
inline LossAtMargin EvaluateLoss<LogisticLoss>(double y, double z) {
  const double t = y * z;
  const double e = std::exp(-std::fabs(t));
  const double s = 1.0 + e;
  const double log_term = std::log1p(e);
  return {t >= 0.0 ? log_term : -t + log_term,  // Log1pExp(-t)
          -y * (t >= 0.0 ? e / s : 1.0 / s),    // -y SigmoidOfMinus(t)
          e / (s * s)};
}

// Calls f(LossPolicy{}) for the policy matching `loss`; every branch must
// return the same type. Throws Error(kInvalidOption) for an unknown value.
template <class F>
auto DispatchLoss(Loss loss, F&& f) -> decltype(f(LogisticLoss{})) {
  switch (loss) {
    case Loss::kLogistic: return std::forward<F>(f)(LogisticLoss{});
    case Loss::kHinge: return std::forward<F>(f)(HingeLoss{});
    case Loss::kSquaredHinge: return std::forward<F>(f)(SquaredHingeLoss{});
    case Loss::kSquared: return std::forward<F>(f)(SquaredLoss{});
  }
  throw Error(ErrorKind::kInvalidOption, "unknown loss value " +
                                             std::to_string(static_cast<int>(loss)));
}

}  // namespace asyncopt::kernels
