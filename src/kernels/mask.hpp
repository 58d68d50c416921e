// asyncopt kernels: SODA's sparsity mask (Grishchenko, Iutzeler, Amini,
// Algorithm 1): every coordinate in supp(w) plus each zero coordinate with
// probability p.
//
//  * SupportSet: the support of a vector kept up to date coordinate by
//    coordinate in O(1) (index list + position table), so a mask costs
//    O(|supp| + p d) and never O(d).
//  * GeometricSkips: the zero coordinates of the mask by geometric skipping:
//    gaps between Bernoulli(p) successes are Geometric(p), so sampling visits
//    only the chosen coordinates instead of drawing d Bernoulli variables.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "data/random.hpp"

namespace asyncopt::kernels {

class SupportSet {
 public:
  explicit SupportSet(std::size_t d = 0) : position_(d, kAbsent) {}

  void Clear() {
    for (const std::int32_t j : members_) position_[static_cast<std::size_t>(j)] = kAbsent;
    members_.clear();
  }
  bool Contains(std::int32_t j) const { return position_[static_cast<std::size_t>(j)] != kAbsent; }
  // Records that coordinate j is now nonzero (true) or zero (false).
  void Set(std::int32_t j, bool nonzero) {
    auto& pos = position_[static_cast<std::size_t>(j)];
    if (nonzero && pos == kAbsent) {
      pos = static_cast<std::int32_t>(members_.size());
      members_.push_back(j);
    } else if (!nonzero && pos != kAbsent) {
      const std::int32_t last = members_.back();
      members_[static_cast<std::size_t>(pos)] = last;
      position_[static_cast<std::size_t>(last)] = pos;
      members_.pop_back();
      pos = kAbsent;
    }
  }
  const std::vector<std::int32_t>& members() const { return members_; }
  std::size_t size() const { return members_.size(); }

 private:
  static constexpr std::int32_t kAbsent = -1;
  std::vector<std::int32_t> position_;
  std::vector<std::int32_t> members_;
};

// Visits the coordinates j in [0, d) chosen independently with probability
// p each, in increasing order: f(j).
template <class F>
void GeometricSkips(std::int32_t d, double p, data::Rng& rng, F&& f) {
  if (p >= 1.0) {
    for (std::int32_t j = 0; j < d; ++j) f(j);
    return;
  }
  if (!(p > 0.0)) return;
  // Gap G ~ Geometric(p) on {0, 1, ...}: floor(log(U) / log(1 - p)), U in (0, 1].
  const double inv_log_q = 1.0 / std::log1p(-p);
  std::int64_t j = -1;
  for (;;) {
    const double u = 1.0 - rng.Uniform();  // (0, 1]
    const double gap = std::floor(std::log(u) * inv_log_q);
    if (!(gap < static_cast<double>(d))) return;  // also catches inf
    j += 1 + static_cast<std::int64_t>(gap);
    if (j >= d) return;
    f(static_cast<std::int32_t>(j));
  }
}

}  // namespace asyncopt::kernels
