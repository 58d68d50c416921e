#include "cli/report.hpp"

#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <thread>

#include "cli/args.hpp"

namespace asyncopt::cli {

std::string CpuDescription() {
  std::ifstream in("/proc/cpuinfo");
  std::string line, model = "unknown CPU";
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) model = line.substr(line.find_first_not_of(" \t", colon + 1));
      break;
    }
  }
  return model + " (" + std::to_string(std::thread::hardware_concurrency()) + " hardware threads)";
}

TraceWriter::TraceWriter(const std::string& path) : path_(path) {
  file_ = std::fopen(path.c_str(), "w");
  if (file_ == nullptr) {
    throw UsageError(path + ": cannot write trace: " + std::strerror(errno));
  }
  std::fprintf(file_,
               "seconds,epoch,updates,objective,suboptimality,nnz_w,exchanges,coords_sent,"
               "bits_sent,conflicts,coords_returned,bits_returned,max_delay,master_busy\n");
  std::fflush(file_);
}

TraceWriter::~TraceWriter() {
  if (file_ != nullptr) std::fclose(file_);
}

void TraceWriter::Write(const TracePoint& p) {
  // A non-finite objective (diverging run) is written as an empty field,
  // never as "nan".
  char objective[40] = "", subopt[40] = "";
  if (std::isfinite(p.objective)) std::snprintf(objective, sizeof objective, "%.17g", p.objective);
  if (std::isfinite(p.suboptimality)) {
    std::snprintf(subopt, sizeof subopt, "%.17g", p.suboptimality);
  }
  std::fprintf(file_, "%.9f,%.6f,%lld,%s,%s,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%.4f\n", p.seconds,
               p.epoch, static_cast<long long>(p.updates), objective, subopt,
               static_cast<long long>(p.nnz_w), static_cast<long long>(p.exchanges),
               static_cast<long long>(p.coords_sent), static_cast<long long>(p.bits_sent),
               static_cast<long long>(p.conflicts), static_cast<long long>(p.coords_returned),
               static_cast<long long>(p.bits_returned), static_cast<long long>(p.max_delay),
               p.master_busy);
  std::fflush(file_);
}

Progress::Progress(bool enabled) : enabled_(enabled && isatty(STDERR_FILENO) == 1) {}

Progress::~Progress() { Done(); }

void Progress::Done() {
  if (printed_) std::fputc('\n', stderr);
  printed_ = false;
}

void Progress::Update(const TracePoint& p, bool have_f_star) {
  if (!enabled_) return;
  if (have_f_star) {
    std::fprintf(stderr, "\r\033[Kepoch %-8.6g objective %-14.10g subopt %-10.3e elapsed %.3f s",
                 p.epoch, p.objective, p.suboptimality, p.seconds);
  } else {
    std::fprintf(stderr, "\r\033[Kepoch %-8.6g objective %-14.10g elapsed %.3f s", p.epoch,
                 p.objective, p.seconds);
  }
  std::fflush(stderr);
  printed_ = true;
}

void WriteFileAtomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "w");
  if (f == nullptr) throw UsageError(path + ": cannot write: " + std::strerror(errno));
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  if (std::fclose(f) != 0 || !ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw UsageError(path + ": cannot write: " + std::strerror(errno));
  }
}

}  // namespace asyncopt::cli
