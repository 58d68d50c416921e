// A pausable wall clock: the solver clock that excludes objective evaluation.
#pragma once

#include <algorithm>
#include <chrono>

namespace asyncopt::runtime {

class Stopwatch {
 public:
  using Clock = std::chrono::steady_clock;
  void Start() {
    if (!running_) {
      start_ = Clock::now();
      running_ = true;
    }
  }
  void Pause() {
    if (running_) {
      accumulated_ += Clock::now() - start_;
      running_ = false;
    }
  }
  // Takes `d` off the accumulated time (a hand-off between threads that
  // belongs to the pause around it, not to the solver), never below zero.
  void Discount(Clock::duration d) {
    if (d <= Clock::duration::zero()) return;
    if (running_) {
      // Move the start forward instead: the time since start shrinks by d.
      const Clock::time_point now = Clock::now();
      const Clock::duration since = now - start_;
      const Clock::duration from_start = std::min(d, since);
      start_ += from_start;
      d -= from_start;
    }
    accumulated_ -= std::min(d, accumulated_);
  }
  // Adds `d`: work that went on while the clock was paused (workers that
  // finished their step during a trace pause) belongs to the solver.
  void Credit(Clock::duration d) {
    if (d > Clock::duration::zero()) accumulated_ += d;
  }
  double Seconds() const {
    auto total = accumulated_;
    if (running_) total += Clock::now() - start_;
    return std::chrono::duration<double>(total).count();
  }

 private:
  Clock::time_point start_{};
  Clock::duration accumulated_{0};
  bool running_ = false;
};

}  // namespace asyncopt::runtime
