// What the CLI writes: trace CSV (streamed, so an interrupted run keeps its
// rows), progress line, summary JSON pieces and machine description.
#pragma once

#include <cstdio>
#include <map>
#include <string>

#include "asyncopt/solver.hpp"

namespace asyncopt::cli {

// CPU model name from /proc/cpuinfo and hardware thread count.
std::string CpuDescription();

// Trace CSV with the contract's columns, flushed after every row.
class TraceWriter {
 public:
  explicit TraceWriter(const std::string& path);  // throws UsageError if it cannot be opened
  ~TraceWriter();
  TraceWriter(const TraceWriter&) = delete;
  TraceWriter& operator=(const TraceWriter&) = delete;
  void Write(const TracePoint& p);

 private:
  std::FILE* file_ = nullptr;
  std::string path_;
};

// "epoch 3  objective 0.32512  subopt 1.2e-04  elapsed 0.53 s" rewritten in
// place on stderr, only when stderr is a terminal and not --quiet.
class Progress {
 public:
  explicit Progress(bool enabled);
  ~Progress();
  void Update(const TracePoint& p, bool have_f_star);
  // Ends the progress line so later output starts on a fresh line.
  void Done();
  bool enabled() const { return enabled_; }

 private:
  bool enabled_;
  bool printed_ = false;
};

// Writes `text` to `path` atomically (temp file + rename). Throws UsageError.
void WriteFileAtomically(const std::string& path, const std::string& text);

}  // namespace asyncopt::cli
