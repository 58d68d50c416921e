// The asynchronous solvers' work split (src/algorithms/async_common.hpp):
// chunks claimed from a shared cursor cover a segment exactly once; the
// segment runner pins workers to CPUs only when asked and when there are
// enough, and gives the caller its mask back.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <thread>
#include <utility>
#include <vector>

#include "algorithms/async_common.hpp"

namespace asyncopt::algorithms {
namespace {

TEST(ChunkClaims, ChunksAreBatchMultiplesWithWorkForEveryWorker) {
  const ChunkClaims one(1, 1);
  EXPECT_EQ(one.ChunkFor(1000000), ChunkClaims::kMaxChunk);
  EXPECT_EQ(one.ChunkFor(64), 16);  // 4 chunks for the lone worker
  EXPECT_EQ(one.ChunkFor(2), 1);
  const ChunkClaims two(2, 1);
  EXPECT_EQ(two.ChunkFor(64), 8);  // 4 chunks per worker: small data runs both
  const ChunkClaims batched(2, 3);
  for (std::int64_t len : {1, 10, 100, 1000, 100000}) {
    const std::int64_t c = batched.ChunkFor(len);
    EXPECT_EQ(c % 3, 0) << len;
    EXPECT_GE(c, 3) << len;
    EXPECT_LE(c, ChunkClaims::kMaxChunk) << len;
  }
}

// One claimer walks [a, b) in order: the static split's sequence, so one
// worker's rows (and bits) do not depend on the chunking.
TEST(ChunkClaims, OneClaimerGetsTheSegmentInOrder) {
  ChunkClaims claims(1, 1);
  for (int segment = 0; segment < 2; ++segment) {
    std::int64_t expected = 100;
    int chunks = 0;
    for (auto c = claims.Claim(100, 5100); !c.empty(); c = claims.Claim(100, 5100)) {
      EXPECT_EQ(c.begin, expected);
      EXPECT_GT(c.end, c.begin);
      expected = c.end;
      ++chunks;
    }
    EXPECT_EQ(expected, 5100);
    EXPECT_EQ(chunks, 10);  // 5000 positions in chunks of 512
    EXPECT_TRUE(claims.Claim(100, 5100).empty());
    claims.Reset();  // the next segment starts over
  }
}

TEST(ChunkClaims, ConcurrentClaimersCoverEveryPositionOnce) {
  constexpr int kThreads = 4;
  constexpr std::int64_t a = 7, b = 20007;
  ChunkClaims claims(kThreads, 1);
  std::vector<std::atomic<int>> hits(static_cast<std::size_t>(b));
  std::vector<std::int64_t> taken(kThreads, 0);
  std::vector<std::thread> pool;
  for (int t = 0; t < kThreads; ++t) {
    pool.emplace_back([&, t] {
      for (auto c = claims.Claim(a, b); !c.empty(); c = claims.Claim(a, b)) {
        for (std::int64_t p = c.begin; p < c.end; ++p) {
          hits[static_cast<std::size_t>(p)].fetch_add(1, std::memory_order_relaxed);
        }
        taken[static_cast<std::size_t>(t)] += c.end - c.begin;
      }
    });
  }
  for (auto& th : pool) th.join();
  for (std::int64_t p = 0; p < b; ++p) {
    EXPECT_EQ(hits[static_cast<std::size_t>(p)].load(), p < a ? 0 : 1) << p;
  }
  std::int64_t total = 0;
  for (std::int64_t n : taken) total += n;
  EXPECT_EQ(total, b - a);
}

}  // namespace
}  // namespace asyncopt::algorithms
