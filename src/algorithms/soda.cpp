#include "algorithms/soda.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cmath>
#include <exception>
#include <limits>
#include <memory>
#include <mutex>
#include <numeric>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "algorithms/async_common.hpp"
#include "algorithms/engine_common.hpp"
#include "engine/master_worker.hpp"
#include "engine/thread_transport.hpp"
#include "asyncopt/error.hpp"
#include "asyncopt/preprocess.hpp"
#include "data/random.hpp"
#include "kernels/losses.hpp"
#include "kernels/mask.hpp"
#include "kernels/prox.hpp"
#include "kernels/sparsify.hpp"
#include "runtime/format.hpp"
#include "runtime/team.hpp"
#include "runtime/threads.hpp"
#include "runtime/tracer.hpp"

namespace asyncopt::algorithms {
namespace {

using Clock = std::chrono::steady_clock;

// Domain tags for independent random streams derived from the seed.
constexpr std::uint64_t kShardStream = 0x7368617264;  // "shard"
constexpr std::uint64_t kMaskStream = 0x6d61736b;     // "mask"
constexpr std::uint64_t kPowerStream = 0x706f776572;  // "power"

// A worker recomputes its margins X_i w exactly from the rows every this many
// exchanges (they are otherwise kept up to date incrementally, which lets
// rounding accumulate).
constexpr int kRefreshEvery = 64;
// A round's objective estimate this far above the best one triggers a
// restart, relative to max(|best|, first round - best): with masks and
// stale copies the estimate is not monotone (rises of 1e-5 relative are
// common on runs that converge), while a diverging run rises without bound.
constexpr double kRiseTolerance = 1e-2;
// The longest the master waits for messages or sleeps (an injected delay)
// before it looks at the stop request and the time limit again.
constexpr std::chrono::milliseconds kPoll{20};
// A worker's final gradient step looks for a stop this often (nonzeros of
// the mask's columns, plus one per coordinate): a few hundred microseconds.
constexpr std::int64_t kStopCheckNonzeros = std::int64_t{1} << 18;

// A shard's local rows are int32 (its column arrays hold them).
void CheckLocalRows(std::int64_t rows) {
  if (rows > std::numeric_limits<std::int32_t>::max()) {
    throw Error(ErrorKind::kUnsupported, "a worker's part of " + std::to_string(rows) +
                                             " rows: a worker holds at most 2^31 - 1 rows (use more workers)");
  }
}

// An order-independent checksum of a part's rows: what the second read of
// a part must reproduce (row number in the part, label, every entry).
std::uint64_t EntryHash(std::int64_t row, std::int32_t col, double value) {
  std::uint64_t h = std::bit_cast<std::uint64_t>(value) ^ (static_cast<std::uint64_t>(row) * 0x9e3779b97f4a7c15ULL) ^
                    (static_cast<std::uint64_t>(static_cast<std::uint32_t>(col)) * 0xc2b2ae3d27d4eb4fULL);
  h ^= h >> 31;
  h *= 0xbf58476d1ce4e5b9ULL;
  return h ^ (h >> 29);
}

struct Shard {
  std::vector<std::int64_t> rows;  // global row ids
  std::vector<double> labels;
  double pi = 0.0;  // |S_i| / m
  // Column-major copy of the shard: column j holds (local row, value) pairs
  // at [col_start[j], col_start[j + 1]).
  std::vector<std::int64_t> col_start;
  std::vector<std::int32_t> col_row;
  std::vector<double> col_value;

  // labels in the shard's row order, and col_start: where each column
  // begins (the counts of the rows' features, summed).
  void TakeLabelsAndCountColumns(const Dataset& data) {
    labels.reserve(rows.size());
    col_start.assign(static_cast<std::size_t>(data.num_cols) + 1, 0);
    for (const std::int64_t r : rows) {
      labels.push_back(data.labels[static_cast<std::size_t>(r)]);
      const SparseRow row = data.row(r);
      for (std::int32_t k = 0; k < row.nnz; ++k) {
        ++col_start[static_cast<std::size_t>(row.index[k]) + 1];
      }
    }
    std::partial_sum(col_start.begin(), col_start.end(), col_start.begin());
  }

  Shard(const Dataset& data, std::vector<std::int64_t> shard_rows)
      : rows(std::move(shard_rows)) {
    CheckLocalRows(static_cast<std::int64_t>(rows.size()));
    const auto d = static_cast<std::size_t>(data.num_cols);
    TakeLabelsAndCountColumns(data);
    col_row.resize(static_cast<std::size_t>(col_start[d]));
    col_value.resize(static_cast<std::size_t>(col_start[d]));
    std::vector<std::int64_t> fill(col_start.begin(), col_start.end() - 1);
    for (std::size_t local = 0; local < rows.size(); ++local) {
      const SparseRow row = data.row(rows[local]);
      for (std::int32_t k = 0; k < row.nnz; ++k) {
        const auto q = static_cast<std::size_t>(fill[static_cast<std::size_t>(row.index[k])]++);
        col_row[q] = static_cast<std::int32_t>(local);
        col_value[q] = row.value[k];
      }
    }
    pi = static_cast<double>(rows.size()) / static_cast<double>(data.num_rows);
  }

  // A worker rank's shard, made from its part in place: the part's index
  // array becomes col_row and its values col_value, so the rank never holds
  // its rows and their column-major copy at once (its peak is the part's
  // CSR plus 4 bytes per nonzero while the entries move, not twice the
  // CSR). `order`: the part's rows in the shard's order (local row k is
  // part row order[k]); the columns come out exactly as the constructor
  // above makes them. `part` is left empty.
  Shard(Dataset&& part, std::vector<std::int64_t> order, std::int64_t total_rows)
      : rows(std::move(order)) {
    const auto nnz = static_cast<std::size_t>(part.nnz());
    TakeLabelsAndCountColumns(part);
    const auto transpose = [&](auto index_type) {
      using Index = decltype(index_type);
      // dest[q]: where entry q goes; its column is replaced by its local row.
      std::vector<Index> dest(nnz);
      {
        std::vector<std::int64_t> fill(col_start.begin(), col_start.end() - 1);
        for (std::size_t local = 0; local < rows.size(); ++local) {
          const auto r = static_cast<std::size_t>(rows[local]);
          for (auto q = static_cast<std::size_t>(part.row_ptr[r]); q < static_cast<std::size_t>(part.row_ptr[r + 1]);
               ++q) {
            dest[q] = static_cast<Index>(fill[static_cast<std::size_t>(part.col_index[q])]++);
            part.col_index[q] = static_cast<std::int32_t>(local);
          }
        }
      }
      std::vector<std::int64_t>().swap(part.row_ptr);
      std::vector<double>().swap(part.labels);
      // Each swap puts one entry in its place: O(nnz) swaps in all.
      for (std::size_t q = 0; q < nnz; ++q) {
        while (static_cast<std::size_t>(dest[q]) != q) {
          const auto to = static_cast<std::size_t>(dest[q]);
          std::swap(part.col_index[q], part.col_index[to]);
          std::swap(part.values[q], part.values[to]);
          std::swap(dest[q], dest[to]);
        }
      }
    };
    if (nnz <= std::numeric_limits<std::uint32_t>::max()) {
      transpose(std::uint32_t{});
    } else {
      transpose(std::uint64_t{});
    }
    col_row = std::move(part.col_index);
    col_value = std::move(part.values);
    part = Dataset{};
    pi = static_cast<double>(rows.size()) / static_cast<double>(std::max<std::int64_t>(1, total_rows));
  }

  // A worker rank's shard, made from a second read of its part: `part`
  // gives the column counts, labels and a checksum, and is then freed;
  // `reread` streams the same rows again (in order, in pieces, preprocessed
  // alike), which are placed straight into the columns. The rank's peak is
  // the part's CSR or the shard plus one piece, not both (Shard's in-place
  // constructor needs 4 bytes per nonzero more). Each column is then sorted
  // by local row, so the columns are exactly those of the constructors
  // above. A second read that differs from the first (the file changed)
  // throws Error(kIo).
  Shard(Dataset&& part, std::vector<std::int64_t> order, std::int64_t total_rows,
        const PartReader& reread)
      : rows(std::move(order)) {
    const auto d = static_cast<std::size_t>(part.num_cols);
    const auto n = static_cast<std::size_t>(part.num_rows);
    const auto nnz = static_cast<std::size_t>(part.nnz());
    std::vector<std::int32_t> local_of(n);
    labels.reserve(n);
    for (std::size_t local = 0; local < rows.size(); ++local) {
      local_of[static_cast<std::size_t>(rows[local])] = static_cast<std::int32_t>(local);
      labels.push_back(part.labels[static_cast<std::size_t>(rows[local])]);
    }
    col_start.assign(d + 1, 0);
    std::uint64_t hash = 0;
    for (std::size_t r = 0; r < n; ++r) {
      const SparseRow row = part.row(static_cast<std::int64_t>(r));
      hash += EntryHash(static_cast<std::int64_t>(r), -1, part.labels[r]);
      for (std::int32_t k = 0; k < row.nnz; ++k) {
        ++col_start[static_cast<std::size_t>(row.index[k]) + 1];
        hash += EntryHash(static_cast<std::int64_t>(r), row.index[k], row.value[k]);
      }
    }
    std::partial_sum(col_start.begin(), col_start.end(), col_start.begin());
    const std::int32_t width = part.num_cols;
    const std::string source = part.source;
    part = Dataset{};  // freed before the columns are allocated
    col_row.resize(nnz);
    col_value.resize(nnz);
    std::vector<std::int64_t> fill(col_start.begin(), col_start.end() - 1);
    const auto changed = [&source](const std::string& what) {
      return Error(ErrorKind::kIo, source + ": the second read of this rank's part differs from the first (" +
                                       what + "): was the file changed while training started?");
    };
    std::size_t next = 0;
    std::uint64_t again = 0;
    reread([&](const Dataset& piece) {
      if (piece.num_cols != width) {
        throw changed("width " + std::to_string(piece.num_cols) + " instead of " + std::to_string(width));
      }
      for (std::int64_t i = 0; i < piece.num_rows; ++i, ++next) {
        if (next >= n) throw changed("more than " + std::to_string(n) + " rows");
        const std::int32_t local = local_of[next];
        again += EntryHash(static_cast<std::int64_t>(next), -1, piece.labels[static_cast<std::size_t>(i)]);
        const SparseRow row = piece.row(i);
        for (std::int32_t k = 0; k < row.nnz; ++k) {
          const auto j = static_cast<std::size_t>(row.index[k]);
          if (fill[j] >= col_start[j + 1]) throw changed("more entries in feature " + std::to_string(j + 1));
          const auto q = static_cast<std::size_t>(fill[j]++);
          col_row[q] = local;
          col_value[q] = row.value[k];
          again += EntryHash(static_cast<std::int64_t>(next), row.index[k], row.value[k]);
        }
      }
    });
    if (next != n) throw changed(std::to_string(next) + " rows instead of " + std::to_string(n));
    if (again != hash) throw changed("other values");
    // Within a column, by local row (stable: a row's repeated feature keeps
    // its order, as the other constructors leave it).
    std::vector<std::pair<std::int32_t, double>> column;
    for (std::size_t j = 0; j < d; ++j) {
      const auto b = static_cast<std::size_t>(col_start[j]), e = static_cast<std::size_t>(col_start[j + 1]);
      if (std::is_sorted(col_row.begin() + static_cast<std::ptrdiff_t>(b),
                         col_row.begin() + static_cast<std::ptrdiff_t>(e))) {
        continue;
      }
      column.clear();
      for (std::size_t q = b; q < e; ++q) column.emplace_back(col_row[q], col_value[q]);
      std::stable_sort(column.begin(), column.end(),
                       [](const auto& x, const auto& y) { return x.first < y.first; });
      for (std::size_t q = b; q < e; ++q) {
        col_row[q] = column[q - b].first;
        col_value[q] = column[q - b].second;
      }
    }
    pi = static_cast<double>(rows.size()) / static_cast<double>(std::max<std::int64_t>(1, total_rows));
  }
};

// SODA's message kinds on the engine (engine/master_worker.hpp).
//   kStep (worker -> master): header[0] = the master's exchange count of
//     the copy used, header[1] = |M_p| (mask size), header[kRowsSlot] =
//     rows computed; scalars[0] = f_i + l1 |.|_1 at the copy; payload: the
//     sparse delta u - [w_i]_mask.
//   kChanges (master -> worker): payload: (j, new w_j) for the coordinates
//     changed since the worker's last copy; header[0] = the exchange count.
//   kDense: payload: all of w (dense); header[0] as above.
//   kReset: payload: w then the worker's new w_i (2 d values, dense).
// Every master -> worker packet carries the engine's grant in
// header[kGrantSlot].
enum SodaKind : std::int32_t {
  kStep = engine::kFirstAlgorithmKind,
  kChanges,
  kDense,
  kReset,
};

// Coding length of a message of n (index, value) pairs over d coordinates:
// the one definition every solver uses (Wangni et al. 2018, Section 2.3;
// kernels::IdentityBits with ceil(log2 d)-bit indices and 32-bit values).
std::int64_t MessageBits(std::int64_t n, std::int64_t d) {
  return kernels::IdentityBits(n, d, kernels::IndexBits(d), kernels::SparsifierConfig{}.value_bits);
}

template <class L>
class Worker {
 public:
  // w_bar0, w0: the starting w_bar (every worker's w_i) and w = prox(w_bar0).
  // `cols`: the data's dimension d. The worker reads its shard by columns
  // only (a rank's shard holds no rows: Shard's in-place constructor).
  Worker(std::int32_t cols, const Shard& shard, const Problem& problem, double gamma,
         const DistributedOptions& dist, std::uint64_t seed, int id,
         const std::vector<double>& w_bar0, const std::vector<double>& w0)
      : shard_(shard),
        d_(cols),
        n_(static_cast<std::int64_t>(shard.rows.size())),
        gamma_(gamma),
        l1_(problem.l1),
        l2_(problem.l2),
        p_(dist.mask_p),
        pi_(shard.pi),
        local_steps_(dist.local_steps),
        rng_(data::Rng::ForStream(seed, kMaskStream, static_cast<std::uint64_t>(id))),
        w_copy_(w0),
        w_local_(w_bar0),
        support_(static_cast<std::size_t>(d_)),
        z_(static_cast<std::size_t>(n_), 0.0),
        row_loss_(static_cast<std::size_t>(n_), 0.0),
        dirty_mark_(static_cast<std::size_t>(n_), 0),
        deriv_(static_cast<std::size_t>(n_), 0.0),
        deriv_stamp_(static_cast<std::size_t>(n_), 0) {
    for (std::int32_t j = 0; j < d_; ++j) {
      if (w_copy_[static_cast<std::size_t>(j)] != 0.0) support_.Set(j, true);
    }
    RefreshMargins();
  }

  std::int64_t messages_sent() const { return messages_sent_; }
  const std::vector<double>& w_local() const { return w_local_; }
  std::int64_t shard_rows() const { return n_; }

  // The loss sum over the shard at the w a trace point carries (sparse
  // pairs, or dense), from the rows: F's loss part where the data lives.
  // Sparse pairs are applied as they come (ascending coordinates), so the
  // cost is the shard's entries in w's support, not d: with M workers a
  // trace point would otherwise cost M d.
  double ShardLossSum(const engine::Packet& p) {
    eval_z_.assign(static_cast<std::size_t>(n_), 0.0);
    if (p.sparse() || p.value.empty()) {  // pairs; none: w = 0
      for (std::size_t k = 0; k < p.index.size(); ++k) {
        const std::int32_t j = p.index[k];
        if (j < 0 || j >= d_) {
          throw std::runtime_error("a trace point's w has coordinate " + std::to_string(j) +
                                   " outside [0, " + std::to_string(d_) + ")");
        }
        AddColumn(j, p.value[k], &eval_z_);
      }
    } else if (p.value.size() == static_cast<std::size_t>(d_)) {
      ColumnProduct(p.value, &eval_z_);
    } else {
      throw std::runtime_error("a trace point's w has " + std::to_string(p.value.size()) +
                               " values for " + std::to_string(d_) + " features");
    }
    double sum = 0.0;
    for (std::int64_t r = 0; r < n_; ++r) {
      const auto ru = static_cast<std::size_t>(r);
      sum += L::Value(shard_.labels[ru], eval_z_[ru]);
    }
    return sum;
  }

  // The master's reply (or the engine's Go, which carries nothing).
  void Apply(const engine::Packet& reply) {
    changed_.clear();
    changed_delta_.clear();
    changed_nnz_ = 0;
    const auto d = static_cast<std::size_t>(d_);
    switch (reply.kind) {
      case kChanges:
        for (std::size_t k = 0; k < reply.index.size(); ++k) Collect(reply.index[k], reply.value[k]);
        break;
      case kDense:
        for (std::int32_t j = 0; j < d_; ++j) Collect(j, reply.value[static_cast<std::size_t>(j)]);
        break;
      case kReset:
        w_local_.assign(reply.value.begin() + static_cast<std::ptrdiff_t>(d),
                        reply.value.begin() + static_cast<std::ptrdiff_t>(2 * d));
        for (std::int32_t j = 0; j < d_; ++j) Collect(j, reply.value[static_cast<std::size_t>(j)]);
        since_refresh_ = kRefreshEvery;  // recompute everything before the next step
        break;
      default:  // engine::kGo: nothing changed
        return;
    }
    copy_exchange_ = reply.header[0];
    UpdateMargins();
  }

 private:
  // z := X_shard w by columns (O(nnz of the shard + d)): every margin
  // gathers its terms in increasing column order, the order of a row of a
  // LIBSVM file. z must hold zeros.
  void ColumnProduct(const std::vector<double>& w, std::vector<double>* z) const {
    for (std::int32_t j = 0; j < d_; ++j) AddColumn(j, w[static_cast<std::size_t>(j)], z);
  }
  // z += wj X_shard[:, j] (nothing when wj is 0).
  void AddColumn(std::int32_t j, double wj, std::vector<double>* z) const {
    if (wj == 0.0) return;
    const std::int32_t* col_row = shard_.col_row.data();
    const double* col_value = shard_.col_value.data();
    double* out = z->data();
    const auto ju = static_cast<std::size_t>(j);
    for (std::int64_t q = shard_.col_start[ju]; q < shard_.col_start[ju + 1]; ++q) {
      out[col_row[q]] += wj * col_value[q];
    }
  }

  // Exact margins, losses and loss sum from the columns (O(nnz of the shard + d)).
  void RefreshMargins() {
    reg_sq_ = 0.0;
    reg_abs_ = 0.0;
    for (const double v : w_copy_) {
      reg_sq_ += v * v;
      reg_abs_ += std::fabs(v);
    }
    std::fill(z_.begin(), z_.end(), 0.0);
    ColumnProduct(w_copy_, &z_);
    RecomputeLosses();
    ++stamp_;
    since_refresh_ = 0;
  }

  // w_copy_[j] := v; records the change for the margin update.
  void Collect(std::int32_t j, double v) {
    const auto ju = static_cast<std::size_t>(j);
    const double delta = v - w_copy_[ju];
    if (delta == 0.0) return;
    reg_sq_ += v * v - w_copy_[ju] * w_copy_[ju];
    reg_abs_ += std::fabs(v) - std::fabs(w_copy_[ju]);
    w_copy_[ju] = v;
    support_.Set(j, v != 0.0);
    changed_.push_back(j);
    changed_delta_.push_back(delta);
    changed_nnz_ += shard_.col_start[ju + 1] - shard_.col_start[ju];
  }

  // Every row's loss and their sum from the current margins (O(rows)).
  void RecomputeLosses() {
    loss_sum_ = 0.0;
    for (std::int64_t r = 0; r < n_; ++r) {
      const auto ru = static_cast<std::size_t>(r);
      const double loss = L::Value(shard_.labels[ru], z_[ru]);
      row_loss_[ru] = loss;
      loss_sum_ += loss;
    }
  }

  // Margins and losses after the coordinates in changed_ moved.
  void UpdateMargins() {
    const std::int64_t* col_start = shard_.col_start.data();
    const std::int32_t* col_row = shard_.col_row.data();
    const double* col_value = shard_.col_value.data();
    double* z = z_.data();
    if (changed_nnz_ >= n_) {
      // Most rows move: update the margins without bookkeeping, then every loss.
      for (std::size_t k = 0; k < changed_.size(); ++k) {
        const auto ju = static_cast<std::size_t>(changed_[k]);
        const double delta = changed_delta_[k];
        for (std::int64_t q = col_start[ju]; q < col_start[ju + 1]; ++q) z[col_row[q]] += delta * col_value[q];
      }
      RecomputeLosses();
    } else {
      // Few rows move: update the losses of those rows only.
      ++apply_id_;
      dirty_.clear();
      std::uint32_t* mark = dirty_mark_.data();
      for (std::size_t k = 0; k < changed_.size(); ++k) {
        const auto ju = static_cast<std::size_t>(changed_[k]);
        const double delta = changed_delta_[k];
        for (std::int64_t q = col_start[ju]; q < col_start[ju + 1]; ++q) {
          const std::int32_t r = col_row[q];
          z[r] += delta * col_value[q];
          if (mark[r] != apply_id_) {
            mark[r] = apply_id_;
            dirty_.push_back(r);
          }
        }
      }
      for (const std::int32_t r : dirty_) {
        const auto ru = static_cast<std::size_t>(r);
        const double loss = L::Value(shard_.labels[ru], z_[ru]);
        loss_sum_ += loss - row_loss_[ru];
        row_loss_[ru] = loss;
      }
    }
    ++stamp_;  // cached derivatives are stale
  }

  // Loss derivatives at margins z for the coming gradient pass: every row at
  // once when the mask's columns hold at least as many nonzeros as the shard
  // has rows, else lazily per row (cached per stamp).
  void PrepareDerivatives(const std::vector<double>& z) {
    eager_ = mask_nnz_ >= n_;
    if (!eager_) return;
    for (std::int64_t r = 0; r < n_; ++r) {
      const auto ru = static_cast<std::size_t>(r);
      deriv_[ru] = L::Derivative(shard_.labels[ru], z[ru]);
    }
  }

  double LazyDerivative(std::int32_t r, const std::vector<double>& z) {
    const auto ru = static_cast<std::size_t>(r);
    if (deriv_stamp_[ru] != stamp_) {
      deriv_stamp_[ru] = stamp_;
      deriv_[ru] = L::Derivative(shard_.labels[ru], z[ru]);
    }
    return deriv_[ru];
  }

  // grad f_i on coordinate j at margins z and coordinate value wj (after
  // PrepareDerivatives(z)).
  double Gradient(std::int32_t j, double wj, const std::vector<double>& z) {
    const auto ju = static_cast<std::size_t>(j);
    const std::int64_t begin = shard_.col_start[ju], end = shard_.col_start[ju + 1];
    const std::int32_t* col_row = shard_.col_row.data();
    const double* col_value = shard_.col_value.data();
    double g = 0.0;
    if (eager_) {
      const double* deriv = deriv_.data();
      for (std::int64_t q = begin; q < end; ++q) g += deriv[col_row[q]] * col_value[q];
    } else {
      for (std::int64_t q = begin; q < end; ++q) g += LazyDerivative(col_row[q], z) * col_value[q];
    }
    return g * inv_n_ + l2_ * wj;
  }

public:
  // One exchange's work into `msg`, with `passes` passes over the shard
  // granted by the engine's row budget (the final gradient step is one; the
  // rest allow local steps, so a spent budget ends the local steps early).
  // Returns the rows computed: 0 when the run began to stop between local
  // steps or during the final gradient step: the step is abandoned (w_i
  // unchanged, an empty message), so a stop takes effect within one pass
  // over the shard however large --local-steps is (within a fraction of
  // one in the final step; a local step, the margins' refresh and the
  // derivatives are whole passes).
  std::int64_t Step(std::int64_t passes, const engine::StepControl& control, engine::Packet* msg) {
    msg->kind = kStep;
    msg->ClearPayload();
    msg->header[1] = 0;
    ++messages_sent_;
    if (since_refresh_ >= kRefreshEvery) RefreshMargins();
    ++since_refresh_;
    msg->scalars[0] = loss_sum_ * inv_n_ + 0.5 * l2_ * reg_sq_ + l1_ * reg_abs_;
    msg->header[0] = copy_exchange_;
    std::int64_t rows = n_;  // the final gradient step; local steps add theirs

    // The mask: supp(w) plus each zero coordinate with probability p.
    mask_.assign(support_.members().begin(), support_.members().end());
    kernels::GeometricSkips(d_, p_, rng_, [&](std::int32_t j) {
      if (!support_.Contains(j)) mask_.push_back(j);
    });

    mask_nnz_ = 0;
    for (const std::int32_t j : mask_) {
      mask_nnz_ += shard_.col_start[static_cast<std::size_t>(j) + 1] -
                   shard_.col_start[static_cast<std::size_t>(j)];
    }
    u_.resize(mask_.size());
    for (std::size_t k = 0; k < mask_.size(); ++k) u_[k] = w_copy_[static_cast<std::size_t>(mask_[k])];
    const std::vector<double>* z = &z_;
    if (local_steps_ > 1) {
      // K - 1 local proximal-gradient steps over the mask, on a private copy
      // of the margins, each through the master's model with the other
      // workers' contributions frozen: z <- prox(w_bar + pi_i (z - gamma
      // grad f_i(z) - w_i)). At the optimum z stays w*, so the fixed point is
      // exact (plain local steps on f_i alone would drift). w_bar is known
      // exactly where w != 0 (w_bar_j = w_j + gamma l1 sign(w_j)) and taken
      // as 0 where w = 0.
      z_local_ = z_;
      z = &z_local_;
      step_.resize(mask_.size());
      const double threshold = gamma_ * l1_;
      for (int t = 0; t + 1 < local_steps_; ++t) {
        // (A trace point waits for the step to end: tracing does not change
        // the steps taken.)
        if (control.stop_requested()) {
          ++stamp_;  // derivatives cached at z_local_ are not z_'s
          return 0;
        }
        if (t + 1 >= passes) break;  // the budget granted no more passes
        rows += n_;
        PrepareDerivatives(z_local_);
        for (std::size_t k = 0; k < mask_.size(); ++k) {
          const auto ju = static_cast<std::size_t>(mask_[k]);
          const double wj = w_copy_[ju];
          const double w_bar = wj > 0.0 ? wj + threshold : (wj < 0.0 ? wj - threshold : 0.0);
          const double u = u_[k] - gamma_ * Gradient(mask_[k], u_[k], z_local_);
          step_[k] = kernels::SoftThreshold(w_bar + pi_ * (u - w_local_[ju]), threshold);
        }
        for (std::size_t k = 0; k < mask_.size(); ++k) {
          const double delta = step_[k] - u_[k];
          if (delta == 0.0) continue;
          u_[k] = step_[k];
          const auto ju = static_cast<std::size_t>(mask_[k]);
          for (std::int64_t q = shard_.col_start[ju]; q < shard_.col_start[ju + 1]; ++q) {
            z_local_[static_cast<std::size_t>(shard_.col_row[static_cast<std::size_t>(q)])] +=
                delta * shard_.col_value[static_cast<std::size_t>(q)];
          }
        }
        ++stamp_;
      }
    }
    // The gradient step whose prox the master applies: w_i+ on the mask.
    // Computed first and committed after, so a stop seen every
    // kStopCheckNonzeros nonzeros abandons it whole: one pass over a large
    // shard need not finish before a stop takes effect.
    PrepareDerivatives(*z);
    step_.resize(mask_.size());
    std::int64_t since_check = 0;
    for (std::size_t k = 0; k < mask_.size(); ++k) {
      const std::int32_t j = mask_[k];
      const auto ju = static_cast<std::size_t>(j);
      step_[k] = u_[k] - gamma_ * Gradient(j, u_[k], *z);
      since_check += shard_.col_start[ju + 1] - shard_.col_start[ju] + 1;
      if (since_check >= kStopCheckNonzeros) {
        since_check = 0;
        if (control.stop_requested()) {
          ++stamp_;  // derivatives cached at *z may be z_local_'s
          return 0;
        }
      }
    }
    for (std::size_t k = 0; k < mask_.size(); ++k) {
      const std::int32_t j = mask_[k];
      const auto ju = static_cast<std::size_t>(j);
      const double delta = step_[k] - w_local_[ju];
      w_local_[ju] = step_[k];
      if (delta != 0.0) {
        msg->index.push_back(j);
        msg->value.push_back(delta);
      }
    }
    if (local_steps_ > 1) ++stamp_;  // derivatives cached at z_local_ are not z_'s
    msg->header[1] = static_cast<std::int64_t>(mask_.size());
    return rows;
  }

 private:

  const Shard& shard_;
  const std::int32_t d_;
  const std::int64_t n_;
  const double inv_n_ = 1.0 / static_cast<double>(n_);
  const double gamma_, l1_, l2_, p_;
  const double pi_;
  const int local_steps_;
  data::Rng rng_;
  std::vector<double> w_copy_;   // the last w received from the master
  std::vector<double> w_local_;  // w_i
  kernels::SupportSet support_;  // supp(w_copy_)
  std::vector<double> z_;        // margins X_i w_copy_
  std::vector<double> row_loss_;
  double loss_sum_ = 0.0;
  double reg_sq_ = 0.0, reg_abs_ = 0.0;  // |w_copy_|^2, |w_copy_|_1
  std::vector<std::uint32_t> dirty_mark_;
  std::vector<std::int32_t> dirty_;
  std::uint32_t apply_id_ = 0;
  std::vector<double> deriv_;
  std::vector<std::uint64_t> deriv_stamp_;
  std::uint64_t stamp_ = 1;
  int since_refresh_ = 0;
  std::int64_t copy_exchange_ = 0;
  std::vector<std::int32_t> mask_;
  std::int64_t mask_nnz_ = 0;  // nonzeros of the shard in the mask's columns
  bool eager_ = false;         // derivatives of every row are current
  std::vector<std::int32_t> changed_;  // the last reply's changed coordinates
  std::vector<double> changed_delta_;
  std::int64_t changed_nnz_ = 0;
  std::vector<double> u_, step_, z_local_;
  std::vector<double> eval_z_;  // its margins on the shard
  std::int64_t messages_sent_ = 0;
};

// The master's state: w_bar, w = prox(w_bar), the recency list behind the
// incremental replies, counters and the restart safeguard.
class Master {
 public:
  // d, m: the data's features and rows (the master needs no rows of its own).
  Master(std::int32_t d, std::int64_t m, const Problem& problem, const Options& options,
         int workers, double gamma, const std::vector<double>& w_bar0)
      : d_(d),
        m_(m),
        problem_(problem),
        options_(options),
        pi_(static_cast<std::size_t>(workers), 0.0),
        workers_(workers),
        gamma_(gamma),
        threshold_(gamma * problem.l1),
        w_bar_(w_bar0),
        w_(static_cast<std::size_t>(d_), 0.0),
        good_w_bar_(w_bar0),
        changed_at_(static_cast<std::size_t>(d_), 0),
        older_(static_cast<std::size_t>(d_), -1),
        newer_(static_cast<std::size_t>(d_), -1),
        sync_tick_(static_cast<std::size_t>(workers_), 0),
        needs_reset_(static_cast<std::size_t>(workers_), false),
        last_objective_(static_cast<std::size_t>(workers_), std::numeric_limits<double>::quiet_NaN()),
        in_round_(static_cast<std::size_t>(workers_), false) {
    if (!options.reference_w.empty()) {
      if (options.reference_w.size() != static_cast<std::size_t>(d_)) {
        throw Error(ErrorKind::kInvalidOption,
                    "reference_w has " + std::to_string(options.reference_w.size()) +
                        " coordinates, the data has " + std::to_string(d_));
      }
      reference_support_.resize(static_cast<std::size_t>(d_));
      for (std::size_t j = 0; j < reference_support_.size(); ++j) {
        reference_support_[j] = options.reference_w[j] != 0.0;
      }
    }
    for (std::size_t j = 0; j < w_.size(); ++j) w_[j] = kernels::SoftThreshold(w_bar_[j], threshold_);
    for (std::size_t slot = 0; slot < 2; ++slot) {
      start_[slot] = w_bar_;  // the first "previous start" is the starting point
      mark_[slot].assign(static_cast<std::size_t>(d_), 0);
    }
    good_mark_.assign(static_cast<std::size_t>(d_), 0);
    RecountSupport();
  }

  // The workers' shard sizes, as they announced them: pi_i = |S_i| / m.
  void Begin(const std::vector<std::int64_t>& shard_rows) {
    for (std::size_t i = 0; i < pi_.size(); ++i) {
      pi_[i] = static_cast<double>(shard_rows[i]) / static_cast<double>(m_);
    }
  }
  const std::vector<double>& pi() const { return pi_; }

  const std::vector<double>& w() const { return w_; }
  const std::vector<double>& w_bar() const { return w_bar_; }
  std::int64_t messages_received() const { return exchanges_; }
  std::int64_t dropped() const { return dropped_; }
  std::int64_t rows() const { return rows_; }
  int restarts() const { return restarts_; }
  bool restarts_exhausted() const { return restarts_exhausted_; }

  runtime::Counters counters() const {
    runtime::Counters c;
    c.updates = rows_;
    c.epoch = static_cast<double>(rows_) / static_cast<double>(m_);
    c.exchanges = exchanges_;
    c.coords_sent = coords_sent_;
    c.bits_sent = bits_sent_;
    c.coords_returned = coords_returned_;
    c.bits_returned = bits_returned_;
    c.max_delay = max_delay_;
    return c;
  }

  // Applies a worker's message (unless it was computed before a restart) and
  // updates the round safeguard. Returns false when a restart was needed but
  // none are left.
  // Once the run is stopping no round is judged and nothing restarts: the
  // result was fixed when the stop was decided.
  engine::AbsorbResult Absorb(int worker, const engine::Packet& msg, bool stopping) {
    engine::AbsorbResult r;
    const auto i = static_cast<std::size_t>(worker);
    const auto n = static_cast<std::int64_t>(msg.index.size());
    const std::int64_t rows = msg.header[engine::kRowsSlot];
    ++exchanges_;
    coords_sent_ += n;
    bits_sent_ += MessageBits(n, d_);
    if (needs_reset_[i]) {
      ++dropped_;
      r.rows_returned = rows;  // computed on a reset point: its rows go back to the budget
      return r;
    }
    if (rows > 0) max_delay_ = std::max(max_delay_, exchanges_done_ - msg.header[0]);
    ++exchanges_done_;
    rows_ += rows;
    mask_coords_ += msg.header[1];
    const double pi = pi_[i];
    bool finite = true;
    for (std::size_t k = 0; k < msg.index.size(); ++k) {
      const std::int32_t j = msg.index[k];
      const auto ju = static_cast<std::size_t>(j);
      TrackWBar(j);
      w_bar_[ju] += pi * msg.value[k];
      // prox(NaN) would be 0 and hide a blow-up: check w_bar itself.
      finite = finite && std::isfinite(w_bar_[ju]);
      SetW(j, kernels::SoftThreshold(w_bar_[ju], threshold_));
    }
    if (stopping) return r;
    if (!finite) {
      r.diverged = !Restart();
      return r;
    }
    if (rows == 0) return r;  // an empty closing message
    last_objective_[i] = msg.scalars[0];
    if (!in_round_[i]) {
      in_round_[i] = true;
      if (++round_count_ == workers_) r.diverged = !EndRound();
    }
    return r;
  }

  // The reply to worker i's message: w's changes since its last copy, all
  // of w, or a reset.
  void Reply(int worker, engine::Packet* msg) {
    const auto i = static_cast<std::size_t>(worker);
    msg->ClearPayload();
    msg->header[0] = exchanges_done_;
    if (needs_reset_[i]) {
      needs_reset_[i] = false;
      msg->kind = kReset;
      msg->value.reserve(2 * w_.size());
      msg->value.assign(w_.begin(), w_.end());
      msg->value.insert(msg->value.end(), good_w_bar_.begin(), good_w_bar_.end());
      Count(d_, true);  // w and w_i: two dense vectors
      Count(d_, true);
    } else {
      // The coordinates changed since the worker's copy are a suffix of the
      // recency list: walk it back until the first older one, or until the
      // sparse message would be longer than the dense one (12 n > 8 d bytes).
      msg->kind = kChanges;
      const std::int64_t dense_limit = 2 * static_cast<std::int64_t>(d_) / 3;
      bool dense = false;
      for (std::int32_t j = newest_; j >= 0 && changed_at_[static_cast<std::size_t>(j)] > sync_tick_[i];
           j = older_[static_cast<std::size_t>(j)]) {
        if (static_cast<std::int64_t>(msg->index.size()) >= dense_limit) {
          dense = true;
          break;
        }
        msg->index.push_back(j);
        msg->value.push_back(w_[static_cast<std::size_t>(j)]);
      }
      if (dense) {
        msg->kind = kDense;
        msg->index.clear();
        msg->value.assign(w_.begin(), w_.end());
        Count(d_, true);
      } else {
        Count(static_cast<std::int64_t>(msg->index.size()), false);
      }
    }
    sync_tick_[i] = tick_;
  }

  // Puts w back to prox(good w_bar) and makes every worker restart from it.
  // Returns false if no restarts are left.
  bool Restart() {
    if (restarts_ >= options_.distributed.max_restarts) {
      restarts_exhausted_ = true;
      return false;
    }
    ++restarts_;
    ReturnToGoodPoint();
    std::fill(needs_reset_.begin(), needs_reset_.end(), true);
    round_count_ = 0;
    std::fill(in_round_.begin(), in_round_.end(), false);
    std::fill(last_objective_.begin(), last_objective_.end(), std::numeric_limits<double>::quiet_NaN());
    best_estimate_ = std::numeric_limits<double>::infinity();
    return true;
  }

  // w_bar := the good point, w := its prox (O(d); restarts and the end only).
  void ReturnToGoodPoint() {
    w_bar_ = good_w_bar_;
    for (std::int32_t j = 0; j < d_; ++j) {
      w_[static_cast<std::size_t>(j)] =
          kernels::SoftThreshold(w_bar_[static_cast<std::size_t>(j)], threshold_);
    }
    ResetHistory();
    RecountSupport();
  }

  void FillResult(Result* result) const {
    result->max_delay = max_delay_;
    result->mask_coords = mask_coords_;
    result->dropped_messages = dropped_;
    result->restarts = restarts_;
    result->identification_epoch =
        (!reference_support_.empty() && mismatch_ == 0) ? identified_epoch_
                                                        : std::numeric_limits<double>::quiet_NaN();
  }

 private:
  void SetW(std::int32_t j, double v) {
    const auto ju = static_cast<std::size_t>(j);
    const double old = w_[ju];
    if (v == old) return;
    w_[ju] = v;
    if (!reference_support_.empty() && (old != 0.0) != (v != 0.0)) {
      const bool was_ok = (old != 0.0) == reference_support_[ju];
      mismatch_ += was_ok ? 1 : -1;
      if (mismatch_ == 0) {
        identified_epoch_ = static_cast<double>(rows_) / static_cast<double>(m_);
      }
    }
    Touch(j);
  }

  // Moves j to the newest end of the recency list (O(1)).
  void Touch(std::int32_t j) {
    const auto ju = static_cast<std::size_t>(j);
    const bool listed = changed_at_[ju] != 0;
    changed_at_[ju] = ++tick_;
    if (newest_ == j) return;
    if (listed) {  // unlink (j is not the newest, so it has a newer neighbour)
      const std::int32_t o = older_[ju], n = newer_[ju];
      if (o >= 0) newer_[static_cast<std::size_t>(o)] = n;
      older_[static_cast<std::size_t>(n)] = o;
    }
    older_[ju] = newest_;
    newer_[ju] = -1;
    if (newest_ >= 0) newer_[static_cast<std::size_t>(newest_)] = j;
    newest_ = j;
  }

  // After w was replaced wholesale (start, restart).
  void RecountSupport() {
    if (reference_support_.empty()) return;
    const bool was_identified = mismatch_ == 0 && !std::isnan(identified_epoch_);
    mismatch_ = 0;
    for (std::size_t j = 0; j < w_.size(); ++j) {
      if ((w_[j] != 0.0) != reference_support_[j]) ++mismatch_;
    }
    if (mismatch_ == 0 && !was_identified) {
      identified_epoch_ = static_cast<double>(rows_) / static_cast<double>(m_);
    }
  }

  void Count(std::int64_t n, bool dense) {
    coords_returned_ += n;
    bits_returned_ += MessageBits(dense ? d_ : n, d_);
  }

  // Every worker has reported since the last check: the objective estimate
  // must not rise (paper 000, Section 4: stop and restart when it does).
  bool EndRound() {
    round_count_ = 0;
    std::fill(in_round_.begin(), in_round_.end(), false);
    // sum_i pi_i (f_i + l1 |.|_1) at each worker's latest copy of w.
    double estimate = 0.0;
    for (std::size_t i = 0; i < last_objective_.size(); ++i) {
      estimate += pi_[i] * last_objective_[i];
    }
    bool keep = std::isfinite(estimate);
    if (keep && !std::isfinite(best_estimate_)) {  // first round (after a start or restart)
      first_estimate_ = estimate;
    } else if (keep) {
      const double scale = std::max(std::fabs(best_estimate_), first_estimate_ - best_estimate_);
      keep = estimate <= best_estimate_ + kRiseTolerance * scale;
    }
    if (!keep) return Restart();
    if (!(estimate >= best_estimate_)) {
      // The estimate describes the copies the workers used in this round.
      // A worker's copy came with the reply to its previous message, sent
      // in this round or the one before (every worker reports once per
      // round), so the previous round's starting w_bar precedes them all:
      // that is the point to come back to. good := start of the previous
      // round, on the coordinates changed since the last good point only.
      best_estimate_ = estimate;
      for (const std::int32_t j : good_dirty_) {
        const auto ju = static_cast<std::size_t>(j);
        good_w_bar_[ju] = ValueAtPreviousStart(ju);
        good_mark_[ju] = 0;
      }
      good_dirty_.clear();
      for (const auto& list : dirty_) {
        for (const std::int32_t j : list) MarkGood(j);
      }
    }
    // Rotate: the current round becomes the previous one.
    cur_ = 1 - cur_;
    prev_id_ = cur_id_;
    cur_id_ = next_id_++;
    dirty_[static_cast<std::size_t>(cur_)].clear();
    return true;
  }

  // w_bar_j at the start of the previous round.
  double ValueAtPreviousStart(std::size_t j) const {
    const auto c = static_cast<std::size_t>(cur_), p = 1 - c;
    if (mark_[p][j] == prev_id_) return start_[p][j];
    if (mark_[c][j] == cur_id_) return start_[c][j];
    return w_bar_[j];
  }

  void MarkGood(std::int32_t j) {
    const auto ju = static_cast<std::size_t>(j);
    if (!good_mark_[ju]) {
      good_mark_[ju] = 1;
      good_dirty_.push_back(j);
    }
  }

  // Copy-on-write bookkeeping before w_bar_j changes: its value at the start
  // of the current round, and that it may differ from the good point. O(1),
  // so the restart safeguard never costs O(d) per round.
  void TrackWBar(std::int32_t j) {
    const auto ju = static_cast<std::size_t>(j);
    const auto c = static_cast<std::size_t>(cur_);
    if (mark_[c][ju] != cur_id_) {
      mark_[c][ju] = cur_id_;
      start_[c][ju] = w_bar_[ju];
      dirty_[c].push_back(j);
    }
    MarkGood(j);
  }

  // After w_bar was set to the good point: no history, nothing differs.
  void ResetHistory() {
    for (const std::int32_t j : good_dirty_) good_mark_[static_cast<std::size_t>(j)] = 0;
    good_dirty_.clear();
    prev_id_ = next_id_++;  // matches no mark: the previous start is the current one
    cur_id_ = next_id_++;
    dirty_[0].clear();
    dirty_[1].clear();
  }

  const std::int32_t d_;
  const std::int64_t m_;
  const Problem problem_;
  const Options& options_;
  std::vector<double> pi_;
  const int workers_;
  const double gamma_, threshold_;
  std::vector<double> w_bar_, w_, good_w_bar_;
  // Recency list of the coordinates of w by their last change: a doubly
  // linked list (older_/newer_, -1 = none) with tick stamps changed_at_;
  // sync_tick_[i] is the tick of worker i's last reply.
  std::uint64_t tick_ = 0;
  std::vector<std::uint64_t> changed_at_;
  std::vector<std::int32_t> older_, newer_;
  std::int32_t newest_ = -1;
  std::vector<std::uint64_t> sync_tick_;
  std::vector<bool> needs_reset_;
  std::vector<double> last_objective_;
  std::vector<bool> in_round_;
  int round_count_ = 0;
  double best_estimate_ = std::numeric_limits<double>::infinity();
  double first_estimate_ = 0.0;
  // Copy-on-write history of w_bar for the restart point. Two slots, the
  // current round's (cur_) and the previous one's: start_[s][j] is w_bar_j at
  // the round's start for every j changed since (mark_[s][j] == the round's
  // id), dirty_[s] lists them. good_dirty_: where w_bar may differ from
  // good_w_bar_.
  std::array<std::vector<double>, 2> start_;
  std::array<std::vector<std::uint64_t>, 2> mark_;
  std::array<std::vector<std::int32_t>, 2> dirty_;
  int cur_ = 0;
  std::uint64_t prev_id_ = 0;  // all marks start at 0: the first "previous start" is w_bar0
  std::uint64_t cur_id_ = 1;
  std::uint64_t next_id_ = 2;
  std::vector<char> good_mark_;
  std::vector<std::int32_t> good_dirty_;
  std::vector<bool> reference_support_;
  std::int64_t mismatch_ = 0;
  double identified_epoch_ = std::numeric_limits<double>::quiet_NaN();
  std::int64_t exchanges_ = 0;       // messages received (dropped ones included)
  std::int64_t exchanges_done_ = 0;  // messages applied
  std::int64_t rows_ = 0, coords_sent_ = 0, bits_sent_ = 0;
  std::int64_t coords_returned_ = 0, bits_returned_ = 0;
  std::int64_t max_delay_ = 0, dropped_ = 0, mask_coords_ = 0;
  int restarts_ = 0;
  bool restarts_exhausted_ = false;
};

// The step: Options::step, or 2 / (l2 + L) with L the largest shard
// smoothness (every worker's, under MPI reduced by the caller).
double SodaStep(const Options& options, const Problem& problem, double smoothness) {
  if (options.step > 0.0) return options.step;
  return smoothness > 0.0 ? 2.0 / (problem.l2 + smoothness) : 1.0;
}

// The start: w_bar0 whose prox is Options::initial_w (w_bar0_j = w_j +
// gamma l1 sign(w_j); 0 where w_j = 0), every worker's w_i = w_bar0 so the
// invariant w_bar = sum_i pi_i w_i holds from the start; and w0 = prox(w_bar0).
void StartingPoint(const Options& options, const Problem& problem, double gamma, std::int32_t d,
                   std::vector<double>* w_bar0, std::vector<double>* w0) {
  w_bar0->assign(static_cast<std::size_t>(d), 0.0);
  if (!options.initial_w.empty()) {
    const double t = gamma * problem.l1;
    for (std::size_t j = 0; j < w_bar0->size(); ++j) {
      const double v = options.initial_w[j];
      (*w_bar0)[j] = v > 0.0 ? v + t : (v < 0.0 ? v - t : 0.0);
    }
  }
  w0->resize(w_bar0->size());
  for (std::size_t j = 0; j < w0->size(); ++j) {
    (*w0)[j] = kernels::SoftThreshold((*w_bar0)[j], gamma * problem.l1);
  }
}

DistributedOptions EffectiveDistributed(const Options& options) {
  DistributedOptions dist = options.distributed;
  if (options.solver == SolverKind::kDavePg) dist.mask_p = 1.0;
  return dist;
}

// The master's side of a run, on any transport: rank 0 of `net`. `shape`
// has the data's rows and features (its arrays may be empty: under MPI the
// master holds no rows). `workers_done` is called after the master's loop
// (the threaded run joins its team there) and may turn the outcome.
template <class L>
Result RunMasterSide(engine::Transport& net, const Dataset& shape, const Problem& problem,
                     const Options& options, double gamma, double smoothness,
                     const std::function<void(engine::MasterOutcome*)>& workers_done,
                     const std::function<void(const Master&, engine::MasterLoop<Master>&)>& audit,
                     const std::function<bool()>& stop_check, const std::string& placement) {
  const int workers = net.size() - 1;
  const DistributedOptions dist = EffectiveDistributed(options);
  std::vector<double> w_bar0, w0;
  StartingPoint(options, problem, gamma, shape.num_cols, &w_bar0, &w0);
  Master master(shape.num_cols, shape.num_rows, problem, options, workers, gamma, w_bar0);
  runtime::Tracer tracer(shape, problem, options);
  engine::MasterLoop<Master> loop(net, master, tracer, options, shape.num_rows, shape.num_cols);
  loop.SetRegulariser(problem.l1, problem.l2);
  loop.SetPassesPerStep(dist.local_steps);
  if (stop_check) loop.SetStopCheck(stop_check);
  // A diverged run (or one stopped while w is not finite) hands back the
  // best round's point: chosen at the stop, so it is traced while every
  // worker can evaluate it.
  loop.SetOnStop([&master](Status status) {
    const bool finite = std::all_of(master.w().begin(), master.w().end(),
                                    [](double v) { return std::isfinite(v); });
    if (status == Status::kDiverged || !finite) master.ReturnToGoodPoint();
  });
  tracer.SetEvaluator([&loop](std::span<const double> w) { return loop.EvaluateOnWorkers(w); });
  engine::MasterOutcome outcome;
  const bool started = loop.Handshake();
  tracer.Begin(master.w());  // not evaluated when a worker never started: its shard is gone
  if (started) {
    loop.Go();
    outcome = loop.Run([&master](std::optional<Status> v) -> std::optional<Status> {
      if (v == Status::kDiverged) {
        return master.Restart() ? std::nullopt : std::optional<Status>(Status::kDiverged);
      }
      return v;
    });
  } else {
    outcome = loop.StopBeforeStart();
  }
  workers_done(&outcome);
  if (audit) audit(master, loop);
  if (outcome.worker_error) std::rethrow_exception(outcome.worker_error);

  std::optional<Status> verdict = outcome.verdict;
  std::vector<double> final_w = std::move(outcome.final_w);
  if (final_w.empty()) final_w = master.w();
  const bool finite = std::all_of(final_w.begin(), final_w.end(),
                                  [](double v) { return std::isfinite(v); });
  if (master.restarts_exhausted() || !finite) {
    // Back to the best round's point: diverged when restarts ran out;
    // otherwise (stopped while w was not finite) the verdict stands.
    if (master.restarts_exhausted()) verdict = Status::kDiverged;
    master.ReturnToGoodPoint();
    final_w = master.w();
  }
  Result result;
  result.step_used = gamma;
  result.master_busy = tracer.Seconds() > 0.0 ? std::min(1.0, outcome.busy_seconds / tracer.Seconds())
                                              : std::numeric_limits<double>::quiet_NaN();
  master.FillResult(&result);
  result.message = std::string(ToString(options.solver)) + ", " + std::to_string(workers) +
                   " workers" + placement + ", mask p " + runtime::ShortNumber(dist.mask_p) +
                   ", local steps " + std::to_string(dist.local_steps) + ", gamma " +
                   runtime::ShortNumber(gamma) +
                   (smoothness > 0.0 && !(options.step > 0.0)
                        ? " = 2/(mu+L), L " + runtime::ShortNumber(smoothness)
                        : "") +
                   ", restarts " + std::to_string(master.restarts()) + outcome.team_report;
  // Rows and epochs are those of the returned point (the stop decision);
  // the communication totals include the messages applied after it.
  runtime::Counters totals = loop.Counters(master.counters());
  if (outcome.final_counters && !master.restarts_exhausted()) {
    totals.updates = outcome.final_counters->updates;
    totals.epoch = outcome.final_counters->epoch;
  }
  tracer.Finish(verdict.value_or(Status::kMaxEpochs), final_w, totals, &result);
  return result;
}

// The threaded run: rank 0 is this thread, ranks 1..M a team (members 1..M
// of the fault plan) on a ThreadNetwork.
template <class L>
Result Run(const Dataset& data, const Problem& problem, const Options& options,
           SodaAudit* audit) {
  const int workers = options.threads;
  const DistributedOptions dist = EffectiveDistributed(options);
  std::vector<Shard> shards;
  shards.reserve(static_cast<std::size_t>(workers));
  for (auto& rows : MakeShards(data.num_rows, workers, dist.shard_skew, dist.shuffle_rows,
                               options.seed)) {
    shards.emplace_back(data, std::move(rows));
  }
  double smoothness = 0.0;
  if (!(options.step > 0.0)) {
    for (const Shard& s : shards) {
      smoothness = std::max(smoothness, ShardSmoothness(data, problem, s.rows, options.seed));
    }
  }
  const double gamma = SodaStep(options, problem, smoothness);
  std::vector<double> w_bar0, w0;
  StartingPoint(options, problem, gamma, data.num_cols, &w_bar0, &w0);
  std::vector<std::unique_ptr<Worker<L>>> worker_state;
  for (int i = 0; i < workers; ++i) {
    worker_state.push_back(std::make_unique<Worker<L>>(
        data.num_cols, shards[static_cast<std::size_t>(i)], problem, gamma, dist, options.seed, i, w_bar0, w0));
  }

  engine::ThreadNetwork net(workers + 1);
  runtime::Team team(TeamConfig(options, workers, /*first_id=*/1));
  team.Start([&](runtime::Member& member) {
    engine::RunWorker(net.endpoint(member.index() + 1), *worker_state[static_cast<std::size_t>(member.index())],
                      member, options.peer_timeout);
  });
  // The team's failure (a worker's error) stops the master too.
  auto joined = [&team](engine::MasterOutcome* outcome) { JoinTeamInto(team, outcome); };
  auto check = [&](const Master& master, engine::MasterLoop<Master>& loop) {
    if (audit == nullptr) return;
    *audit = SodaAudit{};
    audit->messages_received = master.messages_received();
    audit->rows_taken = loop.rows_granted();
    std::vector<double> mean(static_cast<std::size_t>(data.num_cols), 0.0);
    for (std::size_t i = 0; i < worker_state.size(); ++i) {
      audit->messages_sent += worker_state[i]->messages_sent();
      const std::vector<double>& wi = worker_state[i]->w_local();
      for (std::size_t j = 0; j < mean.size(); ++j) mean[j] += master.pi()[i] * wi[j];
    }
    for (std::size_t j = 0; j < mean.size(); ++j) {
      const double gap = std::fabs(master.w_bar()[j] - mean[j]);
      audit->invariant_gap = std::isnan(gap) ? gap : std::max(audit->invariant_gap, gap);
      if (std::isnan(audit->invariant_gap)) break;
      audit->w_bar_scale = std::max(audit->w_bar_scale, std::fabs(master.w_bar()[j]));
    }
    const engine::Traffic& t = net.endpoint(0).traffic();
    audit->master_bytes_received = t.bytes_received;
    for (int r = 1; r <= workers; ++r) audit->workers_bytes_sent += net.endpoint(r).traffic().bytes_sent;
  };
  try {
    return RunMasterSide<L>(net.endpoint(0), data, problem, options, gamma, smoothness, joined,
                            check, [&team] { return team.failed(); }, "");
  } catch (...) {
    team.StopAndJoinQuietly();
    throw;
  }
}

}  // namespace

std::vector<std::vector<std::int64_t>> MakeShards(std::int64_t rows, int workers, double skew,
                                                  bool shuffle, std::uint64_t seed) {
  std::vector<std::int64_t> order(static_cast<std::size_t>(rows));
  std::iota(order.begin(), order.end(), std::int64_t{0});
  if (shuffle) {
    data::Rng rng = data::Rng::ForStream(seed, kShardStream, 0);
    for (std::int64_t i = rows - 1; i > 0; --i) {
      const auto j = static_cast<std::int64_t>(rng.Below(static_cast<std::uint64_t>(i + 1)));
      std::swap(order[static_cast<std::size_t>(i)], order[static_cast<std::size_t>(j)]);
    }
  }
  const std::vector<std::int64_t> bounds = ShardBoundaries(rows, workers, skew);
  std::vector<std::vector<std::int64_t>> shards(static_cast<std::size_t>(workers));
  for (std::size_t i = 0; i < shards.size(); ++i) {
    shards[i].assign(order.begin() + bounds[i], order.begin() + bounds[i + 1]);
  }
  return shards;
}

double ShardSmoothness(const Dataset& data, const Problem& problem,
                       std::span<const std::int64_t> rows, std::uint64_t seed) {
  const auto d = static_cast<std::size_t>(data.num_cols);
  if (rows.empty() || d == 0) return problem.l2;
  data::Rng rng = data::Rng::ForStream(seed, kPowerStream, static_cast<std::uint64_t>(rows[0]));
  std::vector<double> v(d), next(d);
  for (double& x : v) x = rng.Uniform() + 0.5;  // positive start: not orthogonal to a
                                                // nonnegative top eigenvector
  std::vector<double> u(rows.size());
  double lambda = 0.0;
  constexpr int kMaxIterations = 200;
  for (int it = 0; it < kMaxIterations; ++it) {
    double norm = 0.0;
    for (const double x : v) norm += x * x;
    norm = std::sqrt(norm);
    if (!(norm > 0.0)) break;
    for (double& x : v) x /= norm;
    for (std::size_t r = 0; r < rows.size(); ++r) {
      const SparseRow row = data.row(rows[r]);
      double z = 0.0;
      for (std::int32_t k = 0; k < row.nnz; ++k) z += v[static_cast<std::size_t>(row.index[k])] * row.value[k];
      u[r] = z;
    }
    std::fill(next.begin(), next.end(), 0.0);
    for (std::size_t r = 0; r < rows.size(); ++r) {
      const SparseRow row = data.row(rows[r]);
      for (std::int32_t k = 0; k < row.nnz; ++k) next[static_cast<std::size_t>(row.index[k])] += u[r] * row.value[k];
    }
    double rayleigh = 0.0;  // v^T (X^T X) v with |v| = 1
    for (const double z : u) rayleigh += z * z;
    rayleigh /= static_cast<double>(rows.size());
    v.swap(next);
    const bool settled = std::fabs(rayleigh - lambda) <= 1e-6 * rayleigh;
    lambda = rayleigh;
    if (settled) break;
  }
  return CurvatureBound(problem.loss) * lambda * 1.01 + problem.l2;
}

double SodaMemoryBytes(const Dataset& data, const Options& options) {
  const double d = data.num_cols, m = static_cast<double>(data.num_rows);
  const double workers = options.threads;
  // Per worker: the shard's column index (d + 1 offsets), its copy of w and
  // w_i, the support set (two int32 arrays), about eight doubles per row of
  // the shard. Every nonzero once more in the column-major shards. The
  // master: w_bar, w, the good point, recency list (tick, two links), two
  // copy-on-write slots (value and mark), the marks; Tracer and Result.
  return workers * (8.0 * d + 16.0 * d + 8.0 * d) + 8.0 * 8.0 * m + 12.0 * static_cast<double>(data.nnz()) +
         (3.0 * 8.0 + 16.0 + 2.0 * 16.0 + 2.0) * d + 3.0 * 8.0 * d;
}

void CheckSoda(const Dataset& data, const Problem& problem, const Options& options) {
  if (problem.loss == Loss::kHinge) {
    throw Error(ErrorKind::kUnsupported,
                "solver " + std::string(ToString(options.solver)) +
                    " needs a smooth loss (logistic, squared-hinge, squared); use hogwild or "
                    "reference for hinge");
  }
  if (options.max_epochs < 1) {  // Solve checks it too; RunSoda is called directly in tests
    throw Error(ErrorKind::kInvalidOption,
                "max_epochs = " + std::to_string(options.max_epochs) + ": must be at least 1");
  }
  for (const Fault& f : options.faults) {
    if (f.member == 0 && f.kind == Fault::Kind::kCrash) {
      throw Error(ErrorKind::kUnsupported,
                  "fault " + ToString(f) + ": the master (member 0) cannot crash: somebody must "
                  "answer the workers; crash a worker (1.." + std::to_string(options.threads) +
                  "), or stall the master");
    }
  }
  if (options.threads > data.num_rows) {
    throw Error(ErrorKind::kInvalidOption,
                "threads = " + std::to_string(options.threads) + ": " +
                    std::string(ToString(options.solver)) + " needs at most one worker per row (" +
                    std::to_string(data.num_rows) + " rows)");
  }
}

namespace {

// A worker rank's shard: its part, shuffled by the seed as MakeShards
// shuffles the rows of a one-worker run.
std::vector<std::int64_t> PartRows(const Dataset& part, const Options& options) {
  return MakeShards(part.num_rows, 1, 0.0, options.distributed.shuffle_rows, options.seed)[0];
}

}  // namespace

double PartSmoothness(const Dataset& part, const Problem& problem, const Options& options) {
  if (options.step > 0.0) return 0.0;
  return ShardSmoothness(part, problem, PartRows(part, options), options.seed);
}

Result RunSodaMaster(engine::Transport& net, std::int64_t rows, std::int32_t cols,
                     const Problem& problem, const Options& options, double smoothness,
                     const std::string& placement) {
  Dataset shape;  // the master holds no rows: the data's shape only
  shape.num_rows = rows;
  shape.num_cols = cols;
  const double gamma = SodaStep(options, problem, smoothness);
  return kernels::DispatchLoss(problem.loss, [&](auto loss) {
    using L = decltype(loss);
    return RunMasterSide<L>(net, shape, problem, options, gamma, smoothness,
                            [](engine::MasterOutcome*) {}, {}, {}, placement);
  });
}

struct WorkerShard::Impl {
  Shard shard;
  std::int32_t cols;
};
WorkerShard::WorkerShard(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
WorkerShard::WorkerShard(WorkerShard&&) noexcept = default;
WorkerShard& WorkerShard::operator=(WorkerShard&&) noexcept = default;
WorkerShard::~WorkerShard() = default;

WorkerShard MakeWorkerShard(Dataset&& part, std::int64_t total_rows, const Options& options,
                            const PartReader& reread) {
  CheckLocalRows(part.num_rows);
  const std::int32_t cols = part.num_cols;
  std::vector<std::int64_t> order = PartRows(part, options);
  if (reread) {
    return WorkerShard(std::make_unique<WorkerShard::Impl>(
        WorkerShard::Impl{Shard(std::move(part), std::move(order), total_rows, reread), cols}));
  }
  return WorkerShard(std::make_unique<WorkerShard::Impl>(
      WorkerShard::Impl{Shard(std::move(part), std::move(order), total_rows), cols}));
}

void RunSodaWorker(engine::Transport& net, const WorkerShard& made, const Problem& problem,
                   const Options& options, double smoothness, int host_index, int host_workers) {
  const int rank = net.rank();
  const Shard& shard = made.impl().shard;
  const std::int32_t cols = made.impl().cols;
  kernels::DispatchLoss(problem.loss, [&](auto loss) {
    using L = decltype(loss);
    std::unique_ptr<Worker<L>> worker;
    // Everything before the worker's first message: a failure is sent to
    // the master, which would otherwise wait for a Hello that never comes.
    try {
      const double gamma = SodaStep(options, problem, smoothness);
      const DistributedOptions dist = EffectiveDistributed(options);
      std::vector<double> w_bar0, w0;
      StartingPoint(options, problem, gamma, cols, &w_bar0, &w0);
      worker = std::make_unique<Worker<L>>(cols, shard, problem, gamma, dist, options.seed, rank - 1, w_bar0, w0);
    } catch (const std::exception& e) {
      engine::SendFailure(net, e);
      throw;
    }
    // One member: the rank's compute thread; the calling thread waits for it.
    RunRankMember(net, options, host_index, host_workers, /*pin=*/true, [&](runtime::Member& member) {
      engine::RunWorker(net, *worker, member, options.peer_timeout);
    });
    return 0;
  });
}

Result RunSoda(const Dataset& data, const Problem& problem, const Options& options,
               SodaAudit* audit) {
  CheckSoda(data, problem, options);
  return kernels::DispatchLoss(problem.loss,
                               [&](auto loss) { return Run<decltype(loss)>(data, problem, options, audit); });
}

}  // namespace asyncopt::algorithms
