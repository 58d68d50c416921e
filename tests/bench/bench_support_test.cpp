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
  // A generous time cap: on a loaded machine each hand-off may wait for a
  // time slice, and the trip cap, not the time cap, must end this probe.
  const CoreLatency c = MeasureCoreRoundTrip(/*max_trips=*/512, /*max_seconds=*/60.0);
  // Counted in blocks of 256 round trips, up to the first block past the cap.
  EXPECT_EQ(c.trips, 512);
  EXPECT_TRUE(std::isfinite(c.round_trip_ns));
  EXPECT_GT(c.round_trip_ns, 0.0);
}

TEST(CoreRoundTrip, TheTimeCapEndsTheProbe) {
  // A trip budget no machine finishes: only the 20 ms cap can end the call.
  // Without it this would spin for days, so a generous bound on the call's
  // wall time tells a cap that works from one that does not.
  const auto t0 = std::chrono::steady_clock::now();
  const CoreLatency c = MeasureCoreRoundTrip(/*max_trips=*/std::int64_t{1} << 40,
                                             /*max_seconds=*/0.02);
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(elapsed, 10.0);
  EXPECT_LT(c.trips, std::int64_t{1} << 40);
  if (c.trips > 0) {
    // The figure covers only completed trips, timed inside the call.
    EXPECT_TRUE(std::isfinite(c.round_trip_ns));
    EXPECT_LE(c.round_trip_ns * 1e-9 * static_cast<double>(c.trips), elapsed);
  } else {
    EXPECT_TRUE(std::isnan(c.round_trip_ns));
  }
}

class SharedPair : public ::testing::Test {
 protected:
  static Dataset Data() {
    PowerLawOptions o;
    o.rows = 40000;  // 79 chunks of 512 per epoch, so both threads claim some
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
  EXPECT_GT(shared.updates_second_thread, 0);    // the second thread took part
  EXPECT_LT(shared.updates_second_thread, shared.updates);
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
