#include "cli/report.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <thread>

#include "asyncopt/error.hpp"
#include "io/output_file.hpp"

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

std::string CsvField(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

TraceWriter::TraceWriter(const std::string& path, const std::string& run)
    : out_(std::make_unique<io::OutputFile>(path)), run_field_(CsvField(run)) {
  Put("seconds,epoch,updates,objective,suboptimality,nnz_w,exchanges,coords_sent,"
      "bits_sent,conflicts,coords_returned,bits_returned,max_delay,master_busy,bytes_sent,"
      "bytes_returned,max_staleness,wait_fraction,batch_loss,test_accuracy,diameter,max_distance,"
      "worst_suboptimality,rounds_skipped,run\n");
}

TraceWriter::~TraceWriter() = default;

void TraceWriter::Put(std::string_view text) {
  if (!error_.empty() || !out_) return;
  try {
    out_->Write(text);
  } catch (const Error& e) {
    error_ = e.what();  // OutputFile removed its temporary file
    out_.reset();
  }
}

void TraceWriter::Write(const TracePoint& p) {
  // Non-finite numbers (a diverging run; suboptimality without f*) are
  // written as empty fields, never as "nan".
  char objective[40] = "", subopt[40] = "";
  if (std::isfinite(p.objective)) std::snprintf(objective, sizeof objective, "%.17g", p.objective);
  if (std::isfinite(p.suboptimality)) {
    std::snprintf(subopt, sizeof subopt, "%.17g", p.suboptimality);
  }
  // spars-ams only: the round's mean mini-batch objective, the accuracy on --test.
  char batch_loss[40] = "", test_accuracy[40] = "";
  if (std::isfinite(p.batch_loss)) std::snprintf(batch_loss, sizeof batch_loss, "%.17g", p.batch_loss);
  if (std::isfinite(p.test_accuracy)) std::snprintf(test_accuracy, sizeof test_accuracy, "%.6f", p.test_accuracy);
  // decentralized and gossip only: the nodes' disagreement and their worst.
  char diameter[40] = "", max_distance[40] = "", worst[40] = "";
  if (std::isfinite(p.diameter)) std::snprintf(diameter, sizeof diameter, "%.17g", p.diameter);
  if (std::isfinite(p.max_distance)) std::snprintf(max_distance, sizeof max_distance, "%.17g", p.max_distance);
  if (std::isfinite(p.worst_suboptimality)) std::snprintf(worst, sizeof worst, "%.17g", p.worst_suboptimality);
  char row[800];
  const int n = std::snprintf(
      row, sizeof row, "%.9f,%.6f,%lld,%s,%s,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%.4f,%lld,%lld,%lld,%.4f,%s,%s,%s,%s,%s,%lld\n",
      p.seconds, p.epoch, static_cast<long long>(p.updates), objective, subopt,
      static_cast<long long>(p.nnz_w), static_cast<long long>(p.exchanges),
      static_cast<long long>(p.coords_sent), static_cast<long long>(p.bits_sent),
      static_cast<long long>(p.conflicts), static_cast<long long>(p.coords_returned),
      static_cast<long long>(p.bits_returned), static_cast<long long>(p.max_delay), p.master_busy,
      static_cast<long long>(p.bytes_sent), static_cast<long long>(p.bytes_returned),
      static_cast<long long>(p.max_staleness), p.wait_fraction, batch_loss, test_accuracy, diameter, max_distance,
      worst, static_cast<long long>(p.rounds_skipped));
  // The row without its line end, then `run`.
  std::string line(row, static_cast<std::size_t>(std::clamp<int>(n - 1, 0, sizeof row - 2)));
  line += ',';
  line += run_field_;
  line += '\n';
  Put(line);
}

bool TraceWriter::Close() {
  if (out_ && error_.empty()) {
    try {
      out_->Commit();
    } catch (const Error& e) {
      error_ = e.what();
    }
  }
  out_.reset();
  return error_.empty();
}

void TraceWriter::Abandon() { out_.reset(); }

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

void Progress::Status(const std::string& text) {
  if (!enabled_) return;
  std::fprintf(stderr, "\r\033[K%s", text.c_str());
  std::fflush(stderr);
  printed_ = true;
}

}  // namespace asyncopt::cli
