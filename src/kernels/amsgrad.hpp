// asyncopt kernels: the AMSGrad update (Reddi, Kale and Kumar, ICLR 2018,
// Algorithm 2), as the SPARS-AMS server applies it to the averaged worker
// messages (paper 003, Algorithm 1, the server's lines):
//
//   m_t     = beta1 m_{t-1} + (1 - beta1) g_t
//   v_t     = beta2 v_{t-1} + (1 - beta2) g_t^2
//   v_hat_t = max(v_hat_{t-1}, v_t)
//   theta_{t+1} = theta_t - eta_t m_t / (sqrt(v_hat_t) + epsilon)
//
// coordinate-wise, without bias correction (as the papers write it). The
// moments exist only here, on the server. One update is O(P), no
// allocation.
#pragma once

#include <algorithm>
#include <cmath>
#include <span>
#include <string>
#include <vector>

#include "asyncopt/error.hpp"
#include "kernels/dense_simd.hpp"

namespace asyncopt::kernels {

struct AmsGradConfig {
  double beta1 = 0.9;     // in [0, 1)
  double beta2 = 0.999;   // in [0, 1)
  double epsilon = 1e-8;  // > 0

  // Throws Error(kInvalidOption) naming the field and its range.
  void Validate() const {
    auto fail = [](const char* name, double v, const char* range) {
      throw Error(ErrorKind::kInvalidOption,
                  std::string(name) + " = " + std::to_string(v) + " is out of range: must be " + range);
    };
    if (!(beta1 >= 0.0 && beta1 < 1.0)) fail("beta1", beta1, "in [0, 1)");
    if (!(beta2 >= 0.0 && beta2 < 1.0)) fail("beta2", beta2, "in [0, 1)");
    if (!(epsilon > 0.0) || !std::isfinite(epsilon)) fail("epsilon", epsilon, "finite and > 0");
  }
};

class AmsGrad {
 public:
  AmsGrad(const AmsGradConfig& config, std::size_t dim)
      : config_(config), m_(dim, 0.0), v_(dim, 0.0), v_hat_(dim, 0.0) {
    config_.Validate();
  }

  // theta <- theta - eta m / (sqrt(v_hat) + epsilon) after folding in
  // g_t = scale x g (the server passes a sum of messages and 1/N), over
  // coordinates [begin, end) (all by default; disjoint ranges may run on
  // different threads). Every operation is the same IEEE operation in the
  // same order as the formulas above, vectorised (dense_simd.hpp) without
  // FMA: the same bits on any CPU.
  // Returns how many of the new theta are not finite (a diverged run).
  std::size_t Step(std::span<double> theta, std::span<const double> g, double eta, double scale = 1.0) {
    return StepRange(theta, g, eta, scale, 0, theta.size());
  }
  std::size_t StepRange(std::span<double> theta, std::span<const double> g, double eta, double scale,
                        std::size_t begin, std::size_t end) {
    const AmsGradStepArgs args{config_.beta1, config_.beta2, config_.epsilon, eta, scale};
    return Dense().amsgrad_step(args, theta.data() + begin, m_.data() + begin, v_.data() + begin,
                                v_hat_.data() + begin, g.data() + begin, end - begin);
  }

  std::span<const double> m() const { return m_; }
  std::span<const double> v() const { return v_; }
  std::span<const double> v_hat() const { return v_hat_; }

 private:
  AmsGradConfig config_;
  std::vector<double> m_, v_, v_hat_;
};

}  // namespace asyncopt::kernels
