// The solver options, one entry each: the one place their ranges live.
//
// An entry names an Options field and says everything else about it: its key
// (the CLI flag, the config-file key and the summary key), its help group and
// text, its type, range and default (the library's, read from Options{}),
// and which solvers use it, under which condition ("--write locked"). From
// the table come Options::IsValid, the CLI's solver flags, their --help text,
// their parsing and range messages, the refusal of options a run does not
// use, and the summary's record of the options in effect.
//
// Adding an option: its field in include/asyncopt/solver.hpp (documented
// there) and one entry in kOptions (option_table.cpp). Nothing else.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "asyncopt/solver.hpp"

namespace asyncopt::core {

// ---- value types: an accessor to the Options field, by type ----

template <class T>
struct Field {
  T& (*ref)(Options&);
  const T& (*get)(const Options&);
};

// An enum field, through its name table (enums.cpp).
struct EnumField {
  std::string (*get)(const Options&);
  bool (*set)(Options&, std::string_view);  // false for an unknown name
  std::vector<std::string> (*names)();
};

using FieldAccess = std::variant<Field<double>, Field<int>, Field<std::uint64_t>, Field<bool>,
                                 EnumField, Field<std::vector<Fault>>>;

// The values a numeric option may take. Integers: [lo, hi] (closed, finite
// bounds within int). Reals: lo and hi open or closed; hi = inf open means
// finite, closed means inf allowed.
struct Range {
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();
  bool lo_open = false;
  bool hi_open = false;
  bool power_of_two = false;   // integers only
  bool integral = false;       // reals: whole numbers only (inf allowed when hi is)
  std::string_view note = {};  // appended in parentheses: "0 = the solver's default rule"
};

// Which solvers read an option.
enum class Users {
  kEverySolver,
  kTeamSolvers,  // every solver that runs a team of threads (SolverSpec::team != kNone)
  kListed,       // OptionSpec::solvers
};

struct OptionSpec {
  std::string_view key;    // CLI flag (without --), config-file key, summary key
  std::string_view field;  // the Options member, as IsValid's messages name it
  std::string_view group;  // --help group
  std::string help;        // one line; the range and the users are appended in --help
  FieldAccess access;
  Range range = {};  // numeric types
  Users users = Users::kEverySolver;
  std::vector<SolverKind> solvers = {};  // Users::kListed
  // Used only when option `when_key` (an enum option) has one of these values.
  std::string_view when_key = {};
  std::vector<std::string_view> when_values = {};
  // The CLI's default when it is not the library's (pin-workers: the CLI
  // pins, a library must not unasked); its help says so.
  std::string_view cli_default = {};
};

// Every solver option, in --help order.
std::span<const OptionSpec> OptionTable();
// nullptr when `key` is no solver option.
const OptionSpec* FindOption(std::string_view key);

// What the option accepts, as messages state it: "an integer in [1, 4096]",
// "a number in (0, 1]", "a finite number >= 0 (0 = the solver's default
// rule)", "wild | atomic | locked", "true | false".
std::string AllowedText(const OptionSpec& spec);
// The field's value as text that parses back to it: "0.1", "inf", "true",
// "wild", "slow:1:2, crash:3@100" ("none" for no fault).
std::string FormatValue(const OptionSpec& spec, const Options& options);
// The default the CLI shows and uses (the library's unless cli_default).
std::string CliDefault(const OptionSpec& spec);
// Reads `text` into the field. False, the field untouched and *error set
// when the text is no value of the option's type and range: AllowedText for
// every type but the fault list, whose error names the fault at fault.
bool ParseValue(const OptionSpec& spec, std::string_view text, Options* options,
                std::string* error);
// Repeatable on the command line, comma-separated in a config file.
bool IsList(const OptionSpec& spec);
// IsValid's verdict on this field: "field = value: must be ALLOWED", or
// nothing when the value is in range.
std::optional<std::string> CheckValue(const OptionSpec& spec, const Options& options);

// The solver names that use the option ("hogwild, svrg"), for messages.
std::string UsersText(const OptionSpec& spec);
// The condition under which the option is used ("--write locked",
// "--sparsifier uniform, gspar"), or "" when it has none.
std::string ConditionText(const OptionSpec& spec);
// Why the option has no effect on a run with these options ("solver svrg
// does not use it (used by: hogwild)", "--write wild does not use it (used
// by: --write locked)"), or nothing when it has one.
std::optional<std::string> WhyUnused(const OptionSpec& spec, const Options& options);
// The options that take effect in a run with these options, each with its
// value (FormatValue), in table order: the summary's record.
std::vector<std::pair<std::string_view, std::string>> OptionsInEffect(const Options& options);

// The text readers every option uses (the CLI's other options too): the
// whole of `text` (surrounding blanks and one leading '+' allowed) or
// nothing.
std::optional<std::int64_t> ParseInteger(std::string_view text);  // also 1e6, 2.5e3
std::optional<std::uint64_t> ParseUInt64(std::string_view text);  // no sign, no exponent
std::optional<double> ParseReal(std::string_view text);           // not NaN; inf allowed
std::optional<bool> ParseBool(std::string_view text);             // true|false|1|0|yes|no|on|off

}  // namespace asyncopt::core
