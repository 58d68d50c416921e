// Embeds asyncopt: generate data, solve, check the answer. Exit 0 on success.
#include <asyncopt/asyncopt.hpp>

#include <cmath>
#include <cstdio>

int main() {
  asyncopt::WangniLogisticOptions gen;
  gen.rows = 300;
  gen.dim = 40;
  const asyncopt::Dataset data = asyncopt::GenerateWangniLogistic(gen);
  const asyncopt::Problem problem{asyncopt::Loss::kLogistic, 0.0, 1e-2};
  asyncopt::Options options;  // defaults live in the library
  const asyncopt::Result result = asyncopt::Solve(data, problem, options);
  std::printf("consumer: %s\n", result.BriefReport().c_str());
  const bool ok = result.status == asyncopt::Status::kConverged && result.IsSolutionUsable() &&
                  std::isfinite(result.objective) && result.objective < std::log(2.0);
  return ok ? 0 : 1;
}
