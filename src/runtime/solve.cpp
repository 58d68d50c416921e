// Solve(): validates options once, dispatches to the chosen algorithm.
#include <atomic>
#include <cmath>
#include <cstdio>
#include <optional>
#include <sstream>

#include "algorithms/hogwild.hpp"
#include "algorithms/reference.hpp"
#include "algorithms/soda.hpp"
#include "algorithms/svrg.hpp"
#include "asyncopt/error.hpp"
#include "asyncopt/optimum.hpp"
#include "asyncopt/solver.hpp"
#include "runtime/memory.hpp"
#include "runtime/team.hpp"
#include "runtime/tracer.hpp"

namespace asyncopt {
namespace {

std::string FormatValue(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

// The reference solver behind the run contract: one trace point per outer
// iteration; an "epoch" is one outer (Newton / dual) iteration.
Result RunReference(const Dataset& data, const Problem& problem, const Options& options) {
  runtime::Tracer tracer(data, problem, options);
  std::vector<double> w0 = options.initial_w;
  w0.resize(static_cast<std::size_t>(data.num_cols), 0.0);
  tracer.Begin(w0);

  std::atomic<bool> stop_now{false};
  std::optional<Status> verdict;
  runtime::Counters counters;
  ReferenceOptions ref;
  ref.threads = options.threads;
  ref.max_iterations = options.max_epochs;
  ref.stop = &stop_now;
  ref.initial_w = options.initial_w;
  // A stop request or the time limit ends an iteration early, not only the
  // run between iterations (the solver clock stops while F is evaluated).
  ref.should_stop = [&] {
    if (verdict) return true;
    if (auto limit = tracer.CheckLimits()) {
      verdict = limit;
      return true;
    }
    return false;
  };
  ref.on_iteration = [&](int iteration, const std::vector<double>& w, double /*objective*/,
                         std::int64_t gradient_rows) {
    counters.epoch = iteration;
    counters.updates = gradient_rows;
    if (verdict) return;
    verdict = tracer.Record(w, counters);
    if (verdict) stop_now.store(true, std::memory_order_relaxed);
  };
  // Ctrl-C arriving mid-iteration is seen at the next iteration boundary.
  if (options.stop != nullptr && options.stop->load(std::memory_order_relaxed)) {
    verdict = Status::kInterrupted;
    stop_now.store(true);
  }
  ReferenceResult r = SolveReference(data, problem, ref);
  counters.updates = r.gradient_rows;
  counters.epoch = r.iterations;
  Status status;
  if (r.no_minimiser) {
    // No point to converge to: the run ends on its own terms (the verdict or
    // max_epochs), and the message says why.
    status = verdict.value_or(Status::kMaxEpochs);
  } else if (verdict) {
    status = *verdict;
  } else if (r.converged) {
    status = Status::kConverged;
  } else {
    status = Status::kMaxEpochs;
  }
  Result result;
  result.message = "reference (" + r.method + "), certificate " + FormatValue(r.certificate);
  if (r.no_minimiser) {
    result.message = "reference (" + r.method +
                     "): no minimiser: the data are linearly separable and l1 = l2 = 0, so "
                     "the logistic loss only approaches 0 as ||w|| grows; add l2 > 0";
  }
  tracer.Finish(status, r.w, counters, &result);
  return result;
}

// The solvers: one entry each (run, what it refuses, the memory it takes).
struct SolverEntry {
  SolverKind kind;
  Result (*run)(const Dataset&, const Problem&, const Options&);
  void (*check)(const Dataset&, const Problem&, const Options&);
  double (*memory)(const Dataset&, const Options&);  // bytes beyond the data
};

Result RunSodaEntry(const Dataset& data, const Problem& problem, const Options& options) {
  return algorithms::RunSoda(data, problem, options);
}
void CheckNothing(const Dataset&, const Problem&, const Options&) {}
void CheckReference(const Dataset&, const Problem& problem, const Options&) {
  detail::CheckReferenceProblem(problem);
}
double ReferenceBytes(const Dataset& data, const Options&) {
  return detail::ReferenceMemoryBytes(data) + 3.0 * 8.0 * data.num_cols;  // + Tracer, Result
}

constexpr SolverEntry kSolvers[] = {
    {SolverKind::kReference, RunReference, CheckReference, ReferenceBytes},
    {SolverKind::kHogwild, algorithms::RunHogwild, CheckNothing, algorithms::HogwildMemoryBytes},
    {SolverKind::kSvrg, algorithms::RunSvrg, algorithms::CheckSvrg, algorithms::SvrgMemoryBytes},
    {SolverKind::kSoda, RunSodaEntry, algorithms::CheckSoda, algorithms::SodaMemoryBytes},
    {SolverKind::kDavePg, RunSodaEntry, algorithms::CheckSoda, algorithms::SodaMemoryBytes},
};

const SolverEntry& EntryFor(SolverKind kind) {
  for (const SolverEntry& e : kSolvers) {
    if (e.kind == kind) return e;
  }
  throw Error(ErrorKind::kUnsupported, "Solve: unknown solver");
}

// A warm start that already meets the target ends the run before any work
// (every solver would otherwise take at least one stochastic step or full
// pass away from it): one trace point, status target_reached, epoch 0.
std::optional<Result> StartsAtTheTarget(const Dataset& data, const Problem& problem,
                                        const Options& options) {
  if (options.initial_w.empty() || !(options.target_subopt > 0.0) || std::isnan(options.f_star)) {
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

bool Options::IsValid(std::string* error) const {
  auto fail = [error](const std::string& message) {
    if (error != nullptr) *error = message;
    return false;
  };
  if (threads < 0 || threads > kMaxThreads) {
    return fail("threads = " + std::to_string(threads) + ": must be in [0, " +
                std::to_string(kMaxThreads) + "] (0: what the enclosing oneTBB arena allows)");
  }
  if (!(peer_timeout > 0.0)) {
    return fail("peer_timeout = " + FormatValue(peer_timeout) + ": must be > 0 seconds");
  }
  for (std::size_t i = 0; i < faults.size(); ++i) {
    const Fault& f = faults[i];
    const std::string at = "faults[" + std::to_string(i) + "] (" + ToString(f) + "): ";
    if (f.member < 0 || f.member > kMaxThreads) {
      return fail(at + "member must be in [0, " + std::to_string(kMaxThreads) + "]");
    }
    if (f.kind == Fault::Kind::kSlow && !(f.factor >= 1.0 && f.factor <= kMaxFaultFactor)) {
      return fail(at + "factor must be in [1, 1e9]");
    }
    if (f.kind == Fault::Kind::kStall && !(f.seconds >= 0.0 && f.seconds <= kMaxStallSeconds)) {
      return fail(at + "seconds must be in [0, 86400]");
    }
    if (f.kind != Fault::Kind::kSlow && f.at_step < 0) return fail(at + "step must be >= 0");
    for (std::size_t k = 0; k < i; ++k) {
      if (faults[k].member == f.member && faults[k].kind == f.kind) {
        return fail(at + "a second " + std::string(ToString(f.kind)) + " fault for member " +
                    std::to_string(f.member) + " (the first: faults[" + std::to_string(k) + "])");
      }
    }
  }
  if (!(step >= 0.0) || !std::isfinite(step)) {
    return fail("step = " + FormatValue(step) + ": must be > 0 (or 0 for the solver's default)");
  }
  if (max_epochs < 1) {
    return fail("max_epochs = " + std::to_string(max_epochs) + ": must be >= 1");
  }
  if (!(max_seconds > 0.0)) {
    return fail("max_seconds = " + FormatValue(max_seconds) + ": must be > 0");
  }
  if (!(target_subopt >= 0.0) || !std::isfinite(target_subopt)) {
    return fail("target_subopt = " + FormatValue(target_subopt) + ": must be >= 0 and finite");
  }
  if (!(trace_every_epochs > 0.0) || !std::isfinite(trace_every_epochs)) {
    return fail("trace_every_epochs = " + FormatValue(trace_every_epochs) + ": must be > 0");
  }
  if (async.batch_size < 1 || async.batch_size > kMaxBatchSize) {
    return fail("batch_size = " + std::to_string(async.batch_size) + ": must be in [1, " +
                std::to_string(kMaxBatchSize) + "]");
  }
  if (async.lock_stripe < 1 || (async.lock_stripe & (async.lock_stripe - 1)) != 0 ||
      async.lock_stripe > kMaxLockStripe) {
    return fail("lock_stripe = " + std::to_string(async.lock_stripe) +
                ": must be a power of two in [1, " + std::to_string(kMaxLockStripe) + "]");
  }
  if (!(async.step_decay > 0.0 && async.step_decay <= 1.0)) {
    return fail("step_decay = " + FormatValue(async.step_decay) + ": must be in (0, 1]");
  }
  if (async.conflict_sample < 1 || async.conflict_sample > kMaxConflictSample) {
    return fail("conflict_sample = " + std::to_string(async.conflict_sample) + ": must be in [1, " +
                std::to_string(kMaxConflictSample) + "]");
  }
  if (!(async.svrg_inner_epochs > 0.0) || !std::isfinite(async.svrg_inner_epochs)) {
    return fail("svrg_inner_epochs = " + FormatValue(async.svrg_inner_epochs) + ": must be > 0");
  }
  if (!(sparsify.rho > 0.0 && sparsify.rho <= 1.0)) {
    return fail("rho = " + FormatValue(sparsify.rho) + ": must be in (0, 1]");
  }
  if (sparsify.gspar_iterations < 1) {
    return fail("gspar_iterations = " + std::to_string(sparsify.gspar_iterations) +
                ": must be >= 1");
  }
  if (sparsify.qsgd_levels < 1) {
    return fail("qsgd_levels = " + std::to_string(sparsify.qsgd_levels) + ": must be >= 1");
  }
  const DistributedOptions& dist = distributed;
  if (!(dist.mask_p > 0.0 && dist.mask_p <= 1.0)) {
    return fail("mask_p = " + FormatValue(dist.mask_p) + ": must be in (0, 1]");
  }
  if (dist.local_steps < 1) {
    return fail("local_steps = " + std::to_string(dist.local_steps) + ": must be >= 1");
  }
  if (!(dist.shard_skew >= 0.0) || !std::isfinite(dist.shard_skew)) {
    return fail("shard_skew = " + FormatValue(dist.shard_skew) + ": must be >= 0 and finite");
  }
  if (dist.max_restarts < 0) {
    return fail("max_restarts = " + std::to_string(dist.max_restarts) + ": must be >= 0");
  }
  for (std::size_t j = 0; j < reference_w.size(); ++j) {
    if (!std::isfinite(reference_w[j])) {
      return fail("reference_w[" + std::to_string(j) + "] is not finite");
    }
  }
  for (std::size_t j = 0; j < initial_w.size(); ++j) {
    if (!std::isfinite(initial_w[j])) {
      return fail("initial_w[" + std::to_string(j) + "] = " + FormatValue(initial_w[j]) +
                  ": must be finite");
    }
  }
  return true;
}

std::string Result::BriefReport() const {
  std::ostringstream out;
  out << "status " << ToString(status) << ", objective " << FormatValue(objective);
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
  if (data.num_rows <= 0) throw Error(ErrorKind::kInvalidInput, "Solve: the dataset has no rows");
  if (data.num_cols <= 0) {
    throw Error(ErrorKind::kInvalidInput,
                "Solve: the data has no features (every row is empty): there is nothing to fit; "
                "a constant feature (Preprocessing::bias > 0, --bias) fits an intercept");
  }
  const auto d = static_cast<std::size_t>(data.num_cols);
  if (!options.initial_w.empty() && options.initial_w.size() != d) {
    throw Error(ErrorKind::kInvalidOption,
                "initial_w has " + std::to_string(options.initial_w.size()) +
                    " entries, the data has " + std::to_string(d) + " features");
  }
  if (!options.reference_w.empty() && options.reference_w.size() != d) {
    throw Error(ErrorKind::kInvalidOption,
                "reference_w has " + std::to_string(options.reference_w.size()) +
                    " entries, the data has " + std::to_string(d) + " features");
  }
  const SolverEntry& solver = EntryFor(options.solver);
  // Faults name members that exist: soda and dave-pg have the master (0)
  // and M workers (1..M); hogwild and svrg workers 0..threads-1; the
  // reference solver has no team.
  for (const Fault& f : options.faults) {
    const bool master_worker = options.solver == SolverKind::kSoda || options.solver == SolverKind::kDavePg;
    const int last = master_worker ? options.threads : options.threads - 1;
    if (options.solver == SolverKind::kReference) {
      throw Error(ErrorKind::kInvalidOption, "fault " + ToString(f) + ": solver reference runs no threads to fault");
    }
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
  return EntryFor(options.solver).run(data, problem, options);
}

}  // namespace asyncopt
