// The gradient compressor of SPARS-AMS: error feedback loses nothing (sum of
// sent messages plus the final residual is the sum of the gradients, exactly
// on dyadic values), topk keeps the k largest of g + e, the scaled sign is
// (||u||_1 / P) sign(u), no compression sends g itself, and bad k is refused.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "asyncopt/error.hpp"
#include "kernels/compress.hpp"

namespace asyncopt {
namespace {

using kernels::CompressedMessage;
using kernels::CompressorConfig;
using kernels::GradientCompressor;

CompressorConfig TopK(std::int64_t k, bool ef) {
  CompressorConfig c;
  c.sparsifier.kind = kernels::SparsifierKind::kTopK;
  c.k = k;
  c.error_feedback = ef;
  return c;
}

// Integer multiples of 1/8 in [-4, 4]: every sum and difference below is
// exact in double arithmetic.
std::vector<double> DyadicGradient(std::mt19937_64& gen, std::size_t n) {
  std::uniform_int_distribution<int> eighths(-32, 32);
  std::vector<double> g(n);
  for (double& v : g) v = eighths(gen) / 8.0;
  return g;
}

void ExpectMassConserved(const CompressorConfig& config, std::size_t P, int rounds) {
  GradientCompressor c(config, static_cast<std::int64_t>(P), 1, 0);
  std::mt19937_64 gen(5);
  std::vector<double> total_g(P, 0.0), total_sent(P, 0.0);
  CompressedMessage msg;
  for (int t = 0; t < rounds; ++t) {
    const std::vector<double> g = DyadicGradient(gen, P);
    for (std::size_t j = 0; j < P; ++j) total_g[j] += g[j];
    c.Compress(g, &msg);
    if (msg.dense()) {
      for (std::size_t j = 0; j < P; ++j) total_sent[j] += msg.value[j];
    } else {
      for (std::size_t q = 0; q < msg.index.size(); ++q) total_sent[msg.index[q]] += msg.value[q];
    }
  }
  ASSERT_EQ(c.residual().size(), P);
  for (std::size_t j = 0; j < P; ++j) {
    EXPECT_EQ(total_sent[j] + c.residual()[j], total_g[j]) << "coordinate " << j;
  }
}

TEST(Compressor, ErrorFeedbackConservesMassExactly) {
  ExpectMassConserved(TopK(3, true), 20, 60);
  ExpectMassConserved(TopK(1, true), 64, 60);
  CompressorConfig sign;
  sign.sign = true;
  sign.error_feedback = true;
  // ||u||_1 / 16 is dyadic, but each round adds 4 bits below the point:
  // 8 rounds stay within a double's 53 bits, so the check is still exact.
  ExpectMassConserved(sign, 16, 8);
}

TEST(Compressor, TopKKeepsTheLargestOfGradientPlusResidual) {
  GradientCompressor c(TopK(2, true), 6, 1, 0);
  CompressedMessage msg;
  c.Compress(std::vector<double>{1, -5, 0.5, 4, 0, -0.25}, &msg);
  EXPECT_EQ(msg.index, (std::vector<std::int32_t>{1, 3}));
  EXPECT_EQ(msg.value, (std::vector<double>{-5, 4}));
  EXPECT_EQ(std::vector<double>(c.residual().begin(), c.residual().end()),
            (std::vector<double>{1, 0, 0.5, 0, 0, -0.25}));
  // The residual now tips coordinate 0 over: 1 + 2 = 3 beats 2.5.
  c.Compress(std::vector<double>{2, 0, 2, 0, 0, 0}, &msg);
  EXPECT_EQ(msg.index, (std::vector<std::int32_t>{0, 2}));
  EXPECT_EQ(msg.value, (std::vector<double>{3, 2.5}));
  // Without error feedback nothing is remembered.
  GradientCompressor plain(TopK(2, false), 6, 1, 0);
  plain.Compress(std::vector<double>{1, -5, 0.5, 4, 0, -0.25}, &msg);
  plain.Compress(std::vector<double>{2, 0, 1.5, 0, 0, 0}, &msg);
  EXPECT_EQ(msg.index, (std::vector<std::int32_t>{0, 2}));
  EXPECT_EQ(msg.value, (std::vector<double>{2, 1.5}));
  EXPECT_TRUE(plain.residual().empty());
}

TEST(Compressor, ScaledSignIsTheMeanMagnitudeTimesTheSign) {
  CompressorConfig config;
  config.sign = true;
  GradientCompressor c(config, 4, 1, 0);
  CompressedMessage msg;
  c.Compress(std::vector<double>{3, -1, 0, 4}, &msg);
  ASSERT_TRUE(msg.dense());
  EXPECT_EQ(msg.value, (std::vector<double>{2, -2, 0, 2}));
  EXPECT_EQ(msg.bits, 4 + 32);  // a sign per coordinate and one float
}

TEST(Compressor, NoneSendsTheGradientItself) {
  GradientCompressor c(CompressorConfig{}, 5, 1, 0);
  CompressedMessage msg;
  const std::vector<double> g = {0.1, -2, 3e-300, 7, -0.5};
  c.Compress(g, &msg);
  EXPECT_TRUE(msg.dense());
  EXPECT_EQ(msg.value, g);
  EXPECT_EQ(msg.bits, 5 * 32);  // the dense vector is cheaper than 5 (index, value) pairs
  c.Compress(std::vector<double>{0, 0, 1.5, 0, 0}, &msg);
  EXPECT_EQ(msg.bits, 3 + 32);  // one (index, value) pair: 3 index bits for P = 5
}

// A worker may send its gradient's own buffer when the compressor would
// pass it through; the coding length it reports is Compress's.
TEST(Compressor, PassThroughIsNoneWithoutFeedbackAndCountsTheSameBits) {
  GradientCompressor none(CompressorConfig{}, 5, 1, 0);
  EXPECT_TRUE(none.passes_through());
  CompressedMessage msg;
  for (const std::vector<double>& g : {std::vector<double>{0.1, -2, 3e-300, 7, -0.5},
                                       std::vector<double>{0, 0, 1.5, 0, 0}, std::vector<double>(5, 0.0)}) {
    none.Compress(g, &msg);
    EXPECT_EQ(none.PassThroughBits(g), msg.bits);
  }
  CompressorConfig ef;
  ef.error_feedback = true;
  EXPECT_FALSE(GradientCompressor(ef, 5, 1, 0).passes_through());
  CompressorConfig sign;
  sign.sign = true;
  EXPECT_FALSE(GradientCompressor(sign, 5, 1, 0).passes_through());
  EXPECT_FALSE(GradientCompressor(TopK(5, false), 5, 1, 0).passes_through());
}

TEST(Compressor, BadKAndLengthAreRefused) {
  EXPECT_THROW(GradientCompressor(TopK(7, true), 6, 1, 0), Error);
  EXPECT_THROW(GradientCompressor(TopK(-1, true), 6, 1, 0), Error);
  GradientCompressor c(TopK(2, true), 6, 1, 0);
  CompressedMessage msg;
  EXPECT_THROW(c.Compress(std::vector<double>(5, 1.0), &msg), Error);
}

}  // namespace
}  // namespace asyncopt
