// The team every solver's threads run in (runtime/team.hpp): pinning that
// never touches the caller and never doubles up across runs, the segment
// schedule with the conductor on the calling thread, the trace pause, error
// propagation, the fault plan and silent members; and the run contract it
// carries through Solve (on_trace on the caller, TraceReply::kStop,
// threads = 0 inside a task arena).
#include <gtest/gtest.h>
#include <sched.h>

#include <tbb/task_arena.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <algorithm>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "asyncopt/error.hpp"
#include "asyncopt/solver.hpp"
#include "runtime/affinity.hpp"
#include "runtime/team.hpp"
#include "support/planted_data.hpp"

namespace asyncopt::runtime {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

Team::Config Config(int size, bool pin = false, std::vector<Fault> faults = {}) {
  Team::Config c;
  c.size = size;
  c.pin = pin;
  c.faults = std::move(faults);
  return c;
}

// Each member's CPU mask while it works, and whether the team pinned.
std::vector<std::vector<int>> MemberMasks(int size, bool pin, std::string* note = nullptr) {
  std::vector<std::vector<int>> masks(static_cast<std::size_t>(size));
  Team team(Config(size, pin));
  RunSegments(
      team, [&](Member& m, std::int64_t) { masks[static_cast<std::size_t>(m.index())] = AllowedCpus(); },
      [](std::int64_t) { return false; }, [] {});
  if (note != nullptr) *note = team.pin_note();
  return masks;
}

// With enough CPUs, member k runs on the k-th allowed CPU; oversubscribed,
// unasked or alone, no member is restricted. The caller is never touched.
TEST(Team, PinsMemberKToTheKthAllowedCpuAndNeverTheCaller) {
  const std::vector<int> cpus = AllowedCpus();
  ASSERT_FALSE(cpus.empty());
  const int n = static_cast<int>(cpus.size());
  if (n >= 2) {
    std::string note;
    const auto masks = MemberMasks(2, true, &note);
    EXPECT_EQ(masks[0], std::vector<int>{cpus[0]});
    EXPECT_EQ(masks[1], std::vector<int>{cpus[1]});
    EXPECT_EQ(note, "pinned");
  }
  EXPECT_EQ(AllowedCpus(), cpus);
  std::string note;
  for (const auto& mask : MemberMasks(n + 1, true, &note)) EXPECT_EQ(mask, cpus);
  EXPECT_NE(note.find("not pinned"), std::string::npos) << note;
  for (const auto& mask : MemberMasks(std::max(2, n), false)) EXPECT_EQ(mask, cpus);
  EXPECT_EQ(MemberMasks(1, true)[0], cpus);  // a lone member is never pinned
  EXPECT_EQ(AllowedCpus(), cpus);
}

// A lone member that hands over to its conductor (spars-ams's one worker)
// shares one CPU with it when asked (share_conductor_cpu, pinning or not):
// the member runs on it, the conductor too inside a ConductorScope, and the
// conductor's own mask is back after it. Unasked, or with another team
// holding every CPU, nothing is pinned.
TEST(Team, ALoneMemberSharesItsConductorsCpuOnlyWhenAsked) {
  const std::vector<int> cpus = AllowedCpus();
  ASSERT_FALSE(cpus.empty());
  Team::Config config = Config(1, false);
  config.share_conductor_cpu = true;
  std::vector<int> member_mask, conductor_mask;
  int cpu = -1;
  {
    Team team(config);
    cpu = team.conductor_cpu();
    ASSERT_GE(cpu, 0) << team.pin_note();
    EXPECT_NE(std::find(cpus.begin(), cpus.end(), cpu), cpus.end());
    EXPECT_NE(team.pin_note().find("shares CPU " + std::to_string(cpu)), std::string::npos) << team.pin_note();
    {
      Team::ConductorScope scope(team);
      conductor_mask = AllowedCpus();
      RunSegments(
          team, [&](Member&, std::int64_t) { member_mask = AllowedCpus(); }, [](std::int64_t) { return false; },
          [] {});
    }
    EXPECT_EQ(AllowedCpus(), cpus);
  }
  EXPECT_EQ(member_mask, std::vector<int>{cpu});
  EXPECT_EQ(conductor_mask, std::vector<int>{cpu});
  EXPECT_EQ(AllowedCpus(), cpus);

  config.share_conductor_cpu = false;  // not asked: nobody is pinned, pinning on or not
  config.pin = true;
  Team unasked(config);
  EXPECT_EQ(unasked.conductor_cpu(), -1);
  {
    Team::ConductorScope scope(unasked);
    EXPECT_EQ(AllowedCpus(), cpus);
  }
  config.share_conductor_cpu = true;  // every CPU held by another run: nothing to share
  Team holder(Config(static_cast<int>(cpus.size()), true));
  if (holder.pin_note() == "pinned") {
    Team crowded(config);
    EXPECT_EQ(crowded.conductor_cpu(), -1);
    EXPECT_NE(crowded.pin_note().find("not sharing a CPU"), std::string::npos) << crowded.pin_note();
  }
}

// Two teams alive at once (two concurrent Solve calls) never pin onto the
// same CPU: the second finds the first's CPUs taken and pins nothing.
TEST(Team, ConcurrentTeamsNeverShareAPinnedCpu) {
  const std::vector<int> cpus = AllowedCpus();
  if (cpus.size() < 2) GTEST_SKIP() << "needs 2 CPUs";
  const int size = static_cast<int>(cpus.size());
  Team first(Config(size, true));
  EXPECT_EQ(first.pin_note(), "pinned");
  Team second(Config(2, true));
  EXPECT_NE(second.pin_note().find("pinned by another run"), std::string::npos)
      << second.pin_note();
}

// With enough CPUs for both, two concurrent teams are both pinned, on
// disjoint CPUs (the second takes the first free ones).
TEST(Team, ConcurrentTeamsWithRoomAreBothPinnedApart) {
  const std::vector<int> cpus = AllowedCpus();
  if (cpus.size() < 4) GTEST_SKIP() << "needs 4 CPUs, has " << cpus.size();
  std::vector<int> first_cpus, second_cpus;
  Team first(Config(2, true));
  Team second(Config(2, true));
  EXPECT_EQ(first.pin_note(), "pinned");
  EXPECT_EQ(second.pin_note(), "pinned");
  std::mutex m;
  RunSegments(
      first, [&](Member&, std::int64_t) { std::lock_guard<std::mutex> l(m); first_cpus.push_back(AllowedCpus()[0]); },
      [](std::int64_t) { return false; }, [] {});
  RunSegments(
      second, [&](Member&, std::int64_t) { std::lock_guard<std::mutex> l(m); second_cpus.push_back(AllowedCpus()[0]); },
      [](std::int64_t) { return false; }, [] {});
  for (const int c : first_cpus) {
    EXPECT_EQ(std::count(second_cpus.begin(), second_cpus.end(), c), 0) << c;
  }
}

// The worker ranks of an MPI job on one host are one-member teams that
// share its CPUs: team i of n pins its member on the i-th allowed CPU when
// there are n of them, and pins nothing (saying why) when there are not;
// a host index outside [0, n) is refused.
TEST(Team, TeamsSharingAHostTakeTheirSliceOfItsCpus) {
  const std::vector<int> cpus = AllowedCpus();
  const int n = static_cast<int>(cpus.size());
  const auto mask_of = [](int index, int teams, std::string* note) {
    Team::Config c = Config(1, true);
    c.host_index = index;
    c.host_teams = teams;
    Team team(c);
    std::vector<int> mask;
    RunSegments(
        team, [&](Member&, std::int64_t) { mask = AllowedCpus(); }, [](std::int64_t) { return false; },
        [] {});
    *note = team.pin_note();
    return mask;
  };
  std::string note;
  if (n >= 2) {
    EXPECT_EQ(mask_of(0, 2, &note), std::vector<int>{cpus[0]});
    EXPECT_EQ(note, "pinned");
    EXPECT_EQ(mask_of(1, 2, &note), std::vector<int>{cpus[1]});
    EXPECT_EQ(note, "pinned");
  }
  EXPECT_EQ(mask_of(n, n + 1, &note), cpus);  // more teams than CPUs
  EXPECT_NE(note.find("not pinned: " + std::to_string(n + 1) + " threads on this host"),
            std::string::npos)
      << note;
  EXPECT_EQ(AllowedCpus(), cpus);
  Team::Config bad = Config(1, true);
  bad.host_index = 2;
  bad.host_teams = 2;
  EXPECT_THROW(Team team(bad), std::invalid_argument);
}

// between() runs on the calling thread while no member works; segments run
// in order; between's false ends the run after that segment.
TEST(Team, SegmentsMeetAtTheConductorOnTheCallingThread) {
  constexpr int kMembers = 3;
  Team team(Config(kMembers));
  std::atomic<int> working{0};
  std::atomic<int> work_calls{0};
  std::vector<std::int64_t> seen;
  bool quiet = true, on_caller = true;
  const auto caller = std::this_thread::get_id();
  RunSegments(
      team,
      [&](Member&, std::int64_t) {
        working.fetch_add(1);
        std::this_thread::sleep_for(milliseconds(1));
        work_calls.fetch_add(1);
        working.fetch_sub(1);
      },
      [&](std::int64_t segment) {
        quiet = quiet && working.load() == 0;
        on_caller = on_caller && std::this_thread::get_id() == caller;
        seen.push_back(segment);
        return segment < 4;
      },
      [] {});
  EXPECT_TRUE(quiet);
  EXPECT_TRUE(on_caller);
  EXPECT_EQ(seen, (std::vector<std::int64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(work_calls.load(), 5 * kMembers);
}

// A member's exception reaches the caller; the others stop; no hang.
TEST(Team, AMembersErrorStopsTheOthersAndReachesTheCaller) {
  Team team(Config(3));
  std::atomic<int> full_segments{0};  // segments worked to the end, without a stop
  auto work = [&](Member& m, std::int64_t segment) {
    if (m.index() == 1 && segment == 2) throw std::runtime_error("member 1 failed");
    for (int i = 0; i < 200 && !m.stop_requested(); ++i) std::this_thread::sleep_for(milliseconds(1));
    if (!m.stop_requested()) full_segments.fetch_add(1);
  };
  std::int64_t last_between = -1;
  try {
    RunSegments(team, work, [&](std::int64_t s) { last_between = s; return true; }, [] {});
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "member 1 failed");
  }
  // Segments 0 and 1 by all three; in segment 2 the others stopped short
  // (or did not start it).
  EXPECT_EQ(full_segments.load(), 6);
  EXPECT_EQ(last_between, 1);          // no between() after the failed segment
}

// The trace pause: while the gate is closed no member computes; they go on
// after Resume.
TEST(Team, PauseStopsEveryMemberUntilResume) {
  Team team(Config(2));
  std::atomic<std::int64_t> steps{0};
  team.Start([&](Member& m) {
    while (!m.stop_requested()) {
      m.WaitAtGate();
      steps.fetch_add(1);
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  std::this_thread::sleep_for(milliseconds(5));
  team.Pause();
  const std::int64_t paused_at = steps.load();
  std::this_thread::sleep_for(milliseconds(30));
  EXPECT_EQ(steps.load(), paused_at);
  team.Resume();
  for (int i = 0; i < 1000 && steps.load() == paused_at; ++i) std::this_thread::sleep_for(milliseconds(1));
  EXPECT_GT(steps.load(), paused_at);
  team.RequestStop();
  team.Join();
}

TEST(FaultPlan, ParsesTheThreeKindsAndRefusesTheRest) {
  Fault f;
  std::string why;
  ASSERT_TRUE(ParseFault("slow:2:4", &f, &why)) << why;
  EXPECT_EQ(f.kind, Fault::Kind::kSlow);
  EXPECT_EQ(f.member, 2);
  EXPECT_EQ(f.factor, 4.0);
  ASSERT_TRUE(ParseFault("stall:1@50:2.5", &f, &why)) << why;
  EXPECT_EQ(f.kind, Fault::Kind::kStall);
  EXPECT_EQ(f.member, 1);
  EXPECT_EQ(f.at_step, 50);
  EXPECT_EQ(f.seconds, 2.5);
  ASSERT_TRUE(ParseFault("crash:3@100", &f, &why)) << why;
  EXPECT_EQ(f.kind, Fault::Kind::kCrash);
  EXPECT_EQ(f.at_step, 100);
  EXPECT_EQ(ToString(f), "crash:3@100");
  for (const char* bad : {"slow", "slow:2", "slow:2:0.5", "slow:x:2", "slow:-1:2", "stall:1:2",
                          "stall:1@5", "stall:1@-5:1", "stall:1@5:1e9", "crash:1", "crash:1@2:3",
                          "freeze:1@2", "slow:2:4x", "crash:99999@1"}) {
    Fault g = f;
    why.clear();
    EXPECT_FALSE(ParseFault(bad, &g, &why)) << bad;
    EXPECT_NE(why.find(bad), std::string::npos) << why;  // names the text at fault
    EXPECT_EQ(g.member, f.member);                        // untouched
  }
  for (const char* text : {"slow:2:4", "stall:1@50:2.5", "crash:0@0"}) {
    ASSERT_TRUE(ParseFault(text, &f, &why));
    EXPECT_EQ(ToString(f), text);
  }
}

// A crashed member leaves; the others finish every segment's work.
TEST(FaultPlan, ACrashedMemberLeavesAndTheOthersGoOn) {
  Team team(Config(3, false, {Fault{Fault::Kind::kCrash, 1, 1.0, 3}}));
  std::vector<std::atomic<int>> segments_done(3);
  RunSegments(
      team,
      [&](Member& m, std::int64_t) {
        if (!m.AfterWork(1, SteadyClock::duration::zero())) return;
        segments_done[static_cast<std::size_t>(m.index())].fetch_add(1);
      },
      [](std::int64_t s) { return s < 9; }, [] {});
  EXPECT_EQ(segments_done[0].load(), 10);
  EXPECT_EQ(segments_done[1].load(), 2);  // steps 1 and 2; step 3 crashed
  EXPECT_EQ(segments_done[2].load(), 10);
  EXPECT_EQ(team.Crashed(), std::vector<int>{1});
  EXPECT_NE(team.Report().find("worker 1 crashed at step 3"), std::string::npos) << team.Report();
}

// A stalled member is silent: past peer_timeout the conductor names it and
// stops the run, which wakes the stall long before its end.
TEST(FaultPlan, AStallPastThePeerTimeoutIsNamedAndCutShort) {
  Team::Config c = Config(2, false, {Fault{Fault::Kind::kStall, 0, 1.0, 2, 600.0}});
  c.peer_timeout = 0.05;
  Team team(c);
  const auto t0 = SteadyClock::now();
  RunSegments(
      team, [&](Member& m, std::int64_t) { m.AfterWork(1, SteadyClock::duration::zero()); },
      [&](std::int64_t) { return team.Lost().empty(); }, [] {});
  const double seconds = std::chrono::duration<double>(SteadyClock::now() - t0).count();
  EXPECT_EQ(team.Lost(), std::vector<int>{0});
  EXPECT_LT(seconds, 60.0);  // the 600 s stall ended with the stop
  EXPECT_NE(team.Report().find("worker 0 silent for over 0.05 s"), std::string::npos) << team.Report();
}

// slow:M:F sleeps (F - 1) x the busy time it is given, at least.
TEST(FaultPlan, SlowSleepsTheFactorTimesTheBusyTime) {
  Team team(Config(1, false, {Fault{Fault::Kind::kSlow, 0, 5.0}}));
  double slept = 0.0;
  team.Start([&](Member& m) {
    const auto t0 = SteadyClock::now();
    m.AfterWork(1, milliseconds(10));
    slept = std::chrono::duration<double>(SteadyClock::now() - t0).count();
  });
  team.Join();
  EXPECT_GE(slept, 0.040);
}

// batch_scheduling: every member runs under SCHED_BATCH (or the team says
// why not); without it, members keep the policy of the thread that started
// them, and the caller's own policy never changes.
TEST(Team, BatchSchedulingIsTheMembersOwnAndOnlyWhenAsked) {
#ifndef SCHED_BATCH
  GTEST_SKIP() << "no SCHED_BATCH on this system";
#else
  const int caller_policy = sched_getscheduler(0);
  for (const bool batch : {true, false}) {
    SCOPED_TRACE(batch);
    Team::Config config = Config(3);
    config.batch_scheduling = batch;
    Team team(config);
    std::vector<int> policies(3, -2);
    team.Start([&](Member& m) { policies[static_cast<std::size_t>(m.index())] = sched_getscheduler(0); });
    team.Join();
    for (const int p : policies) {
      if (batch) {
        EXPECT_TRUE(p == SCHED_BATCH || !team.sched_note().empty()) << p;
      } else {
        EXPECT_EQ(p, caller_policy);
      }
    }
    if (batch && policies[0] == SCHED_BATCH) EXPECT_EQ(team.sched_note(), "");
    EXPECT_EQ(sched_getscheduler(0), caller_policy);
  }
#endif
}

// With a 1 ms quantum, steps shorter than it add up their debt: 0.1 ms
// steps at F = 5 owe 0.4 ms each, slept at every third step (1.2 ms), and
// over the run the member sleeps (F - 1) x its busy time, less what is still
// owed (under one quantum); long steps sleep at once. Without one (the
// default) every step sleeps its own debt.
TEST(FaultPlan, ShortStepsSleepTheirDebtInQuanta) {
  for (const double quantum : {1e-3, 0.0}) {
    SCOPED_TRACE(quantum);
    Team::Config config = Config(1, false, {Fault{Fault::Kind::kSlow, 0, 5.0}});
    config.slow_sleep_quantum = quantum;
    Team team(config);
    std::vector<double> sleeps;
    double long_step = 0.0;
    team.Start([&](Member& m) {
      for (int k = 0; k < 30; ++k) {
        sleeps.push_back(std::chrono::duration<double>(m.PlanAfterWork(1, microseconds(100)).sleep).count());
      }
      long_step = std::chrono::duration<double>(m.PlanAfterWork(1, milliseconds(2)).sleep).count();
    });
    team.Join();
    ASSERT_EQ(sleeps.size(), 30u);
    double total = 0.0;
    for (std::size_t k = 0; k < sleeps.size(); ++k) {
      SCOPED_TRACE(k);
      if (quantum == 0.0) {
        EXPECT_NEAR(sleeps[k], 0.4e-3, 1e-8);
      } else if (k % 3 == 2) {
        EXPECT_NEAR(sleeps[k], 1.2e-3, 1e-8);
      } else {
        EXPECT_EQ(sleeps[k], 0.0);
      }
      total += sleeps[k];
    }
    EXPECT_NEAR(total, 30 * 4 * 100e-6, 1e-7);  // 30 steps: all their debt paid
    EXPECT_NEAR(long_step, 8e-3, 1e-8);
  }
}

}  // namespace
}  // namespace asyncopt::runtime

namespace asyncopt {
namespace {

Options RunOptions(SolverKind solver, int threads) {
  Options o;
  o.solver = solver;
  o.threads = threads;
  o.max_epochs = 30;
  o.trace_every_epochs = 1.0;
  return o;
}

// Options::on_trace runs on the thread that called Solve, and kStop ends the
// run there with status interrupted and the weights of that point.
TEST(RunContract, OnTraceRunsOnTheCallerAndCanStopTheRun) {
  const Dataset data = testing::PlantedData(400, 30, 0.2, 3);
  Problem problem;
  problem.loss = Loss::kLogistic;
  problem.l2 = 1e-3;
  for (const SolverKind solver : {SolverKind::kHogwild, SolverKind::kSvrg, SolverKind::kSoda,
                                  SolverKind::kDavePg, SolverKind::kReference}) {
    SCOPED_TRACE(std::string(ToString(solver)));
    Options o = RunOptions(solver, 2);
    const auto caller = std::this_thread::get_id();
    int calls = 0;
    bool on_caller = true;
    o.on_trace = [&](const TracePoint&) {
      on_caller = on_caller && std::this_thread::get_id() == caller;
      return ++calls == 3 ? TraceReply::kStop : TraceReply::kContinue;
    };
    const Result r = Solve(data, problem, o);
    EXPECT_TRUE(on_caller);
    EXPECT_EQ(r.status, Status::kInterrupted) << r.BriefReport();
    ASSERT_TRUE(r.IsSolutionUsable());
    for (const double v : r.w) ASSERT_TRUE(std::isfinite(v));
    EXPECT_LE(r.trace.size(), 4u);  // the stop came at the third point (+ a final one)
  }
}

// threads = 0: what the enclosing arena allows.
TEST(RunContract, ZeroThreadsMeansTheEnclosingArena) {
  const Dataset data = testing::PlantedData(300, 20, 0.2, 4);
  Problem problem;
  problem.loss = Loss::kLogistic;
  problem.l2 = 1e-2;
  tbb::task_arena arena(1);
  arena.execute([&] {
    EXPECT_EQ(DefaultThreads(), 1);
    Options o = RunOptions(SolverKind::kHogwild, 0);
    o.max_epochs = 2;
    const Result r = Solve(data, problem, o);
    EXPECT_EQ(r.threads_used, 1);
  });
  EXPECT_EQ(DefaultThreads(), tbb::this_task_arena::max_concurrency());
  Options o = RunOptions(SolverKind::kHogwild, -1);
  std::string why;
  EXPECT_FALSE(o.IsValid(&why));
  EXPECT_NE(why.find("threads = -1"), std::string::npos) << why;
}

// Faults name members that exist, once per kind.
TEST(RunContract, FaultsMustNameExistingMembers) {
  const Dataset data = testing::PlantedData(100, 10, 0.3, 5);
  Problem problem;
  problem.loss = Loss::kLogistic;
  problem.l2 = 1e-2;
  Options o = RunOptions(SolverKind::kHogwild, 2);
  o.faults = {Fault{Fault::Kind::kSlow, 2, 2.0}};  // hogwild: members 0..1
  EXPECT_THROW(Solve(data, problem, o), Error);
  o.solver = SolverKind::kSoda;  // soda: 0 = master, 1..2 workers
  o.max_epochs = 2;
  EXPECT_NO_THROW(Solve(data, problem, o));
  o.faults.push_back(Fault{Fault::Kind::kSlow, 2, 3.0});
  std::string why;
  EXPECT_FALSE(o.IsValid(&why));
  EXPECT_NE(why.find("a second slow fault for member 2"), std::string::npos) << why;
}

}  // namespace
}  // namespace asyncopt
