// Trace by snapshot, evaluated off the clock: a solver hands the tracer a copy
// of w at a trace point; the tracer pauses the solver clock, evaluates F,
// records a TracePoint, decides whether the run must stop (target reached,
// divergence, time limit, interruption) and resumes the clock.
#pragma once

#include <atomic>
#include <functional>
#include <limits>
#include <optional>
#include <span>
#include <vector>

#include "asyncopt/solver.hpp"
#include "runtime/stopwatch.hpp"

namespace asyncopt::runtime {

// Counters a solver reports at a trace point (those it does not produce stay 0).
struct Counters {
  double epoch = 0.0;
  std::int64_t updates = 0;
  std::int64_t exchanges = 0;
  std::int64_t coords_sent = 0;
  std::int64_t bits_sent = 0;
  std::int64_t conflicts = 0;
  std::int64_t coords_returned = 0;
  std::int64_t bits_returned = 0;
  std::int64_t max_delay = 0;
  double master_busy = 0.0;
  std::int64_t bytes_sent = 0;
  std::int64_t bytes_returned = 0;
  std::int64_t max_staleness = 0;
  double wait_fraction = 0.0;
  double batch_loss = std::numeric_limits<double>::quiet_NaN();
  double diameter = std::numeric_limits<double>::quiet_NaN();
  double max_distance = std::numeric_limits<double>::quiet_NaN();
  double worst_suboptimality = std::numeric_limits<double>::quiet_NaN();
  std::int64_t rounds_skipped = 0;
};

class Tracer {
 public:
  // Keeps references to `data` and `options` (they must outlive the tracer;
  // temporaries are rejected) and a copy of the small `problem`.
  Tracer(const Dataset& data, const Problem& problem, const Options& options);
  Tracer(const Dataset&&, const Problem&, const Options&) = delete;
  Tracer(const Dataset&, const Problem&, const Options&&) = delete;

  // Evaluates F where the data lives (the master/worker engine: the
  // workers' shards); by default Objective() on the whole data. nullopt:
  // F cannot be known now (a member holding part of the data is gone);
  // such a point is not traced and changes nothing.
  void SetEvaluator(std::function<std::optional<double>(std::span<const double>)> objective) {
    objective_ = std::move(objective);
  }

  // A metric of w on held-out data for every trace point (spars-ams: the
  // accuracy on Options::test), evaluated off the clock.
  void SetTestMetric(std::function<double(std::span<const double>)> metric) { test_metric_ = std::move(metric); }

  // Starts the solver clock and records the initial point w0 (epoch 0).
  void Begin(std::span<const double> w0);
  // Records a trace point for snapshot `w`. Returns the status that must end
  // the run now, if any (target reached, diverged, time limit, interrupted).
  std::optional<Status> Record(std::span<const double> w, const Counters& counters);
  // Cheap check without evaluating F: interruption or time limit.
  std::optional<Status> CheckLimits() const;
  // The stop rules at the end of an asynchronous segment: records `w` when
  // `record`, or when a worker stopped the segment early on the time limit
  // (`time_stopped`), then checks the limits. Returns the status that ends
  // the run, if any.
  std::optional<Status> EndSegment(bool record, bool time_stopped, std::span<const double> w,
                                   const Counters& counters);

  double Seconds() const { return clock_.Seconds(); }
  Stopwatch& clock() { return clock_; }
  const std::vector<TracePoint>& trace() const { return trace_; }
  // The last finite iterate seen and its objective.
  const std::vector<double>& best_finite_w() const { return last_finite_w_; }
  double last_finite_objective() const { return last_finite_objective_; }

  // Fills the common Result fields from the trace and the final point.
  void Finish(Status status, std::span<const double> w, const Counters& counters,
              Result* result);

 private:
  // Finite and not exploding (F at most 1e6 x the starting F): a point the
  // run may hand back.
  bool Acceptable(double objective, std::span<const double> w) const;
  TracePoint Evaluate(std::span<const double> w, const Counters& counters);
  // Calls Options::on_trace; a kStop reply makes CheckLimits (and so every
  // later Record) report kInterrupted.
  void Notify(const TracePoint& p);

  const Dataset& data_;
  const Problem problem_;
  const Options& options_;
  Stopwatch clock_;
  std::vector<TracePoint> trace_;
  std::vector<double> last_finite_w_;
  double last_finite_objective_ = 0.0;
  double initial_objective_ = 0.0;
  std::atomic<bool> callback_stop_{false};
  std::function<std::optional<double>(std::span<const double>)> objective_;
  std::function<double(std::span<const double>)> test_metric_;
  bool unknown_ = false;  // the last Evaluate could not know F
};

// Relative suboptimality (F - f*) / |f*| (/ 1 when f* = 0); NaN when f* is
// unknown (NaN): a trace writes it as an empty field, a summary as null.
double Suboptimality(double objective, double f_star);

}  // namespace asyncopt::runtime
