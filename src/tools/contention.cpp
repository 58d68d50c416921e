// The thread-contention sweep of the hogwild solver (`asyncopt contention`;
// bench/contention.py drives it for the project's recorded results).
//
// Loads ONE dataset once (a LIBSVM file, or generated in-process), applies the
// requested preprocessing, computes f* (reference solver, on-disk cache), then
// sweeps threads x write policy x sparsifier with asyncopt::Solve (solver
// hogwild, constant step). Every cell is run twice per repeat:
//
//   throughput run   a fixed number of epochs, target off (f* given, so the
//                    final suboptimality is reported);
//   time-to-target   target suboptimality on, objective traced every
//                    --ttt-trace-every epochs (off the clock), capped by
//                    --ttt-max-seconds / --ttt-max-epochs.
//
// The CEILING (bench/plain_sgd.hpp: plain single-thread non-atomic SGD, same
// update rule and permutations) is measured the same way in the same run,
// and so are the NAIVE loop (plain_sgd.hpp's RunNaiveSgd: the textbook
// single-thread Hogwild loop, rows drawn with replacement, l2 on the row's
// coordinates without hogwild's frequency weights: a second ceiling, for
// speed only, since it solves another problem), the CAS floor (the ceiling's loop with CAS stores) and the
// INDEPENDENT PAIR: two ceiling loops at once on two threads, each on its own
// copy of w. Nothing is shared, so their combined nnz/s over the ceiling's is
// the most two threads of this machine give this data (memory bandwidth,
// shared caches, the host's scheduling of the two vCPUs): the reference for
// hogwild's 2-thread scaling.
// Before each round the cores' cache-line round trip is measured
// (core_latency.hpp): the host moves this VM's two vCPUs between near and
// far placements, and a shared model's 2-thread speed follows it.
//
// SCALING ROUNDS (--scaling-rounds K, after the sweep): the cells of the 1-
// and 2-thread goals only (the ceiling, `wild` and `atomic` at 1 and 2
// threads without a sparsifier, the independent pair, and the SHARED PAIR:
// the ceiling's loop on two threads over one w, plain_sgd.hpp), back to
// back, each next to the run it is compared with, after a discarded warm-up
// (the first run after the sleep was the slowest), every other round in
// reverse order, --scaling-gap seconds asleep before each so the K rounds
// sample the host over time. A sweep round puts
// dozens of cells between a 1-thread and a 2-thread run; a scaling round puts
// them a few hundred milliseconds apart, next to their own controls.
//
// Repeats are done in rounds (round r runs the ceiling, the CAS floor, the
// independent pair, the naive loop, then every cell once: the naive loop
// next to the first cell, 1-thread `wild` in the default order),
// so load drift on a shared machine spreads over all cells; per cell the
// median run (by seconds) of the k repeats is reported, plus min/max;
// conflicts per 1000 updates are pooled over all k runs (sum / sum).
//
// nnz processed = updates x mean row nnz. Throughput runs stop only at epoch
// ends and every epoch is a permutation of all rows, so this equals the exact
// sum of the processed rows' nnz.
//
// Output: OUT/contention_NAME.csv and .json, one row per cell (the
// ceiling is the row with solver "plain-sgd"), with the machine context; the
// scaling rounds in the JSON and in OUT/contention_NAME_scaling.csv. A sweep
// that is stopped (Ctrl-C, SIGTERM) writes the runs it made.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <functional>
#include <iostream>
#include <limits>
#include <map>
#include <numeric>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "tools/contention.hpp"

#include "algorithms/hogwild.hpp"
#include "asyncopt/asyncopt.hpp"
#include "io/output_file.hpp"
#include "tools/core_latency.hpp"
#include "tools/plain_sgd.hpp"
#include "tools/report_text.hpp"

namespace asyncopt::tools {
namespace {

using asyncopt::Dataset;
using asyncopt::Problem;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

asyncopt::Error Bad(const std::string& message) {
  return asyncopt::Error(asyncopt::ErrorKind::kInvalidOption, message);
}

// ---------------------------------------------------------------- context

std::vector<double> LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::vector<double> v(3, kNaN);
  in >> v[0] >> v[1] >> v[2];
  return v;
}

// Independent pair nnz/s over the ceiling's: (updates_a + updates_b) / max
// over updates / alone, with equal updates on both threads.
double PairRatio(double alone, double a, double b) {
  const double both = std::max(a, b);
  return both > 0.0 ? 2.0 * alone / both : kNaN;
}

std::string JsonArray(const std::vector<double>& v) {
  std::string out = "[";
  for (std::size_t k = 0; k < v.size(); ++k) out += (k ? ", " : "") + JsonNum(v[k]);
  return out + "]";
}
std::string CsvStr(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

double Median(std::vector<double> v) {  // NaN (not reached) sorts last: +inf
  if (v.empty()) return kNaN;
  for (double& x : v) {
    if (std::isnan(x)) x = std::numeric_limits<double>::infinity();
  }
  std::sort(v.begin(), v.end());
  const double mid = v.size() % 2 == 1 ? v[v.size() / 2]
                                       : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
  return std::isfinite(mid) ? mid : kNaN;
}

// ---------------------------------------------------------------- cells

struct Run {  // one throughput run
  double seconds = 0.0;
  std::int64_t updates = 0;
  // Nonzeros processed when counted (the naive loop: drawn rows); NaN =
  // updates x mean row nnz (whole permutation epochs: exact).
  double nnz = kNaN;
  std::int64_t coords = 0;
  std::int64_t conflicts = 0;
  double subopt = kNaN;
  std::string status;
};

struct Cell {
  std::string solver;  // "hogwild", "plain-sgd" (the ceiling) or "naive-sgd" (the naive loop)
  int threads = 1;
  std::string policy;      // wild/atomic/locked; "plain" for the ceiling
  std::string sparsifier;  // none/...
  asyncopt::WritePolicy write = asyncopt::WritePolicy::kWild;
  asyncopt::SparsifierKind kind = asyncopt::SparsifierKind::kNone;
  std::vector<Run> runs;
  std::vector<double> ttt;         // seconds, NaN when not reached
  std::vector<double> ttt_epochs;  // epochs at the target, NaN when not reached
  std::vector<std::string> ttt_status;
  // Filled by Summarise().
  Run median;
  double nnz_per_s = kNaN, nnz_per_s_min = kNaN, nnz_per_s_max = kNaN;
  double ratio_ceiling = kNaN, ratio_1thread = kNaN, ratio_naive = kNaN;
  double ttt_median = kNaN, ttt_epochs_median = kNaN;
  double conflicts_per_1000 = kNaN;  // pooled over all repeats: sum conflicts / sum updates
  int ttt_reached = 0;
};

std::vector<double> RunSeconds(const Cell& c) {
  std::vector<double> out;
  for (const Run& r : c.runs) out.push_back(r.seconds);
  return out;
}
// Nonzeros processed per run: counted (the naive loop), else updates x mean row nnz.
std::vector<double> RunNnz(const Cell& c, double mean_nnz) {
  std::vector<double> out;
  for (const Run& r : c.runs) {
    out.push_back(std::isnan(r.nnz) ? static_cast<double>(r.updates) * mean_nnz : r.nnz);
  }
  return out;
}

// ---------------------------------------------------------------- main

// One entry of a comma-separated list option as an integer or a number.
int ListInt(const std::string& key, const std::string& item, int lo, int hi) {
  std::size_t used = 0;
  long v = 0;
  try {
    v = std::stol(item, &used);
  } catch (...) {
    used = 0;
  }
  if (used != item.size() || v < lo || v > hi) {
    throw Bad("--" + key + ": '" + item + "' is not an integer in [" + std::to_string(lo) +
              ", " + std::to_string(hi) + "]");
  }
  return static_cast<int>(v);
}
double ListNumber(const std::string& key, const std::string& item) {
  std::size_t used = 0;
  double v = 0.0;
  try {
    v = std::stod(item, &used);
  } catch (...) {
    used = 0;
  }
  if (used != item.size() || !std::isfinite(v)) {
    throw Bad("--" + key + ": '" + item + "' is not a finite number");
  }
  return v;
}

}  // namespace

std::string ProbeCoreRoundTripJson() {
  const CoreLatency c = MeasureCoreRoundTrip();
  return "{\"round_trip_ns\": " + JsonNum(c.round_trip_ns) + ", \"trips\": " +
         std::to_string(c.trips) + "}";
}

ContentionReport RunContention(const Settings& args, const std::atomic<bool>* stop,
                               const std::function<void(const std::string&)>& log_fn,
                               const std::function<void()>& on_start) {
  auto stopped = [stop] { return stop != nullptr && stop->load(std::memory_order_relaxed); };
  {  // checked before the data is loaded: TTT runs are made in the first
     // --ttt-repeats of the --repeats rounds, so more cannot be honoured
    const std::int64_t repeats = args.Int("repeats", 3);
    const std::int64_t ttt_repeats = args.Int("ttt-repeats", repeats);
    if (ttt_repeats > repeats) {
      throw Bad("--ttt-repeats " + std::to_string(ttt_repeats) +
                " exceeds --repeats " + std::to_string(repeats) +
                ": time-to-target runs are made in the first --ttt-repeats of "
                "the --repeats rounds");
    }
    if (args.Int("scaling-rounds", 0) < 0) {
      throw Bad("--scaling-rounds " + args.Str("scaling-rounds", "") +
                ": must be >= 0");
    }
    const double gap = args.Num("scaling-gap", 0.0);
    if (!(gap >= 0.0 && gap <= 600.0)) {
      throw Bad("--scaling-gap " + args.Str("scaling-gap", "") +
                ": must be between 0 and 600 seconds");
    }
  }
  // ---- the sweep's cells (checked before the data is loaded)
  const int epochs = static_cast<int>(args.Int("epochs", 5));
  const int repeats = static_cast<int>(args.Int("repeats", 3));
  const std::uint64_t seed = static_cast<std::uint64_t>(args.Int("seed", 1));
  const double rho = args.Num("rho", 0.1);
  if (!(rho > 0.0 && rho <= 1.0)) throw Bad("--rho " + args.Str("rho", "") + ": must be in (0, 1]");
  const int lock_stripe = static_cast<int>(args.Int("lock-stripe", 1));
  if (lock_stripe < 1 || (lock_stripe & (lock_stripe - 1)) != 0) {
    throw Bad("--lock-stripe: must be a power of two >= 1");
  }
  const std::int64_t conflict_sample =
      args.Int("conflict-sample", asyncopt::AsyncOptions{}.conflict_sample);
  if (conflict_sample < 1 || conflict_sample > asyncopt::kMaxConflictSample) {
    throw Bad("--conflict-sample " + std::to_string(conflict_sample) + ": must be in [1, " +
              std::to_string(asyncopt::kMaxConflictSample) + "]");
  }
  const double ttt_max_seconds = args.Num("ttt-max-seconds", 5.0);
  const int ttt_max_epochs = static_cast<int>(args.Int("ttt-max-epochs", 200));
  const double ttt_every = args.Num("ttt-trace-every", 0.25);
  const int ttt_repeats = static_cast<int>(args.Int("ttt-repeats", repeats));
  if (epochs < 1 || repeats < 1 || ttt_max_epochs < 1 || !(ttt_every > 0.0) ||
      !(ttt_max_seconds > 0.0)) {
    throw Bad("--epochs, --repeats, --ttt-* must be positive");
  }
  const double trace_every = args.Num("trace-every", static_cast<double>(epochs));
  if (!(trace_every > 0.0 && trace_every <= static_cast<double>(epochs))) {
    throw Bad("--trace-every " + args.Str("trace-every", "") +
              ": must be > 0 and at most --epochs");
  }
  const int scaling_rounds = static_cast<int>(args.Int("scaling-rounds", 0));
  const double scaling_gap = args.Num("scaling-gap", 0.0);
  std::vector<int> thread_list;
  for (const std::string& t : SplitList(args.Str("threads", "1,2,4,8,16,32"))) {
    const int n = ListInt("threads", t, 1, asyncopt::kMaxThreads);
    thread_list.push_back(n);
  }
  std::vector<Cell> cells;
  Cell ceiling;
  ceiling.solver = "plain-sgd";
  ceiling.policy = "plain";
  ceiling.sparsifier = "none";
  Cell naive;  // the second ceiling (plain_sgd.hpp's RunNaiveSgd); no TTT runs: it
               // minimises another function, so F's target need not be reachable
  naive.solver = "naive-sgd";
  naive.policy = "plain";
  naive.sparsifier = "none";
  for (const std::string& sp : SplitList(args.Str("sparsifier", "none,gspar,uniform,topk"))) {
    asyncopt::SparsifierKind kind;
    if (!asyncopt::Parse(sp, &kind)) throw Bad("--sparsifier: unknown '" + sp + "' (none, gspar, gspar-exact, uniform, topk, qsgd)");
    for (const std::string& po : SplitList(args.Str("write", "wild,atomic,locked"))) {
      asyncopt::WritePolicy write;
      if (!asyncopt::Parse(po, &write)) throw Bad("--write: unknown '" + po + "' (wild, atomic, locked)");
      for (int t : thread_list) {
        Cell c;
        c.solver = "hogwild";
        c.threads = t;
        c.policy = po;
        c.sparsifier = sp;
        c.write = write;
        c.kind = kind;
        cells.push_back(c);
      }
    }
  }
  if (cells.empty()) throw Bad("--threads, --write and --sparsifier: the sweep has no cell");
  // The preprocessing, the problem and the output name, also before the data.
  asyncopt::Preprocessing prep;
  if (args.Has("scale") && args.Str("scale", "") != "none") {
    if (args.Str("scale", "") != "maxabs") {
      throw Bad("--scale " + args.Str("scale", "") + ": expected none or maxabs");
    }
    prep.scale_maxabs = true;
  }
  prep.normalize_rows = args.Flag("normalize-rows");
  prep.bias = args.Num("bias", -1.0);
  if (prep.bias > 1e6) throw Bad("--bias " + args.Str("bias", "") + ": at most 1e6");
  Problem problem;
  if (!asyncopt::Parse(args.Str("loss", "logistic"), &problem.loss)) {
    throw Bad("--loss " + args.Str("loss", "") +
              ": unknown loss (logistic, hinge, squared-hinge, squared)");
  }
  problem.l1 = args.Num("l1", 0.0);
  problem.l2 = args.Num("l2", 1e-4);
  problem.Validate();
  const double target = args.Num("target", 1e-2);
  if (!(target >= 0.0)) throw Bad("--target " + args.Str("target", "") + ": must be >= 0 (0 = none)");
  if (!(args.Num("step", 0.0) >= 0.0)) {
    throw Bad("--step " + args.Str("step", "") + ": must be > 0 (or 0: hogwild's default rule)");
  }
  if (args.Has("name")) {
    const std::string n = args.Str("name", "");
    if (n.empty() || n == "." || n == ".." || n.find('/') != std::string::npos) {
      throw Bad("--name '" + n + "': a file name part, without '/'");
    }
  }
  auto log = [&](const std::string& s) {
    if (log_fn) log_fn(s);
  };
  const std::vector<double> load_before = LoadAverage();
  const auto wall0 = std::chrono::steady_clock::now();

  // ---- data, loaded once
  Dataset data;
  std::string name = args.Str("name", "");
  std::string data_desc;
  if (args.Has("data") == args.Has("generate")) {
    throw Bad("give exactly one of --data FILE and --generate KIND (see --help)");
  }
  if (args.Has("data")) {
    const std::string path = args.Str("data", "");
    asyncopt::ReadOptions ro;
    for (const std::string& l : SplitList(args.Str("positive-labels", ""))) {
      ro.positive_labels.push_back(ListNumber("positive-labels", l));
    }
    log("reading " + path + " ...\n");
    data = asyncopt::ReadLibsvm(path, ro);
    data_desc = path;
    if (ro.positive_labels.size() > 0) data_desc += " (positive labels " + args.Str("positive-labels", "") + ")";
    if (name.empty()) {
      name = path.substr(path.find_last_of('/') + 1);
      for (const char* ext : {".xz", ".gz", ".bz2", ".svm", ".txt", ".libsvm"}) {
        const std::string e = ext;
        if (name.size() > e.size() && name.compare(name.size() - e.size(), e.size(), e) == 0) {
          name.resize(name.size() - e.size());
        }
      }
    }
  } else {
    const std::string kind = args.Str("generate", "");
    const std::uint64_t gseed = static_cast<std::uint64_t>(args.Int("gen-seed", 1));
    if (kind == "svm-wangni") {
      asyncopt::WangniSvmOptions g;
      g.rows = args.Int("rows", 51200);
      g.dim = static_cast<std::int32_t>(args.Int("dim", 256));
      g.seed = gseed;
      data = asyncopt::GenerateWangniSvm(g);
      data_desc = "generated svm-wangni rows=" + std::to_string(g.rows) + " dim=" +
                  std::to_string(g.dim) + " c1=0.01 c2=0.9 noise=1 seed=" + std::to_string(gseed);
    } else if (kind == "powerlaw") {
      asyncopt::PowerLawOptions g;
      g.rows = args.Int("rows", 100000);
      g.dim = static_cast<std::int32_t>(args.Int("dim", 20000));
      g.nnz_per_row = static_cast<std::int32_t>(args.Int("nnz-per-row", 40));
      g.zipf_exponent = args.Num("zipf", 1.1);
      g.seed = gseed;
      data = asyncopt::GeneratePowerLaw(g);
      data_desc = "generated powerlaw rows=" + std::to_string(g.rows) + " dim=" +
                  std::to_string(g.dim) + " nnz_per_row=" + std::to_string(g.nnz_per_row) +
                  " zipf=" + Num(g.zipf_exponent) + " seed=" + std::to_string(gseed);
    } else {
      throw Bad("--generate " + kind + ": expected svm-wangni or powerlaw");
    }
    if (name.empty()) name = kind;
  }
  asyncopt::Apply(prep, data);
  const asyncopt::DatasetStats stats = asyncopt::ComputeStats(data, 500);
  const double mean_nnz = static_cast<double>(data.nnz()) / static_cast<double>(data.num_rows);
  log("data " + name + ": " + std::to_string(data.num_rows) + " x " +
      std::to_string(data.num_cols) + ", nnz " + std::to_string(data.nnz()) + " (" +
      Num(mean_nnz) + "/row), preprocessing '" + prep.Describe() + "'\n");

  // ---- f*
  asyncopt::OptimumCache cache;
  const std::string key =
      asyncopt::OptimumCache::Key(asyncopt::ContentHash(data), prep.Describe(), problem);
  asyncopt::OptimumCacheEntry entry;
  std::string f_star_source = "cache";
  double f_star_seconds = 0.0;
  if (!cache.Lookup(key, &entry)) {
    log("computing f* with the reference solver ...\n");
    const auto t0 = std::chrono::steady_clock::now();
    asyncopt::ReferenceResult ref = asyncopt::SolveReference(data, problem);
    f_star_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    entry.f_star = ref.objective;
    entry.w_star = ref.w;
    entry.method = ref.method;
    entry.certificate = ref.certificate;
    f_star_source = "computed";
    try {
      cache.Store(key, entry);
    } catch (const std::exception& e) {
      log(std::string("warning: f* cache not written: ") + e.what() + "\n");
    }
  }
  const double f_star = entry.f_star;
  log("f* = " + Num(f_star) + " (" + f_star_source + ", " + entry.method + ")\n");

  // ---- sweep definition
  const double step_arg = args.Num("step", 0.0);
  const double step = step_arg > 0.0 ? step_arg
                                     : asyncopt::algorithms::HogwildDefaultStep(data, problem);
  log("step " + Num(step) + ", " + std::to_string(cells.size()) + " cells x " +
      std::to_string(repeats) + " repeats, " + std::to_string(epochs) + " epochs" +
      (target > 0.0 ? ", TTT target " + Num(target) : std::string()) + "\n");

  // ---- runs, in rounds
  std::vector<double> ceiling_w, hogwild_1t_w;  // bit-for-bit check of the ceiling
  std::vector<double> cas_floor_seconds;        // one per round
  std::vector<double> pair_ratio;               // independent pair nnz/s over the round's ceiling
  auto options_for = [&](const Cell& c) {
    asyncopt::Options o;
    o.solver = asyncopt::SolverKind::kHogwild;
    o.threads = c.threads;
    o.seed = seed;
    o.step = step;
    o.async.step_decay = 1.0;  // a constant step, as the ceilings' (and the bit-for-bit check)
    o.max_epochs = epochs;
    o.f_star = f_star;
    // By default one trace point, at the end (--trace-every: the CLI's
    // default is every epoch). Objective evaluations are off the solver
    // clock, and so are the copies of w they read.
    o.trace_every_epochs = trace_every;
    o.async.write = c.write;
    o.sparsify.kind = c.kind;
    o.sparsify.rho = rho;
    o.async.lock_stripe = lock_stripe;
    o.async.conflict_sample = static_cast<int>(conflict_sample);
    o.stop = stop;
    return o;
  };
  auto first_at_target = [&](const std::vector<asyncopt::TracePoint>& trace, double* secs,
                             double* ep) {
    for (const auto& p : trace) {
      if (p.epoch > 0.0 && p.suboptimality <= target) {
        *secs = p.seconds;
        *ep = p.epoch;
        return true;
      }
    }
    return false;
  };

  auto plain_options = [&](bool cas_writes) {
    asyncopt::tools::PlainSgdOptions po;
    po.step = step;
    po.max_epochs = epochs;
    po.seed = seed;
    po.f_star = f_star;
    po.eval_threads = 1;
    po.cas_writes = cas_writes;
    po.stop = stop;
    return po;
  };
  // A stop (signal) ends the sweep after the run in progress, which is not
  // recorded: a partial run is not a measurement.
  struct Interrupted {};
  auto check = [&](bool partial) {
    if (partial || stopped()) throw Interrupted{};
  };
  auto check_solve = [&](const asyncopt::Result& r) {
    check(r.status == asyncopt::Status::kInterrupted);
  };
  // Two ceiling loops at once on two threads, each on its own w: seconds of each.
  auto run_pair = [&]() {
    asyncopt::tools::PlainSgdResult a, b;
    {
      std::jthread other([&] { b = asyncopt::tools::RunPlainSgd(data, problem, plain_options(false)); });
      a = asyncopt::tools::RunPlainSgd(data, problem, plain_options(false));
    }
    check(a.stopped || b.stopped);
    return std::pair<double, double>(a.seconds, b.seconds);
  };
  // The host's placement of the two cores, before each round (core_latency.hpp).
  std::vector<double> round_trip_ns;
  auto measure_round_trip = [&]() {
    const asyncopt::tools::CoreLatency c = asyncopt::tools::MeasureCoreRoundTrip();
    log("  cores' cache-line round trip: " + Num(c.round_trip_ns) + " ns (" +
        std::to_string(c.trips) + " trips)\n");
    return c.round_trip_ns;
  };
  // The scaling rounds' figures (after the sweep's rounds).
  struct ScalingRound {
    double round_trip_ns = kNaN;
    bool reversed = false;
    // nnz/s of: the naive loop, the ceiling, `wild` at 1 and 2 threads,
    // `atomic` at 1 and 2.
    double naive = kNaN, ceiling = kNaN, wild1 = kNaN, wild2 = kNaN, atomic1 = kNaN,
           atomic2 = kNaN;
    double pair_a = kNaN, pair_b = kNaN;  // seconds of the independent pair's two loops
    double pair = kNaN, pair_ratio = kNaN;  // its nnz/s, and over the round's ceiling
    double shared2 = kNaN;  // the shared pair (plain_sgd.hpp): two plain loops on one w
    std::int64_t wild2_conflicts = 0, wild2_updates = 0;
  };
  std::vector<ScalingRound> scaling;
  if (on_start) on_start();  // from here a stop keeps what was measured
  bool interrupted = false;
  try {
  for (int round = 0; round < repeats; ++round) {
    check(false);
    log("round " + std::to_string(round + 1) + "/" + std::to_string(repeats) + "\n");
    round_trip_ns.push_back(measure_round_trip());
    {  // the ceiling
      asyncopt::tools::PlainSgdOptions po = plain_options(false);
      asyncopt::tools::PlainSgdResult r = asyncopt::tools::RunPlainSgd(data, problem, po);
      check(r.stopped);
      Run run;
      run.seconds = r.seconds;
      run.updates = r.updates;
      run.coords = r.updates > 0 ? static_cast<std::int64_t>(std::llround(
                                       static_cast<double>(r.updates) * mean_nnz))
                                 : 0;
      run.subopt = r.suboptimality;
      run.status = std::isfinite(r.objective) ? "max_epochs" : "diverged";
      ceiling.runs.push_back(run);
      if (round == 0) ceiling_w = r.w;
      if (target > 0.0 && round < ttt_repeats) {
        po.max_epochs = ttt_max_epochs;
        po.max_seconds = ttt_max_seconds;
        po.eval_every_epochs = ttt_every;
        po.target_subopt = target;
        r = asyncopt::tools::RunPlainSgd(data, problem, po);
        check(r.stopped);
        ceiling.ttt.push_back(r.reached ? r.time_to_target : kNaN);
        ceiling.ttt_epochs.push_back(r.reached ? r.epochs : kNaN);
        ceiling.ttt_status.push_back(r.reached ? "target_reached" : "not_reached");
      }
      log("  ceiling: " + Num(run.seconds) + " s, subopt " + Num(run.subopt) +
          (target > 0.0 && round < ttt_repeats
               ? ", ttt " + (r.reached ? Num(r.time_to_target) + " s" : std::string("-"))
               : std::string()) +
          "\n");
    }
    {  // the CAS floor: the plain loop with every store a compare-and-swap
      const asyncopt::tools::PlainSgdResult r =
          asyncopt::tools::RunPlainSgd(data, problem, plain_options(true));
      check(r.stopped);
      cas_floor_seconds.push_back(r.seconds);
      log("  CAS floor: " + Num(r.seconds) + " s\n");
    }
    {  // the independent pair: two ceiling loops at once, nothing shared
      const auto [a, b] = run_pair();
      pair_ratio.push_back(PairRatio(ceiling.runs.back().seconds, a, b));
      log("  independent pair: " + Num(a) + " s and " + Num(b) + " s, " +
          Num(pair_ratio.back()) + "x the ceiling's nnz/s\n");
    }
    {  // the naive loop, next to the first cell (1-thread `wild` in the default order)
      const asyncopt::tools::PlainSgdResult r =
          asyncopt::tools::RunNaiveSgd(data, problem, plain_options(false));
      check(r.stopped);
      Run run;
      run.seconds = r.seconds;
      run.updates = r.updates;
      run.coords = r.nnz;  // every nonzero of a drawn row is written
      run.nnz = static_cast<double>(r.nnz);
      run.subopt = r.suboptimality;
      run.status = std::isfinite(r.objective) ? "max_epochs" : "diverged";
      naive.runs.push_back(run);
      log("  naive loop: " + Num(run.seconds) + " s, subopt " + Num(run.subopt) +
          " (of F; it minimises another function)\n");
    }
    for (Cell& c : cells) {
      asyncopt::Options o = options_for(c);
      asyncopt::Result r = asyncopt::Solve(data, problem, o);
      check_solve(r);
      Run run;
      run.seconds = r.seconds;
      run.updates = r.updates;
      run.coords = r.coords_sent;
      run.conflicts = r.conflicts;
      run.subopt = r.suboptimality;
      run.status = std::string(asyncopt::ToString(r.status));
      c.runs.push_back(run);
      if (round == 0 && c.threads == 1 && c.policy == "wild" && c.sparsifier == "none") {
        hogwild_1t_w = r.w;
      }
      std::string line = "  " + c.policy + " " + c.sparsifier + " T=" + std::to_string(c.threads) +
                         ": " + Num(r.seconds) + " s, subopt " + Num(r.suboptimality);
      if (target > 0.0 && round < ttt_repeats) {
        o.max_epochs = ttt_max_epochs;
        o.max_seconds = ttt_max_seconds;
        o.trace_every_epochs = ttt_every;
        o.target_subopt = target;
        asyncopt::Result t = asyncopt::Solve(data, problem, o);
        check_solve(t);
        double secs = kNaN, ep = kNaN;
        const bool hit = first_at_target(t.trace, &secs, &ep);
        c.ttt.push_back(hit ? secs : kNaN);
        c.ttt_epochs.push_back(hit ? ep : kNaN);
        c.ttt_status.push_back(std::string(asyncopt::ToString(t.status)));
        line += ", ttt " + (hit ? Num(secs) + " s" : std::string("-"));
      }
      log(line + "\n");
    }
  }

  // ---- scaling rounds: the cells of the 1- and 2-thread goals, back to back
  const double full_updates = static_cast<double>(data.num_rows) * epochs;
  // nnz/s of a throughput run; NaN for one that stopped early or diverged,
  // which has no comparable rate.
  auto rate_of = [&](double seconds, std::int64_t updates, bool finite) {
    return finite && seconds > 0.0 && static_cast<double>(updates) == full_updates
               ? full_updates * mean_nnz / seconds
               : kNaN;
  };
  auto all_finite = [](const std::vector<double>& w) {
    return std::all_of(w.begin(), w.end(), [](double v) { return std::isfinite(v); });
  };
  for (int round = 0; round < scaling_rounds; ++round) {
    log("scaling round " + std::to_string(round + 1) + "/" + std::to_string(scaling_rounds) +
        "\n");
    // Asleep in slices, so a stop is seen within 0.1 s.
    using Clock = std::chrono::steady_clock;
    for (const Clock::time_point wake =
             Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                std::chrono::duration<double>(scaling_gap));
         Clock::now() < wake;) {
      check(false);
      std::this_thread::sleep_for(std::min<Clock::duration>(wake - Clock::now(),
                                                            std::chrono::milliseconds(100)));
    }
    ScalingRound sr;
    sr.reversed = round % 2 == 1;
    sr.round_trip_ns = measure_round_trip();
    // Warm-up, discarded. After the sleep, the first run of a round was the
    // slowest: in 3b27dcd's rounds on powerlaw-flat the ceiling ran at a
    // median 1.45e8 nnz/s when first and 1.86e8 when last, and the shared
    // pair 2.40e8 when first and 3.10e8 when last. The pair wakes both vCPUs.
    run_pair();
    auto hogwild = [&](asyncopt::WritePolicy write, int threads, double* rate) {
      Cell c;
      c.threads = threads;
      c.write = write;
      c.kind = asyncopt::SparsifierKind::kNone;
      const asyncopt::Result r = asyncopt::Solve(data, problem, options_for(c));
      check_solve(r);
      *rate = rate_of(r.seconds, r.updates,
                      r.status == asyncopt::Status::kMaxEpochs && std::isfinite(r.objective));
      if (write == asyncopt::WritePolicy::kWild && threads == 2) {
        sr.wild2_conflicts = r.conflicts;
        sr.wild2_updates = r.updates;
      }
    };
    // Each run next to the one it is compared with: the naive loop beside
    // the ceiling, the ceiling beside 1-thread `wild`, 2-thread `wild` beside
    // it and the shared pair.
    std::vector<std::function<void()>> steps = {
        [&] {
          const asyncopt::tools::PlainSgdResult r =
              asyncopt::tools::RunNaiveSgd(data, problem, plain_options(false));
          check(r.stopped);
          sr.naive = std::isfinite(r.objective) && r.seconds > 0.0 &&
                             static_cast<double>(r.updates) == full_updates
                         ? static_cast<double>(r.nnz) / r.seconds
                         : kNaN;
        },
        [&] {
          const asyncopt::tools::PlainSgdResult r =
              asyncopt::tools::RunPlainSgd(data, problem, plain_options(false));
          check(r.stopped);
          sr.ceiling = rate_of(r.seconds, r.updates, std::isfinite(r.objective));
        },
        [&] { hogwild(asyncopt::WritePolicy::kWild, 1, &sr.wild1); },
        [&] { hogwild(asyncopt::WritePolicy::kWild, 2, &sr.wild2); },
        [&] {
          const asyncopt::tools::PlainSgdResult r =
              asyncopt::tools::RunSharedPairSgd(data, problem, plain_options(false));
          check(r.stopped);
          sr.shared2 = rate_of(r.seconds, r.updates, all_finite(r.w));
        },
        [&] { hogwild(asyncopt::WritePolicy::kAtomic, 1, &sr.atomic1); },
        [&] { hogwild(asyncopt::WritePolicy::kAtomic, 2, &sr.atomic2); },
        [&] {
          std::tie(sr.pair_a, sr.pair_b) = run_pair();
          sr.pair = rate_of(std::max(sr.pair_a, sr.pair_b), static_cast<std::int64_t>(full_updates),
                            true);
          sr.pair *= 2.0;  // both loops' nonzeros in the slower one's time
        }};
    if (sr.reversed) std::reverse(steps.begin(), steps.end());
    for (const auto& step_fn : steps) step_fn();
    sr.pair_ratio = sr.pair / sr.ceiling;
    log("  naive " + Num(sr.naive) + " nnz/s, ceiling " + Num(sr.ceiling) + " nnz/s; wild 1T " +
        Num(sr.wild1) + " (" + Num(sr.wild1 / sr.naive) + "x naive), 2T " +
        Num(sr.wild2) + " (" + Num(sr.wild2 / sr.wild1) + "x); atomic 1T " + Num(sr.atomic1) +
        ", 2T " + Num(sr.atomic2) + "; independent pair " + Num(sr.pair_ratio) +
        "x; shared pair " + Num(sr.shared2) + " (" + Num(sr.shared2 / sr.ceiling) + "x)\n");
    scaling.push_back(sr);
  }
  } catch (const Interrupted&) {
    interrupted = true;
    log("stopped: writing the runs made so far\n");
  }

  // ---- summaries
  auto summarise = [&](Cell& c) {
    if (c.runs.empty()) return;  // a stopped sweep: never measured, not written
    std::vector<std::size_t> order(c.runs.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) { return c.runs[a].seconds < c.runs[b].seconds; });
    c.median = c.runs[order[order.size() / 2]];  // median run (upper middle for even k)
    auto rate = [&](const Run& r) {
      const double nnz = std::isnan(r.nnz) ? static_cast<double>(r.updates) * mean_nnz : r.nnz;
      return r.seconds > 0.0 ? nnz / r.seconds : kNaN;
    };
    c.nnz_per_s = rate(c.median);
    c.nnz_per_s_min = rate(c.runs[order.back()]);
    c.nnz_per_s_max = rate(c.runs[order.front()]);
    double conflicts = 0.0, updates = 0.0;
    for (const Run& r : c.runs) {
      conflicts += static_cast<double>(r.conflicts);
      updates += static_cast<double>(r.updates);
    }
    c.conflicts_per_1000 = updates > 0.0 ? 1000.0 * conflicts / updates : kNaN;
    c.ttt_median = Median(c.ttt);
    c.ttt_epochs_median = Median(c.ttt_epochs);
    c.ttt_reached = static_cast<int>(
        std::count_if(c.ttt.begin(), c.ttt.end(), [](double v) { return !std::isnan(v); }));
  };
  summarise(ceiling);
  summarise(naive);
  ceiling.ratio_ceiling = 1.0;
  naive.ratio_ceiling = naive.nnz_per_s / ceiling.nnz_per_s;
  naive.ratio_naive = 1.0;
  ceiling.ratio_naive = ceiling.nnz_per_s / naive.nnz_per_s;
  for (Cell& c : cells) summarise(c);
  for (Cell& c : cells) {
    c.ratio_ceiling = c.nnz_per_s / ceiling.nnz_per_s;
    c.ratio_naive = c.nnz_per_s / naive.nnz_per_s;
    for (const Cell& one : cells) {
      if (one.threads == 1 && one.policy == c.policy && one.sparsifier == c.sparsifier) {
        c.ratio_1thread = c.nnz_per_s / one.nnz_per_s;
      }
    }
  }
  // CAS floor over the ceiling, best run against best run and median
  // against median: the highest nnz/s ratio `atomic` could reach at 1 thread.
  auto sorted_copy = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  const std::vector<double> floor_sorted = sorted_copy(cas_floor_seconds);
  const std::vector<double> ceiling_sorted = sorted_copy(RunSeconds(ceiling));
  const double cas_floor_best_ratio =
      floor_sorted.empty() ? kNaN : ceiling_sorted.front() / floor_sorted.front();
  const double cas_floor_median_ratio =
      floor_sorted.empty() ? kNaN
                           : ceiling_sorted[ceiling_sorted.size() / 2] / floor_sorted[floor_sorted.size() / 2];
  log("CAS floor / ceiling nnz/s: best " + Num(cas_floor_best_ratio) + ", median " +
      Num(cas_floor_median_ratio) + "\n");
  // 1-thread `wild` over the naive loop (issue 14, section 6): best run
  // against best run, median against median, and per sweep round (the two
  // runs of a round are a few cells apart).
  double naive_best_ratio = kNaN, naive_median_ratio = kNaN;
  std::vector<double> naive_round_ratio;
  for (const Cell& c : cells) {
    if (c.threads != 1 || c.policy != "wild" || c.sparsifier != "none") continue;
    naive_best_ratio = c.nnz_per_s_max / naive.nnz_per_s_max;
    naive_median_ratio = c.nnz_per_s / naive.nnz_per_s;
    const std::vector<double> hog_nnz = RunNnz(c, mean_nnz), naive_nnz = RunNnz(naive, mean_nnz);
    for (std::size_t k = 0; k < c.runs.size() && k < naive.runs.size(); ++k) {
      naive_round_ratio.push_back((hog_nnz[k] / c.runs[k].seconds) /
                                  (naive_nnz[k] / naive.runs[k].seconds));
    }
  }
  log("1-thread wild / naive loop nnz/s: best " + Num(naive_best_ratio) + ", median " +
      Num(naive_median_ratio) + "\n");
  const std::vector<double> pair_sorted = sorted_copy(pair_ratio);
  const double pair_best_ratio = pair_sorted.empty() ? kNaN : pair_sorted.back();
  const double pair_median_ratio = pair_sorted.empty() ? kNaN : pair_sorted[pair_sorted.size() / 2];
  log("independent pair / ceiling nnz/s: best " + Num(pair_best_ratio) + ", median " +
      Num(pair_median_ratio) + "\n");
  double ceiling_max_diff = kNaN;
  if (!ceiling_w.empty() && ceiling_w.size() == hogwild_1t_w.size()) {
    ceiling_max_diff = 0.0;
    for (std::size_t j = 0; j < ceiling_w.size(); ++j) {
      ceiling_max_diff = std::max(ceiling_max_diff, std::abs(ceiling_w[j] - hogwild_1t_w[j]));
    }
  }
  const std::vector<double> load_after = LoadAverage();
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();

  // ---- output
  ContentionReport report;
  report.interrupted = interrupted;
  report.name = name;
  if (ceiling.runs.empty()) return report;  // stopped before the first run: nothing to write
  const asyncopt::BuildInfo build = asyncopt::GetBuildInfo();
  const std::string cpu = CpuModel();
  const unsigned cores = std::thread::hardware_concurrency();
  const std::string date = UtcNow();
  const std::string command = args.Str("command", "");
  std::string problem_desc = std::string(asyncopt::ToString(problem.loss)) + " l1=" +
                             Num(problem.l1) + " l2=" + Num(problem.l2);
  const std::string out_dir = args.Str("out", ".");
  const std::string base = out_dir + "/contention_" + name;

  std::vector<const Cell*> all{&ceiling, &naive};
  for (const Cell& c : cells) {
    if (!c.runs.empty()) all.push_back(&c);
  }
  if (naive.runs.empty()) all.erase(all.begin() + 1);

  std::ostringstream csv;
  csv << "dataset,rows,cols,nnz,problem,solver,threads,policy,sparsifier,rho,epochs,repeats,step,"
         "seconds,seconds_min,seconds_max,updates,nnz_processed,updates_per_s,nnz_per_s,"
         "nnz_per_s_min,nnz_per_s_max,coords_written_per_s,conflicts_per_1000_updates,"
         "ratio_to_ceiling,ratio_to_1thread,ratio_to_naive,final_subopt,status,time_to_target_s,"
         "ttt_epochs,ttt_reached,target_subopt,cpu,cores,compiler,build_type,git_commit,date\n";
  auto seconds_minmax = [](const Cell& c) {
    double lo = std::numeric_limits<double>::infinity(), hi = 0.0;
    for (const Run& r : c.runs) {
      lo = std::min(lo, r.seconds);
      hi = std::max(hi, r.seconds);
    }
    return std::pair<double, double>(lo, hi);
  };
  // The plain loop has no conflicts to count; every hogwild cell does
  // (wild with a sparsifier compares each kept coordinate with its margin read).
  auto conflicts_measured = [](const Cell& c) { return c.solver == "hogwild"; };
  for (const Cell* c : all) {
    const Run& m = c->median;
    const auto [lo, hi] = seconds_minmax(*c);
    const double nnz_proc =
        std::isnan(m.nnz) ? static_cast<double>(m.updates) * mean_nnz : m.nnz;
    csv << CsvStr(name) << ',' << data.num_rows << ',' << data.num_cols << ',' << data.nnz() << ','
        << CsvStr(problem_desc) << ',' << c->solver << ',' << c->threads << ',' << c->policy << ','
        << c->sparsifier << ',' << (c->sparsifier == "none" ? "" : Num(rho)) << ',' << epochs
        << ',' << repeats << ',' << Num(step) << ',' << Num(m.seconds) << ',' << Num(lo) << ','
        << Num(hi) << ',' << m.updates << ',' << Num(nnz_proc) << ','
        << Num(static_cast<double>(m.updates) / m.seconds) << ',' << Num(c->nnz_per_s) << ','
        << Num(c->nnz_per_s_min) << ',' << Num(c->nnz_per_s_max) << ','
        << Num(static_cast<double>(m.coords) / m.seconds) << ','
        << (!conflicts_measured(*c) ? "" : Num(c->conflicts_per_1000))
        << ',' << Num(c->ratio_ceiling) << ',' << Num(c->ratio_1thread) << ','
        << Num(c->ratio_naive) << ',' << Num(m.subopt)
        << ',' << m.status << ',' << Num(c->ttt_median) << ',' << Num(c->ttt_epochs_median) << ','
        << (target > 0.0 ? std::to_string(c->ttt_reached) + "/" + std::to_string(c->ttt.size())
                         : std::string())
        << ',' << Num(target) << ',' << CsvStr(cpu) << ',' << cores << ',' << build.compiler << ','
        << build.build_type << ',' << build.git_commit << ',' << date << '\n';
  }
  // Each file is written even when another could not be (report.write_errors).
  auto write = [&report](const std::string& path, const std::string& text) {
    try {
      asyncopt::io::WriteOutputFile(path, text);
      return true;
    } catch (const std::exception& e) {
      report.write_errors.push_back(e.what());
      return false;
    }
  };
  if (write(base + ".csv", csv.str())) report.csv = base + ".csv";
  if (!scaling.empty()) {
    std::ostringstream sc;
    sc << "dataset,round,order,round_trip_ns,run,threads,policy,nnz_per_s,ratio_to_1thread,"
          "cpu,cores,compiler,build_type,git_commit,date\n";
    for (std::size_t k = 0; k < scaling.size(); ++k) {
      const ScalingRound& sr = scaling[k];
      const struct {
        const char* run;
        int threads;
        const char* policy;
        double rate, one;
      } rows[] = {{"naive-sgd", 1, "plain", sr.naive, kNaN},
                  {"plain-sgd", 1, "plain", sr.ceiling, kNaN},
                  {"hogwild", 1, "wild", sr.wild1, sr.wild1},
                  {"hogwild", 2, "wild", sr.wild2, sr.wild1},
                  {"hogwild", 1, "atomic", sr.atomic1, sr.atomic1},
                  {"hogwild", 2, "atomic", sr.atomic2, sr.atomic1},
                  {"independent-pair", 2, "plain", sr.pair, sr.ceiling},
                  {"shared-pair", 2, "plain", sr.shared2, sr.ceiling}};
      for (const auto& r : rows) {
        sc << CsvStr(name) << ',' << k + 1 << ',' << (sr.reversed ? "reverse" : "forward") << ','
           << Num(sr.round_trip_ns) << ',' << r.run << ',' << r.threads << ',' << r.policy << ','
           << Num(r.rate) << ',' << Num(r.rate / r.one) << ',' << CsvStr(cpu) << ',' << cores
           << ',' << build.compiler << ',' << build.build_type << ',' << build.git_commit << ','
           << date << '\n';
      }
    }
    if (write(base + "_scaling.csv", sc.str())) report.scaling_csv = base + "_scaling.csv";
  }

  std::ostringstream js;
  js << "{\n  \"benchmark\": \"contention\",\n  \"context\": {"
     << "\"cpu\": " << JsonStr(cpu) << ", \"cores\": " << cores
     << ", \"compiler\": " << JsonStr(build.compiler)
     << ", \"build_type\": " << JsonStr(build.build_type)
     << ", \"git_commit\": " << JsonStr(build.git_commit)
     << ", \"version\": " << JsonStr(build.version) << ", \"date\": " << JsonStr(date)
     << ", \"load_before\": [" << JsonNum(load_before[0]) << ", " << JsonNum(load_before[1])
     << ", " << JsonNum(load_before[2]) << "], \"load_after\": [" << JsonNum(load_after[0])
     << ", " << JsonNum(load_after[1]) << ", " << JsonNum(load_after[2])
     << "], \"wall_seconds\": " << JsonNum(wall) << ", \"command\": " << JsonStr(command)
     << ", \"interrupted\": " << (interrupted ? "true" : "false") << "},\n";
  js << "  \"dataset\": {\"name\": " << JsonStr(name) << ", \"source\": " << JsonStr(data_desc)
     << ", \"rows\": " << data.num_rows << ", \"cols\": " << data.num_cols
     << ", \"nnz\": " << data.nnz() << ", \"mean_row_nnz\": " << JsonNum(mean_nnz)
     << ", \"density\": " << JsonNum(stats.density) << ", \"preprocessing\": "
     << JsonStr(prep.Describe()) << ", \"hogwild_delta\": " << JsonNum(stats.delta)
     << ", \"hogwild_rho\": " << JsonNum(stats.rho)
     << ", \"top1pct_feature_share\": " << JsonNum(stats.top1pct_share) << "},\n";
  js << "  \"problem\": {\"loss\": " << JsonStr(std::string(asyncopt::ToString(problem.loss)))
     << ", \"l1\": " << JsonNum(problem.l1) << ", \"l2\": " << JsonNum(problem.l2)
     << ", \"f_star\": " << JsonNum(f_star) << ", \"f_star_source\": " << JsonStr(f_star_source)
     << ", \"f_star_method\": " << JsonStr(entry.method)
     << ", \"f_star_seconds\": " << JsonNum(f_star_seconds) << "},\n";
  js << "  \"settings\": {\"solver\": \"hogwild\", \"step\": " << JsonNum(step)
     << ", \"step_rule\": " << JsonStr(step_arg > 0.0 ? "given" : "hogwild default")
     << ", \"epochs\": " << epochs << ", \"repeats\": " << repeats << ", \"seed\": " << seed
     << ", \"rho\": " << JsonNum(rho) << ", \"lock_stripe\": " << lock_stripe
     << ", \"conflict_sample\": " << conflict_sample << ", \"target_subopt\": " << JsonNum(target)
     << ", \"ttt_max_seconds\": " << JsonNum(ttt_max_seconds)
     << ", \"ttt_max_epochs\": " << ttt_max_epochs
     << ", \"ttt_trace_every_epochs\": " << JsonNum(ttt_every)
     << ", \"ttt_repeats\": " << ttt_repeats
     << ", \"conflicts\": \"wild: written coordinates that another thread changed between "
        "the margin read and the write, looked for on one update in conflict_sample and "
        "counted conflict_sample times each (an estimate unless 1); atomic: failed CAS; locked: "
        "contended stripe acquisitions; per 1000 updates pooled over all repeats\""
     << ", \"aggregate\": \"median run of the repeats (by seconds); repeats in rounds\""
     << ", \"nnz_processed\": \"updates x mean row nnz (exact: throughput runs are whole "
        "permutation epochs)\""
     << ", \"trace_every_epochs\": " << JsonNum(trace_every)
     << ", \"ceiling_vs_hogwild_1t_wild_max_abs_diff\": " << JsonNum(ceiling_max_diff)
     << ", \"naive_ratio_best\": " << JsonNum(naive_best_ratio)
     << ", \"naive_ratio_median\": " << JsonNum(naive_median_ratio)
     << ", \"naive_ratios\": " << JsonArray(naive_round_ratio)
     << ", \"naive\": \"the naive loop (plain_sgd.hpp RunNaiveSgd): rows drawn with replacement, "
        "l2 on the row's coordinates without frequency weights (another function's "
        "minimiser), plain writes; naive_ratio_*: 1-thread wild nnz/s over its nnz/s, "
        "best run over best run, median over median, and per sweep round\""
     << ", \"cas_floor_seconds\": " << JsonArray(cas_floor_seconds)
     << ", \"cas_floor_ratio_best\": " << JsonNum(cas_floor_best_ratio)
     << ", \"cas_floor_ratio_median\": " << JsonNum(cas_floor_median_ratio)
     << ", \"independent_pair_ratios\": " << JsonArray(pair_ratio)
     << ", \"independent_pair_ratio_best\": " << JsonNum(pair_best_ratio)
     << ", \"independent_pair_ratio_median\": " << JsonNum(pair_median_ratio)
     << ", \"round_trip_ns\": " << JsonArray(round_trip_ns)
     << ", \"scaling_gap_seconds\": " << JsonNum(scaling_gap)
     << ", \"round_trip\": \"wall time for one cache line to go to the other core and back "
        "(spin hand-off, core_latency.hpp), measured before each round\""
     << "},\n";
  // The scaling rounds: one object per round, nnz/s per run.
  js << "  \"scaling_rounds\": [";
  for (std::size_t k = 0; k < scaling.size(); ++k) {
    const ScalingRound& sr = scaling[k];
    js << (k ? ",\n" : "\n") << "    {\"round_trip_ns\": " << JsonNum(sr.round_trip_ns)
       << ", \"order\": " << JsonStr(sr.reversed ? "reverse" : "forward")
       << ", \"naive_nnz_per_s\": " << JsonNum(sr.naive)
       << ", \"ceiling_nnz_per_s\": " << JsonNum(sr.ceiling)
       << ", \"wild_1_nnz_per_s\": " << JsonNum(sr.wild1)
       << ", \"wild_2_nnz_per_s\": " << JsonNum(sr.wild2)
       << ", \"atomic_1_nnz_per_s\": " << JsonNum(sr.atomic1)
       << ", \"atomic_2_nnz_per_s\": " << JsonNum(sr.atomic2)
       << ", \"pair_seconds\": " << JsonArray({sr.pair_a, sr.pair_b})
       << ", \"pair_nnz_per_s\": " << JsonNum(sr.pair)
       << ", \"pair_ratio\": " << JsonNum(sr.pair_ratio)
       << ", \"shared_pair_nnz_per_s\": " << JsonNum(sr.shared2)
       << ", \"wild_2_conflicts_per_1000_updates\": "
       << JsonNum(sr.wild2_updates > 0 ? 1000.0 * static_cast<double>(sr.wild2_conflicts) /
                                             static_cast<double>(sr.wild2_updates)
                                       : kNaN)
       << "}";
  }
  js << (scaling.empty() ? "],\n" : "\n  ],\n") << "  \"cells\": [\n";
  for (std::size_t i = 0; i < all.size(); ++i) {
    const Cell& c = *all[i];
    const Run& m = c.median;
    const bool plain = c.solver != "hogwild";
    js << "    {\"solver\": " << JsonStr(c.solver) << ", \"threads\": " << c.threads
       << ", \"policy\": " << JsonStr(c.policy) << ", \"sparsifier\": " << JsonStr(c.sparsifier)
       << ", \"seconds\": " << JsonNum(m.seconds) << ", \"updates\": " << m.updates
       << ", \"coords_written\": " << m.coords << ", \"conflicts\": "
       << (plain ? "null" : std::to_string(m.conflicts))
       << ", \"updates_per_s\": " << JsonNum(static_cast<double>(m.updates) / m.seconds)
       << ", \"nnz_per_s\": " << JsonNum(c.nnz_per_s)
       << ", \"nnz_per_s_min\": " << JsonNum(c.nnz_per_s_min)
       << ", \"nnz_per_s_max\": " << JsonNum(c.nnz_per_s_max)
       << ", \"coords_written_per_s\": " << JsonNum(static_cast<double>(m.coords) / m.seconds)
       << ", \"conflicts_per_1000_updates\": "
       << (!conflicts_measured(c) ? "null" : JsonNum(c.conflicts_per_1000))
       << ", \"ratio_to_ceiling\": " << JsonNum(c.ratio_ceiling)
       << ", \"ratio_to_1thread\": " << JsonNum(c.ratio_1thread)
       << ", \"ratio_to_naive\": " << JsonNum(c.ratio_naive)
       << ", \"final_subopt\": " << JsonNum(m.subopt) << ", \"status\": " << JsonStr(m.status)
       << ", \"time_to_target_s\": " << JsonNum(c.ttt_median)
       << ", \"ttt_epochs\": " << JsonNum(c.ttt_epochs_median)
       << ", \"ttt_reached\": " << c.ttt_reached << ", \"ttt_runs\": " << c.ttt.size()
       << ", \"runs_seconds\": " << JsonArray(RunSeconds(c))
       << ", \"runs_nnz\": " << JsonArray(RunNnz(c, mean_nnz))
       << ", \"runs_ttt_s\": " << JsonArray(c.ttt) << "}" << (i + 1 < all.size() ? "," : "")
       << "\n";
  }
  js << "  ]\n}\n";
  if (write(base + ".json", js.str())) report.json = base + ".json";
  log("wrote " + base + ".csv and .json (" + Num(wall) + " s wall)\n");

  report.step = step;
  report.target = target;
  report.f_star = f_star;
  report.epochs = epochs;
  report.repeats = repeats;
  report.machine = cpu + ", " + std::to_string(cores) + " hardware threads";
  for (const Cell* c : all) {
    ContentionCell out;
    out.solver = c->solver;
    out.threads = c->threads;
    out.policy = c->policy;
    out.sparsifier = c->sparsifier;
    out.runs = static_cast<int>(c->runs.size());
    out.nnz_per_s = c->nnz_per_s;
    out.ratio_to_ceiling = c->ratio_ceiling;
    out.ratio_to_1thread = c->ratio_1thread;
    out.conflicts_per_1000 = conflicts_measured(*c) ? c->conflicts_per_1000 : kNaN;
    out.final_subopt = c->median.subopt;
    out.time_to_target = c->ttt_median;
    out.ttt_reached = c->ttt_reached;
    out.ttt_runs = static_cast<int>(c->ttt.size());
    report.cells.push_back(out);
  }
  return report;
}

}  // namespace asyncopt::tools
