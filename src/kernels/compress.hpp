// asyncopt kernels: a worker's compressor of dense parameter-length vectors
// (mini-batch gradients of a model), with error feedback, for SPARS-AMS
// (paper 003, "Sparsified Distributed Adaptive Learning with Error
// Feedback", Algorithm 1) and its baselines.
//
// One message per round: the worker has g (length P) and its residual e,
//   u = g + e                 (error feedback on; u = g without)
//   sent = C(u)               (sparse (index, value) pairs, or dense)
//   e <- u - sent             (error feedback on; e stays 0 without)
// so sum_t sent_t + e_T = sum_t g_t: nothing a worker computed is lost, it
// is only delayed (a test checks the identity exactly on dyadic values).
//
// C is one of the project's sparsifiers (kernels/sparsify.hpp: none, topk,
// gspar, gspar-exact, uniform, qsgd) applied to the whole vector as one
// message, rho a fraction of P (or k a count: rho = k / P), or the scaled
// sign of Karimireddy, Rebjock, Stich and Jaggi (ICML 2019, EF-SignSGD):
//   C(u) = (||u||_1 / P) sign(u)       (dense: P sign bits + one float)
// Error feedback applies to every kind, as the paper's Algorithm 1 writes
// it for TopK (the sparsifier's own topk residual is not used here).
//
// Threading: one compressor per worker; no synchronisation inside.
#pragma once

#include <cmath>
#include <cstdint>
#include <numeric>
#include <span>
#include <string>
#include <vector>

#include "asyncopt/error.hpp"
#include "kernels/sparsify.hpp"

namespace asyncopt::kernels {

struct CompressorConfig {
  // A sparsifier kind, or sign = true for the scaled sign (kind ignored).
  SparsifierConfig sparsifier;
  bool sign = false;
  std::int64_t k = 0;  // > 0: keep k coordinates (rho = k / P); 0: use sparsifier.rho
  bool error_feedback = false;
};

// One compressed message: `index` empty means dense (value has P entries:
// none and sign).
struct CompressedMessage {
  std::vector<std::int32_t> index;
  std::vector<double> value;
  std::int64_t bits = 0;  // coding length (sparsify.hpp's rules; sign: P + value_bits)
  bool dense() const { return index.empty() && !value.empty(); }
};

class GradientCompressor {
 public:
  // dim = P; seed and worker pick the sparsifier's random stream. Throws
  // Error(kInvalidOption) for dim outside [1, 2^31 - 1] or k outside [0, P].
  GradientCompressor(const CompressorConfig& config, std::int64_t dim, std::uint64_t seed,
                     std::uint64_t worker)
      : config_(Resolved(config, dim)),
        dim_(static_cast<std::int32_t>(dim)),
        sparsifier_(config_.sparsifier, dim, static_cast<std::int32_t>(dim), seed, worker),
        all_(static_cast<std::size_t>(dim)),
        u_(static_cast<std::size_t>(dim)),
        residual_(config.error_feedback ? static_cast<std::size_t>(dim) : 0, 0.0) {
    std::iota(all_.begin(), all_.end(), 0);
  }

  // True when Compress would send g itself: no sparsifier, no sign, no
  // error feedback. The caller may then send g's buffer as it is.
  bool passes_through() const {
    return config_.sparsifier.kind == SparsifierKind::kNone && !config_.sign && !config_.error_feedback;
  }
  // The coding length Compress reports for g when it passes through (the
  // cheaper of its nonzeros' pairs and the dense vector).
  std::int64_t PassThroughBits(std::span<const double> g) const {
    std::int64_t nonzero = 0;
    for (const double v : g) nonzero += v != 0.0;
    return NoneBits(nonzero);
  }

  // Compresses g (length P, finite) into *out, updating the residual.
  void Compress(std::span<const double> g, CompressedMessage* out) {
    const auto n = static_cast<std::size_t>(dim_);
    if (g.size() != n) {
      throw Error(ErrorKind::kInvalidInput, "compressor: a message of " + std::to_string(g.size()) +
                                                " values for " + std::to_string(n) + " parameters");
    }
    const bool ef = config_.error_feedback;
    if (config_.sparsifier.kind == SparsifierKind::kNone && !config_.sign) {
      // No compression: the vector itself, dense (no index list to build,
      // copy and read); coded as the cheaper of the (index, value) list of
      // its nonzeros and the dense vector, as sparsify.hpp counts `none`.
      // One pass; the residual is sent with it and is then zero.
      out->index.clear();
      out->value.resize(n);
      double* value = out->value.data();
      std::int64_t nonzero = 0;
      for (std::size_t j = 0; j < n; ++j) {
        const double u = ef ? g[j] + residual_[j] : g[j];
        value[j] = u;
        nonzero += u != 0.0;
      }
      out->bits = NoneBits(nonzero);
      if (ef) std::fill(residual_.begin(), residual_.end(), 0.0);
      return;
    }
    for (std::size_t j = 0; j < n; ++j) u_[j] = ef ? g[j] + residual_[j] : g[j];
    if (config_.sign) {
      double l1 = 0.0;
      for (const double v : u_) l1 += std::fabs(v);
      const double scale = l1 / static_cast<double>(n);
      out->index.clear();
      out->value.resize(n);
      for (std::size_t j = 0; j < n; ++j) {
        out->value[j] = u_[j] > 0.0 ? scale : (u_[j] < 0.0 ? -scale : 0.0);
      }
      out->bits = static_cast<std::int64_t>(n) + config_.sparsifier.value_bits;
      if (ef) {
        for (std::size_t j = 0; j < n; ++j) residual_[j] = u_[j] - out->value[j];
      }
      return;
    }
    out->index.resize(n);
    out->value.resize(n);
    const SparsifyResult r = sparsifier_.Sparsify(all_.data(), u_.data(), dim_, out->index.data(),
                                                  out->value.data());
    out->index.resize(static_cast<std::size_t>(r.kept));
    out->value.resize(static_cast<std::size_t>(r.kept));
    out->bits = r.bits;
    if (ef) {
      residual_.assign(u_.begin(), u_.end());
      for (std::size_t q = 0; q < out->index.size(); ++q) {
        residual_[static_cast<std::size_t>(out->index[q])] -= out->value[q];
      }
    }
  }

  // e (length P with error feedback, empty without).
  std::span<const double> residual() const { return residual_; }
  const CompressorConfig& config() const { return config_; }

 private:
  // The coding length of an uncompressed vector with `nonzero` nonzeros.
  std::int64_t NoneBits(std::int64_t nonzero) const {
    return IdentityBits(nonzero, dim_, IndexBits(dim_), config_.sparsifier.value_bits);
  }
  static CompressorConfig Resolved(CompressorConfig c, std::int64_t dim) {
    if (dim < 1 || dim > std::int64_t{0x7fffffff}) {
      throw Error(ErrorKind::kInvalidOption,
                  "compressor: P = " + std::to_string(dim) + " parameters is outside [1, 2^31 - 1]");
    }
    if (c.k < 0 || c.k > dim) {
      throw Error(ErrorKind::kInvalidOption, "k = " + std::to_string(c.k) + ": must be in [0, P = " +
                                                 std::to_string(dim) + "] (0 = use rho)");
    }
    if (c.k > 0) c.sparsifier.rho = static_cast<double>(c.k) / static_cast<double>(dim);
    // This file's error feedback replaces the sparsifier's own topk residual.
    c.sparsifier.error_feedback = false;
    return c;
  }

  const CompressorConfig config_;
  const std::int32_t dim_;
  Sparsifier sparsifier_;
  std::vector<std::int32_t> all_;  // 0 .. P-1: the message's indices
  std::vector<double> u_;
  std::vector<double> residual_;
};

}  // namespace asyncopt::kernels
