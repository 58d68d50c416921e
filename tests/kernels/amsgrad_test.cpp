// AMSGrad's server update: the moments follow their recurrences, v_hat
// never decreases, the step is eta m / (sqrt(v_hat) + epsilon), it settles
// at the minimiser of a separable quadratic, and bad betas are refused.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "asyncopt/error.hpp"
#include "kernels/amsgrad.hpp"

namespace asyncopt {
namespace {

TEST(AmsGrad, OneStepByHand) {
  kernels::AmsGrad a({0.5, 0.75, 1e-8}, 2);
  std::vector<double> theta = {1.0, -1.0};
  a.Step(theta, std::vector<double>{2.0, -4.0}, 0.1);
  // m = 0.5 g, v = 0.25 g^2, v_hat = v: step = 0.1 * 0.5 g / (0.5 |g| + eps).
  EXPECT_EQ(a.m()[0], 1.0);
  EXPECT_EQ(a.v()[1], 4.0);
  EXPECT_NEAR(theta[0], 1.0 - 0.1 * 1.0 / (1.0 + 1e-8), 1e-15);
  EXPECT_NEAR(theta[1], -1.0 + 0.1 * 2.0 / (2.0 + 1e-8), 1e-15);
}

TEST(AmsGrad, VHatNeverDecreases) {
  kernels::AmsGrad a({0.9, 0.99, 1e-8}, 1);
  std::vector<double> theta = {0.0};
  double last = 0.0;
  bool v_fell = false;
  for (int t = 0; t < 200; ++t) {
    const double g = t < 20 ? 10.0 : 0.1;  // a burst, then small gradients
    a.Step(theta, std::vector<double>{g}, 1e-3);
    EXPECT_GE(a.v_hat()[0], last);
    v_fell = v_fell || a.v()[0] < last;
    last = a.v_hat()[0];
  }
  EXPECT_TRUE(v_fell);  // v itself did fall: the max is what kept v_hat up
}

TEST(AmsGrad, SettlesAtTheMinimiserOfAQuadratic) {
  // f(x) = sum_j c_j (x_j - t_j)^2 / 2 with very different curvatures.
  const std::vector<double> c = {100.0, 1.0, 0.01}, target = {1.0, -2.0, 3.0};
  kernels::AmsGrad a({0.9, 0.999, 1e-8}, 3);
  std::vector<double> x(3, 0.0), g(3);
  for (int t = 0; t < 20000; ++t) {
    for (int j = 0; j < 3; ++j) g[j] = c[j] * (x[j] - target[j]);
    a.Step(x, g, 0.01);
  }
  for (int j = 0; j < 3; ++j) EXPECT_NEAR(x[j], target[j], 1e-6) << j;
}

TEST(AmsGrad, BadConfigurationIsRefused) {
  EXPECT_THROW(kernels::AmsGrad({1.0, 0.9, 1e-8}, 1), Error);
  EXPECT_THROW(kernels::AmsGrad({0.9, -0.1, 1e-8}, 1), Error);
  EXPECT_THROW(kernels::AmsGrad({0.9, 0.9, 0.0}, 1), Error);
}

}  // namespace
}  // namespace asyncopt
