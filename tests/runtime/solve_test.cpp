#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <limits>
#include <random>

#include "asyncopt/error.hpp"
#include "asyncopt/optimum.hpp"
#include "asyncopt/solver.hpp"
#include "runtime/tracer.hpp"
#include "support/planted_data.hpp"

namespace asyncopt {
namespace {

// 200 x 30 sparse rows with labels from a planted model plus noise.
Dataset RandomData(unsigned seed) { return testing::PlantedData(200, 30, 0.3, seed); }

TEST(Solve, ReferenceSolverConvergesAndTracesFromZero) {
  const Dataset d = RandomData(1);
  const Problem p{Loss::kLogistic, 0.0, 1e-2};
  Options o;
  o.max_epochs = 200;
  const Result r = Solve(d, p, o);
  EXPECT_EQ(r.status, Status::kConverged) << r.BriefReport();
  ASSERT_GE(r.trace.size(), 2u);
  EXPECT_EQ(r.trace.front().epoch, 0.0);
  EXPECT_NEAR(r.trace.front().objective, std::log(2.0), 1e-13);  // F(0) = mean of ln 2
  for (std::size_t k = 1; k < r.trace.size(); ++k) {
    EXPECT_GE(r.trace[k].seconds, r.trace[k - 1].seconds);
    EXPECT_GE(r.trace[k].updates, r.trace[k - 1].updates);
  }
  EXPECT_TRUE(r.IsSolutionUsable());
  EXPECT_EQ(r.w.size(), 30u);
  EXPECT_DOUBLE_EQ(r.objective, Objective(d, p, r.w, 1));
  EXPECT_GT(r.updates, 0);
}

TEST(Solve, OneThreadSameSeedIsBitIdentical) {
  const Dataset d = RandomData(2);
  const Problem p{Loss::kLogistic, 1e-3, 1e-3};
  Options o;
  const Result a = Solve(d, p, o);
  const Result b = Solve(d, p, o);
  EXPECT_EQ(a.w, b.w);
  EXPECT_EQ(a.objective, b.objective);
}

TEST(Solve, StopsWhenTargetSuboptimalityReached) {
  const Dataset d = RandomData(3);
  const Problem p{Loss::kLogistic, 0.0, 1e-3};
  const ReferenceResult ref = SolveReference(d, p);
  ASSERT_TRUE(ref.converged);
  Options o;
  o.f_star = ref.objective;
  o.target_subopt = 1e-2;
  const Result r = Solve(d, p, o);
  EXPECT_EQ(r.status, Status::kTargetReached);
  EXPECT_LE(r.suboptimality, 1e-2);
  EXPECT_GE(r.suboptimality, 0.0);
  EXPECT_LE(r.trace.back().suboptimality, 1e-2);
}

TEST(Solve, PresetStopFlagEndsAsInterruptedWithUsableWeights) {
  const Dataset d = RandomData(4);
  std::atomic<bool> stop{true};
  Options o;
  o.stop = &stop;
  const Result r = Solve(d, Problem{Loss::kSquaredHinge, 0.0, 1e-2}, o);
  EXPECT_EQ(r.status, Status::kInterrupted);
  ASSERT_TRUE(r.IsSolutionUsable());
  for (double v : r.w) EXPECT_TRUE(std::isfinite(v));
}

TEST(Solve, InvalidOptionsThrowNamingTheField) {
  const Dataset d = RandomData(5);
  Options o;
  o.threads = 0;
  try {
    Solve(d, Problem{}, o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidOption);
    EXPECT_NE(std::string(e.what()).find("threads = 0"), std::string::npos) << e.what();
  }
  o = Options{};
  o.max_seconds = -1;
  EXPECT_THROW(Solve(d, Problem{}, o), Error);
  for (int sample : {0, -1, (1 << 20) + 1}) {
    o = Options{};
    o.async.conflict_sample = sample;
    try {
      Solve(d, Problem{}, o);
      ADD_FAILURE() << "conflict_sample = " << sample << " accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kInvalidOption);
      EXPECT_NE(std::string(e.what()).find("conflict_sample = " + std::to_string(sample)),
                std::string::npos)
          << e.what();
    }
  }
  for (int stripe : {0, 3, -8, 1 << 21}) {
    o = Options{};
    o.async.lock_stripe = stripe;
    try {
      Solve(d, Problem{}, o);
      ADD_FAILURE() << "lock_stripe = " << stripe << " accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("lock_stripe = " + std::to_string(stripe)),
                std::string::npos)
          << e.what();
    }
  }
  EXPECT_THROW(Solve(d, Problem{Loss::kLogistic, -1.0, 0.0}, Options{}), Error);
}

TEST(Tracer, NonFiniteSnapshotIsDivergenceAndKeepsLastFiniteIterate) {
  const Dataset d = RandomData(6);
  const Problem p{Loss::kLogistic, 0.0, 1e-2};
  Options o;
  runtime::Tracer tracer(d, p, o);
  std::vector<double> w(30, 0.0);
  tracer.Begin(w);
  w[3] = 0.25;
  EXPECT_FALSE(tracer.Record(w, {1.0, 200}).has_value());
  std::vector<double> bad = w;
  bad[5] = std::numeric_limits<double>::quiet_NaN();
  const auto verdict = tracer.Record(bad, {2.0, 400});
  ASSERT_TRUE(verdict.has_value());
  EXPECT_EQ(*verdict, Status::kDiverged);
  Result r;
  tracer.Finish(*verdict, bad, {2.0, 400}, &r);
  EXPECT_EQ(r.status, Status::kDiverged);
  EXPECT_EQ(r.w, w);
  EXPECT_TRUE(std::isfinite(r.objective));
}

TEST(Tracer, ExplodingObjectiveIsDivergence) {
  const Dataset d = RandomData(7);
  const Problem p{Loss::kSquared, 0.0, 0.0};
  Options o;
  runtime::Tracer tracer(d, p, o);
  std::vector<double> w(30, 0.0);
  tracer.Begin(w);
  std::fill(w.begin(), w.end(), 1e6);
  const auto verdict = tracer.Record(w, {1.0, 200});
  ASSERT_TRUE(verdict.has_value());
  EXPECT_EQ(*verdict, Status::kDiverged);
}

TEST(Tracer, TimeLimitIsReported) {
  const Dataset d = RandomData(8);
  Options o;
  o.max_seconds = 1e-9;
  runtime::Tracer tracer(d, Problem{}, o);
  std::vector<double> w(30, 0.0);
  tracer.Begin(w);
  volatile double sink = 0;
  for (int i = 0; i < 100000; ++i) sink = sink + i;
  const auto verdict = tracer.Record(w, {1.0, 200});
  ASSERT_TRUE(verdict.has_value());
  EXPECT_EQ(*verdict, Status::kTimeLimit);
}

}  // namespace
}  // namespace asyncopt
