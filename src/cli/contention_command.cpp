// asyncopt contention: the thread-contention sweep (src/tools/contention.cpp)
// as a command: options, the table on stdout, and the figure.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <limits>
#include <algorithm>
#include <string>
#include <system_error>
#include <vector>

#include "asyncopt/error.hpp"
#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "cli/figure.hpp"
#include "cli/options.hpp"
#include "tools/contention.hpp"

namespace asyncopt::cli {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// The sweep reads the options through this: a key not given takes the
// sweep's default (stated in --help).
class ArgsSettings : public tools::Settings {
 public:
  ArgsSettings(const Args& a, std::string command) : a_(a), command_(std::move(command)) {}
  bool Has(const std::string& key) const override { return a_.Has(key); }
  bool Flag(const std::string& key) const override { return a_.Has(key) && a_.Bool(key); }
  std::string Str(const std::string& key, const std::string& def) const override {
    if (key == "command") return command_;
    return a_.Has(key) ? a_.Str(key) : def;
  }
  double Num(const std::string& key, double def) const override {
    static const RealRange kFinite{-kInf, kInf, true, true, "a finite number"};
    return a_.Has(key) ? a_.Real(key, kFinite) : def;
  }
  std::int64_t Int(const std::string& key, std::int64_t def) const override {
    if (!a_.Has(key)) return def;
    // Rows and seeds are 64-bit; every other count is an int in the sweep.
    const bool wide = key == "rows" || key == "seed" || key == "gen-seed";
    const std::int64_t bound = wide ? std::int64_t{1} << 53 : std::numeric_limits<int>::max();
    return a_.Int(key, wide ? 0 : -bound, bound);
  }

 private:
  const Args& a_;
  std::string command_;
};

void Describe(po::options_description& desc) {
  po::options_description g("General");
  g.add_options()
      ("help,h", "print this help and exit")
      ("config", Text(), "INI file of 'key = value' lines with these option names; the command line overrides it")
      ("quiet", Switch(false), "no progress lines on stderr (the table is still printed)")
      ("probe", Switch(false), "only measure the cores' cache-line round trip and print it as one JSON line");
  po::options_description d("Data (one of --data and --generate)");
  d.add_options()
      ("data", Text(), "LIBSVM/SVMlight file (plain, gzip, bzip2 or xz)")
      ("positive-labels", Text(), "comma-separated labels mapped to +1 (multiclass files)")
      ("generate", Text(), "svm-wangni | powerlaw: generated in memory instead of --data")
      ("rows", Text(), "generated rows (svm-wangni 51200, powerlaw 100000)")
      ("dim", Text(), "generated features (svm-wangni 256, powerlaw 20000)")
      ("nnz-per-row", Text(), "powerlaw: nonzeros per row (40)")
      ("zipf", Text(), "powerlaw: Zipf exponent of feature popularity (1.1; 0 = uniform)")
      ("gen-seed", Text(), "generator seed (1)")
      ("scale", Text(), "column scaling: maxabs (default none)")
      ("normalize-rows", Switch(false), "scale every row to unit l2 norm")
      ("bias", Text(), "append a constant feature of this value when > 0 (-1: none)")
      ("name", Text(), "the data set's name in the output files (default: the file or generator)");
  po::options_description p("Problem");
  p.add_options()
      ("loss", Text(), "logistic | hinge | squared-hinge | squared (logistic)")
      ("l1", Text(), "l1 weight (0)")
      ("l2", Text(), "l2 weight (1e-4)");
  po::options_description s("Sweep (every combination is a cell)");
  s.add_options()
      ("threads", Text(), "comma-separated thread counts (1,2,4,8,16,32)")
      ("write", Text(), "comma-separated write policies: wild, atomic, locked (all three)")
      ("sparsifier", Text(), "comma-separated sparsifiers: none, gspar, gspar-exact, uniform, topk, qsgd (none,gspar,uniform,topk)")
      ("rho", Text(), "sparsifiers' kept fraction (0.1)")
      ("lock-stripe", Text(), "locked: coordinates per lock, a power of two (1)")
      ("conflict-sample", Text(), "wild: look for conflicts on one update in N (16; 1 = exact)")
      ("epochs", Text(), "epochs of a throughput run (5)")
      ("repeats", Text(), "runs per cell, in rounds so drift hits every cell alike; the median is reported (3)")
      ("step", Text(), "constant step (default: hogwild's default rule)")
      ("seed", Text(), "solver seed (1)")
      ("trace-every", Text(), "throughput runs: objective (off the clock) every X epochs (default: once, at the end)");
  po::options_description t("Time to target (0 = no such runs)");
  t.add_options()
      ("target", Text(), "target suboptimality (F - f*)/|f*| (1e-2)")
      ("ttt-max-seconds", Text(), "cap per time-to-target run (5)")
      ("ttt-max-epochs", Text(), "cap per time-to-target run (200)")
      ("ttt-trace-every", Text(), "objective every X epochs in time-to-target runs (0.25)")
      ("ttt-repeats", Text(), "time-to-target runs per cell, in the first rounds (--repeats)");
  po::options_description r("Scaling rounds (the 1- and 2-thread cells back to back, after the sweep)");
  r.add_options()
      ("scaling-rounds", Text(), "rounds of the naive loop, the ceiling, wild and atomic at 1 and 2 threads and the two pairs (0)")
      ("scaling-gap", Text(), "seconds asleep before each scaling round, [0, 600] (0)");
  po::options_description o("Output");
  o.add_options()
      ("out", Text(), "folder for contention_NAME.csv, .json, .png (created if missing; required)");
  desc.add(g).add(d).add(p).add(s).add(t).add(r).add(o);
}

std::string Fixed(double v, int digits) {
  if (!std::isfinite(v)) return "-";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}
std::string Sci(double v) {
  if (!std::isfinite(v)) return "-";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.2e", v);
  return buf;
}

void PrintTable(const tools::ContentionReport& r) {
  std::printf("%-10s %7s %-7s %-10s %12s %8s %8s %12s %10s %12s\n", "run", "threads", "write",
              "sparsifier", "Mnnz/s", "x ceil", "x 1thr", "confl/1000", "subopt", "to target s");
  for (const tools::ContentionCell& c : r.cells) {
    std::string ttt = Fixed(c.time_to_target, 3);
    if (c.ttt_runs > 0 && c.ttt_reached < c.ttt_runs) {
      ttt += " (" + std::to_string(c.ttt_reached) + "/" + std::to_string(c.ttt_runs) + ")";
    }
    std::printf("%-10s %7d %-7s %-10s %12s %8s %8s %12s %10s %12s\n", c.solver.c_str(), c.threads,
                c.policy.c_str(), c.sparsifier.c_str(), Fixed(c.nnz_per_s / 1e6, 2).c_str(),
                Fixed(c.ratio_to_ceiling, 3).c_str(), Fixed(c.ratio_to_1thread, 3).c_str(),
                Fixed(c.conflicts_per_1000, 3).c_str(), Sci(c.final_subopt).c_str(), ttt.c_str());
  }
}

// Throughput, time to target and conflicts against threads, one line per
// write policy and sparsifier; the ceiling as a flat line across.
std::vector<Panel> Figure(const tools::ContentionReport& r) {
  Panel rate, ttt, conflicts;
  rate.title = "throughput (" + r.name + ")";
  rate.x_label = "threads";
  rate.y_label = "million nonzeros / s";
  rate.log2_x = true;
  ttt.title = "time to (F - f*)/|f*| <= " + Sci(r.target);
  ttt.x_label = "threads";
  ttt.y_label = "seconds (median)";
  ttt.log2_x = ttt.log_y = true;
  conflicts.title = "conflicts per 1000 updates";
  conflicts.x_label = "threads";
  conflicts.y_label = "conflicts / 1000 updates";
  conflicts.log2_x = true;
  // The series labelled `key` in `p`, added when new.
  // One colour per policy and sparsifier across the panels (the ceiling's first).
  std::vector<std::string> styles{"ceiling"};
  auto series_of = [&styles](Panel& p, const std::string& key) -> Series& {
    for (Series& s : p.series) {
      if (s.label == key) return s;
    }
    auto it = std::find(styles.begin(), styles.end(), key);
    if (it == styles.end()) it = styles.insert(styles.end(), key);
    p.series.push_back({key, {}, {}, true, static_cast<int>(it - styles.begin())});
    return p.series.back();
  };
  double max_threads = 1.0;
  for (const tools::ContentionCell& c : r.cells) max_threads = std::max(max_threads, double(c.threads));
  for (const tools::ContentionCell& c : r.cells) {
    if (c.solver == "plain-sgd") {
      rate.series.push_back({"ceiling (plain SGD, 1 thread)", {1.0, max_threads},
                             {c.nnz_per_s / 1e6, c.nnz_per_s / 1e6}, false, 0});
      ttt.series.push_back({"ceiling", {1.0}, {c.time_to_target}, true, 0});
      continue;
    }
    if (c.solver != "hogwild") continue;
    const std::string key = c.policy + (c.sparsifier == "none" ? "" : " + " + c.sparsifier);
    Series& sr = series_of(rate, key);
    sr.x.push_back(c.threads);
    sr.y.push_back(c.nnz_per_s / 1e6);
    Series& st = series_of(ttt, key);
    st.x.push_back(c.threads);
    st.y.push_back(c.time_to_target);
    Series& sc = series_of(conflicts, key);
    sc.x.push_back(c.threads);
    sc.y.push_back(c.conflicts_per_1000);
  }
  std::vector<Panel> panels{rate};
  if (r.target > 0.0) panels.push_back(ttt);
  panels.push_back(conflicts);
  return panels;
}

}  // namespace

int RunContention(const std::vector<std::string>& argv) {
  po::options_description desc(
      "asyncopt contention: how throughput and convergence change with threads, write policy "
      "and sparsifier on your data (hogwild beside a plain single-thread SGD ceiling)");
  Describe(desc);
  for (const std::string& s : argv) {
    if (s == "--help" || s == "-h") {
      std::cout << desc << "\n";
      return kExitOk;
    }
  }
  Args a(argv, desc);
  if (a.Has("probe") && a.Bool("probe")) {
    std::printf("%s\n", tools::ProbeCoreRoundTripJson().c_str());
    return kExitOk;
  }
  a.Require("out");
  const bool quiet = a.Has("quiet") && a.Bool("quiet");
  const std::string out = a.Str("out");
  // The folder is made when the runs begin (a refused option leaves none
  // behind); a path that cannot be one is refused now.
  auto make_out = [&out]() {
    std::error_code ec;
    std::filesystem::create_directories(out, ec);
    if (ec || !std::filesystem::is_directory(out)) {
      throw UsageError("--out '" + Printable(out) + "': cannot be used as the output folder" +
                       (ec ? ": " + ec.message() : std::string(": not a directory")));
    }
  };
  {
    std::error_code ec;
    if (std::filesystem::exists(out, ec) && !std::filesystem::is_directory(out, ec)) make_out();
  }
  std::string command = "asyncopt contention";
  for (const std::string& s : argv) command += " " + s;
  ArgsSettings settings(a, command);
  // Reading the data and computing f*: a stop ends the command at once (it
  // has nothing to keep); from the first run on it ends the sweep, which
  // writes what it measured.
  SetPhase("reading the data and computing f* for the contention sweep");
  const tools::ContentionReport report = tools::RunContention(
      settings, &g_stop_requested,
      [quiet](const std::string& line) {
        if (!quiet) std::fputs(line.c_str(), stderr);
      },
      [&make_out] {
        make_out();
        SetPhase("the contention sweep", PhaseKind::kStoppable);
      });
  SetPhase("writing the figure", PhaseKind::kWriting);
  if (report.cells.empty()) {
    std::fprintf(stderr, "asyncopt contention: stopped before any run was measured; nothing written\n");
    return InterruptedExitCode();
  }
  std::printf("contention on %s: step %s, %d epochs per run, median of %d; %s\n",
              report.name.c_str(), Sci(report.step).c_str(), report.epochs, report.repeats,
              report.machine.c_str());
  PrintTable(report);
  std::string files;
  for (const std::string* f : {&report.csv, &report.json, &report.scaling_csv}) {
    if (!f->empty()) files += (files.empty() ? "" : ", ") + *f;
  }
  std::printf("files: %s\n", files.empty() ? "none" : files.c_str());
  int code = report.interrupted ? InterruptedExitCode() : kExitOk;
  for (const std::string& e : report.write_errors) {
    std::fprintf(stderr, "asyncopt contention: error: not written: %s\n", Printable(e, 4096).c_str());
    if (code == kExitOk) code = kExitOutputFailed;
  }
  if (PlottingAvailable()) {
    const std::string png = out + "/contention_" + report.name + ".png";
    try {
      const std::vector<Panel> panels = Figure(report);
      WritePng(png, panels, FigureSize{static_cast<int>(520 * panels.size()), 520});
      std::printf("figure: %s\n", png.c_str());
    } catch (const Error& e) {
      std::fprintf(stderr, "asyncopt contention: error: the figure was not written: %s\n",
                   Printable(e.what(), 4096).c_str());
      if (code == kExitOk) code = kExitOutputFailed;
    }
  } else {
    std::printf("figure: not drawn (%s)\n", PlottingAdvice().c_str());
  }
  if (report.interrupted) {
    std::fprintf(stderr, "asyncopt contention: stopped by a signal; the files hold the runs made before it\n");
  }
  return code;
}

}  // namespace asyncopt::cli
