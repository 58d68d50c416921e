// DisSVRG and PetuumSGD (paper 004, Algorithms 1-3) on the engine: exact
// convergence, the staleness bound under injected delays, bulk synchrony at
// tau = 0, one trainer = serial SVRG bit for bit, adaptive m, no lost push
// when a trainer is stopped, slowed or the run interrupted, option errors.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "algorithms/dissvrg.hpp"
#include "asyncopt/error.hpp"
#include "asyncopt/optimum.hpp"
#include "asyncopt/solver.hpp"
#include "data/random.hpp"
#include "kernels/losses.hpp"
#include "support/planted_data.hpp"

namespace asyncopt {
namespace {

struct Problems {
  Dataset data = testing::PlantedData(400, 30, 0.3, 11);
  Problem logistic{Loss::kLogistic, 0.0, 1e-2};
  Problem squares{Loss::kSquared, 0.0, 1e-2};
  double f_logistic = SolveReference(data, logistic).objective;
  double f_squares = SolveReference(data, squares).objective;
};

const Problems& Shared() {
  static const Problems p;
  return p;
}

Options SspOptions(SolverKind solver, int trainers, double tau) {
  Options o;
  o.solver = solver;
  o.threads = trainers;
  o.ssp.staleness = tau;
  o.max_epochs = 100000;
  o.max_seconds = 120.0;  // only stops a stuck run (sanitizers, a loaded machine)
  o.peer_timeout = 60.0;
  return o;
}

std::int64_t Largest(const std::vector<std::vector<std::int64_t>>& seen) {
  std::int64_t most = 0;
  for (const auto& v : seen) {
    for (const std::int64_t s : v) most = std::max(most, s);
  }
  return most;
}

// ---- exact convergence: trainers x aggregation x loss ----

class DisSvrgConvergence : public ::testing::TestWithParam<std::tuple<int, int, Aggregation, Loss>> {};

TEST_P(DisSvrgConvergence, ReachesOneEMinusEight) {
  const auto [trainers, servers, rule, loss] = GetParam();
  const Problems& p = Shared();
  const Problem& problem = loss == Loss::kSquared ? p.squares : p.logistic;
  Options o = SspOptions(SolverKind::kDisSvrg, trainers, 2);
  o.ssp.servers = servers;
  o.ssp.aggregate = rule;
  o.f_star = loss == Loss::kSquared ? p.f_squares : p.f_logistic;
  o.target_subopt = 1e-8;
  algorithms::SspAudit audit;
  const Result r = algorithms::RunDisSvrg(p.data, problem, o, &audit);
  EXPECT_EQ(r.status, Status::kTargetReached) << r.message << " subopt " << r.suboptimality;
  EXPECT_LE(r.suboptimality, 1e-8);
  EXPECT_LE(r.max_staleness, 2);
  EXPECT_LE(Largest(audit.seen_staleness), 2);
  EXPECT_EQ(audit.pushes_sent, audit.pushes_absorbed);
  ASSERT_EQ(audit.block_absorbed.size(), static_cast<std::size_t>(servers - 1));
  for (const std::int64_t n : audit.block_absorbed) EXPECT_EQ(n, audit.pushes_sent);
  ASSERT_EQ(r.members.size(), static_cast<std::size_t>(trainers));
  for (const MemberStats& m : r.members) {
    EXPECT_GT(m.epochs, 0);
    EXPECT_GE(m.member, servers);  // trainers are members (ranks) S..S+T-1
  }
}

INSTANTIATE_TEST_SUITE_P(
    TrainersRulesLosses, DisSvrgConvergence,
    ::testing::Combine(::testing::Values(1, 2, 4), ::testing::Values(1, 2),
                       ::testing::Values(Aggregation::kDelta, Aggregation::kAverage),
                       ::testing::Values(Loss::kSquared, Loss::kLogistic)));

TEST(DisSvrg, AcceleratedRateStaysFiniteAndExact) {
  const Problems& p = Shared();
  Options o = SspOptions(SolverKind::kDisSvrg, 2, 4);
  o.ssp.step_rule = StepRule::kAccelerated;
  o.f_star = p.f_squares;
  o.target_subopt = 1e-8;
  const Result r = Solve(p.data, p.squares, o);
  EXPECT_EQ(r.status, Status::kTargetReached) << r.message;
  // The rule changes the iterates (one trainer: no scheduling noise) ...
  Options one = SspOptions(SolverKind::kDisSvrg, 1, 0);
  one.max_epochs = 6;
  const Result constant = Solve(p.data, p.squares, one);
  one.ssp.step_rule = StepRule::kAccelerated;
  const Result accelerated = Solve(p.data, p.squares, one);
  EXPECT_NE(constant.w, accelerated.w);
  // ... and the cap keeps a huge gradient from blowing it up.
  Dataset loud = p.data;
  for (double& v : loud.values) v *= 1e3;
  const Result capped = Solve(loud, Problem{Loss::kSquared, 0.0, 1e-2}, one);
  EXPECT_TRUE(capped.IsSolutionUsable()) << capped.message;
  EXPECT_TRUE(std::isfinite(capped.objective));
  // petuum-sgd has its own schedule: the rule is dissvrg's only.
  one.solver = SolverKind::kPetuumSgd;
  const Result petuum_accelerated = Solve(p.data, p.squares, one);
  one.ssp.step_rule = StepRule::kConstant;
  EXPECT_EQ(Solve(p.data, p.squares, one).w, petuum_accelerated.w);
}

TEST(DisSvrg, HugeStalenessIsNoBound) {
  const Problems& p = Shared();
  Options o = SspOptions(SolverKind::kPetuumSgd, 2, 1e300);
  o.max_epochs = 20;
  const Result r = Solve(p.data, p.logistic, o);
  EXPECT_EQ(r.status, Status::kMaxEpochs) << r.message;
  EXPECT_GE(r.epochs, 20.0);
  EXPECT_NE(r.message.find("tau inf"), std::string::npos) << r.message;
}

TEST(DisSvrg, ShortEpochsStillRunTheWholeEpochBudget) {
  // petuum-sgd with m far below the shard size: the budget counts the rows
  // computed, not the passes granted.
  const Problems& p = Shared();
  for (const SolverKind solver : {SolverKind::kPetuumSgd, SolverKind::kDisSvrg}) {
    Options o = SspOptions(solver, 2, 2);
    o.ssp.inner_steps = 25;
    o.max_epochs = 12;
    const Result r = Solve(p.data, p.logistic, o);
    EXPECT_EQ(r.status, Status::kMaxEpochs) << r.message;
    EXPECT_GE(r.epochs, 12.0) << ToString(solver);
    EXPECT_LT(r.epochs, 14.0) << ToString(solver);
  }
}

TEST(DisSvrg, BulkSynchronousMuIsExactSoManyTrainersKeepTheSerialStep) {
  // Four trainers, long epochs (m = n_p = 1000), the default step: with G
  // pushed before the inner steps, tau = 0 gives every trainer the full
  // gradient at its anchor, and the run converges as fast as one trainer
  // does (mu from one-round-old shard gradients ended far from f* here).
  const Dataset data = testing::PlantedData(4000, 40, 0.5, 21);
  const Problem problem{Loss::kSquared, 0.0, 1e-3};
  const double f_star = SolveReference(data, problem).objective;
  Options o = SspOptions(SolverKind::kDisSvrg, 4, 0);
  o.f_star = f_star;
  o.target_subopt = 1e-8;
  o.max_epochs = 60;
  const Result r = Solve(data, problem, o);
  EXPECT_EQ(r.status, Status::kTargetReached) << r.message << " subopt " << r.suboptimality;
  EXPECT_EQ(r.max_staleness, 0);
}

TEST(DisSvrg, ConvergesBeyondOneEMinusTwelve) {
  const Problems& p = Shared();
  Options o = SspOptions(SolverKind::kDisSvrg, 2, 1);
  o.f_star = p.f_squares;
  o.target_subopt = 1e-12;
  const Result r = Solve(p.data, p.squares, o);
  EXPECT_EQ(r.status, Status::kTargetReached) << r.message << " subopt " << r.suboptimality;
}

// ---- one trainer: serial SVRG, bit for bit ----

// Serial SVRG (Johnson & Zhang 2013, Option I with the last inner iterate),
// written here in the arithmetic the trainer uses: the full loss gradient G
// at the anchor row by row, g = G / n, the iterate as alpha u + beta g, row
// draws from the same random stream. Returns w after `epochs` inner loops.
template <class L>
std::vector<double> SerialSvrg(const Dataset& data, const Problem& problem, double eta, std::uint64_t seed,
                               std::int64_t epochs) {
  const auto d = static_cast<std::size_t>(data.num_cols);
  const std::int64_t n = data.num_rows;
  data::Rng rng = data::Rng::ForStream(seed, algorithms::kDisSvrgSampleStream, 0);
  std::vector<double> anchor(d, 0.0), G(d), g(d), u(d), deriv(static_cast<std::size_t>(n)),
      xg(static_cast<std::size_t>(n));
  auto dot = [&](std::int64_t i, const std::vector<double>& v) {
    const SparseRow row = data.row(i);
    double z = 0.0;
    for (std::int32_t q = 0; q < row.nnz; ++q) z += row.value[q] * v[static_cast<std::size_t>(row.index[q])];
    return z;
  };
  for (std::int64_t e = 0; e < epochs; ++e) {
    std::fill(G.begin(), G.end(), 0.0);
    for (std::int64_t i = 0; i < n; ++i) {
      const double a = L::Derivative(data.labels[static_cast<std::size_t>(i)], dot(i, anchor));
      deriv[static_cast<std::size_t>(i)] = a;
      const SparseRow row = data.row(i);
      if (a != 0.0) {
        for (std::int32_t q = 0; q < row.nnz; ++q) G[static_cast<std::size_t>(row.index[q])] += a * row.value[q];
      }
    }
    for (std::size_t j = 0; j < d; ++j) g[j] = (0.0 + G[j]) * (1.0 / static_cast<double>(n));
    for (std::int64_t i = 0; i < n; ++i) xg[static_cast<std::size_t>(i)] = dot(i, g);
    u = anchor;
    double alpha = 1.0, beta = 0.0;
    for (std::int64_t t = 0; t < n; ++t) {
      const auto i = static_cast<std::int64_t>(rng.Below(static_cast<std::uint64_t>(n)));
      const SparseRow row = data.row(i);
      const double z = alpha * dot(i, u) + beta * xg[static_cast<std::size_t>(i)];
      const double s = L::Derivative(data.labels[static_cast<std::size_t>(i)], z) - deriv[static_cast<std::size_t>(i)];
      const double shrink = 1.0 - eta * problem.l2;
      alpha *= shrink;
      beta = shrink * beta - eta;
      if (s != 0.0) {
        const double c = eta * s / alpha;
        for (std::int32_t q = 0; q < row.nnz; ++q) u[static_cast<std::size_t>(row.index[q])] -= c * row.value[q];
      }
    }
    for (std::size_t j = 0; j < d; ++j) anchor[j] = alpha * u[j] + beta * g[j];
  }
  return anchor;
}

TEST(DisSvrg, OneTrainerOneServerIsSerialSvrgBitForBit) {
  const Problems& p = Shared();
  for (const Loss loss : {Loss::kSquared, Loss::kLogistic}) {
    const Problem& problem = loss == Loss::kSquared ? p.squares : p.logistic;
    Options o = SspOptions(SolverKind::kDisSvrg, 1, 0);
    o.ssp.aggregate = Aggregation::kAverage;  // w = the trainer's model, exactly
    o.distributed.shuffle_rows = false;       // the shard is rows 0..n-1 in order
    o.seed = 5;
    o.max_epochs = 12;
    const Result r = Solve(p.data, problem, o);
    ASSERT_TRUE(r.IsSolutionUsable()) << r.message;
    ASSERT_EQ(r.members.size(), 1u);
    const std::int64_t loops = r.members[0].epochs;
    EXPECT_GE(loops, 4);
    const double eta = algorithms::DisSvrgDefaultStep(p.data, problem, SolverKind::kDisSvrg);
    EXPECT_EQ(r.step_used, eta);
    const std::vector<double> serial =
        loss == Loss::kSquared ? SerialSvrg<kernels::SquaredLoss>(p.data, problem, eta, 5, loops)
                               : SerialSvrg<kernels::LogisticLoss>(p.data, problem, eta, 5, loops);
    ASSERT_EQ(r.w.size(), serial.size());
    for (std::size_t j = 0; j < serial.size(); ++j) {
      EXPECT_EQ(r.w[j], serial[j]) << "loss " << ToString(loss) << ", coordinate " << j;
    }
  }
}

TEST(DisSvrg, BlockServersSplitWWithoutChangingTheIterates) {
  // One trainer: every block server applies the same arithmetic to its
  // coordinates as a lone server does, so the iterates are the same bits;
  // the trace points gather the blocks at one set of pushes.
  const Problems& p = Shared();
  for (const Aggregation rule : {Aggregation::kDelta, Aggregation::kAverage}) {
    Options o = SspOptions(SolverKind::kDisSvrg, 1, 1);
    o.ssp.aggregate = rule;
    o.max_epochs = 15;
    const Result one = Solve(p.data, p.logistic, o);
    o.ssp.servers = 3;
    const Result three = Solve(p.data, p.logistic, o);
    EXPECT_EQ(one.w, three.w) << ToString(rule);
    ASSERT_EQ(one.trace.size(), three.trace.size());
    for (std::size_t k = 0; k < one.trace.size(); ++k) {
      EXPECT_EQ(one.trace[k].objective, three.trace[k].objective) << "trace point " << k;
    }
    // The block servers' bytes are counted too: the same payload, more headers.
    EXPECT_GT(three.bytes_sent, one.bytes_sent);
  }
}

TEST(DisSvrg, SlowBlockServerStillConverges) {
  const Problems& p = Shared();
  Options o = SspOptions(SolverKind::kDisSvrg, 3, 2);
  o.ssp.servers = 2;
  o.faults = {Fault{Fault::Kind::kSlow, 1, 4.0}, Fault{Fault::Kind::kStall, 1, 1.0, 5, 0.05}};
  o.f_star = p.f_squares;
  o.target_subopt = 1e-8;
  algorithms::SspAudit audit;
  const Result r = algorithms::RunDisSvrg(p.data, p.squares, o, &audit);
  EXPECT_EQ(r.status, Status::kTargetReached) << r.message;
  ASSERT_EQ(audit.block_absorbed.size(), 1u);
  EXPECT_EQ(audit.block_absorbed[0], audit.pushes_sent);
}

TEST(DisSvrg, OneTrainerAndASeedAreBitReproducible) {
  const Problems& p = Shared();
  for (const SolverKind solver : {SolverKind::kDisSvrg, SolverKind::kPetuumSgd}) {
    Options o = SspOptions(solver, 1, 3);
    o.max_epochs = 10;
    const Result a = Solve(p.data, p.logistic, o);
    const Result b = Solve(p.data, p.logistic, o);
    EXPECT_EQ(a.w, b.w) << ToString(solver);
    o.seed = 9;
    const Result c = Solve(p.data, p.logistic, o);
    EXPECT_NE(a.w, c.w) << ToString(solver);
  }
}

// ---- the SSP rule ----

// Random slow-downs (factors 1-8) and a stall per trainer, from a seeded
// generator; the bound must hold whatever the interleaving.
// Members 1..members - 1 (block servers, then trainers).
std::vector<Fault> RandomDelays(int members, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> factor(1.0, 8.0);
  std::uniform_int_distribution<int> at(1, 20);
  std::vector<Fault> faults;
  for (int t = 1; t < members; ++t) {
    faults.push_back(Fault{Fault::Kind::kSlow, t, factor(rng)});
    faults.push_back(Fault{Fault::Kind::kStall, t, 1.0, at(rng), 0.002 * factor(rng)});
  }
  return faults;
}

class StalenessBound : public ::testing::TestWithParam<std::tuple<double, SolverKind, unsigned>> {};

TEST_P(StalenessBound, NoServedPullIsStalerThanTau) {
  const auto [tau, solver, seed] = GetParam();
  const Problems& p = Shared();
  Options o = SspOptions(solver, 4, tau);
  o.max_epochs = 40;
  o.ssp.inner_steps = 25;  // many short epochs: many chances to break the rule
  o.ssp.servers = static_cast<int>(seed);  // seed 2: a block server, delayed too
  o.faults = RandomDelays(o.ssp.servers + 4, seed);
  algorithms::SspAudit audit;
  const Result r = algorithms::RunDisSvrg(p.data, p.logistic, o, &audit);
  EXPECT_EQ(r.status, Status::kMaxEpochs) << r.message;
  const auto bound = static_cast<std::int64_t>(tau);
  EXPECT_LE(Largest(audit.seen_staleness), bound);
  EXPECT_LE(r.max_staleness, bound);
  ASSERT_LE(r.staleness_histogram.size(), static_cast<std::size_t>(bound + 1));
  for (const std::int64_t s : audit.block_max_staleness) EXPECT_LE(s, bound);  // each block server's rule
  EXPECT_EQ(audit.pushes_sent, audit.pushes_absorbed);
  for (const std::int64_t n : audit.block_absorbed) EXPECT_EQ(n, audit.pushes_sent);
  EXPECT_GE(r.wait_fraction, 0.0);
  EXPECT_LE(r.wait_fraction, 1.0);
}

INSTANTIATE_TEST_SUITE_P(DelaysAndTaus, StalenessBound,
                         ::testing::Combine(::testing::Values(0.0, 1.0, 3.0),
                                            ::testing::Values(SolverKind::kDisSvrg, SolverKind::kPetuumSgd),
                                            ::testing::Values(1u, 2u)));

TEST(DisSvrg, TauZeroMakesEveryTrainerWaitForAll) {
  const Problems& p = Shared();
  Options o = SspOptions(SolverKind::kPetuumSgd, 3, 0);
  // Long enough that the slow-down, not the scheduler, sets the waits: with
  // 400 steps an epoch took microseconds and, under a loaded ctest -j2, the
  // fast trainers' waits (~2 ms in all) were within the scheduler's noise.
  // The row budget (max_epochs x rows) gives 5x the trainer epochs of 30 x
  // 400 (about 50 ms in all).
  o.ssp.inner_steps = 2000;
  o.max_epochs = 750;
  o.faults = {Fault{Fault::Kind::kSlow, 2, 10.0}};
  algorithms::SspAudit audit;
  const Result r = algorithms::RunDisSvrg(p.data, p.logistic, o, &audit);
  ASSERT_EQ(r.members.size(), 3u);
  EXPECT_EQ(r.max_staleness, 0);
  // In lock step the epochs differ by at most one at the end, however slow
  // trainer 2 is; and the fast ones waited for it.
  std::int64_t lo = r.members[0].epochs, hi = lo;
  for (const MemberStats& m : r.members) {
    lo = std::min(lo, m.epochs);
    hi = std::max(hi, m.epochs);
  }
  EXPECT_LE(hi - lo, 1);
  EXPECT_GT(r.members[0].wait_seconds, r.members[1].wait_seconds);
  EXPECT_GT(r.members[2].wait_seconds, r.members[1].wait_seconds);
}

TEST(DisSvrg, InfiniteStalenessLetsFastTrainersRunAhead) {
  const Problems& p = Shared();
  Options o = SspOptions(SolverKind::kPetuumSgd, 2, std::numeric_limits<double>::infinity());
  o.max_epochs = 400;
  // Long enough that the slow-down, not the scheduler, sets the pace: at
  // 400 steps a push took about 20 us on a fast host, its x20 sleep was less
  // than a loaded machine's wake-up of the master, and once in CI (tests two
  // at a time) the slowed trainer pushed more epochs than the other (46 vs
  // 38). 2000 steps and 400 epochs: about 71 against 10 pushes, in 16 ms.
  o.ssp.inner_steps = 2000;
  o.faults = {Fault{Fault::Kind::kSlow, 2, 20.0}};
  const Result r = Solve(p.data, p.logistic, o);
  ASSERT_EQ(r.members.size(), 2u);
  EXPECT_GT(r.members[0].epochs, 2 * r.members[1].epochs);  // about 71 against 10 here
  EXPECT_GT(r.max_staleness, 1);
}

// ---- adaptive m (Section 5.2) ----

TEST(DisSvrg, AdaptiveMGrowsTheFastTrainersOnly) {
  const Problems& p = Shared();
  Options o = SspOptions(SolverKind::kDisSvrg, 3, 4);
  o.max_epochs = 200;
  o.ssp.inner_steps = 20;
  o.ssp.adaptive_m = true;
  o.faults = {Fault{Fault::Kind::kSlow, 3, 8.0}};
  const Result r = Solve(p.data, p.logistic, o);
  ASSERT_EQ(r.members.size(), 3u);
  EXPECT_GT(r.members[0].inner_steps, 20);
  EXPECT_GT(r.members[1].inner_steps, 20);
  EXPECT_EQ(r.members[2].inner_steps, 20);  // the slow one is never ahead
  // m over time: every sample of a trainer is at least its previous one.
  std::vector<std::int64_t> last(4, 0);
  for (const MemberSample& s : r.member_trace) {
    ASSERT_GE(s.member, 1);
    ASSERT_LE(s.member, 3);
    EXPECT_GE(s.inner_steps, last[static_cast<std::size_t>(s.member)]);
    last[static_cast<std::size_t>(s.member)] = s.inner_steps;
  }
  // Bulk synchrony, no straggler: the one-push lag within a round (every
  // trainer but the round's last is one push ahead when it pushes) is no
  // reason to grow m. (At tau >= 1 a lead of one finished epoch is more
  // than tau/2 and does count, as Section 5.2 says.)
  for (const double tau : {0.0}) {
    Options calm = SspOptions(SolverKind::kDisSvrg, 3, tau);
    calm.max_epochs = 100;
    calm.ssp.inner_steps = 20;
    calm.ssp.adaptive_m = true;
    const Result c = Solve(p.data, p.logistic, calm);
    for (const MemberStats& m : c.members) EXPECT_EQ(m.inner_steps, 20) << "tau " << tau;
  }
  // With m + delta instead of 5%.
  o.ssp.m_delta = 7;
  const Result d = Solve(p.data, p.logistic, o);
  EXPECT_EQ((d.members[0].inner_steps - 20) % 7, 0);
  EXPECT_GT(d.members[0].inner_steps, 20);
}

// ---- PetuumSGD ----

TEST(PetuumSgd, BothSchedulesDescend) {
  const Problems& p = Shared();
  for (const PetuumSchedule schedule : {PetuumSchedule::kDecay, PetuumSchedule::kSqrt}) {
    Options o = SspOptions(SolverKind::kPetuumSgd, 2, 2);
    o.ssp.petuum_schedule = schedule;
    o.max_epochs = 30;
    o.f_star = p.f_logistic;
    const Result r = Solve(p.data, p.logistic, o);
    ASSERT_TRUE(r.IsSolutionUsable());
    EXPECT_LT(r.suboptimality, 1e-2) << ToString(schedule);
    EXPECT_GT(r.suboptimality, 0.0);
  }
  // The schedules differ (one trainer: the same draws, other steps).
  Options o = SspOptions(SolverKind::kPetuumSgd, 1, 0);
  o.max_epochs = 5;
  const Result decay = Solve(p.data, p.logistic, o);
  o.ssp.petuum_schedule = PetuumSchedule::kSqrt;
  const Result sqrt = Solve(p.data, p.logistic, o);
  EXPECT_NE(decay.w, sqrt.w);
  // The first epoch is eta0 for both; they part from the second on.
  o.max_epochs = 1;
  const Result first_sqrt = Solve(p.data, p.logistic, o);
  o.ssp.petuum_schedule = PetuumSchedule::kDecay;
  EXPECT_EQ(Solve(p.data, p.logistic, o).w, first_sqrt.w);
}

// ---- stops, slow trainers, crashes: nothing waits, nothing is lost ----

TEST(DisSvrgProtocol, StopRequestEndsTheRunWithEveryPushAbsorbed) {
  const Problems& p = Shared();
  std::atomic<bool> stop{false};
  Options o = SspOptions(SolverKind::kDisSvrg, 3, 2);
  o.faults = {Fault{Fault::Kind::kSlow, 1, 50.0}};
  o.stop = &stop;
  std::thread stopper([&stop] {
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    stop.store(true);
  });
  algorithms::SspAudit audit;
  const auto t0 = std::chrono::steady_clock::now();
  const Result r = algorithms::RunDisSvrg(p.data, p.logistic, o, &audit);
  stopper.join();
  EXPECT_EQ(r.status, Status::kInterrupted);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 30.0);
  EXPECT_TRUE(r.IsSolutionUsable());
  EXPECT_EQ(audit.pushes_sent, audit.pushes_absorbed);
}

TEST(DisSvrgProtocol, TimeLimitWithASlowTrainerKeepsEveryPush) {
  const Problems& p = Shared();
  Options o = SspOptions(SolverKind::kDisSvrg, 2, 1);
  o.faults = {Fault{Fault::Kind::kSlow, 2, 8.0}};
  o.max_seconds = 0.2;
  algorithms::SspAudit audit;
  const Result r = algorithms::RunDisSvrg(p.data, p.logistic, o, &audit);
  EXPECT_EQ(r.status, Status::kTimeLimit);
  EXPECT_EQ(audit.pushes_sent, audit.pushes_absorbed);
}

TEST(DisSvrgProtocol, ACrashedTrainerIsPeerLostNotAHang) {
  const Problems& p = Shared();
  Options o = SspOptions(SolverKind::kDisSvrg, 3, 2);
  o.faults = {Fault{Fault::Kind::kCrash, 2, 1.0, 3}};
  o.peer_timeout = 0.5;
  const auto t0 = std::chrono::steady_clock::now();
  const Result r = Solve(p.data, p.logistic, o);
  EXPECT_EQ(r.status, Status::kPeerLost) << r.message;
  EXPECT_NE(r.message.find("trainer 2 (rank 2) silent"), std::string::npos) << r.message;
  EXPECT_TRUE(r.IsSolutionUsable());
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 20.0);
}

// ---- block servers: nothing lost, nothing mixed ----

TEST(DisSvrgProtocol, StopsWithBlockServersLoseNoPush) {
  const Problems& p = Shared();
  std::atomic<bool> stop{false};
  Options o = SspOptions(SolverKind::kDisSvrg, 3, 2);
  o.ssp.servers = 3;
  o.faults = {Fault{Fault::Kind::kSlow, 3, 30.0}};
  o.stop = &stop;
  std::thread stopper([&stop] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    stop.store(true);
  });
  algorithms::SspAudit audit;
  const Result r = algorithms::RunDisSvrg(p.data, p.logistic, o, &audit);
  stopper.join();
  EXPECT_EQ(r.status, Status::kInterrupted);
  ASSERT_EQ(audit.block_absorbed.size(), 2u);
  for (const std::int64_t n : audit.block_absorbed) EXPECT_EQ(n, audit.pushes_sent);
  EXPECT_EQ(audit.pushes_absorbed, audit.pushes_sent);
  // The point handed back is one point: its objective, recomputed here, is the one reported.
  EXPECT_NEAR(r.objective, Objective(p.data, p.logistic, r.w), 1e-13 * std::fabs(r.objective));

  o.stop = nullptr;
  o.max_seconds = 0.15;
  const Result t = algorithms::RunDisSvrg(p.data, p.logistic, o, &audit);
  EXPECT_EQ(t.status, Status::kTimeLimit);
  for (const std::int64_t n : audit.block_absorbed) EXPECT_EQ(n, audit.pushes_sent);
  EXPECT_NEAR(t.objective, Objective(p.data, p.logistic, t.w), 1e-13 * std::fabs(t.objective));
}

TEST(DisSvrgProtocol, TheReportedObjectiveIsThatOfTheReturnedPointWithSeveralTrainersAndServers) {
  const Problems& p = Shared();
  Options o = SspOptions(SolverKind::kDisSvrg, 3, 1);
  o.ssp.servers = 2;
  o.max_epochs = 40;
  const Result r = Solve(p.data, p.squares, o);
  // The final point's objective is F(w) of the w handed back.
  EXPECT_NEAR(r.objective, Objective(p.data, p.squares, r.w), 1e-13 * std::fabs(r.objective));
  ASSERT_GE(r.trace.size(), 5u);
  for (std::size_t k = 1; k < r.trace.size(); ++k) {
    EXPECT_TRUE(std::isfinite(r.trace[k].objective));
  }
}

TEST(DisSvrgProtocol, AStalledBlockServerIsNamedWithinThePeerTimeout) {
  const Problems& p = Shared();
  Options o = SspOptions(SolverKind::kDisSvrg, 2, 2);
  o.ssp.servers = 2;
  o.peer_timeout = 0.5;
  o.faults = {Fault{Fault::Kind::kStall, 1, 1.0, 20, 5.0}};  // block server 1, past the timeout
  const auto t0 = std::chrono::steady_clock::now();
  const Result r = Solve(p.data, p.logistic, o);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(r.status, Status::kPeerLost) << r.message;
  EXPECT_NE(r.message.find("block server 1 (rank 1) silent"), std::string::npos) << r.message;
  EXPECT_EQ(r.message.find("trainer"), r.message.find("trainers, "))  // no trainer is blamed
      << r.message;
  EXPECT_TRUE(r.IsSolutionUsable());
  EXPECT_LT(seconds, 10.0);
}

// A block server that answers a snapshot at every trace point sends no
// heartbeat besides (its last message is recent): those answers must count
// as signs of life, or a run with frequent trace points would call it
// silent once peer_timeout of wall time has passed.
TEST(DisSvrgProtocol, ABlockServerAnsweringTracePointsIsNotSilent) {
  const Problems& p = Shared();
  Options o = SspOptions(SolverKind::kPetuumSgd, 2, 1);
  o.ssp.servers = 2;
  o.peer_timeout = 0.3;
  o.trace_every_epochs = 0.05;
  o.max_epochs = 1000000;
  o.max_seconds = 1.0;  // solver time; the wall time is longer (trace points)
  const auto t0 = std::chrono::steady_clock::now();
  const Result r = Solve(p.data, p.logistic, o);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(r.status, Status::kTimeLimit) << r.message;
  EXPECT_GT(wall, 3 * o.peer_timeout);
  EXPECT_GT(r.trace.size(), 20u);
}

// ---- options ----

TEST(DisSvrgSetup, RejectsWhatItCannotDo) {
  const Problems& p = Shared();
  Options o = SspOptions(SolverKind::kDisSvrg, 2, 1);
  EXPECT_THROW(Solve(p.data, Problem{Loss::kHinge, 0.0, 0.01}, o), Error);
  EXPECT_THROW(Solve(p.data, Problem{Loss::kLogistic, 0.01, 0.01}, o), Error);
  o.threads = 401;
  EXPECT_THROW(Solve(p.data, p.logistic, o), Error);
  o.threads = 2;
  o.faults = {Fault{Fault::Kind::kCrash, 0, 1.0, 3}};
  EXPECT_THROW(Solve(p.data, p.logistic, o), Error);
  o.ssp.servers = 2;  // a block server cannot crash either
  o.faults = {Fault{Fault::Kind::kCrash, 1, 1.0, 3}};
  EXPECT_THROW(Solve(p.data, p.logistic, o), Error);
  o.faults = {Fault{Fault::Kind::kSlow, 4, 2.0}};  // members 0..3 only
  EXPECT_THROW(Solve(p.data, p.logistic, o), Error);
  o.faults.clear();
  o.ssp.servers = 31;  // more servers than features
  EXPECT_THROW(Solve(p.data, p.logistic, o), Error);
  o.ssp.servers = 1;
  std::string why;
  o.ssp.staleness = 2.5;
  EXPECT_FALSE(o.IsValid(&why));
  EXPECT_NE(why.find("ssp.staleness = 2.5"), std::string::npos) << why;
  o.ssp.staleness = -1;
  EXPECT_FALSE(o.IsValid(&why));
  o.ssp.staleness = std::numeric_limits<double>::infinity();
  EXPECT_TRUE(o.IsValid(&why)) << why;
  o.ssp.servers = 0;
  EXPECT_FALSE(o.IsValid(&why));
}

}  // namespace
}  // namespace asyncopt
