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
//   kLocked  striped locks guarding blocks of coordinates (Wangni et al.'s
//            "locked read"): a writer holds the stripes its row touches, in
//            increasing order (no deadlock), readers take them too. Waiting
//            spins briefly, then blocks in the kernel (std::atomic::wait),
//            so a waiting thread never burns a core.
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

namespace asyncopt::kernels {

enum class WritePolicy { kWild, kAtomic, kLocked, kExclusive };

// Per-thread counters, alone on their cache line so workers never share one.
struct alignas(64) WorkerCounters {
  std::int64_t updates = 0;         // rows whose gradient was computed
  std::int64_t coords_written = 0;  // coordinates written to the shared model
  std::int64_t conflicts = 0;       // CAS retries (kAtomic) or contended stripes (kLocked)
  std::int64_t lock_waits = 0;      // times a stripe lock had to block
  std::int64_t bits_sent = 0;       // coding length of sparsified messages
};

// Relaxed atomic access to plain doubles: the one racy-access door.
inline double RelaxedLoad(const double& x) {
  return std::atomic_ref<const double>(x).load(std::memory_order_relaxed);
}
inline void RelaxedStore(double& x, double v) {
  std::atomic_ref<double>(x).store(v, std::memory_order_relaxed);
}

// Striped locks: coordinate j is guarded by stripe j >> shift.
class StripedLocks {
 public:
  explicit StripedLocks(std::size_t n, int coords_per_stripe_log2 = 6)
      : shift_(coords_per_stripe_log2),
        stripes_((n >> coords_per_stripe_log2) + 1),
        locks_(std::make_unique<Lock[]>(stripes_)) {}
  std::size_t StripeOf(std::size_t j) const { return j >> shift_; }
  std::size_t num_stripes() const { return stripes_; }

  // Returns true if the lock was contended.
  bool Acquire(std::size_t stripe, WorkerCounters& c) {
    std::atomic<std::uint32_t>& s = locks_[stripe].state;
    std::uint32_t expected = 0;
    if (s.compare_exchange_strong(expected, 1, std::memory_order_acquire,
                                  std::memory_order_relaxed)) {
      return false;
    }
    ++c.conflicts;
    for (int spin = 0; spin < 64; ++spin) {
      expected = 0;
      if (s.load(std::memory_order_relaxed) == 0 &&
          s.compare_exchange_weak(expected, 1, std::memory_order_acquire,
                                  std::memory_order_relaxed)) {
        return true;
      }
    }
    // Block: state 2 means "locked, someone waits"; the owner notifies.
    ++c.lock_waits;
    while (s.exchange(2, std::memory_order_acquire) != 0) s.wait(2, std::memory_order_relaxed);
    return true;
  }
  void Release(std::size_t stripe) {
    std::atomic<std::uint32_t>& s = locks_[stripe].state;
    if (s.exchange(0, std::memory_order_release) == 2) s.notify_one();
  }

 private:
  struct alignas(64) Lock {
    std::atomic<std::uint32_t> state{0};
  };
  int shift_;
  std::size_t stripes_;
  std::unique_ptr<Lock[]> locks_;
};

// The shared model: n doubles, read and written by many threads.
class SharedVector {
 public:
  explicit SharedVector(std::size_t n) : values_(n, 0.0), locks_(n) {}
  explicit SharedVector(std::span<const double> init)
      : values_(init.begin(), init.end()), locks_(init.size()) {}

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

// Holds the stripes of a sorted index list for the duration of a scope
// (kLocked only; a no-op type for the lock-free policies).
template <WritePolicy P>
class RowLock {
 public:
  RowLock(SharedVector&, const std::int32_t*, std::int32_t, WorkerCounters&) {}
};

template <>
class RowLock<WritePolicy::kLocked> {
 public:
  RowLock(SharedVector& w, const std::int32_t* index, std::int32_t nnz, WorkerCounters& c)
      : locks_(w.locks()), index_(index), nnz_(nnz) {
    // Indices are strictly increasing, so stripes come in increasing order:
    // every thread acquires in the same global order, which rules out deadlock.
    std::size_t last = static_cast<std::size_t>(-1);
    for (std::int32_t k = 0; k < nnz; ++k) {
      const std::size_t s = locks_.StripeOf(static_cast<std::size_t>(index[k]));
      if (s != last) {
        locks_.Acquire(s, c);
        last = s;
      }
    }
  }
  ~RowLock() {  // the same stripes again (no allocation to remember them)
    std::size_t last = static_cast<std::size_t>(-1);
    for (std::int32_t k = 0; k < nnz_; ++k) {
      const std::size_t s = locks_.StripeOf(static_cast<std::size_t>(index_[k]));
      if (s != last) {
        locks_.Release(s);
        last = s;
      }
    }
  }
  RowLock(const RowLock&) = delete;
  RowLock& operator=(const RowLock&) = delete;

 private:
  StripedLocks& locks_;
  const std::int32_t* index_;
  std::int32_t nnz_;
};

}  // namespace asyncopt::kernels
