// Seeded synthetic data: the Wangni et al. (paper 002) recipes, an RCV1-like
// power-law generator and a planted least-squares regression.
//
// Every row draws from its own random stream, derived from (seed, row), and
// the globally shared draws (column scales, planted models) from a stream of
// their own, so the output is bit-identical for any number of threads.
#include "asyncopt/generate.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/task_arena.h>

#include "asyncopt/error.hpp"
#include "data/format.hpp"
#include "data/parallel.hpp"
#include "data/random.hpp"

namespace asyncopt {
namespace {

// Stream families (see data/random.hpp); any distinct constants will do.
constexpr std::uint64_t kWangniGlobalDomain = 0x57414E47'00000001ULL;
constexpr std::uint64_t kWangniRowDomain = 0x57414E47'00000002ULL;
constexpr std::uint64_t kPowerLawGlobalDomain = 0x504F5745'00000001ULL;
constexpr std::uint64_t kPowerLawRowDomain = 0x504F5745'00000002ULL;
constexpr std::uint64_t kRegressionGlobalDomain = 0x52454752'00000001ULL;
constexpr std::uint64_t kRegressionRowDomain = 0x52454752'00000002ULL;

// Largest Zipf exponent accepted: (2^31)^-10 is still a normal double, so no
// feature weight underflows to zero.
constexpr double kMaxZipfExponent = 10.0;

[[noreturn]] void ThrowBadOption(const std::string& where, const std::string& name,
                                 const std::string& value, const std::string& allowed) {
  throw Error(ErrorKind::kInvalidOption,
              where + ": " + name + " = " + value + " is outside the allowed range " + allowed);
}

std::string Num(double value) { return data::ShortestDouble(value); }

// Drops stored entries that are exactly zero (rebuilding row_ptr).
void DropExactZeros(Dataset& data) {
  std::int64_t out = 0, begin = 0;
  for (std::size_t r = 0; r < static_cast<std::size_t>(data.num_rows); ++r) {
    const std::int64_t end = data.row_ptr[r + 1];
    for (std::int64_t k = begin; k < end; ++k) {
      const double v = data.values[static_cast<std::size_t>(k)];
      if (v == 0.0) continue;
      data.col_index[static_cast<std::size_t>(out)] = data.col_index[static_cast<std::size_t>(k)];
      data.values[static_cast<std::size_t>(out)] = v;
      ++out;
    }
    begin = end;
    data.row_ptr[r + 1] = out;
  }
  data.col_index.resize(static_cast<std::size_t>(out));
  data.values.resize(static_cast<std::size_t>(out));
}

// ---------------------------------------------------------------------------
// Wangni et al. Section 4 and 4.2. Both recipes:
//   a_bar_ni ~ N(0,1);  B ~ U[0,1]^d;  B_i <- C1 B_i where B_i <= C2;
//   a_n = a_bar_n (.) B.
// Section 4.2 (SVM):      w_bar ~ U[-0.5,0.5]^d, b_n = sign(a_n . w_bar + sigma).
// Section 4 (logistic):   w_bar ~ N(0, I),       b_n = sign(a_bar_n . w_bar + sigma)
//                         (the paper labels from the dense a_bar_n and has no
//                         sigma; noise = 0 reproduces it exactly).
// sigma ~ N(0, noise^2) per row; sign(0) = +1. Columns whose B_i is 0 are
// never stored, so every row holds the same nonzero columns.
struct WangniRecipe {
  std::int64_t rows;
  std::int32_t dim;
  double c1, c2, noise;
  std::uint64_t seed;
  bool svm;  // Section 4.2 (true) or Section 4 (false)
};

Dataset GenerateWangni(const WangniRecipe& recipe) {
  const std::string where = recipe.svm ? "GenerateWangniSvm" : "GenerateWangniLogistic";
  if (recipe.rows <= 0) ThrowBadOption(where, "rows", std::to_string(recipe.rows), "[1, 2^63)");
  if (recipe.dim <= 0) ThrowBadOption(where, "dim", std::to_string(recipe.dim), "[1, 2^31)");
  if (!(recipe.c1 >= 0.0 && recipe.c1 <= 1.0)) ThrowBadOption(where, "c1", Num(recipe.c1), "[0, 1]");
  if (!(recipe.c2 >= 0.0 && recipe.c2 <= 1.0)) ThrowBadOption(where, "c2", Num(recipe.c2), "[0, 1]");
  if (!(recipe.noise >= 0.0) || std::isinf(recipe.noise)) {
    ThrowBadOption(where, "noise", Num(recipe.noise), "[0, inf)");
  }
  const auto dim = static_cast<std::size_t>(recipe.dim);

  // Shared draws: B first, then w_bar, from the global stream.
  data::Rng global = data::Rng::ForStream(recipe.seed, kWangniGlobalDomain, 0);
  std::vector<double> scale(dim);
  for (double& b : scale) {
    b = global.Uniform();
    if (b <= recipe.c2) b *= recipe.c1;
  }
  std::vector<double> w_bar(dim);
  for (double& w : w_bar) w = recipe.svm ? global.Uniform() - 0.5 : global.Normal();

  std::vector<std::int32_t> kept;  // columns with B_i != 0, ascending
  for (std::size_t i = 0; i < dim; ++i) {
    if (scale[i] != 0.0) kept.push_back(static_cast<std::int32_t>(i));
  }
  const auto per_row = static_cast<std::int64_t>(kept.size());
  if (per_row > 0 && recipe.rows > std::numeric_limits<std::int64_t>::max() / per_row) {
    ThrowBadOption(where, "rows", std::to_string(recipe.rows), "with rows * dim < 2^63");
  }

  Dataset data;
  data.num_rows = recipe.rows;
  data.num_cols = recipe.dim;
  data.row_ptr.resize(static_cast<std::size_t>(recipe.rows) + 1);
  for (std::int64_t r = 0; r <= recipe.rows; ++r) data.row_ptr[static_cast<std::size_t>(r)] = r * per_row;
  data.col_index.resize(static_cast<std::size_t>(recipe.rows * per_row));
  data.values.resize(static_cast<std::size_t>(recipe.rows * per_row));
  data.labels.resize(static_cast<std::size_t>(recipe.rows));

  data::ParallelFor<std::int64_t>(0, recipe.rows, 64, [&](const tbb::blocked_range<std::int64_t>& range) {
    for (std::int64_t r = range.begin(); r != range.end(); ++r) {
      data::Rng rng = data::Rng::ForStream(recipe.seed, kWangniRowDomain, static_cast<std::uint64_t>(r));
      auto out = static_cast<std::size_t>(r * per_row);
      double margin = 0.0;
      for (std::size_t i = 0; i < dim; ++i) {
        const double a_bar = rng.Normal();
        const double a = a_bar * scale[i];
        margin += (recipe.svm ? a : a_bar) * w_bar[i];
        if (scale[i] != 0.0) {
          data.col_index[out] = static_cast<std::int32_t>(i);
          data.values[out] = a;
          ++out;
        }
      }
      const double sigma = recipe.noise * rng.Normal();
      data.labels[static_cast<std::size_t>(r)] = margin + sigma >= 0.0 ? 1.0 : -1.0;
    }
  });
  // a_bar * B can only be exactly zero by underflow (tiny c1) or a zero draw.
  if (std::find(data.values.begin(), data.values.end(), 0.0) != data.values.end()) {
    DropExactZeros(data);
  }
  data.source = std::string("generated:") + (recipe.svm ? "wangni-svm" : "wangni-logistic") +
                " rows=" + std::to_string(recipe.rows) + " dim=" + std::to_string(recipe.dim) +
                " c1=" + Num(recipe.c1) + " c2=" + Num(recipe.c2) + " noise=" + Num(recipe.noise) +
                " seed=" + std::to_string(recipe.seed);
  return data;
}

// ---------------------------------------------------------------------------
// Power-law generator.

// Walker/Vose alias table over weights w_0..w_{n-1}: one 64-bit draw gives a
// column (high 32 bits) and a coin (low 32 bits).
class AliasTable {
 public:
  explicit AliasTable(const std::vector<double>& weight) : entries_(weight.size()) {
    const std::size_t n = weight.size();
    double total = 0.0;
    for (const double w : weight) total += w;
    std::vector<double> p(n);
    std::vector<std::int32_t> small, large;
    for (std::size_t i = 0; i < n; ++i) {
      p[i] = weight[i] * static_cast<double>(n) / total;
      (p[i] < 1.0 ? small : large).push_back(static_cast<std::int32_t>(i));
    }
    while (!small.empty() && !large.empty()) {
      const std::int32_t s = small.back();
      small.pop_back();
      const std::int32_t l = large.back();
      large.pop_back();
      entries_[static_cast<std::size_t>(s)] = {ToThreshold(p[static_cast<std::size_t>(s)]), l};
      double& pl = p[static_cast<std::size_t>(l)];
      pl = (pl + p[static_cast<std::size_t>(s)]) - 1.0;
      (pl < 1.0 ? small : large).push_back(l);
    }
    // Left-overs have probability 1 up to rounding: always keep the column.
    for (const std::int32_t i : small) entries_[static_cast<std::size_t>(i)] = {0xFFFFFFFFU, i};
    for (const std::int32_t i : large) entries_[static_cast<std::size_t>(i)] = {0xFFFFFFFFU, i};
  }

  std::int32_t Draw(data::Rng& rng) const {
    const std::uint64_t bits = rng.Next();
    const auto column = static_cast<std::size_t>(((bits >> 32) * entries_.size()) >> 32);
    const Entry& e = entries_[column];
    return (bits & 0xFFFFFFFFULL) < e.threshold ? static_cast<std::int32_t>(column) : e.alias;
  }

 private:
  struct Entry {
    std::uint32_t threshold;  // keep the column when the coin is below this
    std::int32_t alias;
  };
  static std::uint32_t ToThreshold(double probability) {
    const double scaled = std::floor(probability * 4294967296.0);
    return scaled >= 4294967295.0 ? 0xFFFFFFFFU : static_cast<std::uint32_t>(std::max(scaled, 0.0));
  }
  std::vector<Entry> entries_;
};

// The features already drawn for one row: open addressing over a table
// four times the row length, small enough to stay in L1 cache.
class RowFeatureSet {
 public:
  explicit RowFeatureSet(std::int32_t capacity_hint) {
    std::size_t size = 16;
    while (size < 4 * static_cast<std::size_t>(capacity_hint)) size *= 2;
    slots_.assign(size, -1);
    mask_ = size - 1;
  }
  void Clear() { std::fill(slots_.begin(), slots_.end(), -1); }
  // Adds j; false when it was already there.
  bool Insert(std::int32_t j) {
    for (std::size_t at = Slot(j);; at = (at + 1) & mask_) {
      if (slots_[at] == j) return false;
      if (slots_[at] < 0) {
        slots_[at] = j;
        return true;
      }
    }
  }
  bool Contains(std::int32_t j) const {
    for (std::size_t at = Slot(j);; at = (at + 1) & mask_) {
      if (slots_[at] == j) return true;
      if (slots_[at] < 0) return false;
    }
  }

 private:
  std::size_t Slot(std::int32_t j) const {
    return static_cast<std::size_t>((static_cast<std::uint32_t>(j) * 0x9E3779B1U) >> 7) & mask_;
  }
  std::vector<std::int32_t> slots_;
  std::size_t mask_ = 0;
};

}  // namespace

Dataset GenerateWangniSvm(const WangniSvmOptions& options) {
  return GenerateWangni({options.rows, options.dim, options.c1, options.c2, options.noise,
                         options.seed, /*svm=*/true});
}

Dataset GenerateWangniLogistic(const WangniLogisticOptions& options) {
  return GenerateWangni({options.rows, options.dim, options.c1, options.c2, options.noise,
                         options.seed, /*svm=*/false});
}

// Each row: nnz_per_row distinct features drawn one after another with
// probability proportional to 1 / rank^s among those not yet in the row
// (duplicates rejected; feature j has rank j + 1). Values:
// idf_j * exp(z / 2), z ~ N(0,1), idf_j = ln(1 + 1 / p_j) with p_j =
// min(1, nnz_per_row * q_j) the approximate share of rows holding feature j
// (q_j its Zipf probability); then the row is scaled to unit l2 norm.
// Labels: sign(x . w) for a planted w with round(d / 10) (at least one)
// random features ~ N(0,1), a fair coin when x . w = 0, then flipped with
// probability label_noise.
Dataset GeneratePowerLaw(const PowerLawOptions& options) {
  const std::string where = "GeneratePowerLaw";
  if (options.rows <= 0) ThrowBadOption(where, "rows", std::to_string(options.rows), "[1, 2^63)");
  if (options.dim <= 0) ThrowBadOption(where, "dim", std::to_string(options.dim), "[1, 2^31)");
  if (options.nnz_per_row < 1 || options.nnz_per_row > options.dim) {
    ThrowBadOption(where, "nnz_per_row", std::to_string(options.nnz_per_row),
                   "[1, dim = " + std::to_string(options.dim) + "]");
  }
  if (!(options.zipf_exponent >= 0.0 && options.zipf_exponent <= kMaxZipfExponent)) {
    ThrowBadOption(where, "zipf_exponent", Num(options.zipf_exponent), "[0, 10]");
  }
  if (!(options.label_noise >= 0.0 && options.label_noise <= 1.0)) {
    ThrowBadOption(where, "label_noise", Num(options.label_noise), "[0, 1]");
  }
  if (options.threads < 0) {
    ThrowBadOption(where, "threads", std::to_string(options.threads), "[0 (all), max int]");
  }
  const std::int64_t rows = options.rows;
  const std::int32_t per_row = options.nnz_per_row;
  if (rows > std::numeric_limits<std::int64_t>::max() / per_row) {
    ThrowBadOption(where, "rows", std::to_string(rows), "with rows * nnz_per_row < 2^63");
  }
  const auto dim = static_cast<std::size_t>(options.dim);
  const double s = options.zipf_exponent;

  std::vector<double> weight(dim);
  for (std::size_t j = 0; j < dim; ++j) {
    weight[j] = s == 0.0 ? 1.0 : data::DetExp(-s * data::DetLog(static_cast<double>(j + 1)));
  }
  double total = 0.0;
  for (const double w : weight) total += w;
  const AliasTable table(weight);
  std::vector<double> idf(dim);
  for (std::size_t j = 0; j < dim; ++j) {
    const double share = std::min(1.0, static_cast<double>(per_row) * (weight[j] / total));
    idf[j] = data::DetLog(1.0 + 1.0 / share);
  }

  // Planted model on round(d / 10) features chosen by a partial shuffle.
  data::Rng global = data::Rng::ForStream(options.seed, kPowerLawGlobalDomain, 0);
  std::vector<double> planted(dim, 0.0);
  {
    const std::size_t support =
        std::max<std::size_t>(1, static_cast<std::size_t>(std::llround(0.1 * static_cast<double>(dim))));
    std::vector<std::int32_t> order(dim);
    for (std::size_t j = 0; j < dim; ++j) order[j] = static_cast<std::int32_t>(j);
    for (std::size_t i = 0; i < support; ++i) {
      const std::size_t pick = i + static_cast<std::size_t>(global.Below(dim - i));
      std::swap(order[i], order[pick]);
      planted[static_cast<std::size_t>(order[i])] = global.Normal();
    }
  }

  Dataset data;
  data.num_rows = rows;
  data.num_cols = options.dim;
  data.row_ptr.resize(static_cast<std::size_t>(rows) + 1);
  for (std::int64_t r = 0; r <= rows; ++r) data.row_ptr[static_cast<std::size_t>(r)] = r * per_row;
  data.col_index.resize(static_cast<std::size_t>(rows * per_row));
  data.values.resize(static_cast<std::size_t>(rows * per_row));
  data.labels.resize(static_cast<std::size_t>(rows));

  const std::int64_t draw_budget = 16 * static_cast<std::int64_t>(per_row) + 64;
  const auto fill_rows = [&](const tbb::blocked_range<std::int64_t>& range) {
    RowFeatureSet chosen(per_row);
    for (std::int64_t r = range.begin(); r != range.end(); ++r) {
      data::Rng rng = data::Rng::ForStream(options.seed, kPowerLawRowDomain, static_cast<std::uint64_t>(r));
      std::int32_t* index = data.col_index.data() + r * per_row;
      double* value = data.values.data() + r * per_row;
      chosen.Clear();
      std::int32_t filled = 0;
      for (std::int64_t draws = 0; filled < per_row && draws < draw_budget; ++draws) {
        const std::int32_t j = table.Draw(rng);
        if (chosen.Insert(j)) index[filled++] = j;
      }
      // Rejection is slow only when the row takes most of the popular mass
      // (nnz_per_row close to dim with a steep Zipf law): finish with the
      // same conditional draws by a scan over the features still free.
      while (filled < per_row) {
        double rest = 0.0;
        for (std::size_t j = 0; j < dim; ++j) {
          if (!chosen.Contains(static_cast<std::int32_t>(j))) rest += weight[j];
        }
        const double target = rng.Uniform() * rest;
        double sum = 0.0;
        std::int32_t pick = -1;
        for (std::size_t j = 0; j < dim; ++j) {
          if (chosen.Contains(static_cast<std::int32_t>(j))) continue;
          pick = static_cast<std::int32_t>(j);
          sum += weight[j];
          if (sum > target) break;
        }
        chosen.Insert(pick);
        index[filled++] = pick;
      }
      std::sort(index, index + per_row);

      double norm_sq = 0.0;
      for (std::int32_t k = 0; k < per_row; ++k) {
        const double v = idf[static_cast<std::size_t>(index[k])] * data::DetExp(0.5 * rng.Normal());
        value[k] = v;
        norm_sq += v * v;
      }
      const double norm = std::sqrt(norm_sq);
      double margin = 0.0;
      for (std::int32_t k = 0; k < per_row; ++k) {
        value[k] /= norm;
        margin += value[k] * planted[static_cast<std::size_t>(index[k])];
      }
      double label = margin > 0.0 ? 1.0 : -1.0;
      if (margin == 0.0) label = (rng.Next() >> 63) != 0 ? 1.0 : -1.0;
      if (rng.Uniform() < options.label_noise) label = -label;
      data.labels[static_cast<std::size_t>(r)] = label;
    }
  };
  tbb::task_arena arena(options.threads > 0 ? options.threads : tbb::task_arena::automatic);
  arena.execute([&] {
    data::ParallelFor<std::int64_t>(0, rows, 64, fill_rows);
  });

  data.source = "generated:powerlaw rows=" + std::to_string(rows) + " dim=" + std::to_string(options.dim) +
                " nnz_per_row=" + std::to_string(per_row) + " zipf=" + Num(s) +
                " label_noise=" + Num(options.label_noise) + " seed=" + std::to_string(options.seed);
  return data;
}

// w* from the global stream; row n from its own: x_n's d draws, then e_n.
Dataset GenerateRegression(const RegressionOptions& options) {
  const std::string where = "GenerateRegression";
  if (options.rows <= 0) ThrowBadOption(where, "rows", std::to_string(options.rows), "[1, 2^63)");
  if (options.dim <= 0) ThrowBadOption(where, "dim", std::to_string(options.dim), "[1, 2^31)");
  if (!(options.noise >= 0.0) || std::isinf(options.noise)) {
    ThrowBadOption(where, "noise", Num(options.noise), "[0, inf)");
  }
  if (options.threads < 0) {
    ThrowBadOption(where, "threads", std::to_string(options.threads), "[0 (all), max int]");
  }
  const std::int64_t dim = options.dim;
  if (options.rows > std::numeric_limits<std::int64_t>::max() / dim) {
    ThrowBadOption(where, "rows", std::to_string(options.rows), "with rows * dim < 2^63");
  }
  data::Rng global = data::Rng::ForStream(options.seed, kRegressionGlobalDomain, 0);
  std::vector<double> planted(static_cast<std::size_t>(dim));
  for (double& w : planted) w = global.Normal();

  Dataset data;
  data.num_rows = options.rows;
  data.num_cols = options.dim;
  data.label_kind = LabelKind::kTargets;
  data.positive_label_text.clear();
  data.negative_label_text.clear();
  data.row_ptr.resize(static_cast<std::size_t>(options.rows) + 1);
  for (std::int64_t r = 0; r <= options.rows; ++r) data.row_ptr[static_cast<std::size_t>(r)] = r * dim;
  data.col_index.resize(static_cast<std::size_t>(options.rows * dim));
  data.values.resize(static_cast<std::size_t>(options.rows * dim));
  data.labels.resize(static_cast<std::size_t>(options.rows));
  auto fill_rows = [&](const tbb::blocked_range<std::int64_t>& range) {
    for (std::int64_t r = range.begin(); r != range.end(); ++r) {
      data::Rng rng = data::Rng::ForStream(options.seed, kRegressionRowDomain, static_cast<std::uint64_t>(r));
      const auto out = static_cast<std::size_t>(r * dim);
      double target = 0.0;
      for (std::int64_t j = 0; j < dim; ++j) {
        const double x = rng.Normal();
        data.col_index[out + static_cast<std::size_t>(j)] = static_cast<std::int32_t>(j);
        data.values[out + static_cast<std::size_t>(j)] = x;
        target += x * planted[static_cast<std::size_t>(j)];
      }
      data.labels[static_cast<std::size_t>(r)] = target + options.noise * rng.Normal();
    }
  };
  tbb::task_arena arena(options.threads > 0 ? options.threads : tbb::task_arena::automatic);
  arena.execute([&] { data::ParallelFor<std::int64_t>(0, options.rows, 64, fill_rows); });
  // A draw of exactly 0 is not stored (LIBSVM data has no explicit zeros).
  if (std::find(data.values.begin(), data.values.end(), 0.0) != data.values.end()) {
    DropExactZeros(data);
  }
  data.source = "generated:regression rows=" + std::to_string(options.rows) +
                " dim=" + std::to_string(options.dim) + " noise=" + Num(options.noise) +
                " seed=" + std::to_string(options.seed);
  return data;
}

}  // namespace asyncopt
