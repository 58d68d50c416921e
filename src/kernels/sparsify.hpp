// asyncopt kernels: gradient sparsifiers for the asynchronous workers.
//
// Paper 002: Wangni, Wang, Liu, Zhang, "Gradient Sparsification for
// Communication-Efficient Distributed Optimization", NeurIPS 2018. A message
// is a sparse gradient of n pairs (index_k, g_k); a sparsifier keeps a subset
// and rescales it so that the result stays unbiased (Section 2):
//
//   Q(g)_k = Z_k g_k / p_k,  Z_k ~ Bernoulli(p_k),  E[Q(g)] = g,
//   E||Q(g)||^2 = sum_k g_k^2 / p_k,   E[kept] = sum_k p_k.
//
// Kinds (SparsifierKind, names "none", "uniform", "gspar", "gspar-exact",
// "topk", "qsgd"):
//   none         identity: all n pairs copied.
//   uniform      UniSp, the paper's baseline: p_k = rho.
//   gspar        Algorithm 3 (greedy): p_k = min(lambda |g_k|, 1) with
//                lambda found by `gspar_iterations` recalibrations (paper: 2),
//                aiming at sum_k p_k = rho n.
//   gspar-exact  Algorithm 2 (closed form, Proposition 1), parameterised by
//                the same target expected density rho n instead of the
//                variance budget epsilon; see ExactLambda() for the mapping.
//   topk         the ceil(rho n) largest |g_k|, sent unscaled (biased), with
//                optional per-worker error feedback (residual accumulation).
//   qsgd         Alistarh et al. 2017 (the paper's comparison in Section 4),
//                s levels: Q(g)_k = ||g||_2 sign(g_k) xi_k / s, unbiased.
//
// rho is a fraction of the MESSAGE length n (the row's nnz, or d for dense
// rows), not of the model dimension d: for dense data n = d and this is the
// paper's sum_i p_i / d ~= rho.
//
// Exact zeros in g are never sent by uniform, gspar, gspar-exact, topk and
// qsgd (their Q is 0 anyway); `none` copies the message verbatim.
//
// Output: the kept pairs are written, in input order (a subsequence of the
// message, so sorted indices stay sorted), to caller arrays of capacity n.
// The hot path allocates nothing and has no per-element virtual call: one
// switch per message selects a loop instantiated for the kind and the two
// engineering tricks of Section 4.2 (both switchable):
//   constant_trick  non-saturated gspar coordinates (p_k = lambda |g_k| < 1)
//                   are sent as the constant sign(g_k) / lambda, no division
//                   per element (uniform: multiply by 1/rho; qsgd: multiply by
//                   the precomputed ||g|| / s). Off: q = g_k / p_k literally,
//                   one division per coordinate (the loops are branch-free, so
//                   the value is computed for every coordinate and only the
//                   sent ones are kept).
//   random_table    uniforms are read from a precomputed table instead of
//                   calling the generator per coordinate (details at
//                   MakeUniformTable). Off: one xoshiro256** draw per
//                   coordinate.
//
// Coding length (Section 2.3), returned per message in bits; I = ceil(log2 d)
// index bits, b = value_bits, level bits L = ceil(log2 s):
//   none         min(n (I + b), d b)   the cheaper of the sparse (index, value)
//                                      list and the dense vector of Remark 2
//   uniform      kept (I + b)          every kept value is a distinct float (Q_A)
//   gspar(-exact) A (I + b) + B (I + 1) + (B > 0 ? b : 0)   hybrid Q_A / Q_B:
//                A saturated kept (p = 1, value g_k), B non-saturated kept
//                (index + sign bit), plus one float 1/lambda per message
//   topk         kept (I + b)
//   qsgd         kept (I + 1 + L) + b  index, sign and level in 1..s per kept
//                coordinate plus the norm (fixed-length code, not QSGD's Elias
//                code); an empty message costs 0 for every kind.
// b defaults to 32: the paper counts single-precision floats (its QSGD(b)
// comparison); set value_bits = 64 to count the doubles asyncopt stores.
//
// Threading: one Sparsifier per worker (scratch buffers, residual, RNG and
// table cursor are private); no synchronisation inside.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "asyncopt/error.hpp"
#include "asyncopt/solver.hpp"
#include "data/random.hpp"
#include "kernels/cache_line.hpp"

namespace asyncopt::kernels {

enum class SparsifierKind { kNone, kUniform, kGSpar, kGSparExact, kTopK, kQsgd };

// The solver options (asyncopt::SparsifierKind) are converted by value; keep
// the two enums in step.
static_assert(static_cast<int>(SparsifierKind::kNone) == static_cast<int>(asyncopt::SparsifierKind::kNone));
static_assert(static_cast<int>(SparsifierKind::kUniform) ==
              static_cast<int>(asyncopt::SparsifierKind::kUniform));
static_assert(static_cast<int>(SparsifierKind::kGSpar) == static_cast<int>(asyncopt::SparsifierKind::kGSpar));
static_assert(static_cast<int>(SparsifierKind::kGSparExact) ==
              static_cast<int>(asyncopt::SparsifierKind::kGSparExact));
static_assert(static_cast<int>(SparsifierKind::kTopK) == static_cast<int>(asyncopt::SparsifierKind::kTopK));
static_assert(static_cast<int>(SparsifierKind::kQsgd) == static_cast<int>(asyncopt::SparsifierKind::kQsgd));

inline constexpr std::array<std::pair<SparsifierKind, std::string_view>, 6> kSparsifierKindNames{{
    {SparsifierKind::kNone, "none"},
    {SparsifierKind::kUniform, "uniform"},
    {SparsifierKind::kGSpar, "gspar"},
    {SparsifierKind::kGSparExact, "gspar-exact"},
    {SparsifierKind::kTopK, "topk"},
    {SparsifierKind::kQsgd, "qsgd"},
}};

inline std::string_view ToString(SparsifierKind kind) {
  for (const auto& [value, name] : kSparsifierKindNames) {
    if (value == kind) return name;
  }
  return "unknown";
}

// Throws Error(kInvalidOption) naming the allowed values for an unknown name.
inline SparsifierKind ParseSparsifier(std::string_view name) {
  std::string allowed;
  for (const auto& [value, known] : kSparsifierKindNames) {
    if (known == name) return value;
    if (!allowed.empty()) allowed += ", ";
    allowed += known;
  }
  throw Error(ErrorKind::kInvalidOption,
              "sparsifier = '" + std::string(name) + "' is unknown; allowed: " + allowed);
}

struct SparsifierConfig {
  SparsifierKind kind = SparsifierKind::kNone;
  double rho = 0.1;            // target expected kept fraction of the message, in (0, 1]
  int gspar_iterations = 2;    // Algorithm 3 recalibrations, >= 1 (paper: 2)
  bool constant_trick = true;  // Section 4.2 trick 1 (see file comment)
  bool random_table = true;    // Section 4.2 trick 2 (see file comment)
  std::int64_t table_size = std::int64_t{1} << 16;  // power of two in [64, 2^26]
  bool error_feedback = false;  // topk only: per-worker residual accumulation
  int qsgd_levels = 4;          // qsgd s, in [1, 2^30]
  int value_bits = 32;          // b of Section 2.3, in [1, 64]

  // Throws Error(kInvalidOption) naming the field, its value and the range.
  void Validate() const {
    auto fail = [](const std::string& field, const std::string& value, const std::string& range) {
      throw Error(ErrorKind::kInvalidOption,
                  "sparsifier option " + field + " = " + value + " is out of range: must be " + range);
    };
    bool known_kind = false;
    for (const auto& entry : kSparsifierKindNames) known_kind = known_kind || entry.first == kind;
    if (!known_kind) fail("kind", std::to_string(static_cast<int>(kind)), "a SparsifierKind");
    if (!(rho > 0.0 && rho <= 1.0)) fail("rho", std::to_string(rho), "in (0, 1]");
    if (gspar_iterations < 1) fail("gspar_iterations", std::to_string(gspar_iterations), ">= 1");
    if (qsgd_levels < 1 || qsgd_levels > (1 << 30)) {
      fail("qsgd_levels", std::to_string(qsgd_levels), "in [1, 2^30]");
    }
    if (table_size < 64 || table_size > (std::int64_t{1} << 26) ||
        !std::has_single_bit(static_cast<std::uint64_t>(table_size))) {
      fail("table_size", std::to_string(table_size), "a power of two in [64, 2^26]");
    }
    if (value_bits < 1 || value_bits > 64) fail("value_bits", std::to_string(value_bits), "in [1, 64]");
  }
};

// ---------------------------------------------------------------------------
// Coding lengths (Section 2.3, Theorem 4). All in bits.

// ceil(log2 dim): bits of one coordinate index (0 for dim = 1).
inline std::int64_t IndexBits(std::int64_t dim) {
  return dim <= 1 ? 0 : static_cast<std::int64_t>(std::bit_width(static_cast<std::uint64_t>(dim - 1)));
}
// ceil(log2 s): bits of a QSGD level in 1..s (0 for s = 1: the sign says it all).
inline std::int64_t QsgdLevelBits(int levels) {
  return levels <= 1 ? 0 : static_cast<std::int64_t>(std::bit_width(static_cast<std::uint64_t>(levels - 1)));
}
// Plain sparse list: (index, value) per kept coordinate (uniform, topk, Q_A).
inline std::int64_t SparseListBits(std::int64_t kept, std::int64_t index_bits, std::int64_t value_bits) {
  return kept * (index_bits + value_bits);
}
// Unsparsified message: the cheaper of the sparse list and the dense vector.
inline std::int64_t IdentityBits(std::int64_t n, std::int64_t dim, std::int64_t index_bits,
                                 std::int64_t value_bits) {
  return std::min(n * (index_bits + value_bits), dim * value_bits);
}
// Hybrid Q_A / Q_B code of gspar: saturated kept coordinates carry their
// value, non-saturated ones only a sign; one shared float 1/lambda.
inline std::int64_t HybridBits(std::int64_t saturated_kept, std::int64_t unsaturated_kept,
                               std::int64_t index_bits, std::int64_t value_bits) {
  return saturated_kept * (index_bits + value_bits) + unsaturated_kept * (index_bits + 1) +
         (unsaturated_kept > 0 ? value_bits : 0);
}
inline std::int64_t QsgdBits(std::int64_t kept, int levels, std::int64_t index_bits,
                             std::int64_t value_bits) {
  return kept == 0 ? 0 : kept * (index_bits + 1 + QsgdLevelBits(levels)) + value_bits;
}

// ---------------------------------------------------------------------------
// Probability vectors p_k = min(lambda |g_k|, 1) (Proposition 1). Both gspar
// kinds are represented by their lambda alone: a coordinate is saturated
// (p_k = 1, in S_k) iff lambda |g_k| >= 1. lambda = +inf means every nonzero
// coordinate is saturated; lambda = 0 means g = 0 (nothing to send).

// Algorithm 3 (greedy). p^0_k = min(rho n |g_k| / sum|g|, 1), i.e. lambda_0 =
// rho n / ||g||_1; each iteration computes on the active set I = {p_k < 1}
//   c = (rho n - |S|) / sum_{k in I} p_k,   p_k <- min(c p_k, 1)
// which is lambda <- c lambda (c >= 1 always, since sum p <= rho n), and stops
// when c <= 1 or after `iterations` recalibrations. O((iterations + 1) n).
inline double GreedyLambda(const double* g, std::int32_t n, double rho, int iterations) {
  // Four partial sums break the floating-point add latency chain.
  double l1[4] = {0.0, 0.0, 0.0, 0.0};
  std::int32_t k = 0;
  for (; k + 4 <= n; k += 4) {
    for (int j = 0; j < 4; ++j) l1[j] += std::fabs(g[k + j]);
  }
  for (; k < n; ++k) l1[0] += std::fabs(g[k]);
  const double total_l1 = (l1[0] + l1[1]) + (l1[2] + l1[3]);
  if (total_l1 == 0.0) return 0.0;
  const double target = rho * static_cast<double>(n);
  double lambda = target / total_l1;
  for (int it = 0; it < iterations; ++it) {
    std::int32_t saturated[4] = {0, 0, 0, 0};
    double active[4] = {0.0, 0.0, 0.0, 0.0};
    k = 0;
    for (; k + 4 <= n; k += 4) {
      for (int j = 0; j < 4; ++j) {
        const double a = std::fabs(g[k + j]);
        const bool sat = lambda * a >= 1.0;
        saturated[j] += sat ? 1 : 0;
        active[j] += sat ? 0.0 : a;
      }
    }
    for (; k < n; ++k) {
      const double a = std::fabs(g[k]);
      const bool sat = lambda * a >= 1.0;
      saturated[0] += sat ? 1 : 0;
      active[0] += sat ? 0.0 : a;
    }
    const std::int32_t num_saturated = (saturated[0] + saturated[1]) + (saturated[2] + saturated[3]);
    const double active_l1 = (active[0] + active[1]) + (active[2] + active[3]);
    if (active_l1 == 0.0) break;  // everything nonzero is saturated
    const double c = (target - static_cast<double>(num_saturated)) / (lambda * active_l1);
    if (!(c > 1.0)) break;
    lambda *= c;
  }
  return lambda;
}

// Algorithm 2 (closed form), parameterised by the target expected density
// D = rho n instead of the variance budget epsilon of problem (3).
//
// Mapping. Proposition 1: for every epsilon the optimum of (3) is
// p_k = min(lambda |g_k|, 1); as epsilon decreases from its largest useful
// value to 0, lambda increases and the density sum_k p_k increases
// monotonically to nnz(g). So fixing D fixes lambda, S_k and epsilon:
//   D = |S_k| + lambda sum_{k not in S_k} |g_k|                        (*)
//   epsilon(D) = (sum_{S_k} g_k^2 + sum_{not S_k} |g_k| / lambda) / ||g||^2 - 1
// and with epsilon = epsilon(D), equation (4) of the paper returns the same
// k and lambda (tested). This p is then the minimum-variance unbiased
// sparsification with expected density D, equivalently the sparsest one with
// variance <= (1 + epsilon(D)) ||g||^2. ProportionalStats() reports epsilon.
//
// Solved exactly in expected linear time without sorting: F(t) =
// sum_k min(|g_k| / t, 1) is non-increasing in the threshold t = 1/lambda;
// a quickselect-style search partitions the candidate magnitudes around a
// pivot v, evaluates F(v) with the counts/sums already known to lie above or
// below, and discards the side that is decided (t >= v: everything <= v is
// non-saturated; t < v: everything >= v is saturated). Then (*) gives lambda.
// Pivots are picked by a fixed hash of the round (deterministic, no RNG).
// `scratch` must hold n doubles. If nnz(g) <= D every nonzero coordinate is
// saturated and +inf is returned.
inline double ExactLambda(const double* g, std::int32_t n, double rho, double* scratch) {
  std::int32_t m = 0;
  for (std::int32_t k = 0; k < n; ++k) {
    const double a = std::fabs(g[k]);
    if (a > 0.0) scratch[m++] = a;
  }
  if (m == 0) return 0.0;
  const double target = rho * static_cast<double>(n);
  if (static_cast<double>(m) <= target) return std::numeric_limits<double>::infinity();
  std::int32_t lo = 0, hi = m;    // undecided candidates: scratch[lo, hi)
  double saturated = 0.0;         // known saturated count (|S_k| so far)
  double unsaturated_l1 = 0.0;    // known sum of non-saturated magnitudes
  std::uint64_t round = static_cast<std::uint64_t>(m);
  while (lo < hi) {
    const auto width = static_cast<std::uint64_t>(hi - lo);
    const std::int32_t pick = lo + static_cast<std::int32_t>(data::MulHi64(data::Mix64(round++), width));
    const double v = scratch[pick];
    std::swap(scratch[pick], scratch[hi - 1]);
    std::int32_t store = lo;
    double le_sum = 0.0;
    for (std::int32_t i = lo; i < hi - 1; ++i) {
      const double x = scratch[i];
      if (x > v) {
        scratch[i] = scratch[store];
        scratch[store] = x;
        ++store;
      } else {
        le_sum += x;
      }
    }
    std::swap(scratch[store], scratch[hi - 1]);  // pivot between > v and <= v
    const double above = saturated + static_cast<double>(store - lo);
    const double below_l1 = unsaturated_l1 + le_sum + v;
    // F(v): elements equal to v contribute v / v = 1 either way.
    if (above + below_l1 / v >= target) {  // t >= v
      unsaturated_l1 = below_l1;
      hi = store;
    } else {  // t < v
      saturated = above + 1.0;
      lo = store + 1;
    }
  }
  return (target - saturated) / unsaturated_l1;
}

struct ProbabilityStats {
  double expected_density = 0.0;  // sum_k p_k = E[kept]
  double variance = 0.0;          // E||Q(g)||^2 = sum_{g_k != 0} g_k^2 / p_k
  double squared_norm = 0.0;      // ||g||^2
  std::int32_t saturated = 0;     // |S_k|: nonzero coordinates with p_k = 1
  // The epsilon of problem (3) that this p meets with equality.
  double epsilon() const { return squared_norm > 0.0 ? variance / squared_norm - 1.0 : 0.0; }
};

// Statistics of p_k = min(lambda |g_k|, 1) (diagnostics and tests; O(n)).
inline ProbabilityStats ProportionalStats(const double* g, std::int32_t n, double lambda) {
  ProbabilityStats s;
  for (std::int32_t k = 0; k < n; ++k) {
    const double a = std::fabs(g[k]);
    if (a == 0.0) continue;
    const bool sat = lambda * a >= 1.0;
    const double p = sat ? 1.0 : lambda * a;
    s.saturated += sat ? 1 : 0;
    s.expected_density += p;
    s.variance += a * a / p;
    s.squared_norm += a * a;
  }
  return s;
}

// ---------------------------------------------------------------------------
// Table of uniforms (Section 4.2, trick 2).
//
// The table is stratified: entry j of the unshuffled table lies in
// [j/T, (j+1)/T), then a Fisher-Yates shuffle mixes the order. Its empirical
// distribution is therefore uniform to within 1/T: for any p, the share of
// entries below p differs from p by less than 1/T (a plain random table
// would be off by ~sqrt(p/T)). Stored as float (T = 2^16: 256 KiB) to halve
// the cache footprint; comparisons are exact after widening.
//
// Each message starts reading at a fresh random offset (one generator call
// per message, not per coordinate) and then reads consecutive entries
// cyclically. A per-worker offset alone is NOT enough: when consecutive
// messages consume the same number c of uniforms and c divides T (dense rows,
// d = 256, T = 2^16), coordinate k would only ever see T/c = 256 distinct
// table values, a fixed bias of order 1/sqrt(T/c) in its keep probability.
// With the per-message offset every coordinate's uniform is an exact draw
// from the table's distribution, so the only bias is the < 1/T above.
using UniformTable = std::vector<float>;

inline std::shared_ptr<const UniformTable> MakeUniformTable(std::int64_t size, std::uint64_t seed) {
  auto table = std::make_shared<UniformTable>(static_cast<std::size_t>(size));
  data::Rng rng = data::Rng::ForStream(seed, 0x5350'4152'5441'424CULL /* "SPARTABL" */, 0);
  const double inv = 1.0 / static_cast<double>(size);
  constexpr float kBelowOne = 0x1.fffffep-1f;  // largest float < 1
  for (std::int64_t j = 0; j < size; ++j) {
    const double u = (static_cast<double>(j) + rng.Uniform()) * inv;
    (*table)[static_cast<std::size_t>(j)] = std::min(static_cast<float>(u), kBelowOne);
  }
  for (std::int64_t j = size - 1; j > 0; --j) {
    const auto r = static_cast<std::size_t>(rng.Below(static_cast<std::uint64_t>(j + 1)));
    std::swap((*table)[static_cast<std::size_t>(j)], (*table)[r]);
  }
  return table;
}

struct SparsifyResult {
  std::int32_t kept = 0;  // pairs written to the output arrays
  std::int64_t bits = 0;  // coding length of this message (file comment)
};

// ---------------------------------------------------------------------------
// One worker's sparsifier.
class Sparsifier {
 public:
  // dim: model dimension d (index range and index bits); capacity: the
  // largest message length n that will be passed; seed/worker: the RNG
  // stream (data::Rng::ForStream(seed, domain, worker)). `table` lets workers
  // share one read-only table; by default each builds its own from `seed`
  // (identical contents, only the per-message offsets differ).
  // Throws Error(kInvalidOption) on an invalid config or dim < 1 / capacity < 0.
  Sparsifier(const SparsifierConfig& config, std::int64_t dim, std::int32_t capacity, std::uint64_t seed,
             std::uint64_t worker, std::shared_ptr<const UniformTable> table = nullptr)
      : config_(config),
        dim_(dim),
        capacity_(capacity),
        index_bits_(IndexBits(dim)),
        rng_(data::Rng::ForStream(seed, 0x5350'4152'5349'4659ULL /* "SPARSIFY" */, worker)) {
    config_.Validate();
    if (dim < 1) throw Error(ErrorKind::kInvalidOption, "sparsifier dim = " + std::to_string(dim) + ": must be >= 1");
    if (capacity < 0) {
      throw Error(ErrorKind::kInvalidOption,
                  "sparsifier capacity = " + std::to_string(capacity) + ": must be >= 0");
    }
    const SparsifierKind kind = config_.kind;
    const bool random = kind == SparsifierKind::kUniform || kind == SparsifierKind::kGSpar ||
                        kind == SparsifierKind::kGSparExact || kind == SparsifierKind::kQsgd;
    if (random && config_.random_table) {
      table_ = table ? std::move(table) : MakeUniformTable(config_.table_size, seed);
      if (table_->size() < 64 || !std::has_single_bit(table_->size())) {
        throw Error(ErrorKind::kInvalidOption, "sparsifier table size = " + std::to_string(table_->size()) +
                                                   ": must be a power of two >= 64");
      }
      table_data_ = table_->data();
      table_mask_ = table_->size() - 1;
      cursor_ = rng_.Next();
    }
    if (kind == SparsifierKind::kGSparExact || kind == SparsifierKind::kTopK) {
      scratch_.resize(static_cast<std::size_t>(capacity));
    }
    if (kind == SparsifierKind::kTopK && config_.error_feedback) {
      values_.resize(static_cast<std::size_t>(capacity));
      residual_.assign(static_cast<std::size_t>(dim), 0.0);
    }
  }

  // Sparsifies the message (index[k], g[k]), k < n, into out_index/out_value
  // (capacity >= n each). Indices must lie in [0, dim). g must be finite.
  // With topk error feedback, repeated indices within a message are handled
  // (the residual is read once). Throws Error(kInvalidInput) if n > capacity.
  SparsifyResult Sparsify(const std::int32_t* index, const double* g, std::int32_t n, std::int32_t* out_index,
                          double* out_value) {
    if (n > capacity_ || n < 0) {
      throw Error(ErrorKind::kInvalidInput, "sparsifier message of " + std::to_string(n) +
                                                " pairs exceeds its capacity " + std::to_string(capacity_));
    }
    last_lambda_ = 0.0;
    switch (config_.kind) {
      case SparsifierKind::kNone:
        if (n > 0) {
          std::memcpy(out_index, index, static_cast<std::size_t>(n) * sizeof(std::int32_t));
          std::memcpy(out_value, g, static_cast<std::size_t>(n) * sizeof(double));
        }
        return {n, IdentityBits(n, dim_, index_bits_, config_.value_bits)};
      case SparsifierKind::kUniform:
        return WithTricks([&](auto c, auto t) {
          return RunUniform<decltype(c)::value, decltype(t)::value>(index, g, n, out_index, out_value);
        });
      case SparsifierKind::kGSpar:
      case SparsifierKind::kGSparExact: {
        const double lambda = config_.kind == SparsifierKind::kGSpar
                                  ? GreedyLambda(g, n, config_.rho, config_.gspar_iterations)
                                  : ExactLambda(g, n, config_.rho, scratch_.data());
        last_lambda_ = lambda;
        if (!(lambda > 0.0)) return {};
        return WithTricks([&](auto c, auto t) {
          return RunProportional<decltype(c)::value, decltype(t)::value>(index, g, n, lambda, out_index,
                                                                         out_value);
        });
      }
      case SparsifierKind::kTopK:
        return config_.error_feedback ? RunTopK<true>(index, g, n, out_index, out_value)
                                      : RunTopK<false>(index, g, n, out_index, out_value);
      case SparsifierKind::kQsgd:
        return WithTricks([&](auto c, auto t) {
          return RunQsgd<decltype(c)::value, decltype(t)::value>(index, g, n, out_index, out_value);
        });
    }
    return {};
  }

  // Worker form: returns the kept count and ADDS the message's bits to
  // *bits_sent (e.g. WorkerCounters::bits_sent).
  std::int32_t Apply(const std::int32_t* index, const double* g, std::int32_t n, std::int32_t* out_index,
                     double* out_value, std::int64_t* bits_sent) {
    const SparsifyResult r = Sparsify(index, g, n, out_index, out_value);
    *bits_sent += r.bits;
    return r.kept;
  }

  const SparsifierConfig& config() const { return config_; }
  std::int64_t dim() const { return dim_; }
  std::int32_t capacity() const { return capacity_; }
  std::int64_t index_bits() const { return index_bits_; }
  // gspar kinds: the lambda of the last message (p_k = min(lambda |g_k|, 1);
  // +inf: all saturated); 0 for the other kinds or an all-zero message.
  double last_lambda() const { return last_lambda_; }
  // topk error feedback: the unsent residual, indexed by coordinate (size d);
  // empty otherwise.
  std::span<const double> residual() const { return residual_; }
  void ClearResidual() { std::fill(residual_.begin(), residual_.end(), 0.0); }

 private:
  template <class F>
  SparsifyResult WithTricks(F&& f) {
    using T = std::true_type;
    using N = std::false_type;
    if (config_.constant_trick) return config_.random_table ? f(T{}, T{}) : f(T{}, N{});
    return config_.random_table ? f(N{}, T{}) : f(N{}, N{});
  }

  template <bool kTable>
  void BeginMessage() {
    if constexpr (kTable) cursor_ = rng_.Next();
  }
  template <bool kTable>
  double NextUniform() {
    if constexpr (kTable) {
      return static_cast<double>(table_data_[cursor_++ & table_mask_]);
    } else {
      return rng_.Uniform();
    }
  }

  // UniSp: p_k = rho.
  template <bool kConst, bool kTable>
  SparsifyResult RunUniform(const std::int32_t* index, const double* g, std::int32_t n, std::int32_t* out_index,
                            double* out_value) {
    BeginMessage<kTable>();
    const double rho = config_.rho;
    const double inv_rho = 1.0 / rho;
    std::int32_t kept = 0;
    for (std::int32_t k = 0; k < n; ++k) {  // branch-free, as in RunProportional
      const double gk = g[k];
      const bool send = (NextUniform<kTable>() < rho) & (gk != 0.0);
      out_index[kept] = index[k];
      out_value[kept] = kConst ? gk * inv_rho : gk / rho;
      kept += send ? 1 : 0;
    }
    return {kept, SparseListBits(kept, index_bits_, config_.value_bits)};
  }

  // gspar / gspar-exact sampling given lambda (Proposition 1).
  template <bool kConst, bool kTable>
  SparsifyResult RunProportional(const std::int32_t* index, const double* g, std::int32_t n, double lambda,
                                 std::int32_t* out_index, double* out_value) {
    BeginMessage<kTable>();
    const double inv_lambda = 1.0 / lambda;
    std::int32_t kept = 0, unsaturated = 0;
    // Branch-free: every coordinate is written at out[kept] (kept <= k < n,
    // in bounds) and `kept` advances only if it is sent. A saturated
    // coordinate (lambda |g_k| >= 1 > u) is always sent; g_k = 0 never is.
    for (std::int32_t k = 0; k < n; ++k) {
      const double gk = g[k];
      const double scaled = lambda * std::fabs(gk);
      const bool saturated = scaled >= 1.0;
      const bool send = NextUniform<kTable>() < scaled;
      double value;
      if constexpr (kConst) {
        value = saturated ? gk : std::copysign(inv_lambda, gk);  // Q_A value or Q_B constant
      } else {
        const double p = saturated ? 1.0 : scaled;
        value = gk / (p > 0.0 ? p : 1.0);  // the plain division, every coordinate
      }
      out_index[kept] = index[k];
      out_value[kept] = value;
      kept += send ? 1 : 0;
      unsaturated += (send && !saturated) ? 1 : 0;
    }
    return {kept, HybridBits(kept - unsaturated, unsaturated, index_bits_, config_.value_bits)};
  }

  // Top-k by magnitude (biased), optionally with error feedback: v = g + r
  // is selected from, r <- v on the unsent coordinates, r <- 0 on the sent.
  template <bool kFeedback>
  SparsifyResult RunTopK(const std::int32_t* index, const double* g, std::int32_t n, std::int32_t* out_index,
                         double* out_value) {
    const double* v = g;
    if constexpr (kFeedback) {
      for (std::int32_t k = 0; k < n; ++k) {
        double& r = residual_[static_cast<std::size_t>(index[k])];
        values_[static_cast<std::size_t>(k)] = g[k] + r;
        r = 0.0;  // read once, so repeated indices are not double-counted
      }
      v = values_.data();
    }
    // k = ceil(rho n), with a 1e-12 relative slack so that e.g. 0.3 * 10,
    // which rounds to 3.0000000000000004, gives 3.
    const double target = config_.rho * static_cast<double>(n);
    const auto want = std::min<std::int32_t>(n, static_cast<std::int32_t>(std::ceil(target - 1e-12 * target)));
    double threshold = 0.0;  // send |v_k| > threshold, plus `ties` of |v_k| == threshold
    std::int32_t ties = 0;
    if (want > 0 && want < n) {
      double* mags = scratch_.data();
      for (std::int32_t k = 0; k < n; ++k) mags[k] = std::fabs(v[k]);
      std::nth_element(mags, mags + (n - want), mags + n);  // linear time on average
      threshold = mags[n - want];                           // the want-th largest
      std::int32_t greater = 0;
      for (std::int32_t k = n - want + 1; k < n; ++k) greater += mags[k] > threshold ? 1 : 0;
      ties = want - greater;
    }
    if (threshold == 0.0) ties = 0;  // fewer than `want` nonzeros: send them all
    std::int32_t kept = 0;
    for (std::int32_t k = 0; k < n; ++k) {
      const double vk = v[k];
      const double a = std::fabs(vk);
      bool send = a > threshold;
      if (!send && a == threshold && ties > 0) {
        send = true;
        --ties;
      }
      if (send) {
        out_index[kept] = index[k];
        out_value[kept] = vk;
        ++kept;
      } else if constexpr (kFeedback) {
        residual_[static_cast<std::size_t>(index[k])] += vk;
      }
    }
    return {kept, SparseListBits(kept, index_bits_, config_.value_bits)};
  }

  // QSGD (Alistarh et al. 2017): r_k = s |g_k| / ||g||, level l = floor(r_k)
  // + Bernoulli(r_k - floor(r_k)), value ||g|| sign(g_k) l / s; level 0 is
  // not sent.
  template <bool kConst, bool kTable>
  SparsifyResult RunQsgd(const std::int32_t* index, const double* g, std::int32_t n, std::int32_t* out_index,
                         double* out_value) {
    double sq[4] = {0.0, 0.0, 0.0, 0.0};  // partial sums: no add latency chain
    std::int32_t k = 0;
    for (; k + 4 <= n; k += 4) {
      for (int j = 0; j < 4; ++j) sq[j] += g[k + j] * g[k + j];
    }
    for (; k < n; ++k) sq[0] += g[k] * g[k];
    const double sum_sq = (sq[0] + sq[1]) + (sq[2] + sq[3]);
    if (sum_sq == 0.0) return {};
    BeginMessage<kTable>();
    const double norm = std::sqrt(sum_sq);
    const int s = config_.qsgd_levels;
    const double levels = static_cast<double>(s);
    const double s_over_norm = levels / norm;
    const double step = norm / levels;
    std::int32_t kept = 0;
    for (k = 0; k < n; ++k) {  // branch-free, as in RunProportional; g_k = 0 gives level 0
      const double gk = g[k];
      const double a = std::fabs(gk);
      const double r = std::min(kConst ? a * s_over_norm : a * levels / norm, levels);
      const double floor_r = static_cast<double>(static_cast<std::int64_t>(r));  // r in [0, s]
      const double level = floor_r + (NextUniform<kTable>() < r - floor_r ? 1.0 : 0.0);
      out_index[kept] = index[k];
      out_value[kept] = kConst ? std::copysign(level * step, gk) : std::copysign(norm * level / levels, gk);
      kept += level > 0.0 ? 1 : 0;
    }
    return {kept, QsgdBits(kept, s, index_bits_, config_.value_bits)};
  }

  SparsifierConfig config_;
  std::int64_t dim_;
  std::int32_t capacity_;
  std::int64_t index_bits_;
  data::Rng rng_;
  std::shared_ptr<const UniformTable> table_;
  const float* table_data_ = nullptr;
  std::uint64_t table_mask_ = 0;
  std::uint64_t cursor_ = 0;
  double last_lambda_ = 0.0;
  // Per-worker buffers written for every message: on cache lines of their own.
  LineVector<double> scratch_;   // gspar-exact / topk selection buffer (capacity)
  LineVector<double> values_;    // topk error feedback: g + residual (capacity)
  LineVector<double> residual_;  // topk error feedback: unsent part (dim)
};

}  // namespace asyncopt::kernels
