// Command-line + INI option handling: the only place that knows
// Boost.Program_options. Every option can come from `--config FILE` with the
// same key; the command line overrides the file. Errors name the key, the
// value, the allowed range and, for a file, its line.
#pragma once

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

// key = value lines; '#' or ';' start a comment line; blank lines ignored.
// Throws UsageError naming FILE:LINE for anything else.
std::vector<IniEntry> ReadIni(const std::string& path);

class Args {
 public:
  // Parses argv (after the subcommand) and, if --config is given, the file.
  Args(const std::vector<std::string>& argv, const po::options_description& desc);

  bool Has(const std::string& key) const { return vm_.count(key) > 0 && !vm_[key].defaulted(); }
  bool Flag(const std::string& key) const { return vm_.count(key) && vm_[key].as<bool>(); }
  template <class T>
  T Get(const std::string& key) const {
    return vm_[key].as<T>();
  }
  // "command line" or "FILE line N": where a key's value came from.
  std::string Origin(const std::string& key) const;
  // Throws UsageError: "invalid value for 'KEY': 'RAW' (allowed: ALLOWED) [ORIGIN]".
  [[noreturn]] void Invalid(const std::string& key, const std::string& allowed) const;
  void Require(const std::string& key) const;
  std::string Raw(const std::string& key) const;
  // Every option with its resolved value (for the summary's configuration).
  std::map<std::string, std::string> Resolved() const;

 private:
  po::variables_map vm_;
  std::map<std::string, std::string> origin_;
  std::map<std::string, std::string> raw_;
};

// Range checks used by the commands.
void CheckPositiveInt(const Args& a, const std::string& key);     // >= 1
void CheckNonNegativeInt(const Args& a, const std::string& key);  // >= 0
void CheckNonNegative(const Args& a, const std::string& key);     // >= 0, finite
void CheckPositive(const Args& a, const std::string& key);        // > 0
void CheckUnitInterval(const Args& a, const std::string& key, bool open_left, bool closed_right);

}  // namespace asyncopt::cli
