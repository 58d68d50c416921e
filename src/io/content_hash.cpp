// ContentHash: a 64-bit hash of a Dataset's matrix and labels.
//
// Four independent multiply-xorshift lanes absorb 8-byte little-endian words
// (so the loop is not bound by one multiply chain); every array is preceded by
// its length, and the lanes are folded together at the end.
#include <array>
#include <cstdint>
#include <cstring>
#include <string>

#include "asyncopt/dataset.hpp"

namespace asyncopt {
namespace {

constexpr std::uint64_t kMulA = 0x9e3779b97f4a7c15ULL;
constexpr std::uint64_t kMulB = 0xd6e8feb86659fd93ULL;
constexpr std::uint64_t kMulC = 0xff51afd7ed558ccdULL;

inline std::uint64_t RotateLeft(std::uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

inline std::uint64_t Scramble(std::uint64_t w) {
  w *= kMulB;
  w ^= w >> 32;
  return w;
}

inline std::uint64_t Finalize(std::uint64_t x) {
  x ^= x >> 33;
  x *= kMulC;
  x ^= x >> 29;
  x *= kMulB;
  x ^= x >> 32;
  return x;
}

inline std::uint64_t LoadWord(const unsigned char* p) {
  std::uint64_t w;
  std::memcpy(&w, p, 8);
  return w;  // little-endian hosts; all supported targets are
}

class Hasher {
 public:
  void Absorb(std::uint64_t word) { Mix(0, word); }

  void AbsorbBytes(const void* data, std::size_t size) {
    Absorb(size);
    const auto* p = static_cast<const unsigned char*>(data);
    std::size_t i = 0;
    for (; i + 32 <= size; i += 32) {
      Mix(0, LoadWord(p + i));
      Mix(1, LoadWord(p + i + 8));
      Mix(2, LoadWord(p + i + 16));
      Mix(3, LoadWord(p + i + 24));
    }
    for (; i + 8 <= size; i += 8) Mix(0, LoadWord(p + i));
    if (i < size) {
      unsigned char tail[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      std::memcpy(tail, p + i, size - i);
      Mix(1, LoadWord(tail));
    }
  }

  std::uint64_t Digest() const {
    std::uint64_t h = 0x243f6a8885a308d3ULL;
    for (int k = 0; k < 4; ++k) h = Finalize(h ^ RotateLeft(lane_[k], 17 * k + 5)) * kMulA;
    return Finalize(h);
  }

 private:
  void Mix(int k, std::uint64_t word) {
    lane_[k] = RotateLeft(lane_[k] ^ Scramble(word), 29) * kMulA;
  }

  std::array<std::uint64_t, 4> lane_ = {0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL,
                                        0x3c6ef372fe94f82bULL, 0xa54ff53a5f1d36f1ULL};
};

}  // namespace

std::uint64_t ContentHash(const Dataset& data) {
  Hasher hasher;
  hasher.Absorb(static_cast<std::uint64_t>(data.num_rows));
  hasher.Absorb(static_cast<std::uint64_t>(static_cast<std::uint32_t>(data.num_cols)));
  hasher.AbsorbBytes(data.row_ptr.data(), data.row_ptr.size() * sizeof(std::int64_t));
  hasher.AbsorbBytes(data.col_index.data(), data.col_index.size() * sizeof(std::int32_t));
  hasher.AbsorbBytes(data.values.data(), data.values.size() * sizeof(double));
  hasher.AbsorbBytes(data.labels.data(), data.labels.size() * sizeof(double));
  // Class ids name their classes: the same ids over other labels are other
  // data. (Binary classes and targets hash as they always have.)
  if (data.label_kind == LabelKind::kClassIds) {
    hasher.AbsorbBytes(data.class_labels.data(), data.class_labels.size() * sizeof(double));
  }
  return hasher.Digest();
}

std::string HashToHex(std::uint64_t hash) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = kDigits[hash & 0xf];
    hash >>= 4;
  }
  return out;
}

}  // namespace asyncopt
