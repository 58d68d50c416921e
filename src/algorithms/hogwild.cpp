#include "algorithms/hogwild.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "algorithms/async_common.hpp"
#include "asyncopt/error.hpp"
#include "kernels/cache_line.hpp"
#include "kernels/losses.hpp"
#include "kernels/prox.hpp"
#include "kernels/shared_vector.hpp"
#include "kernels/sparse_ops.hpp"
#include "kernels/sparsify.hpp"
#include "runtime/format.hpp"
#include "runtime/tracer.hpp"

namespace asyncopt::algorithms {
namespace {

using kernels::SharedVector;
using kernels::WorkerCounters;
using kernels::SparsifierConfig;
using kernels::WritePolicy;

constexpr std::int64_t kStopCheckEvery = 256;
constexpr int kMaxBatchOnStack = kMaxBatchSize;  // largest mini-batch (Options::IsValid)

// Worker-private state: RNG, sparsifier, scratch buffers, padded counters.
struct Worker {
  // `capacity`: the longest message (max row nnz, or for mini-batches the
  // largest possible union of supports, at most d).
  Worker(const Dataset& data, const Options& options, int id, std::int32_t capacity)
      : rng(data::Rng::ForStream(options.seed, kWorkerStream, static_cast<std::uint64_t>(id))),
        sparsifier(ToKernelConfig(options.sparsify), data.num_cols, capacity, options.seed,
                   static_cast<std::uint64_t>(id)),
        seen(static_cast<std::size_t>(capacity)),
        grad(static_cast<std::size_t>(capacity)),
        kept_index(static_cast<std::size_t>(capacity)),
        kept_value(static_cast<std::size_t>(capacity)),
        dim(data.num_cols),
        index_bits(kernels::IndexBits(data.num_cols)),
        sampler(options.async.conflict_sample) {
    if (options.async.batch_size > 1) {
      accumulator.assign(static_cast<std::size_t>(data.num_cols), 0.0);
      in_batch.assign(static_cast<std::size_t>(data.num_cols), 0);
      touched.reserve(static_cast<std::size_t>(capacity));
    }
  }

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
  // Written for every row: on cache lines of their own (kernels/cache_line.hpp).
  kernels::LineVector<double> seen;  // w_j as read for the margin (conflict detection)
  kernels::LineVector<double> grad;
  kernels::LineVector<std::int32_t> kept_index;
  kernels::LineVector<double> kept_value;
  std::vector<double> accumulator;     // mini-batch gradient, dense, zero between batches
  std::vector<std::int32_t> touched;   // its support
  std::vector<std::uint8_t> in_batch;  // 1 for coordinates in `touched`
  std::int64_t dim;
  std::int64_t index_bits;
  // Coding length of an unsparsified message of n coordinates (Section 2.3's
  // baseline: (index, float) pairs or a dense float vector, the smaller).
  std::int64_t DenseBits(std::int64_t n) const {
    return kernels::IdentityBits(n, dim, index_bits, SparsifierConfig{}.value_bits);
  }
  kernels::ConflictSampler sampler;  // kWild: which updates look for conflicts
  WorkerCounters counters;
};

template <WritePolicy P>
inline void Write(SharedVector& w, const std::int32_t* index, const double* q, std::int32_t n,
                  double step, double l1, const std::vector<double>& inv_freq,
                  const std::int32_t* read_index, std::int32_t read_n, Worker& wk);

// x_i . w, keeping each value read in seen[k]. Under kLocked each stripe
// is held shared while its coordinates are read (the paper's locked read).
template <WritePolicy P>
ASYNCOPT_HOT_INLINE double ReadMargin(SharedVector& w, const SparseRow& row, double* seen,
                                      WorkerCounters& counters) {
  const auto wr = w.access<P>();
  if constexpr (P == WritePolicy::kLocked) {
    kernels::ForEachLockedRun<kernels::LockMode::kRead>(
        w.locks(), row.index, row.nnz, counters, [&](std::int32_t k0, std::int32_t k1) {
          for (std::int32_t k = k0; k < k1; ++k) {
            seen[k] = wr.Load(static_cast<std::size_t>(row.index[k]));
          }
        });
    // Summed as the other policies sum (the same bits on the same values).
    return kernels::Dot4At(row, [seen](std::int32_t k) { return seen[k]; });
  } else {
    return kernels::Dot4Read(
        row, [wr](std::int32_t j) { return wr.Load(static_cast<std::size_t>(j)); },
        [seen](std::int32_t k, double v) { seen[k] = v; });
  }
}

// The l2 factor r_j = DataGeometry::L2Shrink(inv_freq, j, step l2) of the
// update w_j <- w_j r_j - (step loss') x_ij (no l1, no sparsifier), as
// shrink(k, j) for the row's k-th nonzero, feature j: 1 without l2; read
// from a table per feature or per nonzero computed once when the step is
// constant (the default); or computed where it is used (when the step
// decays each epoch, and in the shared policies' writes). The same values
// either way.
struct UnitShrink {
  double operator()(std::int32_t, std::size_t) const { return 1.0; }
};
struct FeatureShrink {
  const double* r;
  double operator()(std::int32_t, std::size_t j) const { return r[j]; }
};
struct NonzeroShrink {
  const double* r;  // the row's first nonzero
  double operator()(std::int32_t k, std::size_t) const { return r[k]; }
};
struct ComputedShrink {
  const double* inv_freq;
  double step_l2;
  double operator()(std::int32_t, std::size_t j) const {
    return DataGeometry::L2Shrink(inv_freq, j, step_l2);
  }
};

// A run's l2 factors: which of the above, chosen once per segment.
// Visit(row offset, f) calls f with the row's accessor; the switch is one
// predictable branch per row, and keeps one copy of everything around it.
struct L2Factors {
  enum class Kind { kUnit, kFeature, kNonzero, kComputed };
  Kind kind = Kind::kUnit;
  const double* r = nullptr;         // kFeature: per feature; kNonzero: per nonzero
  const double* inv_freq = nullptr;  // kComputed
  double step_l2 = 0.0;              // kComputed
  template <class F>
  void Visit(std::int64_t row_offset, F&& f) const {
    switch (kind) {
      case Kind::kUnit:
        f(UnitShrink{});
        break;
      case Kind::kFeature:
        f(FeatureShrink{r});
        break;
      case Kind::kNonzero:
        f(NonzeroShrink{r + row_offset});
        break;
      case Kind::kComputed:
        f(ComputedShrink{inv_freq, step_l2});
        break;
    }
  }
};

// The write of the plain update (no conflict look, no l1): after the margin,
// w_j <- w_j r_j - g x_ij, g = step loss'(z), on the value it overwrites.
// Hogwild's Algorithm 1 as the bench's plain loop spells it, so a lone
// worker (PlainRef) gives that loop's bits. Unrolled by 4. Rolled, this
// loop's speed hung on code placement: the same instructions 48 bytes
// apart (after an unrelated change elsewhere in the library) ran svm-wangni's
// lone worker at 0.83-0.96x instead of 0.97-1.12x of the bench's plain loop,
// and -falign-loops=32 cost sector.scale 16-20%. Unrolled, the default and
// the 32-byte placement measured svm 0.90-1.03x and sector 0.97-1.00x: less
// sensitive, not immune (bench/results/contention_notes.md). Same operations
// in the same order per coordinate, so the same bits.
// The row comes by value and its pointers are read into locals: a
// reference's target may be written by any atomic store as far as the
// compiler knows, so it would reload them after each one (as SharedVector's
// Ref explains for the model's pointer). Only these loops are compiled once
// per layout of the l2 factors (L2Factors::Visit); the margins before them
// are not.
template <class Access, class Shrink>
inline void PlainWrite(const SparseRow row, Access wr, double g, Shrink shrink) {
  const std::int32_t* const index = row.index;
  const double* const value = row.value;
  const std::int32_t n = row.nnz;
#pragma GCC unroll 4
  for (std::int32_t k = 0; k < n; ++k) {
    const auto j = static_cast<std::size_t>(index[k]);
    wr.Store(j, wr.Load(j) * shrink(k, j) - g * value[k]);
  }
}

// The same write under a policy that shares the model (kWild looking for
// conflicts, kAtomic, kLocked), on the value each write replaces, so rows
// that touch no common coordinate give PlainWrite's bits under every
// policy. `seen`: the values the margin read. Returns kWild's conflicts
// (coordinates another thread changed since that read) or kAtomic's failed
// CASes; kLocked counts its contended stripes itself (exclusive while
// written, as Write<kLocked>).
template <WritePolicy P, class Shrink>
inline std::int64_t SharedWrite(const SparseRow row, SharedVector& w, double g, Shrink shrink,
                                const double* seen, WorkerCounters& counters) {
  const auto wr = w.access<P>();
  const std::int32_t* const index = row.index;
  const double* const value = row.value;
  const std::int32_t n = row.nnz;
  std::int64_t conflicts = 0;  // in a register, not the counters' line
  if constexpr (P == WritePolicy::kLocked) {
    kernels::ForEachLockedRun<kernels::LockMode::kWrite>(
        w.locks(), index, n, counters, [&](std::int32_t k0, std::int32_t k1) {
          for (std::int32_t k = k0; k < k1; ++k) {
            const auto j = static_cast<std::size_t>(index[k]);
            wr.Store(j, wr.Load(j) * shrink(k, j) - g * value[k]);
          }
        });
  } else {
    for (std::int32_t k = 0; k < n; ++k) {
      const auto j = static_cast<std::size_t>(index[k]);
      const double r = shrink(k, j);
      const double gx = g * value[k];
      if constexpr (P == WritePolicy::kAtomic) {
        // From a fresh load, as every `atomic` write: a CAS expecting the
        // value the margin read instead (computed ahead) ran faster, but its
        // failures then also counted the writes made since that read, and
        // `atomic`'s conflicts fell about 500x on svm-wangni, changing what
        // they measure (and the gspar goal that compares them).
        conflicts += wr.AtomicUpdate(j, [r, gx](double old) { return old * r - gx; });
      } else {
        const double now = wr.Load(j);
        conflicts += now != seen[k];  // written by another thread since our read
        wr.Store(j, now * r - gx);
      }
    }
  }
  return conflicts;
}

// One stochastic update on row i: the body of Hogwild's Algorithm 1.
// Without l1 or a sparsifier: the margin, then PlainWrite, or SharedWrite
// when the policy must guard the model or kWild looks for conflicts
// (kernels::ConflictSampler: one update in conflict_sample); otherwise the gradient
// g_j = loss' x_ij + l2 inv_freq[j] w_j (w_j as the margin read it),
// sparsified, then written by Write().
template <class L, WritePolicy P, bool kSparsify>
inline void Update(const Dataset& data, std::int64_t i, SharedVector& w, double step,
                   const Problem& problem, const std::vector<double>& inv_freq,
                   const L2Factors& factors, Worker& wk) {
  const SparseRow row = data.row(i);
  const double y = data.labels[static_cast<std::size_t>(i)];
  bool look = false;
  if constexpr (P == WritePolicy::kWild) look = wk.sampler.Look();
  if constexpr (!kSparsify) {
    if (problem.l1 == 0.0) {
      const std::int64_t offset = data.row_ptr[static_cast<std::size_t>(i)];
      std::int64_t conflicts = 0;
      bool shared = true;
      if constexpr (P == WritePolicy::kExclusive || P == WritePolicy::kWild) shared = look;
      if (!shared) {
        const auto wr = w.access<P>();
        const double z = kernels::Dot4Read(
            row, [wr](std::int32_t j) { return wr.Load(static_cast<std::size_t>(j)); },
            [](std::int32_t, double) {});
        const double g = step * L::Derivative(y, z);
        factors.Visit(offset, [&](auto shrink) { PlainWrite(row, wr, g, shrink); });
      } else if constexpr (P != WritePolicy::kExclusive) {
        // Each factor computed where it is used (the tables' values): these
        // writes are bound by their CAS, locks or (one update in
        // conflict_sample) compares, and one copy of the loop per policy
        // keeps the worker small enough for GCC to inline what it calls.
        double* const seen = wk.seen.data();
        const double g = step * L::Derivative(y, ReadMargin<P>(w, row, seen, wk.counters));
        conflicts = SharedWrite<P>(row, w, g, ComputedShrink{inv_freq.data(), step * problem.l2},
                                   seen, wk.counters);
        if constexpr (P == WritePolicy::kWild) conflicts = wk.sampler.Scale(conflicts);
      }
      wk.counters.conflicts += conflicts;
      wk.counters.coords_written += row.nnz;
      wk.counters.bits_sent += wk.DenseBits(row.nnz);
      ++wk.counters.updates;
      return;
    }
  }
  const double l2 = problem.l2;
  double* seen = wk.seen.data();
  const double z = ReadMargin<P>(w, row, seen, wk.counters);
  const double dloss = L::Derivative(y, z);
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
  } else {
    wk.counters.bits_sent += wk.DenseBits(row.nnz);
  }
  Write<P>(w, out_index, out_value, kept, step, problem.l1, inv_freq, look ? row.index : nullptr,
           row.nnz, wk);
  ++wk.counters.updates;
}

// w_j <- w_j - step q_j for the message (index, q) under policy P, with the
// reweighted soft-threshold when l1 > 0. `read_index` (or nullptr): the row
// whose values wk.seen holds as read for the margin, when this update looks
// for conflicts; the message is a subsequence of it, so a forward walk finds
// each coordinate's read value and kWild counts the coordinates another
// thread wrote since that read (kernels::ConflictSampler scales the count).
template <WritePolicy P>
inline void Write(SharedVector& w, const std::int32_t* index, const double* q, std::int32_t n,
                  double step, double l1, const std::vector<double>& inv_freq,
                  const std::int32_t* read_index, std::int32_t read_n, Worker& wk) {
  const auto wr = w.access<P>();
  if constexpr (P == WritePolicy::kLocked) {
    // Each stripe exclusive while the message's coordinates in it are written.
    kernels::ForEachLockedRun<kernels::LockMode::kWrite>(
        w.locks(), index, n, wk.counters, [&](std::int32_t k0, std::int32_t k1) {
          for (std::int32_t k = k0; k < k1; ++k) {
            const auto j = static_cast<std::size_t>(index[k]);
            const double next = wr.Load(j) - step * q[k];
            wr.Store(j, l1 > 0.0 ? kernels::SoftThreshold(next, step * l1 * inv_freq[j]) : next);
          }
        });
    wk.counters.coords_written += n;
    return;
  }
  std::int32_t r = 0;
  std::int64_t wild_conflicts = 0;
  for (std::int32_t k = 0; k < n; ++k) {
    const auto j = static_cast<std::size_t>(index[k]);
    const double delta = -step * q[k];
    if constexpr (P == WritePolicy::kAtomic) {
      if (l1 > 0.0) {
        const double t = step * l1 * inv_freq[j];
        wk.counters.conflicts +=
            wr.AtomicUpdate(j, [&](double old) { return kernels::SoftThreshold(old + delta, t); });
      } else {
        wk.counters.conflicts += wr.AtomicUpdate(j, [delta](double old) { return old + delta; });
      }
    } else {
      const double now = wr.Load(j);
      if constexpr (P == WritePolicy::kWild) {
        if (read_index != nullptr) {
          while (r < read_n && read_index[r] != index[k]) ++r;
          if (r < read_n) wild_conflicts += now != wk.seen[static_cast<std::size_t>(r)];
        }
      }
      const double next = now + delta;
      wr.Store(j, l1 > 0.0 ? kernels::SoftThreshold(next, step * l1 * inv_freq[j]) : next);
    }
  }
  wk.counters.conflicts += wk.sampler.Scale(wild_conflicts);
  wk.counters.coords_written += n;
}

// Mini-batch update: the mean gradient of `batch` rows (margins read from
// the shared w row by row), sparsified and written once.
template <class L, WritePolicy P, bool kSparsify>
inline void UpdateBatch(const Dataset& data, const std::int64_t* rows, int batch, SharedVector& w,
                        double step, const Problem& problem, const std::vector<double>& inv_freq,
                        Worker& wk) {
  const double scale = 1.0 / static_cast<double>(batch);
  wk.touched.clear();
  for (int b = 0; b < batch; ++b) {
    const SparseRow row = data.row(rows[b]);
    const double y = data.labels[static_cast<std::size_t>(rows[b])];
    const double z = ReadMargin<P>(w, row, wk.seen.data(), wk.counters);
    const double dloss = L::Derivative(y, z) * scale;
    for (std::int32_t k = 0; k < row.nnz; ++k) {
      const auto j = static_cast<std::size_t>(row.index[k]);
      if (!wk.in_batch[j]) {
        wk.in_batch[j] = 1;
        wk.touched.push_back(row.index[k]);
      }
      const double l2_term = problem.l2 * wk.seen[static_cast<std::size_t>(k)] * inv_freq[j] * scale;
      wk.accumulator[j] += dloss * row.value[k] + l2_term;
    }
    ++wk.counters.updates;
  }
  std::sort(wk.touched.begin(), wk.touched.end());  // kLocked: stripe runs are contiguous
  const auto n = static_cast<std::int32_t>(wk.touched.size());
  for (std::int32_t k = 0; k < n; ++k) {
    const auto j = static_cast<std::size_t>(wk.touched[static_cast<std::size_t>(k)]);
    wk.grad[static_cast<std::size_t>(k)] = wk.accumulator[j];
    wk.accumulator[j] = 0.0;
    wk.in_batch[j] = 0;
  }
  const std::int32_t* out_index = wk.touched.data();
  const double* out_value = wk.grad.data();
  std::int32_t kept = n;
  if constexpr (kSparsify) {
    kept = wk.sparsifier.Apply(wk.touched.data(), wk.grad.data(), n, wk.kept_index.data(),
                               wk.kept_value.data(), &wk.counters.bits_sent);
    out_index = wk.kept_index.data();
    out_value = wk.kept_value.data();
  } else {
    wk.counters.bits_sent += wk.DenseBits(n);
  }
  Write<P>(w, out_index, out_value, kept, step, problem.l1, inv_freq, nullptr, 0, wk);
}

template <class L, WritePolicy P, bool kSparsify>
Result Run(const Dataset& data, const Problem& problem, const Options& options) {
  const int threads = options.threads;
  const std::int64_t m = data.num_rows;
  const DataGeometry geometry(data);
  const double step0 = options.step > 0.0 ? options.step : HogwildDefaultStep(data, problem);
  const double decay = HogwildStepDecay(options);
  std::int32_t max_nnz = 1;
  for (std::int64_t i = 0; i < m; ++i) max_nnz = std::max(max_nnz, data.row(i).nnz);
  const int batch = options.async.batch_size;
  const auto capacity = static_cast<std::int32_t>(std::min<std::int64_t>(
      std::max<std::int64_t>(1, data.num_cols), static_cast<std::int64_t>(batch) * max_nnz));
  const std::int32_t message_capacity = std::max(max_nnz, capacity);

  SharedVector w(static_cast<std::size_t>(data.num_cols),
                 P == WritePolicy::kLocked ? static_cast<std::size_t>(options.async.lock_stripe) : 0);
  std::vector<Worker> workers;
  workers.reserve(static_cast<std::size_t>(threads));
  for (int t = 0; t < threads; ++t) workers.emplace_back(data, options, t, message_capacity);

  const bool prefetch = kernels::WorthPrefetching(data);
  // The l2 factors of the update without l1 or sparsifier (PlainWrite,
  // SharedWrite) when the step is constant and l2 > 0: per nonzero where
  // that pays (DataGeometry::L2ShrinkPerNonzeroPays), else per feature;
  // either takes at most 16 bytes per feature, within HogwildMemoryBytes'
  // allowance for the feature counts, which are freed by now. A decaying
  // step computes each factor where it is used instead.
  const bool shrink_cached = !kSparsify && problem.l1 == 0.0 && problem.l2 != 0.0 &&
                             batch == 1 && decay == 1.0;
  const bool per_nonzero = shrink_cached && DataGeometry::L2ShrinkPerNonzeroPays(data);
  const std::vector<double> shrink_table = shrink_cached && !per_nonzero
                                               ? geometry.L2ShrinkTable(step0, problem.l2)
                                               : std::vector<double>{};
  const std::vector<double> shrink_nnz = per_nonzero
                                             ? geometry.L2ShrinkPerNonzero(data, step0, problem.l2)
                                             : std::vector<double>{};

  const std::int64_t per_epoch = SegmentsPerEpoch(options.trace_every_epochs, m);
  const auto trace_period = static_cast<std::int64_t>(
      std::max(1.0, std::round(options.trace_every_epochs)));
  RowSchedule schedule(m, per_epoch, options.async.with_replacement, options.seed);
  ChunkClaims claims(threads, batch);

  runtime::Tracer tracer(data, problem, options);
  std::vector<double> snapshot(static_cast<std::size_t>(data.num_cols), 0.0);
  StartFrom(options.initial_w, w, snapshot);
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

  runtime::Team team(TeamConfig(options, threads));
  auto work = [&](runtime::Member& member, std::int64_t segment) {
    Worker& wk = workers[static_cast<std::size_t>(member.index())];
    const std::int64_t epoch = schedule.EpochOf(segment);
    const double step = step0 * std::pow(decay, static_cast<double>(epoch));
    const std::int64_t first = schedule.Begin(segment), last = schedule.End(segment);
    std::int64_t rows[kMaxBatchOnStack];
    L2Factors factors;  // this segment's l2 factors: the tables above, or computed
    if (!kSparsify && problem.l2 != 0.0) {
      if (!shrink_nnz.empty()) {
        factors.kind = L2Factors::Kind::kNonzero;
        factors.r = shrink_nnz.data();
      } else if (!shrink_table.empty()) {
        factors.kind = L2Factors::Kind::kFeature;
        factors.r = shrink_table.data();
      } else {
        factors.kind = L2Factors::Kind::kComputed;
        factors.inv_freq = geometry.inv_freq.data();
        factors.step_l2 = step * problem.l2;
      }
    }
    for (auto chunk = claims.Claim(first, last); !chunk.empty();
         chunk = claims.Claim(first, last)) {
      const std::int64_t begin = chunk.begin, end = chunk.end;
      const auto t0 = member.timed() ? runtime::SteadyClock::now() : runtime::SteadyClock::time_point{};
      std::int64_t next_check = begin;
      for (std::int64_t p = begin; p < end;) {
        if (p >= next_check) {
          next_check = p + kStopCheckEvery;
          if (stop.load(std::memory_order_relaxed) || member.stop_requested()) return;
          if (options.stop != nullptr && options.stop->load(std::memory_order_relaxed)) return;
        }
        if (batch == 1) {
          const std::int64_t i = schedule.Row(p, wk.rng);
          if (prefetch) schedule.PrefetchAhead(data, p, end);
          Update<L, P, kSparsify>(data, i, w, step, problem, geometry.inv_freq, factors, wk);
          ++p;
        } else {
          const int b = static_cast<int>(std::min<std::int64_t>(batch, end - p));
          for (int r = 0; r < b; ++r) rows[r] = schedule.Row(p + r, wk.rng);
          UpdateBatch<L, P, kSparsify>(data, rows, b, w, step, problem, geometry.inv_freq, wk);
          p += b;
        }
      }
      // The fault plan counts updates (rows or mini-batches) per chunk.
      const std::int64_t steps = batch == 1 ? end - begin : (end - begin + batch - 1) / batch;
      if (!member.AfterWork(steps, member.timed() ? runtime::SteadyClock::now() - t0
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

  auto between = [&](std::int64_t segment) {
    claims.Reset();  // every worker waits at the barrier
    totals = collect();
    const bool epoch_end = (segment + 1) % per_epoch == 0;
    const std::int64_t epochs_done = (segment + 1) / per_epoch;
    const bool trace_now = !epoch_end || epochs_done % trace_period == 0 ||
                           epochs_done >= options.max_epochs;
    const bool time_stopped = stop.load(std::memory_order_relaxed);
    if (trace_now || time_stopped) {
      // The copy is the trace's, made while every worker waits at the
      // barrier: off the solver clock, like the evaluation it feeds
      // (Record restarts the clock). On it, the CLI's default trace every
      // epoch cost one lone worker about 10% on rcv1-vw-small (a 377 KB w
      // copied per 78k-nonzero epoch; bench/results/contention_notes.md).
      tracer.clock().Pause();
      w.Snapshot(snapshot);
    }
    verdict = TeamVerdict(team);
    if (verdict) {
      tracer.clock().Pause();
      w.Snapshot(snapshot);
      tracer.Record(snapshot, totals);
      return false;
    }
    verdict = tracer.EndSegment(trace_now, time_stopped, snapshot, totals);
    if (verdict) return false;
    if (epoch_end && epochs_done >= options.max_epochs) return false;
    if (epoch_end) schedule.Reshuffle(epochs_done);
    return true;
  };

  runtime::RunSegments(team, work, between, poll,
                       [&tracer](runtime::SteadyClock::duration d) { tracer.clock().Discount(d); });
  totals = collect();
  tracer.clock().Pause();  // the final copy, off the clock as above (Finish keeps it paused)
  w.Snapshot(snapshot);
  Result result;
  result.message = "hogwild, " + WriteLabel(options.async.write, options.threads) +
                   ", sparsifier " + std::string(ToString(options.sparsify.kind)) + ", step " +
                   runtime::ShortNumber(step0) +
                   (decay == 1.0 ? std::string(" (constant)")
                                 : " decaying x" + runtime::ShortNumber(decay) + " per epoch" +
                                       (options.async.step_decay == 0.0 ? " (1000x over --max-epochs)" : "")) +
                   PinNote(team) + team.Report();
  tracer.Finish(verdict.value_or(Status::kMaxEpochs), snapshot, totals, &result);
  return result;
}

template <class L>
Result DispatchPolicy(const Dataset& data, const Problem& problem, const Options& options) {
  const bool sparsify = options.sparsify.kind != SparsifierKind::kNone;
  return DispatchWritePolicy(options.async.write, options.threads, [&](auto policy) {
    constexpr WritePolicy P = decltype(policy)::value;
    return sparsify ? Run<L, P, true>(data, problem, options)
                    : Run<L, P, false>(data, problem, options);
  });
}

}  // namespace

double HogwildDefaultStep(const Dataset& data, const Problem& problem) {
  const DataGeometry g(data);
  const double max_inv_freq = g.inv_freq.empty() ? 1.0 : *std::max_element(g.inv_freq.begin(), g.inv_freq.end());
  const double denom = g.RowLipschitz(problem.loss) + problem.l2 * max_inv_freq;
  return denom > 0.0 ? 1.0 / denom : 1.0;
}

double HogwildStepDecay(const Options& options) {
  if (options.async.step_decay > 0.0) return options.async.step_decay;
  return std::pow(1e-3, 1.0 / static_cast<double>(std::max(options.max_epochs, 1)));
}

double HogwildMemoryBytes(const Dataset& data, const Options& options) {
  const double d = data.num_cols, m = static_cast<double>(data.num_rows);
  const double threads = options.threads;
  // w; the snapshot, the tracer's last finite iterate and Result::w; the
  // feature counts and inverse frequencies (twice while the default step is
  // computed); the row order.
  double bytes = 8.0 * d + 3.0 * 8.0 * d + 2.0 * 16.0 * d + 8.0 * m;
  if (options.async.write == asyncopt::WritePolicy::kLocked && options.threads > 1) {
    bytes += 8.0 * d / options.async.lock_stripe;  // one lock word per stripe
  }
  if (options.async.batch_size > 1) bytes += threads * 9.0 * d;  // dense batch accumulators
  if (options.sparsify.kind == SparsifierKind::kTopK && options.sparsify.error_feedback) {
    bytes += threads * 8.0 * d;  // error-feedback residuals
  }
  return bytes;
}

Result RunHogwild(const Dataset& data, const Problem& problem, const Options& options) {
  return kernels::DispatchLoss(problem.loss, [&](auto loss) {
    return DispatchPolicy<decltype(loss)>(data, problem, options);
  });
}

}  // namespace asyncopt::algorithms
