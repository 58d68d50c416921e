// The shared model's stripe locks (kLocked): shared and exclusive holds,
// waiting without burning a core, and the stripe runs of an index list;
// kWild's conflict sampler.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <thread>
#include <utility>
#include <vector>

#include "kernels/shared_vector.hpp"

namespace asyncopt::kernels {
namespace {

using namespace std::chrono_literals;

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// kWild's conflict look: the first update looks, then one in every N, and
// each conflict found counts N times.
TEST(ConflictSampler, LooksOnOneUpdateInNAndScalesTheCount) {
  for (std::int64_t every : {1, 2, 16}) {
    ConflictSampler s(every);
    std::vector<int> looked;
    for (int u = 0; u < 40; ++u) {
      if (s.Look()) looked.push_back(u);
    }
    ASSERT_FALSE(looked.empty());
    EXPECT_EQ(looked.front(), 0) << every;
    for (std::size_t k = 1; k < looked.size(); ++k) {
      EXPECT_EQ(looked[k] - looked[k - 1], every) << every;
    }
    EXPECT_EQ(static_cast<std::int64_t>(looked.size()), (40 + every - 1) / every);
    EXPECT_EQ(s.Scale(3), 3 * every);
    EXPECT_EQ(s.Scale(0), 0);
  }
}

TEST(StripedLocks, StripesCoverPowerOfTwoBlocks) {
  StripedLocks one(100);
  EXPECT_EQ(one.coords_per_stripe(), 1u);
  EXPECT_EQ(one.StripeOf(37), 37u);
  StripedLocks eight(100, 8);
  EXPECT_EQ(eight.coords_per_stripe(), 8u);
  EXPECT_EQ(eight.StripeOf(7), 0u);
  EXPECT_EQ(eight.StripeOf(8), 1u);
  EXPECT_EQ(eight.StripeOf(99), 12u);
  EXPECT_GT(eight.num_stripes(), eight.StripeOf(99));
  const StripedLocks none(100, 0);  // lock-free policies allocate no words
  EXPECT_EQ(none.num_stripes(), 0u);
}

TEST(StripedLocks, ReadersShareAStripeWithoutConflict) {
  StripedLocks locks(16);
  WorkerCounters c;
  locks.AcquireShared(3, c);
  locks.AcquireShared(3, c);
  EXPECT_EQ(locks.State(3) & StripedLocks::kReaders, 2u);
  locks.ReleaseShared(3);
  locks.ReleaseShared(3);
  EXPECT_EQ(locks.State(3), 0u);
  EXPECT_EQ(c.conflicts, 0);
  locks.AcquireExclusive(3, c);
  EXPECT_EQ(locks.State(3), StripedLocks::kWriter);
  locks.ReleaseExclusive(3);
  EXPECT_EQ(locks.State(3), 0u);
  EXPECT_EQ(c.conflicts, 0);
}

// A reader arriving while a writer holds the stripe waits for the release,
// counts a conflict, and sleeps in the kernel instead of spinning: its CPU
// time stays far below the wall time it waited.
TEST(StripedLocks, ReaderWaitsForWriterAsleep) {
  StripedLocks locks(4);
  WorkerCounters writer, reader;
  locks.AcquireExclusive(1, writer);
  std::atomic<bool> released{false}, entered{false};
  double cpu = 0.0;
  std::thread t([&] {
    const double c0 = ThreadCpuSeconds();
    locks.AcquireShared(1, reader);
    cpu = ThreadCpuSeconds() - c0;
    EXPECT_TRUE(released.load());  // never inside while the writer held it
    entered = true;
    locks.ReleaseShared(1);
  });
  std::this_thread::sleep_for(300ms);
  EXPECT_FALSE(entered.load());
  released = true;
  locks.ReleaseExclusive(1);
  t.join();
  EXPECT_TRUE(entered.load());
  EXPECT_EQ(reader.conflicts, 1);
  EXPECT_GE(reader.lock_waits, 1);
  EXPECT_LT(cpu, 0.1) << "a waiting reader burnt " << cpu << " s of CPU in 0.3 s";
  EXPECT_EQ(locks.State(1), 0u);
}

TEST(StripedLocks, WriterWaitsForEveryReader) {
  StripedLocks locks(4);
  WorkerCounters r, w;
  locks.AcquireShared(2, r);
  locks.AcquireShared(2, r);
  std::atomic<int> readers_left{2};
  std::atomic<bool> entered{false};
  std::thread t([&] {
    locks.AcquireExclusive(2, w);
    EXPECT_EQ(readers_left.load(), 0);
    entered = true;
    locks.ReleaseExclusive(2);
  });
  std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(entered.load());
  --readers_left;
  locks.ReleaseShared(2);
  std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(entered.load());  // one reader still holds it
  --readers_left;
  locks.ReleaseShared(2);
  t.join();
  EXPECT_TRUE(entered.load());
  EXPECT_EQ(w.conflicts, 1);
  EXPECT_EQ(locks.State(2), 0u);
}

// Exclusive holds exclude each other and readers: plain (non-atomic) data
// guarded by one stripe is updated without a lost increment, and readers
// never see the two halves of a write disagree. Under ThreadSanitizer a
// broken lock is also a reported data race.
TEST(StripedLocks, ExclusiveHoldsGuardPlainData) {
  StripedLocks locks(64, 8);
  std::int64_t a = 0, b = 0;  // guarded by stripe 0
  constexpr int kThreads = 4, kRounds = 20000;
  std::vector<WorkerCounters> counters(kThreads);
  std::atomic<int> torn{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < kThreads; ++t) {
    pool.emplace_back([&, t] {
      WorkerCounters& c = counters[static_cast<std::size_t>(t)];
      for (int i = 0; i < kRounds; ++i) {
        if (i % 2 == 0) {
          locks.AcquireExclusive(0, c);
          ++a;
          ++b;
          locks.ReleaseExclusive(0);
        } else {
          locks.AcquireShared(0, c);
          if (a != b) ++torn;
          locks.ReleaseShared(0);
        }
      }
    });
  }
  for (auto& th : pool) th.join();
  EXPECT_EQ(a, std::int64_t{kThreads} * kRounds / 2);
  EXPECT_EQ(b, a);
  EXPECT_EQ(torn.load(), 0);
  EXPECT_EQ(locks.State(0), 0u);
}

TEST(ForEachLockedRun, VisitsOneRunPerStripeHoldingIt) {
  SharedVector w(32, 4);
  const std::int32_t index[] = {0, 1, 2, 5, 9, 10, 11};
  WorkerCounters c;
  std::vector<std::pair<std::int32_t, std::int32_t>> runs;
  std::vector<std::uint32_t> seen_state;
  ForEachLockedRun<LockMode::kWrite>(w.locks(), index, 7, c, [&](std::int32_t k0, std::int32_t k1) {
    runs.emplace_back(k0, k1);
    seen_state.push_back(w.locks().State(w.locks().StripeOf(static_cast<std::size_t>(index[k0]))));
  });
  const std::vector<std::pair<std::int32_t, std::int32_t>> expected = {{0, 3}, {3, 4}, {4, 7}};
  EXPECT_EQ(runs, expected);
  for (std::uint32_t s : seen_state) EXPECT_EQ(s, StripedLocks::kWriter);
  ForEachLockedRun<LockMode::kRead>(w.locks(), index, 7, c, [&](std::int32_t k0, std::int32_t) {
    EXPECT_EQ(w.locks().State(w.locks().StripeOf(static_cast<std::size_t>(index[k0]))), 1u);
  });
  for (std::size_t s = 0; s < w.locks().num_stripes(); ++s) EXPECT_EQ(w.locks().State(s), 0u);
  EXPECT_EQ(c.conflicts, 0);
}

}  // namespace
}  // namespace asyncopt::kernels
