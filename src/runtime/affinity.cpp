#include "runtime/affinity.hpp"

#if defined(__linux__)
#include <pthread.h>
#include <sched.h>
#endif

namespace asyncopt::runtime {

#if defined(__linux__)

namespace {

bool SetMask(const std::vector<int>& cpus) {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int c : cpus) {
    if (c >= 0 && c < CPU_SETSIZE) CPU_SET(c, &set);
  }
  return pthread_setaffinity_np(pthread_self(), sizeof(set), &set) == 0;
}

}  // namespace

std::vector<int> AllowedCpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (pthread_getaffinity_np(pthread_self(), sizeof(set), &set) != 0) return cpus;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (CPU_ISSET(c, &set)) cpus.push_back(c);
  }
  return cpus;
}

bool PinCurrentThread(int cpu) { return SetMask({cpu}); }

int CurrentCpu() { return ::sched_getcpu(); }

ScopedAffinity::ScopedAffinity() : saved_(AllowedCpus()) {}

ScopedAffinity::~ScopedAffinity() {
  if (!saved_.empty()) SetMask(saved_);
}

#else

std::vector<int> AllowedCpus() { return {}; }
bool PinCurrentThread(int) { return false; }
int CurrentCpu() { return -1; }
ScopedAffinity::ScopedAffinity() = default;
ScopedAffinity::~ScopedAffinity() = default;

#endif

}  // namespace asyncopt::runtime
