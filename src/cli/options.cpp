#include "cli/options.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

#include "cli/args.hpp"

namespace asyncopt::cli {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr std::int64_t kIntMax = std::numeric_limits<int>::max();

// Default values as --help shows them: the shortest text that reads back
// as the same number ("0.1", not "0.10000000000000001").
std::string Def(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[40];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}
std::string Def(std::int64_t v) { return std::to_string(v); }
std::string Def(bool v) { return v ? "true" : "false"; }

po::typed_value<std::string>* Text(const std::string& default_text) {
  return po::value<std::string>()->default_value(default_text);
}
po::typed_value<std::string>* Text() { return po::value<std::string>(); }
// A switch: "--quiet" alone means true; "--quiet=false" is allowed.
po::typed_value<std::string>* Switch(bool default_value) {
  return po::value<std::string>()->default_value(Def(default_value))->implicit_value("true");
}

const RealRange kNonNegative{0.0, kInf, false, true, "a finite number >= 0"};
const RealRange kPositiveFinite{0.0, kInf, true, true, "a finite number > 0"};
const RealRange kUnitOpenLeft{0.0, 1.0, true, false, "a number in (0, 1]"};
const RealRange kUnitClosed{0.0, 1.0, false, false, "a number in [0, 1]"};
// A constant feature beyond this dwarfs every other one, and the default
// steps (1 / max ||x||^2) become useless.
constexpr double kMaxBias = 1e6;
constexpr double kMaxInnerEpochs = 1e6;

// The number spelled by all of [b, e) (an optional leading '+' allowed).
std::optional<double> ParseWholeNumber(const char* b, const char* e) {
  if (b < e && *b == '+') ++b;
  double v = 0.0;
  auto [p, ec] = std::from_chars(b, e, v);
  if (ec != std::errc() || p != e || b == e) return std::nullopt;
  return v;
}

// --fault: comma-separated fault specs (ParseFault), e.g.
// "slow:2:4,crash:3@100"; the option may be repeated on the command line
// (Args joins the occurrences). "none" or "" = no fault.
std::vector<Fault> ParseFaultList(const Args& a, const std::string& key) {
  const std::string text = a.Str(key);
  std::vector<Fault> out;
  if (text.find_first_not_of(" \t") == std::string::npos || text == "none") return out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    const auto b = item.find_first_not_of(" \t");
    const auto e = item.find_last_not_of(" \t");
    const std::string t = b == std::string::npos ? "" : item.substr(b, e - b + 1);
    Fault f;
    std::string why;
    if (!ParseFault(t, &f, &why)) {
      throw UsageError("--" + key + ": " + Printable(why) + " [" + a.Origin(key) + "]");
    }
    out.push_back(f);
  }
  if (text.back() == ',') {
    throw UsageError("--" + key + ": a fault list must not end with ',' [" + a.Origin(key) + "]");
  }
  return out;
}

std::string SolverNames() {
  std::string names;
  for (const auto& n : AllNames(SolverKind{})) names += (names.empty() ? "" : " | ") + n;
  return names;
}

bool IsOneOf(SparsifierKind k, std::initializer_list<SparsifierKind> kinds) {
  for (const SparsifierKind x : kinds) {
    if (k == x) return true;
  }
  return false;
}

}  // namespace

void AddGeneral(po::options_description& all, bool threads, bool train) {
  po::options_description g("General");
  g.add_options()
      ("help,h", "print this help and exit")
      ("config", Text(), "INI file of 'key = value' lines with these option names; the command line overrides it")
      ("quiet", Switch(false), "no progress lines or final report on stderr (warnings and errors still appear)");
  if (threads) {
    const std::string range = " (1-" + std::to_string(kMaxThreads) + "; 0 = every hardware thread)";
    g.add_options()(
        "threads", Text(Def(std::int64_t{Options{}.threads})),
        train ? ("worker threads" + range +
                 ", also used to parse the data and evaluate the objective; soda, dave-pg: M = "
                 "threads workers plus one master thread")
                    .c_str()
              : ("worker threads" + range + ", also used to parse the data and evaluate the objective")
                    .c_str());
  }
  all.add(g);
}

void AddData(po::options_description& all, bool with_test, bool with_compact) {
  po::options_description g("Data");
  g.add_options()
      ("data", Text(), "LIBSVM/SVMlight file (plain, gzip, bzip2 or xz; detected by content)")
      ("positive-labels", Text(), "comma-separated label values mapped to +1 (required for multiclass files), e.g. 3,5")
      ("scale", Text("none"), "column scaling: none | maxabs")
      ("normalize-rows", Switch(false), "scale every row to unit l2 norm (after column scaling)")
      ("bias", Text(Def(-1.0)), "append a constant feature of this value when > 0 (LIBLINEAR's -B), at most 1e6");
  if (with_compact) {
    g.add_options()("compact-features", Switch(false),
                    "train on the features that occur only (very wide sparse data: no arrays of the "
                    "largest feature index); the model maps back to the file's feature indices");
  }
  if (with_test) {
    g.add_options()("test", Text(), "held-out LIBSVM file: test accuracy and log-loss in the summary");
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
  const Options d;
  po::options_description g("Solver and stopping");
  g.add_options()
      ("solver", Text(std::string(ToString(d.solver))), "reference | hogwild | svrg | soda | dave-pg")
      ("seed", Text(std::to_string(d.seed)), "random seed, in [0, 2^64 - 1] (one thread + a seed = bit-identical runs; not used by reference)")
      ("step", Text(Def(d.step)), "step size (> 0; 0 = the solver's default rule; not used by reference)")
      ("max-epochs", Text(Def(std::int64_t{d.max_epochs})), "stop after this many epochs (1 to 2147483647); for reference: outer iterations")
      ("max-seconds", Text(Def(d.max_seconds)), "stop after this many solver seconds (> 0)")
      ("target-subopt", Text(Def(d.target_subopt)), "stop when (F - f*)/f* <= this (> 0; 0 = off); f* from the cache or the reference solver")
      ("trace-every", Text(Def(d.trace_every_epochs)), "epochs between trace points (> 0; < 1 traces within an epoch; reference traces every iteration)")
      ("f-star", Text("auto"), "the optimum for suboptimality: auto (cache, else computed before the run when --trace or --target-subopt asks), skip (suboptimality unknown), or a number")
      ("initial-model", Text(), "warm start: a model file (LIBLINEAR format, e.g. an earlier --model) to start from");
  all.add(g);
  po::options_description a("Asynchronous solvers (hogwild, svrg)");
  a.add_options()
      ("write", Text(std::string(ToString(d.async.write))), "shared-model write policy: wild | atomic | locked")
      ("batch-size", Text(Def(std::int64_t{d.async.batch_size})), ("hogwild: rows per stochastic gradient (1-" + std::to_string(kMaxBatchSize) + ")").c_str())
      ("lock-stripe", Text(Def(std::int64_t{d.async.lock_stripe})), "--write locked: coordinates per lock, a power of two (1 = a lock per coordinate)")
      ("step-decay", Text(Def(d.async.step_decay)), "hogwild: step *= this after every epoch, in (0, 1]")
      ("with-replacement", Switch(d.async.with_replacement), "sample rows with replacement instead of per-epoch permutations")
      ("svrg-inner-epochs", Text(Def(d.async.svrg_inner_epochs)), "svrg: inner-loop length in epochs, in (0, 1e6]")
      ("conflict-sample", Text(Def(std::int64_t{d.async.conflict_sample})), "hogwild --write wild: look for conflicts on one update in N and count each N times (1 = every update, an exact count; in [1, 1048576]); mini-batches and svrg count none");
  all.add(a);
  po::options_description th("Threads and faults (hogwild, svrg, soda, dave-pg)");
  th.add_options()
      ("pin-workers", Switch(true), "pin worker k to the k-th allowed CPU while the solver runs (only when there are at least --threads of them not pinned by another run; the library's default is off)")
      ("fault", Text("none"), "inject a fault, repeatable or comma-separated: slow:M:F (member M F times slower: sleeps (F-1) x its busy time), stall:M@S:T (M sleeps T seconds at its step S), crash:M@S (M stops taking part at step S). Members: soda, dave-pg: 0 = master, 1..M workers; hogwild, svrg: 0..threads-1. Steps: updates (hogwild, svrg), exchanges (workers), message batches (master)")
      ("peer-timeout", Text(Def(d.peer_timeout)), "a member silent this many seconds ends the run with status peer_lost naming it (exit 6)");
  all.add(th);
  po::options_description sp("Gradient sparsification, hogwild (Wangni et al. 2018)");
  sp.add_options()
      ("sparsifier", Text(std::string(ToString(d.sparsify.kind))), "none | uniform | gspar | gspar-exact | topk | qsgd")
      ("rho", Text(Def(d.sparsify.rho)), "uniform, gspar, gspar-exact, topk: target kept fraction in (0, 1]")
      ("gspar-iterations", Text(Def(std::int64_t{d.sparsify.gspar_iterations})), "gspar: greedy iterations of Algorithm 3 (1-1000)")
      ("constant-trick", Switch(d.sparsify.constant_trick), "uniform, gspar, gspar-exact, qsgd: send sign(g)/lambda for unsaturated coordinates (no division)")
      ("random-table", Switch(d.sparsify.random_table), "uniform, gspar, gspar-exact, qsgd: read uniforms from a precomputed cyclic table")
      ("error-feedback", Switch(d.sparsify.error_feedback), "topk: accumulate the unsent residual")
      ("qsgd-levels", Text(Def(std::int64_t{d.sparsify.qsgd_levels})), "qsgd: quantisation levels s (1-1073741824)");
  all.add(sp);
  po::options_description md(
      "Master/worker solvers (soda, dave-pg; Grishchenko et al., Algorithm 1)");
  md.add_options()
      ("mask-p", Text(Def(d.distributed.mask_p)), "soda: probability that a zero coordinate joins the mask, in (0, 1] (dave-pg: 1)")
      ("local-steps", Text(Def(std::int64_t{d.distributed.local_steps})), "proximal-gradient steps per worker per exchange (1 to 2147483647; > 1: DAve-RPG)")
      ("shard-skew", Text(Def(d.distributed.shard_skew)), "0 = balanced shards; > 0: shard i holds rows in proportion to (1 + skew)^-i")
      ("shuffle-shards", Switch(d.distributed.shuffle_rows), "assign rows to shards through a seeded permutation")
      ("max-restarts", Text(Def(std::int64_t{d.distributed.max_restarts})), "restarts from the last good point before the run is declared diverged (0-1000000)");
  all.add(md);
}

void AddOutput(po::options_description& all, bool train) {
  po::options_description g("Output (regular files are replaced atomically; devices, FIFOs and /dev/stdout are written directly)");
  g.add_options()("summary", Text(), "write a JSON summary here");
  if (train) {
    g.add_options()
        ("trace", Text(), "write the trace CSV here, row by row (seconds, epoch, updates, objective, suboptimality, nnz_w, exchanges, coords_sent, bits_sent, conflicts, coords_returned, bits_returned, max_delay, master_busy)")
        ("model", Text(), "write the model here (LIBLINEAR text format, raw feature space)");
  }
  all.add(g);
}

int ThreadsOf(const Args& a) {
  const auto threads = static_cast<int>(a.Int("threads", 0, kMaxThreads));
  return threads == 0 ? DefaultThreads() : threads;
}

std::vector<double> ParseLabelList(const Args& a, const std::string& key) {
  std::vector<double> out;
  const std::string text = a.Str(key);
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    const char* b = item.data();
    const char* e = b + item.size();
    while (b < e && *b == ' ') ++b;
    while (e > b && e[-1] == ' ') --e;
    const std::optional<double> v = ParseWholeNumber(b, e);
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
  if (!Parse(a.Str("solver"), &o.solver)) a.Invalid("solver", SolverNames());
  o.threads = threads;
  o.seed = a.UInt64("seed");
  o.step = a.Real("step", {0.0, kInf, false, true, "a finite number > 0, or 0 for the solver's default"});
  o.max_epochs = static_cast<int>(a.Int("max-epochs", 1, kIntMax));
  o.max_seconds = a.Real("max-seconds", {0.0, kInf, true, false, "a number > 0 (inf: no limit)"});
  o.target_subopt = a.Real("target-subopt", {0.0, kInf, false, true, "a finite number >= 0 (0 = off)"});
  o.trace_every_epochs = a.Real("trace-every", kPositiveFinite);
  if (!Parse(a.Str("write"), &o.async.write)) a.Invalid("write", "wild | atomic | locked");
  o.async.batch_size = static_cast<int>(a.Int("batch-size", 1, kMaxBatchSize));
  o.async.lock_stripe = static_cast<int>(a.Int("lock-stripe", 1, kMaxLockStripe));
  if ((o.async.lock_stripe & (o.async.lock_stripe - 1)) != 0) {
    a.Invalid("lock-stripe", "a power of two in [1, " + std::to_string(kMaxLockStripe) + "]");
  }
  o.async.step_decay = a.Real("step-decay", kUnitOpenLeft);
  o.async.with_replacement = a.Bool("with-replacement");
  o.async.svrg_inner_epochs =
      a.Real("svrg-inner-epochs", {0.0, kMaxInnerEpochs, true, false, "a number in (0, 1e6]"});
  o.pin_workers = a.Bool("pin-workers");
  o.async.conflict_sample = static_cast<int>(a.Int("conflict-sample", 1, kMaxConflictSample));
  if (!Parse(a.Str("sparsifier"), &o.sparsify.kind)) {
    a.Invalid("sparsifier", "none | uniform | gspar | gspar-exact | topk | qsgd");
  }
  o.sparsify.rho = a.Real("rho", kUnitOpenLeft);
  o.sparsify.gspar_iterations = static_cast<int>(a.Int("gspar-iterations", 1, 1000));
  o.sparsify.constant_trick = a.Bool("constant-trick");
  o.sparsify.random_table = a.Bool("random-table");
  o.sparsify.error_feedback = a.Bool("error-feedback");
  o.sparsify.qsgd_levels = static_cast<int>(a.Int("qsgd-levels", 1, 1 << 30));
  o.distributed.mask_p = a.Real("mask-p", kUnitOpenLeft);
  o.distributed.local_steps = static_cast<int>(a.Int("local-steps", 1, kIntMax));
  o.faults = ParseFaultList(a, "fault");
  o.peer_timeout = a.Real("peer-timeout", {0.0, 1e9, true, false, "a number of seconds in (0, 1e9]"});
  {
    std::string why;
    if (!o.IsValid(&why) && why.rfind("faults[", 0) == 0) {
      throw UsageError("--fault: " + why + " [" + a.Origin("fault") + "]");
    }
  }
  o.distributed.shard_skew = a.Real("shard-skew", kNonNegative);
  o.distributed.shuffle_rows = a.Bool("shuffle-shards");
  o.distributed.max_restarts = static_cast<int>(a.Int("max-restarts", 0, 1000000));
  return o;
}

std::optional<std::string> WhyUnused(const std::string& key, const Options& o) {
  using S = SolverKind;
  using Sp = SparsifierKind;
  const S s = o.solver;
  const std::string solver = "solver " + std::string(ToString(s));
  auto by_solvers = [&](std::initializer_list<S> users) -> std::optional<std::string> {
    std::string names;
    for (const S u : users) {
      if (u == s) return std::nullopt;
      names += (names.empty() ? "" : ", ") + std::string(ToString(u));
    }
    return solver + " does not use it (used by: " + names + ")";
  };
  auto sparsifier_needs = [&](std::initializer_list<Sp> kinds, const char* users)
      -> std::optional<std::string> {
    if (auto why = by_solvers({S::kHogwild})) return why;
    if (IsOneOf(o.sparsify.kind, kinds)) return std::nullopt;
    return "--sparsifier " + std::string(ToString(o.sparsify.kind)) + " does not use it (used by: " +
           users + ")";
  };
  if (key == "seed" || key == "step" || key == "trace-every") {
    return by_solvers({S::kHogwild, S::kSvrg, S::kSoda, S::kDavePg});
  }
  if (key == "pin-workers" || key == "fault" || key == "peer-timeout") {
    return by_solvers({S::kHogwild, S::kSvrg, S::kSoda, S::kDavePg});
  }
  if (key == "write" || key == "with-replacement") {
    return by_solvers({S::kHogwild, S::kSvrg});
  }
  if (key == "batch-size" || key == "step-decay" || key == "sparsifier") return by_solvers({S::kHogwild});
  if (key == "svrg-inner-epochs") return by_solvers({S::kSvrg});
  if (key == "lock-stripe") {
    if (auto why = by_solvers({S::kHogwild, S::kSvrg})) return why;
    if (o.async.write != WritePolicy::kLocked) {
      return "--write " + std::string(ToString(o.async.write)) + " does not use it (used by: --write locked)";
    }
    return std::nullopt;
  }
  if (key == "conflict-sample") {
    if (auto why = by_solvers({S::kHogwild})) return why;
    if (o.async.write != WritePolicy::kWild) {
      return "--write " + std::string(ToString(o.async.write)) + " does not use it (used by: --write wild)";
    }
    return std::nullopt;
  }
  if (key == "rho") return sparsifier_needs({Sp::kUniform, Sp::kGSpar, Sp::kGSparExact, Sp::kTopK}, "uniform, gspar, gspar-exact, topk");
  if (key == "gspar-iterations") return sparsifier_needs({Sp::kGSpar}, "gspar");
  if (key == "constant-trick" || key == "random-table") {
    return sparsifier_needs({Sp::kUniform, Sp::kGSpar, Sp::kGSparExact, Sp::kQsgd}, "uniform, gspar, gspar-exact, qsgd");
  }
  if (key == "error-feedback") return sparsifier_needs({Sp::kTopK}, "topk");
  if (key == "qsgd-levels") return sparsifier_needs({Sp::kQsgd}, "qsgd");
  if (key == "mask-p") return by_solvers({S::kSoda});
  if (key == "local-steps" || key == "shard-skew" || key == "shuffle-shards" ||
      key == "max-restarts") {
    return by_solvers({S::kSoda, S::kDavePg});
  }
  return std::nullopt;
}

std::vector<std::string> RefuseUnusedOptions(const Args& a, const Options& options) {
  std::vector<std::string> unused;
  for (const std::string& key : a.GivenKeys()) {
    const std::optional<std::string> why = WhyUnused(key, options);
    if (!why) continue;
    if (a.FromCommandLine(key)) {
      throw UsageError("option '--" + key + "' has no effect here: " + *why +
                       "; remove it or choose a solver that uses it");
    }
    unused.push_back(key);
    std::fprintf(stderr, "warning: %s: '%s' is ignored: %s\n", a.Origin(key).c_str(), key.c_str(),
                 why->c_str());
  }
  return unused;
}

}  // namespace asyncopt::cli
