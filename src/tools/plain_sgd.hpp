// For the contention sweep (asyncopt contention): the CEILING, the NAIVE loop
// (RunNaiveSgd: its second ceiling, the textbook Hogwild loop with an
// unweighted l2 term and rows drawn with replacement), and the SHARED PAIR
// (RunSharedPairSgd, at the end: the ceiling's loop on two threads over one
// w, with relaxed atomic loads and stores).
//
// The ceiling: a plain single-thread SGD loop with ordinary `double*` loads
// and stores (no atomic_ref, no conflict bookkeeping, no stop checks, no
// barrier): what one core can do with hogwild's update rule when nothing is
// shared. Same rule as
// src/algorithms/hogwild.cpp, row by row:
//
//   z   = x_i . w
//   w_j = w_j r_j - (step loss'(y_i, z)) x_ij               for j in supp(x_i)
//
// with r_j = 1 - (step l2) inv_freq_j (DataGeometry::L2Shrink, read from a
// table per feature or per nonzero as hogwild reads it) and inv_freq_j = m / (rows containing j); with
// l1 > 0, as hogwild's generic path:
//
//   g_j = loss'(y_i, z) x_ij + l2 w_j inv_freq_j
//   w_j = soft-threshold(w_j - step g_j, step l1 inv_freq_j)
//
// over the same per-epoch
// permutations as hogwild (Fisher-Yates driven by the same seeded stream), so
// for a fixed seed the iterates equal hogwild's 1-thread `wild` run without a
// sparsifier bit for bit (the contention sweep checks it).
//
// Timing mirrors asyncopt::Solve: a steady clock that runs during the passes
// and the per-epoch reshuffles and is paused while the objective is evaluated.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <thread>
#include <type_traits>
#include <vector>

#include "algorithms/async_common.hpp"  // DataGeometry, kPermutationStream
#include "asyncopt/dataset.hpp"
#include "asyncopt/problem.hpp"
#include "data/random.hpp"
#include "kernels/losses.hpp"
#include "kernels/shared_vector.hpp"
#include "kernels/sparse_ops.hpp"

namespace asyncopt::tools {

struct PlainSgdOptions {
  double step = 0.0;        // > 0 (the caller passes hogwild's step)
  int max_epochs = 5;
  std::uint64_t seed = 1;   // permutation stream, as Options::seed
  // Evaluate F (off the clock) every this many epochs (<= 1: fraction of an
  // epoch; 0 = only at the end). Needed for time-to-target.
  double eval_every_epochs = 0.0;
  double f_star = std::numeric_limits<double>::quiet_NaN();
  double target_subopt = 0.0;  // > 0: stop once (F - f*)/|f*| <= target
  double max_seconds = std::numeric_limits<double>::infinity();
  int eval_threads = 0;
  // Write every coordinate with a compare-and-swap (std::atomic_ref, relaxed)
  // instead of a plain store: the same loop with `atomic`'s one CAS per
  // coordinate and nothing else, i.e. the fastest a CAS-per-coordinate
  // policy can be on this machine (the "CAS floor" of the benchmark).
  bool cas_writes = false;
  // Set (by a signal handler): the loop ends after the current segment and
  // the result says `stopped`.
  const std::atomic<bool>* stop = nullptr;
};

struct PlainSgdResult {
  std::vector<double> w;
  double seconds = 0.0;  // clock excluding objective evaluation
  std::int64_t updates = 0;
  // Nonzeros processed, counted by RunNaiveSgd (its rows are drawn, so
  // updates x mean row nnz is only their expectation); 0 for the others,
  // whose epochs are whole permutations (exactly updates x mean row nnz).
  std::int64_t nnz = 0;
  std::int64_t updates_second_thread = 0;  // the shared pair's second thread; 0 otherwise
  double epochs = 0.0;
  double objective = std::numeric_limits<double>::quiet_NaN();
  double suboptimality = std::numeric_limits<double>::quiet_NaN();
  double time_to_target = std::numeric_limits<double>::quiet_NaN();  // NaN: not reached
  bool reached = false;
  bool stopped = false;  // options.stop was set: a partial run, not a measurement
};

namespace plain_detail {

// Same shuffle as algorithms::RowSchedule::Reshuffle.
inline void Permutation(std::int64_t m, std::uint64_t seed, std::int64_t epoch,
                        std::vector<std::int64_t>& perm) {
  perm.resize(static_cast<std::size_t>(m));
  std::iota(perm.begin(), perm.end(), std::int64_t{0});
  data::Rng rng = data::Rng::ForStream(seed, algorithms::kPermutationStream,
                                       static_cast<std::uint64_t>(epoch));
  for (std::int64_t i = m - 1; i > 0; --i) {
    const auto j = static_cast<std::int64_t>(rng.Below(static_cast<std::uint64_t>(i + 1)));
    std::swap(perm[static_cast<std::size_t>(i)], perm[static_cast<std::size_t>(j)]);
  }
}

inline double Shrink(double v, double t) {
  if (v > t) return v - t;
  if (v < -t) return v + t;
  return 0.0;
}

// w = v by compare-and-swap from the value just read (single thread: it
// never fails, but costs what a lock-prefixed instruction costs).
inline void CasStore(double& x, double expected, double v) {
  std::atomic_ref<double>(x).compare_exchange_strong(expected, v, std::memory_order_relaxed,
                                                     std::memory_order_relaxed);
}

// The l2 factors r_j of the update without l1, read as hogwild reads them
// for the same data (src/algorithms/hogwild.cpp): none when l2 = 0 (r_j =
// 1), else per nonzero (aligned with data.values) where
// DataGeometry::L2ShrinkPerNonzeroPays, else per feature. shrink(k, j) is
// the factor of the nonzero at CSR position k, feature j.
struct UnitShrink {
  double operator()(std::int64_t, std::int32_t) const { return 1.0; }
};
struct FeatureShrink {
  const double* r;
  double operator()(std::int64_t, std::int32_t j) const { return r[j]; }
};
struct NonzeroShrink {
  const double* r;
  double operator()(std::int64_t k, std::int32_t) const { return r[k]; }
};
// Calls f(shrink) with the factors of (step, l2), built here (before any clock).
template <class F>
void WithShrinkFactors(const Dataset& data, const algorithms::DataGeometry& g, double step,
                       double l2, F&& f) {
  if (l2 == 0.0) {
    f(UnitShrink{});
  } else if (algorithms::DataGeometry::L2ShrinkPerNonzeroPays(data)) {
    const std::vector<double> r = g.L2ShrinkPerNonzero(data, step, l2);
    f(NonzeroShrink{r.data()});
  } else {
    const std::vector<double> r = g.L2ShrinkTable(step, l2);
    f(FeatureShrink{r.data()});
  }
}

// The hot loop: rows perm[begin..end). kShared: another thread runs the
// same loop on the same w (the shared pair), so every access is a relaxed
// atomic one through kernels/shared_vector.hpp's door (an ordinary mov on
// x86-64, as hogwild's `wild`). `shrink`: the l2 factors (above) when !kL1,
// else unused.
template <class L, bool kL1, bool kCas, bool kShared = false, class Factors = UnitShrink>
void Pass(const Dataset& data, const std::int64_t* perm, std::int64_t begin, std::int64_t end,
          double* w, const double* inv_freq, Factors shrink, double step, double l1, double l2) {
  const bool prefetch = kernels::WorthPrefetching(data);
  const std::int64_t* row_ptr = data.row_ptr.data();
  const std::int32_t* col = data.col_index.data();
  const double* val = data.values.data();
  const double* y = data.labels.data();
  for (std::int64_t p = begin; p < end; ++p) {
    const std::int64_t i = perm[p];
    if (prefetch && p + kernels::kPrefetchRowsAhead < end) {  // as hogwild does
      kernels::PrefetchRow(data.row(perm[p + kernels::kPrefetchRowsAhead]));
    }
    const std::int64_t b = row_ptr[i];
    const std::int64_t e = row_ptr[i + 1];
    // The margin as hogwild sums it (four partial sums, kernels::Dot4).
    double z;
    if constexpr (kShared) {
      z = kernels::Dot4Read(
          data.row(i), [w](std::int32_t j) { return kernels::RelaxedLoad(w[j]); },
          [](std::int32_t, double) {});
    } else {
      z = kernels::Dot4(data.row(i), w);
    }
    const double dloss = L::Derivative(y[i], z);
    const double g_step = step * dloss;
    for (std::int64_t k = b; k < e; ++k) {
      const std::int32_t j = col[k];
      const double old = kShared ? kernels::RelaxedLoad(w[j]) : w[j];
      double next;
      if constexpr (kL1) {
        const double g = dloss * val[k] + l2 * old * inv_freq[j];
        next = Shrink(old - step * g, step * l1 * inv_freq[j]);
      } else {
        next = old * shrink(k, j) - g_step * val[k];
      }
      if constexpr (kCas) {
        CasStore(w[j], old, next);
      } else if constexpr (kShared) {
        kernels::RelaxedStore(w[j], next);
      } else {
        w[j] = next;
      }
    }
  }
}

// The clock and the evaluations of RunPlainSgd and RunNaiveSgd: epochs cut
// into segments (options.eval_every_epochs), `pass(epoch, begin, end)`
// processing positions [begin, end) of an epoch on the clock, F evaluated
// off it; stops at the target or the time cap. Fills r's counts and times.
template <class Pass>
void TimedEpochs(const Dataset& data, const Problem& problem, const PlainSgdOptions& options,
                 PlainSgdResult& r, Pass&& pass) {
  using Clock = std::chrono::steady_clock;
  const std::int64_t m = data.num_rows;
  const std::int64_t segments =
      options.eval_every_epochs > 0.0
          ? algorithms::SegmentsPerEpoch(options.eval_every_epochs, m)
          : 1;
  const std::int64_t eval_period =  // epochs between evaluations when >= 1
      options.eval_every_epochs >= 1.0
          ? static_cast<std::int64_t>(std::llround(options.eval_every_epochs))
          : 1;
  const bool evaluate = options.eval_every_epochs > 0.0;
  Clock::duration elapsed{0};
  auto seconds = [&]() { return std::chrono::duration<double>(elapsed).count(); };
  auto eval = [&]() {  // off the clock
    r.objective = Objective(data, problem, r.w, options.eval_threads);
    r.suboptimality = std::isnan(options.f_star)
                          ? 0.0
                          : (r.objective - options.f_star) /
                                (std::abs(options.f_star) > 0.0 ? std::abs(options.f_star) : 1.0);
  };
  auto epochs = [&]() {
    for (std::int64_t epoch = 0; epoch < options.max_epochs; ++epoch) {
      for (std::int64_t s = 0; s < segments; ++s) {
        const Clock::time_point t0 = Clock::now();
        const std::int64_t begin = s * m / segments;
        const std::int64_t end = (s + 1) * m / segments;
        pass(epoch, begin, end);
        elapsed += Clock::now() - t0;
        r.updates += end - begin;
        r.epochs = static_cast<double>(r.updates) / static_cast<double>(m);
        const bool epoch_end = s + 1 == segments;
        if (evaluate && (!epoch_end || (epoch + 1) % eval_period == 0)) {
          eval();
          if (options.target_subopt > 0.0 && !std::isnan(options.f_star) &&
              r.suboptimality <= options.target_subopt) {
            r.reached = true;
            r.time_to_target = seconds();
            return;
          }
          if (!std::isfinite(r.objective)) return;
        }
        if (seconds() >= options.max_seconds) return;
        if (options.stop != nullptr && options.stop->load(std::memory_order_relaxed)) {
          r.stopped = true;
          return;
        }
      }
    }
  };
  epochs();
  r.seconds = seconds();
  if (!r.reached) eval();
}

}  // namespace plain_detail

inline PlainSgdResult RunPlainSgd(const Dataset& data, const Problem& problem,
                                  const PlainSgdOptions& options) {
  const std::int64_t m = data.num_rows;
  const algorithms::DataGeometry geometry(data);
  PlainSgdResult r;
  r.w.assign(static_cast<std::size_t>(data.num_cols), 0.0);
  std::vector<std::int64_t> perm;
  kernels::DispatchLoss(problem.loss, [&](auto loss) {
    using L = decltype(loss);
    double* w = r.w.data();
    const double* inv_freq = geometry.inv_freq.data();
    const double step = options.step, l1 = problem.l1, l2 = problem.l2;
    auto with = [&](auto l1_on, auto cas, auto shrink) {
      plain_detail::TimedEpochs(
          data, problem, options, r, [&](std::int64_t epoch, std::int64_t b, std::int64_t e) {
            if (b == 0) plain_detail::Permutation(m, options.seed, epoch, perm);
            plain_detail::Pass<L, decltype(l1_on)::value, decltype(cas)::value>(
                data, perm.data(), b, e, w, inv_freq, shrink, step, l1, l2);
          });
    };
    using On = std::true_type;
    using Off = std::false_type;
    if (l1 > 0.0) {
      const plain_detail::UnitShrink unused;
      options.cas_writes ? with(On{}, On{}, unused) : with(On{}, Off{}, unused);
    } else {
      plain_detail::WithShrinkFactors(data, geometry, step, l2, [&](auto shrink) {
        options.cas_writes ? with(Off{}, On{}, shrink) : with(Off{}, Off{}, shrink);
      });
    }
    return 0;
  });
  return r;
}

// The NAIVE loop (issue 14, section 6): the single-thread Hogwild loop as it
// is usually written, the benchmark's second ceiling:
//
//   i   = uniform draw from 0..m-1 (with replacement)
//   z   = x_i . w
//   w_j = w_j - step (loss'(y_i, z) x_ij + l2 w_j)    for j in supp(x_i)
//         (then soft-threshold by step l1 if l1 > 0)
//
// with plain double loads and stores: no permutation, no feature-frequency
// table, no counters, no stop checks. Its l2 term is NOT reweighted by
// feature frequency, so it is not an unbiased gradient of hogwild's
// F = mean loss + l2/2 ||w||^2: in expectation it regularises coordinate j
// by l2 n_j / m and goes to another minimiser (its final suboptimality
// against F's f* says how far). It is a speed reference only.
// Spelled for speed, so that it is a hard ceiling: the margin is summed as
// every asyncopt loop sums it (kernels::Dot4, four partial sums; the
// textbook left-to-right sum makes each add wait for the previous one and
// ran about 0.75x as fast on rcv1-vw-small, 78 nonzeros a row), and the
// update loop is unrolled by 4 as hogwild's is (GCC does not unroll at -O3
// by itself; rolled, this loop ran about 0.83x as fast on rcv1-vw-small).
// Rows come from the seeded stream hogwild's worker 0 draws from with
// --with-replacement (options.seed). An "epoch" is m draws; the clock and
// the evaluations are RunPlainSgd's.
namespace plain_detail {

// `count` rows; returns the nonzeros processed.
template <class L, bool kL1>
std::int64_t NaivePass(const Dataset& data, data::Rng& rng, std::int64_t count, double* w,
                       double step, double l1, double l2) {
  const auto m = static_cast<std::uint64_t>(data.num_rows);
  const std::int64_t* row_ptr = data.row_ptr.data();
  const std::int32_t* col = data.col_index.data();
  const double* val = data.values.data();
  const double* y = data.labels.data();
  std::int64_t nnz = 0;
  for (std::int64_t t = 0; t < count; ++t) {
    const auto i = static_cast<std::int64_t>(rng.Below(m));
    const std::int64_t b = row_ptr[i];
    const std::int64_t e = row_ptr[i + 1];
    nnz += e - b;
    const double z = kernels::Dot4(data.row(i), w);
    const double dloss = L::Derivative(y[i], z);
#pragma GCC unroll 4
    for (std::int64_t k = b; k < e; ++k) {
      const std::int32_t j = col[k];
      double next = w[j] - step * (dloss * val[k] + l2 * w[j]);
      if constexpr (kL1) next = Shrink(next, step * l1);
      w[j] = next;
    }
  }
  return nnz;
}

}  // namespace plain_detail

inline PlainSgdResult RunNaiveSgd(const Dataset& data, const Problem& problem,
                                  const PlainSgdOptions& options) {
  PlainSgdResult r;
  r.w.assign(static_cast<std::size_t>(data.num_cols), 0.0);
  data::Rng rng = data::Rng::ForStream(options.seed, algorithms::kWorkerStream, 0);
  kernels::DispatchLoss(problem.loss, [&](auto loss) {
    using L = decltype(loss);
    double* w = r.w.data();
    auto with = [&](auto l1_on) {
      plain_detail::TimedEpochs(data, problem, options, r,
                                [&](std::int64_t, std::int64_t b, std::int64_t e) {
                                  r.nnz += plain_detail::NaivePass<L, decltype(l1_on)::value>(
                                      data, rng, e - b, w, options.step, problem.l1, problem.l2);
                                });
    };
    problem.l1 > 0.0 ? with(std::true_type{}) : with(std::false_type{});
    return 0;
  });
  return r;
}

// The SHARED PAIR: the plain loop on two threads over ONE w, each epoch's
// permutation claimed in chunks, relaxed atomic loads and stores, no
// conflict bookkeeping, no stop checks, no barrier, no counters: the
// least a Hogwild on this machine pays for sharing the model (the cores
// passing model lines back and forth), and nothing of asyncopt's engine.
// Its nnz/s over the ceiling's is what two threads of this machine give a
// shared model at that moment. No evaluation; seconds cover the
// epochs, the reshuffles and starting the second thread each epoch.
inline PlainSgdResult RunSharedPairSgd(const Dataset& data, const Problem& problem,
                                       const PlainSgdOptions& options) {
  using Clock = std::chrono::steady_clock;
  const std::int64_t m = data.num_rows;
  const algorithms::DataGeometry geometry(data);
  PlainSgdResult r;
  r.w.assign(static_cast<std::size_t>(data.num_cols), 0.0);
  std::vector<std::int64_t> perm;
  // The l2 factors (unused with l1) are built before the clock starts.
  const double factor_l2 = problem.l1 > 0.0 ? 0.0 : problem.l2;
  plain_detail::WithShrinkFactors(data, geometry, options.step, factor_l2, [&](auto shrink) {
    const Clock::time_point t0 = Clock::now();
    kernels::DispatchLoss(problem.loss, [&](auto loss) {
      using L = decltype(loss);
      double* w = r.w.data();
      const double* inv_freq = geometry.inv_freq.data();
      auto rows = [&](const std::int64_t* p, std::int64_t b, std::int64_t e) {
        if (problem.l1 > 0.0) {
          plain_detail::Pass<L, true, false, true>(data, p, b, e, w, inv_freq, shrink,
                                                   options.step, problem.l1, problem.l2);
        } else {
          plain_detail::Pass<L, false, false, true>(data, p, b, e, w, inv_freq, shrink,
                                                    options.step, 0.0, problem.l2);
        }
      };
      // Rows claimed in chunks, with hogwild's own ChunkClaims: a static split
      // would wait for the slower vCPU. Returns the rows it processed.
      algorithms::ChunkClaims claims(2, 1);
      auto claim_all = [&](const std::int64_t* p) {
        std::int64_t done = 0;
        for (auto chunk = claims.Claim(0, m); !chunk.empty(); chunk = claims.Claim(0, m)) {
          rows(p, chunk.begin, chunk.end);
          done += chunk.end - chunk.begin;
        }
        return done;
      };
      for (std::int64_t epoch = 0; epoch < options.max_epochs; ++epoch) {
        plain_detail::Permutation(m, options.seed, epoch, perm);
        claims.Reset();
        const std::int64_t* p = perm.data();
        std::int64_t other_done = 0;
        {
          std::jthread other([&] { other_done = claim_all(p); });
          r.updates += claim_all(p);
        }  // `other` joins here, before its count is read and the next permutation
        r.updates += other_done;
        r.updates_second_thread += other_done;
        if (options.stop != nullptr && options.stop->load(std::memory_order_relaxed)) {
          r.stopped = true;
          break;
        }
      }
      return 0;
    });
    r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  });
  r.epochs = static_cast<double>(r.updates) / static_cast<double>(m);
  return r;
}

}  // namespace asyncopt::tools
