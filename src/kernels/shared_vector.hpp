// asyncopt kernels: the shared model, and the ONLY place in asyncopt where a
// racy access to it is spelled.
//
// Hogwild (Niu, Recht, Re, Wright 2011) lets threads read and write the model
// without locks. In C++ a plain racy load/store is undefined behaviour, so
// every access goes through std::atomic_ref<double> with relaxed ordering:
// on x86-64 a relaxed load or store of a double is an ordinary mov, the race
// becomes defined behaviour, and ThreadSanitizer sees atomics, not a data race.
//
// Write policies (chosen per run, a template parameter so the hot loop has no
// branch on it):
//   kWild    relaxed load + relaxed store: lost updates allowed (Hogwild).
//   kAtomic  lock-free add by compare-and-swap; failed CASes are counted as
//            conflicts.
//   kLocked  reader-writer locks on stripes of coordinates (one per
//            coordinate by default), Wangni et al.'s "locked read, which may
//            block other threads' writing to the same coordinate" (NeurIPS
//            2018, Section 4.2): a stripe is held shared while the margin
//            reads its coordinates, and exclusive while the message (after
//            sparsification) writes its coordinates; one stripe at a time.
//            So a sparsified message takes fewer exclusive locks, and
//            conflicts fall with its density. Waiting spins briefly, then
//            blocks in the kernel (std::atomic::wait), so a waiting thread
//            never burns a core.
//   kExclusive not a user choice: what every policy becomes with ONE worker.
//            While workers run, the model is then touched by that thread
//            alone (tracing and the other between-segment steps run behind
//            the segment runner's barrier), so there is no race to define
//            and nothing to guard: plain loads and stores (PlainRef), no
//            CAS, no locks. Same bits as kWild at one thread: a CAS of
//            w_j + delta on a value nobody else writes is that store.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <thread>
#include <vector>

#include "kernels/cache_line.hpp"

namespace asyncopt::kernels {

enum class WritePolicy { kWild, kAtomic, kLocked, kExclusive };

// Per-thread counters, alone on their cache line so workers never share one.
struct alignas(kCacheLine) WorkerCounters {
  std::int64_t updates = 0;         // rows whose gradient was computed
  std::int64_t coords_written = 0;  // coordinates written to the shared model
  std::int64_t conflicts = 0;       // CAS retries (kAtomic) or contended stripes (kLocked)
  std::int64_t lock_waits = 0;      // times a stripe lock had to block
  std::int64_t bits_sent = 0;       // coding length of sparsified messages
};

// kWild's conflict look, taken on one update in `every` (the first
// included). A look keeps each value the margin read and compares it with
// the value the write overwrites; on every update it cost about 7% of
// 2-thread throughput (bench/results/contention_notes.md). Each conflict a
// look finds counts `every` times, so the count is an estimate; every = 1
// counts all of them (as far as values tell: a write that leaves a value
// unchanged is not seen).
class ConflictSampler {
 public:
  explicit ConflictSampler(std::int64_t every) : every_(every) {}
  bool Look() {
    if (--until_look_ > 0) return false;
    until_look_ = every_;
    return true;
  }
  std::int64_t Scale(std::int64_t found) const { return found * every_; }

 private:
  std::int64_t every_;
  std::int64_t until_look_ = 1;
};

// A spin-wait hint to the core (PAUSE on x86): for the few rounds a waiter
// spins before it sleeps, and for bench/core_latency.hpp's hand-off probe.
inline void SpinPause() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// Relaxed atomic access to plain doubles: the one racy-access door.
inline double RelaxedLoad(const double& x) {
  return std::atomic_ref<const double>(x).load(std::memory_order_relaxed);
}
inline void RelaxedStore(double& x, double v) {
  std::atomic_ref<double>(x).store(v, std::memory_order_relaxed);
}

// Reader-writer stripe locks (kLocked). Coordinate j is guarded by stripe
// j / coords_per_stripe (a power of two; 1 = a lock per coordinate, as in
// Wangni et al.'s experiment). One 32-bit word per stripe: bit 31 = held
// exclusive, bit 30 = someone sleeps on the word, bits 0-29 = shared holders.
// Waiting spins briefly (with a pause), then blocks in the kernel
// (std::atomic::wait) so a waiting thread never burns a core.
class StripedLocks {
 public:
  static constexpr std::uint32_t kWriter = 1u << 31;
  static constexpr std::uint32_t kSleeper = 1u << 30;
  static constexpr std::uint32_t kReaders = kSleeper - 1;

  // coords_per_stripe = 0: no locks at all (the lock-free policies; a word
  // per coordinate would add half the model's memory for nothing).
  explicit StripedLocks(std::size_t n, std::size_t coords_per_stripe = 1)
      : shift_(Log2(coords_per_stripe)),
        stripes_(coords_per_stripe == 0 ? 0 : (n >> shift_) + 1),
        locks_(std::make_unique<std::atomic<std::uint32_t>[]>(stripes_)) {}
  std::size_t StripeOf(std::size_t j) const { return j >> shift_; }
  std::size_t num_stripes() const { return stripes_; }
  std::size_t coords_per_stripe() const { return std::size_t{1} << shift_; }

  // Shared: blocks only while a writer holds the stripe. Counts a conflict
  // when it had to wait for one (another reader is no conflict).
  void AcquireShared(std::size_t stripe, WorkerCounters& c) {
    std::atomic<std::uint32_t>& s = locks_[stripe];
    std::uint32_t v = s.load(std::memory_order_relaxed);
    while (!(v & kWriter)) {
      if (s.compare_exchange_weak(v, v + 1, std::memory_order_acquire,
                                  std::memory_order_relaxed)) {
        return;
      }
    }
    ++c.conflicts;
    Wait(s, c, [](std::uint32_t x) { return (x & kWriter) == 0; },
         [](std::uint32_t x) { return x + 1; });
  }
  void ReleaseShared(std::size_t stripe) {
    std::atomic<std::uint32_t>& s = locks_[stripe];
    const std::uint32_t v = s.fetch_sub(1, std::memory_order_release);
    if ((v & kReaders) == 1 && (v & kSleeper)) {  // the last reader, and a writer sleeps
      s.fetch_and(~kSleeper, std::memory_order_relaxed);
      s.notify_all();
    }
  }
  // Exclusive: waits for the writer and every reader to leave.
  void AcquireExclusive(std::size_t stripe, WorkerCounters& c) {
    std::atomic<std::uint32_t>& s = locks_[stripe];
    std::uint32_t v = 0;
    if (s.compare_exchange_strong(v, kWriter, std::memory_order_acquire,
                                  std::memory_order_relaxed)) {
      return;
    }
    ++c.conflicts;
    Wait(s, c, [](std::uint32_t x) { return (x & (kWriter | kReaders)) == 0; },
         [](std::uint32_t x) { return x | kWriter; });
  }
  void ReleaseExclusive(std::size_t stripe) {
    std::atomic<std::uint32_t>& s = locks_[stripe];
    if (s.fetch_and(~(kWriter | kSleeper), std::memory_order_release) & kSleeper) {
      s.notify_all();
    }
  }
  // The word of a stripe (tests).
  std::uint32_t State(std::size_t stripe) const {
    return locks_[stripe].load(std::memory_order_relaxed);
  }

 private:
  static int Log2(std::size_t n) {
    int k = 0;
    while ((std::size_t{1} << (k + 1)) <= n) ++k;
    return k;
  }
  // Slow path: retry while `can` fails, spinning 64 rounds, then sleep on
  // the word with the sleeper bit set; the releasing thread wakes sleepers.
  template <class Can, class Next>
  static void Wait(std::atomic<std::uint32_t>& s, WorkerCounters& c, Can can, Next next) {
    int spins = 0;
    for (;;) {
      std::uint32_t v = s.load(std::memory_order_relaxed);
      if (can(v)) {
        if (s.compare_exchange_weak(v, next(v), std::memory_order_acquire,
                                    std::memory_order_relaxed)) {
          return;
        }
        continue;
      }
      if (spins < 64) {
        ++spins;
        SpinPause();
        continue;
      }
      if (!(v & kSleeper)) {
        if (!s.compare_exchange_weak(v, v | kSleeper, std::memory_order_relaxed,
                                     std::memory_order_relaxed)) {
          continue;
        }
        v |= kSleeper;
      }
      ++c.lock_waits;
      s.wait(v, std::memory_order_relaxed);
    }
  }

  int shift_;
  std::size_t stripes_;
  std::unique_ptr<std::atomic<std::uint32_t>[]> locks_;
};

// The shared model: n doubles, read and written by many threads.
class SharedVector {
 public:
  explicit SharedVector(std::size_t n, std::size_t coords_per_stripe = 1)
      : values_(n, 0.0), locks_(n, coords_per_stripe) {}
  explicit SharedVector(std::span<const double> init, std::size_t coords_per_stripe = 1)
      : values_(init.begin(), init.end()), locks_(init.size(), coords_per_stripe) {}

  std::size_t size() const { return values_.size(); }
  double Load(std::size_t j) const { return RelaxedLoad(values_[j]); }
  void Store(std::size_t j, double v) { RelaxedStore(values_[j], v); }

  // The same relaxed accessors on a copy of the base pointer. A hot loop
  // holds one in a local: the compiler must assume an atomic store may
  // write any memory, so through `this` it reloads the vector's data
  // pointer (and every other pointer it reaches through memory) after each
  // store; a local copy stays in a register.
  class Ref {
   public:
    explicit Ref(double* p) : p_(p) {}
    double Load(std::size_t j) const { return RelaxedLoad(p_[j]); }
    void Store(std::size_t j, double v) const { RelaxedStore(p_[j], v); }
    // w_j <- f(w_j) by compare-and-swap; returns the failed attempts.
    template <class F>
    std::int64_t AtomicUpdate(std::size_t j, F&& f) const {
      std::atomic_ref<double> ref(p_[j]);
      double old = ref.load(std::memory_order_relaxed);
      std::int64_t retries = 0;
      while (!ref.compare_exchange_strong(old, f(old), std::memory_order_relaxed,
                                          std::memory_order_relaxed)) {
        ++retries;
      }
      return retries;
    }

   private:
    double* p_;
  };

  // Plain access, for kExclusive only (one thread touches the model while
  // workers run): the same interface as Ref without the atomics.
  class PlainRef {
   public:
    explicit PlainRef(double* p) : p_(p) {}
    double Load(std::size_t j) const { return p_[j]; }
    void Store(std::size_t j, double v) const { p_[j] = v; }
    template <class F>
    std::int64_t AtomicUpdate(std::size_t j, F&& f) const {
      p_[j] = f(p_[j]);
      return 0;
    }

   private:
    double* p_;
  };

  // The accessor of policy P: Ref (relaxed atomics), or PlainRef for kExclusive.
  template <WritePolicy P>
  auto access() {
    if constexpr (P == WritePolicy::kExclusive) {
      return PlainRef(values_.data());
    } else {
      return Ref(values_.data());
    }
  }

  StripedLocks& locks() { return locks_; }

  // A consistent-enough copy for tracing (relaxed loads, taken while workers
  // may still run: exactly what a Hogwild reader sees).
  void Snapshot(std::vector<double>& out) const {
    out.resize(values_.size());
    for (std::size_t j = 0; j < values_.size(); ++j) out[j] = Load(j);
  }

 private:
  std::vector<double> values_;
  StripedLocks locks_;
};

// kLocked's access pattern: for each run of consecutive positions [k, e) of
// an index list whose coordinates share a stripe, take that stripe (shared
// for kRead, exclusive for kWrite), call body(k, e), release it. A worker
// holds one stripe at a time, so there is no lock order to keep and no
// deadlock; a stripe is held only while its coordinates are read or written,
// so a sparsified message (fewer coordinates written) holds stripes for less
// time and meets fewer readers.
enum class LockMode { kRead, kWrite };

template <LockMode M, class Body>
inline void ForEachLockedRun(StripedLocks& locks, const std::int32_t* index, std::int32_t n,
                             WorkerCounters& c, Body&& body) {
  std::int32_t k = 0;
  while (k < n) {
    const std::size_t s = locks.StripeOf(static_cast<std::size_t>(index[k]));
    std::int32_t e = k + 1;
    while (e < n && locks.StripeOf(static_cast<std::size_t>(index[e])) == s) ++e;
    if constexpr (M == LockMode::kRead) {
      locks.AcquireShared(s, c);
      body(k, e);
      locks.ReleaseShared(s);
    } else {
      locks.AcquireExclusive(s, c);
      body(k, e);
      locks.ReleaseExclusive(s);
    }
    k = e;
  }
}

}  // namespace asyncopt::kernels
