// Worker pinning helpers: the calling thread's allowed CPUs, pinning it to
// one, and restoring its mask.
#include "runtime/affinity.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace asyncopt::runtime {
namespace {

TEST(Affinity, AllowedCpusAreKnownAndAscending) {
  const std::vector<int> cpus = AllowedCpus();
  ASSERT_FALSE(cpus.empty()) << "this Linux test machine reports no CPUs for the thread";
  EXPECT_TRUE(std::is_sorted(cpus.begin(), cpus.end()));
  EXPECT_TRUE(std::adjacent_find(cpus.begin(), cpus.end()) == cpus.end());
}

TEST(Affinity, ScopedAffinityRestoresTheMaskAfterPinning) {
  const std::vector<int> before = AllowedCpus();
  ASSERT_FALSE(before.empty());
  {
    ScopedAffinity restore;
    ASSERT_TRUE(PinCurrentThread(before.back()));
    EXPECT_EQ(AllowedCpus(), std::vector<int>{before.back()});
  }
  EXPECT_EQ(AllowedCpus(), before);
}

}  // namespace
}  // namespace asyncopt::runtime
