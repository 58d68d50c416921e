// asyncopt kernels: per-thread scratch on cache lines of its own.
//
// Two threads that write different data on one cache line ping-pong that line
// between their cores (false sharing). A worker's scratch buffers (the values
// its margin read, its gradient, its sparsified message) are written for every
// row, so they must not share a line with anything another thread writes. An
// ordinary heap gives no such guarantee: malloc packs blocks 16 bytes apart,
// and after many runs (a benchmark sweep, an application that solves again and
// again) the freed blocks of earlier workers can sit side by side with this
// run's. LineAllocator's blocks start on a line and are padded to whole lines.
#pragma once

#include <algorithm>
#include <cstddef>
#include <limits>
#include <new>
#include <vector>

namespace asyncopt::kernels {

inline constexpr std::size_t kCacheLine = 64;

template <class T>
struct LineAllocator {
  using value_type = T;

  LineAllocator() = default;
  template <class U>
  LineAllocator(const LineAllocator<U>&) noexcept {}  // NOLINT(google-explicit-constructor)

  T* allocate(std::size_t n) {
    if (n > std::numeric_limits<std::size_t>::max() / sizeof(T) - kCacheLine) {
      throw std::bad_array_new_length();
    }
    return static_cast<T*>(::operator new(Bytes(n), std::align_val_t{kCacheLine}));
  }
  void deallocate(T* p, std::size_t n) noexcept {
    ::operator delete(p, Bytes(n), std::align_val_t{kCacheLine});
  }
  // n objects rounded up to whole lines (at least one).
  static std::size_t Bytes(std::size_t n) {
    const std::size_t b = std::max<std::size_t>(1, n * sizeof(T));
    return (b + kCacheLine - 1) / kCacheLine * kCacheLine;
  }

  template <class U>
  bool operator==(const LineAllocator<U>&) const noexcept {
    return true;
  }
};

// A std::vector whose buffer shares no cache line with another allocation.
template <class T>
using LineVector = std::vector<T, LineAllocator<T>>;

}  // namespace asyncopt::kernels
