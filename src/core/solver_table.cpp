// The solver table (see solver_table.hpp), and the reference solver's
// adapter to the run contract (trace, limits, status).
#include "core/solver_table.hpp"

#include <atomic>
#include <cstdio>
#include <optional>
#include <string>

#include "algorithms/decentralized.hpp"
#include "algorithms/dissvrg.hpp"
#include "algorithms/hogwild.hpp"
#include "algorithms/reference.hpp"
#include "algorithms/soda.hpp"
#include "algorithms/spars_ams.hpp"
#include "algorithms/svrg.hpp"
#include "asyncopt/error.hpp"
#include "asyncopt/optimum.hpp"
#include "runtime/tracer.hpp"

namespace asyncopt::core {
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

Result RunSodaEntry(const Dataset& data, const Problem& problem, const Options& options) {
  return algorithms::RunSoda(data, problem, options);
}
Result RunDisSvrgEntry(const Dataset& data, const Problem& problem, const Options& options) {
  return algorithms::RunDisSvrg(data, problem, options);
}
// hogwild's sparsifiers work on sparse rows: the dense scaled sign is
// spars-ams's, and its error feedback is topk's.
void CheckHogwild(const Dataset&, const Problem&, const Options& options) {
  if (options.sparsify.kind == SparsifierKind::kSign) {
    throw Error(ErrorKind::kUnsupported,
                "sparsifier sign (a dense compressor) is spars-ams's; hogwild takes none, uniform, "
                "gspar, gspar-exact, topk or qsgd");
  }
  if (options.sparsify.error_feedback && options.sparsify.kind != SparsifierKind::kTopK) {
    throw Error(ErrorKind::kUnsupported, "hogwild: error feedback works with the topk sparsifier only, not " +
                                             std::string(ToString(options.sparsify.kind)));
  }
}
void CheckReference(const Dataset&, const Problem& problem, const Options&) {
  detail::CheckReferenceProblem(problem);
}
double ReferenceBytes(const Dataset& data, const Options&) {
  return detail::ReferenceMemoryBytes(data) + 3.0 * 8.0 * data.num_cols;  // + Tracer, Result
}

// One entry per solver. To add one, see solver_table.hpp; the entry's
// options (which solvers read which option) are in option_table.cpp.
constexpr SolverSpec kSolvers[] = {
    {SolverKind::kReference, "reference",
     "high-accuracy Newton-CG, proximal Newton with coordinate descent (newGLMNET, Yuan, Ho & "
     "Lin 2012) or dual coordinate descent (Hsieh et al. 2008), run to a certificate; gives f*",
     Team::kNone, RunReference, CheckReference, ReferenceBytes},
    {SolverKind::kHogwild, "hogwild",
     "asynchronous lock-free SGD on a shared model (Niu et al. 2011, Algorithm 1), optional "
     "gradient sparsification (Wangni et al. 2018)",
     Team::kWorkers, algorithms::RunHogwild, CheckHogwild, algorithms::HogwildMemoryBytes},
    {SolverKind::kSvrg, "svrg",
     "asynchronous sparse proximal SVRG (Johnson & Zhang 2013) with ProxASAGA's reweighting "
     "(Pedregosa et al. 2017, Algorithm 1)",
     Team::kWorkers, algorithms::RunSvrg, algorithms::CheckSvrg, algorithms::SvrgMemoryBytes},
    {SolverKind::kSoda, "soda",
     "master/worker proximal gradient with sparsity masks (Grishchenko et al., Sparse "
     "Asynchronous Distributed Learning, Algorithm 1)",
     Team::kMasterWorkers, RunSodaEntry, algorithms::CheckSoda, algorithms::SodaMemoryBytes},
    {SolverKind::kDavePg, "dave-pg",
     "soda with every coordinate in the mask (p = 1): DAve-PG (Mishchenko et al. 2018)",
     Team::kMasterWorkers, RunSodaEntry, algorithms::CheckSoda, algorithms::SodaMemoryBytes},
    {SolverKind::kDisSvrg, "dissvrg",
     "SVRG trainers and a parameter server under stale-synchronous parallelism (Ming et al., "
     "DisSVRG, Algorithms 1-3; accelerated rate Section 5.1, adaptive m Section 5.2)",
     Team::kMasterWorkers, RunDisSvrgEntry, algorithms::CheckDisSvrg, algorithms::DisSvrgMemoryBytes},
    {SolverKind::kPetuumSgd, "petuum-sgd",
     "the same system with plain SGD trainers and a decaying step: PetuumSGD (Ho et al. 2013), "
     "DisSVRG's baseline",
     Team::kMasterWorkers, RunDisSvrgEntry, algorithms::CheckDisSvrg, algorithms::DisSvrgMemoryBytes},
    {SolverKind::kSparsAms, "spars-ams",
     "compressed worker gradients with error feedback and AMSGrad on the server, on synchronous "
     "rounds (SPARS-AMS, paper 003, Algorithm 1); linear, softmax or one-hidden-layer models",
     Team::kMasterWorkers, algorithms::RunSparsAms, algorithms::CheckSparsAms,
     algorithms::SparsAmsMemoryBytes},
    {SolverKind::kDecentralized, "decentralized",
     "peers that wait for a quorum of round-t models, average them and agree approximately in "
     "clusters (MidExtremes), skipping to the most advanced round (Attiya & Schiller, paper 001)",
     Team::kWorkers, algorithms::RunDecentralized, algorithms::CheckDecentralized,
     algorithms::DecentralizedMemoryBytes},
    {SolverKind::kGossip, "gossip",
     "the same peers averaging with one random peer per round and never waiting: decentralized's "
     "baseline",
     Team::kWorkers, algorithms::RunDecentralized, algorithms::CheckDecentralized,
     algorithms::DecentralizedMemoryBytes},
};

}  // namespace

std::span<const SolverSpec> SolverTable() { return kSolvers; }

const SolverSpec& SolverFor(SolverKind kind) {
  for (const SolverSpec& s : kSolvers) {
    if (s.kind == kind) return s;
  }
  throw Error(ErrorKind::kUnsupported,
              "solver = " + std::to_string(static_cast<int>(kind)) + ": not a known solver");
}

const SolverSpec* FindSolver(std::string_view name) {
  for (const SolverSpec& s : kSolvers) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

}  // namespace asyncopt::core
