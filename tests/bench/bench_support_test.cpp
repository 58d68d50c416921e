// The contention benchmark's controls (bench/core_latency.hpp and the shared
// pair of bench/plain_sgd.hpp): each figure they give is read next to
// hogwild's, so they are tested like the solver's own code.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>

#include "asyncopt/generate.hpp"
#include "asyncopt/problem.hpp"
#include "core_latency.hpp"
#include "plain_sgd.hpp"

namespace asyncopt::bench {
namespace {

TEST(CoreRoundTrip, CompletesWholeBlocksOfTrips) {
  const CoreLatency c = MeasureCoreRoundTrip(/*max_trips=*/512, /*max_seconds=*/5.0);
  // Counted in blocks of 256 round trips, up to the first block past the cap.
  EXPECT_EQ(c.trips, 512);
  EXPECT_TRUE(std::isfinite(c.round_trip_ns));
  EXPECT_GT(c.round_trip_ns, 0.0);
}

TEST(CoreRoundTrip, TheTimeCapEndsTheProbe) {
  // A trip budget no machine finishes in 20 ms: the time cap must end it, and
  // the figure counts only completed blocks.
  const CoreLatency c = MeasureCoreRoundTrip(/*max_trips=*/std::int64_t{1} << 40,
                                             /*max_seconds=*/0.02);
  EXPECT_LT(c.trips, std::int64_t{1} << 40);
  EXPECT_EQ(c.trips % 256, 0);
  if (c.trips > 0) {
    EXPECT_TRUE(std::isfinite(c.round_trip_ns));
  } else {
    EXPECT_TRUE(std::isnan(c.round_trip_ns));
  }
}

class SharedPair : public ::testing::Test {
 protected:
  static Dataset Data() {
    PowerLawOptions o;
    o.rows = 4000;
    o.dim = 200;
    o.nnz_per_row = 20;
    o.zipf_exponent = 0.0;
    return GeneratePowerLaw(o);
  }
  static PlainSgdOptions Options() {
    PlainSgdOptions o;
    o.step = 0.5;
    o.max_epochs = 4;
    o.seed = 3;
    o.eval_threads = 1;
    return o;
  }
};

TEST_F(SharedPair, RunsEveryRowOfEveryEpochOnOneModel) {
  const Dataset data = Data();
  const Problem p{Loss::kLogistic, 0.0, 1e-3};
  const PlainSgdResult alone = RunPlainSgd(data, p, Options());
  const PlainSgdResult shared = RunSharedPairSgd(data, p, Options());
  EXPECT_EQ(shared.updates, data.num_rows * 4);  // counted as the chunks are claimed
  EXPECT_GT(shared.seconds, 0.0);
  // Two threads racing on one w make the same progress as one thread over
  // the same permutations, up to Hogwild's noise; a loop that skipped rows
  // or wrote to a private copy would end far from it (w = 0 gives log 2).
  const double f_alone = Objective(data, p, alone.w, 1);
  const double f_shared = Objective(data, p, shared.w, 1);
  EXPECT_LT(f_alone, 0.9 * std::log(2.0));
  EXPECT_NEAR(f_shared, f_alone, 1e-2 * f_alone);
}

TEST_F(SharedPair, AppliesTheL1Step) {
  const Dataset data = Data();
  const Problem p{Loss::kLogistic, 1e-2, 1e-3};
  const PlainSgdResult shared = RunSharedPairSgd(data, p, Options());
  const PlainSgdResult alone = RunPlainSgd(data, p, Options());
  std::int64_t zeros_shared = 0, zeros_alone = 0;
  for (double v : shared.w) zeros_shared += v == 0.0;
  for (double v : alone.w) zeros_alone += v == 0.0;
  // The soft-threshold leaves many coordinates at exactly zero, as the
  // single-thread loop does.
  EXPECT_GT(zeros_alone, 0);
  EXPECT_GT(zeros_shared, zeros_alone / 2);
  EXPECT_NEAR(Objective(data, p, shared.w, 1), Objective(data, p, alone.w, 1),
              2e-2 * Objective(data, p, alone.w, 1));
}

}  // namespace
}  // namespace asyncopt::bench
