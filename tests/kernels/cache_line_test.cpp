// LineAllocator: every block starts on a cache line and is padded to whole
// lines, so two per-thread buffers never share a line.
#include "kernels/cache_line.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <new>
#include <vector>

namespace asyncopt::kernels {
namespace {

std::uintptr_t Address(const void* p) { return reinterpret_cast<std::uintptr_t>(p); }

TEST(LineAllocator, BlocksStartOnALineAndArePaddedToWholeLines) {
  for (std::size_t n : {1u, 3u, 7u, 8u, 9u, 40u, 1000u}) {
    LineVector<double> v(n, 1.0);
    EXPECT_EQ(Address(v.data()) % kCacheLine, 0u) << n;
    const std::size_t bytes = LineAllocator<double>::Bytes(n);
    EXPECT_EQ(bytes % kCacheLine, 0u) << n;
    EXPECT_GE(bytes, n * sizeof(double)) << n;
    EXPECT_LT(bytes, n * sizeof(double) + kCacheLine) << n;
  }
  EXPECT_EQ(LineAllocator<std::int32_t>::Bytes(0), kCacheLine);
}

TEST(LineAllocator, SmallNeighboursNeverShareALine) {
  // Many small buffers allocated in a row: a plain heap packs them 16 bytes
  // apart, several to a line. Here each one's lines are its own.
  std::vector<LineVector<std::int32_t>> buffers;
  for (int i = 0; i < 64; ++i) buffers.emplace_back(3, i);
  for (std::size_t a = 0; a < buffers.size(); ++a) {
    const std::uintptr_t first = Address(buffers[a].data()) / kCacheLine;
    const std::uintptr_t last = (Address(buffers[a].data() + 3) - 1) / kCacheLine;
    for (std::size_t b = 0; b < buffers.size(); ++b) {
      if (a == b) continue;
      const std::uintptr_t other = Address(buffers[b].data()) / kCacheLine;
      EXPECT_TRUE(other < first || other > last) << a << " and " << b << " share a line";
    }
    EXPECT_EQ(buffers[a][2], static_cast<std::int32_t>(a));  // contents intact
  }
}

TEST(LineAllocator, RejectsAnOverflowingSize) {
  LineAllocator<double> alloc;
  EXPECT_THROW((void)alloc.allocate(std::numeric_limits<std::size_t>::max() / 4),
               std::bad_array_new_length);
}

}  // namespace
}  // namespace asyncopt::kernels
