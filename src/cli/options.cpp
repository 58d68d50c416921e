#include "cli/options.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <limits>
#include <memory>
#include <sstream>
#include <utility>
#include <variant>

#include "cli/args.hpp"
#include "core/option_table.hpp"

namespace asyncopt::cli {

std::string Def(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[40];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}
std::string Def(bool v) { return v ? "true" : "false"; }

po::typed_value<std::string>* Text(const std::string& default_text) {
  return po::value<std::string>()->default_value(default_text);
}
po::typed_value<std::string>* Text() { return po::value<std::string>(); }
po::typed_value<std::string>* Switch(bool default_value) {
  return po::value<std::string>()->default_value(Def(default_value))->implicit_value("true");
}

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

const RealRange kNonNegative{0.0, kInf, false, true, "a finite number >= 0"};
// A constant feature beyond this dwarfs every other one, and the default
// steps (1 / max ||x||^2) become useless.
constexpr double kMaxBias = 1e6;

// A solver option of the table as a flag: its text value with the CLI's
// default; a bool is a switch ("--quiet" alone means true).
void Declare(po::options_description& g, const core::OptionSpec& spec, const std::string& help) {
  po::typed_value<std::string>* value =
      po::value<std::string>()->default_value(core::CliDefault(spec));
  if (std::holds_alternative<core::Field<bool>>(spec.access)) value->implicit_value("true");
  g.add_options()(std::string(spec.key).c_str(), value, help.c_str());
}

// The entry's help, its range and its users: "rows per stochastic gradient
// [an integer in [1, 4096]; hogwild]".
std::string HelpOf(const core::OptionSpec& spec) {
  std::string help = spec.help + " [" + core::AllowedText(spec);
  if (spec.users != core::Users::kEverySolver) help += "; " + core::UsersText(spec);
  if (!spec.when_key.empty()) help += " with " + core::ConditionText(spec);
  return help + "]";
}

// Reads one table option into *o: a bad value is a usage error naming the
// key, the value, what is allowed and where it came from.
void Read(const Args& a, const core::OptionSpec& spec, Options* o) {
  const std::string key(spec.key);
  std::string why;
  if (core::ParseValue(spec, a.Str(key), o, &why)) return;
  if (core::IsList(spec)) {
    throw UsageError("--" + key + ": " + Printable(why) + " [" + a.Origin(key) + "]");
  }
  a.Invalid(key, why);
}

}  // namespace

void AddGeneral(po::options_description& all, bool threads, bool train) {
  po::options_description g("General");
  g.add_options()
      ("help,h", "print this help and exit")
      ("config", Text(), "INI file of 'key = value' lines with these option names; the command line overrides it")
      ("quiet", Switch(false), "no progress lines or final report on stderr (warnings and errors still appear)");
  if (threads) {
    const core::OptionSpec& spec = *core::FindOption("threads");
    Declare(g, spec,
            train ? HelpOf(spec)
                  : "worker threads, also used to parse the data and evaluate the objective [" +
                        core::AllowedText(spec) + "]");
  }
  all.add(g);
}

void AddData(po::options_description& all, bool with_test, bool with_compact) {
  po::options_description g("Data");
  g.add_options()
      ("data", Text(), "LIBSVM/SVMlight file (plain, gzip, bzip2 or xz; detected by content)")
      ("positive-labels", Text(), "comma-separated label values mapped to +1 (required for multiclass files), e.g. 3,5; without it --loss squared keeps the labels as real targets (regression)")
      ("scale", Text("none"), "column scaling: none | maxabs")
      ("normalize-rows", Switch(false), "scale every row to unit l2 norm (after column scaling)")
      ("bias", Text(Def(-1.0)), "append a constant feature of this value when > 0 (LIBLINEAR's -B), at most 1e6")
      ("scale-target", Text("none"), "real targets (--loss squared): none | standard: y' = (y - mean) / std before training; the model (LIBLINEAR format) and predictions stay in the original units");
  if (with_compact) {
    g.add_options()("compact-features", Switch(false),
                    "train on the features that occur only (very wide sparse data: no arrays of the "
                    "largest feature index); the model maps back to the file's feature indices");
  }
  if (with_test) {
    g.add_options()("test", Text(), "held-out LIBSVM file: test accuracy, log-loss and AUC in the summary (real targets: MSE, RMSE, MAE and R^2, in the original units)");
  }
  all.add(g);
}

void AddProblem(po::options_description& all) {
  po::options_description g("Problem: F(w) = (1/m) sum loss(y, x.w) + l2/2 ||w||^2 + l1 ||w||_1");
  g.add_options()
      ("loss", Text("logistic"), "logistic | hinge | squared-hinge | squared")
      ("l1", Text("0"), "l1 regularisation (>= 0)")
      ("l2", Text("0"), "l2 regularisation (>= 0)");
  all.add(g);
}

void AddCache(po::options_description& all) {
  po::options_description g("Reference optimum cache");
  g.add_options()
      ("cache-dir", Text(""), "f* cache directory (default $ASYNCOPT_CACHE_DIR, $XDG_CACHE_HOME/asyncopt or ~/.cache/asyncopt)")
      ("no-cache", Switch(false), "neither read nor write the f* cache");
  all.add(g);
}

void AddSolver(po::options_description& all) {
  // One group per table group, in table order ("General" is AddGeneral's).
  std::vector<std::pair<std::string_view, std::unique_ptr<po::options_description>>> groups;
  for (const core::OptionSpec& spec : core::OptionTable()) {
    if (spec.group == "General") continue;
    auto it = std::find_if(groups.begin(), groups.end(),
                           [&](const auto& g) { return g.first == spec.group; });
    if (it == groups.end()) {
      groups.emplace_back(spec.group,
                          std::make_unique<po::options_description>(std::string(spec.group)));
      it = std::prev(groups.end());
    }
    Declare(*it->second, spec, HelpOf(spec));
  }
  // The CLI's own options about the run join the first group (solver and stopping).
  groups.front().second->add_options()
      ("f-star", Text("auto"), "the optimum for suboptimality: auto (cache, else computed before the run when --trace or --target-subopt asks), skip (suboptimality unknown), or a number")
      ("initial-model", Text(), "warm start: a model file (LIBLINEAR format, e.g. an earlier --model) to start from")
      ("transport", Text("threads"), "threads | mpi. mpi: run under `mpirun -np K` (K >= 2), soda and dave-pg only: rank 0 is the master, ranks 1..K-1 the workers, each reading only its part of --data; rank 0 alone writes the outputs");
  for (const auto& [name, group] : groups) all.add(*group);
}

void DescribeTrain(po::options_description& desc) {
  AddGeneral(desc, true, true);
  AddData(desc, true);
  AddProblem(desc);
  AddSolver(desc);
  AddOutput(desc, true);
  AddCache(desc);
}

void AddOutput(po::options_description& all, bool train) {
  po::options_description g("Output (regular files are replaced atomically; devices, FIFOs and /dev/stdout are written directly)");
  g.add_options()("summary", Text(), "write a JSON summary here");
  if (train) {
    g.add_options()
        ("trace", Text(), "write the trace CSV here, row by row (seconds, epoch, updates, objective, suboptimality, nnz_w, exchanges, coords_sent, bits_sent, conflicts, coords_returned, bits_returned, max_delay, master_busy, bytes_sent, bytes_returned, max_staleness, wait_fraction, batch_loss, test_accuracy, diameter, max_distance, worst_suboptimality, rounds_skipped)")
        ("model", Text(), "write the model here (LIBLINEAR text format, raw feature space)")
        ("checkpoint-dir", Text(), "decentralized: the directory of the nodes' checkpoint files (node-I.ckpt, written every --checkpoint-every rounds; default: a fresh directory under the system's temporary one, removed at the end)")
        ("trainer-trace", Text(), "dissvrg, petuum-sgd: write each trainer's state at each of its pulls here (CSV: seconds, member, epochs, inner_steps, wait_seconds): m and waiting over time");
  }
  all.add(g);
}

int ThreadsOf(const Args& a) {
  Options o;
  Read(a, *core::FindOption("threads"), &o);
  return o.threads == 0 ? DefaultThreads() : o.threads;
}

std::vector<double> ParseLabelList(const Args& a, const std::string& key) {
  std::vector<double> out;
  const std::string text = a.Str(key);
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    const std::optional<double> v = core::ParseReal(item);
    if (!v || !std::isfinite(*v)) a.Invalid(key, "comma-separated numbers such as 3,5");
    out.push_back(*v);
  }
  if (out.empty()) a.Invalid(key, "comma-separated numbers such as 3,5");
  return out;
}

Preprocessing ReadPreprocessing(const Args& a) {
  Preprocessing prep;
  const std::string scale = a.Str("scale");
  if (scale == "maxabs") {
    prep.scale_maxabs = true;
  } else if (scale != "none") {
    a.Invalid("scale", "none | maxabs");
  }
  prep.normalize_rows = a.Bool("normalize-rows");
  prep.bias = a.Real("bias", {-kInf, kMaxBias, true, false,
                              "a number <= 0 (no bias feature) or in (0, 1e6]"});
  prep.compact_columns = a.Str("compact-features").empty() ? false : a.Bool("compact-features");
  const std::string target = a.Str("scale-target");
  if (target == "standard") {
    prep.standardize_target = true;
  } else if (target != "none") {
    a.Invalid("scale-target", "none | standard");
  }
  return prep;
}

Problem ReadProblem(const Args& a) {
  Problem p;
  if (!Parse(a.Str("loss"), &p.loss)) a.Invalid("loss", "logistic | hinge | squared-hinge | squared");
  p.l1 = a.Real("l1", kNonNegative);
  p.l2 = a.Real("l2", kNonNegative);
  return p;
}

Options ReadSolverOptions(const Args& a, int threads) {
  Options o;
  for (const core::OptionSpec& spec : core::OptionTable()) Read(a, spec, &o);
  o.threads = threads;
  return o;
}

std::optional<std::string> WhyUnused(const std::string& key, const Options& options) {
  const core::OptionSpec* spec = core::FindOption(key);
  if (spec == nullptr) return std::nullopt;
  return core::WhyUnused(*spec, options);
}

void RefuseUnusedOptions(const Args& a, const Options& options) {
  for (const std::string& key : a.GivenKeys()) {
    const std::optional<std::string> why = WhyUnused(key, options);
    if (!why) continue;
    if (a.FromCommandLine(key)) {
      throw UsageError("option '--" + key + "' has no effect here: " + *why +
                       "; remove it or choose a solver that uses it");
    }
    std::fprintf(stderr, "warning: %s: '%s' is ignored: %s\n", a.Origin(key).c_str(), key.c_str(),
                 why->c_str());
  }
}

}  // namespace asyncopt::cli
