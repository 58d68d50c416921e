// asyncopt internal: what the asynchronous solvers (hogwild, svrg) share.
//
//  * TeamConfig / TeamVerdict: the solvers' threads are a runtime::Team
//    (src/runtime/team.hpp) run by runtime::RunSegments: the workers run a
//    sequence of segments (an epoch or a fraction of one); between segments
//    they wait, parked, while the calling thread runs the `between` step:
//    trace snapshot off the clock, stop decision, new permutation, SVRG
//    reference point.
//  * DataGeometry: per-feature inverse frequencies for the sparse
//    reweighting of dense terms (l2, SVRG's full gradient), row norms and the
//    default step sizes.
//  * RowSchedule: which rows a worker processes in a segment (its slice of a
//    per-epoch permutation, or draws with replacement).
#pragma once

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <numeric>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "asyncopt/dataset.hpp"
#include "asyncopt/problem.hpp"
#include "asyncopt/solver.hpp"
#include "data/random.hpp"
#include "kernels/losses.hpp"
#include "kernels/shared_vector.hpp"
#include "kernels/sparse_ops.hpp"
#include "runtime/team.hpp"

namespace asyncopt::algorithms {

// Domain tags for independent random streams derived from the seed.
inline constexpr std::uint64_t kPermutationStream = 0x7065726d;  // "perm"
inline constexpr std::uint64_t kWorkerStream = 0x776f726b;       // "work"

// The team of a solver's threads as Options ask for it (pinning, faults,
// peer timeout). `first_id`: the fault plan's number of the first member
// (soda and dave-pg: 1, the master is 0).
inline runtime::Team::Config TeamConfig(const Options& options, int size, int first_id = 0) {
  runtime::Team::Config c;
  c.size = size;
  c.first_id = first_id;
  c.pin = options.pin_workers;
  c.faults = options.faults;
  c.peer_timeout = options.peer_timeout;
  c.role = "worker";
  return c;
}

// ", not pinned: ..." for result messages when pinning was asked for and
// could not be done ("" otherwise).
inline std::string PinNote(const runtime::Team& team) {
  const std::string& note = team.pin_note();
  return note.empty() || note == "pinned" ? std::string() : ", " + note;
}

// What the team's fate means for a run between segments: every member
// gone (crashed) or one silent past peer_timeout ends it with kPeerLost.
inline std::optional<Status> TeamVerdict(const runtime::Team& team) {
  if (!team.Lost().empty() || team.left() >= team.size()) return Status::kPeerLost;
  return std::nullopt;
}

// Turns the run's write policy into a compile-time constant:
// f(integral_constant). With one worker every policy runs as kExclusive
// (see kernels/shared_vector.hpp): nobody else writes while it works.
template <class F>
auto DispatchWritePolicy(asyncopt::WritePolicy policy, int threads, F&& f) {
  using kernels::WritePolicy;
  if (threads == 1) return f(std::integral_constant<WritePolicy, WritePolicy::kExclusive>{});
  switch (policy) {
    case asyncopt::WritePolicy::kAtomic:
      return f(std::integral_constant<WritePolicy, WritePolicy::kAtomic>{});
    case asyncopt::WritePolicy::kLocked:
      return f(std::integral_constant<WritePolicy, WritePolicy::kLocked>{});
    case asyncopt::WritePolicy::kWild:
      break;
  }
  return f(std::integral_constant<WritePolicy, WritePolicy::kWild>{});
}

// "write P" for result messages; with one worker the policy had nothing to
// guard (kExclusive), and the message says so.
inline std::string WriteLabel(asyncopt::WritePolicy policy, int threads) {
  std::string label = "write " + std::string(ToString(policy));
  if (threads == 1) label += " (one worker: plain loads and stores)";
  return label;
}

// Curvature bound c with |loss''| <= c: kernels::CurvatureBound.
using kernels::CurvatureBound;

struct DataGeometry {
  // inv_freq[j] = m / (rows containing feature j); 0 for unused features.
  std::vector<double> inv_freq;
  double max_row_sq_norm = 0.0;
  double mean_row_sq_norm = 0.0;
  double mean_row_nnz = 0.0;

  explicit DataGeometry(const Dataset& data) {
    const std::size_t d = static_cast<std::size_t>(data.num_cols);
    std::vector<std::int64_t> count(d, 0);
    double sum_sq = 0.0;
    for (std::int64_t i = 0; i < data.num_rows; ++i) {
      const SparseRow row = data.row(i);
      double sq = 0.0;
      for (std::int32_t k = 0; k < row.nnz; ++k) {
        ++count[static_cast<std::size_t>(row.index[k])];
        sq += row.value[k] * row.value[k];
      }
      sum_sq += sq;
      max_row_sq_norm = std::max(max_row_sq_norm, sq);
    }
    const double m = static_cast<double>(std::max<std::int64_t>(1, data.num_rows));
    inv_freq.resize(d);
    for (std::size_t j = 0; j < d; ++j) {
      inv_freq[j] = count[j] > 0 ? m / static_cast<double>(count[j]) : 0.0;
    }
    mean_row_sq_norm = sum_sq / m;
    mean_row_nnz = static_cast<double>(data.nnz()) / m;
  }

  // Smoothness of one row's loss term: c * max ||x_i||^2.
  double RowLipschitz(Loss loss) const { return CurvatureBound(loss) * max_row_sq_norm; }

  // Hogwild's l2 term as a multiplier. An update on row i writes, for j in
  // its support, w_j - step (loss' x_ij + l2 inv_freq[j] w_j): the row's
  // share of F's l2 gradient, reweighted so that its expectation over rows
  // is l2 w_j. Without l1 the solver writes it as
  //   w_j * L2Shrink(inv_freq, j, step * l2) - (step * loss') * x_ij:
  // the same F and the same estimator, two multiplies and a subtraction per
  // nonzero instead of four multiplies and two additions (issue 14,
  // section 6). Every loop that must give the solver's bits (its write
  // policies, the benchmark's plain loops) computes the factor here, or
  // reads it from L2ShrinkTable, which holds the same values.
  static double L2Shrink(const double* inv_freq, std::size_t j, double step_l2) {
    return 1.0 - step_l2 * inv_freq[j];
  }
  // L2Shrink(j, step * l2) for every feature, for runs whose step is constant.
  std::vector<double> L2ShrinkTable(double step, double l2) const {
    std::vector<double> r(inv_freq.size());
    const double step_l2 = step * l2;
    for (std::size_t j = 0; j < r.size(); ++j) r[j] = L2Shrink(inv_freq.data(), j, step_l2);
    return r;
  }
  // The same factors per nonzero, aligned with data.values: r[k] =
  // L2Shrink(col_index[k]). Read in row order, they replace a gather from a
  // d-long table by a stream next to the row's values.
  std::vector<double> L2ShrinkPerNonzero(const Dataset& data, double step, double l2) const {
    std::vector<double> r(data.col_index.size());
    const double step_l2 = step * l2;
    for (std::size_t k = 0; k < r.size(); ++k) {
      r[k] = L2Shrink(inv_freq.data(), static_cast<std::size_t>(data.col_index[k]), step_l2);
    }
    return r;
  }
  // Whether a run should read the factors per nonzero rather than per
  // feature: when the rows are small enough to stay in the caches (no row
  // prefetch, kernels::WorthPrefetching), where the gather from the table
  // costs more than the stream; and when the factors take at most 16 bytes
  // per feature, the memory hogwild's estimate allows for the feature counts
  // (HogwildMemoryBytes), which are freed by then. On rcv1-vw-small (0.9 MB
  // of rows, 47117 features, 78k nonzeros) one hogwild thread ran about 5%
  // faster with them; on sector.scale (13 MB of rows, prefetched) 25% slower.
  static bool L2ShrinkPerNonzeroPays(const Dataset& data) {
    return !kernels::WorthPrefetching(data) &&
           data.nnz() <= 2 * static_cast<std::int64_t>(data.num_cols);
  }
};

// The row order: a seeded permutation per epoch (or draws with replacement),
// cut into segments; workers split a segment through ChunkClaims.
class RowSchedule {
 public:
  RowSchedule(std::int64_t rows, std::int64_t segments_per_epoch, bool with_replacement,
              std::uint64_t seed)
      : m_(rows),
        segments_per_epoch_(segments_per_epoch),
        with_replacement_(with_replacement),
        seed_(seed),
        perm_(static_cast<std::size_t>(rows)) {
    Reshuffle(0);
  }

  std::int64_t segments_per_epoch() const { return segments_per_epoch_; }
  std::int64_t EpochOf(std::int64_t segment) const { return segment / segments_per_epoch_; }

  // Called (serially) before the first segment of every epoch.
  void Reshuffle(std::int64_t epoch) {
    if (with_replacement_) return;
    std::iota(perm_.begin(), perm_.end(), std::int64_t{0});
    data::Rng rng = data::Rng::ForStream(seed_, kPermutationStream, static_cast<std::uint64_t>(epoch));
    for (std::int64_t i = m_ - 1; i > 0; --i) {
      const auto j = static_cast<std::int64_t>(rng.Below(static_cast<std::uint64_t>(i + 1)));
      std::swap(perm_[static_cast<std::size_t>(i)], perm_[static_cast<std::size_t>(j)]);
    }
  }

  // First position of `segment` in the epoch's order; End(segment) is one
  // past its last.
  std::int64_t Begin(std::int64_t segment) const {
    return segment % segments_per_epoch_ * m_ / segments_per_epoch_;
  }
  std::int64_t End(std::int64_t segment) const {
    return (segment % segments_per_epoch_ + 1) * m_ / segments_per_epoch_;
  }

  // Prefetches the row kernels::kPrefetchRowsAhead positions after p when
  // it lies before `end` and is known in advance (permutation order).
  ASYNCOPT_PREFETCH_INLINE void PrefetchAhead(const Dataset& data, std::int64_t p,
                                              std::int64_t end) const {
    const std::int64_t q = p + kernels::kPrefetchRowsAhead;
    if (q < end && !with_replacement_) kernels::PrefetchRow(data.row(perm_[static_cast<std::size_t>(q)]));
  }

  // Row at position p (permutation), or a uniform draw (with replacement).
  std::int64_t Row(std::int64_t p, data::Rng& rng) const {
    if (with_replacement_) return static_cast<std::int64_t>(rng.Below(static_cast<std::uint64_t>(m_)));
    return perm_[static_cast<std::size_t>(p)];
  }

 private:
  std::int64_t m_;
  std::int64_t segments_per_epoch_;
  bool with_replacement_;
  std::uint64_t seed_;
  std::vector<std::int64_t> perm_;
};

// Dynamic split of a segment's positions [a, b) among the workers: each
// claims the next chunk from a shared cursor until none is left. A static
// split into equal slices makes every segment as slow as the slowest worker;
// on a shared machine one core is often slowed for a while (time-sliced, or
// its vCPU descheduled by the hypervisor), and then the other waits at the
// barrier. With claims the faster worker takes more chunks. One worker
// claims the chunks in order, so its row sequence (and its bits) are those
// of the static split. Reset() between segments, while no worker runs.
class ChunkClaims {
 public:
  // Chunks of at most kMaxChunk positions and at least 4 per worker in a
  // segment (so small data still runs every worker), a multiple of `batch`
  // so a mini-batch is never cut at a chunk boundary.
  static constexpr std::int64_t kMaxChunk = 512;
  ChunkClaims(int threads, int batch) : threads_(threads), batch_(batch) {}

  std::int64_t ChunkFor(std::int64_t len) const {
    const std::int64_t c = std::min<std::int64_t>(kMaxChunk, len / (4 * threads_));
    return std::max<std::int64_t>(batch_, c / batch_ * batch_);
  }
  void Reset() { next_.store(0, std::memory_order_relaxed); }
  // Positions [begin, end) of a chunk; empty when the segment is used up.
  struct Chunk {
    std::int64_t begin;
    std::int64_t end;
    bool empty() const { return begin >= end; }
  };
  // Claims the next chunk of [a, b).
  Chunk Claim(std::int64_t a, std::int64_t b) {
    const std::int64_t chunk = ChunkFor(b - a);
    const std::int64_t start = a + next_.fetch_add(chunk, std::memory_order_relaxed);
    return {start, std::min(b, start + chunk)};
  }

 private:
  std::int64_t threads_;
  std::int64_t batch_;
  alignas(kernels::kCacheLine) std::atomic<std::int64_t> next_{0};
};

// The starting point: Options::initial_w (Solve checked its size), or
// w = 0 as constructed; `snapshot` gets the same values for the first trace
// point. Before any worker runs.
inline void StartFrom(const std::vector<double>& initial_w, kernels::SharedVector& w,
                      std::vector<double>& snapshot) {
  if (initial_w.empty()) return;
  for (std::size_t j = 0; j < initial_w.size(); ++j) w.Store(j, initial_w[j]);
  snapshot = initial_w;
}

// Segments per epoch for a trace spacing in epochs: whole epochs when >= 1.
inline std::int64_t SegmentsPerEpoch(double trace_every_epochs, std::int64_t rows) {
  if (trace_every_epochs >= 1.0) return 1;
  const auto k = static_cast<std::int64_t>(std::llround(1.0 / trace_every_epochs));
  return std::clamp<std::int64_t>(k, 1, std::max<std::int64_t>(1, rows));
}

}  // namespace asyncopt::algorithms
