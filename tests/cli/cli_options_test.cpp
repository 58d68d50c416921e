// The CLI's solver options are the option table's: every entry is a flag
// in `asyncopt train --help` with its default and range, is read from the
// command line and from a config file, and a value just outside its range
// is refused with the text Options::IsValid uses. No test here names an
// option: a new entry is held to all of it as it is added.
#include <gtest/gtest.h>

#include <bit>
#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "cli/args.hpp"
#include "cli/options.hpp"
#include "core/option_table.hpp"
#include "support/temp_dir.hpp"

namespace asyncopt::cli {
namespace {

using core::OptionSpec;

std::string Text(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[40];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

std::string IntText(double v) { return std::to_string(static_cast<std::int64_t>(v)); }

template <class T>
bool Is(const OptionSpec& s) {
  return std::holds_alternative<T>(s.access);
}

// Values the option refuses: just outside each numeric bound, and text of
// the wrong kind.
std::vector<std::string> Refused(const OptionSpec& s) {
  const core::Range& r = s.range;
  if (Is<core::Field<int>>(s)) {
    std::vector<std::string> out{IntText(r.lo - 1), IntText(r.hi + 1), "1.5", "many"};
    if (r.power_of_two) out.push_back("3");
    return out;
  }
  if (Is<core::Field<double>>(s)) {
    std::vector<std::string> out{Text(r.lo_open ? r.lo : std::nextafter(r.lo, -INFINITY)), "nan",
                                 "x"};
    if (r.hi_open) out.push_back(Text(r.hi));
    if (std::isfinite(r.hi) && !r.hi_open) out.push_back(Text(std::nextafter(r.hi, INFINITY)));
    return out;
  }
  if (Is<core::Field<std::uint64_t>>(s)) return {"-1", "18446744073709551616", "1e3"};
  if (Is<core::Field<bool>>(s)) return {"maybe", "2"};
  if (Is<core::EnumField>(s)) return {"bogus", "Wild"};
  return {"slow:1", "slow:1:2,", "slow:1:2,slow:1:3"};  // a fault list
}

// A value the option accepts that is not its CLI default, as FormatValue
// writes it.
std::string Accepted(const OptionSpec& s) {
  const std::string def = core::CliDefault(s);
  const core::Range& r = s.range;
  if (Is<core::Field<int>>(s)) {
    // (threads = 0 reads back as the machine's thread count: tried last.)
    for (double v : {r.lo + 1, r.lo + 2, r.lo, r.lo * 4}) {
      if (v <= r.hi && IntText(v) != def &&
          (!r.power_of_two || std::has_single_bit(static_cast<unsigned>(v)))) {
        return IntText(v);
      }
    }
  }
  if (Is<core::Field<double>>(s)) {
    if (!r.lo_open && Text(r.lo) != def) return Text(r.lo);
    if (std::isfinite(r.hi) && !r.hi_open && Text(r.hi) != def) return Text(r.hi);
    return Text(r.lo + 0.5);
  }
  if (Is<core::Field<std::uint64_t>>(s)) return def == "12345" ? "54321" : "12345";
  if (Is<core::Field<bool>>(s)) return def == "true" ? "false" : "true";
  if (Is<core::EnumField>(s)) {
    for (const std::string& name : std::get<core::EnumField>(s.access).names()) {
      if (name != def) return name;
    }
  }
  if (Is<core::Field<std::vector<Fault>>>(s)) return "slow:0:2, crash:1@3";
  ADD_FAILURE() << s.key << ": no accepted value found";
  return def;
}

po::options_description Train() {
  po::options_description desc("train");
  DescribeTrain(desc);
  return desc;
}

// The options of `train` given on the command line.
Options Read(const std::vector<std::string>& argv) {
  const Args a(argv, Train());
  return ReadSolverOptions(a, ThreadsOf(a));
}

std::string Collapsed(const std::string& text) {
  std::string out;
  for (char c : text) {
    const bool blank = c == ' ' || c == '\n';
    if (blank && (out.empty() || out.back() == ' ')) continue;
    out += blank ? ' ' : c;
  }
  return out;
}

TEST(CliOptions, EveryTableOptionIsInTrainHelpWithItsDefaultAndRange) {
  std::ostringstream out;
  out << Train();
  const std::string help = out.str();
  const std::string flat = Collapsed(help);
  for (const OptionSpec& s : core::OptionTable()) {
    const std::string flag = "--" + std::string(s.key) + " ";
    const auto at = help.find(flag);
    ASSERT_NE(at, std::string::npos) << s.key << " is not in train --help";
    const std::string line = help.substr(at, help.find('\n', at) - at);
    EXPECT_NE(line.find(" (=" + core::CliDefault(s) + ")"), std::string::npos) << line;
    EXPECT_NE(flat.find(Collapsed(core::AllowedText(s))), std::string::npos) << s.key;
  }
}

TEST(CliOptions, EveryTableOptionIsReadFromTheCommandLineAndAConfigFile) {
  testing::TempDir dir;
  for (const OptionSpec& s : core::OptionTable()) {
    const std::string key(s.key), value = Accepted(s);
    const std::string config = dir.File(key + ".ini");
    std::ofstream(config) << "# one option\n" << key << " = " << value << "\n";
    for (const auto& argv : {std::vector<std::string>{"--" + key, value},
                             std::vector<std::string>{"--config", config}}) {
      Options o;
      ASSERT_NO_THROW(o = Read(argv)) << key << " = " << value;
      EXPECT_EQ(core::FormatValue(s, o), value) << key << " from " << argv[0];
    }
  }
}

// The CLI refuses what IsValid refuses, with the same range text, naming
// the key, the value and where it came from.
TEST(CliOptions, AValueOutsideTheRangeIsRefusedWithTheTableText) {
  testing::TempDir dir;
  for (const OptionSpec& s : core::OptionTable()) {
    const std::string key(s.key);
    for (const std::string& bad : Refused(s)) {
      const std::string config = dir.File("bad.ini");
      std::ofstream(config) << "\n" << key << " = " << bad << "\n";
      for (const auto& argv : {std::vector<std::string>{"--" + key + "=" + bad},
                               std::vector<std::string>{"--config", config}}) {
        const std::string origin = argv[0] == "--config" ? config + ":2" : "command line";
        try {
          Read(argv);
          ADD_FAILURE() << key << " = '" << bad << "' accepted";
        } catch (const UsageError& e) {
          const std::string what = e.what();
          if (core::IsList(s)) {
            EXPECT_EQ(what.rfind("--" + key + ": ", 0), 0u) << what;
          } else {
            EXPECT_EQ(what, "invalid value for '" + key + "': '" + Printable(bad) +
                                "' (allowed: " + core::AllowedText(s) + ") [" + origin + "]");
          }
          EXPECT_NE(what.find("[" + origin + "]"), std::string::npos) << what;
        }
      }
    }
  }
}

TEST(CliOptions, AFaultListIsRepeatableOnTheCommandLine) {
  const Options o = Read({"--solver", "soda", "--fault", "slow:1:2", "--fault=crash:2@5"});
  ASSERT_EQ(o.faults.size(), 2u);
  EXPECT_EQ(core::FormatValue(*core::FindOption("fault"), o), "slow:1:2, crash:2@5");
}

TEST(CliOptions, UnusedOptionsAreNamedWithTheTableReason) {
  EXPECT_EQ(WhyUnused("mask-p", Read({"--solver", "dave-pg"})),
            "solver dave-pg does not use it (used by: soda)");
  EXPECT_EQ(WhyUnused("l2", Read({"--solver", "dave-pg"})), std::nullopt) << "not a solver option";
  const Args a({"--solver", "hogwild", "--lock-stripe", "4"}, Train());
  try {
    RefuseUnusedOptions(a, ReadSolverOptions(a, 1));
    ADD_FAILURE() << "--lock-stripe with --write wild accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("'--lock-stripe' has no effect here: --write wild"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace asyncopt::cli
