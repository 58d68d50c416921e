// bench_parse: times ReadLibsvm on one file.
//
//   bench_parse FILE [--threads N] [--repeats K]
//
// First loads FILE once with N threads, recording the growth of the peak
// resident set (VmHWM, or getrusage where /proc is missing) against the bytes of the final CSR arrays, then
// reports the best of K timed loads with 1 thread and with N threads
// (N = 0: all hardware threads) as one JSON object on stdout. Throughput is
// in MB/s (10^6 bytes) of uncompressed text.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <oneapi/tbb/info.h>

#include "asyncopt/dataset.hpp"
#include "asyncopt/error.hpp"
#include "io/decompress.hpp"

namespace {

// A "Vm...:   N kB" field of /proc/self/status in bytes, or -1.
std::int64_t ProcStatusBytes(const std::string& key) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(key + ":", 0) == 0) {
      return std::atoll(line.c_str() + key.size() + 1) * 1024;
    }
  }
  return -1;
}

// Peak-RSS bookkeeping. getrusage's ru_maxrss survives execve (a child of a
// big parent starts with the parent's peak), so on Linux the peak is VmHWM,
// reset through /proc/self/clear_refs; getrusage is the fallback.
struct PeakMeter {
  std::int64_t before = 0;
  bool proc = false;

  void Start() {
    std::ofstream("/proc/self/clear_refs") << "5";
    before = ProcStatusBytes("VmRSS");
    proc = before >= 0 && ProcStatusBytes("VmHWM") >= 0;
    if (!proc) before = RusagePeak();
  }
  std::int64_t Growth() const {
    return (proc ? ProcStatusBytes("VmHWM") : RusagePeak()) - before;
  }
  static std::int64_t RusagePeak() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<std::int64_t>(usage.ru_maxrss) * 1024;  // Linux: KiB
  }
};

std::int64_t TextBytes(const std::string& path) {
  asyncopt::io::DecompressingFileSource source(path);
  std::vector<char> buffer(std::size_t{1} << 20);
  std::int64_t total = 0;
  for (;;) {
    const std::size_t n = source.Read(buffer.data(), buffer.size());
    if (n == 0) break;
    total += static_cast<std::int64_t>(n);
  }
  return total;
}

std::int64_t CsrBytes(const asyncopt::Dataset& d) {
  return static_cast<std::int64_t>(d.row_ptr.size() * sizeof(std::int64_t) +
                                   d.col_index.size() * sizeof(std::int32_t) +
                                   d.values.size() * sizeof(double) +
                                   d.labels.size() * sizeof(double));
}

// The label of the file's first data row: as the positive set, every file
// loads (two-valued, multiclass or regression targets alike), and the set
// always matches a row (the reader refuses one that matches none).
double FirstLabel(const std::string& path) {
  asyncopt::io::DecompressingFileSource source(path);
  std::string head(1 << 16, '\0');
  head.resize(source.Read(head.data(), head.size()));
  std::size_t pos = 0;
  while (pos < head.size()) {
    const std::size_t end = std::min(head.find('\n', pos), head.size());
    const std::string line = head.substr(pos, end - pos);
    const std::size_t first = line.find_first_not_of(" \t\r");
    if (first != std::string::npos && line[first] != '#') return std::strtod(line.c_str() + first, nullptr);
    pos = end + 1;
  }
  return 1.0;
}

double BestSeconds(const std::string& path, int threads, int repeats) {
  asyncopt::ReadOptions options;
  options.threads = threads;
  options.positive_labels = {FirstLabel(path)};  // multiclass files load too
  double best = 1e300;
  for (int r = 0; r < repeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
    const asyncopt::Dataset d = asyncopt::ReadLibsvm(path, options);
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    best = std::min(best, elapsed.count());
    if (d.num_rows == 0) std::abort();
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  std::string path;
  int threads = 0;
  int repeats = 5;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--threads" && i + 1 < argc) {
      threads = std::atoi(argv[++i]);
    } else if (arg == "--repeats" && i + 1 < argc) {
      repeats = std::max(1, std::atoi(argv[++i]));
    } else if (path.empty() && arg.rfind("--", 0) != 0) {
      path = arg;
    } else {
      std::cerr << "usage: bench_parse FILE [--threads N] [--repeats K]\n";
      return 2;
    }
  }
  if (path.empty()) {
    std::cerr << "usage: bench_parse FILE [--threads N] [--repeats K]\n";
    return 2;
  }
  if (threads <= 0) threads = tbb::info::default_concurrency();
  try {
    // The memory figure comes first, before anything else has raised the
    // process's peak RSS.
    asyncopt::ReadOptions options;
    options.threads = threads;
    options.positive_labels = {FirstLabel(path)};
    PeakMeter meter;
    meter.Start();
    std::int64_t rows = 0;
    std::int64_t cols = 0;
    std::int64_t nnz = 0;
    std::int64_t csr = 0;
    {
      const asyncopt::Dataset d = asyncopt::ReadLibsvm(path, options);
      rows = d.num_rows;
      cols = d.num_cols;
      nnz = d.nnz();
      csr = CsrBytes(d);
    }
    const std::int64_t rss_growth = meter.Growth();
    const std::int64_t text_bytes = TextBytes(path);
    const double t1 = BestSeconds(path, 1, repeats);
    const double tn = BestSeconds(path, threads, repeats);
    const double mb = static_cast<double>(text_bytes) / 1e6;
#if defined(__clang__)
    const std::string compiler = std::string("clang ") + __clang_version__;
#elif defined(__GNUC__)
    const std::string compiler = std::string("g++ ") + __VERSION__;
#else
    const std::string compiler = "unknown";
#endif
    std::cout << "{\"file\": \"" << path << "\", \"compiler\": \"" << compiler
              << "\", \"text_bytes\": " << text_bytes
              << ", \"rows\": " << rows << ", \"cols\": " << cols << ", \"nnz\": " << nnz
              << ", \"threads\": " << threads << ", \"repeats\": " << repeats
              << ", \"seconds_1\": " << t1 << ", \"seconds_n\": " << tn
              << ", \"mbps_1\": " << mb / t1 << ", \"mbps_n\": " << mb / tn
              << ", \"csr_bytes\": " << csr << ", \"peak_rss_growth_bytes\": " << rss_growth
              << ", \"peak_rss_growth_over_csr\": "
              << static_cast<double>(rss_growth) / static_cast<double>(csr) << "}\n";
  } catch (const asyncopt::Error& e) {
    std::cerr << "bench_parse: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
