// Solve(): validates options once (Options::IsValid, from the option
// table), dispatches through the solver table (src/core/).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <sstream>

#include "asyncopt/error.hpp"
#include "asyncopt/optimum.hpp"
#include "asyncopt/solver.hpp"
#include "core/solver_table.hpp"
#include "runtime/memory.hpp"
#include "runtime/team.hpp"
#include "runtime/tracer.hpp"

namespace asyncopt {
namespace {

// Result::advice: a run that ended on its epoch or time limit whose best
// suboptimality fell less than 2x over the second half of its epochs (at
// least two trace points on each side) is stalled, unless it is already at
// 1e-8: it says so, and what would help.
constexpr double kStallGain = 2.0;
constexpr double kNothingLeft = 1e-8;

void AdviseOnStall(const Options& options, Result* r) {
  if (r->status != Status::kMaxEpochs && r->status != Status::kTimeLimit) return;
  if (r->trace.empty()) return;
  const double end = r->trace.back().epoch;
  if (!(end >= 4.0)) return;
  double early = INFINITY, late = INFINITY;
  int n_early = 0, n_late = 0;
  for (const TracePoint& p : r->trace) {
    if (!(p.epoch > 0.0) || !std::isfinite(p.suboptimality)) continue;
    if (p.epoch <= 0.5 * end) {
      early = std::min(early, p.suboptimality);
      ++n_early;
    } else {
      late = std::min(late, p.suboptimality);
      ++n_late;
    }
  }
  if (n_early < 2 || n_late < 2 || !(late > kNothingLeft) || late * kStallGain < early) return;
  char seen[200];
  std::snprintf(seen, sizeof seen,
                "stopped improving: best suboptimality %.3g by epoch %.6g, %.3g after it", early,
                0.5 * end, late);
  std::string help;
  if (options.solver == SolverKind::kHogwild) {
    help = options.async.step_decay == 1.0
               ? "a constant step stops at a noise floor: --step-decay 0 (the step falls 1000x "
                 "over --max-epochs) or below 1 keeps it converging; --solver svrg reaches an "
                 "exact optimum"
               : "the step decayed too slowly or too fast for this run: try another "
                 "--step-decay or --step; --solver svrg reaches an exact optimum";
  } else if (options.solver == SolverKind::kSvrg) {
    help = "more epochs will not help much: try a smaller --step, or --solver reference for an "
           "exact optimum";
  } else {
    help = "more epochs will not help much: try a smaller --step, or --solver svrg (smooth "
           "losses) or reference for an exact optimum";
  }
  r->advice = std::string(seen) + "; " + help;
  r->message += "; " + r->advice;
}

std::string FormatValue(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

// A warm start that already meets the target ends the run before any work
// (every solver would otherwise take at least one stochastic step or full
// pass away from it): one trace point, status target_reached, epoch 0.
std::optional<Result> StartsAtTheTarget(const Dataset& data, const Problem& problem,
                                        const Options& options) {
  if (options.initial_w.empty() || !(options.target_subopt > 0.0) || std::isnan(options.f_star) ||
      options.model_kind != ModelKind::kLinear) {
    return std::nullopt;
  }
  const double start = Objective(data, problem, options.initial_w, options.threads);
  if (!(runtime::Suboptimality(start, options.f_star) <= options.target_subopt)) return std::nullopt;
  runtime::Tracer tracer(data, problem, options);
  tracer.Begin(options.initial_w);
  Result result;
  result.message = std::string(ToString(options.solver)) + ": the warm start meets the target";
  tracer.Finish(Status::kTargetReached, options.initial_w, runtime::Counters{}, &result);
  return result;
}

}  // namespace

std::string Result::BriefReport() const {
  std::ostringstream out;
  // NaN: not known (a worker's shard was lost before the objective could
  // be evaluated).
  out << "status " << ToString(status) << ", objective "
      << (std::isnan(objective) ? std::string("unknown") : FormatValue(objective));
  if (!std::isnan(f_star)) out << ", suboptimality " << FormatValue(suboptimality);
  out << ", epochs " << epochs << ", " << seconds << " s, " << updates << " updates, nnz(w) "
      << nnz_w;
  if (!message.empty()) out << " [" << message << "]";
  return out.str();
}

void CheckSolve(const Dataset& data, const Problem& problem, const Options& given) {
  Options resolved;
  if (given.threads == 0) {
    resolved = given;
    resolved.threads = runtime::ResolveThreads(0);
  }
  const Options& options = given.threads == 0 ? resolved : given;
  problem.Validate();
  std::string error;
  if (!options.IsValid(&error)) throw Error(ErrorKind::kInvalidOption, error);
  ValidateDataset(data);
  // The linear problem meets the labels here; the solvers that train any
  // model (src/models/) check them against their model.
  const bool any_model = options.solver == SolverKind::kSparsAms || options.solver == SolverKind::kDecentralized ||
                         options.solver == SolverKind::kGossip;
  if (options.model_kind != ModelKind::kLinear && !any_model) {
    throw Error(ErrorKind::kInvalidOption,
                "model_kind = " + std::string(ToString(options.model_kind)) + ": solver " +
                    std::string(ToString(options.solver)) +
                    " trains the linear model; the softmax and mlp models are trained by spars-ams, "
                    "decentralized and gossip");
  }
  if (!any_model) CheckLabelKind(data, problem);
  if (data.num_rows <= 0) throw Error(ErrorKind::kInvalidInput, "Solve: the dataset has no rows");
  if (data.num_cols <= 0) {
    throw Error(ErrorKind::kInvalidInput,
                "Solve: the data has no features (every row is empty): there is nothing to fit; "
                "a constant feature (Preprocessing::bias > 0, --bias) fits an intercept");
  }
  const auto d = static_cast<std::size_t>(data.num_cols);
  // The any-model solvers check initial_w against their model's parameter count.
  if (!any_model && !options.initial_w.empty() && options.initial_w.size() != d) {
    throw Error(ErrorKind::kInvalidOption,
                "initial_w has " + std::to_string(options.initial_w.size()) +
                    " entries, the data has " + std::to_string(d) + " features");
  }
  if (!options.reference_w.empty() && options.reference_w.size() != d) {
    throw Error(ErrorKind::kInvalidOption,
                "reference_w has " + std::to_string(options.reference_w.size()) +
                    " entries, the data has " + std::to_string(d) + " features");
  }
  const core::SolverSpec& solver = core::SolverFor(options.solver);
  // Faults name members that exist (Fault::member; core::Team).
  for (const Fault& f : options.faults) {
    if (solver.team == core::Team::kNone) {
      throw Error(ErrorKind::kInvalidOption,
                  "fault " + ToString(f) + ": solver " + std::string(solver.name) +
                      " runs no threads to fault");
    }
    if ((f.kind == Fault::Kind::kRestart || f.kind == Fault::Kind::kCrashSending) &&
        options.solver != SolverKind::kDecentralized && options.solver != SolverKind::kGossip) {
      throw Error(ErrorKind::kInvalidOption, "fault " + ToString(f) + ": " + std::string(ToString(f.kind)) +
                                                 " faults are the decentralized and gossip solvers'; solver " +
                                                 std::string(solver.name) + " takes slow, stall and crash");
    }
    const bool master_worker = solver.team == core::Team::kMasterWorkers;
    const int last = master_worker ? options.threads : options.threads - 1;
    if (f.member > last) {
      throw Error(ErrorKind::kInvalidOption,
                  "fault " + ToString(f) + ": member " + std::to_string(f.member) +
                      " does not exist; this run's members are 0.." + std::to_string(last) +
                      (master_worker ? " (0 = the master, 1.." + std::to_string(last) + " the workers)"
                                     : " (its worker threads)"));
    }
  }
  solver.check(data, problem, options);
  // The memory the run takes: the solver's own estimate plus initial_w.
  const double bytes = solver.memory(data, options) + 8.0 * static_cast<double>(options.initial_w.size());
  const std::string what = "solver " + std::string(ToString(options.solver)) + " on " +
                           std::to_string(data.num_rows) + " rows x " +
                           std::to_string(data.num_cols) + " features with " +
                           std::to_string(options.threads) +
                           (options.threads == 1 ? " thread" : " threads");
  runtime::RequireMemory(bytes, what, runtime::WidthAdviceFor(data));
}

Result Solve(const Dataset& data, const Problem& problem, const Options& given) {
  // threads = 0: what the enclosing oneTBB arena allows, decided once here.
  const Options* chosen = &given;
  Options resolved;
  if (given.threads == 0) {
    resolved = given;
    resolved.threads = runtime::ResolveThreads(0);
    chosen = &resolved;
  }
  const Options& options = *chosen;
  CheckSolve(data, problem, options);
  if (auto done = StartsAtTheTarget(data, problem, options)) return std::move(*done);
  Result result = core::SolverFor(options.solver).run(data, problem, options);
  AdviseOnStall(options, &result);
  return result;
}

}  // namespace asyncopt
