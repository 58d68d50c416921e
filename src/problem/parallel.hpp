// asyncopt internal: a oneTBB task_arena limited to a thread count, with a
// parallel loop and a deterministic parallel sum.
//
// Determinism: Sum() cuts [0, n) into blocks of a fixed size that does not
// depend on the thread count, evaluates every block's partial independently
// and adds the partials in block order, so the result has the same bits for
// any number of threads.
#pragma once

#include <tbb/blocked_range.h>
#include <tbb/info.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace asyncopt::detail {

// Rows per block of every deterministic reduction over rows.
inline constexpr std::int64_t kRowBlock = 2048;

class Parallel {
 public:
  // threads <= 0: what the calling thread's arena allows (all hardware
  // threads, or k inside a host's tbb::task_arena(k)). Requests above it
  // are clamped (results do not depend on the count anyway).
  explicit Parallel(int threads)
      : arena_(threads > 0 ? std::min(threads, Available()) : Available()) {}
  static int Available() { return std::max(1, tbb::this_task_arena::max_concurrency()); }

  int threads() const { return arena_.max_concurrency(); }

  // fn(begin, end) over disjoint chunks covering [0, n), about `grain` long.
  template <class Fn>
  void For(std::int64_t n, std::int64_t grain, const Fn& fn) {
    if (n <= 0) return;
    if (n <= grain || arena_.max_concurrency() == 1) {
      fn(std::int64_t{0}, n);
      return;
    }
    arena_.execute([&] {
      tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, n, grain),
                        [&](const tbb::blocked_range<std::int64_t>& r) { fn(r.begin(), r.end()); });
    });
  }

  // sum over blocks of fn(begin, end) -> double, blocks of `block` elements,
  // partials added in order: bit-identical for any thread count.
  template <class Fn>
  double Sum(std::int64_t n, std::int64_t block, const Fn& fn) {
    if (n <= 0) return 0.0;
    const std::int64_t blocks = (n + block - 1) / block;
    if (blocks == 1) return fn(std::int64_t{0}, n);
    partials_.assign(static_cast<std::size_t>(blocks), 0.0);
    For(blocks, 1, [&](std::int64_t b0, std::int64_t b1) {
      for (std::int64_t b = b0; b < b1; ++b) {
        partials_[static_cast<std::size_t>(b)] = fn(b * block, std::min(n, (b + 1) * block));
      }
    });
    double s = 0.0;
    for (double p : partials_) s += p;
    return s;
  }

 private:
  tbb::task_arena arena_;
  std::vector<double> partials_;
};

}  // namespace asyncopt::detail
