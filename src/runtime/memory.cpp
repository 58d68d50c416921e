#include "runtime/memory.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "asyncopt/error.hpp"

namespace asyncopt::runtime {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// "Key:   123 kB" lines of /proc/meminfo or /proc/self/status, in bytes.
double ProcField(const char* file, const std::string& key) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, key.size(), key) == 0 && line.size() > key.size() &&
        line[key.size()] == ':') {
      std::istringstream fields(line.substr(key.size() + 1));
      double value = 0.0;
      std::string unit;
      if (fields >> value) {
        fields >> unit;
        return unit == "kB" ? value * 1024.0 : value;
      }
    }
  }
  return -1.0;
}

double ReadNumber(const std::string& path) {
  std::ifstream in(path);
  std::string text;
  if (!(in >> text) || text == "max") return -1.0;
  try {
    return std::stod(text);
  } catch (...) {
    return -1.0;
  }
}

// "key value" lines of a cgroup stat file (bytes); -1 if absent.
double StatField(const std::string& path, const std::string& key) {
  std::ifstream in(path);
  std::string name;
  double value = 0.0;
  while (in >> name >> value) {
    if (name == key) return value;
  }
  return -1.0;
}

// The process's cgroup v2 folder ("0::/path" in /proc/self/cgroup).
std::string CgroupPath() {
  std::ifstream in("/proc/self/cgroup");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("0::", 0) == 0) return "/sys/fs/cgroup" + line.substr(3);
  }
  return "";
}

void Consider(MemoryBudget& budget, double bytes, const char* what) {
  if (bytes >= 0.0 && bytes < budget.bytes) {
    budget.bytes = bytes;
    budget.limited_by = what;
  }
}

double RlimitRoom(int resource, double used) {
  rlimit limit{};
  if (getrlimit(resource, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return -1.0;
  const double room = static_cast<double>(limit.rlim_cur) - std::max(used, 0.0);
  return std::max(room, 0.0);
}

}  // namespace

MemoryBudget AvailableMemory() {
  MemoryBudget budget{kInf, ""};
  const double available = ProcField("/proc/meminfo", "MemAvailable");
  const double swap = ProcField("/proc/meminfo", "SwapFree");
  if (available >= 0.0) {
    Consider(budget, available + std::max(swap, 0.0), "the memory the system reports available");
  }
  Consider(budget, RlimitRoom(RLIMIT_AS, ProcField("/proc/self/status", "VmSize")),
           "the address-space limit, ulimit -v");
  Consider(budget, RlimitRoom(RLIMIT_DATA, ProcField("/proc/self/status", "VmData")),
           "the data-size limit, ulimit -d");
  const std::string cgroup = CgroupPath();
  if (!cgroup.empty()) {
    const double max = ReadNumber(cgroup + "/memory.max");
    double used = std::max(ReadNumber(cgroup + "/memory.current"), 0.0);
    // Page cache the kernel can drop at once (a file just read) is not in
    // use: count the working set, as container runtimes do.
    const double inactive_file = StatField(cgroup + "/memory.stat", "inactive_file");
    if (inactive_file > 0.0) used = std::max(used - inactive_file, 0.0);
    if (max >= 0.0) Consider(budget, std::max(max - used, 0.0), "the cgroup's memory.max");
  }
  return budget;
}

std::string FormatBytes(double bytes) {
  char buf[48];
  if (bytes < 1e3) {
    std::snprintf(buf, sizeof buf, "%.0f bytes", bytes);
  } else if (bytes < 1e6) {
    std::snprintf(buf, sizeof buf, "%.3g kB", bytes / 1e3);
  } else if (bytes < 1e9) {
    std::snprintf(buf, sizeof buf, "%.3g MB", bytes / 1e6);
  } else if (bytes < 1e12) {
    std::snprintf(buf, sizeof buf, "%.3g GB", bytes / 1e9);
  } else {
    std::snprintf(buf, sizeof buf, "%.3g TB", bytes / 1e12);
  }
  return buf;
}

void RequireMemory(double bytes, const std::string& what,
                   const std::function<std::string()>& advice) {
  // Small requests are never refused: the estimate is rough, and the budget
  // ignores what the allocator already holds in reserve.
  constexpr double kAlwaysAllowed = 64e6;
  if (!(bytes > kAlwaysAllowed)) return;
  if (const char* check = std::getenv("ASYNCOPT_MEMORY_CHECK");
      check != nullptr && std::string(check) == "off") {
    return;
  }
  const MemoryBudget budget = AvailableMemory();
  if (bytes <= 0.9 * budget.bytes) return;
  std::string message = what + " needs about " + FormatBytes(bytes) + ", but about " +
                        FormatBytes(budget.bytes) + " are available (" + budget.limited_by + ")";
  if (advice) {
    const std::string text = advice();
    if (!text.empty()) message += ". " + text;
  }
  throw Error(ErrorKind::kResource, message);
}

std::function<std::string()> WidthAdviceFor(const Dataset& data) {
  return [&data] { return WidthAdvice(data); };
}

std::string WidthAdvice(const Dataset& data) {
  std::vector<std::int32_t> used(data.col_index.begin(), data.col_index.end());
  std::sort(used.begin(), used.end());
  used.erase(std::unique(used.begin(), used.end()), used.end());
  std::string advice = "The size grows with d = " + std::to_string(data.num_cols) +
                       " features, the largest feature index in the data";
  if (!data.source.empty() && data.num_cols_line > 0) {
    advice += " (" + data.source + " line " + std::to_string(data.num_cols_line) + ")";
  } else if (!data.source.empty()) {
    advice += " (" + data.source + ")";
  }
  const auto occurring = static_cast<double>(used.size());
  if (occurring < 0.5 * data.num_cols) {
    advice += ", but only " + std::to_string(used.size()) +
              " features occur: column compaction (--compact-features on the command line, "
              "Preprocessing::compact_columns in the library) trains on those without arrays "
              "of size d";
  } else {
    advice += "; use fewer threads, or a machine with more memory";
  }
  return advice;
}

}  // namespace asyncopt::runtime
