#include "algorithms/hogwild.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "algorithms/async_common.hpp"
#include "kernels/losses.hpp"
#include "kernels/prox.hpp"
#include "kernels/shared_vector.hpp"
#include "kernels/sparsify.hpp"
#include "runtime/tracer.hpp"

namespace asyncopt::algorithms {
namespace {

using kernels::SharedVector;
using kernels::WorkerCounters;
using kernels::WritePolicy;

constexpr std::int64_t kStopCheckEvery = 256;

// Worker-private state: RNG, sparsifier, scratch buffers, padded counters.
struct Worker {
  Worker(const Dataset& data, const Options& options, int id, std::int32_t max_nnz)
      : rng(data::Rng::ForStream(options.seed, kWorkerStream, static_cast<std::uint64_t>(id))),
        sparsifier(ToKernelConfig(options.sparsify), data.num_cols, max_nnz, options.seed,
                   static_cast<std::uint64_t>(id)),
        seen(static_cast<std::size_t>(max_nnz)),
        grad(static_cast<std::size_t>(max_nnz)),
        kept_index(static_cast<std::size_t>(max_nnz)),
        kept_value(static_cast<std::size_t>(max_nnz)) {}

  static kernels::SparsifierConfig ToKernelConfig(const SparsifyOptions& o) {
    kernels::SparsifierConfig c;
    c.kind = static_cast<kernels::SparsifierKind>(static_cast<int>(o.kind));
    c.rho = o.rho;
    c.gspar_iterations = o.gspar_iterations;
    c.constant_trick = o.constant_trick;
    c.random_table = o.random_table;
    c.error_feedback = o.error_feedback;
    c.qsgd_levels = o.qsgd_levels;
    return c;
  }

  data::Rng rng;
  kernels::Sparsifier sparsifier;
  std::vector<double> seen;  // w_j as read for the margin (conflict detection)
  std::vector<double> grad;
  std::vector<std::int32_t> kept_index;
  std::vector<double> kept_value;
  WorkerCounters counters;
};

// One stochastic update on row i: the body of Hogwild's Algorithm 1.
template <class L, WritePolicy P, bool kSparsify>
inline void Update(const Dataset& data, std::int64_t i, SharedVector& w, double step,
                   const Problem& problem, const std::vector<double>& inv_freq, Worker& wk) {
  const SparseRow row = data.row(i);
  const double y = data.labels[static_cast<std::size_t>(i)];
  kernels::RowLock<P> lock(w, row.index, row.nnz, wk.counters);
  double z = 0.0;
  for (std::int32_t k = 0; k < row.nnz; ++k) {
    const double v = w.Load(static_cast<std::size_t>(row.index[k]));
    wk.seen[static_cast<std::size_t>(k)] = v;
    z += v * row.value[k];
  }
  const double dloss = L::Derivative(y, z);
  const double l2 = problem.l2;
  for (std::int32_t k = 0; k < row.nnz; ++k) {
    const auto j = static_cast<std::size_t>(row.index[k]);
    wk.grad[static_cast<std::size_t>(k)] =
        dloss * row.value[k] + l2 * wk.seen[static_cast<std::size_t>(k)] * inv_freq[j];
  }
  const std::int32_t* out_index = row.index;
  const double* out_value = wk.grad.data();
  std::int32_t kept = row.nnz;
  if constexpr (kSparsify) {
    kept = wk.sparsifier.Apply(row.index, wk.grad.data(), row.nnz, wk.kept_index.data(),
                               wk.kept_value.data(), &wk.counters.bits_sent);
    out_index = wk.kept_index.data();
    out_value = wk.kept_value.data();
  }
  const double l1 = problem.l1;
  for (std::int32_t k = 0; k < kept; ++k) {
    const auto j = static_cast<std::size_t>(out_index[k]);
    const double delta = -step * out_value[k];
    if constexpr (P == WritePolicy::kAtomic) {
      if (l1 > 0.0) {
        const double t = step * l1 * inv_freq[j];
        wk.counters.conflicts +=
            w.AtomicUpdate(j, [&](double old) { return kernels::SoftThreshold(old + delta, t); });
      } else {
        w.Add<P>(j, delta, wk.counters);
      }
    } else {
      const double now = w.Load(j);
      if constexpr (P == WritePolicy::kWild) {
        // Another thread wrote j between our read and this write: a conflict
        // (without kSparsify, k indexes the row and `seen` lines up).
        if (!kSparsify && now != wk.seen[static_cast<std::size_t>(k)]) ++wk.counters.conflicts;
      }
      const double next = now + delta;
      w.Store(j, l1 > 0.0 ? kernels::SoftThreshold(next, step * l1 * inv_freq[j]) : next);
    }
  }
  wk.counters.coords_written += kept;
  ++wk.counters.updates;
}

template <class L, WritePolicy P, bool kSparsify>
Result Run(const Dataset& data, const Problem& problem, const Options& options) {
  const int threads = options.threads;
  const std::int64_t m = data.num_rows;
  const DataGeometry geometry(data);
  const double step0 = options.step > 0.0 ? options.step : HogwildDefaultStep(data, problem);
  std::int32_t max_nnz = 1;
  for (std::int64_t i = 0; i < m; ++i) max_nnz = std::max(max_nnz, data.row(i).nnz);

  SharedVector w(static_cast<std::size_t>(data.num_cols));
  std::vector<Worker> workers;
  workers.reserve(static_cast<std::size_t>(threads));
  for (int t = 0; t < threads; ++t) workers.emplace_back(data, options, t, max_nnz);

  const std::int64_t per_epoch = SegmentsPerEpoch(options.trace_every_epochs, m);
  const auto trace_period = static_cast<std::int64_t>(
      std::max(1.0, std::round(options.trace_every_epochs)));
  RowSchedule schedule(m, threads, per_epoch, options.async.with_replacement, options.seed);

  runtime::Tracer tracer(data, problem, options);
  std::vector<double> snapshot(static_cast<std::size_t>(data.num_cols), 0.0);
  tracer.Begin(snapshot);
  std::atomic<bool> stop{false};
  std::optional<Status> verdict;
  runtime::Counters totals;

  auto collect = [&]() {
    runtime::Counters c;
    for (const Worker& wk : workers) {
      c.updates += wk.counters.updates;
      c.coords_sent += wk.counters.coords_written;
      c.bits_sent += wk.counters.bits_sent;
      c.conflicts += wk.counters.conflicts;
    }
    c.epoch = static_cast<double>(c.updates) / static_cast<double>(m);
    return c;
  };

  auto work = [&](int t, std::int64_t segment) {
    Worker& wk = workers[static_cast<std::size_t>(t)];
    const std::int64_t epoch = schedule.EpochOf(segment);
    const double step = step0 * std::pow(options.async.step_decay, static_cast<double>(epoch));
    std::int64_t begin = 0, end = 0;
    schedule.Slice(segment, t, &begin, &end);
    for (std::int64_t p = begin; p < end; ++p) {
      if ((p - begin) % kStopCheckEvery == 0) {
        if (stop.load(std::memory_order_relaxed)) return;
        if (options.stop != nullptr && options.stop->load(std::memory_order_relaxed)) return;
        if (t == 0 && tracer.Seconds() >= options.max_seconds) {
          stop.store(true, std::memory_order_relaxed);
          return;
        }
      }
      Update<L, P, kSparsify>(data, schedule.Row(p, wk.rng), w, step, problem, geometry.inv_freq,
                              wk);
    }
  };

  auto between = [&](std::int64_t segment) {
    totals = collect();
    const bool epoch_end = (segment + 1) % per_epoch == 0;
    const std::int64_t epochs_done = (segment + 1) / per_epoch;
    const bool trace_now = !epoch_end || epochs_done % trace_period == 0 ||
                           epochs_done >= options.max_epochs;
    if (trace_now || stop.load(std::memory_order_relaxed)) {
      w.Snapshot(snapshot);
      verdict = tracer.Record(snapshot, totals);
      if (verdict) return false;
    }
    if (stop.load(std::memory_order_relaxed)) {
      verdict = Status::kTimeLimit;
      return false;
    }
    if (auto limit = tracer.CheckLimits()) {
      verdict = limit;
      return false;
    }
    if (epoch_end && epochs_done >= options.max_epochs) return false;
    if (epoch_end) schedule.Reshuffle(epochs_done);
    return true;
  };

  SegmentRunner::Run(threads, work, between);
  totals = collect();
  w.Snapshot(snapshot);
  Result result;
  result.message = "hogwild, write " + std::string(ToString(options.async.write)) +
                   ", sparsifier " + std::string(ToString(options.sparsify.kind)) + ", step " +
                   std::to_string(step0);
  tracer.Finish(verdict.value_or(Status::kMaxEpochs), snapshot, totals, &result);
  return result;
}

template <class L>
Result DispatchPolicy(const Dataset& data, const Problem& problem, const Options& options) {
  const bool sparsify = options.sparsify.kind != SparsifierKind::kNone;
  switch (options.async.write) {
    case asyncopt::WritePolicy::kWild:
      return sparsify ? Run<L, WritePolicy::kWild, true>(data, problem, options)
                      : Run<L, WritePolicy::kWild, false>(data, problem, options);
    case asyncopt::WritePolicy::kAtomic:
      return sparsify ? Run<L, WritePolicy::kAtomic, true>(data, problem, options)
                      : Run<L, WritePolicy::kAtomic, false>(data, problem, options);
    case asyncopt::WritePolicy::kLocked:
      return sparsify ? Run<L, WritePolicy::kLocked, true>(data, problem, options)
                      : Run<L, WritePolicy::kLocked, false>(data, problem, options);
  }
  return {};
}

}  // namespace

double HogwildDefaultStep(const Dataset& data, const Problem& problem) {
  const DataGeometry g(data);
  const double max_inv_freq = g.inv_freq.empty() ? 1.0 : *std::max_element(g.inv_freq.begin(), g.inv_freq.end());
  const double denom = g.RowLipschitz(problem.loss) + problem.l2 * max_inv_freq;
  return denom > 0.0 ? 1.0 / denom : 1.0;
}

Result RunHogwild(const Dataset& data, const Problem& problem, const Options& options) {
  return kernels::DispatchLoss(problem.loss, [&](auto loss) {
    return DispatchPolicy<decltype(loss)>(data, problem, options);
  });
}

}  // namespace asyncopt::algorithms
