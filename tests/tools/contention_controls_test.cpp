// The contention sweep's controls (src/tools/core_latency.hpp, and the shared
// pair and the naive loop of src/tools/plain_sgd.hpp): each figure they give is
// read next to hogwild's, so they are tested like the solver's own code.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>
#include <vector>

#include "asyncopt/generate.hpp"
#include "asyncopt/optimum.hpp"
#include "asyncopt/problem.hpp"
#include "asyncopt/solver.hpp"
#include "algorithms/async_common.hpp"
#include "data/data_test_util.hpp"
#include "data/random.hpp"
#include "kernels/sparse_ops.hpp"
#include "tools/core_latency.hpp"
#include "tools/plain_sgd.hpp"

namespace asyncopt::tools {
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
  // The second thread takes part when the system runs it before the first
  // has claimed every chunk of an epoch: on a loaded machine (a parallel
  // ctest, a build) a run may go to one thread alone, so up to 10 runs.
  PlainSgdResult shared = RunSharedPairSgd(data, p, Options());
  for (int attempt = 1; attempt < 10 && shared.updates_second_thread == 0; ++attempt) {
    shared = RunSharedPairSgd(data, p, Options());
  }
  EXPECT_EQ(shared.updates, data.num_rows * 4);  // counted as the chunks are claimed
  EXPECT_GT(shared.updates_second_thread, 0);    // the second thread took part
  EXPECT_LT(shared.updates_second_thread, shared.updates);
  EXPECT_GT(shared.seconds, 0.0);
  // Two threads racing on one w make the same progress as one thread over
  // the same permutations, up to Hogwild's noise and the order in which the
  // chunks interleave; a loop that lost most of its writes would end far
  // from it (w = 0 gives log 2 = 0.693). Measured: one thread over seeds
  // 3-12 ends at 0.581-0.589, the pair at 0.586-0.589 on a quiet machine
  // and up to 0.594 on a loaded one.
  const double f_alone = Objective(data, p, alone.w, 1);
  const double f_shared = Objective(data, p, shared.w, 1);
  EXPECT_LT(f_alone, 0.9 * std::log(2.0));
  EXPECT_NEAR(f_shared, f_alone, 3e-2 * f_alone);
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

// The naive loop (issue 14, section 6): the benchmark's second ceiling.
class NaiveLoop : public ::testing::Test {
 protected:
  // Rows of 1..7 nonzeros, so the nonzeros processed depend on which rows
  // were drawn.
  static Dataset Ragged() {
    std::vector<testing::Entries> rows;
    std::vector<double> labels;
    for (std::int32_t i = 0; i < 7; ++i) {
      testing::Entries row;
      for (std::int32_t j = 0; j <= i; ++j) row.emplace_back(j, 0.25 * (1 + (i + j) % 3));
      rows.push_back(row);
      labels.push_back(i % 2 == 0 ? 1.0 : -1.0);
    }
    return testing::MakeDataset(rows, labels, 7);
  }
  // Dense: every feature in every row, so hogwild's frequency weights are
  // all 1 and the naive loop's l2 term is an unbiased gradient of F too.
  // Labels from a fixed direction, one in ten flipped.
  static Dataset Dense() {
    data::Rng rng(11);
    std::vector<testing::Entries> rows;
    std::vector<double> labels;
    const double truth[] = {1.0, -2.0, 0.5, 0.0, 1.5, -1.0};
    for (int i = 0; i < 400; ++i) {
      testing::Entries row;
      double z = 0.0;
      for (std::int32_t j = 0; j < 6; ++j) {
        const double v = 2.0 * rng.Uniform() - 1.0;
        row.emplace_back(j, v);
        z += truth[j] * v;
      }
      rows.push_back(row);
      labels.push_back((z >= 0.0) != (rng.Uniform() < 0.1) ? 1.0 : -1.0);
    }
    return testing::MakeDataset(rows, labels, 6);
  }
  static PlainSgdOptions Options(int epochs, double step) {
    PlainSgdOptions o;
    o.step = step;
    o.max_epochs = epochs;
    o.seed = 5;
    o.eval_threads = 1;
    return o;
  }
};

TEST_F(NaiveLoop, DrawsRowsWithReplacementAndAppliesTheUnweightedRule) {
  const Dataset data = Ragged();
  const Problem p{Loss::kLogistic, 0.0, 0.3};
  const PlainSgdResult r = RunNaiveSgd(data, p, Options(3, 0.5));
  // The documented loop, replayed: uniform draws from hogwild's worker-0
  // stream, the 4-sum margin, l2 on the row's coordinates without weights.
  // Feature 0 is in all 7 rows and feature 6 in one, so a frequency-weighted
  // l2 (hogwild's rule) would give other values; so would another stream,
  // or rows taken in a permutation.
  data::Rng rng = data::Rng::ForStream(5, algorithms::kWorkerStream, 0);
  std::vector<double> w(7, 0.0);
  std::int64_t nnz = 0;
  for (int t = 0; t < 21; ++t) {
    const auto i = static_cast<std::int64_t>(rng.Below(7));
    const SparseRow row = data.row(i);
    nnz += row.nnz;
    const double dloss = kernels::LogisticLoss::Derivative(
        data.labels[static_cast<std::size_t>(i)], kernels::Dot4(row, w));
    for (std::int32_t k = 0; k < row.nnz; ++k) {
      double& wj = w[static_cast<std::size_t>(row.index[k])];
      wj = wj - 0.5 * (dloss * row.value[k] + 0.3 * wj);
    }
  }
  EXPECT_EQ(r.updates, 21);
  EXPECT_EQ(r.nnz, nnz);  // counted row by row: drawn rows, not updates x mean
  EXPECT_EQ(r.w, w);
  EXPECT_GT(r.seconds, 0.0);
  EXPECT_TRUE(std::isfinite(r.objective));
}

TEST_F(NaiveLoop, ReachesTheOptimumWhereItsRuleIsHogwilds) {
  const Dataset data = Dense();
  const Problem p{Loss::kLogistic, 0.0, 1e-2};
  const double f_star = SolveReference(data, p).objective;
  PlainSgdOptions o = Options(60, 0.02);
  o.f_star = f_star;
  const PlainSgdResult r = RunNaiveSgd(data, p, o);
  EXPECT_EQ(r.updates, 60 * data.num_rows);
  EXPECT_EQ(r.epochs, 60.0);
  // From F(0) = log 2 to within 1% of f*: the constant step's noise floor.
  EXPECT_LT(f_star, 0.9 * std::log(2.0));
  EXPECT_NEAR(r.objective, Objective(data, p, r.w, 1), 1e-12);
  EXPECT_LT(r.suboptimality, 1e-2);
  EXPECT_GE(r.suboptimality, 0.0);
}

TEST_F(NaiveLoop, AppliesTheL1Step) {
  // step l1 above any |w_j| one step can make: every coordinate ends at 0.
  const Dataset data = Ragged();
  const PlainSgdResult r = RunNaiveSgd(data, Problem{Loss::kLogistic, 10.0, 0.0}, Options(2, 0.5));
  EXPECT_EQ(r.w, std::vector<double>(7, 0.0));
  EXPECT_EQ(r.updates, 14);
}

TEST_F(NaiveLoop, StopsAtTheTargetLikeTheCeiling) {
  // The clock and evaluation driver both loops share (plain_detail::TimedEpochs).
  const Dataset data = Dense();
  const Problem p{Loss::kLogistic, 0.0, 1e-2};
  const double f_star = SolveReference(data, p).objective;
  for (const bool naive : {true, false}) {
    SCOPED_TRACE(naive ? "naive loop" : "ceiling");
    PlainSgdOptions o = Options(200, 0.02);
    o.f_star = f_star;
    o.eval_every_epochs = 0.5;
    o.target_subopt = 5e-2;
    const PlainSgdResult r = naive ? RunNaiveSgd(data, p, o) : RunPlainSgd(data, p, o);
    EXPECT_TRUE(r.reached);
    EXPECT_LE(r.suboptimality, 5e-2);
    EXPECT_LT(r.epochs, 200.0);  // stopped early, at an evaluation (every half epoch)
    EXPECT_EQ(r.updates % (data.num_rows / 2), 0);
    EXPECT_EQ(r.time_to_target, r.seconds);
  }
}

// The ceiling's claim (bench_contention checks it on every run): one hogwild
// worker writes the ceiling's bits. Both read the l2 factors laid out by
// the same rule (per nonzero on small wide data, else per feature, none
// without l2), and with l1 both take the gradient form; every case is
// covered here.
class SameRule : public ::testing::Test {
 protected:
  // 3000 rows of 4 nonzeros over 20000 features: 144 KB of rows and
  // nnz <= 2 d, so the factors are read per nonzero.
  static Dataset Wide() {
    PowerLawOptions o;
    o.rows = 3000;
    o.dim = 20000;
    o.nnz_per_row = 4;
    o.zipf_exponent = 0.0;
    return GeneratePowerLaw(o);
  }
  // 2000 rows of 20 nonzeros over 200 features: nnz > 2 d, per feature.
  static Dataset Narrow() {
    PowerLawOptions o;
    o.rows = 2000;
    o.dim = 200;
    o.nnz_per_row = 20;
    o.zipf_exponent = 0.5;
    return GeneratePowerLaw(o);
  }
  static Result Hogwild(const Dataset& data, const Problem& p, int epochs, double decay = 1.0,
                        int threads = 1, WritePolicy write = WritePolicy::kWild) {
    Options o;
    o.solver = SolverKind::kHogwild;
    o.threads = threads;
    o.seed = 7;
    o.step = 0.05;
    o.max_epochs = epochs;
    o.trace_every_epochs = epochs;
    o.async.step_decay = decay;
    o.async.write = write;
    o.async.conflict_sample = 1;  // kWild: every update looks (the fused shared path)
    return Solve(data, p, o);
  }
};

TEST_F(SameRule, OneHogwildWorkerWritesTheCeilingsBits) {
  const Dataset wide = Wide(), narrow = Narrow();
  ASSERT_TRUE(algorithms::DataGeometry::L2ShrinkPerNonzeroPays(wide));
  ASSERT_FALSE(algorithms::DataGeometry::L2ShrinkPerNonzeroPays(narrow));
  for (const Dataset* data : {&wide, &narrow}) {
    for (const Problem p : {Problem{Loss::kLogistic, 0.0, 1e-2}, Problem{Loss::kHinge, 0.0, 0.0},
                            Problem{Loss::kLogistic, 1e-5, 1e-2}}) {
      SCOPED_TRACE(std::string(data == &wide ? "per nonzero" : "per feature") + ", l1 " +
                   std::to_string(p.l1) + ", l2 " + std::to_string(p.l2));
      PlainSgdOptions po;
      po.step = 0.05;
      po.max_epochs = 3;
      po.seed = 7;
      po.eval_threads = 1;
      const PlainSgdResult ceiling = RunPlainSgd(*data, p, po);
      const Result hogwild = Hogwild(*data, p, 3);
      ASSERT_EQ(hogwild.status, Status::kMaxEpochs);
      EXPECT_EQ(hogwild.w, ceiling.w);
      // and the plain loop moved: a rule that skipped the update would also agree
      EXPECT_GT(std::count_if(ceiling.w.begin(), ceiling.w.end(), [](double v) { return v != 0.0; }),
                data->num_cols / 20);
    }
  }
}

TEST_F(SameRule, FactorsReadFromATableOrComputedGiveTheSameBits) {
  // In its first epoch a decaying run has the constant run's step, but it
  // computes each l2 factor where it is used instead of reading the table
  // (per nonzero or per feature) built once for a constant step.
  const Problem p{Loss::kLogistic, 0.0, 1e-2};
  for (const Dataset& data : {Wide(), Narrow()}) {
    const Result cached = Hogwild(data, p, 1, 1.0);
    const Result computed = Hogwild(data, p, 1, 0.5);
    EXPECT_EQ(cached.w, computed.w);
    EXPECT_NE(cached.w, Hogwild(data, Problem{Loss::kLogistic, 0.0, 2e-2}, 1).w);  // l2 is read
  }
}

TEST_F(SameRule, EveryPolicyWritesTheLoneWorkersBitsOnDisjointRows) {
  // Rows with disjoint supports never touch a common coordinate, so two
  // workers under any policy write one worker's bits, whichever layout of
  // the l2 factors the data gets: 360000 one-nonzero rows take 4.3 MB, past
  // the row-prefetch threshold, so per feature (tests/algorithms covers
  // small data, per nonzero).
  Dataset data;
  data.num_rows = 360000;
  data.num_cols = 360000;
  for (std::int32_t i = 0; i < 360000; ++i) {
    data.col_index.push_back(i);
    data.values.push_back(i % 7 == 0 ? -1.5 : 0.5 + 0.001 * (i % 13));
    data.row_ptr.push_back(i + 1);
    data.labels.push_back(i % 3 == 0 ? -1.0 : 1.0);
  }
  ASSERT_FALSE(algorithms::DataGeometry::L2ShrinkPerNonzeroPays(data));
  const Problem p{Loss::kLogistic, 0.0, 1e-2};
  const Result one = Hogwild(data, p, 2);
  for (WritePolicy write : {WritePolicy::kWild, WritePolicy::kAtomic, WritePolicy::kLocked}) {
    SCOPED_TRACE(ToString(write));
    const Result two = Hogwild(data, p, 2, 1.0, 2, write);
    ASSERT_EQ(two.status, Status::kMaxEpochs);
    EXPECT_EQ(two.w, one.w);
    EXPECT_EQ(two.conflicts, 0);
  }
}

// bench_contention --trace-every compares hogwild traced every epoch with
// the plain loops, which trace nothing: that holds only if the copy of w a
// trace point takes is off the solver clock, as its evaluation is.
TEST(HogwildClock, TraceCopiesAreOffTheSolverClock) {
  // Two rows of one nonzero and a wide model: an epoch's work is a few
  // instructions, each trace point's copy of w is 8 MB.
  constexpr std::int32_t kDim = 1 << 20;
  const Dataset data =
      testing::MakeDataset({{{0, 1.0}}, {{kDim - 1, -1.0}}}, {1.0, -1.0}, kDim);
  Options o;
  o.solver = SolverKind::kHogwild;
  o.threads = 1;
  o.step = 0.1;
  o.max_epochs = 40;
  o.trace_every_epochs = 1.0;
  const Problem problem{Loss::kLogistic, 0.0, 1e-3};
  const Result r = Solve(data, problem, o);
  ASSERT_EQ(r.epochs, 40.0);
  ASSERT_EQ(r.trace.size(), 41u);  // w0 and every epoch
  // The same 40 epochs traced at the end only: the same segments and the
  // same hand-offs between the worker and the calling thread at each, one
  // copy instead of 40. Each the least disturbed of 5 runs.
  double traced = r.seconds, untraced = 1e300;
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (attempt > 0) traced = std::min(traced, Solve(data, problem, o).seconds);
    Options quiet = o;
    quiet.trace_every_epochs = 40.0;
    const Result u = Solve(data, problem, quiet);
    ASSERT_EQ(u.trace.size(), 2u);
    untraced = std::min(untraced, u.seconds);
  }
  // What 40 copies of w cost on this machine, copied as fast as memcpy
  // (SharedVector::Snapshot, element by element, is not faster): on the
  // clock, the traced run would take at least about this much longer.
  std::vector<double> from(kDim, 1.0), to(kDim, 0.0);
  double copies = 1e300;
  for (int attempt = 0; attempt < 3; ++attempt) {  // the least disturbed of 3
    const auto t0 = std::chrono::steady_clock::now();
    for (int k = 0; k < 40; ++k) {
      from[static_cast<std::size_t>(k)] = k;  // each copy has new content
      std::copy(from.begin(), from.end(), to.begin());
    }
    copies = std::min(copies, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  EXPECT_EQ(to[39], 39.0);
  // On the clock the difference would be about `copies`; off it, about 0
  // (the hand-offs cost the same in both runs, up to the machine's noise).
  EXPECT_LT(traced - untraced, 0.5 * copies)
      << traced << " s traced, " << untraced << " s not, " << copies << " s of copies";
}

}  // namespace
}  // namespace asyncopt::tools
