// Command-line + INI option handling: the only place that knows
// Boost.Program_options. Every option can come from `--config FILE` with the
// same key; the command line overrides the file.
//
// Options are declared as text (po::value<std::string>) and converted here,
// so every bad value gets the same message whatever its type: the key, the
// value as given (non-printable bytes escaped), the allowed range and where
// it came from ("command line" or "FILE:LINE"), e.g.
//   invalid value for 'seed': '-1' (allowed: an integer in [0, 18446744073709551615]) [command line]
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

namespace asyncopt::cli {

namespace po = boost::program_options;

// Bad usage: exit code 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct IniEntry {
  std::string key;
  std::string value;
  int line = 0;
};

// key = value lines; '#' or ';' start a comment line; blank lines ignored; a
// UTF-8 byte-order mark at the start is skipped. Throws UsageError naming
// FILE:LINE for anything else: a directory, a binary file (a byte that
// never occurs in text), a section header, a line without '=', a key given
// twice (both lines named).
std::vector<IniEntry> ReadIni(const std::string& path);

// `text` as it can be shown in a message: bytes that are not printable ASCII
// or valid UTF-8 are written as \xNN; text longer than `max_bytes` is cut
// (user values echoed in messages; whole messages pass a larger limit).
std::string Printable(const std::string& text, std::size_t max_bytes = 200);

// An interval of real numbers for Args::Real; `text` is how messages state it.
struct RealRange {
  double lo;
  double hi;
  bool lo_open;
  bool hi_open;
  std::string text;  // e.g. "a number > 0", "(0, 1]"
};

class Args {
 public:
  // Parses argv (after the subcommand) and, if --config is given, the file.
  Args(const std::vector<std::string>& argv, const po::options_description& desc);

  // Given by the user (command line or config file), not a default.
  bool Has(const std::string& key) const { return origin_.count(key) > 0; }
  bool FromCommandLine(const std::string& key) const;
  // "command line", "FILE:LINE" or "default".
  std::string Origin(const std::string& key) const;

  std::string Str(const std::string& key) const;
  // true | false (also 1/0, yes/no, on/off).
  bool Bool(const std::string& key) const;
  // An integer in [lo, hi]; integral values in exponent form (1e6) accepted.
  std::int64_t Int(const std::string& key, std::int64_t lo, std::int64_t hi) const;
  std::uint64_t UInt64(const std::string& key) const;  // [0, 2^64 - 1]
  double Real(const std::string& key, const RealRange& range) const;

  // Throws UsageError: "invalid value for 'KEY': 'RAW' (allowed: ALLOWED) [ORIGIN]".
  [[noreturn]] void Invalid(const std::string& key, const std::string& allowed) const;
  void Require(const std::string& key) const;
  // The value as given (or the default), escaped for messages.
  std::string Raw(const std::string& key) const;
  // Every option with its value (defaults included), for the summary.
  std::map<std::string, std::string> Resolved() const;
  // The options the user gave (command line or file).
  std::vector<std::string> GivenKeys() const;

 private:
  po::variables_map vm_;
  std::map<std::string, std::string> origin_;
};

}  // namespace asyncopt::cli
