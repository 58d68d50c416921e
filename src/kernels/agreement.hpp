// asyncopt kernels: approximate agreement among the threads of one cluster,
// through single-writer registers read and written without locks.
//
// Attiya and Schiller, "Asynchronous Distributed Machine Learning" (slides,
// ../shared/papers/001_3f5163bcd896752f.txt): in the cluster-based model for
// HPC the processes of a cluster share an array A of registers
// <value, round#>, one per process, and run "MDAA within a Cluster":
//
//     r <- 1 ; A[i] <- <x, r>
//     while r < constant do
//       let rmax be the largest round number in A
//       if r = rmax then
//         X <- values in A with round rmax
//         A[i] <- <MidExtremes(X), r+1>
//         r <- r + 1
//       else r <- rmax                      (the slides' "Skipping")
//     return some x_j s.t. A[j] = <x_j, r+1>
//
// MidExtremes (Fuegger and Nowak, "Fast Multidimensional Asymptotic and
// Approximate Consensus", DISC 2018) returns the average of the two values
// at the largest Euclidean distance. Nobody waits for anybody: a member that
// crashed (or never started) only leaves its register behind, so the loop is
// wait-free, and a slow member catches up by skipping to the most advanced
// round. The slides measure agreement by the coordinate-wise diameter
// Delta_cw ("Correctness Proof - Definitions"), which bounds the largest
// Euclidean distance from above, and state the contraction factor
// q = (2 floor(m/2) + 1) / (2 floor(m/2) + 2) ("Main Correctness Claims").
// That q is a claim about the SGD iterations; it is NOT a worst case for one
// agreement round. What holds for every execution: all views X of one round
// share the value of the round's first writer, so each round shrinks the
// largest distance by 1/2 in one dimension or with two members, and by
// sqrt(6/7) = 0.926 in any dimension (proof in
// tests/kernels/agreement_test.cpp, ProvenFactor); q is smaller for
// m <= 13, and an adversarial schedule of three members in the plane keeps
// about sqrt(3)/2 > 3/4 of the distance after one round
// (AdversarialScheduleBeatsTheSlidesFactor). Random executions mostly end
// in exact agreement.
//
// Contents:
//   CoordinateDiameter, LargestDistance, MidExtremes   on a list of vectors
//   RegisterArray       m single-writer registers <d-vector, 64-bit tag>,
//                       a seqlock each (readers never see a torn value)
//   ClusterAgreement    the loop above for one member, with the registers
//                       reused from one solver iteration to the next
#pragma once

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <thread>
#include <vector>

#include "kernels/cache_line.hpp"
#include "kernels/shared_vector.hpp"

namespace asyncopt::kernels {

// A family of equal-length vectors x^1..x^k (the slides' \vec{x}).
using VectorList = std::span<const std::span<const double>>;

// ||a - b||_2^2, summed in coordinate order (the same bits on every call).
inline double SquaredDistance(std::span<const double> a, std::span<const double> b) {
  assert(a.size() == b.size());
  double s = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const double t = a[i] - b[i];
    s += t * t;
  }
  return s;
}

// Delta_cw(x) = sum_i max_{j,l} |x^j[i] - x^l[i]|: the width of each
// coordinate, summed (0 for fewer than two vectors).
inline double CoordinateDiameter(VectorList xs) {
  if (xs.size() < 2) return 0.0;
  double sum = 0.0;
  for (std::size_t i = 0; i < xs[0].size(); ++i) {
    double lo = xs[0][i], hi = xs[0][i];
    for (const auto& x : xs.subspan(1)) {
      lo = std::min(lo, x[i]);
      hi = std::max(hi, x[i]);
    }
    sum += hi - lo;
  }
  return sum;
}

// max_{j,l} ||x^j - x^l||_2 (0 for fewer than two vectors).
inline double LargestDistance(VectorList xs) {
  double best = 0.0;
  for (std::size_t j = 0; j < xs.size(); ++j) {
    for (std::size_t l = j + 1; l < xs.size(); ++l) {
      best = std::max(best, SquaredDistance(xs[j], xs[l]));
    }
  }
  return std::sqrt(best);
}

// MidExtremes (Fuegger and Nowak, DISC 2018): out = (x^j + x^l) / 2 for the
// pair at the largest Euclidean distance; among equally distant pairs the
// first in the order (0,1), (0,2), ..., (1,2), ... wins, so every member
// that sees the same family computes the same bits. One vector is copied
// bit for bit. Each coordinate is 0.5 * (a + b), which in binary floating
// point lies between a and b (barring overflow), so the result never leaves
// the family's coordinate-wise bounding box. `out` may be one of the inputs.
inline void MidExtremes(VectorList xs, std::span<double> out) {
  assert(!xs.empty());
  assert(out.size() == xs[0].size());
  if (xs.size() == 1) {
    std::copy(xs[0].begin(), xs[0].end(), out.begin());
    return;
  }
  std::size_t bj = 0, bl = 1;
  double best = SquaredDistance(xs[0], xs[1]);
  for (std::size_t j = 0; j < xs.size(); ++j) {
    for (std::size_t l = j + 1; l < xs.size(); ++l) {
      const double s = SquaredDistance(xs[j], xs[l]);
      if (s > best) {  // strictly: ties keep the earlier pair
        best = s;
        bj = j;
        bl = l;
      }
    }
  }
  const std::span<const double> a = xs[bj], b = xs[bl];
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = 0.5 * (a[i] + b[i]);
}

// m single-writer registers, each holding <a d-vector value, a 64-bit tag>;
// tag 0 means never written. Register i is written by its owner only, read
// by anyone.
//
// Each register is a seqlock (Boehm, "Can seqlocks get along with
// programming language memory models?", MSPC 2012, the fence version): a
// version that is odd while a write is in flight; the value is read and
// written only through relaxed atomics (RelaxedLoad/RelaxedStore,
// shared_vector.hpp) and the tag is a std::atomic, so there is no data race
// to define and ThreadSanitizer sees atomics. Why the fences:
//   writer  version <- v+1 ; release fence ; data ; version <- v+2 (release)
//   reader  v1 <- version (acquire) ; data ; acquire fence ; v2 <- version
// if the reader's data loads saw any store of a later write, its acquire
// fence synchronises with that write's release fence, so the v2 load sees
// v+1 or later and the read is retried; if v1 == v2 (even), every value read
// belongs to the write that published v1.
//
// Atomicity: the slides' algorithm assumes atomic (linearizable)
// registers. The seqlock makes each <value, tag> pair consistent; the tag's
// store (in Write) and loads (in Read and Tag) are sequentially consistent,
// and are the operations' linearization points. With release/acquire only,
// a member that writes its register and then looks at another's could miss
// a write that the other member, doing the same, also missed in return (the
// store-buffering outcome, which x86 allows): both would then take their
// own value alone for the round, and the values would not contract
// (RegisterArray.OfTwoWritersThatThenLookAtLeastOneSeesTheOther). The price
// is one locked instruction per Write on x86; loads stay plain moves.
//
// Progress: a writer never waits. A reader retries only while a write is in
// flight or completed during its read, so it can be held up only by a writer
// that keeps writing (ClusterAgreement writes a register at most rounds+2
// times per iteration) or that stopped inside Write. Threads here never stop
// mid-write: a crash is a member that stops between steps.
//
// Layout: each register's version and tag share one cache line of their
// own, and each value starts on a fresh line and is padded to whole lines,
// so writers of different registers never share a line.
class RegisterArray {
 public:
  RegisterArray(int m, std::size_t d)
      : m_(m),
        d_(d),
        stride_((d * sizeof(double) + kCacheLine - 1) / kCacheLine * kCacheLine / sizeof(double)),
        headers_(std::make_unique<Header[]>(static_cast<std::size_t>(m))),
        values_(static_cast<std::size_t>(m) * std::max<std::size_t>(stride_, 1), 0.0) {
    assert(m >= 1);
  }

  int size() const { return m_; }
  std::size_t dim() const { return d_; }

  // <v, tag> into register i. Only register i's owner may call this.
  void Write(int i, std::span<const double> v, std::uint64_t tag) {
    assert(v.size() == d_);
    Header& h = headers_[static_cast<std::size_t>(i)];
    const std::uint64_t version = h.version.load(std::memory_order_relaxed);  // ours alone
    h.version.store(version + 1, std::memory_order_relaxed);
    ReleaseFence();
    double* data = Data(i);
    for (std::size_t k = 0; k < d_; ++k) RelaxedStore(data[k], v[k]);
    h.tag.store(tag, std::memory_order_seq_cst);  // the write's linearization point
    h.version.store(version + 2, std::memory_order_release);
  }

  // A consistent <value, tag> of register i: the value into `out`, the tag
  // returned (0 and zeros if never written).
  std::uint64_t Read(int i, std::span<double> out) const {
    assert(out.size() == d_);
    const Header& h = headers_[static_cast<std::size_t>(i)];
    const double* data = Data(i);
    for (int spins = 0;; ++spins) {
      const std::uint64_t v1 = h.version.load(std::memory_order_acquire);
      if ((v1 & 1) == 0) {
        for (std::size_t k = 0; k < d_; ++k) out[k] = RelaxedLoad(data[k]);
        const std::uint64_t tag = h.tag.load(std::memory_order_seq_cst);
        AcquireFence();
        if (h.version.load(std::memory_order_relaxed) == v1) return tag;
      }
      // A write is in flight. With more threads than cores its writer may
      // have been preempted: after a short spin, give the core away.
      if (spins < 64) {
        SpinPause();
      } else {
        std::this_thread::yield();
      }
    }
  }

  // The tag of register i's latest write, which may still be in flight: a
  // cheap look at which registers are worth a Read. Within one thread, tags
  // seen by Tag and Read never go back in time (coherence of one atomic).
  std::uint64_t Tag(int i) const {
    return headers_[static_cast<std::size_t>(i)].tag.load(std::memory_order_seq_cst);
  }

 private:
  struct alignas(kCacheLine) Header {
    std::atomic<std::uint64_t> version{0};
    std::atomic<std::uint64_t> tag{0};
  };
  // The seqlock's fences: std::atomic_thread_fence, spelled as the builtin
  // it forwards to so that GCC's -Wtsan ("atomic_thread_fence is not
  // supported with -fsanitize=thread"), given at every use, can be silenced
  // here. ThreadSanitizer does not model fences, and needs them for nothing
  // here: every access they order is atomic, so it has no race to report,
  // and no plain data is handed over through a register.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wtsan"
#endif
  static void ReleaseFence() { __atomic_thread_fence(__ATOMIC_RELEASE); }
  static void AcquireFence() { __atomic_thread_fence(__ATOMIC_ACQUIRE); }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

  double* Data(int i) { return values_.data() + static_cast<std::size_t>(i) * stride_; }
  const double* Data(int i) const { return values_.data() + static_cast<std::size_t>(i) * stride_; }

  int m_;
  std::size_t d_;
  std::size_t stride_;  // doubles from one register's value to the next: whole lines
  std::unique_ptr<Header[]> headers_;
  LineVector<double> values_;
};

// ClusterAgreement's tag: <iteration, round> in one word, iteration in the
// high 40 bits and round in the low 24, so tags of one register grow with
// (iteration, round) in lexicographic order and tag 0 (never written) is
// below every tag ClusterAgreement writes (rounds start at 1).
inline constexpr int kAgreementRoundBits = 24;
inline constexpr std::uint64_t kAgreementMaxRound = (std::uint64_t{1} << kAgreementRoundBits) - 1;
inline constexpr std::uint64_t kAgreementMaxIteration =
    (std::uint64_t{1} << (64 - kAgreementRoundBits)) - 1;
constexpr std::uint64_t AgreementTag(std::uint64_t iteration, std::uint64_t round) {
  return (iteration << kAgreementRoundBits) | round;
}
constexpr std::uint64_t TagIteration(std::uint64_t tag) { return tag >> kAgreementRoundBits; }
constexpr std::uint64_t TagRound(std::uint64_t tag) { return tag & kAgreementMaxRound; }

// One member's buffers, reused from call to call (allocates on the first
// call, or when m or d grow). Owned by one thread.
struct AgreementScratch {
  std::vector<double> values;                 // values read from other registers, m x d
  std::vector<std::span<const double>> view;  // X: the values of round rmax
  std::vector<std::uint64_t> tags;            // the last look at every register's tag
  std::vector<double> next;                   // MidExtremes(X)
  void Reserve(int m, std::size_t d) {
    const auto mm = static_cast<std::size_t>(m);
    if (values.size() < mm * d) values.resize(mm * d);
    if (tags.size() < mm) tags.resize(mm);
    view.reserve(mm);
    if (next.size() < d) next.resize(d);
  }
};

// What one ClusterAgreement call did. rounds + rounds_skipped == the rounds
// asked for, always.
struct AgreementCounters {
  int rounds = 0;                    // MidExtremes rounds computed and written (r -> r+1)
  int rounds_skipped = 0;            // rounds jumped over by r <- rmax
  std::int64_t values_read = 0;      // values read from other members' registers
  std::int64_t collect_retries = 0;  // collects redone: a register moved on between look and read
  int adopted_from = -1;  // the member whose last-round value was returned (-1: computed here)
  bool kept_own = false;  // skipped to the end, but every finished member had already
                          // moved on to a later iteration: returned own latest value
};

// The default step hook: nothing. Tests pass one to interleave members.
struct NoStepHook {
  void operator()() const {}
};

// The slides' "MDAA within a Cluster" for member `me` of the cluster whose
// registers are `a`, at solver iteration `iteration`, for `rounds` rounds
// (the slides' constant = rounds + 1). On entry x is the member's value; on
// return it is a value of round rounds+1, which is then also in A[me]. All
// members of a call must pass the same `rounds`.
//
// Iterations: the registers are reused from one solver iteration to the
// next, so a tag carries <iteration, round>. Registers of older iterations
// (and never-written ones) are ignored; a register that holds a LATER
// iteration belongs to a member that finished this one and moved on: it
// counts as finished (round rounds+1) and its value, of another iteration,
// is never used. The loop, literally, with the three points the slides
// leave open:
//   - "rmax": one look at every register's tag (Tag). If rmax = r, X is
//     read register by register; if any of them no longer holds round r
//     (its owner moved on since the look), the collect is redone, so X is
//     the values of round rmax at one instant and never a mix that would
//     drop the member that advanced. Each redo follows another member's
//     write, of which there are at most m (rounds + 2) per iteration: still
//     wait-free. Our own value is taken from x, not read back.
//   - "return some x_j s.t. A[j] = <x_j, rounds+1>": a member that computed
//     round rounds+1 returns its own; one that skipped to it adopts the
//     value of the lowest-indexed register holding <iteration, rounds+1>
//     and writes it into A[me] (so A[me] always ends at round rounds+1). If
//     no register still holds one (all finished members moved on), it keeps
//     its own latest value (counters.kept_own).
//   - rounds = 0, or m = 1: x is returned bit for bit (MidExtremes of one
//     value is a copy).
//   - a member whose iteration goes backward (restarted from a checkpoint)
//     is ignored by the others as old; one that had skipped to a round
//     because of it, and finds no value of that round, continues from its
//     own value (the loop always ends after at most rounds computations).
// `step` is called before every access to a register (tests schedule
// members with it); the default compiles away.
template <class StepHook = NoStepHook>
AgreementCounters ClusterAgreement(RegisterArray& a, int me, std::uint64_t iteration, int rounds,
                                   std::span<double> x, AgreementScratch& s,
                                   StepHook&& step = StepHook{}) {
  assert(0 <= me && me < a.size() && x.size() == a.dim() && rounds >= 0);
  assert(static_cast<std::uint64_t>(rounds) < kAgreementMaxRound);
  assert(iteration <= kAgreementMaxIteration);
  const int m = a.size();
  const std::size_t d = a.dim();
  const auto last = static_cast<std::uint64_t>(rounds) + 1;  // the slides' "constant"
  s.Reserve(m, d);
  AgreementCounters c;

  std::uint64_t r = 1;
  step();
  a.Write(me, x, AgreementTag(iteration, r));
  bool computed_last = rounds == 0;  // did we write round `last` ourselves?
  while (r < last) {
    // let rmax be the largest round number in A (of this iteration)
    std::uint64_t rmax = 0;
    for (int j = 0; j < m; ++j) {
      step();
      const std::uint64_t t = a.Tag(j);
      s.tags[static_cast<std::size_t>(j)] = t;
      if (TagIteration(t) == iteration) {
        rmax = std::max(rmax, TagRound(t));
      } else if (TagIteration(t) > iteration) {
        rmax = last;  // its owner finished this iteration
      }
    }
    rmax = std::min(rmax, last);
    if (r < rmax) {
      c.rounds_skipped += static_cast<int>(rmax - r);
      r = rmax;
      continue;
    }
    // X <- values in A with round rmax (= r; rmax < r only if the register
    // we skipped for has since gone back to an older iteration, a member
    // restarted from a checkpoint: then X is our own value alone)
    const std::uint64_t want = AgreementTag(iteration, r);
    s.view.clear();
    bool moved_on = false;
    for (int j = 0; j < m && !moved_on; ++j) {
      if (s.tags[static_cast<std::size_t>(j)] != want) continue;
      if (j == me) {
        s.view.emplace_back(x.data(), d);
        continue;
      }
      const std::span<double> slot(s.values.data() + s.view.size() * d, d);
      step();
      const std::uint64_t t = a.Read(j, slot);
      ++c.values_read;
      if (t != want) {
        moved_on = true;
      } else {
        s.view.emplace_back(slot.data(), d);
      }
    }
    if (moved_on) {
      ++c.collect_retries;
      continue;
    }
    if (s.view.empty()) s.view.emplace_back(x.data(), d);
    // A[me] <- <MidExtremes(X), r+1>; r <- r + 1
    const std::span<double> next(s.next.data(), d);
    MidExtremes(s.view, next);
    std::copy(next.begin(), next.end(), x.begin());
    step();
    a.Write(me, x, AgreementTag(iteration, r + 1));
    ++r;
    ++c.rounds;
    computed_last = r == last;
  }
  if (!computed_last) {
    // Skipped to the last round: adopt a value of it, from the last look.
    const std::uint64_t want = AgreementTag(iteration, last);
    const std::span<double> slot(s.values.data(), d);
    for (int j = 0; j < m; ++j) {
      if (j == me || s.tags[static_cast<std::size_t>(j)] != want) continue;
      step();
      const std::uint64_t t = a.Read(j, slot);
      ++c.values_read;
      if (t == want) {
        std::copy(slot.begin(), slot.end(), x.begin());
        c.adopted_from = j;
        break;
      }
    }
    c.kept_own = c.adopted_from < 0;
    step();
    a.Write(me, x, want);
  }
  return c;
}

}  // namespace asyncopt::kernels
