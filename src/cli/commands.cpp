// asyncopt subcommands: train, predict, optimum, generate, info.
#include "cli/commands.hpp"

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <limits>
#include <optional>
#include <sstream>

#include "asyncopt/asyncopt.hpp"
#include "cli/args.hpp"
#include "cli/json.hpp"
#include "cli/report.hpp"

namespace asyncopt::cli {

std::atomic<bool> g_stop_requested{false};

namespace {

// ---------------------------------------------------------------- options --

// A default value as --help shows it: 0.1, not 0.10000000000000001.
std::string HelpText(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}

// A default --worker-delay list as text: "1,1,4", or "none" when empty.
std::string DelayListText(const std::vector<double>& factors) {
  std::string out;
  char buf[40];
  for (double f : factors) {
    std::snprintf(buf, sizeof buf, "%.17g", f);
    if (!out.empty()) out += ',';
    out += buf;
  }
  return out.empty() ? "none" : out;
}

void AddGeneral(po::options_description& all, bool threads, bool train = false) {
  po::options_description g("General");
  g.add_options()
      ("help,h", "print this help and exit")
      ("config", po::value<std::string>(), "INI file of 'key = value' lines with these option names; the command line overrides it")
      ("quiet", po::value<bool>()->default_value(false)->implicit_value(true), "no progress line on stderr");
  if (threads) {
    g.add_options()(
        "threads", po::value<int>()->default_value(Options{}.threads),
        train ? "worker threads (also used to parse the data and evaluate the objective); "
                "soda, dave-pg: M = threads workers plus one master thread"
              : "worker threads (also used to parse the data and evaluate the objective)");
  }
  all.add(g);
}

void AddData(po::options_description& all, bool with_test) {
  po::options_description g("Data");
  g.add_options()
      ("data", po::value<std::string>(), "LIBSVM/SVMlight file (plain, gzip, bzip2 or xz; detected by content)")
      ("positive-labels", po::value<std::string>(), "comma-separated label values mapped to +1 (required for multiclass files), e.g. 3,5")
      ("scale", po::value<std::string>()->default_value("none"), "column scaling: none | maxabs")
      ("normalize-rows", po::value<bool>()->default_value(false)->implicit_value(true), "scale every row to unit l2 norm (after column scaling)")
      ("bias", po::value<double>()->default_value(-1.0), "append a constant feature of this value when > 0 (LIBLINEAR's -B)");
  if (with_test) {
    g.add_options()("test", po::value<std::string>(), "held-out LIBSVM file: test accuracy and log-loss in the summary");
  }
  all.add(g);
}

void AddProblem(po::options_description& all) {
  po::options_description g("Problem: F(w) = (1/m) sum loss(y, x.w) + l2/2 ||w||^2 + l1 ||w||_1");
  g.add_options()
      ("loss", po::value<std::string>()->default_value("logistic"), "logistic | hinge | squared-hinge | squared")
      ("l1", po::value<double>()->default_value(0.0), "l1 regularisation (>= 0)")
      ("l2", po::value<double>()->default_value(0.0), "l2 regularisation (>= 0)");
  all.add(g);
}

void AddCache(po::options_description& all) {
  po::options_description g("Reference optimum cache");
  g.add_options()
      ("cache-dir", po::value<std::string>()->default_value(""), "f* cache directory (default $ASYNCOPT_CACHE_DIR, $XDG_CACHE_HOME/asyncopt or ~/.cache/asyncopt)")
      ("no-cache", po::value<bool>()->default_value(false)->implicit_value(true), "neither read nor write the f* cache");
  all.add(g);
}

void AddSolver(po::options_description& all) {
  const Options d;
  po::options_description g("Solver and stopping");
  g.add_options()
      ("solver", po::value<std::string>()->default_value(std::string(ToString(d.solver))), "reference | hogwild | svrg | soda | dave-pg")
      ("seed", po::value<unsigned long>()->default_value(d.seed), "random seed (one thread + a seed = bit-identical runs)")
      ("step", po::value<double>()->default_value(d.step), "step size (> 0; 0 = the solver's default rule)")
      ("max-epochs", po::value<int>()->default_value(d.max_epochs), "stop after this many epochs (>= 1); for reference: outer iterations")
      ("max-seconds", po::value<double>()->default_value(d.max_seconds, "inf"), "stop after this many solver seconds (> 0)")
      ("target-subopt", po::value<double>()->default_value(d.target_subopt), "stop when (F - f*)/f* <= this (> 0; 0 = off); f* from the cache or the reference solver")
      ("trace-every", po::value<double>()->default_value(d.trace_every_epochs), "epochs between trace points (> 0; < 1 traces within an epoch)");
  all.add(g);
  po::options_description a("Asynchronous solvers (hogwild, svrg)");
  a.add_options()
      ("write", po::value<std::string>()->default_value(std::string(ToString(d.async.write))), "shared-model write policy: wild | atomic | locked")
      ("batch-size", po::value<int>()->default_value(d.async.batch_size), "hogwild: rows per stochastic gradient (>= 1)")
      ("lock-stripe", po::value<int>()->default_value(d.async.lock_stripe), "--write locked: coordinates per lock, a power of two (1 = a lock per coordinate)")
      ("step-decay", po::value<double>()->default_value(d.async.step_decay), "hogwild: step *= this after every epoch, in (0, 1]")
      ("with-replacement", po::value<bool>()->default_value(d.async.with_replacement)->implicit_value(true), "sample rows with replacement instead of per-epoch permutations")
      ("svrg-inner-epochs", po::value<double>()->default_value(d.async.svrg_inner_epochs), "svrg: inner-loop length in epochs (> 0)")
      ("pin-workers", po::value<bool>()->default_value(d.async.pin_workers)->implicit_value(true), "pin worker k to the k-th allowed CPU while the solver runs (only when there are at least --threads of them)")
      ("conflict-sample", po::value<int>()->default_value(d.async.conflict_sample), "hogwild --write wild: look for conflicts on one update in N and count each N times (1 = every update, an exact count; in [1, 1048576]); mini-batches and svrg count none");
  all.add(a);
  po::options_description sp("Gradient sparsification (Wangni et al. 2018)");
  sp.add_options()
      ("sparsifier", po::value<std::string>()->default_value(std::string(ToString(d.sparsify.kind))), "none | uniform | gspar | gspar-exact | topk | qsgd")
      ("rho", po::value<double>()->default_value(d.sparsify.rho, HelpText(d.sparsify.rho)), "target kept fraction in (0, 1]")
      ("gspar-iterations", po::value<int>()->default_value(d.sparsify.gspar_iterations), "gspar: greedy iterations of Algorithm 3 (>= 1)")
      ("constant-trick", po::value<bool>()->default_value(d.sparsify.constant_trick)->implicit_value(true), "send sign(g)/lambda for unsaturated coordinates (no division)")
      ("random-table", po::value<bool>()->default_value(d.sparsify.random_table)->implicit_value(true), "read uniforms from a precomputed cyclic table")
      ("error-feedback", po::value<bool>()->default_value(d.sparsify.error_feedback)->implicit_value(true), "topk: accumulate the unsent residual")
      ("qsgd-levels", po::value<int>()->default_value(d.sparsify.qsgd_levels), "qsgd: quantisation levels s (>= 1)");
  all.add(sp);
  po::options_description md(
      "Master/worker solvers (soda, dave-pg; Grishchenko et al., Algorithm 1)");
  md.add_options()
      ("mask-p", po::value<double>()->default_value(d.distributed.mask_p, HelpText(d.distributed.mask_p)), "soda: probability that a zero coordinate joins the mask, in (0, 1] (dave-pg: 1)")
      ("local-steps", po::value<int>()->default_value(d.distributed.local_steps), "proximal-gradient steps per worker per exchange (>= 1; > 1: DAve-RPG)")
      ("worker-delay", po::value<std::string>()->default_value(DelayListText(d.distributed.worker_delay)), "comma-separated slow-down factors >= 1, one per worker (repeated cyclically), e.g. 1,1,4; none = no delay")
      ("master-delay", po::value<double>()->default_value(d.distributed.master_delay), "the master's slow-down factor (>= 1): it sleeps (f - 1) x its busy time after each batch of messages")
      ("shard-skew", po::value<double>()->default_value(d.distributed.shard_skew), "0 = balanced shards; > 0: shard i holds rows in proportion to (1 + skew)^-i")
      ("shuffle-shards", po::value<bool>()->default_value(d.distributed.shuffle_rows)->implicit_value(true), "assign rows to shards through a seeded permutation")
      ("max-restarts", po::value<int>()->default_value(d.distributed.max_restarts), "restarts from the last good point before the run is declared diverged (>= 0)");
  all.add(md);
}

void AddOutput(po::options_description& all, bool train) {
  po::options_description g("Output");
  g.add_options()("summary", po::value<std::string>(), "write a JSON summary here");
  if (train) {
    g.add_options()
        ("trace", po::value<std::string>(), "write the trace CSV here (seconds, epoch, updates, objective, suboptimality, nnz_w, exchanges, coords_sent, bits_sent, conflicts, coords_returned, bits_returned, max_delay, master_busy)")
        ("model", po::value<std::string>(), "write the model here (LIBLINEAR text format, raw feature space)");
  }
  all.add(g);
}

bool WantsHelp(const std::vector<std::string>& argv) {
  for (const auto& a : argv) {
    if (a == "--help" || a == "-h") return true;
  }
  return false;
}

// ------------------------------------------------------------------- data --

// The number spelled by all of [b, e) (an optional leading '+' allowed), or
// nothing if any character is left over.
std::optional<double> ParseWholeNumber(const char* b, const char* e) {
  if (b < e && *b == '+') ++b;
  double v = 0.0;
  auto [p, ec] = std::from_chars(b, e, v);
  if (ec != std::errc() || p != e) return std::nullopt;
  return v;
}

std::vector<double> ParseLabelList(const Args& a, const std::string& key) {
  std::vector<double> out;
  const std::string text = a.Get<std::string>(key);
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    const char* b = item.data();
    const char* e = b + item.size();
    while (b < e && *b == ' ') ++b;
    const std::optional<double> v = ParseWholeNumber(b, e);
    if (!v || !std::isfinite(*v)) a.Invalid(key, "comma-separated numbers such as 3,5");
    out.push_back(*v);
  }
  if (out.empty()) a.Invalid(key, "comma-separated numbers such as 3,5");
  return out;
}

// --worker-delay: comma-separated factors >= 1; "none" (or "") = no delay. Every
// item must be a number as a whole ("1,x", "1,,2" and "2s" are errors).
std::vector<double> ParseDelayList(const Args& a, const std::string& key) {
  const std::string allowed = "comma-separated factors >= 1 such as 1,1,4, or none";
  const std::string text = a.Get<std::string>(key);
  std::vector<double> out;
  if (text.find_first_not_of(" \t") == std::string::npos || text == "none") return out;
  auto fail = [&](const std::string& item, const char* what) {
    throw UsageError("--" + key + ": \"" + item + "\" " + what + " (allowed: " + allowed + ") [" +
                     a.Origin(key) + "]");
  };
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    const auto b = item.find_first_not_of(" \t");
    const auto e = item.find_last_not_of(" \t");
    const std::string t = b == std::string::npos ? "" : item.substr(b, e - b + 1);
    const std::optional<double> v = ParseWholeNumber(t.data(), t.data() + t.size());
    if (t.empty() || !v) fail(t, "is not a number");
    if (!std::isfinite(*v)) fail(t, "is not a finite number");
    if (!(*v >= 1.0)) fail(t, "is out of range");
    out.push_back(*v);
  }
  if (!text.empty() && text.back() == ',') fail("", "is not a number");  // "1,2,"
  return out;
}

Preprocessing ReadPreprocessing(const Args& a) {
  Preprocessing prep;
  const std::string scale = a.Get<std::string>("scale");
  if (scale == "maxabs") {
    prep.scale_maxabs = true;
  } else if (scale != "none") {
    a.Invalid("scale", "none | maxabs");
  }
  prep.normalize_rows = a.Flag("normalize-rows");
  prep.bias = a.Get<double>("bias");
  if (!std::isfinite(prep.bias)) a.Invalid("bias", "a finite number (> 0 adds the feature)");
  return prep;
}

int ThreadsOf(const Args& a) {
  CheckPositiveInt(a, "threads");
  return a.Get<int>("threads");
}

struct LoadedData {
  Dataset data;
  Preprocessing prep;
  PreprocessingRecord record;
  std::uint64_t raw_hash = 0;
  double read_seconds = 0.0;
};

LoadedData LoadTraining(const Args& a, int threads) {
  a.Require("data");
  LoadedData out;
  out.prep = ReadPreprocessing(a);
  ReadOptions ro;
  ro.threads = threads;
  if (a.Has("positive-labels")) ro.positive_labels = ParseLabelList(a, "positive-labels");
  const auto t0 = std::chrono::steady_clock::now();
  out.data = ReadLibsvm(a.Get<std::string>("data"), ro);
  out.read_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  out.raw_hash = ContentHash(out.data);
  out.record = Apply(out.prep, out.data);
  return out;
}

Problem ReadProblem(const Args& a) {
  Problem p;
  if (!Parse(a.Get<std::string>("loss"), &p.loss)) a.Invalid("loss", "logistic | hinge | squared-hinge | squared");
  CheckNonNegative(a, "l1");
  CheckNonNegative(a, "l2");
  p.l1 = a.Get<double>("l1");
  p.l2 = a.Get<double>("l2");
  return p;
}

// ---------------------------------------------------------------- optimum --

struct OptimumInfo {
  double f_star = std::numeric_limits<double>::quiet_NaN();
  std::string source = "none";  // cache | computed | none
  std::string method;
  double certificate = std::numeric_limits<double>::quiet_NaN();
  double seconds = 0.0;
  bool converged = false;
  int iterations = 0;
  std::vector<double> w_star;  // the minimiser (preprocessed feature space); empty if unknown
};

OptimumInfo ObtainOptimum(const Args& a, const LoadedData& d, const Problem& problem, int threads,
                          bool quiet) {
  OptimumInfo info;
  const bool use_cache = !a.Flag("no-cache");
  OptimumCache cache(a.Get<std::string>("cache-dir"));
  const std::string key = OptimumCache::Key(ContentHash(d.data), d.prep.Describe(), problem);
  OptimumCacheEntry entry;
  if (use_cache && cache.Lookup(key, &entry)) {
    info.f_star = entry.f_star;
    info.source = "cache";
    info.method = entry.method;
    info.certificate = entry.certificate;
    info.converged = true;
    info.w_star = std::move(entry.w_star);
    return info;
  }
  if (!quiet) std::fprintf(stderr, "computing the reference optimum f* ...\n");
  ReferenceOptions ro;
  ro.threads = threads;
  ro.stop = &g_stop_requested;
  const auto t0 = std::chrono::steady_clock::now();
  ReferenceResult r = SolveReference(d.data, problem, ro);
  info.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  info.method = r.method;
  info.certificate = r.certificate;
  info.converged = r.converged;
  info.iterations = r.iterations;
  if (r.converged && std::isfinite(r.objective)) {
    info.f_star = r.objective;
    info.source = "computed";
    info.w_star = r.w;
    if (use_cache) {
      entry.f_star = r.objective;
      entry.w_star = r.w;
      entry.method = r.method;
      entry.certificate = r.certificate;
      cache.Store(key, entry);
    }
  } else if (!r.interrupted) {
    std::fprintf(stderr,
                 "warning: the reference solver did not converge in %d iterations "
                 "(certificate %.3g); f* is unknown\n",
                 r.iterations, r.certificate);
  }
  return info;
}

void WriteProvenance(JsonWriter& j) {
  const BuildInfo b = GetBuildInfo();
  j.Field("version", b.version)
      .Field("git_commit", b.git_commit)
      .Field("compiler", b.compiler)
      .Field("build_type", b.build_type)
      .Field("sanitizer", b.sanitizer)
      .Field("cpu", CpuDescription());
}

void WriteDataset(JsonWriter& j, const LoadedData& d, const std::string& path) {
  j.BeginObject("dataset")
      .Field("path", path)
      .Field("content_hash", HashToHex(d.raw_hash))
      .Field("preprocessed_hash", HashToHex(ContentHash(d.data)))
      .Field("rows", d.data.num_rows)
      .Field("cols", static_cast<std::int64_t>(d.data.num_cols))
      .Field("nnz", d.data.nnz())
      .Field("preprocessing", d.prep.Describe())
      .Field("scale", d.prep.scale_maxabs ? "maxabs" : "none")
      .Field("normalize_rows", d.prep.normalize_rows)
      .Field("bias", d.prep.bias)
      .Field("read_seconds", d.read_seconds)
      .EndObject();
}

void WriteConfig(JsonWriter& j, const Args& a) {
  j.BeginObject("config");
  for (const auto& [key, value] : a.Resolved()) j.Field(key, value);
  j.EndObject();
}

// Maps weights trained on preprocessed data back to the raw feature space.
LinearModel MakeModel(const std::vector<double>& w, const LoadedData& d, const Problem& problem) {
  LinearModel m;
  m.w = w;
  m.loss = problem.loss;
  m.l1 = problem.l1 > 0.0;
  m.bias = d.record.bias;
  m.normalize_rows = d.record.normalized_rows;
  for (std::size_t j = 0; j < d.record.column_scale.size() && j < m.w.size(); ++j) {
    m.w[j] /= d.record.column_scale[j];
  }
  m.positive_label = d.data.positive_label_text;
  m.negative_label = d.data.negative_label_text;
  return m;
}

std::optional<double> LabelValue(const std::string& text) {
  double v = 0.0;
  const char* b = text.data();
  const char* e = b + text.size();
  if (b < e && *b == '+') ++b;
  auto [p, ec] = std::from_chars(b, e, v);
  if (ec != std::errc() || p != e) return std::nullopt;
  return v;
}

}  // namespace

// ------------------------------------------------------------------ train --

int RunTrain(const std::vector<std::string>& argv) {
  po::options_description desc("asyncopt train: minimise F(w) on a LIBSVM file");
  AddGeneral(desc, true, true);
  AddData(desc, true);
  AddProblem(desc);
  AddSolver(desc);
  AddOutput(desc, true);
  AddCache(desc);
  if (WantsHelp(argv)) {
    std::cout << desc << "\n";
    return kExitOk;
  }
  Args a(argv, desc);
  const int threads = ThreadsOf(a);
  const bool quiet = a.Flag("quiet");
  Options options;
  if (!Parse(a.Get<std::string>("solver"), &options.solver)) {
    std::string names;
    for (const auto& n : AllNames(SolverKind{})) names += (names.empty() ? "" : " | ") + n;
    a.Invalid("solver", names);
  }
  options.threads = threads;
  options.seed = a.Get<unsigned long>("seed");
  CheckNonNegative(a, "step");
  options.step = a.Get<double>("step");
  CheckPositiveInt(a, "max-epochs");
  options.max_epochs = a.Get<int>("max-epochs");
  CheckPositive(a, "max-seconds");
  options.max_seconds = a.Get<double>("max-seconds");
  CheckNonNegative(a, "target-subopt");
  options.target_subopt = a.Get<double>("target-subopt");
  CheckPositive(a, "trace-every");
  options.trace_every_epochs = a.Get<double>("trace-every");
  if (!Parse(a.Get<std::string>("write"), &options.async.write)) a.Invalid("write", "wild | atomic | locked");
  CheckPositiveInt(a, "batch-size");
  options.async.batch_size = a.Get<int>("batch-size");
  options.async.lock_stripe = a.Get<int>("lock-stripe");
  if (const int stripe = options.async.lock_stripe;
      stripe < 1 || (stripe & (stripe - 1)) != 0 || stripe > kMaxLockStripe) {
    a.Invalid("lock-stripe", "a power of two in [1, " + std::to_string(kMaxLockStripe) + "]");
  }
  CheckUnitInterval(a, "step-decay", true, true);
  options.async.step_decay = a.Get<double>("step-decay");
  options.async.with_replacement = a.Flag("with-replacement");
  CheckPositive(a, "svrg-inner-epochs");
  options.async.svrg_inner_epochs = a.Get<double>("svrg-inner-epochs");
  options.async.pin_workers = a.Flag("pin-workers");
  options.async.conflict_sample = a.Get<int>("conflict-sample");
  if (const int n = options.async.conflict_sample; n < 1 || n > kMaxConflictSample) {
    a.Invalid("conflict-sample", "an integer in [1, " + std::to_string(kMaxConflictSample) + "]");
  }
  if (!Parse(a.Get<std::string>("sparsifier"), &options.sparsify.kind)) {
    a.Invalid("sparsifier", "none | uniform | gspar | gspar-exact | topk | qsgd");
  }
  CheckUnitInterval(a, "rho", true, true);
  options.sparsify.rho = a.Get<double>("rho");
  CheckPositiveInt(a, "gspar-iterations");
  options.sparsify.gspar_iterations = a.Get<int>("gspar-iterations");
  options.sparsify.constant_trick = a.Flag("constant-trick");
  options.sparsify.random_table = a.Flag("random-table");
  options.sparsify.error_feedback = a.Flag("error-feedback");
  CheckPositiveInt(a, "qsgd-levels");
  options.sparsify.qsgd_levels = a.Get<int>("qsgd-levels");
  CheckUnitInterval(a, "mask-p", true, true);
  options.distributed.mask_p = a.Get<double>("mask-p");
  CheckPositiveInt(a, "local-steps");
  options.distributed.local_steps = a.Get<int>("local-steps");
  options.distributed.worker_delay = ParseDelayList(a, "worker-delay");
  {
    const double f = a.Get<double>("master-delay");
    if (!(f >= 1.0) || !std::isfinite(f)) a.Invalid("master-delay", "a finite factor >= 1");
    options.distributed.master_delay = f;
  }
  CheckNonNegative(a, "shard-skew");
  options.distributed.shard_skew = a.Get<double>("shard-skew");
  options.distributed.shuffle_rows = a.Flag("shuffle-shards");
  CheckNonNegativeInt(a, "max-restarts");
  options.distributed.max_restarts = a.Get<int>("max-restarts");
  options.stop = &g_stop_requested;
  const Problem problem = ReadProblem(a);
  std::string why;
  if (!options.IsValid(&why)) throw UsageError(why);

  LoadedData d = LoadTraining(a, threads);
  const std::string data_path = a.Get<std::string>("data");
  std::optional<Dataset> test;
  if (a.Has("test")) {
    ReadOptions ro;
    ro.threads = threads;
    if (a.Has("positive-labels")) {
      ro.positive_labels = ParseLabelList(a, "positive-labels");
    } else if (auto pos = LabelValue(d.data.positive_label_text)) {
      ro.positive_labels = {*pos};  // the training file's +1 class
    }
    test = ReadLibsvm(a.Get<std::string>("test"), ro);  // raw: the model maps back to it
  }

  // f* outside the timed run, whenever suboptimality is asked for.
  OptimumInfo opt;
  const bool need_f_star = options.target_subopt > 0.0 || a.Has("trace");
  if (need_f_star) {
    opt = ObtainOptimum(a, d, problem, threads, quiet);
  } else if (!a.Flag("no-cache")) {
    OptimumCacheEntry entry;
    OptimumCache cache(a.Get<std::string>("cache-dir"));
    if (cache.Lookup(OptimumCache::Key(ContentHash(d.data), d.prep.Describe(), problem), &entry)) {
      opt.f_star = entry.f_star;
      opt.source = "cache";
      opt.method = entry.method;
      opt.w_star = std::move(entry.w_star);
    }
  }
  options.f_star = opt.f_star;
  // The master/worker solvers report when they identify the optimum's support.
  const bool master_worker =
      options.solver == SolverKind::kSoda || options.solver == SolverKind::kDavePg;
  if (master_worker && opt.w_star.size() == static_cast<std::size_t>(d.data.num_cols)) {
    options.reference_w = opt.w_star;
  }

  std::optional<TraceWriter> trace;
  if (a.Has("trace")) trace.emplace(a.Get<std::string>("trace"));
  Progress progress(!quiet);
  const bool have_f_star = !std::isnan(opt.f_star);
  options.on_trace = [&](const TracePoint& p) {
    if (trace) trace->Write(p);
    progress.Update(p, have_f_star);
  };

  Result result = Solve(d.data, problem, options);
  progress.Done();

  int exit_code = kExitOk;
  if (result.status == Status::kInterrupted) exit_code = kExitInterrupted;
  if (result.status == Status::kDiverged) exit_code = kExitDiverged;

  if (a.Has("model") && result.IsSolutionUsable()) {
    SaveModel(MakeModel(result.w, d, problem), a.Get<std::string>("model"));
  }

  PredictionMetrics test_metrics;
  if (test && result.IsSolutionUsable()) {
    test_metrics = Evaluate(Decision(MakeModel(result.w, d, problem), *test), test->labels);
  }

  if (a.Has("summary")) {
    JsonWriter j;
    j.BeginObject()
        .Field("status", ToString(result.status))
        .Field("message", result.message)
        .Field("solver", ToString(options.solver))
        .Field("write", ToString(options.async.write))
        .Field("sparsifier", ToString(options.sparsify.kind))
        .Field("loss", ToString(problem.loss))
        .Field("l1", problem.l1)
        .Field("l2", problem.l2)
        .Field("threads", threads)
        .Field("seed", static_cast<std::uint64_t>(options.seed))
        .Field("objective", result.objective)
        .Field("f_star", opt.f_star)
        .Field("f_star_source", opt.source)
        .Field("f_star_seconds", opt.seconds)
        .Field("suboptimality", result.suboptimality)
        .Field("epochs", result.epochs)
        .Field("seconds", result.seconds)
        .Field("updates", result.updates)
        .Field("updates_per_second", result.seconds > 0 ? result.updates / result.seconds : 0.0)
        .Field("nnz_w", result.nnz_w)
        .Field("exchanges", result.exchanges)
        .Field("coords_sent", result.coords_sent)
        .Field("bits_sent", result.bits_sent)
        .Field("conflicts", result.conflicts)
        .Field("coords_returned", result.coords_returned)
        .Field("bits_returned", result.bits_returned)
        .Field("max_delay", result.max_delay)
        .Field("dropped_messages", result.dropped_messages)
        .Field("mask_coords", result.mask_coords)
        .Field("master_busy", result.master_busy)
        .Field("step_used", result.step_used)
        .Field("restarts", result.restarts)
        .Field("identification_epoch", result.identification_epoch);
    if (options.reference_w.empty()) {
      j.Null("reference_nnz");
    } else {
      j.Field("reference_nnz", CountNonzeros(options.reference_w));
    }
    j.Field("trace_points", static_cast<std::int64_t>(result.trace.size()));
    if (test) {
      j.BeginObject("test")
          .Field("path", a.Get<std::string>("test"))
          .Field("rows", test->num_rows)
          .Field("accuracy", test_metrics.accuracy)
          .Field("logloss", test_metrics.logloss)
          .Field("auc", test_metrics.auc)
          .EndObject();
    }
    WriteDataset(j, d, data_path);
    WriteConfig(j, a);
    WriteProvenance(j);
    j.EndObject();
    WriteFileAtomically(a.Get<std::string>("summary"), j.str() + "\n");
  }
  if (!quiet) std::fprintf(stderr, "%s\n", result.BriefReport().c_str());
  return exit_code;
}

// ---------------------------------------------------------------- optimum --

int RunOptimum(const std::vector<std::string>& argv) {
  po::options_description desc("asyncopt optimum: compute (or look up) f* = min F");
  AddGeneral(desc, true);
  AddData(desc, false);
  AddProblem(desc);
  AddOutput(desc, false);
  AddCache(desc);
  if (WantsHelp(argv)) {
    std::cout << desc << "\n";
    return kExitOk;
  }
  Args a(argv, desc);
  const int threads = ThreadsOf(a);
  const Problem problem = ReadProblem(a);
  LoadedData d = LoadTraining(a, threads);
  OptimumInfo opt = ObtainOptimum(a, d, problem, threads, true);
  if (a.Has("summary")) {
    JsonWriter j;
    j.BeginObject()
        .Field("f_star", opt.f_star)
        .Field("source", opt.source)
        .Field("converged", opt.converged)
        .Field("method", opt.method)
        .Field("certificate", opt.certificate)
        .Field("iterations", opt.iterations)
        .Field("seconds", opt.seconds)
        .Field("nnz_w", CountNonzeros(opt.w_star))
        .Field("loss", ToString(problem.loss))
        .Field("l1", problem.l1)
        .Field("l2", problem.l2);
    WriteDataset(j, d, a.Get<std::string>("data"));
    WriteConfig(j, a);
    WriteProvenance(j);
    j.EndObject();
    WriteFileAtomically(a.Get<std::string>("summary"), j.str() + "\n");
  }
  if (g_stop_requested.load()) return kExitInterrupted;
  if (std::isnan(opt.f_star)) {
    std::fprintf(stderr, "error: f* could not be computed to the required accuracy\n");
    return kExitFailure;
  }
  std::printf("%.17g\n", opt.f_star);
  return kExitOk;
}

// ---------------------------------------------------------------- predict --

int RunPredict(const std::vector<std::string>& argv) {
  po::options_description desc("asyncopt predict: evaluate a model on a LIBSVM file");
  AddGeneral(desc, true);
  po::options_description g("Prediction");
  g.add_options()
      ("model", po::value<std::string>(), "model file (LIBLINEAR text format)")
      ("data", po::value<std::string>(), "LIBSVM file to predict")
      ("positive-labels", po::value<std::string>(), "label values that are +1 (default: the model's positive label)")
      ("normalize-rows", po::value<bool>()->default_value(false)->implicit_value(true), "the model was trained with --normalize-rows")
      ("predictions", po::value<std::string>(), "write one decision value per row here")
      ("summary", po::value<std::string>(), "write accuracy, logloss and auc as JSON here");
  desc.add(g);
  if (WantsHelp(argv)) {
    std::cout << desc << "\n";
    return kExitOk;
  }
  Args a(argv, desc);
  a.Require("model");
  a.Require("data");
  const int threads = ThreadsOf(a);
  LinearModel model = LoadModel(a.Get<std::string>("model"));
  model.normalize_rows = a.Flag("normalize-rows");
  ReadOptions ro;
  ro.threads = threads;
  if (a.Has("positive-labels")) {
    ro.positive_labels = ParseLabelList(a, "positive-labels");
  } else if (auto pos = LabelValue(model.positive_label)) {
    ro.positive_labels = {*pos};
  }
  const Dataset data = ReadLibsvm(a.Get<std::string>("data"), ro);
  const std::vector<double> margins = Decision(model, data);
  const PredictionMetrics m = Evaluate(margins, data.labels);
  if (a.Has("predictions")) {
    std::string text;
    char buf[40];
    for (double v : margins) {
      std::snprintf(buf, sizeof buf, "%.17g\n", v);
      text += buf;
    }
    WriteFileAtomically(a.Get<std::string>("predictions"), text);
  }
  if (a.Has("summary")) {
    JsonWriter j;
    j.BeginObject()
        .Field("rows", m.rows)
        .Field("accuracy", m.accuracy)
        .Field("logloss", m.logloss)
        .Field("auc", m.auc)
        .Field("model", a.Get<std::string>("model"))
        .Field("data", a.Get<std::string>("data"))
        .Field("content_hash", HashToHex(ContentHash(data)));
    WriteProvenance(j);
    j.EndObject();
    WriteFileAtomically(a.Get<std::string>("summary"), j.str() + "\n");
  }
  std::printf("accuracy %.6f (%lld rows)\nlogloss %.6f\n", m.accuracy,
              static_cast<long long>(m.rows), m.logloss);
  if (std::isnan(m.auc)) {
    std::printf("auc n/a (one class only)\n");
  } else {
    std::printf("auc %.6f\n", m.auc);
  }
  return kExitOk;
}

// --------------------------------------------------------------- generate --

int RunGenerate(const std::vector<std::string>& argv) {
  po::options_description desc("asyncopt generate: write seeded synthetic LIBSVM data");
  AddGeneral(desc, true);
  po::options_description g("Generator");
  g.add_options()
      ("kind", po::value<std::string>(), "svm-wangni | logistic-wangni | powerlaw")
      ("rows", po::value<long>(), "rows N (default per kind: 51200 | 1024 | 10000)")
      ("dim", po::value<int>(), "dimension d (default per kind: 256 | 2048 | 20000)")
      ("seed", po::value<unsigned long>()->default_value(1), "random seed")
      ("out", po::value<std::string>(), "output LIBSVM file")
      ("c1", po::value<double>(), "Wangni C1 in [0,1] (default 0.01 svm, 0.9 logistic)")
      ("c2", po::value<double>(), "Wangni C2 in [0,1] (default 0.9 svm, 0.25 logistic)")
      ("noise", po::value<double>(), "Wangni label noise standard deviation (>= 0; default 1 svm, 0 logistic)")
      ("nnz-per-row", po::value<int>()->default_value(PowerLawOptions{}.nnz_per_row), "powerlaw: nonzeros per row")
      ("zipf", po::value<double>()->default_value(PowerLawOptions{}.zipf_exponent), "powerlaw: Zipf exponent of feature popularity (>= 0)")
      ("label-noise", po::value<double>()->default_value(PowerLawOptions{}.label_noise), "powerlaw: label flip probability in [0, 0.5]");
  desc.add(g);
  if (WantsHelp(argv)) {
    std::cout << desc << "\n";
    return kExitOk;
  }
  Args a(argv, desc);
  a.Require("kind");
  a.Require("out");
  const int threads = ThreadsOf(a);
  const std::string kind = a.Get<std::string>("kind");
  auto rows = [&](std::int64_t dflt) {
    if (!a.Has("rows")) return dflt;
    if (a.Get<long>("rows") < 1) a.Invalid("rows", "an integer >= 1");
    return static_cast<std::int64_t>(a.Get<long>("rows"));
  };
  auto dim = [&](std::int32_t dflt) {
    if (!a.Has("dim")) return dflt;
    if (a.Get<int>("dim") < 1) a.Invalid("dim", "an integer >= 1");
    return static_cast<std::int32_t>(a.Get<int>("dim"));
  };
  auto unit = [&](const char* key, double dflt) {
    if (!a.Has(key)) return dflt;
    CheckUnitInterval(a, key, false, true);
    return a.Get<double>(key);
  };
  auto noise = [&](double dflt) {
    if (!a.Has("noise")) return dflt;
    CheckNonNegative(a, "noise");
    return a.Get<double>("noise");
  };
  const auto t0 = std::chrono::steady_clock::now();
  Dataset data;
  // Both Wangni generators take the same options, with kind-specific defaults.
  auto wangni = [&](auto o) {
    o.rows = rows(o.rows);
    o.dim = dim(o.dim);
    o.c1 = unit("c1", o.c1);
    o.c2 = unit("c2", o.c2);
    o.noise = noise(o.noise);
    o.seed = a.Get<unsigned long>("seed");
    return o;
  };
  if (kind == "svm-wangni") {
    data = GenerateWangniSvm(wangni(WangniSvmOptions{}));
  } else if (kind == "logistic-wangni") {
    data = GenerateWangniLogistic(wangni(WangniLogisticOptions{}));
  } else if (kind == "powerlaw") {
    PowerLawOptions o;
    o.rows = rows(o.rows);
    o.dim = dim(o.dim);
    if (a.Get<int>("nnz-per-row") < 1 || a.Get<int>("nnz-per-row") > o.dim) {
      a.Invalid("nnz-per-row", "an integer in [1, dim]");
    }
    o.nnz_per_row = a.Get<int>("nnz-per-row");
    CheckNonNegative(a, "zipf");
    o.zipf_exponent = a.Get<double>("zipf");
    const double flip = a.Get<double>("label-noise");
    if (!(flip >= 0.0 && flip <= 0.5)) a.Invalid("label-noise", "[0, 0.5]");
    o.label_noise = flip;
    o.seed = a.Get<unsigned long>("seed");
    o.threads = threads;
    data = GeneratePowerLaw(o);
  } else {
    a.Invalid("kind", "svm-wangni | logistic-wangni | powerlaw");
  }
  WriteLibsvm(data, a.Get<std::string>("out"));
  if (!a.Flag("quiet")) {
    std::fprintf(stderr, "wrote %s: %lld rows, %d features, %lld nonzeros in %.2f s (%s)\n",
                 a.Get<std::string>("out").c_str(), static_cast<long long>(data.num_rows),
                 data.num_cols, static_cast<long long>(data.nnz()),
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
                 data.source.c_str());
  }
  return kExitOk;
}

// ------------------------------------------------------------------- info --

int RunInfo(const std::vector<std::string>& argv) {
  po::options_description desc("asyncopt info: dataset statistics");
  AddGeneral(desc, true);
  AddData(desc, false);
  po::options_description g("Statistics");
  g.add_options()
      ("rho-samples", po::value<long>()->default_value(2000), "rows sampled to estimate Hogwild's rho (>= 1; >= rows: exact)")
      ("summary", po::value<std::string>(), "also write the statistics as JSON here");
  desc.add(g);
  if (WantsHelp(argv)) {
    std::cout << desc << "\n";
    return kExitOk;
  }
  Args a(argv, desc);
  const int threads = ThreadsOf(a);
  if (a.Get<long>("rho-samples") < 1) a.Invalid("rho-samples", "an integer >= 1");
  LoadedData d = LoadTraining(a, threads);
  const DatasetStats s = ComputeStats(d.data, a.Get<long>("rho-samples"));
  std::printf(
      "file            %s\n"
      "content hash    %s\n"
      "preprocessing   %s\n"
      "rows            %lld\n"
      "features        %d (%d never used)\n"
      "nonzeros        %lld (density %.6g)\n"
      "labels          +1 (was %s): %lld, -1 (was %s): %lld\n"
      "row nnz         min %d, mean %.2f, max %d (Omega)\n"
      "max |x|         %.6g\n"
      "Hogwild Delta   %.6g (largest fraction of rows sharing one feature)\n"
      "Hogwild rho     %.6g (largest fraction of rows conflicting with one row; %lld rows sampled)\n"
      "feature skew    top 1%% of features hold %.2f%% of nonzeros; Gini %.4f; Zipf exponent %.3f\n",
      a.Get<std::string>("data").c_str(), HashToHex(d.raw_hash).c_str(), d.prep.Describe().c_str(),
      static_cast<long long>(s.rows), s.cols, s.empty_columns, static_cast<long long>(s.nnz),
      s.density, d.data.positive_label_text.c_str(), static_cast<long long>(s.positives),
      d.data.negative_label_text.c_str(), static_cast<long long>(s.negatives), s.min_row_nnz,
      s.mean_row_nnz, s.max_row_nnz, s.max_abs_value, s.delta, s.rho,
      static_cast<long long>(s.rho_sample_rows), 100.0 * s.top1pct_share, s.gini, s.zipf_exponent);
  if (a.Has("summary")) {
    JsonWriter j;
    j.BeginObject()
        .Field("rows", s.rows)
        .Field("cols", static_cast<std::int64_t>(s.cols))
        .Field("nnz", s.nnz)
        .Field("density", s.density)
        .Field("positives", s.positives)
        .Field("negatives", s.negatives)
        .Field("min_row_nnz", static_cast<std::int64_t>(s.min_row_nnz))
        .Field("max_row_nnz", static_cast<std::int64_t>(s.max_row_nnz))
        .Field("mean_row_nnz", s.mean_row_nnz)
        .Field("empty_columns", static_cast<std::int64_t>(s.empty_columns))
        .Field("delta", s.delta)
        .Field("rho", s.rho)
        .Field("rho_sample_rows", s.rho_sample_rows)
        .Field("top1pct_share", s.top1pct_share)
        .Field("gini", s.gini)
        .Field("zipf_exponent", s.zipf_exponent)
        .Field("max_abs_value", s.max_abs_value);
    WriteDataset(j, d, a.Get<std::string>("data"));
    WriteProvenance(j);
    j.EndObject();
    WriteFileAtomically(a.Get<std::string>("summary"), j.str() + "\n");
  }
  return kExitOk;
}

}  // namespace asyncopt::cli
