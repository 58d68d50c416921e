// The contention sweep (asyncopt contention): how far apart the host placed this machine's two cores, measured as
// the round trip of one cache line between two threads.
//
// Hogwild at 2 threads on flat (low-contention) data is bound by such
// transfers: about half of the model lines a worker touches were last
// written by the other core. On this 2-vCPU VM the host moves the vCPUs:
// in the 3b27dcd contention sweep (2026-11-22) this probe read 47-74 ns in
// most rounds and 398-483 ns in stretches of about 15 s, and in those far
// rounds hogwild at 2 threads ran at 0.58-0.65x of 1 thread on svm-wangni
// and 0.27-0.36x on sector.scale, while two independent loops (nothing
// shared) kept about 2x. The contention benchmark records the round trip
// next to every round so a scaling figure can be read against the placement
// it was measured on.
//
// This is the one place in asyncopt where a thread spins waiting for
// another: the spin hand-off IS the quantity measured, so it cannot block in
// the kernel. It is bounded: round trips are made in blocks of 256 until
// `max_trips` is reached (so up to 255 more) or `max_seconds` of wall time
// pass, whichever comes first; with the other thread descheduled
// (an oversubscribed machine) it stops at the time cap and reports the slow
// round trips it saw.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>
#include <thread>

#include "kernels/cache_line.hpp"
#include "kernels/shared_vector.hpp"  // SpinPause

namespace asyncopt::tools {

struct CoreLatency {
  double round_trip_ns = 0.0;  // wall time per round trip; NaN if none completed
  std::int64_t trips = 0;      // round trips completed before a cap
};

inline CoreLatency MeasureCoreRoundTrip(std::int64_t max_trips = 20000, double max_seconds = 0.05) {
  // Alone on its line, so the round trip is one line moving, not two.
  struct alignas(kernels::kCacheLine) Line {
    std::atomic<std::int64_t> value{0};
  };
  Line ball;
  std::atomic<bool> quit{false};
  using Clock = std::chrono::steady_clock;
  const auto deadline =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(max_seconds));
  CoreLatency out;
  {
    // The partner answers every odd value v with v + 1.
    std::jthread partner([&] {
      for (std::int64_t expect = 1;; expect += 2) {
        while (ball.value.load(std::memory_order_acquire) != expect) {
          if (quit.load(std::memory_order_relaxed)) return;
          kernels::SpinPause();
        }
        ball.value.store(expect + 1, std::memory_order_release);
      }
    });
    // Let the partner start (thread creation is not part of a round trip).
    ball.value.store(1, std::memory_order_release);
    while (ball.value.load(std::memory_order_acquire) != 2 && Clock::now() < deadline) {
      kernels::SpinPause();
    }
    // Timed in blocks of kBlock round trips; a block cut short by the time
    // cap is not counted, so a late partner cannot stretch the figure.
    constexpr std::int64_t kBlock = 256;
    const auto t0 = Clock::now();
    auto t_done = t0;
    std::int64_t done = 0, served = 1;
    bool late = ball.value.load(std::memory_order_acquire) != 2;
    while (!late && done < max_trips) {
      for (std::int64_t b = 0; b < kBlock && !late; ++b) {
        const std::int64_t serve = 2 * served + 1;
        ball.value.store(serve, std::memory_order_release);
        for (std::int64_t spins = 0; ball.value.load(std::memory_order_acquire) != serve + 1;
             ++spins) {
          if ((spins & 1023) == 1023 && Clock::now() >= deadline) {
            late = true;
            break;
          }
          kernels::SpinPause();
        }
        ++served;
      }
      if (late) break;
      done += kBlock;
      t_done = Clock::now();
      if (t_done >= deadline) break;
    }
    quit.store(true, std::memory_order_relaxed);
    out.trips = done;
    out.round_trip_ns = done > 0 ? 1e9 * std::chrono::duration<double>(t_done - t0).count() /
                                       static_cast<double>(done)
                                 : std::numeric_limits<double>::quiet_NaN();
  }  // the partner sees `quit` and is joined here
  return out;
}

}  // namespace asyncopt::tools
