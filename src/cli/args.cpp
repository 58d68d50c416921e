#include "cli/args.hpp"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

namespace asyncopt::cli {
namespace {

std::string Trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

// Renders a stored value for the resolved configuration.
std::string Render(const po::variable_value& v) {
  const boost::any& a = v.value();
  if (auto p = boost::any_cast<std::string>(&a)) return *p;
  if (auto p = boost::any_cast<int>(&a)) return std::to_string(*p);
  if (auto p = boost::any_cast<long>(&a)) return std::to_string(*p);
  if (auto p = boost::any_cast<unsigned long>(&a)) return std::to_string(*p);
  if (auto p = boost::any_cast<bool>(&a)) return *p ? "true" : "false";
  if (auto p = boost::any_cast<double>(&a)) {
    // Shortest text that reads back to the same double: 0.1, not 0.10000000000000001.
    char buf[40];
    const auto r = std::to_chars(buf, buf + sizeof buf, *p);
    return std::string(buf, r.ptr);
  }
  return "?";
}

std::string Describe(const po::error& e) {
  std::string msg = e.what();
  return msg;
}

}  // namespace

std::vector<IniEntry> ReadIni(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw UsageError(path + ": cannot open config file: " + std::strerror(errno));
  std::vector<IniEntry> entries;
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    const std::string t = Trim(line);
    if (t.empty() || t[0] == '#' || t[0] == ';') continue;
    if (t[0] == '[') {
      throw UsageError(path + ":" + std::to_string(line_no) + ": sections are not supported ('" + t +
                       "'); write 'key = value' with the command-line option names");
    }
    const auto eq = t.find('=');
    if (eq == std::string::npos) {
      throw UsageError(path + ":" + std::to_string(line_no) + ": expected 'key = value', found '" +
                       t + "'");
    }
    IniEntry entry{Trim(t.substr(0, eq)), Trim(t.substr(eq + 1)), line_no};
    if (entry.key.empty()) {
      throw UsageError(path + ":" + std::to_string(line_no) + ": missing key before '='");
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

Args::Args(const std::vector<std::string>& argv, const po::options_description& desc) {
  try {
    po::parsed_options parsed = po::command_line_parser(argv).options(desc).run();
    for (const auto& opt : parsed.options) {
      if (opt.unregistered || opt.string_key.empty()) continue;
      origin_[opt.string_key] = "command line";
      raw_[opt.string_key] = opt.value.empty() ? "" : opt.value.front();
    }
    po::store(parsed, vm_);
  } catch (const po::error& e) {
    throw UsageError(Describe(e));
  }
  if (vm_.count("config")) {
    const std::string path = vm_["config"].as<std::string>();
    for (const IniEntry& entry : ReadIni(path)) {
      const std::string where = path + ":" + std::to_string(entry.line);
      if (entry.key == "config") throw UsageError(where + ": 'config' cannot be set in a config file");
      if (desc.find_nothrow(entry.key, false) == nullptr) {
        throw UsageError(where + ": unknown key '" + entry.key + "' for this command");
      }
      if (origin_.count(entry.key)) continue;  // the command line wins
      try {
        std::vector<std::string> one{"--" + entry.key + "=" + entry.value};
        po::store(po::command_line_parser(one).options(desc).run(), vm_);
      } catch (const po::error& e) {
        throw UsageError(where + ": invalid value for '" + entry.key + "': '" + entry.value +
                         "' (" + Describe(e) + ")");
      }
      origin_[entry.key] = path + " line " + std::to_string(entry.line);
      raw_[entry.key] = entry.value;
    }
  }
  try {
    po::notify(vm_);
  } catch (const po::error& e) {
    throw UsageError(Describe(e));
  }
}

std::string Args::Origin(const std::string& key) const {
  auto it = origin_.find(key);
  return it == origin_.end() ? "default" : it->second;
}

std::string Args::Raw(const std::string& key) const {
  auto it = raw_.find(key);
  if (it != raw_.end()) return it->second;
  return vm_.count(key) ? Render(vm_[key]) : "";
}

void Args::Invalid(const std::string& key, const std::string& allowed) const {
  throw UsageError("invalid value for '" + key + "': '" + Raw(key) + "' (allowed: " + allowed +
                   ") [" + Origin(key) + "]");
}

void Args::Require(const std::string& key) const {
  if (!vm_.count(key)) throw UsageError("missing required option '--" + key + "'");
}

std::map<std::string, std::string> Args::Resolved() const {
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : vm_) {
    if (key == "help") continue;
    out[key] = Render(value);
  }
  return out;
}

void CheckPositiveInt(const Args& a, const std::string& key) {
  if (a.Get<int>(key) < 1) a.Invalid(key, "an integer >= 1");
}

void CheckNonNegativeInt(const Args& a, const std::string& key) {
  if (a.Get<int>(key) < 0) a.Invalid(key, "an integer >= 0");
}

void CheckNonNegative(const Args& a, const std::string& key) {
  const double v = a.Get<double>(key);
  if (!(v >= 0.0) || !std::isfinite(v)) a.Invalid(key, "a finite number >= 0");
}

void CheckPositive(const Args& a, const std::string& key) {
  const double v = a.Get<double>(key);
  if (!(v > 0.0) || std::isnan(v)) a.Invalid(key, "a number > 0");
}

void CheckUnitInterval(const Args& a, const std::string& key, bool open_left, bool closed_right) {
  const double v = a.Get<double>(key);
  const bool ok = (open_left ? v > 0.0 : v >= 0.0) && (closed_right ? v <= 1.0 : v < 1.0);
  if (!ok) {
    a.Invalid(key, std::string(open_left ? "(0, " : "[0, ") + (closed_right ? "1]" : "1)"));
  }
}

}  // namespace asyncopt::cli
