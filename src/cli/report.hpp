// What the CLI writes while it runs: the trace CSV (streamed, so an
// interrupted run keeps its rows), progress lines, and the machine
// description of the summaries.
#pragma once

#include <cstdio>
#include <memory>
#include <string>

#include "asyncopt/solver.hpp"

namespace asyncopt::io {
class OutputStream;
}

namespace asyncopt::cli {

// CPU model name from /proc/cpuinfo and hardware thread count.
std::string CpuDescription();

// Trace CSV with the contract's columns, handed to the kernel after every
// row. A write error does not stop the run: it is recorded (ok(), error())
// and later rows are dropped; the command reports it at the end.
class TraceWriter {
 public:
  explicit TraceWriter(const std::string& path);  // throws asyncopt::Error if it cannot be opened
  ~TraceWriter();
  TraceWriter(const TraceWriter&) = delete;
  TraceWriter& operator=(const TraceWriter&) = delete;
  void Write(const TracePoint& p);
  // Flushes and closes; false (and error()) when any write failed.
  bool Close();
  const std::string& error() const;

 private:
  std::unique_ptr<io::OutputStream> out_;
  std::string close_error_;
};

// "epoch 3  objective 0.32512  subopt 1.2e-04  elapsed 0.53 s" rewritten in
// place on stderr, only when stderr is a terminal and not --quiet.
class Progress {
 public:
  explicit Progress(bool enabled);
  ~Progress();
  void Update(const TracePoint& p, bool have_f_star);
  // A free-form status line, rewritten in place (the f* phase).
  void Status(const std::string& text);
  // Ends the progress line so later output starts on a fresh line.
  void Done();
  bool enabled() const { return enabled_; }

 private:
  bool enabled_;
  bool printed_ = false;
};

}  // namespace asyncopt::cli
