#include "runtime/tracer.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace asyncopt::runtime {

// An objective this many times above the starting one is an exploding run.
constexpr double kExplosionFactor = 1e6;

double Suboptimality(double objective, double f_star) {
  if (std::isnan(f_star)) return std::numeric_limits<double>::quiet_NaN();
  const double denom = std::abs(f_star) > 0.0 ? std::abs(f_star) : 1.0;
  return (objective - f_star) / denom;
}

namespace {

// The counters a TracePoint and a Result share, copied in one place.
template <class T>
void CopyCounters(const Counters& c, T* out) {
  out->updates = c.updates;
  out->exchanges = c.exchanges;
  out->coords_sent = c.coords_sent;
  out->bits_sent = c.bits_sent;
  out->conflicts = c.conflicts;
  out->coords_returned = c.coords_returned;
  out->bits_returned = c.bits_returned;
  out->bytes_sent = c.bytes_sent;
  out->bytes_returned = c.bytes_returned;
}

}  // namespace

Tracer::Tracer(const Dataset& data, const Problem& problem, const Options& options)
    : data_(data), problem_(problem), options_(options) {}

TracePoint Tracer::Evaluate(std::span<const double> w, const Counters& counters) {
  TracePoint p;
  p.epoch = counters.epoch;
  CopyCounters(counters, &p);
  unknown_ = false;
  if (objective_) {
    const std::optional<double> f = objective_(w);
    unknown_ = !f.has_value();
    p.objective = f.value_or(std::numeric_limits<double>::quiet_NaN());
  } else {
    p.objective = Objective(data_, problem_, w, options_.threads);
  }
  // After the objective: an evaluator may credit the clock with work done
  // meanwhile (the master/worker engine's steps ending during the pause).
  p.seconds = clock_.Seconds();
  p.suboptimality = Suboptimality(p.objective, options_.f_star);
  p.nnz_w = CountNonzeros(w);
  p.max_delay = counters.max_delay;
  p.master_busy = counters.master_busy;
  p.max_staleness = counters.max_staleness;
  p.wait_fraction = counters.wait_fraction;
  p.batch_loss = counters.batch_loss;
  p.diameter = counters.diameter;
  p.max_distance = counters.max_distance;
  p.worst_suboptimality = counters.worst_suboptimality;
  p.rounds_skipped = counters.rounds_skipped;
  if (test_metric_) p.test_accuracy = test_metric_(w);
  return p;
}

bool Tracer::Acceptable(double objective, std::span<const double> w) const {
  const bool finite =
      std::isfinite(objective) && std::all_of(w.begin(), w.end(), [](double v) { return std::isfinite(v); });
  return finite && objective <= kExplosionFactor * std::max(1.0, std::abs(initial_objective_));
}

void Tracer::Begin(std::span<const double> w0) {
  const TracePoint p = Evaluate(w0, {});
  initial_objective_ = p.objective;
  last_finite_objective_ = p.objective;
  last_finite_w_.assign(w0.begin(), w0.end());
  trace_.push_back(p);
  Notify(p);
  clock_.Start();
}

void Tracer::Notify(const TracePoint& p) {
  if (options_.on_trace && options_.on_trace(p) == TraceReply::kStop) {
    callback_stop_.store(true, std::memory_order_relaxed);
  }
}

std::optional<Status> Tracer::CheckLimits() const {
  if (options_.stop != nullptr && options_.stop->load(std::memory_order_relaxed)) {
    return Status::kInterrupted;
  }
  if (callback_stop_.load(std::memory_order_relaxed)) return Status::kInterrupted;
  if (clock_.Seconds() >= options_.max_seconds) return Status::kTimeLimit;
  return std::nullopt;
}

std::optional<Status> Tracer::Record(std::span<const double> w, const Counters& counters) {
  clock_.Pause();
  const TracePoint p = Evaluate(w, counters);
  if (unknown_) {  // F cannot be known now: no point, no verdict of its own
    std::optional<Status> verdict = CheckLimits();
    clock_.Start();
    return verdict;
  }
  trace_.push_back(p);
  Notify(p);
  std::optional<Status> verdict;
  if (!Acceptable(p.objective, w)) {
    verdict = Status::kDiverged;
  } else {
    last_finite_w_.assign(w.begin(), w.end());
    last_finite_objective_ = p.objective;
    if (options_.target_subopt > 0.0 && !std::isnan(options_.f_star) &&
        p.suboptimality <= options_.target_subopt) {
      verdict = Status::kTargetReached;
    }
  }
  if (!verdict) verdict = CheckLimits();
  clock_.Start();
  return verdict;
}

std::optional<Status> Tracer::EndSegment(bool record, bool time_stopped,
                                         std::span<const double> w, const Counters& counters) {
  if (record || time_stopped) {
    if (auto verdict = Record(w, counters)) return verdict;
    if (time_stopped) return Status::kTimeLimit;
  }
  return CheckLimits();
}

void Tracer::Finish(Status status, std::span<const double> w, const Counters& counters,
                    Result* result) {
  clock_.Pause();
  result->status = status;
  // The last trace point describes w if the solver recorded this very w;
  // otherwise (a solver may hand back another point, e.g. SODA's restart
  // point) evaluate the final iterate now (off the clock).
  TracePoint last = trace_.back();
  const bool recorded = last.updates == counters.updates && last.epoch == counters.epoch &&
                        std::equal(w.begin(), w.end(), last_finite_w_.begin(), last_finite_w_.end());
  if (!recorded) {
    last = Evaluate(w, counters);
    last.seconds = clock_.Seconds();
    if (unknown_) {
      // F of the final point cannot be known (the data is gone with a
      // member): the last traced point stands, with its objective.
    } else if (Acceptable(last.objective, w)) {
      trace_.push_back(last);
      if (options_.on_trace) options_.on_trace(last);  // the last point: its reply changes nothing
      last_finite_w_.assign(w.begin(), w.end());
      last_finite_objective_ = last.objective;
    } else if (status != Status::kInterrupted && status != Status::kPeerLost) {
      // (Interrupted or lost, the final point may be unknown: a member
      // holding part of the data is gone. The last finite point stands.)
      result->status = Status::kDiverged;
    }
  }
  // Never hand out non-finite weights: fall back to the last finite iterate.
  result->w = last_finite_w_;
  result->objective = last_finite_objective_;
  result->f_star = options_.f_star;
  result->suboptimality = Suboptimality(result->objective, options_.f_star);
  result->nnz_w = CountNonzeros(result->w);
  result->epochs = counters.epoch;
  result->seconds = clock_.Seconds();
  CopyCounters(counters, result);
  result->threads_used = options_.threads;
  result->trace = trace_;
}

}  // namespace asyncopt::runtime
