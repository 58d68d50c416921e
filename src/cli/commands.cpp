// asyncopt subcommands: train, predict, optimum, generate, info.
//
// Every command follows the same order, so that nothing the user owns is
// lost and no work is wasted: parse and range-check every option; refuse
// options that would have no effect; check every output path (writable, not
// an input, not another output); only then read data and work; at the end
// write every output, each on its own, and report the ones that failed.
#include "cli/commands.hpp"

#include <algorithm>
#include <iterator>
#include <ranges>
#include <charconv>
#include <chrono>
#include <cmath>
#include <functional>
#include <cstdio>
#include <iostream>
#include <limits>
#include <map>
#include <optional>
#include <sstream>

#include "asyncopt/asyncopt.hpp"
#include "cli/args.hpp"
#include "cli/json.hpp"
#include "cli/options.hpp"
#include "cli/outputs.hpp"
#include "cli/report.hpp"
#include "core/option_table.hpp"
#include "core/solver_table.hpp"
#include "runtime/memory.hpp"
#include "io/labels.hpp"
#include "models/model.hpp"
#ifdef ASYNCOPT_HAVE_MPI
#include <cstring>

#include "algorithms/dissvrg.hpp"
#include "algorithms/soda.hpp"
#include "algorithms/decentralized.hpp"
#include "algorithms/spars_ams.hpp"
#include "data/preprocess_parts.hpp"
#include "engine/master_worker.hpp"
#include "engine/mpi_transport.hpp"
#include "io/libsvm_part.hpp"
#endif

namespace asyncopt::cli {

std::atomic<bool> g_stop_requested{false};
std::atomic<int> g_stop_signal{0};

namespace {

std::string g_phase;  // written and read by the main thread only

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

bool WantsHelp(const std::vector<std::string>& argv) {
  for (const auto& a : argv) {
    if (a == "--help" || a == "-h") return true;
  }
  return false;
}

// ------------------------------------------------------------------- data --

struct LoadedData {
  // The rows (a threaded run), or under MPI on rank 0 only the shape: the
  // rows are the workers' (distributed, nnz and hashes from them).
  Dataset data;
  bool distributed = false;
  std::int64_t distributed_nnz = 0;
  Preprocessing prep;
  PreprocessingRecord record;
  std::uint64_t raw_hash = 0;
  double read_seconds = 0.0;
  std::string path;
};

// spars-ams's softmax and mlp models: class ids instead of -1/+1 classes.
bool MulticlassModelRun(const Args& a) {
  return a.Has("model-kind") && a.Str("model-kind") != "linear";
}

// How --data's labels are read: as -1/+1 classes (ReadOptions' mapping),
// unless the squared loss is asked for without --positive-labels: then as
// real targets (regression). `problem` null (info, which has no --loss):
// real targets unless --positive-labels is given; a file of at most two
// distinct labels is then shown as classes (see LoadTraining).
// --scale-target standard needs real targets: refused otherwise, by name.
ReadOptions LabelReading(const Args& a, const Problem* problem, const Preprocessing& prep,
                         int threads) {
  ReadOptions ro;
  ro.threads = threads;
  const bool positive = a.Has("positive-labels");
  if (problem == nullptr && a.Has("classes") && a.Bool("classes")) {
    // info --classes: one class id per distinct label, rows counted per class.
    if (positive) throw UsageError("--classes counts every label's rows; --positive-labels maps them to two classes");
    if (prep.standardize_target) throw UsageError("--scale-target standard is for real targets, not --classes");
    ro.class_ids = true;
    return ro;
  }
  if (problem != nullptr && MulticlassModelRun(a)) {
    // softmax and mlp (spars-ams) take class ids, one per distinct label.
    const std::string kind = a.Str("model-kind");
    if (positive) {
      throw UsageError("--positive-labels maps the labels to two classes; --model-kind " + kind +
                       " keeps one class per label (drop one of them)");
    }
    if (prep.standardize_target) throw UsageError("--scale-target standard is for real targets, not --model-kind " + kind);
    if (prep.normalize_rows) {
      throw UsageError("--normalize-rows cannot be used with --model-kind " + kind +
                       ": the model files do not record it");
    }
    ro.class_ids = true;
    return ro;
  }
  if (positive) ro.positive_labels = ParseLabelList(a, "positive-labels");
  if (prep.standardize_target) {
    if (problem != nullptr && problem->loss != Loss::kSquared) {
      throw UsageError("--scale-target standard: the " + std::string(ToString(problem->loss)) +
                       " loss takes -1/+1 classes, which are not scaled; standardising the "
                       "target is for real targets (--loss squared)");
    }
    if (positive) {
      throw UsageError("--scale-target standard cannot be used with --positive-labels, which "
                       "reads the labels as -1/+1 classes");
    }
  }
  ro.keep_targets = !positive && (problem == nullptr || problem->loss == Loss::kSquared);
  return ro;
}

// Reads --data, applies the preprocessing. With `for_solver`, refuses data
// no solver can use (no feature at all; a row whose squared norm overflows)
// naming the file and the cause. `problem` as for LabelReading.
LoadedData LoadTraining(const Args& a, int threads, bool for_solver, const Problem* problem) {
  a.Require("data");
  LoadedData out;
  out.path = a.Str("data");
  out.prep = ReadPreprocessing(a);
  const ReadOptions ro = LabelReading(a, problem, out.prep, threads);
  SetPhase("reading " + Printable(out.path));
  const auto t0 = Clock::now();
  out.data = ReadLibsvm(out.path, ro);
  if (problem == nullptr && ro.keep_targets && !out.prep.standardize_target) {
    // info: two labels or fewer are classes, mapped as without keep_targets.
    const std::vector<double> distinct = io::DistinctLabels(out.data.labels);
    if (distinct.size() <= 2) {
      ReadOptions classes;
      classes.threads = threads;
      io::MapLabels(&out.data, distinct, classes);
    }
  }
  out.read_seconds = SecondsSince(t0);
  out.raw_hash = ContentHash(out.data);
  SetPhase("preprocessing " + Printable(out.path));
  if (out.prep.scale_maxabs && !out.prep.compact_columns) {
    runtime::RequireMemory(8.0 * out.data.num_cols, "--scale maxabs (a scale per feature)",
                           for_solver ? runtime::WidthAdviceFor(out.data)
                                      : std::function<std::string()>([] {
                                          return std::string("run it without --scale");
                                        }));
  }
  out.record = Apply(out.prep, out.data);
  if (!for_solver) return out;
  const std::string name = Printable(out.path);
  if (out.data.num_cols == 0) {
    throw UsageError(name + ": no features (every row is empty): there is nothing to fit; "
                            "--bias 1 adds a constant feature (an intercept-only model)");
  }
  try {
    ValidateDataset(out.data);
  } catch (const Error& e) {
    // The reader checked the text; what is left is the scale of the numbers.
    std::string what = e.what();
    const std::string prefix = "invalid Dataset: ";
    if (what.rfind(prefix, 0) == 0) what = what.substr(prefix.size());
    throw UsageError(name + ": " + what + " (rows counted from 0, after preprocessing '" +
                     out.prep.Describe() + "')");
  }
  return out;
}

// A label written as text ("1", "-1", "4"): its value, if it is a number.
std::optional<double> LabelValue(const std::string& text) {
  double v = 0.0;
  const char* b = text.data();
  const char* e = b + text.size();
  if (b < e && *b == '+') ++b;
  auto [p, ec] = std::from_chars(b, e, v);
  if (ec != std::errc() || p != e || b == e) return std::nullopt;
  return v;
}

// ---------------------------------------------------------------- optimum --

struct OptimumInfo {
  double f_star = std::numeric_limits<double>::quiet_NaN();
  std::string source = "none";  // cache | computed | given | none
  std::string method;
  double certificate = std::numeric_limits<double>::quiet_NaN();
  double seconds = 0.0;
  bool converged = false;
  bool no_minimiser = false;
  int iterations = 0;
  std::vector<double> w_star;  // the minimiser (preprocessed feature space); empty if unknown
};

std::string CacheKey(const LoadedData& d, const Problem& problem) {
  return OptimumCache::Key(ContentHash(d.data), d.prep.Describe(), problem);
}

// f* from the cache, verified against its stored minimiser; a stale entry
// is reported and ignored.
bool LookupOptimum(const Args& a, const LoadedData& d, const Problem& problem, int threads,
                   OptimumInfo* info) {
  if (a.Bool("no-cache")) return false;
  OptimumCache cache(a.Str("cache-dir"));
  OptimumCacheEntry entry;
  std::string mismatch;
  SetPhase("looking up f* in the cache");
  if (!cache.LookupVerified(CacheKey(d, problem), d.data, problem, &entry, &mismatch, threads)) {
    if (!mismatch.empty()) {  // a warning shows even with --quiet
      std::fprintf(stderr, "warning: the cached f* in %s is wrong (%s); it is recomputed\n",
                   Printable(cache.dir()).c_str(), mismatch.c_str());
    }
    return false;
  }
  info->f_star = entry.f_star;
  info->source = "cache";
  info->method = entry.method;
  info->certificate = entry.certificate;
  info->converged = true;
  info->w_star = std::move(entry.w_star);
  return true;
}

// f* by the reference solver (off the clock of any run), with a progress
// line on a terminal; stored in the cache when it converged.
OptimumInfo ComputeOptimum(const Args& a, const LoadedData& d, const Problem& problem,
                           int threads, bool quiet) {
  OptimumInfo info;
  if (LookupOptimum(a, d, problem, threads, &info)) return info;
  Progress progress(!quiet);
  if (!quiet && !progress.enabled()) {
    std::fprintf(stderr, "computing the reference optimum f* (not part of any timed run) ...\n");
  }
  SetPhase("computing the reference optimum f*", PhaseKind::kStoppable);
  ReferenceOptions ro;
  ro.threads = threads;
  ro.stop = &g_stop_requested;
  const auto t0 = Clock::now();
  ro.on_iteration = [&](int iteration, const std::vector<double>&, double objective, std::int64_t) {
    char line[200];
    std::snprintf(line, sizeof line,
                  "computing f* with the reference solver (not timed): iteration %d, objective "
                  "%.10g, %.1f s",
                  iteration, objective, SecondsSince(t0));
    progress.Status(line);
  };
  progress.Status("computing f* with the reference solver (not timed) ...");
  ReferenceResult r = SolveReference(d.data, problem, ro);
  progress.Done();
  info.seconds = SecondsSince(t0);
  info.method = r.method;
  info.certificate = r.certificate;
  info.converged = r.converged;
  info.iterations = r.iterations;
  info.no_minimiser = r.no_minimiser;
  if (r.converged && std::isfinite(r.objective)) {
    info.f_star = r.objective;
    info.source = "computed";
    info.w_star = r.w;
    if (!a.Bool("no-cache")) {
      OptimumCacheEntry entry;
      entry.f_star = r.objective;
      entry.w_star = r.w;
      entry.method = r.method;
      entry.certificate = r.certificate;
      try {
        OptimumCache(a.Str("cache-dir")).Store(CacheKey(d, problem), entry);
      } catch (const Error& e) {  // the cache is a convenience: say so, go on
        std::fprintf(stderr, "warning: f* not cached: %s\n", Printable(e.what(), 4096).c_str());
      }
    }
  }
  return info;
}

std::string NoMinimiserText(const std::string& data) {
  return Printable(data) +
         ": the problem has no minimiser: the data are linearly separable and l1 = l2 = 0, so "
         "the logistic loss only approaches 0 as ||w|| grows (there is no f*); add --l2 > 0 "
         "(or --l1 > 0)";
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

void WriteDataset(JsonWriter& j, const LoadedData& d) {
  j.BeginObject("dataset").Field("path", d.path);
  if (d.distributed) {  // no rank holds all rows: no hash of them
    j.Null("content_hash").Null("preprocessed_hash");
  } else {
    j.Field("content_hash", HashToHex(d.raw_hash))
        .Field("preprocessed_hash", HashToHex(ContentHash(d.data)));
  }
  j.Field("rows", d.data.num_rows)
      .Field("cols", static_cast<std::int64_t>(d.data.num_cols))
      .Field("nnz", d.distributed ? d.distributed_nnz : d.data.nnz())
      .Field("preprocessing", d.prep.Describe())
      .Field("scale", d.prep.scale_maxabs ? "maxabs" : "none")
      .Field("normalize_rows", d.prep.normalize_rows)
      .Field("bias", d.prep.bias)
      .Field("compact_features", d.prep.compact_columns)
      .Field("labels", d.data.label_kind == LabelKind::kTargets ? "targets" : "classes")
      .Field("scale_target", d.record.standardized_target ? "standard" : "none");
  if (d.record.standardized_target) {
    j.Field("target_mean", d.record.target_mean).Field("target_std", d.record.target_std);
  } else {
    j.Null("target_mean").Null("target_std");
  }
  j.Field("read_seconds", d.read_seconds).EndObject();
}

// The options in effect (defaults included): with `solver`, the solver
// options the run uses, valued as it ran (the option table's record), and
// every other option as given; else every option as given.
void WriteConfig(JsonWriter& j, const Args& a, const Options* solver = nullptr) {
  std::map<std::string, std::string> config;
  for (const auto& [key, value] : a.Resolved()) {
    if (solver == nullptr || core::FindOption(key) == nullptr) config[key] = value;
  }
  if (solver != nullptr) {
    for (const auto& [key, value] : core::OptionsInEffect(*solver)) {
      config[std::string(key)] = value;
    }
  }
  j.BeginObject("config");
  for (const auto& [key, value] : config) j.Field(key, value);
  j.EndObject();
}

// The trace's `run` column: the solver, the data file's name and the
// options given that shape the run (the solver table's and the problem's,
// not paths or output switches), in key order.
std::string RunLabel(const Args& a, const Options& options) {
  std::string label(ToString(options.solver));
  if (a.Has("data")) {
    const std::string path = a.Str("data");
    label += " " + path.substr(path.find_last_of('/') + 1);
  }
  static const char* kProblem[] = {"loss", "l1", "l2", "scale", "normalize-rows", "bias",
                                   "positive-labels", "scale-target", "transport"};
  for (const std::string& key : a.GivenKeys()) {
    if (key == "solver" || key == "data" || key == "trace") continue;
    const bool problem = std::find(std::begin(kProblem), std::end(kProblem), key) != std::end(kProblem);
    const core::OptionSpec* spec = core::FindOption(key);
    if (!problem && (spec == nullptr || core::WhyUnused(*spec, options))) continue;
    label += " --" + key + " " + Printable(a.Str(key), 60);
  }
  return label;
}

// The solver option `key` takes effect in this run.
bool InEffect(std::string_view key, const Options& options) {
  return !core::WhyUnused(*core::FindOption(key), options);
}

// --initial-model: a saved model's weights in the training space of `d`.
// The model's classes must be the data's (the same labels; swapped labels
// flip the weights' sign), else the warm start would point the wrong way.
std::vector<double> WarmStartWeights(const std::string& path, const LoadedData& d) {
  LinearModel model = LoadModel(path);
  const bool targets = d.data.label_kind == LabelKind::kTargets;
  if (model.regression != targets) {
    throw UsageError(Printable(path) + ": a " +
                     (model.regression ? "regression" : "classification") +
                     " model cannot start a run on " +
                     (targets ? "real targets (--loss squared without --positive-labels)"
                              : "-1/+1 classes"));
  }
  if (targets) return TrainingWeights(model, d.record);
  const std::string& pos = d.data.positive_label_text;
  const std::string& neg = d.data.negative_label_text;
  auto same = [](const std::string& a, const std::string& b) {
    const auto x = LabelValue(a), y = LabelValue(b);
    return x && y ? *x == *y : a == b;
  };
  if (same(model.positive_label, neg) && same(model.negative_label, pos)) {
    for (double& v : model.w) v = -v;
  } else if (!same(model.positive_label, pos) || !same(model.negative_label, neg)) {
    throw UsageError(Printable(path) + ": the model's labels '" + Printable(model.positive_label) +
                     "' and '" + Printable(model.negative_label) + "' are not the data's '" +
                     Printable(pos) + "' and '" + Printable(neg) + "'");
  }
  return TrainingWeights(model, d.record);
}

// A model's quality on labelled rows: accuracy, log-loss and AUC for
// classes, or MSE, RMSE, MAE and R^2 for real targets; the other kind's
// metrics are NaN (null in JSON), so every summary has the same keys.
struct Quality {
  bool regression = false;
  PredictionMetrics classes;
  RegressionMetrics targets;
};

// `values`: decision values (classes) or predictions (targets), against
// `labels`. With a record that standardised the targets both are in the
// training units: they are mapped back to the original ones first.
Quality QualityOf(std::vector<double> values, std::vector<double> labels, bool regression,
                  const PreprocessingRecord* record = nullptr) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  Quality q;
  q.regression = regression;
  if (regression) {
    if (record != nullptr && record->standardized_target) {
      for (double& v : values) v = record->target_mean + record->target_std * v;
      for (double& v : labels) v = record->target_mean + record->target_std * v;
    }
    q.targets = EvaluateRegression(values, labels);
    q.classes.accuracy = q.classes.logloss = q.classes.auc = kNaN;
    q.classes.rows = q.targets.rows;
  } else {
    q.classes = Evaluate(values, labels);
    q.targets.mse = q.targets.rmse = q.targets.mae = q.targets.r2 = kNaN;
    q.targets.rows = q.classes.rows;
  }
  return q;
}

void WriteQuality(JsonWriter& j, const Quality& q) {
  j.Field("task", q.regression ? "regression" : "classification")
      .Field("accuracy", q.classes.accuracy)
      .Field("logloss", q.classes.logloss)
      .Field("auc", q.classes.auc)
      .Field("mse", q.targets.mse)
      .Field("rmse", q.targets.rmse)
      .Field("mae", q.targets.mae)
      .Field("r2", q.targets.r2);
}

// Weights trained on preprocessed data, as a model of the raw feature space.
LinearModel ModelOf(const std::vector<double>& w, const LoadedData& d, const Problem& problem) {
  return MakeLinearModel(w, problem, d.record, d.data.positive_label_text,
                         d.data.negative_label_text);
}

// --model for any trained model: LIBLINEAR's binary or regression format
// for linear models and two-class softmax (w = W[:,0] - W[:,1], the first
// class positive, as LIBLINEAR writes two classes), LIBLINEAR's multiclass
// format for softmax with K >= 3, asyncopt-mlp for the perceptron.
void SaveTrainedModel(const std::vector<double>& w, const LoadedData& d, const Problem& problem,
                      const Options& options, const std::string& path) {
  if (options.model_kind == ModelKind::kLinear) {
    SaveModel(ModelOf(w, d, problem), path);
    return;
  }
  const std::vector<double>& labels = d.data.class_labels;
  if (options.model_kind == ModelKind::kSoftmax && labels.size() == 2) {
    std::vector<double> diff(w.size() / 2);
    for (std::size_t j = 0; j < diff.size(); ++j) diff[j] = w[2 * j] - w[2 * j + 1];
    Problem logistic = problem;
    logistic.loss = Loss::kLogistic;
    SaveModel(MakeLinearModel(diff, logistic, d.record, io::LabelText(labels[0]), io::LabelText(labels[1])), path);
    return;
  }
  SaveMulticlassModel(MakeMulticlassModel(options.model_kind, w, options.hidden, labels, d.record), path);
}

// A multiclass model's accuracy and confusion matrix on `test` (class ids
// of the training classes), with the weights as trained.
MulticlassMetrics MulticlassQuality(const std::vector<double>& w, const LoadedData& d, const Problem& problem,
                                    const Options& options, const Dataset& test, int threads) {
  models::ModelSpec spec;
  spec.kind = options.model_kind;
  spec.features = d.data.num_cols;
  spec.classes = d.data.num_classes();
  spec.l2 = problem.l2;
  spec.hidden = options.hidden;
  const auto model = models::MakeModel(spec, d.data);
  const std::vector<double> predicted = models::PredictAll(*model, test, w, threads);
  return EvaluateMulticlass(std::vector<int>(predicted.begin(), predicted.end()), test.labels,
                            d.data.num_classes());
}

void WriteConfusion(JsonWriter& j, const MulticlassMetrics& m, const std::vector<double>& labels) {
  j.Field("task", "multiclass").Field("accuracy", m.accuracy);
  j.BeginArray("classes");
  for (const double v : labels) j.Field({}, io::LabelText(v));
  j.EndArray();
  // confusion[t][p]: rows of true class t (in the order above) predicted as p.
  j.BeginArray("confusion");
  for (const auto& row : m.confusion) j.Field({}, row);
  j.EndArray();
}

}  // namespace

std::atomic<int> g_phase_kind{static_cast<int>(PhaseKind::kWork)};

void SetPhase(const std::string& phase, PhaseKind kind) {
  g_phase = phase;
  g_phase_kind.store(static_cast<int>(kind), std::memory_order_relaxed);
}
const std::string& Phase() { return g_phase; }
bool StopRequested() { return g_stop_requested.load(std::memory_order_relaxed); }

int InterruptedExitCode() {
  const int s = g_stop_signal.load(std::memory_order_relaxed);
  return 128 + (s > 0 ? s : 2);
}

// ------------------------------------------------------------------ train --

// train's Options::on_trace: every point to the trace file (if any) and the
// progress line; the run goes on.
std::function<TraceReply(const TracePoint&)> TraceTo(std::optional<TraceWriter>& trace,
                                                     Progress& progress, bool have_f_star) {
  return [&trace, &progress, have_f_star](const TracePoint& p) {
    if (trace) trace->Write(p);
    progress.Update(p, have_f_star);
    return TraceReply::kContinue;
  };
}

// After the run: the trace closed, the model, the test metrics, the summary,
// the report, the exit code.
int FinishTrain(const Args& a, LoadedData& d, const Problem& problem, const Options& options,
                const OptimumInfo& opt, const std::optional<Dataset>& test,
                std::optional<TraceWriter>& trace, Outputs& outputs, const Result& result,
                int threads, bool quiet) {
  SetPhase("writing the outputs", PhaseKind::kWriting);
  if (result.status == Status::kInterrupted && result.updates == 0) {
    // Stopped before the first update (during the f* phase, say): there is
    // nothing to save, and the user's existing files stay as they are.
    if (trace) trace->Abandon();
    std::fprintf(stderr, "asyncopt train: stopped before training began; nothing written\n");
    return InterruptedExitCode();
  }

  if (trace && !trace->Close()) outputs.Fail("trace", trace->error());
  if (outputs.Has("trainer-trace")) {
    std::string csv = "seconds,member,epochs,inner_steps,wait_seconds\n";
    char row[160];
    for (const MemberSample& s : result.member_trace) {
      std::snprintf(row, sizeof row, "%.9f,%d,%lld,%lld,%.9f\n", s.seconds, s.member,
                    static_cast<long long>(s.epochs), static_cast<long long>(s.inner_steps), s.wait_seconds);
      csv += row;
    }
    outputs.Write("trainer-trace", csv);
  }
  if (outputs.Has("model")) {
    if (result.IsSolutionUsable()) {
      outputs.WriteWith("model", [&](const std::string& path) {
        SaveTrainedModel(result.w, d, problem, options, path);
      });
    } else {
      outputs.Fail("model", "the run produced no usable weights (" + result.message + ")");
    }
  }

  Quality test_quality = QualityOf({}, {}, d.data.label_kind == LabelKind::kTargets);
  const bool multiclass = options.model_kind != ModelKind::kLinear;
  std::optional<MulticlassMetrics> test_classes;
  if (test && multiclass) {
    if (result.IsSolutionUsable()) test_classes = MulticlassQuality(result.w, d, problem, options, *test, threads);
  } else if (test && result.IsSolutionUsable()) {
    // The weights as trained, on the test set preprocessed as the training
    // set was (the bias is one of its columns); features the training set
    // never had get no weight. Standardised targets: judged in the
    // original units.
    LinearModel trained;
    trained.w = result.w;
    test_quality = QualityOf(Decision(trained, *test), test->labels,
                             test->label_kind == LabelKind::kTargets, &d.record);
  }

  if (outputs.Has("summary")) {
    JsonWriter j;
    j.BeginObject()
        .Field("status", ToString(result.status))
        .Field("message", result.message)
        .Field("solver", ToString(options.solver));
    if (result.advice.empty()) {
      j.Null("advice");
    } else {
      j.Field("advice", result.advice);
    }
    if (InEffect("write", options)) {
      j.Field("write", ToString(options.async.write));
    } else {
      j.Null("write");
    }
    if (InEffect("sparsifier", options)) {
      j.Field("sparsifier", ToString(options.sparsify.kind));
    } else {
      j.Null("sparsifier");
    }
    j.Field("loss", ToString(problem.loss))
        .Field("l1", problem.l1)
        .Field("l2", problem.l2)
        .Field("threads", d.distributed ? options.threads : threads)
        .Field("transport", d.distributed ? "mpi" : "threads");
    if (d.distributed) {
      const bool ssp_ranks = options.solver == SolverKind::kDisSvrg || options.solver == SolverKind::kPetuumSgd;
      j.Field("ranks", static_cast<std::int64_t>(options.threads) + (ssp_ranks ? options.ssp.servers : 1));
    } else {
      j.Null("ranks");
    }
    if (InEffect("seed", options)) {
      j.Field("seed", static_cast<std::uint64_t>(options.seed));
    } else {
      j.Null("seed");
    }
    j.Field("objective", result.objective)
        .Field("f_star", opt.f_star)
        .Field("f_star_source", opt.source)
        .Field("f_star_seconds", opt.seconds)
        .Field("no_minimiser", opt.no_minimiser)
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
        .Field("bytes_sent", result.bytes_sent)
        .Field("bytes_returned", result.bytes_returned)
        .Field("max_delay", result.max_delay)
        .Field("dropped_messages", result.dropped_messages)
        .Field("mask_coords", result.mask_coords)
        .Field("master_busy", result.master_busy)
        .Field("step_used", result.step_used)
        .Field("restarts", result.restarts)
        .Field("identification_epoch", result.identification_epoch)
        .Field("warm_start", a.Has("initial-model"));
    // Peer solvers (decentralized, gossip): how far apart the nodes ended,
    // the rounds they skipped, and each node's record.
    if (options.solver == SolverKind::kDecentralized || options.solver == SolverKind::kGossip) {
      j.Field("diameter", result.diameter)
          .Field("rounds_skipped", result.rounds_skipped)
          .Field("wait_fraction", result.wait_fraction);
      j.BeginArray("nodes");
      for (const MemberStats& m : result.members) {
        j.BeginObject()
            .Field("node", m.member)
            .Field("rounds", m.rounds)
            .Field("rounds_skipped", m.rounds_skipped)
            .Field("wait_seconds", m.wait_seconds)
            .Field("wait_fraction", m.wait_fraction)
            .EndObject();
      }
      j.EndArray();
    }
    // Parameter-server solvers (dissvrg, petuum-sgd): the staleness rule's
    // record and each trainer's share of the work and of the waiting.
    const bool ssp = options.solver == SolverKind::kDisSvrg || options.solver == SolverKind::kPetuumSgd;
    if (ssp) {
      j.Field("max_staleness", result.max_staleness)
          .Field("wait_fraction", result.wait_fraction)
          .Field("staleness_histogram", result.staleness_histogram);
      j.BeginArray("trainers");
      for (const MemberStats& m : result.members) {
        j.BeginObject()
            .Field("member", m.member)
            .Field("epochs", m.epochs)
            .Field("pushes", m.pushes)
            .Field("pulls", m.pulls)
            .Field("wait_seconds", m.wait_seconds)
            .Field("wait_fraction", m.wait_fraction)
            .Field("inner_steps", m.inner_steps)
            .EndObject();
      }
      j.EndArray();
    } else {
      j.Null("max_staleness").Null("wait_fraction").Null("staleness_histogram").Null("trainers");
    }
    if (options.reference_w.empty()) {
      j.Null("reference_nnz");
    } else {
      j.Field("reference_nnz", CountNonzeros(options.reference_w));
    }
    j.Field("trace_points", static_cast<std::int64_t>(result.trace.size()));
    if (options.solver == SolverKind::kSparsAms || options.solver == SolverKind::kDecentralized ||
        options.solver == SolverKind::kGossip) {
      j.Field("model_kind", ToString(options.model_kind))
          .Field("parameters", static_cast<std::int64_t>(result.w.size()));
    } else {
      j.Null("model_kind").Null("parameters");
    }
    if (test) {
      j.BeginObject("test").Field("path", a.Str("test")).Field("rows", test->num_rows);
      if (multiclass) {
        if (test_classes) {
          WriteConfusion(j, *test_classes, d.data.class_labels);
        } else {
          j.Field("task", "multiclass").Null("accuracy").Null("classes").Null("confusion");
        }
      } else {
        WriteQuality(j, test_quality);
      }
      j.EndObject();
    }
    WriteDataset(j, d);
    WriteConfig(j, a, &options);
    WriteProvenance(j);
    j.EndObject();
    outputs.Write("summary", j.str() + "\n");
  }
  if (!quiet) std::fprintf(stderr, "%s\n", result.BriefReport().c_str());
  if (!quiet && test_classes) {
    std::fprintf(stderr, "test accuracy %.6f (%lld rows)\n", test_classes->accuracy,
                 static_cast<long long>(test_classes->rows));
  }
  outputs.ReportFailures("train");

  if (result.status == Status::kInterrupted) return InterruptedExitCode();
  if (outputs.failed()) return kExitOutputFailed;
  if (result.status == Status::kDiverged) return kExitDiverged;
  if (result.status == Status::kPeerLost) return kExitPeerLost;
  if (result.status == Status::kNoQuorum) return kExitNoQuorum;
  return kExitOk;
}

#ifdef ASYNCOPT_HAVE_MPI
namespace {

// `mpirun -np K asyncopt train --transport mpi ...`: rank 0 is the master,
// ranks 1..K-1 the workers, each reading only its part of --data (plain
// files by byte range, compressed ones by streaming and keeping every
// (K-1)-th row). What every rank must agree on is agreed first (an error
// while reading, the shape, the label values, the column scales, the
// step); rank 0 alone writes the outputs; every rank exits with rank 0's
// code (broadcast), or, when a rank was lost, rank 0 ends the job with it
// (MPI_Abort: a stopped process would keep mpirun waiting).
int RunTrainMpi(const Args& a, Options options, const Problem& problem, int threads, bool quiet,
                const std::optional<double>& given_f_star, const std::string& f_star_mode) {
  engine::MpiSession session(nullptr, nullptr);
  const int rank = session.rank(), size = session.size();
  const std::string who = "rank " + std::to_string(rank) + " of " + std::to_string(size);
  // The parameter-server solvers (dissvrg, petuum-sgd): ranks 0..S-1 are
  // the servers (0 the master), S..K-1 the trainers. soda, dave-pg: rank 0
  // the master, 1..K-1 the workers. Ranks from `servers` on hold the data.
  const bool ssp = options.solver == SolverKind::kDisSvrg || options.solver == SolverKind::kPetuumSgd;
  // spars-ams: rank 0 the server, 1..K-1 the workers, each keeping its rows.
  const bool spars = options.solver == SolverKind::kSparsAms;
  // decentralized, gossip: every rank a cluster of --threads / K nodes
  // (threads), each rank keeping its rows; rank 0 also conducts.
  const bool peers = options.solver == SolverKind::kDecentralized || options.solver == SolverKind::kGossip;
  const bool model_run = options.model_kind != ModelKind::kLinear;
  const int servers = ssp ? options.ssp.servers : (peers ? 0 : 1);
  const bool data_rank = rank >= servers;
  // Where this worker rank's compute thread goes with --pin-workers: the
  // worker ranks on one host take its CPUs in rank order (the master and
  // the block servers are not pinned). A collective, while every rank is alive.
  std::vector<int> host_workers = session.HostRanks();
  std::erase_if(host_workers, [servers](int r) { return r < servers; });
  const int host_index = static_cast<int>(
      std::find(host_workers.begin(), host_workers.end(), rank) - host_workers.begin());
  if (options.solver == SolverKind::kGossip) {
    // Its nodes never wait: under MPI their messages outrun the receivers
    // (no flow control yet) and fill the memory.
    throw UsageError("--transport mpi: solver gossip runs on threads only so far (its nodes never wait, and "
                     "across processes their messages would outrun the receivers); use decentralized");
  }
  if (peers && options.threads < size) {
    throw UsageError("--threads " + std::to_string(options.threads) + ": solver " +
                     std::string(ToString(options.solver)) + " under mpirun runs --threads nodes in all, at least one "
                     "per rank (" + std::to_string(size) + " ranks)");
  }
  if (peers && options.solver == SolverKind::kDecentralized && options.decentralized.clusters != 0 &&
      options.decentralized.clusters != size) {
    throw UsageError("--clusters " + std::to_string(options.decentralized.clusters) +
                     ": under mpirun each rank is one cluster (" + std::to_string(size) + " ranks)");
  }
  if (peers && options.solver == SolverKind::kDecentralized) options.decentralized.clusters = size;
  if (peers) {
    try {
      algorithms::CheckDecentralizedOptions(problem, options);
    } catch (const Error& e) {
      throw UsageError(e.what());  // the same verdict on every rank
    }
  }
  if (size < servers + 1) {
    throw UsageError(ssp ? "--transport mpi with --servers " + std::to_string(servers) + " needs at least " +
                               std::to_string(servers + 1) + " ranks (mpirun -np K): ranks 0.." +
                               std::to_string(servers - 1) + " are the servers, the rest the trainers"
                         : std::string("--transport mpi needs at least 2 ranks (mpirun -np K, K >= 2): rank 0 is "
                                       "the master, ranks 1..K-1 the workers"));
  }
  if (core::SolverFor(options.solver).team != core::Team::kMasterWorkers && !peers) {
    throw UsageError("--transport mpi runs the message-passing solvers (soda, dave-pg, dissvrg, petuum-sgd, spars-ams, "
                     "decentralized, gossip), not " +
                     std::string(ToString(options.solver)));
  }
  if (problem.loss == Loss::kHinge) {
    throw UsageError("solver " + std::string(ToString(options.solver)) +
                     " needs a smooth loss (logistic, squared-hinge, squared)");
  }
  const Preprocessing prep = ReadPreprocessing(a);
  if (prep.compact_columns) {
    throw UsageError("--compact-features cannot be used with --transport mpi: no rank sees every "
                     "feature index");
  }
  if (options.distributed.shard_skew != 0.0) {
    throw UsageError("--shard-skew cannot be used with --transport mpi: each worker rank's shard "
                     "is its part of the file");
  }
  if (a.Has("initial-model")) {
    throw UsageError("--initial-model cannot be used with --transport mpi yet");
  }
  if (!peers) options.threads = size - servers;  // M workers (trainers), one compute thread each
  const int parts = size - servers;
  a.Require("data");
  const std::string path = a.Str("data");
  const ReadOptions ro = LabelReading(a, &problem, prep, threads);

  // Every rank-local step that can fail before the run is caught and told
  // to the others through the next agreement: no rank may leave while the
  // others wait in a collective (they have no deadline).
  auto said = [&](const std::exception& e) {
    std::fprintf(stderr, "asyncopt train: error: %s (%s)\n", Printable(e.what(), 1 << 16).c_str(),
                 who.c_str());
    std::fflush(stderr);
  };
  int local_code = kExitOk;  // this rank's failure before the run (its exit code)
  auto fail_with = [&](const std::exception& e) {
    said(e);
    local_code = dynamic_cast<const UsageError*>(&e) != nullptr ||
                         (dynamic_cast<const Error*>(&e) != nullptr &&
                          dynamic_cast<const Error*>(&e)->kind() != ErrorKind::kResource)
                     ? kExitUsage
                     : (dynamic_cast<const Error*>(&e) != nullptr ? kExitResource : kExitFailure);
  };

  // Rank 0 prepares before the workers start waiting for it: the outputs'
  // paths, and f* (given; or, auto and needed by --trace or
  // --target-subopt, from the cache or the reference solver on rank 0,
  // which then reads the data itself; else unknown).
  Outputs outputs;
  OptimumInfo opt;
  if (rank == 0) {
    try {
      for (const char* key : {"summary", "trace", "model", "trainer-trace"}) outputs.Add(a, key);
      for (const char* key : {"data", "test", "config"}) outputs.AddInput(a, key);
      outputs.Check();
      const bool need_f_star = options.target_subopt > 0.0 || a.Has("trace");
      if (model_run && !given_f_star && options.target_subopt > 0.0) {
        throw UsageError("--target-subopt needs f*, and the " + std::string(ToString(options.model_kind)) +
                         " model has no reference solver: give --f-star, or stop on --max-epochs / --max-seconds");
      }
      if (given_f_star) {
        opt.f_star = *given_f_star;
        opt.source = "given";
      } else if (f_star_mode == "auto" && need_f_star && !model_run) {
        LoadedData whole = LoadTraining(a, threads, true, &problem);
        opt = ComputeOptimum(a, whole, problem, threads, quiet);
      }
    } catch (const std::exception& e) {
      fail_with(e);
    }
  }

  // 1. The parts. A worker that cannot read its part tells the others
  //    through the first agreement, so no rank waits for it.
  SetPhase("reading " + Printable(path) + " (" + who + ")");
  Dataset part;
  io::PartInfo info;
  std::string read_error;
  const auto t0 = Clock::now();
  if (data_rank) {
    try {
      data::CheckPartwise(prep);
      part = io::ReadLibsvmPart(path, rank - servers, parts, ro, &info);
      if (part.num_rows == 0) {
        // A byte range in which no line starts (a short file, long lines).
        throw UsageError(Printable(path) + ": the part of rank " + std::to_string(rank) + " (" +
                         std::to_string(rank - servers + 1) + " of " + std::to_string(parts) +
                         ") holds no row: run fewer ranks (mpirun -np) for this file");
      }
    } catch (const std::exception& e) {
      // Said at once: once the others learn of it, mpirun may end the job.
      read_error = e.what();
      fail_with(e);
    }
  }
  const double read_seconds = SecondsSince(t0);
  // [0] an error, [1] the width, [2] the most distinct labels of a part;
  // then the sums: rows, nonzeros.
  std::vector<double> agreed = {static_cast<double>(local_code), static_cast<double>(part.num_cols),
                                static_cast<double>(info.labels.size())};
  session.AllMax(&agreed);
  if (agreed[0] > 0.0) {  // every rank ends with the failing rank's code; it said why
    if (rank == 0 && local_code == kExitOk) {
      std::fprintf(stderr, "asyncopt train: error: a worker rank could not prepare its part of %s\n",
                   Printable(path).c_str());
    }
    return static_cast<int>(agreed[0]);
  }
  std::vector<double> sums = {static_cast<double>(part.num_rows), static_cast<double>(part.nnz())};
  session.AllSum(&sums);
  const auto rows = static_cast<std::int64_t>(sums[0]);
  const auto nnz = static_cast<std::int64_t>(sums[1]);
  const auto cols = static_cast<std::int32_t>(agreed[1]);
  // The label set of the whole file: each rank's distinct labels in its
  // own slots (-inf: none), the maximum over ranks gathers them.
  const auto per_rank = static_cast<std::size_t>(agreed[2]);
  std::vector<double> slots(per_rank * static_cast<std::size_t>(size), -std::numeric_limits<double>::infinity());
  for (std::size_t k = 0; k < info.labels.size(); ++k) slots[per_rank * static_cast<std::size_t>(rank) + k] = info.labels[k];
  session.AllMax(&slots);
  std::vector<double> labels;
  for (const double v : slots) {
    if (std::isfinite(v)) labels = io::MergeLabels(labels, std::vector<double>{v});
  }
  if (rows < parts) {
    throw UsageError(Printable(path) + ": " + std::to_string(rows) + " rows for " + std::to_string(parts) +
                     (ssp ? " trainer ranks: at least one row per trainer" : " worker ranks: at least one row per worker"));
  }

  // 2. Labels mapped alike on every rank (rank 0 for the label texts of
  //    the model); the preprocessing with the global width and scales.
  LoadedData d;
  d.path = path;
  d.prep = prep;
  d.distributed = true;
  d.distributed_nnz = nnz;
  d.read_seconds = read_seconds;
  part.source = path;
  std::vector<double> maxabs;
  std::optional<Dataset> test;
  std::vector<double> smooth = {0.0, 0.0};  // the largest part smoothness, a failure's code
  try {
    io::AssignLabels(&part, labels, rows, ro);  // the same set everywhere: the same verdict on every rank
    if (prep.scale_maxabs) maxabs = data::ColumnMaxAbs(part, cols);
  } catch (const std::exception& e) {
    fail_with(e);
  }
  if (prep.scale_maxabs) {
    maxabs.resize(static_cast<std::size_t>(cols), 0.0);
    session.AllMax(&maxabs);
  }
  // --scale-target standard: the whole file's target mean and std, from
  // every part's sums (the mean first, then the squared deviations from it:
  // two passes, as Apply's). Rank 0 holds no rows and adds zeros.
  data::TargetMoments targets;
  if (prep.standardize_target) {
    std::vector<double> sum = {0.0};
    // [0] max y, [1] max -y (the min): -inf where a part has no row.
    std::vector<double> extremes = {-std::numeric_limits<double>::infinity(),
                                    -std::numeric_limits<double>::infinity()};
    for (const double y : part.labels) {
      sum[0] += y;
      extremes[0] = std::max(extremes[0], y);
      extremes[1] = std::max(extremes[1], -y);
    }
    session.AllSum(&sum);
    session.AllMax(&extremes);
    targets.mean = sum[0] / static_cast<double>(rows);
    std::vector<double> squares = {0.0};
    for (const double y : part.labels) squares[0] += (y - targets.mean) * (y - targets.mean);
    session.AllSum(&squares);
    targets.std = std::sqrt(squares[0] / static_cast<double>(rows));
    targets.max = extremes[0];
    targets.min = -extremes[1];
  }
  // A plain file's part is read a second time, in pieces of about 16 MB
  // of text (at least 4), straight into the worker's columns: the rank
  // never holds its rows and their column-major copy at once. A
  // compressed part (streamed, interleaved rows) is turned into columns
  // in place instead (4 bytes per nonzero more at the peak).
  // (soda and dave-pg: their workers keep columns; a trainer keeps its rows.)
  algorithms::PartReader reread;
  if (info.by_byte_range && !ssp && !spars && !peers) {
    constexpr std::uint64_t kPieceBytes = std::uint64_t{16} << 20;
    const std::uint64_t bytes = info.end_byte - info.begin_byte;
    const std::uint64_t most = std::max<std::uint64_t>(1, std::numeric_limits<int>::max() / parts);
    const int pieces = static_cast<int>(
        std::min(most, std::clamp<std::uint64_t>((bytes + kPieceBytes - 1) / kPieceBytes, 4, 1 << 16)));
    reread = [&, pieces](const std::function<void(const Dataset&)>& take) {
      for (int k = 0; k < pieces; ++k) {
        // Piece k of the worker's range: the same line-aligned byte
        // boundaries as part (rank - 1) of (size - 1) (io::PartBoundary).
        io::PartInfo piece_info;
        Dataset piece = io::ReadLibsvmPart(path, (rank - servers) * pieces + k, parts * pieces, ro, &piece_info);
        if (!piece_info.by_byte_range) {
          throw Error(ErrorKind::kIo, Printable(path) + ": no longer a plain file on the second read of "
                                                        "this rank's part");
        }
        piece.source = path;
        io::AssignLabels(&piece, labels, rows, ro);
        data::ApplyToPart(d.record, piece);
        take(piece);
      }
    };
  }
  std::optional<algorithms::WorkerShard> shard;
  if (local_code == kExitOk) {
    try {
      d.record = data::MakeRecord(prep, cols, maxabs);
      d.record.label_kind = part.label_kind;
      if (prep.standardize_target) data::StandardizeTargets(d.record, targets, path);
      d.data.num_rows = rows;
      d.data.num_cols = d.record.bias > 0.0 ? cols + 1 : cols;
      d.data.label_kind = part.label_kind;
      d.data.positive_label_text = part.positive_label_text;
      d.data.class_labels = part.class_labels;
      d.data.negative_label_text = part.negative_label_text;
      if (data_rank) {
        data::ApplyToPart(d.record, part);
        ValidateDataset(part);
        if (ssp) {
          // The default step: the largest row smoothness over the parts.
          smooth[0] = algorithms::PartLMax(part, problem);
        } else if (spars || peers) {
          // AMSGrad's step needs no smoothness: the part stays as rows.
          // (decentralized: each node's default step is its own part's.)
          if (peers) {
            const int here = static_cast<int>(
                std::count_if(std::views::iota(0, options.threads).begin(), std::views::iota(0, options.threads).end(),
                              [&](int i) { return static_cast<std::int64_t>(i) * size / options.threads == rank; }));
            if (part.num_rows < here) {
              throw UsageError(Printable(path) + ": the part of rank " + std::to_string(rank) + " holds " +
                               std::to_string(part.num_rows) + " rows for its " + std::to_string(here) +
                               " nodes: run fewer nodes (--threads) or ranks");
            }
          }
        } else {
          // The step: the largest part smoothness (when --step is not given).
          smooth[0] = algorithms::PartSmoothness(part, problem, options);
          // The shard now: a slow or failed second read is part of the
          // preparation the ranks agree on, not a worker the master waits for.
          shard.emplace(algorithms::MakeWorkerShard(std::move(part), rows, options, reread));
        }
      }
      if (rank == 0 && a.Has("test")) {
        ReadOptions tro;
        tro.threads = threads;
        if (ro.class_ids) {
          tro.class_ids = true;
          tro.expected_labels = d.data.class_labels;
        } else if (ro.keep_targets) {
          tro.keep_targets = true;
        } else if (a.Has("positive-labels")) {
          tro.positive_labels = ParseLabelList(a, "positive-labels");
        } else if (auto pos = LabelValue(d.data.positive_label_text)) {
          tro.positive_labels = {*pos};
          if (auto neg = LabelValue(d.data.negative_label_text)) tro.expected_labels = {*pos, *neg};
        }
        test = ReadLibsvm(a.Str("test"), tro);
        ApplyRecord(d.record, *test);
      }
    } catch (const std::exception& e) {
      fail_with(e);
    }
  }
  smooth[1] = local_code;
  session.AllMax(&smooth);
  if (smooth[1] > 0.0) return static_cast<int>(smooth[1]);  // the failing rank said why
  // What Solve would check and the shape alone allows: faults name ranks.
  if (spars) {
    try {
      algorithms::CheckSparsAms(d.data, problem, options);
    } catch (const Error& e) {
      throw UsageError(e.what());  // the same verdict on every rank
    }
  }
  if (ssp) {
    Dataset shape;
    shape.num_rows = rows;
    shape.num_cols = d.data.num_cols;
    try {
      algorithms::CheckDisSvrg(shape, problem, options);
    } catch (const Error& e) {
      throw UsageError(e.what());  // the same verdict on every rank
    }
  }
  for (const Fault& f : options.faults) {
    if (peers) {
      if (f.member >= options.threads) {
        throw UsageError("--fault " + ToString(f) + ": node " + std::to_string(f.member) +
                         " does not exist; this run's nodes are 0.." + std::to_string(options.threads - 1));
      }
      continue;
    }
    if (f.member >= size) {
      throw UsageError("--fault " + ToString(f) + ": rank " + std::to_string(f.member) +
                       " does not exist; this run's ranks are 0.." + std::to_string(size - 1) +
                       " (0 = the master)");
    }
    if (f.member == 0 && f.kind == Fault::Kind::kCrash) {
      throw UsageError("--fault " + ToString(f) + ": the master (rank 0) cannot crash; stall it");
    }
  }
  engine::MpiTransport net(session);
  int code = kExitOk;
  if (rank == 0) {
   // An error here leaves the workers waiting (for replies, then for the
   // exit code): it ends the job instead.
   try {
    options.f_star = opt.f_star;
    std::optional<TraceWriter> trace;
    if (outputs.Has("trace")) trace.emplace(outputs.Path("trace"), RunLabel(a, options));
    Progress progress(!quiet);
    options.on_trace = TraceTo(trace, progress, !std::isnan(opt.f_star));
    options.stop = &g_stop_requested;
    const char* role = ssp ? "trainer" : peers ? "node" : "worker";
    SetPhase("training (" + std::string(ToString(options.solver)) + ", master of " + std::to_string(parts) + " " +
             role + " ranks)", PhaseKind::kStoppable);
    if (!quiet) {
      std::fprintf(stderr, "training: solver %s, %d %s ranks (mpi), %lld rows x %d features\n",
                   std::string(ToString(options.solver)).c_str(), parts, role,
                   static_cast<long long>(rows), d.data.num_cols);
    }
    const std::string placement = " (mpi ranks " + std::to_string(servers) + ".." + std::to_string(size - 1) +
                                  ", master on " + session.host() + ")";
    if ((spars || peers) && test) options.test = &*test;  // the test accuracy of every trace point
    const Result result =
        peers ? algorithms::RunDecentralizedRank(net, part, rows, problem, options)
        : spars ? algorithms::RunSparsAmsMaster(net, d.data, problem, options, placement)
        : ssp ? algorithms::RunDisSvrgMaster(net, rows, d.data.num_cols, problem, options, smooth[0], placement)
              : algorithms::RunSodaMaster(net, rows, d.data.num_cols, problem, options, smooth[0], placement);
    progress.Done();
    code = FinishTrain(a, d, problem, options, opt, test, trace, outputs, result, threads, quiet);
    if (result.status == Status::kPeerLost) {
      // A lost rank may be stopped (SIGSTOP) or dead: only an abort ends
      // the job; the outputs are written.
      session.Abort(code);
    }
   } catch (const std::exception& e) {
    std::fprintf(stderr, "asyncopt train: error: %s\n", Printable(e.what(), 1 << 16).c_str());
    session.Abort(dynamic_cast<const UsageError*>(&e) != nullptr ? kExitUsage : kExitFailure);
   }
  } else {
    // A signal waits for the master.
    SetPhase("training (" + who + (data_rank ? (ssp ? ", a trainer)" : ", a worker)") : ", a block server)"),
             PhaseKind::kStoppable);
    try {
      if (!data_rank) {
        algorithms::RunDisSvrgBlockServer(net, rows, d.data.num_cols, options);
      } else if (peers) {
        algorithms::RunDecentralizedRank(net, part, rows, problem, options);
      } else if (spars) {
        algorithms::RunSparsAmsWorker(net, part, problem, options, host_index, static_cast<int>(host_workers.size()));
      } else if (ssp) {
        algorithms::RunDisSvrgTrainer(net, part, rows, problem, options, smooth[0], host_index,
                                      static_cast<int>(host_workers.size()));
      } else {
        algorithms::RunSodaWorker(net, *shard, problem, options, smooth[0], host_index,
                                  static_cast<int>(host_workers.size()));
      }
    } catch (const engine::PeerLost& e) {
      std::fprintf(stderr, "asyncopt train (%s): %s\n", who.c_str(), e.what());
      session.Abort(kExitPeerLost);
    } catch (const std::exception& e) {
      // The master was told (kFailed) and ends the job; wait for it.
      std::fprintf(stderr, "asyncopt train (%s): %s\n", who.c_str(), Printable(e.what(), 1 << 16).c_str());
    }
  }
  // Every rank leaves with rank 0's code.
  std::vector<char> bytes(sizeof code);
  std::memcpy(bytes.data(), &code, sizeof code);
  session.Broadcast(&bytes, 0);
  std::memcpy(&code, bytes.data(), sizeof code);
  return code;
}

}  // namespace
#endif  // ASYNCOPT_HAVE_MPI

int RunTrain(const std::vector<std::string>& argv) {
  po::options_description desc("asyncopt train: minimise F(w) on a LIBSVM file");
  DescribeTrain(desc);
  if (WantsHelp(argv)) {
    std::cout << desc << "\n";
    return kExitOk;
  }
  Args a(argv, desc);
  const int threads = ThreadsOf(a);
  const bool quiet = a.Bool("quiet");
  Options options = ReadSolverOptions(a, threads);
  options.stop = &g_stop_requested;
  const Problem problem = ReadProblem(a);
  RefuseUnusedOptions(a, options);
  if (a.Has("trainer-trace") && options.solver != SolverKind::kDisSvrg &&
      options.solver != SolverKind::kPetuumSgd) {
    throw UsageError("--trainer-trace: solver " + std::string(ToString(options.solver)) +
                     " has no trainers (dissvrg and petuum-sgd do)");
  }
  if (a.Has("checkpoint-dir")) {
    if (options.solver != SolverKind::kDecentralized || options.decentralized.checkpoint_every == 0) {
      throw UsageError("--checkpoint-dir: only decentralized writes checkpoints, and only with --checkpoint-every K");
    }
    options.decentralized.checkpoint_dir = a.Str("checkpoint-dir");
  }
  std::string why;
  if (!options.IsValid(&why)) throw UsageError(why);
  std::optional<double> given_f_star;
  const std::string f_star_mode = a.Str("f-star");
  if (f_star_mode != "auto" && f_star_mode != "skip") {
    given_f_star = a.Real("f-star", {-std::numeric_limits<double>::infinity(),
                                     std::numeric_limits<double>::infinity(), true, true,
                                     "auto | skip | a finite number"});
  }
  const std::string transport = a.Str("transport");
  if (transport == "mpi") {
#ifdef ASYNCOPT_HAVE_MPI
    return RunTrainMpi(a, options, problem, threads, quiet, given_f_star, f_star_mode);
#else
    throw UsageError("--transport mpi: this asyncopt was built without MPI (install libopenmpi-dev "
                     "and openmpi-bin, scripts/install-deps.sh does, and rebuild)");
#endif
  }
  if (transport != "threads") a.Invalid("transport", "threads | mpi");

  Outputs outputs;
  for (const char* key : {"summary", "trace", "model", "trainer-trace"}) outputs.Add(a, key);
  for (const char* key : {"data", "test", "config", "initial-model"}) outputs.AddInput(a, key);
  outputs.Check();

  LoadedData d = LoadTraining(a, threads, true, &problem);
  if (outputs.Has("model")) {
    // LIBLINEAR's format lists every weight of the raw feature space, also
    // after --compact-features: know before the run whether that fits.
    const double raw = std::max<double>(d.record.raw_num_cols, d.data.num_cols) + 1.0;
    runtime::RequireMemory(16.0 * raw,
                           "--model (LIBLINEAR's format lists all " +
                               std::to_string(d.record.raw_num_cols) + " weights of the file's features)",
                           [] { return std::string("train without --model, or on data with a smaller largest feature index"); });
  }
  std::optional<Dataset> test;
  if (a.Has("test")) {
    ReadOptions ro;
    ro.threads = threads;
    if (d.data.label_kind == LabelKind::kClassIds) {
      ro.class_ids = true;  // the training classes' ids; another label is refused by line
      ro.expected_labels = d.data.class_labels;
    } else if (d.data.label_kind == LabelKind::kTargets) {
      ro.keep_targets = true;  // and standardised as the training targets (ApplyRecord)
    } else if (a.Has("positive-labels")) {
      ro.positive_labels = ParseLabelList(a, "positive-labels");
    } else if (auto pos = LabelValue(d.data.positive_label_text)) {
      ro.positive_labels = {*pos};  // the training file's +1 class
      // ... and its -1 class: a test file of other classes is refused.
      if (auto neg = LabelValue(d.data.negative_label_text)) ro.expected_labels = {*pos, *neg};
    }
    SetPhase("reading " + Printable(a.Str("test")));
    test = ReadLibsvm(a.Str("test"), ro);
    ApplyRecord(d.record, *test);  // evaluated in the training space, as the weights are
    // spars-ams, decentralized and gossip record the test accuracy at every trace point.
    if (options.solver == SolverKind::kSparsAms || options.solver == SolverKind::kDecentralized ||
        options.solver == SolverKind::kGossip) {
      options.test = &*test;
    }
  }
  const bool model_run = options.model_kind != ModelKind::kLinear;
  if (model_run && a.Has("initial-model")) {
    throw UsageError("--initial-model: warm starts of the " + std::string(ToString(options.model_kind)) +
                     " model are not supported yet (only linear models)");
  }
  if (a.Has("initial-model")) {
    SetPhase("reading the initial model");
    options.initial_w = WarmStartWeights(a.Str("initial-model"), d);
  }
  // Everything Solve would refuse, refused now: before the f* phase, and
  // before any output is touched.
  CheckSolve(d.data, problem, options);

  // f* outside the timed run, whenever suboptimality is asked for.
  OptimumInfo opt;
  const bool need_f_star = options.target_subopt > 0.0 || a.Has("trace");
  if (model_run && !given_f_star && options.target_subopt > 0.0) {
    throw UsageError("--target-subopt needs f*, and the " + std::string(ToString(options.model_kind)) +
                     " model has no reference solver: give --f-star, or stop on --max-epochs / --max-seconds");
  }
  if (given_f_star) {
    opt.f_star = *given_f_star;
    opt.source = "given";
  } else if (model_run) {
    opt.source = "none";  // no reference solver for softmax or mlp: suboptimality stays unknown
  } else if (f_star_mode == "auto") {
    if (need_f_star) {
      opt = ComputeOptimum(a, d, problem, threads, quiet);
    } else {
      LookupOptimum(a, d, problem, threads, &opt);
    }
  }
  if (opt.no_minimiser) std::fprintf(stderr, "warning: %s\n", NoMinimiserText(d.path).c_str());
  if (std::isnan(opt.f_star) && need_f_star && !model_run && !g_stop_requested.load()) {
    if (!opt.no_minimiser && f_star_mode == "auto") {
      std::fprintf(stderr,
                   "warning: the reference solver did not converge in %d iterations "
                   "(certificate %.3g); f* is unknown\n",
                   opt.iterations, opt.certificate);
    }
    if (options.target_subopt > 0.0) {
      std::fprintf(stderr,
                   "warning: --target-subopt cannot be judged without f*; the run stops on its "
                   "epoch or time limit\n");
    }
  }
  options.f_star = opt.f_star;
  // The master/worker solvers report when they identify the optimum's support.
  const bool master_worker = core::SolverFor(options.solver).team == core::Team::kMasterWorkers;
  if (master_worker && opt.w_star.size() == static_cast<std::size_t>(d.data.num_cols)) {
    options.reference_w = opt.w_star;
  }

  // Opened only now: nothing is truncated before the run can start.
  std::optional<TraceWriter> trace;
  if (outputs.Has("trace")) trace.emplace(outputs.Path("trace"), RunLabel(a, options));
  Progress progress(!quiet);
  options.on_trace = TraceTo(trace, progress, !std::isnan(opt.f_star));

  SetPhase("training (" + std::string(ToString(options.solver)) + ")", PhaseKind::kStoppable);
  if (!quiet) {
    // From here on a stop (Ctrl-C, SIGTERM) keeps what the run has done.
    std::fprintf(stderr, "training: solver %s, %d thread%s, %lld rows x %d features\n",
                 std::string(ToString(options.solver)).c_str(), threads, threads == 1 ? "" : "s",
                 static_cast<long long>(d.data.num_rows), d.data.num_cols);
  }
  Result result = Solve(d.data, problem, options);
  progress.Done();
  return FinishTrain(a, d, problem, options, opt, test, trace, outputs, result, threads, quiet);
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
  const bool quiet = a.Bool("quiet");
  const Problem problem = ReadProblem(a);
  Outputs outputs;
  outputs.Add(a, "summary");
  for (const char* key : {"data", "config"}) outputs.AddInput(a, key);
  outputs.Check();
  LoadedData d = LoadTraining(a, threads, true, &problem);
  OptimumInfo opt = ComputeOptimum(a, d, problem, threads, quiet);
  if (StopRequested()) {
    std::fprintf(stderr, "asyncopt optimum: stopped before f* was known; nothing written\n");
    return InterruptedExitCode();
  }
  if (opt.no_minimiser) throw UsageError(NoMinimiserText(d.path));
  SetPhase("writing the outputs", PhaseKind::kWriting);
  if (outputs.Has("summary")) {
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
    WriteDataset(j, d);
    WriteConfig(j, a);
    WriteProvenance(j);
    j.EndObject();
    outputs.Write("summary", j.str() + "\n");
  }
  outputs.ReportFailures("optimum");
  if (std::isnan(opt.f_star)) {
    std::fprintf(stderr,
                 "asyncopt optimum: error: f* could not be computed to the required accuracy "
                 "(%d iterations, certificate %.3g)\n",
                 opt.iterations, opt.certificate);
    return kExitFailure;
  }
  std::printf("%.17g\n", opt.f_star);
  return outputs.failed() ? kExitOutputFailed : kExitOk;
}

// ---------------------------------------------------------------- predict --

namespace {

// predict with a softmax (K >= 3) or perceptron model: accuracy and the
// confusion matrix; the predictions file holds each row's predicted label.
int PredictMulticlass(const Args& a, Outputs& outputs, int threads, bool normalize_rows,
                      const std::vector<double>& positive) {
  const std::string path = a.Str("model");
  const MulticlassModel model = LoadMulticlassModel(path);
  if (!positive.empty()) {
    throw UsageError("option '--positive-labels' has no effect here: " + Printable(path) + " is a " +
                     std::to_string(model.num_classes()) + "-class model, whose classes are its labels");
  }
  if (normalize_rows) throw UsageError("--normalize-rows: multiclass models are trained without it");
  ReadOptions ro;
  ro.threads = threads;
  ro.class_ids = true;
  ro.expected_labels = model.labels;  // a label outside the model's classes is refused by line
  SetPhase("reading " + Printable(a.Str("data")));
  const Dataset data = ReadLibsvm(a.Str("data"), ro);
  SetPhase("predicting");
  const std::vector<int> predicted = PredictClasses(model, data);
  const MulticlassMetrics m = EvaluateMulticlass(predicted, data.labels, model.num_classes());
  SetPhase("writing the outputs", PhaseKind::kWriting);
  if (outputs.Has("predictions")) {
    std::string text;
    for (const int k : predicted) text += io::LabelText(model.labels[static_cast<std::size_t>(k)]) + "\n";
    outputs.Write("predictions", text);
  }
  if (outputs.Has("summary")) {
    JsonWriter j;
    j.BeginObject().Field("rows", m.rows);
    WriteConfusion(j, m, model.labels);
    j.Field("model", path).Field("data", a.Str("data")).Field("content_hash", HashToHex(ContentHash(data)));
    WriteProvenance(j);
    j.EndObject();
    outputs.Write("summary", j.str() + "\n");
  }
  std::printf("accuracy %.6f (%lld rows)\nconfusion (rows: true label, columns: predicted)\n", m.accuracy,
              static_cast<long long>(m.rows));
  std::printf("label");
  for (const double v : model.labels) std::printf(" %s", io::LabelText(v).c_str());
  std::printf("\n");
  for (std::size_t t = 0; t < m.confusion.size(); ++t) {
    std::printf("%s", io::LabelText(model.labels[t]).c_str());
    for (const std::int64_t c : m.confusion[t]) std::printf(" %lld", static_cast<long long>(c));
    std::printf("\n");
  }
  outputs.ReportFailures("predict");
  return outputs.failed() ? kExitOutputFailed : kExitOk;
}

}  // namespace

int RunPredict(const std::vector<std::string>& argv) {
  po::options_description desc("asyncopt predict: evaluate a model on a LIBSVM file");
  AddGeneral(desc, true);
  po::options_description g("Prediction");
  g.add_options()
      ("model", po::value<std::string>(), "model file: LIBLINEAR's text format (binary, regression, or multiclass from spars-ams's softmax model) or asyncopt-mlp")
      ("data", po::value<std::string>(), "LIBSVM file to predict; for a classifier its labels must be the model's two labels unless --positive-labels says which are +1; for a regression model they are the real targets")
      ("positive-labels", po::value<std::string>(), "classifiers: label values that are +1 (default: the model's positive label; every other label must then be its negative one)")
      ("normalize-rows", po::value<std::string>()->default_value("false")->implicit_value("true"), "the model was trained with --normalize-rows")
      ("predictions", po::value<std::string>(), "write one decision value (regression: predicted value) per row here")
      ("summary", po::value<std::string>(), "write the metrics as JSON here (accuracy, logloss, auc; regression: mse, rmse, mae, r2)");
  desc.add(g);
  if (WantsHelp(argv)) {
    std::cout << desc << "\n";
    return kExitOk;
  }
  Args a(argv, desc);
  a.Require("model");
  a.Require("data");
  const int threads = ThreadsOf(a);
  const bool normalize_rows = a.Bool("normalize-rows");
  std::vector<double> positive;
  if (a.Has("positive-labels")) positive = ParseLabelList(a, "positive-labels");
  Outputs outputs;
  for (const char* key : {"predictions", "summary"}) outputs.Add(a, key);
  for (const char* key : {"model", "data", "config"}) outputs.AddInput(a, key);
  outputs.Check();

  SetPhase("reading the model");
  if (IsMulticlassModelFile(a.Str("model"))) return PredictMulticlass(a, outputs, threads, normalize_rows, positive);
  LinearModel model = LoadModel(a.Str("model"));
  model.normalize_rows = normalize_rows;
  ReadOptions ro;
  ro.threads = threads;
  if (model.regression) {
    if (!positive.empty()) {
      throw UsageError("option '--positive-labels' has no effect here: " +
                       Printable(a.Str("model")) +
                       " is a regression model, the file's labels are its real targets");
    }
    ro.keep_targets = true;
  } else if (!positive.empty()) {
    ro.positive_labels = positive;  // the reader refuses a set that matches no row
  } else {
    // The data's labels must be the model's: anything else (a multiclass
    // file, a model of other classes) would give meaningless metrics.
    const auto pos = LabelValue(model.positive_label);
    const auto neg = LabelValue(model.negative_label);
    if (!pos || !neg) {
      throw UsageError(Printable(a.Str("model")) + ": its labels '" + Printable(model.positive_label) +
                       "' and '" + Printable(model.negative_label) +
                       "' are not numbers: give --positive-labels");
    }
    ro.positive_labels = {*pos};
    ro.expected_labels = {*pos, *neg};
  }
  SetPhase("reading " + Printable(a.Str("data")));
  const Dataset data = ReadLibsvm(a.Str("data"), ro);
  SetPhase("predicting");
  const std::vector<double> margins = Decision(model, data);
  const Quality q = QualityOf(margins, data.labels, model.regression);
  SetPhase("writing the outputs", PhaseKind::kWriting);
  if (outputs.Has("predictions")) {
    std::string text;
    text.reserve(margins.size() * 24);
    char buf[40];
    for (double v : margins) {
      std::snprintf(buf, sizeof buf, "%.17g\n", v);
      text += buf;
    }
    outputs.Write("predictions", text);
  }
  if (outputs.Has("summary")) {
    JsonWriter j;
    j.BeginObject().Field("rows", q.classes.rows);
    WriteQuality(j, q);
    j.Field("model", a.Str("model"))
        .Field("data", a.Str("data"))
        .Field("content_hash", HashToHex(ContentHash(data)));
    WriteProvenance(j);
    j.EndObject();
    outputs.Write("summary", j.str() + "\n");
  }
  if (q.regression) {
    const RegressionMetrics& m = q.targets;
    std::printf("rmse %.6g (%lld rows)\nmae %.6g\nmse %.6g\n", m.rmse,
                static_cast<long long>(m.rows), m.mae, m.mse);
    if (std::isnan(m.r2)) {
      std::printf("r2 n/a (every target is the same)\n");
    } else {
      std::printf("r2 %.6f\n", m.r2);
    }
  } else {
    const PredictionMetrics& m = q.classes;
    std::printf("accuracy %.6f (%lld rows)\nlogloss %.6f\n", m.accuracy,
                static_cast<long long>(m.rows), m.logloss);
    if (std::isnan(m.auc)) {
      std::printf("auc n/a (one class only)\n");
    } else {
      std::printf("auc %.6f\n", m.auc);
    }
  }
  outputs.ReportFailures("predict");
  return outputs.failed() ? kExitOutputFailed : kExitOk;
}

// --------------------------------------------------------------- generate --

int RunGenerate(const std::vector<std::string>& argv) {
  po::options_description desc("asyncopt generate: write seeded synthetic LIBSVM data");
  AddGeneral(desc, true);
  po::options_description g("Generator");
  g.add_options()
      ("kind", po::value<std::string>(), "svm-wangni | logistic-wangni | powerlaw | regression (planted least squares, YearPredictionMSD's shape)")
      ("rows", po::value<std::string>(), "rows N, in [1, 2^40] (default per kind: 51200 | 1024 | 10000 | 463715)")
      ("dim", po::value<std::string>(), "dimension d, in [1, 2147483647] (default per kind: 256 | 2048 | 20000 | 90)")
      ("seed", po::value<std::string>()->default_value("1"), "random seed, in [0, 2^64 - 1]")
      ("out", po::value<std::string>(), "output LIBSVM file")
      ("c1", po::value<std::string>(), "svm-wangni, logistic-wangni: C1 in [0,1] (default 0.01 svm, 0.9 logistic)")
      ("c2", po::value<std::string>(), "svm-wangni, logistic-wangni: C2 in [0,1] (default 0.9 svm, 0.25 logistic)")
      ("noise", po::value<std::string>(), "svm-wangni, logistic-wangni, regression: noise standard deviation (>= 0; default 1 svm, 0 logistic, 1 regression)")
      ("nnz-per-row", po::value<std::string>()->default_value(std::to_string(PowerLawOptions{}.nnz_per_row)), "powerlaw: nonzeros per row, in [1, dim]")
      ("zipf", po::value<std::string>()->default_value("1"), "powerlaw: Zipf exponent of feature popularity, in [0, 10]")
      ("label-noise", po::value<std::string>()->default_value("0.05"), "powerlaw: label flip probability in [0, 0.5]");
  desc.add(g);
  if (WantsHelp(argv)) {
    std::cout << desc << "\n";
    return kExitOk;
  }
  Args a(argv, desc);
  a.Require("kind");
  a.Require("out");
  const int threads = ThreadsOf(a);
  const std::string kind = a.Str("kind");
  const bool wangni = kind == "svm-wangni" || kind == "logistic-wangni";
  const bool regression = kind == "regression";
  if (!wangni && !regression && kind != "powerlaw") {
    a.Invalid("kind", "svm-wangni | logistic-wangni | powerlaw | regression");
  }
  // Options of the other kinds would have no effect: refuse them.
  for (const char* key : {"c1", "c2", "noise"}) {
    const bool used = wangni || (regression && std::string(key) == "noise");
    if (!used && a.Has(key)) {
      throw UsageError("option '--" + std::string(key) + "' has no effect here: --kind " + kind +
                       " does not use it (used by: svm-wangni, logistic-wangni" +
                       (std::string(key) == "noise" ? ", regression)" : ")"));
    }
  }
  for (const char* key : {"nnz-per-row", "zipf", "label-noise"}) {
    if ((wangni || regression) && a.Has(key)) {
      throw UsageError("option '--" + std::string(key) + "' has no effect here: --kind " + kind +
                       " does not use it (used by: powerlaw)");
    }
  }
  auto rows = [&](std::int64_t dflt) {
    return a.Has("rows") ? a.Int("rows", 1, std::int64_t{1} << 40) : dflt;
  };
  auto dim = [&](std::int32_t dflt) {
    return a.Has("dim") ? static_cast<std::int32_t>(a.Int("dim", 1, std::numeric_limits<std::int32_t>::max())) : dflt;
  };
  const RealRange unit{0.0, 1.0, false, false, "a number in [0, 1]"};
  auto real = [&](const char* key, double dflt, const RealRange& range) {
    return a.Has(key) ? a.Real(key, range) : dflt;
  };
  const std::uint64_t seed = a.UInt64("seed");
  Outputs outputs;
  outputs.Add(a, "out");
  outputs.AddInput(a, "config");
  outputs.Check();

  const auto t0 = Clock::now();
  Dataset data;
  // Both Wangni generators take the same options, with kind-specific
  // defaults; their rows are dense (every feature stored).
  auto wangni_options = [&](auto o) {
    o.rows = rows(o.rows);
    o.dim = dim(o.dim);
    o.c1 = real("c1", o.c1, unit);
    o.c2 = real("c2", o.c2, unit);
    o.noise = real("noise", o.noise, {0.0, std::numeric_limits<double>::infinity(), false, true, "a finite number >= 0"});
    o.seed = seed;
    runtime::RequireMemory(12.0 * static_cast<double>(o.rows) * static_cast<double>(o.dim),
                           "generate --kind " + kind + " (" + std::to_string(o.rows) + " dense rows of " +
                               std::to_string(o.dim) + " features)",
                           [] { return std::string("ask for fewer --rows or a smaller --dim"); });
    return o;
  };
  SetPhase("generating the data");
  if (kind == "svm-wangni") {
    data = GenerateWangniSvm(wangni_options(WangniSvmOptions{}));
  } else if (kind == "logistic-wangni") {
    data = GenerateWangniLogistic(wangni_options(WangniLogisticOptions{}));
  } else if (regression) {
    RegressionOptions o;
    o.rows = rows(o.rows);
    o.dim = dim(o.dim);
    o.noise = real("noise", o.noise, {0.0, std::numeric_limits<double>::infinity(), false, true, "a finite number >= 0"});
    o.seed = seed;
    o.threads = threads;
    runtime::RequireMemory(12.0 * static_cast<double>(o.rows) * static_cast<double>(o.dim),
                           "generate --kind regression (" + std::to_string(o.rows) + " dense rows of " +
                               std::to_string(o.dim) + " features)",
                           [] { return std::string("ask for fewer --rows or a smaller --dim"); });
    data = GenerateRegression(o);
  } else {
    PowerLawOptions o;
    o.rows = rows(o.rows);
    o.dim = dim(o.dim);
    o.nnz_per_row = static_cast<std::int32_t>(a.Int("nnz-per-row", 1, o.dim));
    o.zipf_exponent = a.Real("zipf", {0.0, 10.0, false, false, "a number in [0, 10]"});
    o.label_noise = a.Real("label-noise", {0.0, 0.5, false, false, "a number in [0, 0.5]"});
    o.seed = seed;
    o.threads = threads;
    runtime::RequireMemory(12.0 * static_cast<double>(o.rows) * o.nnz_per_row,
                           "generate --kind powerlaw (" + std::to_string(o.rows) + " rows of " +
                               std::to_string(o.nnz_per_row) + " nonzeros)",
                           [] { return std::string("ask for fewer --rows or --nnz-per-row"); });
    data = GeneratePowerLaw(o);
  }
  SetPhase("writing the outputs", PhaseKind::kWriting);
  outputs.WriteWith("out", [&](const std::string& path) { WriteLibsvm(data, path); });
  outputs.ReportFailures("generate");
  if (outputs.failed()) return kExitOutputFailed;
  if (!a.Bool("quiet")) {
    std::fprintf(stderr, "wrote %s: %lld rows, %d features, %lld nonzeros in %.2f s (%s)\n",
                 Printable(a.Str("out")).c_str(), static_cast<long long>(data.num_rows),
                 data.num_cols, static_cast<long long>(data.nnz()), SecondsSince(t0),
                 data.source.c_str());
  }
  return kExitOk;
}

// ------------------------------------------------------------------- info --

namespace {

// info's line about the labels: the two classes and their counts, or the
// real targets' statistics (after --scale-target, when given).
std::string LabelLine(const DatasetStats& s, const LoadedData& d) {
  char line[400];
  if (!s.class_counts.empty()) {
    // At most 30 classes by name; the summary lists them all.
    const std::size_t shown = std::min<std::size_t>(s.class_counts.size(), 30);
    std::string text = "classes         " + std::to_string(s.class_counts.size()) + " (label: rows)";
    for (std::size_t k = 0; k < shown; ++k) {
      text += k % 8 == 0 ? "\n                " : ", ";
      text += io::LabelText(d.data.class_labels[k]) + ": " + std::to_string(s.class_counts[k]);
    }
    if (shown < s.class_counts.size()) text += ", ...";
    return text;
  }
  if (s.targets) {
    std::snprintf(line, sizeof line,
                  "targets         min %.6g, max %.6g, mean %.6g, std %.6g, %lld distinct (real: "
                  "regression, --loss squared)",
                  s.target_min, s.target_max, s.target_mean, s.target_std,
                  static_cast<long long>(s.target_distinct));
    std::string text = line;
    if (d.record.standardized_target) {
      std::snprintf(line, sizeof line,
                    "\n                standardised: y' = (y - %.10g) / %.10g (--scale-target standard)",
                    d.record.target_mean, d.record.target_std);
      text += line;
    }
    return text;
  }
  return "labels          +1 (was " + Printable(d.data.positive_label_text) +
         "): " + std::to_string(s.positives) + ", -1 (was " +
         Printable(d.data.negative_label_text) + "): " + std::to_string(s.negatives);
}

}  // namespace

int RunInfo(const std::vector<std::string>& argv) {
  po::options_description desc("asyncopt info: dataset statistics");
  AddGeneral(desc, true);
  AddData(desc, false, false);
  po::options_description g("Statistics");
  g.add_options()
      ("rho-samples", po::value<std::string>()->default_value("2000"), "rows sampled to estimate Hogwild's rho (>= 1; >= rows: exact)")
      ("classes", po::value<std::string>()->default_value("false")->implicit_value("true"), "read the labels as classes, one per distinct label (multiclass data, as spars-ams's softmax and mlp models do), and count the rows of each")
      ("summary", po::value<std::string>(), "also write the statistics as JSON here");
  desc.add(g);
  if (WantsHelp(argv)) {
    std::cout << desc << "\n";
    return kExitOk;
  }
  Args a(argv, desc);
  const int threads = ThreadsOf(a);
  const std::int64_t rho_samples = a.Int("rho-samples", 1, std::int64_t{1} << 62);
  Outputs outputs;
  outputs.Add(a, "summary");
  for (const char* key : {"data", "config"}) outputs.AddInput(a, key);
  outputs.Check();
  LoadedData d = LoadTraining(a, threads, false, nullptr);
  SetPhase("computing statistics");
  const DatasetStats s = ComputeStats(d.data, rho_samples);
  std::printf(
      "file            %s\n"
      "content hash    %s\n"
      "preprocessing   %s\n"
      "rows            %lld\n"
      "features        %d (%d never used)\n"
      "nonzeros        %lld (density %.6g)\n"
      "%s\n"
      "row nnz         min %d, mean %.2f, max %d (Omega)\n"
      "max |x|         %.6g\n"
      "Hogwild Delta   %.6g (largest fraction of rows sharing one feature)\n"
      "Hogwild rho     %.6g (largest fraction of rows conflicting with one row; %lld rows sampled)\n"
      "feature skew    top 1%% of features hold %.2f%% of nonzeros; Gini %.4f; Zipf exponent %.3f\n",
      Printable(d.path).c_str(), HashToHex(d.raw_hash).c_str(), d.prep.Describe().c_str(),
      static_cast<long long>(s.rows), s.cols, s.empty_columns, static_cast<long long>(s.nnz),
      s.density, LabelLine(s, d).c_str(), s.min_row_nnz,
      s.mean_row_nnz, s.max_row_nnz, s.max_abs_value, s.delta, s.rho,
      static_cast<long long>(s.rho_sample_rows), 100.0 * s.top1pct_share, s.gini, s.zipf_exponent);
  SetPhase("writing the outputs", PhaseKind::kWriting);
  if (outputs.Has("summary")) {
    JsonWriter j;
    j.BeginObject()
        .Field("rows", s.rows)
        .Field("cols", static_cast<std::int64_t>(s.cols))
        .Field("nnz", s.nnz)
        .Field("density", s.density)
        .Field("labels", s.targets ? "targets" : (s.class_counts.empty() ? "classes" : "class_ids"));
    if (s.class_counts.empty()) {
      j.Null("classes").Null("class_counts");
    } else {
      j.BeginArray("classes");
      for (const double v : d.data.class_labels) j.Field({}, io::LabelText(v));
      j.EndArray();
      j.Field("class_counts", s.class_counts);
    }
    if (s.targets) {
      j.Null("positives").Null("negatives");
      j.BeginObject("targets")
          .Field("min", s.target_min)
          .Field("max", s.target_max)
          .Field("mean", s.target_mean)
          .Field("std", s.target_std)
          .Field("distinct", s.target_distinct)
          .EndObject();
    } else if (s.class_counts.empty()) {
      j.Field("positives", s.positives).Field("negatives", s.negatives).Null("targets");
    } else {
      j.Null("positives").Null("negatives").Null("targets");
    }
    j.Field("min_row_nnz", static_cast<std::int64_t>(s.min_row_nnz))
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
    WriteDataset(j, d);
    WriteProvenance(j);
    j.EndObject();
    outputs.Write("summary", j.str() + "\n");
  }
  outputs.ReportFailures("info");
  return outputs.failed() ? kExitOutputFailed : kExitOk;
}

}  // namespace asyncopt::cli
