// The engine's mailbox (ThreadTransport's inbox) and SODA's mask kernels.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <thread>
#include <vector>

#include "data/random.hpp"
#include "kernels/mailbox.hpp"
#include "kernels/mask.hpp"

namespace asyncopt::kernels {
namespace {

struct Node {
  Node* next = nullptr;
  int producer = 0;
  int seq = 0;
};

TEST(Mailbox, TakeAllReturnsArrivalOrder) {
  Mailbox<Node> box;
  EXPECT_EQ(box.TakeAll(), nullptr);
  Node a{nullptr, 0, 1}, b{nullptr, 0, 2}, c{nullptr, 0, 3};
  EXPECT_TRUE(box.Push(&a));   // was empty
  EXPECT_FALSE(box.Push(&b));  // was not
  box.Push(&c);
  std::vector<int> order;
  for (Node* n = box.TakeAll(); n != nullptr; n = n->next) order.push_back(n->seq);
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  EXPECT_TRUE(box.Empty());
}

// Four producers each push 20000 nodes as fast as they can while the
// consumer takes them in batches: every node arrives exactly once and each
// producer's in order; an empty mailbox blocks the consumer, never spins.
TEST(Mailbox, ManyProducersLoseNothing) {
  constexpr int kProducers = 4;
  constexpr int kMessages = 20000;
  Mailbox<Node> box;
  std::vector<std::vector<Node>> nodes(kProducers, std::vector<Node>(kMessages));
  std::vector<int> last_seen(kProducers, 0);
  {
    std::vector<std::jthread> producers;
    for (int p = 0; p < kProducers; ++p) {
      producers.emplace_back([&, p] {
        for (int k = 1; k <= kMessages; ++k) {
          Node& n = nodes[static_cast<std::size_t>(p)][static_cast<std::size_t>(k - 1)];
          n.producer = p;
          n.seq = k;
          box.Push(&n);
        }
      });
    }
    int received = 0;
    while (received < kProducers * kMessages) {
      Node* list = box.TakeAll();
      if (list == nullptr) {
        box.WaitNonEmptyFor(std::chrono::seconds(1));
        continue;
      }
      for (Node* n = list; n != nullptr; n = n->next) {
        const auto p = static_cast<std::size_t>(n->producer);
        EXPECT_EQ(n->seq, last_seen[p] + 1);
        last_seen[p] = n->seq;
        ++received;
      }
    }
  }
  for (const int s : last_seen) EXPECT_EQ(s, kMessages);
}

// A consumer waiting for k nodes sleeps through the first k - 1 and is
// woken by the k-th: it returns false at the deadline with fewer, true as
// soon as the k-th is pushed (long before a 30 s deadline).
TEST(Mailbox, WaitForCountWakesAtTheCountNotBefore) {
  Mailbox<Node> box;
  Node a, b, c;
  box.Push(&a);
  EXPECT_TRUE(box.WaitForCount(std::chrono::milliseconds(0), 1));
  EXPECT_FALSE(box.WaitForCount(std::chrono::milliseconds(20), 2));  // one is there, two asked
  std::atomic<bool> pushed_third{false};
  std::jthread producer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    box.Push(&b);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    pushed_third.store(true);
    box.Push(&c);
  });
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(box.WaitForCount(std::chrono::seconds(30), 3));
  EXPECT_TRUE(pushed_third.load());  // not woken by b
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
  int n = 0;
  for (Node* p = box.TakeAll(); p != nullptr; p = p->next) ++n;
  EXPECT_EQ(n, 3);
  // Counts start again from what was taken: one more is one, not four.
  EXPECT_FALSE(box.WaitForCount(std::chrono::milliseconds(0), 1));
  producer.join();
}

// Producers race the consumer's takes and waits: every wait for a count
// that the producers will reach returns true well before its 10 s
// deadline (a lost wake-up would sleep it out), and nothing is lost.
TEST(Mailbox, WaitForCountLosesNoWakeUpUnderRaces) {
  constexpr int kProducers = 3;
  constexpr int kMessages = 20000;
  Mailbox<Node> box;
  std::vector<std::vector<Node>> nodes(kProducers, std::vector<Node>(kMessages));
  int received = 0;
  int timed_out = 0;
  {
    std::vector<std::jthread> producers;
    for (int p = 0; p < kProducers; ++p) {
      producers.emplace_back([&, p] {
        for (int k = 0; k < kMessages; ++k) {
          if (k % 64 == 0) std::this_thread::yield();
          box.Push(&nodes[static_cast<std::size_t>(p)][static_cast<std::size_t>(k)]);
        }
      });
    }
    std::uint64_t want = 1;
    while (received < kProducers * kMessages) {
      // Never more than will still come, so every wait can be satisfied.
      const auto left = static_cast<std::uint64_t>(kProducers * kMessages - received);
      const auto t0 = std::chrono::steady_clock::now();
      if (!box.WaitForCount(std::chrono::seconds(10), std::min(want, left))) ++timed_out;
      EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
      for (Node* n = box.TakeAll(); n != nullptr; n = n->next) ++received;
      want = want % 7 + 1;
    }
  }
  EXPECT_EQ(received, kProducers * kMessages);
  EXPECT_EQ(timed_out, 0);
}

TEST(SupportSet, TracksInsertionsAndRemovals) {
  SupportSet s(10);
  s.Set(3, true);
  s.Set(7, true);
  s.Set(3, true);  // no duplicate
  EXPECT_EQ(s.size(), 2u);
  EXPECT_TRUE(s.Contains(7));
  s.Set(3, false);
  EXPECT_FALSE(s.Contains(3));
  EXPECT_EQ(s.members(), (std::vector<std::int32_t>{7}));
  s.Set(5, false);  // removing an absent index is a no-op
  EXPECT_EQ(s.size(), 1u);
  s.Clear();
  EXPECT_EQ(s.size(), 0u);
  EXPECT_FALSE(s.Contains(7));
}

TEST(GeometricSkips, FullProbabilityVisitsEveryCoordinateInOrder) {
  data::Rng rng(1);
  std::vector<std::int32_t> seen;
  GeometricSkips(5, 1.0, rng, [&](std::int32_t j) { seen.push_back(j); });
  EXPECT_EQ(seen, (std::vector<std::int32_t>{0, 1, 2, 3, 4}));
}

// Each coordinate must be chosen with probability p, independently of its
// position: per-coordinate frequencies over many draws within 5 standard
// errors, increasing order, no repeats.
TEST(GeometricSkips, EveryCoordinateIsChosenWithProbabilityP) {
  constexpr std::int32_t kD = 200;
  constexpr int kDraws = 20000;
  for (const double p : {0.01, 0.1, 0.5}) {
    data::Rng rng(42);
    std::vector<int> count(kD, 0);
    for (int t = 0; t < kDraws; ++t) {
      std::int32_t previous = -1;
      GeometricSkips(kD, p, rng, [&](std::int32_t j) {
        ASSERT_GT(j, previous);
        ASSERT_LT(j, kD);
        previous = j;
        ++count[static_cast<std::size_t>(j)];
      });
    }
    const double se = std::sqrt(p * (1.0 - p) / kDraws);
    double total = 0.0;
    for (std::int32_t j = 0; j < kD; ++j) {
      const double freq = static_cast<double>(count[static_cast<std::size_t>(j)]) / kDraws;
      EXPECT_NEAR(freq, p, 5.0 * se) << "p " << p << " coordinate " << j;
      total += freq;
    }
    EXPECT_NEAR(total / kD, p, 5.0 * se / std::sqrt(static_cast<double>(kD)));
  }
}

TEST(GeometricSkips, ZeroProbabilityChoosesNothing) {
  data::Rng rng(3);
  int n = 0;
  GeometricSkips(1000, 0.0, rng, [&](std::int32_t) { ++n; });
  GeometricSkips(1000, 1e-300, rng, [&](std::int32_t) { ++n; });
  EXPECT_EQ(n, 0);
}

// The master waits for messages with a deadline, so it can act on a stop
// request or a time limit while every worker sleeps: an empty mailbox
// returns false once the timeout has passed, a push wakes a waiter early.
TEST(Mailbox, WaitEndsAtItsTimeoutOrAtAPush) {
  Mailbox<Node> box;
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(box.WaitNonEmptyFor(std::chrono::milliseconds(30)));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(30));
  Node n;
  std::thread producer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    box.Push(&n);
  });
  // Generous timeout: a lost wake-up would show as a wait of the full minute.
  const auto t1 = std::chrono::steady_clock::now();
  EXPECT_TRUE(box.WaitNonEmptyFor(std::chrono::seconds(60)));
  EXPECT_LT(std::chrono::steady_clock::now() - t1, std::chrono::seconds(30));
  producer.join();
  EXPECT_EQ(box.TakeAll(), &n);
}

}  // namespace
}  // namespace asyncopt::kernels
