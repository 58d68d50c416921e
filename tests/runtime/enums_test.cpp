#include <gtest/gtest.h>

#include "asyncopt/solver.hpp"

namespace asyncopt {
namespace {

TEST(Enums, EverySolverNameRoundTrips) {
  for (const std::string& name : AllNames(SolverKind{})) {
    SolverKind k;
    ASSERT_TRUE(Parse(name, &k)) << name;
    EXPECT_EQ(ToString(k), name);
  }
}

TEST(Enums, EveryLossNameRoundTrips) {
  const auto names = AllNames(Loss{});
  EXPECT_EQ(names.size(), 4u);
  for (const std::string& name : names) {
    Loss l;
    ASSERT_TRUE(Parse(name, &l)) << name;
    EXPECT_EQ(ToString(l), name);
  }
}

TEST(Enums, EveryStatusNameRoundTrips) {
  for (Status s : {Status::kConverged, Status::kTargetReached, Status::kMaxEpochs,
                   Status::kTimeLimit, Status::kDiverged, Status::kInterrupted}) {
    Status back;
    ASSERT_TRUE(Parse(ToString(s), &back));
    EXPECT_EQ(back, s);
  }
}

TEST(Enums, UnknownNamesAreRejectedAndLeaveOutputUntouched) {
  Loss l = Loss::kSquared;
  EXPECT_FALSE(Parse("Logistic", &l));
  EXPECT_FALSE(Parse("", &l));
  EXPECT_EQ(l, Loss::kSquared);
}

}  // namespace
}  // namespace asyncopt
