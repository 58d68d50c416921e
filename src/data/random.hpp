// asyncopt internal: a small seeded random number generator whose output is
// bit-identical on every platform and compiler.
//
// Nothing here uses <random> distributions or libm transcendental functions,
// whose results differ between standard libraries. The generator is
// xoshiro256** (Blackman and Vigna) seeded through splitmix64; normals come
// from Marsaglia's polar method over a logarithm built only from IEEE-exact
// operations (+, -, *, /, sqrt and exponent-field arithmetic). Files that
// include this header must be compiled with -ffp-contract=off (see
// src/data/sources.cmake) so that no fused multiply-add changes a rounding.
//
// Independent streams: Rng::ForStream(seed, domain, index) derives one
// generator per (seed, domain, index), e.g. one per data row, so parallel
// generation gives the same bits for any thread count.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>

namespace asyncopt::data {

// splitmix64's output function (Stafford's "Mix13"): a bijection on 64 bits.
constexpr std::uint64_t Mix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// One splitmix64 step: advances `state` and returns the next output.
constexpr std::uint64_t SplitMix64Next(std::uint64_t& state) {
  state += 0x9E3779B97F4A7C15ULL;
  return Mix64(state);
}

// High 64 bits of the 128-bit product a * b.
inline std::uint64_t MulHi64(std::uint64_t a, std::uint64_t b) {
#if defined(__SIZEOF_INT128__)
  __extension__ typedef unsigned __int128 Uint128;  // GCC/Clang extension
  return static_cast<std::uint64_t>((static_cast<Uint128>(a) * b) >> 64);
#else
  const std::uint64_t a_lo = a & 0xFFFFFFFFULL, a_hi = a >> 32;
  const std::uint64_t b_lo = b & 0xFFFFFFFFULL, b_hi = b >> 32;
  const std::uint64_t lo_lo = a_lo * b_lo, hi_lo = a_hi * b_lo;
  const std::uint64_t lo_hi = a_lo * b_hi, hi_hi = a_hi * b_hi;
  const std::uint64_t cross = (lo_lo >> 32) + (hi_lo & 0xFFFFFFFFULL) + lo_hi;
  return hi_hi + (hi_lo >> 32) + (cross >> 32);
#endif
}

// Natural logarithm of a positive finite x, from exact operations only:
// x = m 2^e with m in [sqrt(1/2), sqrt(2)), ln m = 2 atanh(f), f = (m-1)/(m+1),
// |f| <= 0.1716, atanh series to f^23 (truncation below 1e-17 relative).
// Returns -inf for 0 and NaN for negative or NaN input.
inline double DetLog(double x) {
  if (!(x > 0.0)) return x == 0.0 ? -HUGE_VAL : NAN;
  if (x == HUGE_VAL) return x;
  int e = 0;
  double m = 0.0;  // x = m 2^e, m in [0.5, 1)
  const auto bits = std::bit_cast<std::uint64_t>(x);
  const auto biased = static_cast<int>(bits >> 52);  // sign bit is 0 here
  if (biased != 0) {  // normal: read the exponent field directly
    e = biased - 1022;
    m = std::bit_cast<double>((bits & 0x000FFFFFFFFFFFFFULL) | 0x3FE0000000000000ULL);
  } else {
    m = std::frexp(x, &e);
  }
  if (m < 0.70710678118654752440) {
    m *= 2.0;
    e -= 1;
  }
  const double f = (m - 1.0) / (m + 1.0);  // m - 1 is exact (Sterbenz)
  const double s = f * f;
  double poly = 1.0 / 23.0;
  poly = 1.0 / 21.0 + s * poly;
  poly = 1.0 / 19.0 + s * poly;
  poly = 1.0 / 17.0 + s * poly;
  poly = 1.0 / 15.0 + s * poly;
  poly = 1.0 / 13.0 + s * poly;
  poly = 1.0 / 11.0 + s * poly;
  poly = 1.0 / 9.0 + s * poly;
  poly = 1.0 / 7.0 + s * poly;
  poly = 1.0 / 5.0 + s * poly;
  poly = 1.0 / 3.0 + s * poly;
  const double ln_m = 2.0 * f + 2.0 * f * (s * poly);
  // ln 2 split so that e * kLn2Hi is exact for |e| < 2^11.
  constexpr double kLn2Hi = 6.93147180369123816490e-01;
  constexpr double kLn2Lo = 1.90821492927058770002e-10;
  const double de = static_cast<double>(e);
  return de * kLn2Hi + (ln_m + de * kLn2Lo);
}

// e^x from exact operations: x = k ln 2 + r, |r| <= ln(2)/2, Taylor series
// of degree 14 for e^r (truncation below 1e-17), then an exact ldexp.
inline double DetExp(double x) {
  if (std::isnan(x)) return x;
  if (x > 709.782712893384) return HUGE_VAL;
  if (x < -745.1332191019412) return 0.0;
  constexpr double kInvLn2 = 1.44269504088896338700e+00;
  constexpr double kLn2Hi = 6.93147180369123816490e-01;
  constexpr double kLn2Lo = 1.90821492927058770002e-10;
  const double t = x * kInvLn2 + 0.5;  // |t| < 1100: floor by truncation
  double k = static_cast<double>(static_cast<std::int64_t>(t));
  if (k > t) k -= 1.0;
  const double r = (x - k * kLn2Hi) - k * kLn2Lo;
  double poly = 1.0 / 87178291200.0;  // 1/14!
  poly = 1.0 / 6227020800.0 + r * poly;
  poly = 1.0 / 479001600.0 + r * poly;
  poly = 1.0 / 39916800.0 + r * poly;
  poly = 1.0 / 3628800.0 + r * poly;
  poly = 1.0 / 362880.0 + r * poly;
  poly = 1.0 / 40320.0 + r * poly;
  poly = 1.0 / 5040.0 + r * poly;
  poly = 1.0 / 720.0 + r * poly;
  poly = 1.0 / 120.0 + r * poly;
  poly = 1.0 / 24.0 + r * poly;
  poly = 1.0 / 6.0 + r * poly;
  poly = 0.5 + r * poly;
  poly = 1.0 + r * poly;
  poly = 1.0 + r * poly;
  const int ki = static_cast<int>(k);
  if (ki > -1022 && ki < 1023) {  // 2^k and poly 2^k are normal: exact product
    return poly * std::bit_cast<double>(static_cast<std::uint64_t>(ki + 1023) << 52);
  }
  return std::ldexp(poly, ki);
}

// xoshiro256** with splitmix64 seeding. Copyable value type; not thread-safe
// (give each thread or each row its own stream).
class Rng {
 public:
  explicit Rng(std::uint64_t seed) {
    std::uint64_t sm = seed;
    for (auto& word : s_) word = SplitMix64Next(sm);
  }

  // Generator for stream `index` of family `domain` under `seed`. Different
  // (seed, domain, index) triples give statistically independent streams.
  static Rng ForStream(std::uint64_t seed, std::uint64_t domain, std::uint64_t index) {
    std::uint64_t key = Mix64(seed + 0x9E3779B97F4A7C15ULL);
    key = Mix64(key ^ (domain * 0xD1B54A32D192ED03ULL + 0x2545F4914F6CDD1DULL));
    key = Mix64(key ^ (index * 0xAEF17502108EF2D9ULL + 0x632BE59BD9B4E019ULL));
    return Rng(key);
  }

  std::uint64_t Next() {
    const std::uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }

  // Uniform on [0, 1) with 53 random bits.
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

  // Uniform integer in [0, n) without bias (Lemire's multiply-and-reject);
  // n must be > 0.
  std::uint64_t Below(std::uint64_t n) {
    std::uint64_t x = Next();
    std::uint64_t hi = MulHi64(x, n);
    std::uint64_t lo = x * n;
    if (lo < n) {
      const std::uint64_t threshold = (0 - n) % n;
      while (lo < threshold) {
        x = Next();
        hi = MulHi64(x, n);
        lo = x * n;
      }
    }
    return hi;
  }

  // Standard normal by Marsaglia's polar method (each accepted pair gives
  // two values; the second is kept for the next call).
  double Normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u = 0.0, v = 0.0, s = 0.0;
    do {
      u = 2.0 * Uniform() - 1.0;
      v = 2.0 * Uniform() - 1.0;
      s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    const double factor = std::sqrt(-2.0 * DetLog(s) / s);
    spare_ = v * factor;
    has_spare_ = true;
    return u * factor;
  }

 private:
  static constexpr std::uint64_t Rotl(std::uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
  }

  std::uint64_t s_[4];
  double spare_ = 0.0;
  bool has_spare_ = false;
};

}  // namespace asyncopt::data
