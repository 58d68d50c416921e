// A pausable wall clock: the solver clock that excludes objective evaluation.
#pragma once

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
