// DisSVRG and PetuumSGD under stale-synchronous parallelism (see dissvrg.hpp).
#include "algorithms/dissvrg.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "algorithms/async_common.hpp"
#include "algorithms/engine_common.hpp"
#include "algorithms/soda.hpp"
#include "asyncopt/error.hpp"
#include "data/random.hpp"
#include "engine/master_worker.hpp"
#include "engine/thread_transport.hpp"
#include "kernels/losses.hpp"
#include "runtime/format.hpp"
#include "runtime/team.hpp"
#include "runtime/tracer.hpp"

namespace asyncopt::algorithms {
namespace {

using Clock = std::chrono::steady_clock;


// A trainer looks for a stop this often (rows).
constexpr std::int64_t kStopCheckRows = 4096;
// The scale alpha of the trainer's iterate w = alpha u + beta g is folded
// into u when it falls below this (rare: alpha shrinks by 1 - eta l2 a step).
constexpr double kRescaleBelow = 1e-100;
// Adaptive m never grows past this many times the trainer's shard rows.
constexpr double kMaxGrowth = 64.0;
// Staleness histogram buckets: 0 .. kHistogramBuckets - 2, and one for the rest.
constexpr std::int64_t kHistogramBuckets = 65;
// Result::member_trace holds at most this many samples (thinned evenly).
constexpr std::size_t kMaxSamples = std::size_t{1} << 18;

// The protocol's message kinds on the engine.
//   kPush (trainer -> server): header[0] = the trainer's pushes so far,
//     this one included; header[1] = inner steps done; header[2] = 1 when
//     the payload has a model (0: a gradient-only first epoch, or an epoch
//     stopped before its gradient pass ended), header[kRowsSlot] = rows
//     computed; value = [the model part (d): w_p (average) or w_p - w~
//     (delta), when header[2]] [G_p (d), dissvrg, when it was completed:
//     scalars[0] = 1].
//   kModel (server -> trainer): header[0] = the staleness of this reply
//     (c_p - min_q c_q), header[1] = the trainer's m for its next epoch,
//     header[2] = the trainer's epochs the server has seen; value = [w (d)]
//     [sum_{q != p} G_q (d), dissvrg]. header[kGrantSlot]: the engine's grant.
enum SspKind : std::int32_t {
  kPush = engine::kFirstAlgorithmKind + 8,
  kModel,
};

bool Svrg(const Options& options) { return options.solver == SolverKind::kDisSvrg; }

// Server s owns coordinates [bounds[s], bounds[s + 1]) of w: S contiguous
// blocks of (nearly) equal size.
std::vector<std::size_t> BlockBounds(std::int32_t d, int servers) {
  std::vector<std::size_t> bounds;
  for (int s = 0; s <= servers; ++s) {
    bounds.push_back(static_cast<std::size_t>(static_cast<std::int64_t>(d) * s / servers));
  }
  return bounds;
}

// tau as an integer; inf, and anything no run could reach (>= 2^62), as
// "no bound".
constexpr std::int64_t kNoBound = std::numeric_limits<std::int64_t>::max() / 4;
std::int64_t Tau(const Options& options) {
  const double t = options.ssp.staleness;
  return t >= static_cast<double>(kNoBound) ? kNoBound : static_cast<std::int64_t>(t);
}

template <class L>
class Trainer {
 public:
  // `rows`: the trainer's shard, global row ids of `data`, in its order.
  Trainer(const Dataset& data, std::vector<std::int64_t> rows, std::int64_t total_rows,
          const Problem& problem, const Options& options, double eta0, double eta_cap, int id,
          const std::vector<double>& w0)
      : bounds_(BlockBounds(data.num_cols, options.ssp.servers)),
        servers_(options.ssp.servers),
        received_(options.ssp.servers),
        data_(data),
        rows_(std::move(rows)),
        n_(static_cast<std::int64_t>(rows_.size())),
        total_rows_(total_rows),
        d_(data.num_cols),
        l2_(problem.l2),
        svrg_(Svrg(options)),
        delta_rule_(options.ssp.aggregate == Aggregation::kDelta),
        accelerated_(Svrg(options) && options.ssp.step_rule == StepRule::kAccelerated),
        petuum_sqrt_(options.ssp.petuum_schedule == PetuumSchedule::kSqrt),
        eta0_(eta0),
        eta_cap_(eta_cap),
        m_(options.ssp.inner_steps > 0 ? options.ssp.inner_steps : std::max<std::int64_t>(1, n_)),
        rng_(data::Rng::ForStream(options.seed, kDisSvrgSampleStream, static_cast<std::uint64_t>(id))),
        anchor_(w0),
        u_(static_cast<std::size_t>(d_), 0.0),
        g_(static_cast<std::size_t>(d_), 0.0),
        own_(static_cast<std::size_t>(d_), 0.0),
        others_(static_cast<std::size_t>(d_), 0.0),
        deriv_(svrg_ ? static_cast<std::size_t>(n_) : 0, 0.0),
        xg_(svrg_ ? static_cast<std::size_t>(n_) : 0, 0.0),
        row_norm_(static_cast<std::size_t>(n_), 0.0) {
    for (std::int64_t k = 0; k < n_; ++k) {
      const SparseRow row = data_.row(rows_[static_cast<std::size_t>(k)]);
      double sq = 0.0;
      for (std::int32_t q = 0; q < row.nnz; ++q) sq += row.value[q] * row.value[q];
      row_norm_[static_cast<std::size_t>(k)] = std::sqrt(sq);
    }
  }

  std::int64_t shard_rows() const { return n_; }
  std::int64_t pushes() const { return pushes_; }
  // Every server's reply to the last push has arrived (block servers).
  bool Ready() const { return received_ >= servers_; }
  // The push's parts for block servers 1..S-1, sent with the master's.
  std::vector<std::pair<int, engine::Packet>>& Outbox() { return outbox_; }
  const std::vector<std::int64_t>& seen_staleness() const { return seen_staleness_; }

  double ShardLossSum(const engine::Packet& p) const {
    std::vector<double> w(static_cast<std::size_t>(d_), 0.0);
    if (p.sparse() || p.value.empty()) {
      for (std::size_t k = 0; k < p.index.size(); ++k) {
        const std::int32_t j = p.index[k];
        if (j < 0 || j >= d_) {
          throw std::runtime_error("a trace point's w has coordinate " + std::to_string(j) +
                                   " outside [0, " + std::to_string(d_) + ")");
        }
        w[static_cast<std::size_t>(j)] = p.value[k];
      }
    } else if (p.value.size() == static_cast<std::size_t>(d_)) {
      w.assign(p.value.begin(), p.value.end());
    } else {
      throw std::runtime_error("a trace point's w has " + std::to_string(p.value.size()) +
                               " values for " + std::to_string(d_) + " features");
    }
    double sum = 0.0;
    for (const std::int64_t r : rows_) {
      sum += L::Value(data_.labels[static_cast<std::size_t>(r)], Dot(data_.row(r), w));
    }
    return sum;
  }

  // The server's reply (or the engine's Go, which carries nothing: the
  // first epoch starts from w0).
  void Apply(const engine::Packet& reply) {
    if (reply.kind != kModel) return;
    const int s = reply.from;  // servers are ranks 0..S-1
    if (s < 0 || s >= servers_) throw std::runtime_error("a model reply from rank " + std::to_string(s) + ", not a server");
    const std::size_t lo = bounds_[static_cast<std::size_t>(s)], hi = bounds_[static_cast<std::size_t>(s) + 1];
    const std::size_t n = hi - lo;
    const std::size_t expect = svrg_ ? 2 * n : n;
    if (reply.value.size() != expect) {
      throw std::runtime_error("a model reply has " + std::to_string(reply.value.size()) +
                               " values, expected " + std::to_string(expect));
    }
    const auto block = reply.value.begin();
    // The reply to a gradient push keeps the anchor: the inner steps start
    // where this trainer's G was computed (the w it carries is ignored).
    if (!awaiting_inner_ &&
        !std::equal(block, block + static_cast<std::ptrdiff_t>(n), anchor_.begin() + static_cast<std::ptrdiff_t>(lo))) {
      std::copy(block, block + static_cast<std::ptrdiff_t>(n), anchor_.begin() + static_cast<std::ptrdiff_t>(lo));
      gradient_current_ = false;
    }
    if (svrg_) {
      std::copy(block + static_cast<std::ptrdiff_t>(n), reply.value.end(), others_.begin() + static_cast<std::ptrdiff_t>(lo));
      have_others_ = true;
    }
    ++received_;
    if (s == 0) {  // the master's reply: the schedule's record and the next m
      seen_staleness_.push_back(reply.header[0]);
      m_ = std::max<std::int64_t>(1, reply.header[1]);
      epochs_seen_ = reply.header[2];
    }
  }

  // One epoch (or the first, gradient-only one); `grant` is the engine's
  // permission, not a row count (an epoch is n_p + m rows for dissvrg, m for
  // petuum-sgd).
  std::int64_t Step(std::int64_t /*grant*/, const engine::StepControl& control, engine::Packet* out) {
    const auto d = static_cast<std::size_t>(d_);
    received_ = 0;
    out->kind = kPush;
    out->ClearPayload();
    std::int64_t rows = 0;
    bool stopped = false;
    auto stop_due = [&](std::int64_t done) {
      if (done % kStopCheckRows != kStopCheckRows - 1) return false;
      return control.stop_requested && control.stop_requested();
    };
    // 1. dissvrg: the shard's loss gradient at the anchor (skipped when the
    //    anchor has not moved since it was computed).
    bool computed = false;
    if (svrg_ && !gradient_current_) {
      computed = true;
      std::fill(own_.begin(), own_.end(), 0.0);
      for (std::int64_t k = 0; k < n_; ++k) {
        const std::int64_t r = rows_[static_cast<std::size_t>(k)];
        const SparseRow row = data_.row(r);
        const double a = L::Derivative(data_.labels[static_cast<std::size_t>(r)], Dot(row, anchor_));
        deriv_[static_cast<std::size_t>(k)] = a;
        if (a != 0.0) {
          for (std::int32_t q = 0; q < row.nnz; ++q) own_[static_cast<std::size_t>(row.index[q])] += a * row.value[q];
        }
        ++rows;
        if (stop_due(k)) {
          stopped = true;
          break;
        }
      }
      gradient_current_ = !stopped;
    }
    std::int64_t steps = 0;
    // dissvrg's epoch has two phases: a step that computed G pushes it
    // alone, and the next one (once the servers have every trainer's G of
    // this round, at tau = 0, or within tau rounds) runs the inner steps.
    const bool inner = !stopped && (!svrg_ || (have_others_ && !computed));
    awaiting_inner_ = svrg_ && computed && !stopped;
    if (inner) {
      // 2. The iterate w = alpha u + beta g, g = the loss part of mu.
      //    dissvrg: w <- (1 - eta l2) w - eta g - eta s x_i with s =
      //    loss'(x_i.w) - loss'(x_i.w~); petuum-sgd: g = 0, s = loss'(x_i.w).
      std::copy(anchor_.begin(), anchor_.end(), u_.begin());
      double alpha = 1.0, beta = 0.0;
      if (svrg_) {
        const double inv_n = 1.0 / static_cast<double>(total_rows_);
        for (std::size_t j = 0; j < d; ++j) g_[j] = (others_[j] + own_[j]) * inv_n;
        for (std::int64_t k = 0; k < n_; ++k) xg_[static_cast<std::size_t>(k)] = Dot(data_.row(rows_[static_cast<std::size_t>(k)]), g_);
      }
      const double eta_epoch = svrg_ ? eta0_ : PetuumStep();
      for (; steps < m_; ++steps) {
        const auto k = static_cast<std::size_t>(rng_.Below(static_cast<std::uint64_t>(n_)));
        const std::int64_t r = rows_[k];
        const SparseRow row = data_.row(r);
        const double y = data_.labels[static_cast<std::size_t>(r)];
        double z = alpha * Dot(row, u_);
        if (svrg_) z += beta * xg_[k];
        const double phi = L::Derivative(y, z);
        double eta = eta_epoch;
        if (accelerated_) eta = std::min(eta0_ + std::fabs(phi) * row_norm_[k], eta_cap_);
        const double s = svrg_ ? phi - deriv_[k] : phi;
        const double shrink = 1.0 - eta * l2_;
        alpha *= shrink;
        if (svrg_) beta = shrink * beta - eta;
        if (s != 0.0) {
          const double c = eta * s / alpha;
          for (std::int32_t q = 0; q < row.nnz; ++q) u_[static_cast<std::size_t>(row.index[q])] -= c * row.value[q];
        }
        if (std::fabs(alpha) < kRescaleBelow) {
          for (double& v : u_) v *= alpha;
          alpha = 1.0;
        }
        ++rows;
        if (stop_due(steps)) {
          ++steps;
          break;
        }
      }
      // 3. The model to push.
      model_.resize(d);
      for (std::size_t j = 0; j < d; ++j) {
        double w = alpha * u_[j];
        if (svrg_) w += beta * g_[j];
        model_[j] = delta_rule_ ? w - anchor_[j] : w;
      }
    }
    // Server s gets block s of the model and of G_p; the master's packet
    // alone counts the rows.
    ++pushes_;
    const bool gradient = svrg_ && gradient_current_;
    outbox_.clear();
    for (int s = 0; s < servers_; ++s) {
      engine::Packet extra;
      engine::Packet& p = s == 0 ? *out : extra;
      p.kind = kPush;
      const std::size_t lo = bounds_[static_cast<std::size_t>(s)], hi = bounds_[static_cast<std::size_t>(s) + 1];
      if (inner) p.value.insert(p.value.end(), model_.begin() + static_cast<std::ptrdiff_t>(lo), model_.begin() + static_cast<std::ptrdiff_t>(hi));
      if (gradient) p.value.insert(p.value.end(), own_.begin() + static_cast<std::ptrdiff_t>(lo), own_.begin() + static_cast<std::ptrdiff_t>(hi));
      p.header[0] = pushes_;
      p.header[1] = steps;
      p.header[2] = inner ? 1 : 0;
      p.scalars[0] = gradient ? 1.0 : 0.0;
      if (s > 0) outbox_.emplace_back(s, std::move(extra));
    }
    return rows;
  }

 private:
  static double Dot(const SparseRow& row, const std::vector<double>& w) {
    double z = 0.0;
    for (std::int32_t q = 0; q < row.nnz; ++q) z += row.value[q] * w[static_cast<std::size_t>(row.index[q])];
    return z;
  }

  // petuum-sgd's step for the trainer's coming epoch e (its model epochs so far).
  double PetuumStep() const {
    const auto e = static_cast<double>(epochs_seen_);
    return petuum_sqrt_ ? eta0_ / std::sqrt(e + 1.0) : eta0_ * std::pow(0.95, e);
  }

  const std::vector<std::size_t> bounds_;
  const int servers_;
  int received_;  // server replies since the last push
  std::vector<std::pair<int, engine::Packet>> outbox_;
  std::vector<double> model_;
  const Dataset& data_;
  const std::vector<std::int64_t> rows_;
  const std::int64_t n_;
  const std::int64_t total_rows_;
  const std::int32_t d_;
  const double l2_;
  const bool svrg_, delta_rule_, accelerated_, petuum_sqrt_;
  const double eta0_, eta_cap_;
  std::int64_t m_;
  data::Rng rng_;
  std::vector<double> anchor_;  // w~: the last model pulled (w0 at first)
  std::vector<double> u_, g_;   // the iterate's parts; g: the loss part of mu
  std::vector<double> own_;     // G_p at the anchor
  std::vector<double> others_;  // sum_{q != p} G_q, from the last reply
  std::vector<double> deriv_;   // loss'(x_i.w~) per shard row
  std::vector<double> xg_;      // x_i.g per shard row
  std::vector<double> row_norm_;
  bool gradient_current_ = false;  // own_ and deriv_ are at anchor_
  bool awaiting_inner_ = false;    // the last push was G alone: the inner steps come next
  bool have_others_ = false;
  std::int64_t pushes_ = 0;
  std::int64_t epochs_seen_ = 0;
  std::vector<std::int64_t> seen_staleness_;
};

// A server: its block [lo, hi) of w, the trainers' latest models of it
// (average) and their shard gradients on it (dissvrg), their push counts and
// the SSP rule. The master (server 0) also keeps the other blocks as the
// last snapshot gave them (trace points, the final point), decides m
// (adaptive m) and keeps the run's record (staleness, waiting, m over time).
class Server {
 public:
  Server(std::int32_t d, std::int64_t m, const Options& options, int trainers, int index,
         const std::vector<double>& w0, std::function<double()> seconds)
      : bounds_(BlockBounds(d, options.ssp.servers)),
        lo_(bounds_[static_cast<std::size_t>(index)]),
        hi_(bounds_[static_cast<std::size_t>(index) + 1]),
        m_(m),
        options_(options),
        trainers_(trainers),
        first_member_(options.ssp.servers),
        svrg_(Svrg(options)),
        average_(options.ssp.aggregate == Aggregation::kAverage),
        adaptive_(Svrg(options) && options.ssp.adaptive_m),
        tau_(Tau(options)),
        w_(w0),
        latest_(average_ ? static_cast<std::size_t>(trainers) : 0,
                std::vector<double>(w0.begin() + static_cast<std::ptrdiff_t>(lo_),
                                    w0.begin() + static_cast<std::ptrdiff_t>(hi_))),
        grad_(svrg_ ? static_cast<std::size_t>(trainers) : 0, std::vector<double>(hi_ - lo_, 0.0)),
        clock_(static_cast<std::size_t>(trainers), 0),
        epochs_(static_cast<std::size_t>(trainers), 0),
        pulls_(static_cast<std::size_t>(trainers), 0),
        m_of_(static_cast<std::size_t>(trainers), std::max(1, options.ssp.inner_steps)),
        shard_rows_(static_cast<std::size_t>(trainers), 1),
        arrived_(static_cast<std::size_t>(trainers), 0.0),
        wait_(static_cast<std::size_t>(trainers), 0.0),
        histogram_(static_cast<std::size_t>(kHistogramBuckets), 0),
        seconds_(std::move(seconds)) {}

  // The master: the trainers' shard sizes, from their Hello.
  void Begin(const std::vector<std::int64_t>& shard_rows) {
    for (std::size_t p = 0; p < m_of_.size(); ++p) {
      shard_rows_[p] = std::max<std::int64_t>(1, shard_rows[p]);
      m_of_[p] = options_.ssp.inner_steps > 0 ? options_.ssp.inner_steps : shard_rows_[p];
    }
  }

  const std::vector<double>& w() const { return w_; }
  std::int64_t absorbed() const { return absorbed_; }
  std::int64_t max_staleness() const { return max_staleness_; }
  const std::vector<std::int64_t>& Clocks() const { return clock_; }

  // A block server's snapshot: its block, appended.
  void Block(std::vector<double>* out) const {
    out->insert(out->end(), w_.begin() + static_cast<std::ptrdiff_t>(lo_), w_.begin() + static_cast<std::ptrdiff_t>(hi_));
  }
  // The master: block server b's snapshot ([clocks][block]).
  void TakeBlock(int b, const engine::Packet& p) {
    const std::size_t lo = bounds_[static_cast<std::size_t>(b)], hi = bounds_[static_cast<std::size_t>(b) + 1];
    if (p.value.size() != clock_.size() + (hi - lo)) {
      throw std::runtime_error("block server " + std::to_string(b) + "'s snapshot has " +
                               std::to_string(p.value.size()) + " values, expected " +
                               std::to_string(clock_.size() + (hi - lo)));
    }
    std::copy(p.value.begin() + static_cast<std::ptrdiff_t>(clock_.size()), p.value.end(),
              w_.begin() + static_cast<std::ptrdiff_t>(lo));
  }

  runtime::Counters counters() const {
    runtime::Counters c;
    c.updates = rows_;
    c.epoch = static_cast<double>(rows_) / static_cast<double>(m_);
    c.exchanges = absorbed_;
    c.max_delay = max_staleness_;
    c.max_staleness = max_staleness_;
    c.wait_fraction = WaitFraction(seconds_());
    return c;
  }

  engine::AbsorbResult Absorb(int trainer, const engine::Packet& msg, bool /*stopping*/) {
    Absorb(trainer, msg);
    return {};
  }
  void Absorb(int trainer, const engine::Packet& msg) {
    const auto p = static_cast<std::size_t>(trainer);
    const std::size_t n = hi_ - lo_;
    arrived_[p] = seconds_();  // the solver clock: trace points are not waiting
    ++absorbed_;
    rows_ += msg.header[engine::kRowsSlot];
    const bool model = msg.header[2] != 0;
    const bool gradient = msg.scalars[0] != 0.0;
    const std::size_t expect = (model ? n : 0) + (gradient ? n : 0);
    if (msg.value.size() != expect) {
      throw std::runtime_error("trainer " + std::to_string(trainer + 1) + "'s push has " +
                               std::to_string(msg.value.size()) + " values, expected " +
                               std::to_string(expect));
    }
    if (model) {
      ++epochs_[p];
      if (average_) {
        std::copy(msg.value.begin(), msg.value.begin() + static_cast<std::ptrdiff_t>(n), latest_[p].begin());
        // The mean in trainer order: the same value however pushes interleave.
        for (std::size_t j = 0; j < n; ++j) {
          double sum = 0.0;
          for (std::size_t q = 0; q < latest_.size(); ++q) sum += latest_[q][j];
          w_[lo_ + j] = sum / static_cast<double>(trainers_);
        }
      } else {
        const double share = 1.0 / static_cast<double>(trainers_);
        for (std::size_t j = 0; j < n; ++j) w_[lo_ + j] += msg.value[j] * share;
      }
    }
    if (gradient) {
      const std::size_t at = model ? n : 0;
      std::copy(msg.value.begin() + static_cast<std::ptrdiff_t>(at),
                msg.value.begin() + static_cast<std::ptrdiff_t>(at + n), grad_[p].begin());
    }
    clock_[p] = msg.header[0];
    // Section 5.2: a trainer that ends an epoch with another more than tau/2
    // epochs behind does more inner steps from now on (the master decides).
    // The epochs p had finished before this push are compared: right after
    // its push a trainer is always one ahead of those yet to push in the
    // round, which is no straggler.
    if (adaptive_ && model && tau_ < kNoBound) {
      const std::int64_t slowest = *std::min_element(epochs_.begin(), epochs_.end());
      if (2 * (epochs_[p] - 1 - slowest) > tau_) {
        const double cap = kMaxGrowth * static_cast<double>(shard_rows_[p]);
        const double grown = options_.ssp.m_delta > 0
                                 ? static_cast<double>(m_of_[p]) + options_.ssp.m_delta
                                 : std::ceil(1.05 * static_cast<double>(m_of_[p]));
        m_of_[p] = static_cast<std::int64_t>(std::min(grown, std::max(cap, static_cast<double>(m_of_[p]))));
      }
    }
  }

  // The SSP rule on pushes: dissvrg pushes twice an epoch (G, then the
  // model), so its trainers may be 2 tau pushes apart, tau epochs; at tau =
  // 0 every phase is bulk synchronous and mu is exact. No reply before
  // every trainer's first G.
  bool Ready(int trainer) const {
    const std::int64_t slowest = *std::min_element(clock_.begin(), clock_.end());
    if (svrg_ && slowest < 1) return false;
    if (tau_ == kNoBound) return true;
    return clock_[static_cast<std::size_t>(trainer)] - slowest <= (svrg_ ? 2 * tau_ : tau_);
  }

  void Reply(int trainer, engine::Packet* msg) {
    const auto p = static_cast<std::size_t>(trainer);
    const std::size_t n = hi_ - lo_;
    // Staleness in epochs: the trainer's finished epochs ahead of the slowest's.
    const std::int64_t staleness = epochs_[p] - *std::min_element(epochs_.begin(), epochs_.end());
    max_staleness_ = std::max(max_staleness_, staleness);
    ++histogram_[static_cast<std::size_t>(std::min(staleness, kHistogramBuckets - 1))];
    wait_[p] += std::max(0.0, seconds_() - arrived_[p]);
    ++pulls_[p];
    msg->kind = kModel;
    msg->ClearPayload();
    msg->header[0] = staleness;
    msg->header[1] = m_of_[p];
    msg->header[2] = epochs_[p];
    msg->value.reserve(svrg_ ? 2 * n : n);
    msg->value.assign(w_.begin() + static_cast<std::ptrdiff_t>(lo_), w_.begin() + static_cast<std::ptrdiff_t>(hi_));
    if (svrg_) {
      // The others' gradients summed in trainer order (p's own is skipped,
      // not subtracted: with one trainer the sum is exactly 0).
      msg->value.resize(2 * n, 0.0);
      double* sum = msg->value.data() + n;
      for (std::size_t q = 0; q < grad_.size(); ++q) {
        if (q == p) continue;
        for (std::size_t j = 0; j < n; ++j) sum[j] += grad_[q][j];
      }
    }
    // m over time: one sample per served pull, every other one kept each
    // time the record reaches kMaxSamples (a bounded record of any run).
    if (++served_ % sample_every_ == 0) {
      samples_.push_back({seconds_(), first_member_ + trainer, epochs_[p], m_of_[p], wait_[p]});
      if (samples_.size() >= kMaxSamples) {
        std::size_t kept = 0;
        for (std::size_t k = 1; k < samples_.size(); k += 2) samples_[kept++] = samples_[k];
        samples_.resize(kept);
        sample_every_ *= 2;
      }
    }
  }

  void FillResult(Result* result, double seconds) const {
    result->max_staleness = max_staleness_;
    result->max_delay = max_staleness_;
    result->wait_fraction = WaitFraction(seconds);
    std::int64_t last = 0;
    for (std::size_t s = 0; s < histogram_.size(); ++s) {
      if (histogram_[s] > 0) last = static_cast<std::int64_t>(s) + 1;
    }
    result->staleness_histogram.assign(histogram_.begin(), histogram_.begin() + last);
    result->members.clear();
    for (std::size_t p = 0; p < clock_.size(); ++p) {
      MemberStats s;
      s.member = first_member_ + static_cast<int>(p);
      s.epochs = epochs_[p];
      s.pushes = clock_[p];
      s.pulls = pulls_[p];
      s.wait_seconds = wait_[p];
      s.wait_fraction = seconds > 0.0 ? wait_[p] / seconds : 0.0;
      s.inner_steps = m_of_[p];
      result->members.push_back(s);
    }
    result->member_trace = samples_;
  }

 private:
  double WaitFraction(double seconds) const {
    double wait = 0.0;
    for (const double s : wait_) wait += s;
    return seconds > 0.0 ? wait / (seconds * trainers_) : 0.0;
  }

  const std::vector<std::size_t> bounds_;
  const std::size_t lo_, hi_;
  const std::int64_t m_;
  const Options& options_;
  const int trainers_;
  const int first_member_;  // the fault-plan number (rank) of trainer 0
  const bool svrg_, average_, adaptive_;
  const std::int64_t tau_;
  std::vector<double> w_;  // all of w; only [lo_, hi_) is this server's
  std::vector<std::vector<double>> latest_;
  std::vector<std::vector<double>> grad_;
  std::vector<std::int64_t> clock_;   // pushes absorbed per trainer
  std::vector<std::int64_t> epochs_;  // model pushes per trainer
  std::vector<std::int64_t> pulls_;
  std::vector<std::int64_t> m_of_;
  std::vector<std::int64_t> shard_rows_;
  std::vector<double> arrived_;  // solver seconds of each trainer's last push
  std::vector<double> wait_;
  std::vector<std::int64_t> histogram_;
  std::vector<MemberSample> samples_;
  std::function<double()> seconds_;
  std::int64_t rows_ = 0, absorbed_ = 0, max_staleness_ = 0;
  std::int64_t served_ = 0, sample_every_ = 1;
};

double LMax(const Dataset& data, const Problem& problem) {
  double max_sq = 0.0;
  for (std::int64_t i = 0; i < data.num_rows; ++i) {
    const SparseRow row = data.row(i);
    double sq = 0.0;
    for (std::int32_t k = 0; k < row.nnz; ++k) sq += row.value[k] * row.value[k];
    max_sq = std::max(max_sq, sq);
  }
  return kernels::CurvatureBound(problem.loss) * max_sq + problem.l2;
}

// The base step (Options::step, or the default from L_max) and the
// accelerated step's safeguard: never above 1 / (2 L_max), twice the
// default step (or the base step, if larger: then the rule adds nothing), so
// eta stays finite however large ||grad f_i(w)|| is. (Johnson and Zhang's
// analysis of SVRG asks eta < 1 / (4 L); the cap trades that guarantee for
// the speed the paper reports, and the tests check that runs still reach
// 1e-8.)
struct Steps {
  double eta0 = 0.0, cap = 0.0;
};
Steps StepsFor(const Options& options, double l_max) {
  Steps s;
  const double fallback = l_max > 0.0 ? (options.solver == SolverKind::kPetuumSgd ? 0.5 : 0.25) / l_max : 1.0;
  s.eta0 = options.step > 0.0 ? options.step : fallback;
  s.cap = std::max(s.eta0, l_max > 0.0 ? 0.5 / l_max : 1.0);
  return s;
}

std::vector<double> StartingPoint(const Options& options, std::int32_t d) {
  std::vector<double> w0 = options.initial_w;
  w0.resize(static_cast<std::size_t>(d), 0.0);
  return w0;
}

// The master's side (server 0 and the run's control) on any transport:
// rank 0 of `net`; ranks 1..S-1 the block servers, S.. the trainers.
// `shape` has the data's rows and features (under MPI the master holds no
// rows). `joined` runs after the master's loop (the threaded run joins its
// team there) and may turn the outcome; `audit` sees the server last.
Result RunServerSide(engine::Transport& net, const Dataset& shape, const Problem& problem, const Options& options,
                     double l_max, const std::function<void(engine::MasterOutcome*)>& joined,
                     const std::function<bool()>& stop_check, const std::function<void(const Server&)>& audit,
                     const std::string& placement) {
  const int servers = options.ssp.servers;
  const int trainers = net.size() - servers;
  const Steps steps = StepsFor(options, l_max);
  const std::vector<double> w0 = StartingPoint(options, shape.num_cols);
  runtime::Tracer tracer(shape, problem, options);
  Server server(shape.num_cols, shape.num_rows, options, trainers, 0, w0, [&tracer] { return tracer.Seconds(); });
  engine::MasterLoop<Server> loop(net, server, tracer, options, shape.num_rows, shape.num_cols, servers - 1);
  loop.SetRegulariser(problem.l1, problem.l2);
  loop.SetRole("trainer");
  if (stop_check) loop.SetStopCheck(stop_check);
  loop.SetSchedule([&server](int p) { return server.Ready(p); });
  tracer.SetEvaluator([&loop](std::span<const double> w) { return loop.EvaluateOnWorkers(w); });
  engine::MasterOutcome outcome = HandshakeAndRun(loop, tracer, server.w());
  joined(&outcome);
  if (audit) audit(server);
  if (outcome.worker_error) std::rethrow_exception(outcome.worker_error);
  std::vector<double> final_w = std::move(outcome.final_w);
  if (final_w.empty()) final_w = server.w();
  Result result;
  result.step_used = steps.eta0;
  result.master_busy = tracer.Seconds() > 0.0 ? std::min(1.0, outcome.busy_seconds / tracer.Seconds())
                                              : std::numeric_limits<double>::quiet_NaN();
  server.FillResult(&result, tracer.Seconds());
  const std::string tau = Tau(options) == kNoBound ? "inf" : std::to_string(Tau(options));
  result.message = std::string(ToString(options.solver)) + ", " + std::to_string(trainers) + " trainers, " +
                   std::to_string(servers) + (servers == 1 ? " server" : " servers") + placement + ", tau " + tau +
                   ", aggregate " + std::string(ToString(options.ssp.aggregate)) + ", eta " +
                   runtime::ShortNumber(steps.eta0) +
                   (Svrg(options) ? ", step rule " + std::string(ToString(options.ssp.step_rule))
                                  : ", schedule " + std::string(ToString(options.ssp.petuum_schedule))) +
                   outcome.team_report;
  FinishOutcome(loop, tracer, outcome, server.counters(), final_w, &result);
  return result;
}

// The threaded run: rank 0 is this thread, ranks 1.. a team (members 1.. of
// the fault plan) on a ThreadNetwork.
template <class L>
Result Run(const Dataset& data, const Problem& problem, const Options& options, SspAudit* audit) {
  const int trainers = options.threads;
  const int servers = options.ssp.servers;
  const double l_max = LMax(data, problem);
  const Steps steps = StepsFor(options, l_max);
  const std::vector<double> w0 = StartingPoint(options, data.num_cols);
  std::vector<std::unique_ptr<Trainer<L>>> state;
  int id = 0;
  for (auto& rows : MakeShards(data.num_rows, trainers, options.distributed.shard_skew,
                               options.distributed.shuffle_rows, options.seed)) {
    state.push_back(std::make_unique<Trainer<L>>(data, std::move(rows), data.num_rows, problem, options,
                                                 steps.eta0, steps.cap, id++, w0));
  }
  std::vector<std::unique_ptr<Server>> blocks;
  for (int b = 1; b < servers; ++b) {
    blocks.push_back(std::make_unique<Server>(data.num_cols, data.num_rows, options, trainers, b, w0,
                                              [] { return 0.0; }));  // block servers keep no record
  }
  engine::ThreadNetwork net(servers + trainers);
  runtime::Team team(TeamConfig(options, servers - 1 + trainers, /*first_id=*/1));
  team.Start([&](runtime::Member& member) {
    const int rank = member.index() + 1;
    if (rank < servers) {
      engine::RunBlockServer(net.endpoint(rank), *blocks[static_cast<std::size_t>(rank - 1)], member, servers,
                             options.peer_timeout);
    } else {
      engine::RunWorker(net.endpoint(rank), *state[static_cast<std::size_t>(rank - servers)], member,
                        options.peer_timeout);
    }
  });
  auto joined = [&team](engine::MasterOutcome* outcome) { JoinTeamInto(team, outcome); };
  auto check = [&](const Server& server) {
    if (audit == nullptr) return;
    *audit = SspAudit{};
    for (const auto& t : state) {
      audit->seen_staleness.push_back(t->seen_staleness());
      audit->pushes_sent += t->pushes();
    }
    audit->pushes_absorbed = server.absorbed();
    for (const auto& b : blocks) {
      audit->block_absorbed.push_back(b->absorbed());
      audit->block_max_staleness.push_back(b->max_staleness());
    }
  };
  try {
    return RunServerSide(net.endpoint(0), data, problem, options, l_max, joined, [&team] { return team.failed(); },
                         check, "");
  } catch (...) {
    team.StopAndJoinQuietly();
    throw;
  }
}

}  // namespace

double DisSvrgDefaultStep(const Dataset& data, const Problem& problem, SolverKind solver) {
  Options o;
  o.solver = solver;
  return StepsFor(o, LMax(data, problem)).eta0;
}

double PartLMax(const Dataset& part, const Problem& problem) { return LMax(part, problem); }

Result RunDisSvrgMaster(engine::Transport& net, std::int64_t rows, std::int32_t cols, const Problem& problem,
                        const Options& options, double l_max, const std::string& placement) {
  Dataset shape;  // the master holds no rows: the data's shape only
  shape.num_rows = rows;
  shape.num_cols = cols;
  return RunServerSide(net, shape, problem, options, l_max, [](engine::MasterOutcome*) {}, {}, {}, placement);
}

void RunDisSvrgBlockServer(engine::Transport& net, std::int64_t rows, std::int32_t cols, const Options& options) {
  const int servers = options.ssp.servers;
  const int trainers = net.size() - servers;
  std::unique_ptr<Server> server;
  try {
    server = std::make_unique<Server>(cols, rows, options, trainers, net.rank(), StartingPoint(options, cols),
                                      [] { return 0.0; });
  } catch (const std::exception& e) {
    engine::SendFailure(net, e);
    throw;
  }
  RunRankMember(net, options, 0, 1, /*pin=*/false, [&](runtime::Member& member) {
    engine::RunBlockServer(net, *server, member, servers, options.peer_timeout);
  });
}

void RunDisSvrgTrainer(engine::Transport& net, const Dataset& part, std::int64_t total_rows, const Problem& problem,
                       const Options& options, double l_max, int host_index, int host_trainers) {
  const int servers = options.ssp.servers;
  kernels::DispatchLoss(problem.loss, [&](auto loss) {
    using L = decltype(loss);
    std::unique_ptr<Trainer<L>> trainer;
    try {
      const Steps steps = StepsFor(options, l_max);
      // The part's rows in the order a one-trainer threaded run takes the
      // whole data: one trainer rank gives that run's iterates.
      std::vector<std::int64_t> order =
          MakeShards(part.num_rows, 1, 0.0, options.distributed.shuffle_rows, options.seed)[0];
      trainer = std::make_unique<Trainer<L>>(part, std::move(order), total_rows, problem, options, steps.eta0,
                                             steps.cap, net.rank() - servers, StartingPoint(options, part.num_cols));
    } catch (const std::exception& e) {
      engine::SendFailure(net, e);
      throw;
    }
    RunRankMember(net, options, host_index, host_trainers, /*pin=*/true, [&](runtime::Member& member) {
      engine::RunWorker(net, *trainer, member, options.peer_timeout);
    });
    return 0;
  });
}

void CheckDisSvrg(const Dataset& data, const Problem& problem, const Options& options) {
  const std::string name(ToString(options.solver));
  if (problem.loss == Loss::kHinge) {
    throw Error(ErrorKind::kUnsupported,
                "solver " + name + " needs a smooth loss (logistic, squared-hinge, squared)");
  }
  if (problem.l1 > 0.0) {
    throw Error(ErrorKind::kUnsupported,
                "solver " + name + " minimises smooth problems: l1 = " + runtime::ShortNumber(problem.l1) +
                    " is not supported (use svrg, soda or reference)");
  }
  if (options.threads > data.num_rows) {
    throw Error(ErrorKind::kInvalidOption,
                "threads = " + std::to_string(options.threads) + ": more trainers than the data's " +
                    std::to_string(data.num_rows) + " rows");
  }
  const int servers = options.ssp.servers;
  if (servers > data.num_cols) {
    throw Error(ErrorKind::kInvalidOption,
                "ssp.servers = " + std::to_string(servers) + ": more servers than the data's " +
                    std::to_string(data.num_cols) + " features (each owns a block of w)");
  }
  const std::string members = servers == 1 ? "0 (the server)" : "0.." + std::to_string(servers - 1) + " (the servers)";
  for (const Fault& f : options.faults) {
    if (f.member < servers && f.kind == Fault::Kind::kCrash) {
      throw Error(ErrorKind::kInvalidOption,
                  "fault " + ToString(f) + ": a server (members " + members + ") cannot crash; stall it");
    }
    if (f.member >= servers + options.threads) {
      throw Error(ErrorKind::kInvalidOption,
                  "fault " + ToString(f) + ": member " + std::to_string(f.member) +
                      " does not exist; this run's members are " + members + " and " +
                      std::to_string(servers) + ".." + std::to_string(servers + options.threads - 1) +
                      " (the trainers)");
    }
  }
}

double DisSvrgMemoryBytes(const Dataset& data, const Options& options) {
  const double d = data.num_cols, m = static_cast<double>(data.num_rows);
  const double t = std::max(1, options.threads);
  // Trainers: 6 dense vectors and 4 doubles per shard row; server: w, a
  // model and a gradient per trainer, the replies; the shards' row lists.
  const double s = std::max(1, options.ssp.servers);
  return t * 6.0 * 8.0 * d + 4.0 * 8.0 * m + 8.0 * m + (2.0 * t + 4.0) * 8.0 * d + s * 8.0 * d;
}

Result RunDisSvrg(const Dataset& data, const Problem& problem, const Options& options, SspAudit* audit) {
  CheckDisSvrg(data, problem, options);
  return kernels::DispatchLoss(problem.loss, [&](auto loss) {
    return Run<decltype(loss)>(data, problem, options, audit);
  });
}

}  // namespace asyncopt::algorithms
