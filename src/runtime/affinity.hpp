// Which CPUs the solver's worker threads run on.
//
// Two workers on a 2-CPU machine should run on the two CPUs. The Linux
// scheduler may instead wake a worker on the CPU of the thread that woke it
// (the barrier between segments), and its load balancer moves it only
// milliseconds later: on rcv1-vw-small (svrg to 1e-6 in about 4.5 ms, a
// barrier every 0.4 ms) 2 unpinned workers took 4.3-4.9 ms (about the
// 1-thread time: both on one CPU) in 9 and 7 of 12 runs of two A/Bs, while
// pinned they took 3.41-3.70 ms in 24 of 24. So SegmentRunner pins worker k to the
// k-th CPU the calling thread may use, when there are at least as many such
// CPUs as workers (AsyncOptions::pin_workers), and restores the calling
// thread's own mask afterwards. Where the OS has no affinity call, nothing
// is pinned.
#pragma once

#include <vector>

namespace asyncopt::runtime {

// The CPUs the calling thread may run on, ascending; empty if unknown.
std::vector<int> AllowedCpus();

// The CPU the calling thread runs on now, or -1 if the OS does not say.
int CurrentCpu();

// Restricts the calling thread to `cpu`; false if the OS refused.
bool PinCurrentThread(int cpu);

// Saves the calling thread's affinity mask; restores it when destroyed.
class ScopedAffinity {
 public:
  ScopedAffinity();
  ~ScopedAffinity();
  ScopedAffinity(const ScopedAffinity&) = delete;
  ScopedAffinity& operator=(const ScopedAffinity&) = delete;

 private:
  std::vector<int> saved_;
};

}  // namespace asyncopt::runtime
