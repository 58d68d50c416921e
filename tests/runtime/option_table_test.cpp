// The solver table and the option table are the one place solvers and
// option ranges are written: these tests hold every entry to that (a
// default inside its own range, a value just outside refused with the
// range's own text, every option used by some solver, every solver named
// once). The CLI's side is tests/cli/cli_options_test.cpp.
#include "core/option_table.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "asyncopt/error.hpp"
#include "asyncopt/solver.hpp"
#include "core/solver_table.hpp"

namespace asyncopt {
namespace {

using core::OptionSpec;

bool IsInt(const OptionSpec& s) { return std::holds_alternative<core::Field<int>>(s.access); }
bool IsReal(const OptionSpec& s) { return std::holds_alternative<core::Field<double>>(s.access); }

// Values just outside the option's range (none for a bound that is +inf and
// closed). Integers: one past each bound, when an int can hold it.
std::vector<double> JustOutside(const OptionSpec& s) {
  const core::Range& r = s.range;
  std::vector<double> out;
  if (IsInt(s)) {
    if (r.lo > std::numeric_limits<int>::min()) out.push_back(r.lo - 1);
    if (r.hi < std::numeric_limits<int>::max()) out.push_back(r.hi + 1);
    if (r.power_of_two) out.push_back(3);
    return out;
  }
  out.push_back(r.lo_open ? r.lo : std::nextafter(r.lo, -INFINITY));
  if (r.hi_open) out.push_back(r.hi);  // +inf itself when the range is "finite"
  if (std::isfinite(r.hi) && !r.hi_open) out.push_back(std::nextafter(r.hi, INFINITY));
  out.push_back(std::numeric_limits<double>::quiet_NaN());
  return out;
}

void Set(const OptionSpec& s, Options* o, double v) {
  if (IsInt(s)) {
    std::get<core::Field<int>>(s.access).ref(*o) = static_cast<int>(v);
  } else {
    std::get<core::Field<double>>(s.access).ref(*o) = v;
  }
}

TEST(OptionTable, KeysAreUniqueFlagNamesAndFieldsAreNamed) {
  std::set<std::string_view> keys, fields;
  for (const OptionSpec& s : core::OptionTable()) {
    EXPECT_TRUE(keys.insert(s.key).second) << s.key;
    EXPECT_TRUE(fields.insert(s.field).second) << s.field;
    ASSERT_FALSE(s.key.empty());
    for (char c : s.key)
      EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') << s.key;
    EXPECT_FALSE(s.help.empty()) << s.key;
    EXPECT_FALSE(s.group.empty()) << s.key;
    EXPECT_EQ(core::FindOption(s.key), &s);
  }
  EXPECT_EQ(core::FindOption("learning-rate"), nullptr);
}

TEST(OptionTable, EveryDefaultIsInItsOwnRangeAndReadsBack) {
  const Options defaults;
  std::string why;
  EXPECT_TRUE(defaults.IsValid(&why)) << why;
  for (const OptionSpec& s : core::OptionTable()) {
    EXPECT_EQ(core::CheckValue(s, defaults), std::nullopt) << s.key;
    // The default's text (what --help shows) parses back to the same value;
    // so does the CLI's own default.
    for (const std::string& text : {core::FormatValue(s, defaults), core::CliDefault(s)}) {
      Options o;
      ASSERT_TRUE(core::ParseValue(s, text, &o, &why)) << s.key << " = " << text << ": " << why;
      EXPECT_EQ(core::FormatValue(s, o), text) << s.key;
      EXPECT_TRUE(o.IsValid(&why)) << why;
    }
  }
}

TEST(OptionTable, NumericRangesAreWellFormed) {
  for (const OptionSpec& s : core::OptionTable()) {
    if (!IsInt(s) && !IsReal(s)) continue;
    const core::Range& r = s.range;
    EXPECT_LT(r.lo, r.hi) << s.key;
    EXPECT_TRUE(std::isfinite(r.lo)) << s.key;
    if (IsInt(s)) {
      EXPECT_FALSE(r.lo_open || r.hi_open) << s.key << ": integer ranges are closed";
      EXPECT_GE(r.lo, std::numeric_limits<int>::min()) << s.key;
      EXPECT_LE(r.hi, std::numeric_limits<int>::max()) << s.key;
      EXPECT_EQ(r.lo, std::floor(r.lo)) << s.key;
      EXPECT_EQ(r.hi, std::floor(r.hi)) << s.key;
    } else {
      EXPECT_FALSE(r.power_of_two) << s.key;
    }
  }
}

// IsValid refuses a value just outside every range and names the field, the
// value and the range's text, which is the text the CLI shows.
TEST(OptionTable, IsValidRefusesAValueJustOutsideEveryRangeWithItsText) {
  int checked = 0;
  for (const OptionSpec& s : core::OptionTable()) {
    if (!IsInt(s) && !IsReal(s)) continue;
    for (double v : JustOutside(s)) {
      Options o;
      Set(s, &o, v);
      std::string why;
      EXPECT_FALSE(o.IsValid(&why)) << s.key << " = " << v;
      EXPECT_EQ(why.rfind(std::string(s.field) + " = ", 0), 0u) << why;
      EXPECT_NE(why.find("must be " + core::AllowedText(s)), std::string::npos) << why;
      ++checked;
    }
  }
  EXPECT_GT(checked, 40);
}

TEST(OptionTable, IsValidAcceptsEveryClosedBound) {
  for (const OptionSpec& s : core::OptionTable()) {
    if (!IsInt(s) && !IsReal(s)) continue;
    for (double v : {s.range.lo, s.range.hi}) {
      const bool open = v == s.range.lo ? s.range.lo_open : s.range.hi_open;
      if (open) continue;
      Options o;
      Set(s, &o, v);
      std::string why;
      EXPECT_TRUE(o.IsValid(&why)) << s.key << " = " << v << ": " << why;
    }
  }
}

// The messages existing callers and tests rely on.
TEST(OptionTable, MessagesNameFieldValueAndRange) {
  Options o;
  o.threads = -1;
  std::string why;
  ASSERT_FALSE(o.IsValid(&why));
  EXPECT_EQ(why.rfind("threads = -1: must be an integer in [0, 1024]", 0), 0u) << why;
  o = Options{};
  o.distributed.mask_p = 1.5;
  ASSERT_FALSE(o.IsValid(&why));
  EXPECT_EQ(why, "distributed.mask_p = 1.5: must be a number in (0, 1]");
  o = Options{};
  o.async.lock_stripe = 6;
  ASSERT_FALSE(o.IsValid(&why));
  EXPECT_EQ(why, "async.lock_stripe = 6: must be a power of two in [1, 1048576]");
  o = Options{};
  o.step = std::numeric_limits<double>::infinity();
  ASSERT_FALSE(o.IsValid(&why));
  EXPECT_EQ(why, "step = inf: must be a finite number >= 0 (0 = the solver's default rule)");
  o = Options{};
  o.async.write = static_cast<WritePolicy>(7);
  ASSERT_FALSE(o.IsValid(&why));
  EXPECT_EQ(why, "async.write = unknown: must be wild | atomic | locked");
  o = Options{};
  o.faults = {Fault{Fault::Kind::kSlow, 1, 0.5}};
  ASSERT_FALSE(o.IsValid(&why));
  EXPECT_NE(why.find("faults[0] (slow:1:0.5): factor must be in [1, 1e9]"), std::string::npos)
      << why;
}

TEST(OptionTable, TextIsReadWholeAndRangeChecked) {
  const OptionSpec& batch = *core::FindOption("batch-size");
  Options o;
  std::string why;
  EXPECT_TRUE(core::ParseValue(batch, " +1e3 ", &o, &why)) << why;
  EXPECT_EQ(o.async.batch_size, 1000);
  for (const char* bad : {"2.5", "4097", "0", "", "12abc", "0x10", "nan"}) {
    EXPECT_FALSE(core::ParseValue(batch, bad, &o, &why)) << bad;
    EXPECT_EQ(why, "an integer in [1, 4096]");
    EXPECT_EQ(o.async.batch_size, 1000) << "a refused value leaves the field";
  }
  const OptionSpec& seconds = *core::FindOption("max-seconds");
  EXPECT_TRUE(core::ParseValue(seconds, "inf", &o, &why));
  EXPECT_TRUE(std::isinf(o.max_seconds));
  EXPECT_FALSE(core::ParseValue(seconds, "1e999", &o, &why))
      << "out of range is not rounded to inf";
  const OptionSpec& faults = *core::FindOption("fault");
  EXPECT_TRUE(core::ParseValue(faults, "slow:2:4, crash:3@100", &o, &why)) << why;
  EXPECT_EQ(core::FormatValue(faults, o), "slow:2:4, crash:3@100");
  EXPECT_FALSE(core::ParseValue(faults, "slow:2:4,", &o, &why));
  EXPECT_FALSE(core::ParseValue(faults, "slow:2:4,slow:2:5", &o, &why));
  EXPECT_NE(why.find("a second slow fault for member 2"), std::string::npos) << why;
  EXPECT_EQ(o.faults.size(), 2u);
  EXPECT_TRUE(core::ParseValue(faults, "none", &o, &why));
  EXPECT_TRUE(o.faults.empty());
}

TEST(OptionTable, EveryOptionIsUsedBySomeSolverAndConditionsNameRealValues) {
  for (const OptionSpec& s : core::OptionTable()) {
    int users = 0;
    for (const core::SolverSpec& solver : core::SolverTable()) {
      Options o;
      o.solver = solver.kind;
      const auto why = core::WhyUnused(s, o);
      if (!why || why->rfind("solver ", 0) != 0) ++users;
    }
    EXPECT_GT(users, 0) << s.key << " is used by no solver";
    if (s.users == core::Users::kListed) EXPECT_FALSE(s.solvers.empty()) << s.key;
    if (s.when_key.empty()) continue;
    const OptionSpec* condition = core::FindOption(s.when_key);
    ASSERT_NE(condition, nullptr) << s.key << ": when_key " << s.when_key;
    ASSERT_TRUE(std::holds_alternative<core::EnumField>(condition->access)) << s.key;
    const auto names = std::get<core::EnumField>(condition->access).names();
    ASSERT_FALSE(s.when_values.empty()) << s.key;
    for (std::string_view v : s.when_values) {
      EXPECT_NE(std::find(names.begin(), names.end(), v), names.end()) << s.key << ": " << v;
    }
  }
}

TEST(OptionTable, WhyUnusedNamesTheSolverOrTheCondition) {
  Options o;
  o.solver = SolverKind::kSvrg;
  EXPECT_EQ(core::WhyUnused(*core::FindOption("sparsifier"), o),
            "solver svrg does not use it (used by: hogwild, spars-ams)");
  o.solver = SolverKind::kReference;
  EXPECT_EQ(core::WhyUnused(*core::FindOption("seed"), o),
            "solver reference does not use it (used by: hogwild, svrg, soda, dave-pg, dissvrg, "
            "petuum-sgd, spars-ams, decentralized, gossip)");
  EXPECT_EQ(core::WhyUnused(*core::FindOption("max-epochs"), o), std::nullopt);
  o.solver = SolverKind::kHogwild;
  EXPECT_EQ(core::WhyUnused(*core::FindOption("lock-stripe"), o),
            "--write wild does not use it (used by: --write locked)");
  o.async.write = WritePolicy::kLocked;
  EXPECT_EQ(core::WhyUnused(*core::FindOption("lock-stripe"), o), std::nullopt);
  EXPECT_EQ(core::WhyUnused(*core::FindOption("rho"), o),
            "--sparsifier none does not use it (used by: --sparsifier uniform, gspar, gspar-exact, "
            "topk)");
}

TEST(OptionTable, OptionsInEffectAreThoseTheRunUses) {
  auto keys = [](const Options& o) {
    std::set<std::string_view> out;
    for (const auto& [key, value] : core::OptionsInEffect(o)) out.insert(key);
    return out;
  };
  Options o;  // reference
  EXPECT_TRUE(keys(o).count("max-epochs"));
  EXPECT_FALSE(keys(o).count("seed"));
  EXPECT_FALSE(keys(o).count("mask-p"));
  o.solver = SolverKind::kSoda;
  EXPECT_TRUE(keys(o).count("mask-p"));
  EXPECT_TRUE(keys(o).count("fault"));
  EXPECT_FALSE(keys(o).count("write"));
  o.solver = SolverKind::kDavePg;
  EXPECT_FALSE(keys(o).count("mask-p"));
}

TEST(SolverTable, EverySolverIsOneEntryWhoseNameRoundTrips) {
  std::set<SolverKind> kinds;
  std::set<std::string_view> names;
  for (const core::SolverSpec& s : core::SolverTable()) {
    EXPECT_TRUE(kinds.insert(s.kind).second);
    EXPECT_TRUE(names.insert(s.name).second) << s.name;
    EXPECT_FALSE(s.description.empty()) << s.name;
    EXPECT_NE(s.run, nullptr);
    EXPECT_NE(s.check, nullptr);
    EXPECT_NE(s.memory, nullptr);
    EXPECT_EQ(ToString(s.kind), s.name);
    SolverKind back;
    ASSERT_TRUE(Parse(s.name, &back));
    EXPECT_EQ(back, s.kind);
    EXPECT_EQ(&core::SolverFor(s.kind), &s);
  }
  EXPECT_EQ(AllNames(SolverKind{}).size(), core::SolverTable().size());
  EXPECT_EQ(core::SolverFor(SolverKind::kSoda).team, core::Team::kMasterWorkers);
  EXPECT_EQ(core::SolverFor(SolverKind::kReference).team, core::Team::kNone);
  EXPECT_THROW(core::SolverFor(static_cast<SolverKind>(99)), Error);
  EXPECT_EQ(core::FindSolver("sgd"), nullptr);
}

}  // namespace
}  // namespace asyncopt
