// Starting a solver's threads all at once or none (runtime/threads.hpp): a
// thread the system refuses must end the run with a clear error, never
// leave the started threads waiting for it.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <vector>

#include "asyncopt/error.hpp"
#include "asyncopt/solver.hpp"
#include "runtime/threads.hpp"
#include "support/planted_data.hpp"

namespace asyncopt {
namespace {

// Switches the injected failure off again, also when a test fails.
struct NoInjectedFailureAfter {
  ~NoInjectedFailureAfter() { runtime::testing::FailThreadCreation(-1); }
};

TEST(StartedThreads, RunsEveryBodyOnce) {
  std::vector<std::atomic<int>> runs(7);
  {
    runtime::StartedThreads threads(
        7, [&](int k) { runs[static_cast<std::size_t>(k)].fetch_add(1); }, "worker", 7);
  }
  for (const auto& r : runs) EXPECT_EQ(r.load(), 1);
}

TEST(StartedThreads, ARefusedThreadRunsNoBodyAndNamesTheThread) {
  NoInjectedFailureAfter reset;
  std::atomic<int> runs{0};
  runtime::testing::FailThreadCreation(3);  // the 4th thread created
  try {
    runtime::StartedThreads threads(6, [&](int) { runs.fetch_add(1); }, "worker", 7);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kResource);
    const std::string what = e.what();
    EXPECT_NE(what.find("worker thread 5 of 7"), std::string::npos) << what;  // 1 + 3 + 1
    EXPECT_NE(what.find("Resource temporarily unavailable"), std::string::npos) << what;
    EXPECT_NE(what.find("fewer threads"), std::string::npos) << what;
  }
  EXPECT_EQ(runs.load(), 0);  // the three created threads were released, not run
}

// Every solver: with 4 threads and the 3rd refused, Solve throws
// Error(kResource) and returns (before, hogwild and svrg waited for ever
// at their barrier and soda said only "internal error").
class ThreadRefused : public ::testing::TestWithParam<SolverKind> {};

TEST_P(ThreadRefused, SolveEndsWithAResourceErrorAndNoHang) {
  NoInjectedFailureAfter reset;
  const Dataset d = testing::PlantedData(300, 20, 0.3, 5);
  Options o;
  o.solver = GetParam();
  o.threads = 4;
  o.max_epochs = 5;
  runtime::testing::FailThreadCreation(1);
  try {
    Solve(d, Problem{Loss::kLogistic, 0.0, 1e-2}, o);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kResource) << e.what();
    EXPECT_NE(std::string(e.what()).find("requested"), std::string::npos) << e.what();
  }
  // The machine recovered: the same run now completes.
  runtime::testing::FailThreadCreation(-1);
  EXPECT_TRUE(Solve(d, Problem{Loss::kLogistic, 0.0, 1e-2}, o).IsSolutionUsable());
}

INSTANTIATE_TEST_SUITE_P(Solvers, ThreadRefused,
                         ::testing::Values(SolverKind::kHogwild, SolverKind::kSvrg,
                                           SolverKind::kSoda, SolverKind::kDavePg),
                         [](const auto& info) { return std::string(ToString(info.param)) == "dave-pg"
                                                           ? std::string("davepg")
                                                           : std::string(ToString(info.param)); });

TEST(Threads, ABoundOnTheThreadCount) {
  const Dataset d = testing::PlantedData(50, 5, 0.5, 5);
  Options o;
  o.solver = SolverKind::kHogwild;
  o.threads = kMaxThreads + 1;
  EXPECT_THROW(Solve(d, Problem{Loss::kLogistic, 0.0, 1e-2}, o), Error);
  std::string why;
  EXPECT_FALSE(o.IsValid(&why));
  EXPECT_NE(why.find("[0, " + std::to_string(kMaxThreads) + "]"), std::string::npos) << why;
}

}  // namespace
}  // namespace asyncopt
