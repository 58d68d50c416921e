// asyncopt: on-disk cache of reference optima, one small text file per key.
//
// File format (text, one item per line):
//   asyncopt-optimum 1
//   key <key>
//   f_star <%.17g>
//   method <name>
//   certificate <%.17g>
//   dim <d>
//   nnz <k>
//   <j> <%.17g>          (k lines: the nonzeros of w_star, increasing j)
//   end
// Files are written to a temporary name and renamed into place, so readers
// never see half a file; anything that does not parse exactly is a miss.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>

#include "asyncopt/error.hpp"
#include "asyncopt/optimum.hpp"
#include "io/output_file.hpp"

namespace asyncopt {
namespace {

constexpr std::string_view kMagic = "asyncopt-optimum 1";

std::string FormatDouble(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string LossName(Loss loss) {
  switch (loss) {
    case Loss::kLogistic: return "logistic";
    case Loss::kHinge: return "hinge";
    case Loss::kSquaredHinge: return "squared_hinge";
    case Loss::kSquared: return "squared";
  }
  return "loss" + std::to_string(static_cast<int>(loss));
}

// FNV-1a, 64 bit: makes file names unique after sanitising/truncation.
std::uint64_t Fnv1a(std::string_view s) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const unsigned char ch : s) {
    h ^= ch;
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::string FileName(const std::string& key) {
  std::string safe;
  for (const char ch : key.substr(0, 120)) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' || ch == '_' ||
                    ch == '=' || ch == '+';
    safe.push_back(ok ? ch : '_');
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(Fnv1a(key)));
  return safe + "-" + hex + ".optimum";
}

bool ParseDouble(std::string_view s, double* out) {
  if (s.empty()) return false;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

template <class Int>
bool ParseInt(std::string_view s, Int* out) {
  if (s.empty()) return false;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

// Reads "<name> <rest>" and returns rest, or false.
bool Field(std::istream& in, std::string_view name, std::string* rest) {
  std::string line;
  if (!std::getline(in, line)) return false;
  if (line.size() < name.size() + 1 || line.compare(0, name.size(), name) != 0 ||
      line[name.size()] != ' ') {
    return false;
  }
  *rest = line.substr(name.size() + 1);
  return true;
}

std::string DefaultDir() {
  if (const char* v = std::getenv("ASYNCOPT_CACHE_DIR"); v != nullptr && *v != '\0') return v;
  if (const char* v = std::getenv("XDG_CACHE_HOME"); v != nullptr && *v != '\0') {
    return std::string(v) + "/asyncopt";
  }
  if (const char* v = std::getenv("HOME"); v != nullptr && *v != '\0') {
    return std::string(v) + "/.cache/asyncopt";
  }
  return ".asyncopt-cache";
}

}  // namespace

OptimumCache::OptimumCache(std::string dir) : dir_(dir.empty() ? DefaultDir() : std::move(dir)) {}

std::string OptimumCache::Key(std::uint64_t content_hash, const std::string& preprocessing,
                              const Problem& problem) {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(content_hash));
  return std::string(hex) + "_" + (preprocessing.empty() ? "raw" : preprocessing) + "_" +
         LossName(problem.loss) + "_l1=" + FormatDouble(problem.l1) +
         "_l2=" + FormatDouble(problem.l2);
}

bool OptimumCache::Lookup(const std::string& key, OptimumCacheEntry* entry) const {
  namespace fs = std::filesystem;
  std::ifstream in(fs::path(dir_) / FileName(key));
  if (!in) return false;
  std::string line, rest;
  if (!std::getline(in, line) || line != kMagic) return false;
  if (!Field(in, "key", &rest) || rest != key) return false;
  OptimumCacheEntry e;
  if (!Field(in, "f_star", &rest) || !ParseDouble(rest, &e.f_star)) return false;
  if (!Field(in, "method", &rest)) return false;
  e.method = rest;
  if (!Field(in, "certificate", &rest) || !ParseDouble(rest, &e.certificate)) return false;
  std::int64_t dim = 0, nnz = 0;
  if (!Field(in, "dim", &rest) || !ParseInt(rest, &dim) || dim < 0 || dim > (std::int64_t{1} << 31)) {
    return false;
  }
  if (!Field(in, "nnz", &rest) || !ParseInt(rest, &nnz) || nnz < 0 || nnz > dim) return false;
  e.w_star.assign(static_cast<std::size_t>(dim), 0.0);
  std::int64_t prev = -1;
  for (std::int64_t k = 0; k < nnz; ++k) {
    if (!std::getline(in, line)) return false;
    const auto space = line.find(' ');
    if (space == std::string::npos) return false;
    std::int64_t j = 0;
    double v = 0.0;
    if (!ParseInt(std::string_view(line).substr(0, space), &j) ||
        !ParseDouble(std::string_view(line).substr(space + 1), &v) || j <= prev || j >= dim) {
      return false;
    }
    e.w_star[static_cast<std::size_t>(j)] = v;
    prev = j;
  }
  if (!std::getline(in, line) || line != "end") return false;
  if (!std::isfinite(e.f_star)) return false;
  if (entry != nullptr) *entry = std::move(e);
  return true;
}

bool OptimumCache::LookupVerified(const std::string& key, const Dataset& data,
                                  const Problem& problem, OptimumCacheEntry* entry,
                                  std::string* mismatch, int threads) const {
  OptimumCacheEntry e;
  if (!Lookup(key, &e)) return false;
  auto reject = [&](const std::string& why) {
    if (mismatch != nullptr) *mismatch = why;
    return false;
  };
  if (e.w_star.size() != static_cast<std::size_t>(data.num_cols)) {
    return reject("its w* has " + std::to_string(e.w_star.size()) + " coordinates, the data " +
                  std::to_string(data.num_cols));
  }
  const double f = Objective(data, problem, e.w_star, threads);
  if (!(std::fabs(f - e.f_star) <= 1e-12 * std::max(1.0, std::fabs(e.f_star)))) {
    return reject("its f* = " + FormatDouble(e.f_star) + " is not F(w*) = " + FormatDouble(f));
  }
  if (entry != nullptr) *entry = std::move(e);
  return true;
}

void OptimumCache::Store(const std::string& key, const OptimumCacheEntry& entry) const {
  namespace fs = std::filesystem;
  if (key.find('\n') != std::string::npos || entry.method.find('\n') != std::string::npos) {
    throw Error(ErrorKind::kInvalidOption, "optimum cache key and method must be single lines");
  }
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) {
    throw Error(ErrorKind::kIo, "cannot create optimum cache directory '" + dir_ + "': " + ec.message());
  }
  std::ostringstream out;
  out << kMagic << '\n'
      << "key " << key << '\n'
      << "f_star " << FormatDouble(entry.f_star) << '\n'
      << "method " << entry.method << '\n'
      << "certificate " << FormatDouble(entry.certificate) << '\n'
      << "dim " << entry.w_star.size() << '\n';
  std::size_t nnz = 0;
  for (const double v : entry.w_star) nnz += v != 0.0 ? 1 : 0;
  out << "nnz " << nnz << '\n';
  for (std::size_t j = 0; j < entry.w_star.size(); ++j) {
    if (entry.w_star[j] != 0.0) out << j << ' ' << FormatDouble(entry.w_star[j]) << '\n';
  }
  out << "end\n";

  // A unique temporary name per writer, renamed into place: concurrent runs
  // storing the same key never collide, and readers never see half a file.
  const fs::path target = fs::path(dir_) / FileName(key);
  io::WriteOutputFile(target.string(), out.str());
}

}  // namespace asyncopt
