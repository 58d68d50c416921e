#include "algorithms/svrg.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "algorithms/async_common.hpp"
#include "asyncopt/error.hpp"
#include "kernels/losses.hpp"
#include "kernels/prox.hpp"
#include "kernels/shared_vector.hpp"
#include "kernels/sparse_ops.hpp"
#include "kernels/sparsify.hpp"
#include "problem/gradient.hpp"
#include "runtime/format.hpp"
#include "runtime/tracer.hpp"

namespace asyncopt::algorithms {
namespace {

using kernels::SharedVector;
using kernels::WorkerCounters;
using kernels::WritePolicy;

constexpr std::int64_t kStopCheckEvery = 256;
constexpr int kMaxStepHalvings = 40;

struct SvrgWorker {
  SvrgWorker(std::uint64_t seed, int id, std::int64_t dim)
      : rng(data::Rng::ForStream(seed, kWorkerStream, static_cast<std::uint64_t>(id))),
        dim(dim),
        index_bits(kernels::IndexBits(dim)) {}
  // bits_sent: Section 2.3's coding length of each update's written
  // coordinates, as hogwild counts its dense updates.
  std::int64_t Bits(std::int64_t n) const {
    return kernels::IdentityBits(n, dim, index_bits, kernels::SparsifierConfig{}.value_bits);
  }
  data::Rng rng;
  std::int64_t dim;
  std::int64_t index_bits;
  WorkerCounters counters;
};

// Reference point of one outer iteration.
struct Anchor {
  std::vector<double> derivative;  // a_i = loss'(y_i, x_i . w~)
  std::vector<double> mu;          // (1/m) X^T a
  std::vector<double> scaled_mu;   // D_j mu_j
};

template <class L, WritePolicy P>
inline void Update(const Dataset& data, std::int64_t i, SharedVector& w, double step,
                   const Problem& problem, const std::vector<double>& inv_freq,
                   const Anchor& anchor, SvrgWorker& wk) {
  const SparseRow row = data.row(i);
  const double y = data.labels[static_cast<std::size_t>(i)];
  const auto wr = w.access<P>();
  double z = 0.0;
  auto read = [&](std::int32_t k0, std::int32_t k1) {
    for (std::int32_t k = k0; k < k1; ++k) {
      z += wr.Load(static_cast<std::size_t>(row.index[k])) * row.value[k];
    }
  };
  const double l1 = problem.l1, l2 = problem.l2;
  double coef = 0.0;
  auto write = [&](std::int32_t k0, std::int32_t k1) {
    for (std::int32_t k = k0; k < k1; ++k) {
      const auto j = static_cast<std::size_t>(row.index[k]);
      const double v = coef * row.value[k] + anchor.scaled_mu[j];
      const double t = step * inv_freq[j];
      auto prox = [&](double old) { return kernels::ElasticNetProx(old - step * v, t, l1, l2); };
      if constexpr (P == WritePolicy::kAtomic) {
        wk.counters.conflicts += wr.AtomicUpdate(j, prox);
      } else {
        wr.Store(j, prox(wr.Load(j)));
      }
    }
  };
  // kLocked: each stripe shared while read, exclusive while written.
  if constexpr (P == WritePolicy::kLocked) {
    kernels::ForEachLockedRun<kernels::LockMode::kRead>(w.locks(), row.index, row.nnz,
                                                        wk.counters, read);
  } else {
    read(0, row.nnz);
  }
  coef = L::Derivative(y, z) - anchor.derivative[static_cast<std::size_t>(i)];
  if constexpr (P == WritePolicy::kLocked) {
    kernels::ForEachLockedRun<kernels::LockMode::kWrite>(w.locks(), row.index, row.nnz,
                                                         wk.counters, write);
  } else {
    write(0, row.nnz);
  }
  wk.counters.coords_written += row.nnz;
  wk.counters.bits_sent += wk.Bits(row.nnz);
  ++wk.counters.updates;
}

template <class L, WritePolicy P>
Result Run(const Dataset& data, const Problem& problem, const Options& options) {
  const int threads = options.threads;
  const std::int64_t m = data.num_rows;
  const std::size_t d = static_cast<std::size_t>(data.num_cols);
  const DataGeometry geometry(data);
  const bool prefetch = kernels::WorthPrefetching(data);
  double step = options.step > 0.0 ? options.step : SvrgDefaultStep(data, problem);
  int step_halvings = 0;

  SharedVector w(d, P == WritePolicy::kLocked ? static_cast<std::size_t>(options.async.lock_stripe)
                                              : 0);
  std::vector<SvrgWorker> workers;
  workers.reserve(static_cast<std::size_t>(threads));
  for (int t = 0; t < threads; ++t) workers.emplace_back(options.seed, t, data.num_cols);

  // Segments: the inner loop of one outer iteration, cut into whole
  // "epochs" of m updates (svrg_inner_epochs may be fractional: the last
  // segment is shorter).
  const double inner = options.async.svrg_inner_epochs;
  const auto inner_updates = std::max<std::int64_t>(1, std::llround(inner * static_cast<double>(m)));
  RowSchedule schedule(m, 1, options.async.with_replacement, options.seed);

  // The solver's state, allocated (and its pages touched) before the clock
  // starts, like the shared model and the workers above.
  Anchor anchor;
  anchor.derivative.assign(static_cast<std::size_t>(m), 0.0);
  anchor.mu.assign(d, 0.0);
  anchor.scaled_mu.assign(d, 0.0);
  // Safeguard (the default step uses the MEAN row norm, bolder than theory's
  // max): F at consecutive reference points must not increase. If it does,
  // the step was too long: return to the previous reference point, keep its
  // anchor and halve the step. F(w~) costs nothing extra: the full-gradient
  // pass yields the loss.
  std::vector<double> anchor_w(d, 0.0), candidate_derivative(static_cast<std::size_t>(m), 0.0);
  std::vector<double> candidate_mu(d, 0.0);

  runtime::Tracer tracer(data, problem, options);
  std::vector<double> snapshot(d, 0.0);
  StartFrom(options.initial_w, w, snapshot);
  tracer.Begin(snapshot);
  std::atomic<bool> stop{false};
  std::optional<Status> verdict;
  std::int64_t full_gradient_rows = 0;
  std::int64_t outer = 0;
  std::int64_t epoch_index = 0;  // permutations drawn so far
  std::int64_t position = 0;     // next position in the current permutation

  double anchor_objective = std::numeric_limits<double>::infinity();
  auto refresh_anchor = [&]() {
    w.Snapshot(snapshot);
    full_gradient_rows += m;
    const double loss_mean = internal::LossDerivativesAndGradient(
        data, problem.loss, snapshot, candidate_derivative, candidate_mu, threads);
    const double objective = loss_mean + internal::Regulariser(problem, snapshot);
    const bool worse = !(objective <= anchor_objective + 1e-10 * std::abs(anchor_objective));
    if (worse && std::isfinite(anchor_objective) && step_halvings < kMaxStepHalvings) {
      ++step_halvings;
      step *= 0.5;
      for (std::size_t j = 0; j < d; ++j) w.Store(j, anchor_w[j]);
      return;
    }
    anchor_objective = objective;
    anchor_w = snapshot;
    anchor.derivative.swap(candidate_derivative);
    anchor.mu.swap(candidate_mu);
    for (std::size_t j = 0; j < d; ++j) anchor.scaled_mu[j] = geometry.inv_freq[j] * anchor.mu[j];
  };

  auto collect = [&]() {
    runtime::Counters c;
    for (const SvrgWorker& wk : workers) {
      c.updates += wk.counters.updates;
      c.coords_sent += wk.counters.coords_written;
      c.bits_sent += wk.counters.bits_sent;
      c.conflicts += wk.counters.conflicts;
    }
    c.updates += full_gradient_rows;  // every row of a full-gradient pass counts
    c.epoch = static_cast<double>(c.updates) / static_cast<double>(m);
    return c;
  };

  // Positions of this outer iteration's inner loop, claimed by the workers in
  // chunks; the permutation is consumed in order across outer iterations.
  std::int64_t segment_begin = 0, segment_len = 0;
  ChunkClaims claims(threads, 1);
  runtime::Team team(TeamConfig(options, threads));
  auto work = [&](runtime::Member& member, std::int64_t /*segment*/) {
    SvrgWorker& wk = workers[static_cast<std::size_t>(member.index())];
    const std::int64_t first = segment_begin, last = segment_begin + segment_len;
    for (auto chunk = claims.Claim(first, last); !chunk.empty();
         chunk = claims.Claim(first, last)) {
      const std::int64_t a = chunk.begin, b = chunk.end;
      const auto t0 = member.timed() ? runtime::SteadyClock::now() : runtime::SteadyClock::time_point{};
      for (std::int64_t q = a; q < b; ++q) {
        if ((q - a) % kStopCheckEvery == 0) {
          if (stop.load(std::memory_order_relaxed) || member.stop_requested()) return;
          if (options.stop != nullptr && options.stop->load(std::memory_order_relaxed)) return;
        }
        const std::int64_t i = schedule.Row(q, wk.rng);
        if (prefetch) schedule.PrefetchAhead(data, q, b);
        Update<L, P>(data, i, w, step, problem, geometry.inv_freq, anchor, wk);
      }
      if (!member.AfterWork(b - a, member.timed() ? runtime::SteadyClock::now() - t0
                                                  : runtime::SteadyClock::duration::zero())) {
        return;  // crashed: leaves the team, the others finish the segment
      }
    }
  };

  // While the workers run: the time limit, and a stop of the team (a
  // worker's error, a silent worker) ends the segment early.
  auto poll = [&] {
    if (tracer.Seconds() >= options.max_seconds || team.stop_requested()) {
      stop.store(true, std::memory_order_relaxed);
    }
  };

  // Plans the next inner loop: it must not cross a permutation boundary, so
  // a loop longer than what is left of the permutation is split at it.
  std::int64_t remaining_inner = 0;
  auto plan = [&]() {
    if (remaining_inner == 0) {
      refresh_anchor();
      remaining_inner = inner_updates;
    }
    if (position == m) {
      ++epoch_index;
      schedule.Reshuffle(epoch_index);
      position = 0;
    }
    segment_begin = position;
    segment_len = std::min(remaining_inner, m - position);
    position += segment_len;
    remaining_inner -= segment_len;
  };

  auto between = [&](std::int64_t /*segment*/) {
    claims.Reset();  // every worker waits at the barrier
    const runtime::Counters c = collect();
    const bool time_stopped = stop.load(std::memory_order_relaxed);
    const bool outer_done = remaining_inner == 0;
    if (outer_done || time_stopped) {
      ++outer;
      w.Snapshot(snapshot);
    }
    verdict = TeamVerdict(team);
    if (verdict) {
      w.Snapshot(snapshot);
      tracer.Record(snapshot, c);
      return false;
    }
    verdict = tracer.EndSegment(outer_done, time_stopped, snapshot, c);
    if (verdict) return false;
    if (c.epoch >= static_cast<double>(options.max_epochs)) return false;
    plan();
    return true;
  };

  plan();
  runtime::RunSegments(team, work, between, poll,
                       [&tracer](runtime::SteadyClock::duration d) { tracer.clock().Discount(d); });
  w.Snapshot(snapshot);
  Result result;
  result.message = "svrg, " + WriteLabel(options.async.write, options.threads) + ", step " +
                   runtime::ShortNumber(step) + " (halved " + std::to_string(step_halvings) +
                   " times), " + std::to_string(outer) + " outer iterations" + PinNote(team) +
                   team.Report();
  tracer.Finish(verdict.value_or(Status::kMaxEpochs), snapshot, collect(), &result);
  return result;
}

template <class L>
Result DispatchPolicy(const Dataset& data, const Problem& problem, const Options& options) {
  return DispatchWritePolicy(options.async.write, options.threads, [&](auto policy) {
    return Run<L, decltype(policy)::value>(data, problem, options);
  });
}

}  // namespace

double SvrgDefaultStep(const Dataset& data, const Problem& problem) {
  const DataGeometry g(data);
  const double lipschitz = CurvatureBound(problem.loss) * g.mean_row_sq_norm;
  return lipschitz > 0.0 ? 1.0 / (3.0 * lipschitz) : 1.0;
}

double SvrgMemoryBytes(const Dataset& data, const Options& options) {
  (void)options;
  const double d = data.num_cols, m = static_cast<double>(data.num_rows);
  // w, snapshot, last finite iterate, Result::w; feature statistics (twice
  // while the default step is computed); the anchor and its candidate
  // (mu, scaled mu, anchor w, candidate mu; a derivative per row, twice);
  // the row order; the full gradient's block partials (at most 2^24 doubles).
  return 4.0 * 8.0 * d + 2.0 * 16.0 * d + 4.0 * 8.0 * d + 2.0 * 8.0 * m + 8.0 * m +
         8.0 * std::min(16.0 * d, 16777216.0);
}

void CheckSvrg(const Dataset& /*data*/, const Problem& problem, const Options& /*options*/) {
  if (problem.loss == Loss::kHinge) {
    throw Error(ErrorKind::kUnsupported,
                "solver svrg needs a smooth loss (logistic, squared-hinge, squared); "
                "use hogwild or reference for hinge");
  }
}

Result RunSvrg(const Dataset& data, const Problem& problem, const Options& options) {
  CheckSvrg(data, problem, options);
  return kernels::DispatchLoss(problem.loss, [&](auto loss) {
    return DispatchPolicy<decltype(loss)>(data, problem, options);
  });
}

}  // namespace asyncopt::algorithms
