// How much memory the process may still take, and the check that turns a
// run too large for the machine into a clear error before it allocates.
//
// A solver's arrays of size d (the number of features) or m (rows) are
// allocated in one go; when they cannot be had the process used to die with
// "out of memory" minutes into a run, or the kernel killed it. Solve and the
// command-line tool estimate the bytes first and compare them with what is
// available: the least of the memory the kernel reports available (plus free
// swap), the room left under RLIMIT_AS and RLIMIT_DATA (`ulimit -v`,
// `ulimit -d`), and the room left under the process's cgroup v2 limit
// (memory.max, as set by systemd, docker or a batch scheduler).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "asyncopt/dataset.hpp"

namespace asyncopt::runtime {

struct MemoryBudget {
  double bytes = 0.0;      // +inf when nothing is known
  std::string limited_by;  // e.g. "MemAvailable + SwapFree", "RLIMIT_AS (ulimit -v)"
};

MemoryBudget AvailableMemory();

// "1.50 GB", "12.0 MB", "512 bytes" (decimal units).
std::string FormatBytes(double bytes);

// Throws Error(kResource): "WHAT needs about X, but about Y are available
// (LIMIT). ADVICE" when `bytes` exceeds the budget (with a small margin
// for what the process holds besides). `advice` is called only then (it
// may cost a pass over the data); it may be empty. The environment variable
// ASYNCOPT_MEMORY_CHECK=off turns the check off (for a machine whose limits
// this reading gets wrong).
void RequireMemory(double bytes, const std::string& what,
                   const std::function<std::string()>& advice = {});

// What to do when a run's d-sized arrays do not fit: names d, where it comes
// from (the largest feature index, and its line when the reader recorded it)
// and, when far fewer features occur than d, column compaction. O(nnz).
std::string WidthAdvice(const Dataset& data);
// The same, to pass to RequireMemory (computed only on a refusal).
std::function<std::string()> WidthAdviceFor(const Dataset& data);

}  // namespace asyncopt::runtime
