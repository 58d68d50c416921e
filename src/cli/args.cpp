#include "cli/args.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>

#include "cli/text.hpp"
#include "core/option_table.hpp"

namespace asyncopt::cli {
namespace {

std::string Trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

// Bytes that never occur in a text file: C0 controls but tab, CR, LF; DEL.
bool IsBinaryByte(unsigned char c) { return (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f; }

std::string ErrnoText() { return std::strerror(errno); }

}  // namespace

std::string Printable(const std::string& text, std::size_t max_bytes) {
  std::string out;
  for (std::size_t i = 0; i < text.size() && out.size() < max_bytes;) {
    const auto c = static_cast<unsigned char>(text[i]);
    const std::size_t n = Utf8Length(text, i);
    if (n > 1 || (n == 1 && c >= 0x20 && c != 0x7f)) {
      out.append(text, i, n);
      i += n;
      continue;
    }
    char buf[8];
    std::snprintf(buf, sizeof buf, "\\x%02x", c);
    out += buf;
    ++i;
  }
  if (out.size() >= max_bytes) out += "...";
  return out;
}

std::vector<IniEntry> ReadIni(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    throw UsageError(Printable(path) + ": cannot open config file: " + ErrnoText());
  }
  if (S_ISDIR(st.st_mode)) {
    throw UsageError(Printable(path) + ": is a directory, not a config file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError(Printable(path) + ": cannot open config file: " + ErrnoText());
  std::vector<IniEntry> entries;
  std::map<std::string, int> first_line;
  std::string line;
  int line_no = 0;
  const std::string name = Printable(path);
  while (std::getline(in, line)) {
    ++line_no;
    if (line_no == 1 && line.rfind("\xef\xbb\xbf", 0) == 0) line.erase(0, 3);  // UTF-8 BOM
    for (std::size_t k = 0; k < line.size(); ++k) {
      const auto c = static_cast<unsigned char>(line[k]);
      if (IsBinaryByte(c)) {
        char byte[8];
        std::snprintf(byte, sizeof byte, "0x%02x", c);
        throw UsageError(name + ":" + std::to_string(line_no) + ":" + std::to_string(k + 1) +
                         ": not a text file (byte " + byte + "); a config file holds 'key = value' lines");
      }
    }
    const std::string where = name + ":" + std::to_string(line_no);
    const std::string t = Trim(line);
    if (t.empty() || t[0] == '#' || t[0] == ';') continue;
    if (t[0] == '[') {
      throw UsageError(where + ": sections are not supported ('" + Printable(t) +
                       "'); write 'key = value' with the command-line option names");
    }
    const auto eq = t.find('=');
    if (eq == std::string::npos) {
      throw UsageError(where + ": expected 'key = value', found '" + Printable(t) + "'");
    }
    IniEntry entry{Trim(t.substr(0, eq)), Trim(t.substr(eq + 1)), line_no};
    if (entry.key.empty()) throw UsageError(where + ": missing key before '='");
    if (auto it = first_line.find(entry.key); it != first_line.end()) {
      throw UsageError(where + ": '" + Printable(entry.key) + "' is set twice (first on line " +
                       std::to_string(it->second) + "); set each key once");
    }
    first_line[entry.key] = line_no;
    entries.push_back(std::move(entry));
  }
  if (in.bad()) throw UsageError(name + ": cannot read config file: " + ErrnoText());
  return entries;
}

namespace {

// Options that may be given more than once on the command line ("--fault
// a --fault b": the option table's lists): their values are joined with
// commas into one occurrence, the form a config file writes them in
// ("fault = a, b").
std::vector<std::string> JoinRepeated(const std::vector<std::string>& argv) {
  std::vector<std::string> repeatable;
  for (const core::OptionSpec& spec : core::OptionTable()) {
    if (core::IsList(spec)) repeatable.emplace_back(spec.key);
  }
  std::vector<std::string> out, tail;
  std::map<std::string, std::string> joined;  // flag -> "a,b"
  for (std::size_t i = 0; i < argv.size(); ++i) {
    if (argv[i] == "--") {  // everything after it is positional
      tail.assign(argv.begin() + static_cast<std::ptrdiff_t>(i), argv.end());
      break;
    }
    bool taken = false;
    for (const std::string& key : repeatable) {
      const std::string flag = "--" + key;
      std::string value;
      if (argv[i] == flag && i + 1 < argv.size()) {
        value = argv[++i];
      } else if (argv[i].rfind(flag + "=", 0) == 0) {
        value = argv[i].substr(flag.size() + 1);
      } else {
        continue;
      }
      auto [it, fresh] = joined.emplace(flag, value);
      if (!fresh) it->second += "," + value;
      taken = true;
      break;
    }
    if (!taken) out.push_back(argv[i]);
  }
  for (const auto& [flag, value] : joined) out.push_back(flag + "=" + value);
  out.insert(out.end(), tail.begin(), tail.end());
  return out;
}

}  // namespace

Args::Args(const std::vector<std::string>& given_argv, const po::options_description& desc) {
  const std::vector<std::string> argv = JoinRepeated(given_argv);
  try {
    po::parsed_options parsed = po::command_line_parser(argv).options(desc).run();
    for (const auto& opt : parsed.options) {
      if (opt.unregistered || opt.string_key.empty()) continue;
      origin_[opt.string_key] = "command line";
    }
    po::store(parsed, vm_);
  } catch (const po::error& e) {
    throw UsageError(Printable(e.what(), 4096));
  }
  if (vm_.count("config")) {
    const std::string path = vm_["config"].as<std::string>();
    for (const IniEntry& entry : ReadIni(path)) {
      const std::string where = Printable(path) + ":" + std::to_string(entry.line);
      if (entry.key == "config") throw UsageError(where + ": 'config' cannot be set in a config file");
      if (desc.find_nothrow(entry.key, false) == nullptr) {
        throw UsageError(where + ": unknown key '" + Printable(entry.key) + "' for this command");
      }
      if (origin_.count(entry.key)) continue;  // the command line wins
      try {
        std::vector<std::string> one{"--" + entry.key + "=" + entry.value};
        po::store(po::command_line_parser(one).options(desc).run(), vm_);
      } catch (const po::error& e) {
        throw UsageError(where + ": invalid value for '" + entry.key + "': '" +
                         Printable(entry.value) + "' (" + Printable(e.what(), 4096) + ")");
      }
      origin_[entry.key] = where;  // FILE:LINE
    }
  }
  try {
    po::notify(vm_);
  } catch (const po::error& e) {
    throw UsageError(Printable(e.what(), 4096));
  }
}

bool Args::FromCommandLine(const std::string& key) const {
  auto it = origin_.find(key);
  return it != origin_.end() && it->second == "command line";
}

std::string Args::Origin(const std::string& key) const {
  auto it = origin_.find(key);
  return it == origin_.end() ? "default" : it->second;
}

std::string Args::Str(const std::string& key) const {
  if (!vm_.count(key)) return "";
  return vm_[key].as<std::string>();
}

std::string Args::Raw(const std::string& key) const { return Printable(Str(key)); }

void Args::Invalid(const std::string& key, const std::string& allowed) const {
  throw UsageError("invalid value for '" + key + "': '" + Raw(key) + "' (allowed: " + allowed +
                   ") [" + Origin(key) + "]");
}

void Args::Require(const std::string& key) const {
  if (!vm_.count(key)) throw UsageError("missing required option '--" + key + "'");
}

bool Args::Bool(const std::string& key) const {
  const std::optional<bool> v = core::ParseBool(Str(key));
  if (!v) Invalid(key, "true | false");
  return *v;
}

std::int64_t Args::Int(const std::string& key, std::int64_t lo, std::int64_t hi) const {
  const std::optional<std::int64_t> v = core::ParseInteger(Str(key));
  if (!v || *v < lo || *v > hi) {
    Invalid(key, "an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
  return *v;
}

std::uint64_t Args::UInt64(const std::string& key) const {
  const std::optional<std::uint64_t> v = core::ParseUInt64(Str(key));
  if (!v) {
    Invalid(key,
            "an integer in [0, " + std::to_string(std::numeric_limits<std::uint64_t>::max()) + "]");
  }
  return *v;
}

double Args::Real(const std::string& key, const RealRange& range) const {
  const std::optional<double> v = core::ParseReal(Str(key));
  if (!v) Invalid(key, range.text);
  const bool above = range.lo_open ? *v > range.lo : *v >= range.lo;
  const bool below = range.hi_open ? *v < range.hi : *v <= range.hi;
  if (!above || !below) Invalid(key, range.text);
  return *v;
}

std::map<std::string, std::string> Args::Resolved() const {
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : vm_) {
    if (key == "help") continue;
    out[key] = value.as<std::string>();
  }
  return out;
}

std::vector<std::string> Args::GivenKeys() const {
  std::vector<std::string> keys;
  for (const auto& [key, origin] : origin_) keys.push_back(key);
  return keys;
}

}  // namespace asyncopt::cli
