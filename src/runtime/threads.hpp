// Starting a solver's threads all at once, or none.
//
// A solver's threads meet at barriers and in mailboxes: a thread that was
// started while a later one could not be created (the process's thread
// limit, memory for stacks) would wait forever for a partner that never
// comes. StartedThreads creates every thread first and lets them run their
// body only when all exist; when one cannot be created, the ones already
// created are released without running the body, joined, and the caller
// gets Error(kResource) naming the thread, the count asked for and the
// system's reason.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace asyncopt::runtime {

class StartedThreads {
 public:
  // Starts `count` threads running body(k), k = 0 .. count - 1, once all of
  // them exist. `role` names them in the error ("worker", "helper").
  // `total` is the team size reported in the message (the calling thread may
  // be one of the team: total >= count).
  StartedThreads(int count, std::function<void(int)> body, std::string role, int total);
  // Joins every thread.
  ~StartedThreads();
  StartedThreads(const StartedThreads&) = delete;
  StartedThreads& operator=(const StartedThreads&) = delete;

 private:
  enum : int { kPending = 0, kGo = 1, kAbort = 2 };
  std::function<void(int)> body_;
  std::atomic<int> gate_{kPending};
  std::vector<std::jthread> threads_;
};

namespace testing {
// Makes the creation of the k-th thread (0-based, counted over every
// StartedThreads of the process from now on) fail as if the system refused
// it (EAGAIN). k < 0 switches it off. For tests of the failure path only.
void FailThreadCreation(int k);
}  // namespace testing

}  // namespace asyncopt::runtime
