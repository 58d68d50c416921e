// The thread-contention sweep behind `asyncopt contention`: hogwild over
// threads x write policy x sparsifier on one data set, beside its ceilings
// (plain_sgd.hpp), in rounds; see contention.cpp for what is measured and
// how. No Boost here: the CLI (src/cli/contention_command.cpp) reads the
// options and hands them over as a Settings.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace asyncopt::tools {

// The sweep's settings, by the CLI's option names ("threads", "write",
// "sparsifier", "target", ...). A key that is not given takes the sweep's
// default; a value that is not what the key needs throws asyncopt::Error
// naming the key and the value.
class Settings {
 public:
  virtual ~Settings() = default;
  virtual bool Has(const std::string& key) const = 0;
  virtual bool Flag(const std::string& key) const = 0;  // a switch (false when not given)
  virtual std::string Str(const std::string& key, const std::string& def) const = 0;
  virtual double Num(const std::string& key, double def) const = 0;
  virtual std::int64_t Int(const std::string& key, std::int64_t def) const = 0;
};

// One cell of the sweep as the CLI prints and plots it (the CSV and JSON
// hold every figure).
struct ContentionCell {
  std::string solver;      // "hogwild", "plain-sgd" (the ceiling), "naive-sgd" (the naive loop)
  int threads = 1;
  std::string policy;      // wild | atomic | locked; "plain" for the ceilings
  std::string sparsifier;  // none | gspar | ...
  int runs = 0;            // throughput runs measured
  double nnz_per_s = 0.0;  // median run
  double ratio_to_ceiling = 0.0, ratio_to_1thread = 0.0;
  double conflicts_per_1000 = 0.0;  // NaN for the ceilings
  double final_subopt = 0.0;        // of the median throughput run
  double time_to_target = 0.0;      // median seconds; NaN when no run reached the target
  int ttt_reached = 0, ttt_runs = 0;
};

struct ContentionReport {
  std::string name;            // the data set's name in the file names
  std::string csv, json;       // paths written (empty: not written, see write_errors)
  std::string scaling_csv;     // empty without scaling rounds
  std::vector<std::string> write_errors;  // an output that could not be written, each
  double step = 0.0, target = 0.0, f_star = 0.0;
  int epochs = 0, repeats = 0;
  std::vector<ContentionCell> cells;  // the ceiling, the naive loop, then the sweep's cells
  bool interrupted = false;    // `stop` was set: the files hold the runs made before it
  std::string machine;         // CPU model and cores
};

// Loads the data, computes f* (cached), runs the sweep and writes
// OUT/contention_NAME.csv and .json (and _scaling.csv), where OUT is
// settings "out". `stop` (may be null), when set, ends the sweep after the
// run in progress (a hogwild run is told to stop too); what was measured
// before it is written and the report says `interrupted`. `log` gets the
// progress lines (may be empty). `on_start` (may be empty) is called when
// the data is read, f* known and the first run about to begin: before it a
// stop has nothing to keep. Throws asyncopt::Error on bad settings or data,
// all checked before the data is read where they can be; an output that
// cannot be written is recorded in write_errors and the others are written.
ContentionReport RunContention(const Settings& settings, const std::atomic<bool>* stop,
                               const std::function<void(const std::string&)>& log,
                               const std::function<void()>& on_start = {});

// The cores' cache-line round trip in nanoseconds (core_latency.hpp), as
// one JSON object {"round_trip_ns": X, "trips": N}.
std::string ProbeCoreRoundTripJson();

}  // namespace asyncopt::tools
