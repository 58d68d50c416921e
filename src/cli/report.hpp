// What the CLI writes while it runs: the trace CSV (row by row), progress
// lines, and the machine description of the summaries.
#pragma once

#include <cstdio>
#include <memory>
#include <string>

#include "asyncopt/solver.hpp"

namespace asyncopt::io {
class OutputFile;
}

namespace asyncopt::cli {

// CPU model name from /proc/cpuinfo and hardware thread count.
std::string CpuDescription();

// Trace CSV with the contract's columns. A regular file is written row by
// row into a unique temporary file next to it (each row handed to the
// kernel at once, so a killed run leaves its rows there) and moved into
// place by Close(): a run that is refused or fails before it ends leaves an
// existing trace untouched. A FIFO, device or /dev/stdout gets the rows as
// they come. A write error does not stop the run: it is recorded (error())
// and later rows are dropped; the command reports it at the end.
//
// The last column, `run`, describes the run on every row (solver, data file
// name, the options given: "hogwild rcv1.svm.xz --threads 2 --step-decay
// 0.998"), so a trace read alone says what made it (`asyncopt plot` labels
// its lines with it).
class TraceWriter {
 public:
  // Throws asyncopt::Error if it cannot be opened.
  TraceWriter(const std::string& path, const std::string& run);
  ~TraceWriter();                                 // without Close(): the temporary file is removed
  TraceWriter(const TraceWriter&) = delete;
  TraceWriter& operator=(const TraceWriter&) = delete;
  void Write(const TracePoint& p);
  // Moves the trace into place; false (and error()) when any write failed.
  bool Close();
  // Removes the temporary file: the target keeps what it held.
  void Abandon();
  const std::string& error() const { return error_; }

 private:
  void Put(std::string_view text);
  std::unique_ptr<io::OutputFile> out_;
  std::string error_;
  std::string run_field_;  // `run`, quoted for CSV
};

// `text` as one CSV field: quoted (inner quotes doubled) when it holds a
// comma, a quote or a line break.
std::string CsvField(const std::string& text);

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
