// asyncopt: the reference solver. Computes f* = min_w F(w) to high relative
// accuracy, with a certificate (an upper bound on (F(w) - f*) / |F(w)|):
//
//  * smooth loss, l1 = 0:  line-search Newton-CG ("newton-cg"); Hessian-vector
//    products X^T D X v / m + l2 v; see Nocedal & Wright, Numerical
//    Optimization (2006), Algorithm 7.1 (inexact Newton with forcing term
//    eta_k = min(0.1, sqrt(||g_k|| / ||g_0||))). With few columns the
//    products run in one pass over the rows (TransposeTimesRows), and once
//    CG needs more iterations than a dense Hessian costs, the Newton system
//    is formed and solved by Cholesky (DenseNewtonSystem). Logistic and
//    squared hinge start from one pass of plain SGD (SgdWarmStart), kept
//    only if it lowers F: Newton's first steps from w = 0 are short.
//  * smooth loss, l1 > 0:  proximal Newton with coordinate-descent inner
//    solves ("prox-newton-cd"): newGLMNET, Yuan, Ho & Lin, "An Improved GLMNET
//    for L1-regularized Logistic Regression", JMLR 13 (2012), Algorithm 3,
//    with subspace Newton steps on the model's support when its coordinate
//    descent stalls (badly scaled, correlated columns; see ModelSubspace).
//  * hinge, l1 = 0, l2 > 0: dual coordinate descent ("dual-cd"), Hsieh, Chang,
//    Lin, Keerthi & Sundararajan, "A Dual Coordinate Descent Method for
//    Large-scale Linear SVM", ICML 2008, Algorithm 1 (random permutation)
//    with the shrinking of Section 3.2, plus an exact active-set finishing
//    step on the free variables (see HingeDual).
//
// Certificates: with l2 > 0 the objective is l2-strongly convex so
// F(w) - f* <= ||s||^2 / (2 l2) for the minimum-norm subgradient s; with
// l1 > 0 also the Fenchel duality gap at u_i = loss'(z_i) (scaled to
// ||X^T u / m||_inf <= l1 when l2 = 0); hinge uses the exact dual gap of its
// dual iterate; l1 = l2 = 0 falls back to the Newton decrement g^T H^-1 g / 2
// (exact for the squared loss, an estimate otherwise); the squared loss with
// l2 > 0 also takes the decrement plus CG's residual term, which the
// strong-convexity bound cannot match when l2 is far below X^T X / m's
// smallest eigenvalue (see NewtonCg).
//
// Determinism: every reduction goes through detail::Parallel::Sum (fixed
// blocks, fixed order), products X v are per row, X^T r per column (CSC) or,
// with few columns, per fixed block of rows with the blocks' partials added in
// order, a dense Hessian per column, and the coordinate orders come from a fixed-seed splitmix64 generator, so
// the result has the same bits for any thread count.
#include "algorithms/reference.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include <Eigen/Dense>

#include "asyncopt/error.hpp"
#include "asyncopt/optimum.hpp"
#include "kernels/losses.hpp"
#include "kernels/sparse_ops.hpp"
#include "problem/gradient.hpp"
#include "problem/parallel.hpp"
#include "runtime/memory.hpp"

namespace asyncopt {
namespace detail {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr std::int64_t kColBlock = 4096;  // elements per block of sums over d
// X^T v by rows (per-block dense partials) when d is at most this and the
// partials hold at most kRowwiseMaxPartials doubles (32 MB).
constexpr std::int64_t kRowwiseMaxCols = 4096;
constexpr std::int64_t kRowwiseMaxPartials = std::int64_t{1} << 22;
// Relative change of F below which a line search cannot tell a decrease from
// rounding noise.
constexpr double kFlat = 1e-13;

// splitmix64 (Steele, Lea & Flood 2014): tiny, portable, seeded.
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
  std::uint64_t Next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Fisher-Yates shuffle with a (slightly biased, portable) modulo draw.
  template <class T>
  void Shuffle(std::vector<T>& v) {
    for (std::size_t i = v.size(); i > 1; --i) {
      std::swap(v[i - 1], v[static_cast<std::size_t>(Next() % i)]);
    }
  }

 private:
  std::uint64_t state_;
};

// Minimum-norm element of the subdifferential of g_j + l1 |.| at w_j.
inline double MinNormSubgradient(double g, double w, double l1) {
  if (w > 0.0) return g + l1;
  if (w < 0.0) return g - l1;
  if (g > l1) return g - l1;
  if (g < -l1) return g + l1;
  return 0.0;
}

// Everything a solver needs: data in both layouts, options, thread arena.
struct Context {
  Context(const Dataset& d, const Problem& p, const ReferenceOptions& o)
      : data(d), problem(p), options(o), par(o.threads), m(d.num_rows), n(d.num_cols) {
    if (m >= (std::int64_t{1} << 31)) ToColumns(d);  // throws kUnsupported now, not later
  }

  const Dataset& data;
  Problem problem;
  const ReferenceOptions& options;
  Parallel par;
  std::int64_t m;
  std::int64_t n;
  std::vector<double> partials;  // TransposeTimesRows' per-block sums
  std::unique_ptr<ColumnMatrix> cols_;  // Cols()' cache

  // The CSC copy, built on first use (call it outside parallel regions):
  // with few columns Newton-CG's products run by rows and may never need it.
  const ColumnMatrix& Cols() {
    if (!cols_) cols_ = std::make_unique<ColumnMatrix>(ToColumns(data));
    return *cols_;
  }

  // The caller's stop flag or its should_stop callback: looked at between
  // outer iterations and inside them (every CG iteration, line-search trial
  // and coordinate-descent pass), so a stop or a deadline takes effect
  // within about one pass over the data.
  bool StopRequested() const {
    if (options.stop != nullptr && options.stop->load(std::memory_order_relaxed)) return true;
    return options.should_stop && options.should_stop();
  }

  // z = X w (per row: deterministic).
  void Times(const std::vector<double>& w, std::vector<double>& z) {
    par.For(m, 256, [&](std::int64_t b, std::int64_t e) {
      for (std::int64_t i = b; i < e; ++i) {
        z[static_cast<std::size_t>(i)] = kernels::Dot4(data.row(i), w.data());
      }
    });
  }

  // out = X^T r (per column over the CSC copy: deterministic).
  void TransposeTimes(const std::vector<double>& r, std::vector<double>& out) {
    const ColumnMatrix& cols = Cols();
    par.For(n, 64, [&](std::int64_t b, std::int64_t e) {
      for (std::int64_t j = b; j < e; ++j) {
        double s = 0.0;
        const auto k1 = cols.col_ptr[static_cast<std::size_t>(j) + 1];
        for (auto k = cols.col_ptr[static_cast<std::size_t>(j)]; k < k1; ++k) {
          s += cols.values[static_cast<std::size_t>(k)] *
               r[static_cast<std::size_t>(cols.row_index[static_cast<std::size_t>(k)])];
        }
        out[static_cast<std::size_t>(j)] = s;
      }
    });
  }

  // Whether X^T v is cheaper by rows: few columns, so each block of
  // kRowBlock rows can scatter into its own dense partial (the partials of
  // all blocks stay small) and the product takes one pass over the rows
  // instead of a gather over the CSC copy.
  bool RowwiseTranspose() const {
    const std::int64_t blocks = (m + kRowBlock - 1) / kRowBlock;
    return n <= kRowwiseMaxCols && blocks * n <= kRowwiseMaxPartials;
  }

  // out = sum_i coef(i, row_i) x_i by rows (requires RowwiseTranspose()).
  // coef may read the row (Hessian-vector products fuse x_i . p into the same
  // pass). Block b's partial sums its rows in order, and the partials are
  // added in block order: the same bits for any thread count.
  template <class Coef>
  void TransposeTimesRows(const Coef& coef, std::vector<double>& out) {
    const std::int64_t blocks = (m + kRowBlock - 1) / kRowBlock;
    const auto nn = static_cast<std::size_t>(n);
    partials.assign(static_cast<std::size_t>(blocks) * nn, 0.0);
    par.For(blocks, 1, [&](std::int64_t b0, std::int64_t b1) {
      for (std::int64_t b = b0; b < b1; ++b) {
        double* acc = partials.data() + static_cast<std::size_t>(b) * nn;
        const std::int64_t e = std::min(m, (b + 1) * kRowBlock);
        for (std::int64_t i = b * kRowBlock; i < e; ++i) {
          const SparseRow row = data.row(i);
          kernels::Axpy(coef(i, row), row, acc);
        }
      }
    });
    std::fill(out.begin(), out.end(), 0.0);
    for (std::int64_t b = 0; b < blocks; ++b) {
      const double* acc = partials.data() + static_cast<std::size_t>(b) * nn;
      for (std::size_t j = 0; j < nn; ++j) out[j] += acc[j];
    }
  }

  // g = X^T r, by rows or by columns, whichever is cheaper.
  void Gradient(const std::vector<double>& r, std::vector<double>& g) {
    if (RowwiseTranspose()) {
      TransposeTimesRows([&](std::int64_t i, const SparseRow&) { return r[static_cast<std::size_t>(i)]; }, g);
    } else {
      TransposeTimes(r, g);
    }
  }

  // hp = X^T diag(curv) X p (without the l2 term); xp is scratch of size m.
  void HessianTimes(const std::vector<double>& curv, const std::vector<double>& p,
                    std::vector<double>& xp, std::vector<double>& hp) {
    if (RowwiseTranspose()) {
      TransposeTimesRows(
          [&](std::int64_t i, const SparseRow& row) {
            return curv[static_cast<std::size_t>(i)] * kernels::Dot4(row, p.data());
          },
          hp);
      return;
    }
    Times(p, xp);
    for (std::int64_t i = 0; i < m; ++i) xp[static_cast<std::size_t>(i)] *= curv[static_cast<std::size_t>(i)];
    TransposeTimes(xp, hp);
  }

  double DotD(const std::vector<double>& a, const std::vector<double>& b) {
    return par.Sum(n, kColBlock, [&](std::int64_t s, std::int64_t e) {
      double acc = 0.0;
      for (std::int64_t j = s; j < e; ++j) acc += a[static_cast<std::size_t>(j)] * b[static_cast<std::size_t>(j)];
      return acc;
    });
  }

  // (1/m) sum_i loss(y_i, z_i + alpha u_i); u may be null.
  template <class L>
  double LossMean(const std::vector<double>& z, const std::vector<double>* u, double alpha) {
    const double s = par.Sum(m, kRowBlock, [&](std::int64_t b, std::int64_t e) {
      double acc = 0.0;
      for (std::int64_t i = b; i < e; ++i) {
        const auto ii = static_cast<std::size_t>(i);
        const double zi = u == nullptr ? z[ii] : z[ii] + alpha * (*u)[ii];
        acc += L::Value(data.labels[ii], zi);
      }
      return acc;
    });
    return s / static_cast<double>(m);
  }

  // r_i = loss'(z_i) / m, c_i = loss''(z_i) / m; returns the mean loss.
  template <class L>
  double Derivatives(const std::vector<double>& z, std::vector<double>& r, std::vector<double>* c) {
    const double inv_m = 1.0 / static_cast<double>(m);
    const double s = par.Sum(m, kRowBlock, [&](std::int64_t b, std::int64_t e) {
      double acc = 0.0;
      for (std::int64_t i = b; i < e; ++i) {
        const auto ii = static_cast<std::size_t>(i);
        const kernels::LossAtMargin at = kernels::EvaluateLoss<L>(data.labels[ii], z[ii]);
        acc += at.value;
        r[ii] = at.derivative * inv_m;
        if (c != nullptr) (*c)[ii] = at.curvature * inv_m;
      }
      return acc;
    });
    return s / static_cast<double>(m);
  }

  double Regulariser(const std::vector<double>& w) const {
    return internal::Regulariser(problem, w);
  }

  // Absolute bound on F(w) - f* (see the file comment); g is the gradient of
  // the smooth part including l2 w, z = X w, F = F(w).
  template <class L>
  double GapBound(const std::vector<double>& w, const std::vector<double>& z,
                  const std::vector<double>& g, double F) {
    const double l1 = problem.l1, l2 = problem.l2;
    double best = kInf;
    if (l2 > 0.0) {
      const double ss = par.Sum(n, kColBlock, [&](std::int64_t b, std::int64_t e) {
        double acc = 0.0;
        for (std::int64_t j = b; j < e; ++j) {
          const auto jj = static_cast<std::size_t>(j);
          const double s = MinNormSubgradient(g[jj], w[jj], l1);
          acc += s * s;
        }
        return acc;
      });
      best = ss / (2.0 * l2);
    }
    if (l1 > 0.0 && L::kLoss != Loss::kHinge) {
      // Dual point u_i = loss'(z_i); v = X^T u / m = g - l2 w.
      double scale = 1.0;
      double h_conj = 0.0;
      if (l2 == 0.0) {
        double vmax = 0.0;
        for (double gj : g) vmax = std::max(vmax, std::fabs(gj));
        if (vmax > l1) scale = l1 / vmax;
      } else {
        h_conj = par.Sum(n, kColBlock, [&](std::int64_t b, std::int64_t e) {
          double acc = 0.0;
          for (std::int64_t j = b; j < e; ++j) {
            const auto jj = static_cast<std::size_t>(j);
            const double t = std::fabs(g[jj] - l2 * w[jj]) - l1;
            if (t > 0.0) acc += t * t;
          }
          return acc;
        }) / (2.0 * l2);
      }
      const double conj = par.Sum(m, kRowBlock, [&](std::int64_t b, std::int64_t e) {
        double acc = 0.0;
        for (std::int64_t i = b; i < e; ++i) {
          const auto ii = static_cast<std::size_t>(i);
          const double y = data.labels[ii];
          acc += L::Conjugate(y, scale * L::Derivative(y, z[ii]));
        }
        return acc;
      }) / static_cast<double>(m);
      const double dual = -conj - h_conj;
      if (std::isfinite(dual)) best = std::min(best, F - dual);
    }
    return std::max(best, 0.0);
  }
};

double Relative(double bound, double F) {
  if (bound == 0.0) return 0.0;
  return bound / std::max(std::fabs(F), std::numeric_limits<double>::min());
}

void Report(Context& c, ReferenceResult& res, int iteration, const std::vector<double>& w,
            double F) {
  if (c.options.on_iteration) c.options.on_iteration(iteration, w, F, res.gradient_rows);
}

// ---------------------------------------------------------------------------
// Dense Newton systems for small d. Forming H = X^T diag(curv) X + l2 I
// costs sum_i nnz_i (nnz_i + 1) / 2 multiply-adds (the lower triangle) and
// its Cholesky factorisation about d^3 / 6; a CG iteration costs 2 nnz. When
// CG needed more iterations than that per Newton step (ill-conditioned
// problems with a few hundred features such as a9a or w8a at C = 1), the
// exact solve is cheaper and makes the Newton steps exact too.
//
// H is built by columns: column j (its lower part, rows k >= j) sums
// curv_i x_ij x_ik over the rows i of column j in increasing order, each
// column by one thread, so its bits do not depend on the thread count.
class DenseNewtonSystem {
 public:
  // Largest d for which the dense system is considered (an 8 MB matrix).
  static constexpr std::int64_t kMaxDim = 1024;

  explicit DenseNewtonSystem(Context& c) : c_(c), nnz_(static_cast<double>(c.data.nnz())) {
    const std::int64_t n = c.n;
    if (n > kMaxDim || n == 0) return;
    double build = 0.0;
    for (std::int64_t i = 0; i < c.m; ++i) {
      const double k = c.data.row(i).nnz;
      build += 0.5 * k * (k + 1.0);
    }
    const double dn = static_cast<double>(n);
    cost_ = build + dn * dn * dn / 6.0;
  }

  // Whether the dense solve is cheaper than `cg_iterations` Hessian-vector
  // products, each `passes` sweeps over the nonzeros (1 by rows, 2 with
  // the CSC copy). Measured on a9a: a build costs about 8 one-pass
  // products, as this count predicts.
  bool CheaperThan(std::int64_t cg_iterations, int passes) const {
    return cost_ > 0.0 && cost_ <= static_cast<double>(cg_iterations * passes) * nnz_;
  }

  // s = -H^{-1} g; false when H is not positive definite (l2 = 0 and a
  // singular X^T D X): the caller falls back to CG.
  bool Solve(const std::vector<double>& curv, double l2, const std::vector<double>& g,
             std::vector<double>& s) {
    const ColumnMatrix& cols = c_.Cols();
    const auto n = static_cast<Eigen::Index>(cols.num_cols);
    if (h_.rows() != n) {
      h_.resize(n, n);
      BuildPositions();
    }
    c_.par.For(n, 4, [&](std::int64_t j0, std::int64_t j1) {
      for (std::int64_t j = j0; j < j1; ++j) {
        double* col = h_.col(static_cast<Eigen::Index>(j)).data();
        std::fill(col + j, col + n, 0.0);
        const auto e1 = cols.col_ptr[static_cast<std::size_t>(j) + 1];
        for (auto e = cols.col_ptr[static_cast<std::size_t>(j)]; e < e1; ++e) {
          const auto ee = static_cast<std::size_t>(e);
          const auto i = static_cast<std::int64_t>(cols.row_index[ee]);
          const SparseRow row = c_.data.row(i);
          const double v = curv[static_cast<std::size_t>(i)] * cols.values[ee];
          for (std::int32_t k = position_[ee]; k < row.nnz; ++k) {
            col[row.index[k]] += v * row.value[k];
          }
        }
        col[j] += l2;
      }
    });
    llt_.compute(h_);  // reads the lower triangle only
    if (llt_.info() != Eigen::Success) return false;
    Eigen::Map<const Eigen::VectorXd> gv(g.data(), n);
    Eigen::Map<Eigen::VectorXd> sv(s.data(), n);
    sv = -llt_.solve(gv);
    return sv.allFinite();
  }

 private:
  // position_[e]: where the CSC entry e sits in its row (rows are sorted, so
  // the entries after it are the columns k > j).
  void BuildPositions() {
    const ColumnMatrix& cols = c_.Cols();
    position_.assign(cols.values.size(), 0);
    std::vector<std::int64_t> cursor(cols.col_ptr.begin(), cols.col_ptr.end() - 1);
    for (std::int64_t i = 0; i < c_.m; ++i) {
      const SparseRow row = c_.data.row(i);
      for (std::int32_t k = 0; k < row.nnz; ++k) {
        position_[static_cast<std::size_t>(cursor[static_cast<std::size_t>(row.index[k])]++)] = k;
      }
    }
  }

  Context& c_;
  double nnz_;
  double cost_ = 0.0;
  std::vector<std::int32_t> position_;
  Eigen::MatrixXd h_;
  Eigen::LLT<Eigen::MatrixXd, Eigen::Lower> llt_;
};

// Newton-CG's warm start (ReferenceOptions::warm_start_passes): `passes`
// epochs of plain SGD on F from w = 0, rows in a fixed-seed shuffled order,
// step 1 / (3 c mean ||x_i||^2 + l2) (c bounds loss''; svrg's mean-norm
// default step), l2 applied on the touched coordinates only. Leaves z = X w.
// Keeps the point only if F(w) < F(0); otherwise w = 0, z = 0.
template <class L>
void SgdWarmStart(Context& c, int passes, std::vector<double>& w, std::vector<double>& z,
                  ReferenceResult& res) {
  const auto m = static_cast<std::size_t>(c.m);
  const double curvature_bound = kernels::CurvatureBound(L::kLoss);
  double mean_sq = 0.0;
  for (std::int64_t i = 0; i < c.m; ++i) mean_sq += kernels::SquaredNorm(c.data.row(i));
  mean_sq /= static_cast<double>(c.m);
  if (!(mean_sq > 0.0) || !std::isfinite(mean_sq)) return;
  const double l2 = c.problem.l2;
  const double step = 1.0 / (3.0 * curvature_bound * mean_sq + l2);
  std::vector<std::int64_t> order(m);
  for (std::size_t i = 0; i < m; ++i) order[i] = static_cast<std::int64_t>(i);
  SplitMix64 rng(0x77617274);  // "wart"
  const bool prefetch = kernels::WorthPrefetching(c.data);
  for (int pass = 0; pass < passes; ++pass) {
    rng.Shuffle(order);
    for (std::size_t q = 0; q < m; ++q) {
      const std::int64_t i = order[q];
      const std::size_t ahead = q + kernels::kPrefetchRowsAhead;
      if (prefetch && ahead < m) kernels::PrefetchRow(c.data.row(order[ahead]));
      const SparseRow row = c.data.row(i);
      const double dloss = L::Derivative(c.data.labels[static_cast<std::size_t>(i)],
                                         kernels::Dot4(row, w.data()));
      for (std::int32_t k = 0; k < row.nnz; ++k) {
        double& wj = w[static_cast<std::size_t>(row.index[k])];
        wj -= step * (dloss * row.value[k] + l2 * wj);
      }
    }
  }
  res.gradient_rows += static_cast<std::int64_t>(passes) * c.m;
  c.Times(w, z);
  const double F = c.LossMean<L>(z, nullptr, 0.0) + c.Regulariser(w);
  const double F0 = c.par.Sum(c.m, kRowBlock, [&](std::int64_t b, std::int64_t e) {
    double acc = 0.0;
    for (std::int64_t i = b; i < e; ++i) acc += L::Value(c.data.labels[static_cast<std::size_t>(i)], 0.0);
    return acc;
  }) / static_cast<double>(c.m);
  res.warm_start_kept = F < F0;
  if (!res.warm_start_kept) {  // no better than the origin (or not finite): start there
    std::fill(w.begin(), w.end(), 0.0);
    std::fill(z.begin(), z.end(), 0.0);
  }
}

// True when y_i z_i > 0 for every row: w (with z = X w) separates the data.
inline bool Separates(Context& c, const std::vector<double>& z) {
  for (std::int64_t i = 0; i < c.m; ++i) {
    if (!(c.data.labels[static_cast<std::size_t>(i)] * z[static_cast<std::size_t>(i)] > 0.0)) {
      return false;
    }
  }
  return true;
}

// Line-search Newton-CG for smooth losses and l1 = 0.
template <class L>
void NewtonCg(Context& c, double tol, ReferenceResult& res) {
  res.method = "newton-cg";
  const double l2 = c.problem.l2;
  const auto m = static_cast<std::size_t>(c.m);
  const auto n = static_cast<std::size_t>(c.n);
  std::vector<double>& w = res.w;
  std::vector<double> z(m, 0.0), r(m), curv(m), xp(m), xs(m);
  std::vector<double> g(n), s(n), res_cg(n), p(n), hp(n), w_trial(n);
  const std::int64_t max_cg = std::max<std::int64_t>(50, std::min<std::int64_t>(2 * c.n + 10, 10000));
  double g0_norm = 0.0;
  DenseNewtonSystem dense(c);
  std::int64_t last_cg_iterations = 0;  // 0: the first step always uses CG
  bool z_exact = true;                    // z was computed as X w, not updated

  // z = X w: by a pass at the start and before convergence is declared, in
  // between updated from the line search (z += step X s).
  if (c.options.initial_w.empty() && c.options.warm_start_passes > 0 &&
      c.options.max_iterations > 0 &&
      (L::kLoss == Loss::kLogistic || L::kLoss == Loss::kSquaredHinge)) {
    SgdWarmStart<L>(c, c.options.warm_start_passes, w, z, res);
  } else {
    c.Times(w, z);
  }
  for (int iter = 0;; ++iter) {
    if (L::kLoss == Loss::kLogistic && l2 == 0.0 && Separates(c, z)) {
      if (!z_exact) {  // judge exact margins, not the updated ones
        c.Times(w, z);
        z_exact = true;
      }
      if (Separates(c, z)) {
        // Every margin positive: the data are separable and F has no
        // minimiser (its infimum 0 is approached as ||w|| grows).
        res.no_minimiser = true;
        res.objective = c.LossMean<L>(z, nullptr, 0.0);
        return;
      }
    }
    const double loss = c.Derivatives<L>(z, r, &curv);
    res.gradient_rows += c.m;
    c.Gradient(r, g);
    for (std::size_t j = 0; j < n; ++j) g[j] += l2 * w[j];
    const double F = loss + c.Regulariser(w);
    res.objective = F;
    const double g_norm = std::sqrt(c.DotD(g, g));
    if (iter == 0) g0_norm = g_norm;
    res.certificate = l2 > 0.0 ? Relative(c.GapBound<L>(w, z, g, F), F) : kInf;
    if (g_norm == 0.0) res.certificate = 0.0;
    if (res.certificate <= tol) {
      if (!z_exact) {
        // The certificate used the updated z: confirm it at z = X w computed
        // afresh (the same w; not a new iteration).
        c.Times(w, z);
        z_exact = true;
        --iter;
        continue;
      }
      res.converged = true;
      return;
    }
    if (iter >= c.options.max_iterations) return;
    if (c.StopRequested()) {
      res.interrupted = true;
      return;
    }

    // H s = -g, H = X^T diag(curv) X + l2 I: exactly when that is cheaper
    // than the CG iterations of the previous Newton step, else CG with the
    // forcing term eta.
    // Only with l2 > 0: then H is positive definite; with l2 = 0 and a
    // singular X^T D X, Cholesky could accept rounding-level pivots and
    // return a huge step along the null space, where CG from 0 stays
    // minimum-norm.
    const bool dense_solved = l2 > 0.0 &&
                              dense.CheaperThan(last_cg_iterations, c.RowwiseTranspose() ? 1 : 2) &&
                              dense.Solve(curv, l2, g, s);
    const double eta = std::min(0.1, std::sqrt(g_norm / g0_norm));
    if (!dense_solved) {
      std::fill(s.begin(), s.end(), 0.0);
      for (std::size_t j = 0; j < n; ++j) res_cg[j] = -g[j];
      p = res_cg;
      last_cg_iterations = 0;
    }
    double rr = g_norm * g_norm;
    double residual_sq = 0.0;  // ||H s + g||^2 at the end of CG (0: the dense solve)
    if (dense_solved) ++res.dense_newton_steps;
    for (std::int64_t k = 0; !dense_solved && k < max_cg; ++k) {
      if (c.StopRequested()) {  // w is still the last iterate
        res.interrupted = true;
        return;
      }
      ++last_cg_iterations;
      ++res.hessian_products;
      c.HessianTimes(curv, p, xp, hp);
      for (std::size_t j = 0; j < n; ++j) hp[j] += l2 * p[j];
      const double php = c.DotD(p, hp);
      if (!(php > 0.0)) {  // no positive curvature along p (l2 = 0)
        if (k == 0) s = res_cg;
        break;
      }
      const double alpha = rr / php;
      for (std::size_t j = 0; j < n; ++j) {
        s[j] += alpha * p[j];
        res_cg[j] -= alpha * hp[j];
      }
      const double rr_new = c.DotD(res_cg, res_cg);
      residual_sq = rr_new;
      if (std::sqrt(rr_new) <= eta * g_norm) break;
      const double beta = rr_new / rr;
      rr = rr_new;
      for (std::size_t j = 0; j < n; ++j) p[j] = res_cg[j] + beta * p[j];
    }
    const double gs = c.DotD(g, s);
    if (!(gs < 0.0)) return;  // no descent direction left (rounding level)
    if (l2 == 0.0) {
      // Newton decrement lambda^2 / 2 = -g.s / 2 (the predicted decrease).
      res.certificate = Relative(-0.5 * gs, F);
      if (res.certificate <= tol) {
        res.converged = true;
        return;
      }
    } else if (L::kLoss == Loss::kSquared) {
      // F is quadratic, so F(w) - f* = g^T H^-1 g / 2 exactly. CG from 0
      // gives -g.s <= g^T H^-1 g, short by r^T H^-1 r <= ||r||^2 / l2 for
      // its residual r = -g - H s: (-g.s + ||r||^2 / l2) / 2 bounds F - f*
      // (after a dense solve r = 0 up to rounding: the decrement, as with
      // l2 = 0). The strong-convexity bound ||g||^2 / (2 l2) above is loose
      // by lambda_min(H) / l2; with a small l2 and unscaled columns (cadata)
      // it stayed above 1e-12 for 500 dense Newton steps at the optimum.
      res.certificate = std::min(res.certificate, Relative(0.5 * (-gs + residual_sq / l2), F));
      if (res.certificate <= tol) {
        if (!z_exact) {  // confirm it from z = X w computed afresh, as above
          c.Times(w, z);
          z_exact = true;
          --iter;
          continue;
        }
        res.converged = true;
        return;
      }
    }

    // Backtracking Armijo line search on F along s.
    c.Times(s, xs);
    double step = 1.0;
    bool accepted = false;
    double F_new = F;
    for (int ls = 0; ls < 60; ++ls) {
      if (c.StopRequested()) {
        res.interrupted = true;
        return;
      }
      for (std::size_t j = 0; j < n; ++j) w_trial[j] = w[j] + step * s[j];
      F_new = c.LossMean<L>(z, &xs, step) + c.Regulariser(w_trial);
      if (std::isfinite(F_new) && F_new <= F + 1e-4 * step * gs) {
        accepted = true;
        break;
      }
      step *= 0.5;
    }
    if (!accepted) {
      // Below the resolution of F (predicted decrease < kFlat |F|) Armijo
      // only sees rounding noise: trust the full Newton step there; the
      // certificate of the next iteration judges it.
      if (-gs > kFlat * std::fabs(F)) return;
      for (std::size_t j = 0; j < n; ++j) w_trial[j] = w[j] + s[j];
      F_new = c.LossMean<L>(z, &xs, 1.0) + c.Regulariser(w_trial);
    }
    const double taken = accepted ? step : 1.0;
    for (std::size_t i = 0; i < m; ++i) z[i] += taken * xs[i];  // z = X w without a pass
    z_exact = false;
    w.swap(w_trial);
    res.iterations = iter + 1;
    Report(c, res, res.iterations, w, F_new);
    if (c.StopRequested()) {  // e.g. a caller's target reached at this iterate:
      res.objective = F_new;  // return it without a further gradient pass
      res.interrupted = true;
      return;
    }
  }
}

// ---------------------------------------------------------------------------
// Proximal Newton with coordinate-descent inner solves (newGLMNET) for
// smooth losses and l1 > 0.
// Subspace step for the proximal Newton model
//   q(d) = g.d + (1/2) sum_i curv_i (x_i.d)^2 + (s/2)||d||^2 + l1 ||w + d||_1
// (s = l2 + nu) over the active coordinates: with the signs of w + d fixed
// on S = {j : w_j + d_j != 0}, q is a smooth quadratic on S; a Jacobi-
// preconditioned CG solve of its Newton system, projected back onto the
// orthant (coordinates that would change sign stop at zero) with
// backtracking on q, does in one step what coordinate descent does in many
// passes when columns are strongly correlated (dense, unscaled, non-centred
// data). The shrinkage + subspace-optimisation pattern of Wen, Yin, Goldfarb
// & Zhang, "A fast algorithm for sparse reconstruction based on shrinkage,
// subspace optimization and continuation", SIAM J. Sci. Comput. 32 (2010);
// see also the orthant-based Newton methods in Byrd, Chin, Nocedal &
// Oztoprak, Math. Program. 159 (2016).
class ModelSubspace {
 public:
  ModelSubspace(const ColumnMatrix& cols, std::size_t m)
      : cols_(cols), t_(m), u_(m), pos_(static_cast<std::size_t>(cols.num_cols), -1) {}

  // A new model (outer iteration): the dense Hessian is formed on first use.
  void Reset() { have_h_ = tried_h_ = false; }

 private:
  // Forms X_A^T diag(curv) X_A densely over the active set A when that is
  // cheap (m |A| <= 4e6, m |A|^2 <= 1e9); otherwise Step uses CG.
  void Prepare(const std::vector<std::int32_t>& active, const std::vector<double>& curv) {
    tried_h_ = true;
    const auto mm = static_cast<double>(t_.size());
    const auto k = static_cast<double>(active.size());
    have_h_ = k > 0 && mm * k <= 4e6 && mm * k * k <= 1e9;
    if (!have_h_) return;
    Eigen::MatrixXd am = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(t_.size()), static_cast<Eigen::Index>(k));
    for (std::size_t t = 0; t < k; ++t) {
      const auto j = static_cast<std::size_t>(active[t]);
      pos_[j] = static_cast<Eigen::Index>(t);
      for (auto q = cols_.col_ptr[j]; q < cols_.col_ptr[j + 1]; ++q) {
        const auto i = static_cast<std::size_t>(cols_.row_index[static_cast<std::size_t>(q)]);
        am(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(t)) =
            std::sqrt(curv[i]) * cols_.values[static_cast<std::size_t>(q)];
      }
    }
    h_.noalias() = am.transpose() * am;
  }

 public:
  // Returns true when d (and xd = X d) were replaced by a point with a
  // smaller model value.
  bool Step(const std::vector<std::int32_t>& active, const std::vector<double>& g,
            const std::vector<double>& w, const std::vector<double>& curv,
            const std::vector<double>& hdiag, double s, double l1, std::vector<double>& d,
            std::vector<double>& xd, std::int64_t max_cg) {
    set_.clear();
    for (const std::int32_t j : active) {
      if (w[static_cast<std::size_t>(j)] + d[static_cast<std::size_t>(j)] != 0.0) set_.push_back(j);
    }
    const std::size_t k = set_.size();
    if (k == 0) return false;
    // Residual r = -(model gradient on S).
    r_.resize(k);
    double rr0 = 0.0;
    for (std::size_t t = 0; t < k; ++t) {
      const auto j = static_cast<std::size_t>(set_[t]);
      const double sign = w[j] + d[j] > 0.0 ? 1.0 : -1.0;
      r_[t] = -(g[j] + ColDot(j, curv, xd) + s * d[j] + l1 * sign);
      rr0 += r_[t] * r_[t];
    }
    if (rr0 == 0.0) return false;
    if (!tried_h_) Prepare(active, curv);
    e_.assign(k, 0.0);
    if (have_h_) {
      // Dense solve with the Hessian formed once per outer iteration.
      Eigen::MatrixXd hm(static_cast<Eigen::Index>(k), static_cast<Eigen::Index>(k));
      for (std::size_t a = 0; a < k; ++a) {
        const Eigen::Index pa = pos_[static_cast<std::size_t>(set_[a])];
        for (std::size_t b = 0; b < k; ++b) {
          hm(static_cast<Eigen::Index>(a), static_cast<Eigen::Index>(b)) = h_(pa, pos_[static_cast<std::size_t>(set_[b])]);
        }
      }
      hm.diagonal().array() += s;
      Eigen::VectorXd rhs(static_cast<Eigen::Index>(k));
      for (std::size_t t = 0; t < k; ++t) rhs(static_cast<Eigen::Index>(t)) = r_[t];
      const Eigen::LDLT<Eigen::MatrixXd> ldlt(hm);
      const Eigen::VectorXd sol = ldlt.solve(rhs);
      for (std::size_t t = 0; t < k; ++t) e_[t] = sol(static_cast<Eigen::Index>(t));
      if (!std::all_of(e_.begin(), e_.end(), [](double v) { return std::isfinite(v); })) return false;
    } else {
      Cg(curv, hdiag, s, rr0, max_cg);
    }
    // Projected backtracking on q along e.
    const double q0 = Model(active, g, w, curv, s, l1, d, xd);
    trial_ = d;
    for (double step = 1.0; step > 1e-6; step *= 0.5) {
      std::fill(t_.begin(), t_.end(), 0.0);
      for (std::size_t t = 0; t < k; ++t) {
        const auto j = static_cast<std::size_t>(set_[t]);
        double v = d[j] + step * e_[t];
        if ((w[j] + d[j] > 0.0) != (w[j] + v > 0.0)) v = -w[j];  // stop at zero
        trial_[j] = v;
        const double delta = v - d[j];
        if (delta != 0.0) {
          for (auto q = cols_.col_ptr[j]; q < cols_.col_ptr[j + 1]; ++q) {
            t_[static_cast<std::size_t>(cols_.row_index[static_cast<std::size_t>(q)])] +=
                delta * cols_.values[static_cast<std::size_t>(q)];
          }
        }
      }
      for (std::size_t i = 0; i < u_.size(); ++i) u_[i] = xd[i] + t_[i];
      if (Model(active, g, w, curv, s, l1, trial_, u_) < q0) {
        for (std::size_t t = 0; t < k; ++t) {
          const auto j = static_cast<std::size_t>(set_[t]);
          d[j] = trial_[j];
        }
        xd.swap(u_);
        return true;
      }
    }
    return false;
  }

 private:
  // Jacobi-preconditioned CG on H_SS e = r (r_ is overwritten).
  void Cg(const std::vector<double>& curv, const std::vector<double>& hdiag, double s, double rr0,
          std::int64_t max_cg) {
    const std::size_t k = set_.size();
    z_.resize(k);
    p_.resize(k);
    hp_.resize(k);
    double rz = 0.0;
    for (std::size_t t = 0; t < k; ++t) {
      z_[t] = r_[t] / hdiag[static_cast<std::size_t>(set_[t])];
      rz += r_[t] * z_[t];
    }
    p_ = z_;
    for (std::int64_t it = 0; it < max_cg; ++it) {
      ApplyH(p_, curv, s, hp_);
      double php = 0.0;
      for (std::size_t t = 0; t < k; ++t) php += p_[t] * hp_[t];
      if (!(php > 0.0)) break;
      const double alpha = rz / php;
      double rr = 0.0, rz_new = 0.0;
      for (std::size_t t = 0; t < k; ++t) {
        e_[t] += alpha * p_[t];
        r_[t] -= alpha * hp_[t];
        rr += r_[t] * r_[t];
        z_[t] = r_[t] / hdiag[static_cast<std::size_t>(set_[t])];
        rz_new += r_[t] * z_[t];
      }
      if (rr <= 1e-24 * rr0) break;
      const double beta = rz_new / rz;
      rz = rz_new;
      for (std::size_t t = 0; t < k; ++t) p_[t] = z_[t] + beta * p_[t];
    }
  }

  double ColDot(std::size_t j, const std::vector<double>& curv, const std::vector<double>& v) const {
    double h = 0.0;
    for (auto q = cols_.col_ptr[j]; q < cols_.col_ptr[j + 1]; ++q) {
      const auto i = static_cast<std::size_t>(cols_.row_index[static_cast<std::size_t>(q)]);
      h += cols_.values[static_cast<std::size_t>(q)] * curv[i] * v[i];
    }
    return h;
  }

  // out = H_SS in, H = X^T diag(curv) X + s I.
  void ApplyH(const std::vector<double>& in, const std::vector<double>& curv, double s,
              std::vector<double>& out) {
    std::fill(t_.begin(), t_.end(), 0.0);
    for (std::size_t t = 0; t < set_.size(); ++t) {
      const auto j = static_cast<std::size_t>(set_[t]);
      for (auto q = cols_.col_ptr[j]; q < cols_.col_ptr[j + 1]; ++q) {
        t_[static_cast<std::size_t>(cols_.row_index[static_cast<std::size_t>(q)])] +=
            in[t] * cols_.values[static_cast<std::size_t>(q)];
      }
    }
    for (std::size_t t = 0; t < set_.size(); ++t) {
      out[t] = ColDot(static_cast<std::size_t>(set_[t]), curv, t_) + s * in[t];
    }
  }

  // q(d) up to a constant, over the active coordinates.
  static double Model(const std::vector<std::int32_t>& active, const std::vector<double>& g,
                      const std::vector<double>& w, const std::vector<double>& curv, double s,
                      double l1, const std::vector<double>& d, const std::vector<double>& xd) {
    double q = 0.0;
    for (std::size_t i = 0; i < xd.size(); ++i) q += 0.5 * curv[i] * xd[i] * xd[i];
    for (const std::int32_t jj : active) {
      const auto j = static_cast<std::size_t>(jj);
      q += g[j] * d[j] + 0.5 * s * d[j] * d[j] + l1 * (std::fabs(w[j] + d[j]) - std::fabs(w[j]));
    }
    return q;
  }

  const ColumnMatrix& cols_;
  std::vector<double> t_, u_, r_, e_, z_, p_, hp_, trial_;
  std::vector<Eigen::Index> pos_;  // column -> row of h_
  Eigen::MatrixXd h_;
  bool have_h_ = false, tried_h_ = false;
  std::vector<std::int32_t> set_;
};

template <class L>
void ProxNewtonCd(Context& c, double tol, ReferenceResult& res) {
  res.method = "prox-newton-cd";
  const double l1 = c.problem.l1, l2 = c.problem.l2;
  // newGLMNET adds nu I to the Hessian so the model is strictly convex.
  const double nu = l2 > 0.0 ? 0.0 : 1e-12;
  const auto m = static_cast<std::size_t>(c.m);
  const auto n = static_cast<std::size_t>(c.n);
  const ColumnMatrix& cols = c.Cols();
  std::vector<double>& w = res.w;
  std::vector<double> z(m, 0.0), r(m), curv(m), xd(m);
  std::vector<double> g(n), d(n, 0.0), hdiag(n, 0.0);
  std::vector<std::int32_t> active;
  active.reserve(n);
  SplitMix64 rng(0x5eed5eedULL);
  double max_violation_prev = kInf;
  // Inner passes per outer iteration: the cap starts at 50 and doubles when
  // reached, up to kMaxInnerPasses (with the subspace steps a loose early
  // model solve is cheaper than a tight one; the final ones take few passes).
  constexpr int kMaxInnerPasses = 100;
  int max_inner = 50;
  ModelSubspace subspace(cols, m);

  for (int iter = 0;; ++iter) {
    c.Times(w, z);
    const double loss = c.Derivatives<L>(z, r, &curv);
    res.gradient_rows += c.m;
    c.TransposeTimes(r, g);
    for (std::size_t j = 0; j < n; ++j) g[j] += l2 * w[j];
    const double F = loss + c.Regulariser(w);
    res.objective = F;
    res.certificate = Relative(c.GapBound<L>(w, z, g, F), F);
    if (res.certificate <= tol) {
      res.converged = true;
      return;
    }
    if (iter >= c.options.max_iterations) return;
    if (c.StopRequested()) {
      res.interrupted = true;
      return;
    }

    // Working set (newGLMNET's shrinking): drop zero coordinates whose
    // gradient is safely inside [-l1, l1].
    double max_violation = 0.0;
    const double shrink = max_violation_prev / static_cast<double>(c.m);
    active.clear();
    for (std::size_t j = 0; j < n; ++j) {
      max_violation = std::max(max_violation, std::fabs(MinNormSubgradient(g[j], w[j], l1)));
      if (w[j] != 0.0 || std::fabs(g[j]) > l1 - shrink) active.push_back(static_cast<std::int32_t>(j));
    }
    max_violation_prev = max_violation;

    // Quadratic model q(d) = g.d + d^T H d / 2 + l1 ||w + d||_1 with
    // H = X^T diag(curv) X + (l2 + nu) I; xd = X d kept up to date.
    std::fill(xd.begin(), xd.end(), 0.0);
    c.par.For(static_cast<std::int64_t>(active.size()), 64, [&](std::int64_t b, std::int64_t e) {
      for (std::int64_t t = b; t < e; ++t) {
        const auto j = static_cast<std::size_t>(active[static_cast<std::size_t>(t)]);
        double h = 0.0;
        for (auto k = cols.col_ptr[j]; k < cols.col_ptr[j + 1]; ++k) {
          const auto kk = static_cast<std::size_t>(k);
          h += cols.values[kk] * cols.values[kk] * curv[static_cast<std::size_t>(cols.row_index[kk])];
        }
        hdiag[j] = h + l2 + nu;
        d[j] = 0.0;
      }
    });
    subspace.Reset();
    const double inner_tol = 0.1 * max_violation;
    int passes = 0;
    for (; passes < max_inner; ++passes) {
      if (c.StopRequested()) {  // w is still the last iterate
        res.interrupted = true;
        return;
      }
      rng.Shuffle(active);
      double inner_violation = 0.0;
      int support_changes = 0;
      for (const std::int32_t jj : active) {
        const auto j = static_cast<std::size_t>(jj);
        const auto k0 = cols.col_ptr[j], k1 = cols.col_ptr[j + 1];
        double hd = 0.0;
        for (auto k = k0; k < k1; ++k) {
          const auto i = static_cast<std::size_t>(cols.row_index[static_cast<std::size_t>(k)]);
          hd += cols.values[static_cast<std::size_t>(k)] * curv[i] * xd[i];
        }
        const double b = g[j] + hd + (l2 + nu) * d[j];
        const double a = hdiag[j];
        const double wj = w[j] + d[j];
        inner_violation = std::max(inner_violation, std::fabs(MinNormSubgradient(b, wj, l1)));
        // argmin_t b t + a t^2 / 2 + l1 |wj + t|
        double t;
        if (b + l1 <= a * wj) {
          t = -(b + l1) / a;
        } else if (b - l1 >= a * wj) {
          t = -(b - l1) / a;
        } else {
          t = -wj;
        }
        if (t == 0.0 || !std::isfinite(t)) continue;
        if ((wj == 0.0) != (wj + t == 0.0)) ++support_changes;
        d[j] += t;
        for (auto k = k0; k < k1; ++k) {
          xd[static_cast<std::size_t>(cols.row_index[static_cast<std::size_t>(k)])] +=
              t * cols.values[static_cast<std::size_t>(k)];
        }
      }
      if (inner_violation <= inner_tol) break;
      // Coordinate descent stalls on correlated columns: once it has taken
      // 10 passes, a subspace Newton step whenever the support held still
      // for a pass, and every 4th pass anyway.
      if (passes >= 9 && (support_changes == 0 || passes % 4 == 3)) {
        subspace.Step(active, g, w, curv, hdiag, l2 + nu, l1, d, xd, 250);
      }
    }
    // Inner solves that stop after one pass were too loose a target to be
    // useful; ones that hit the cap get more room next time.
    if (passes >= max_inner) max_inner = std::min(2 * max_inner, kMaxInnerPasses);

    // Armijo line search on F: F(w + beta d) - F(w) <= sigma beta delta.
    double delta = 0.0;
    for (const std::int32_t jj : active) {
      const auto j = static_cast<std::size_t>(jj);
      delta += g[j] * d[j] + l1 * (std::fabs(w[j] + d[j]) - std::fabs(w[j]));
    }
    // delta >= 0 only by rounding (|delta| at the resolution of F) or when
    // the inner solve found nothing to change.
    if (!std::isfinite(delta) || delta > kFlat * std::fabs(F)) return;
    if (std::all_of(active.begin(), active.end(), [&](std::int32_t j) { return d[static_cast<std::size_t>(j)] == 0.0; })) {
      return;
    }
    double beta = 1.0;
    bool accepted = false;
    double F_new = F;
    for (int ls = 0; ls < 60; ++ls) {
      double reg_change = 0.0;
      for (const std::int32_t jj : active) {
        const auto j = static_cast<std::size_t>(jj);
        const double wn = w[j] + beta * d[j];
        reg_change += 0.5 * l2 * (wn * wn - w[j] * w[j]) + l1 * (std::fabs(wn) - std::fabs(w[j]));
      }
      const double change = (c.LossMean<L>(z, &xd, beta) - loss) + reg_change;
      if (std::isfinite(change) && change <= 0.01 * beta * delta) {
        accepted = true;
        F_new = F + change;
        break;
      }
      // Below the resolution of F the comparison is rounding noise: take the
      // full proximal Newton step (quadratically convergent there) and let
      // the next certificate judge it.
      if (-delta <= kFlat * std::fabs(F) && std::isfinite(change)) {
        accepted = true;
        F_new = F + change;
        break;
      }
      beta *= 0.5;
    }
    if (!accepted) return;
    for (const std::int32_t jj : active) {
      const auto j = static_cast<std::size_t>(jj);
      w[j] += beta * d[j];
    }
    res.iterations = iter + 1;
    Report(c, res, res.iterations, w, F_new);
    if (c.StopRequested()) {  // as in NewtonCg: return the iterate just reported
      res.objective = F_new;
      res.interrupted = true;
      return;
    }
  }
}

// ---------------------------------------------------------------------------
// Dual coordinate descent for the hinge loss with l2 > 0, l1 = 0. In our
// scaling the dual variables are a_i in [0, 1] with
//   w(a) = (1 / (l2 m)) sum_i a_i y_i x_i,
//   D(a) = (1/m) sum_i a_i - (l2/2) ||w(a)||^2 <= f* <= F(w)  (any w),
// (LIBLINEAR's alpha_i = C a_i with C = 1 / (l2 m)).
//
// Three pieces (Hsieh, Chang, Lin, Keerthi & Sundararajan, ICML 2008):
//  * Algorithm 1, dual coordinate descent in random order, with
//  * Section 3.2 shrinking: with G_i = y_i x_i.w - 1 (the partial derivative
//    of the minimised dual, up to a positive factor) a variable at a = 0
//    with G_i above the largest projected gradient of the previous pass (or
//    at a = 1 with G_i below the smallest) is removed from the active set;
//    when the projected-gradient spread of the active set falls below the
//    current level eps, the full set is restored and checked again; a full
//    pass within eps ends a stage and eps is divided by 10;
//  * at the end of every stage (and every 5th check) an exact finishing
//    step, a primal active-set method for the box-constrained dual QP
//    (Nocedal & Wright, Numerical Optimization (2006), Section 16.5) on the
//    non-binding set N (free variables, and bound variables whose gradient
//    points into the box): the optimality conditions y_i x_i.w(a) = 1 on N
//    are a linear system K delta = b, K = B B^T / (l2 m), B the rows y_i x_i
//    of N, b_i = 1 - y_i x_i.w. Its minimum-norm solution (the projection of
//    a onto the affine solution set; duplicated rows make K singular but the
//    system consistent) is followed up to the first bound; when b has a
//    component r in the null space of K (N larger than the final free set)
//    D grows linearly along r with w fixed, and that ray is followed to the
//    first bound instead. Once N is the final free set one full step lands
//    on the optimum to rounding, which plain CD (linear rate, slow for large
//    C) does not reach in any reasonable time. Small systems are solved by
//    a dense complete orthogonal decomposition of B (Eigen), large ones by
//    CG; N larger than 1000 is left to CD, and one call spends at most about
//    100 passes over the data.
//
// Certificate: P_best - D_best with P_best the smallest F(w) and D_best the
// largest D(a) seen at feasible a (weak duality holds for any pair); the
// returned w is the one with the smallest F.
class HingeDual {
 public:

  explicit HingeDual(Context& c)
      : c_(c), lm_(c.problem.l2 * static_cast<double>(c.m)),
        ya_(static_cast<std::size_t>(c.m)), z_(static_cast<std::size_t>(c.m)),
        col_map_(static_cast<std::size_t>(c.n), -1),
        max_set_(1000) {}

  double lm() const { return lm_; }

  // w = w(a) recomputed from a (per column: deterministic); returns D(a).
  double Dual(const std::vector<double>& a, std::vector<double>& w) {
    const auto m = static_cast<std::size_t>(c_.m);
    double a_sum = 0.0;
    for (std::size_t i = 0; i < m; ++i) {
      ya_[i] = a[i] * c_.data.labels[i] / lm_;
      a_sum += a[i];
    }
    c_.TransposeTimes(ya_, w);
    return a_sum / static_cast<double>(c_.m) - 0.5 * c_.problem.l2 * c_.DotD(w, w);
  }

  // F(w); leaves z_ = X w.
  double Primal(const std::vector<double>& w) {
    c_.Times(w, z_);
    return c_.LossMean<kernels::HingeLoss>(z_, nullptr, 0.0) + 0.5 * c_.problem.l2 * c_.DotD(w, w);
  }

  // Exact finishing on the non-binding set, from a with w = w(a) and
  // d_a = D(a): a primal active-set method for the box-constrained dual QP
  // (Nocedal & Wright, Numerical Optimization (2006), Section 16.5). Each
  // step solves for the minimum-norm Newton direction delta on the set N of
  // free variables and bound variables whose gradient points into the box;
  // along delta, D increases on [0, 1] (delta = K^+ b gives D(a + t delta) =
  // D(a) + (t - t^2 / 2) b.K^+ b / m). The step stops at the first bound it
  // meets (that variable is fixed there, N shrinks) or is the full step,
  // which solves the problem when N is the final free set. On success a, w,
  // *d_a are replaced by the accepted point (w = w(a)) and true is returned.
  bool Finish(std::vector<double>& a, std::vector<double>& w, double* d_a, int max_steps,
              std::int64_t* rows) {
    bool improved = false;
    const double pass = 2.0 * static_cast<double>(c_.data.nnz()) + 2.0 * static_cast<double>(c_.m);
    double spent = 0.0;
    for (int step_count = 0; step_count < max_steps; ++step_count) {
      free_.clear();
      b_.clear();
      double b_max = 0.0;
      for (std::size_t i = 0; i < a.size(); ++i) {
        const double bi = 1.0 - c_.data.labels[i] * kernels::Dot(c_.data.row(static_cast<std::int64_t>(i)), w.data());
        if ((a[i] > 0.0 && a[i] < 1.0) || (a[i] == 0.0 && bi > 0.0) || (a[i] == 1.0 && bi < 0.0)) {
          free_.push_back(static_cast<std::int64_t>(i));
          b_.push_back(bi);
          b_max = std::max(b_max, std::fabs(bi));
        }
      }
      *rows += c_.m;
      // Far from the solution N is large and the steps move one variable
      // each: leave that phase to coordinate descent.
      if (free_.empty() || b_max == 0.0 || free_.size() > max_set_) break;
      // Cost budget: about 100 passes over the data per call, a pass costing
      // 2 nnz + 2 m and a dense step (two orthogonal decompositions) about
      // |N| d min(|N|, d) (dense flops run ~4x faster than sparse ones).
      const double nn = static_cast<double>(free_.size());
      const double dd = static_cast<double>(std::min<std::int64_t>(c_.n, 4 * static_cast<std::int64_t>(free_.size()) + 1));
      spent += pass + nn * dd * std::min(nn, dd);
      if (spent > 100.0 * pass) break;
      // Solve on N; variables of N at a bound that the direction would push
      // out of the box block it: they leave N (they are binding for this
      // direction) and the system is solved again.
      const std::vector<double>* dir = nullptr;
      double cap = 1.0, rr = 0.0, bb = 0.0;
      while (!free_.empty()) {
        if (!SolveDense()) SolveCg();
        // b = K delta + r with r in the null space of K when N is larger
        // than the rank of K (duplicated rows, too many free rows): D then
        // grows linearly along r with w unchanged, up to the first bound.
        rr = 0.0;
        bb = 0.0;
        for (std::size_t t = 0; t < b_.size(); ++t) {
          rr += null_[t] * null_[t];
          bb += b_[t] * b_[t];
        }
        const bool ray = rr > 1e-12 * bb;
        dir = ray ? &null_ : &delta_;
        cap = ray ? kInf : 1.0;
        std::size_t kept = 0;
        for (std::size_t t = 0; t < free_.size(); ++t) {
          const double ai = a[static_cast<std::size_t>(free_[t])];
          const double dt = (*dir)[t];
          if ((ai == 0.0 && dt < 0.0) || (ai == 1.0 && dt > 0.0)) continue;
          free_[kept] = free_[t];
          b_[kept] = b_[t];
          ++kept;
        }
        if (kept == free_.size()) break;
        free_.resize(kept);
        b_.resize(kept);
        dir = nullptr;
      }
      const int taken = dir == nullptr ? 0 : TryStep(*dir, cap, a, w, d_a);
      *rows += c_.m;
      if (taken == 0) break;
      improved = true;
      if (taken == 2) break;
    }
    return improved;
  }

  // a + t dir on the set free_, t the largest step <= cap inside the box
  // (the variable that meets a bound is put exactly on it), or the clipped
  // full step when that is 0. Kept if D increases: returns 1 (stopped at a
  // bound), 2 (reached cap), 0 (rejected).
  int TryStep(const std::vector<double>& dir, double cap, std::vector<double>& a,
              std::vector<double>& w, double* d_a) {
    const std::size_t nf = free_.size();
    double t_max = cap;
    std::size_t hit = nf;
    for (std::size_t t = 0; t < nf; ++t) {
      const double ai = a[static_cast<std::size_t>(free_[t])];
      const double dt = dir[t];
      const double room = dt > 0.0 ? (1.0 - ai) / dt : (dt < 0.0 ? -ai / dt : kInf);
      if (room < t_max) {
        t_max = room;
        hit = t;
      }
    }
    if (!std::isfinite(t_max)) return 0;
    w_trial_.resize(w.size());
    if (!std::isfinite(cap) && t_max > 0.0 && nf >= 64) {
      // Along a null-space ray the first bound may come very early; the
      // projected ray (gradient-projection style, More & Toraldo, "On the
      // solution of large quadratic programming problems with bound
      // constraints", SIAM J. Optim. 1, 1991) with the step that puts a
      // quarter or a sixteenth of N on bounds is tried first and kept when
      // it gains more than the exact step to the first bound would.
      double dir_sum = 0.0;
      rooms_.clear();
      for (std::size_t t = 0; t < nf; ++t) {
        const double ai = a[static_cast<std::size_t>(free_[t])];
        const double dt = dir[t];
        dir_sum += dt;
        if (dt != 0.0) rooms_.push_back(dt > 0.0 ? (1.0 - ai) / dt : -ai / dt);
      }
      const double gain_first = t_max * dir_sum / static_cast<double>(c_.m);
      std::sort(rooms_.begin(), rooms_.end());
      for (const std::size_t k : {rooms_.size() / 4, rooms_.size() / 16}) {
        const double t_try = rooms_[k];
        if (!(t_try > t_max)) continue;
        trial_ = a;
        for (std::size_t t = 0; t < nf; ++t) {
          const auto i = static_cast<std::size_t>(free_[t]);
          trial_[i] = std::clamp(a[i] + t_try * dir[t], 0.0, 1.0);
        }
        const double d_trial = Dual(trial_, w_trial_);
        if (d_trial - *d_a > gain_first) {
          a.swap(trial_);
          w.swap(w_trial_);
          *d_a = d_trial;
          return 1;
        }
      }
    }
    const double t_use = t_max > 0.0 ? t_max : std::min(cap, 1.0);
    trial_ = a;
    for (std::size_t t = 0; t < nf; ++t) {
      const auto i = static_cast<std::size_t>(free_[t]);
      trial_[i] = std::clamp(a[i] + t_use * dir[t], 0.0, 1.0);
    }
    if (t_max > 0.0 && hit < nf) {
      const auto i = static_cast<std::size_t>(free_[hit]);
      trial_[i] = dir[hit] > 0.0 ? 1.0 : 0.0;
    }
    const double d_trial = Dual(trial_, w_trial_);
    if (!(d_trial > *d_a)) return 0;
    a.swap(trial_);
    w.swap(w_trial_);
    *d_a = d_trial;
    return hit < nf && t_max > 0.0 ? 1 : 2;
  }

 private:
  // Minimum-norm delta with K delta = b by a complete orthogonal
  // decomposition of the dense |F| x d' block B (d' = columns used by F):
  // dw = B^+ b, delta = l2 m (B^T)^+ dw, so B^T delta / (l2 m) = dw. False
  // when the block is too large for a dense factorisation.
  bool SolveDense() {
    const std::size_t nf = free_.size();
    used_.clear();
    for (const std::int64_t i : free_) {
      const SparseRow row = c_.data.row(i);
      for (std::int32_t k = 0; k < row.nnz; ++k) {
        auto& slot = col_map_[static_cast<std::size_t>(row.index[k])];
        if (slot < 0) {
          slot = static_cast<std::int32_t>(used_.size());
          used_.push_back(row.index[k]);
        }
      }
    }
    const std::size_t nu = used_.size();
    const double small = static_cast<double>(std::min(nf, nu));
    const bool fits = nu > 0 && static_cast<double>(nf) * static_cast<double>(nu) <= 4e6 &&
                      static_cast<double>(nf) * static_cast<double>(nu) * small <= 2e9;
    if (fits) {
      Eigen::MatrixXd bm = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(nf), static_cast<Eigen::Index>(nu));
      Eigen::VectorXd rhs(static_cast<Eigen::Index>(nf));
      for (std::size_t t = 0; t < nf; ++t) {
        const std::int64_t i = free_[t];
        const double y = c_.data.labels[static_cast<std::size_t>(i)];
        const SparseRow row = c_.data.row(i);
        for (std::int32_t k = 0; k < row.nnz; ++k) {
          bm(static_cast<Eigen::Index>(t), col_map_[static_cast<std::size_t>(row.index[k])]) = y * row.value[k];
        }
        rhs(static_cast<Eigen::Index>(t)) = b_[t];
      }
      const Eigen::CompleteOrthogonalDecomposition<Eigen::MatrixXd> cod(bm);
      const Eigen::VectorXd dw = cod.solve(rhs);
      const Eigen::VectorXd res = rhs - bm * dw;  // projection onto null(B^T)
      null_.assign(res.data(), res.data() + res.size());
      const Eigen::CompleteOrthogonalDecomposition<Eigen::MatrixXd> cod_t(bm.transpose());
      const Eigen::VectorXd del = cod_t.solve(dw) * lm_;
      delta_.assign(del.data(), del.data() + del.size());
    }
    for (const std::int32_t j : used_) col_map_[static_cast<std::size_t>(j)] = -1;
    return fits && std::all_of(delta_.begin(), delta_.end(), [](double v) { return std::isfinite(v); });
  }

  // CG from 0 on K delta = b (the minimum-norm solution for a consistent
  // system, in exact arithmetic); rounding limits it, the next stage refines.
  void SolveCg() {
    const std::size_t nf = free_.size();
    delta_.assign(nf, 0.0);
    kp_.resize(nf);
    tmp_.resize(static_cast<std::size_t>(c_.n));
    r_ = b_;
    p_ = r_;
    double rr = 0.0;
    for (const double v : r_) rr += v * v;
    const double rr0 = rr;
    const std::size_t max_cg = std::min<std::size_t>(2 * nf + 10, 500);
    for (std::size_t k = 0; k < max_cg && rr > 1e-30 * rr0; ++k) {
      ApplyK(p_, kp_);
      double pkp = 0.0;
      for (std::size_t t = 0; t < nf; ++t) pkp += p_[t] * kp_[t];
      if (!(pkp > 0.0)) break;
      const double alpha = rr / pkp;
      double rr_new = 0.0;
      for (std::size_t t = 0; t < nf; ++t) {
        delta_[t] += alpha * p_[t];
        r_[t] -= alpha * kp_[t];
        rr_new += r_[t] * r_[t];
      }
      const double beta = rr_new / rr;
      rr = rr_new;
      for (std::size_t t = 0; t < nf; ++t) p_[t] = r_[t] + beta * p_[t];
    }
    null_ = r_;
  }

  // out = K in over the free set: K_ik = y_i y_k x_i.x_k / (l2 m).
  void ApplyK(const std::vector<double>& in, std::vector<double>& out) {
    std::fill(tmp_.begin(), tmp_.end(), 0.0);
    for (std::size_t t = 0; t < free_.size(); ++t) {
      const std::int64_t i = free_[t];
      kernels::Axpy(in[t] * c_.data.labels[static_cast<std::size_t>(i)] / lm_, c_.data.row(i),
                    tmp_.data());
    }
    out.resize(free_.size());
    for (std::size_t t = 0; t < free_.size(); ++t) {
      const std::int64_t i = free_[t];
      out[t] = c_.data.labels[static_cast<std::size_t>(i)] * kernels::Dot(c_.data.row(i), tmp_.data());
    }
  }

  Context& c_;
  double lm_;
  std::vector<double> ya_, z_, b_, delta_, null_, rooms_, r_, p_, kp_, tmp_, trial_, w_trial_;
  std::vector<std::int64_t> free_;
  std::vector<std::int32_t> col_map_, used_;
  std::size_t max_set_;  // largest N the finishing step works on
};

void DualCd(Context& c, double tol, ReferenceResult& res) {
  res.method = "dual-cd";
  const auto m = static_cast<std::size_t>(c.m);
  HingeDual dual(c);
  const double lm = dual.lm();
  std::vector<double> w(static_cast<std::size_t>(c.n), 0.0);
  std::vector<double> a(m, 0.0), qii(m);
  std::vector<std::int64_t> active;
  active.reserve(m);
  for (std::size_t i = 0; i < m; ++i) {
    qii[i] = kernels::SquaredNorm(c.data.row(static_cast<std::int64_t>(i)));
    if (qii[i] == 0.0) {
      a[i] = 1.0;  // empty row: constant loss 1, a_i = 1 is optimal
    } else {
      active.push_back(static_cast<std::int64_t>(i));
    }
  }
  const std::vector<std::int64_t> all = active;
  SplitMix64 rng(0xd0a1cd5eedULL);

  double p_best = kInf, d_best = -kInf;
  if (!c.options.initial_w.empty()) {
    // A primal warm start: the dual variables its margins suggest (a_i = 1
    // inside the margin, 0 outside), and the point itself as the best
    // primal so far (res.w holds it).
    const std::vector<double>& w0 = c.options.initial_w;
    for (const std::int64_t i : all) {
      const auto ii = static_cast<std::size_t>(i);
      a[ii] = c.data.labels[ii] * kernels::Dot(c.data.row(i), w0.data()) < 1.0 ? 1.0 : 0.0;
    }
    p_best = dual.Primal(w0);
    res.gradient_rows += c.m;
  }
  double eps = 0.1;  // projected-gradient spread ending a stage
  double pg_max_old = kInf, pg_min_old = -kInf;
  int passes = 0;
  std::int64_t work = 0;  // rows visited by CD since the last check
  int checks = 0, checks_since_finish = 0;
  bool stage_done = false;
  for (;;) {
    if (passes == 0 || stage_done || work >= c.m) {
      if (passes > 0) ++checks;
      // Full check (one outer iteration): exact w(a), its primal value, and
      // at a stage end or every 5th check the finishing step.
      double d_a = dual.Dual(a, w);
      d_best = std::max(d_best, d_a);
      res.gradient_rows += c.m;
      double p = dual.Primal(w);
      if (p < p_best) {
        p_best = p;
        res.w = w;
      }
      ++checks_since_finish;
      if (p_best - d_best > tol * p_best && (stage_done || checks_since_finish >= 5)) {
        checks_since_finish = 0;
        if (dual.Finish(a, w, &d_a, stage_done ? 100 : 30, &res.gradient_rows)) {
          d_best = std::max(d_best, d_a);
          p = dual.Primal(w);
          res.gradient_rows += c.m;
          if (p < p_best) {
            p_best = p;
            res.w = w;
          }
          // Restart shrinking from the new point.
          active = all;
          pg_max_old = kInf;
          pg_min_old = -kInf;
        }
      }
      if (stage_done) eps = std::max(0.1 * eps, 1e-15);
      stage_done = false;
      work = 0;
      res.objective = p_best;
      res.certificate = Relative(std::max(p_best - d_best, 0.0), p_best);
      res.iterations = checks;
      if (checks > 0) Report(c, res, checks, res.w, p_best);
      if (res.certificate <= tol) {
        res.converged = true;
        return;
      }
      if (checks >= c.options.max_iterations) return;
      if (c.StopRequested()) {
        res.interrupted = true;
        return;
      }
    }

    // One pass of dual CD over the active set, shrinking as it goes.
    if (c.StopRequested()) {  // res.w is the best primal point so far
      res.interrupted = true;
      return;
    }
    rng.Shuffle(active);
    double pg_max = -kInf, pg_min = kInf;
    std::size_t size = active.size();
    for (std::size_t s = 0; s < size;) {
      const auto ii = static_cast<std::size_t>(active[s]);
      const double y = c.data.labels[ii];
      const SparseRow row = c.data.row(active[s]);
      const double g = y * kernels::Dot(row, w.data()) - 1.0;
      double pg = g;
      if (a[ii] == 0.0) {
        if (g > pg_max_old) {
          std::swap(active[s], active[--size]);
          continue;
        }
        pg = std::min(g, 0.0);
      } else if (a[ii] == 1.0) {
        if (g < pg_min_old) {
          std::swap(active[s], active[--size]);
          continue;
        }
        pg = std::max(g, 0.0);
      }
      pg_max = std::max(pg_max, pg);
      pg_min = std::min(pg_min, pg);
      if (pg != 0.0) {
        const double ai = std::clamp(a[ii] - g * lm / qii[ii], 0.0, 1.0);
        if (ai != a[ii]) {
          kernels::Axpy((ai - a[ii]) * y / lm, row, w.data());
          a[ii] = ai;
        }
      }
      ++s;
    }
    res.gradient_rows += static_cast<std::int64_t>(active.size());
    work += static_cast<std::int64_t>(active.size());
    active.resize(size);
    ++passes;
    work += static_cast<std::int64_t>(active.size());
    res.iterations = passes;
    if (size == 0) pg_max = pg_min = 0.0;
    if (pg_max - pg_min <= eps) {
      if (active.size() == all.size()) {
        stage_done = true;
      } else {
        active = all;  // unshrink and check the full set in the next pass
      }
      pg_max_old = kInf;
      pg_min_old = -kInf;
      continue;
    }
    pg_max_old = pg_max > 0.0 ? pg_max : kInf;
    pg_min_old = pg_min < 0.0 ? pg_min : -kInf;
  }
}

}  // namespace

ColumnMatrix ToColumns(const Dataset& data) {
  if (data.num_rows >= (std::int64_t{1} << 31)) {
    throw Error(ErrorKind::kUnsupported, "the reference solver needs fewer than 2^31 rows");
  }
  ColumnMatrix c;
  c.num_rows = data.num_rows;
  c.num_cols = data.num_cols;
  const auto n = static_cast<std::size_t>(data.num_cols);
  c.col_ptr.assign(n + 1, 0);
  for (const std::int32_t j : data.col_index) ++c.col_ptr[static_cast<std::size_t>(j) + 1];
  for (std::size_t j = 0; j < n; ++j) c.col_ptr[j + 1] += c.col_ptr[j];
  c.row_index.resize(data.col_index.size());
  c.values.resize(data.col_index.size());
  std::vector<std::int64_t> next(c.col_ptr.begin(), c.col_ptr.end() - 1);
  for (std::int64_t i = 0; i < data.num_rows; ++i) {
    const SparseRow row = data.row(i);
    for (std::int32_t k = 0; k < row.nnz; ++k) {
      const auto pos = static_cast<std::size_t>(next[static_cast<std::size_t>(row.index[k])]++);
      c.row_index[pos] = static_cast<std::int32_t>(i);
      c.values[pos] = row.value[k];
    }
  }
  return c;
}

double OptimalityGapBound(const Dataset& data, const Problem& problem, std::span<const double> w,
                          int threads) {
  problem.Validate();
  if (w.size() != static_cast<std::size_t>(data.num_cols)) {
    throw Error(ErrorKind::kInvalidOption, "weight vector size does not match the data");
  }
  ReferenceOptions options;
  options.threads = threads;
  Context c(data, problem, options);
  std::vector<double> wv(w.begin(), w.end());
  std::vector<double> z(static_cast<std::size_t>(c.m)), r(z.size()), g(wv.size());
  return kernels::DispatchLoss(problem.loss, [&](auto l) {
    using L = decltype(l);
    c.Times(wv, z);
    const double loss = c.m > 0 ? c.Derivatives<L>(z, r, nullptr) : 0.0;
    c.TransposeTimes(r, g);
    for (std::size_t j = 0; j < g.size(); ++j) g[j] += problem.l2 * wv[j];
    return c.GapBound<L>(wv, z, g, loss + c.Regulariser(wv));
  });
}

void CheckReferenceProblem(const Problem& problem) {
  if (problem.loss == Loss::kHinge && problem.l1 > 0.0) {
    throw Error(ErrorKind::kUnsupported,
                "reference solver: hinge loss with l1 > 0 is not supported (its dual "
                "coordinate descent handles l2 only); use the squared hinge or l1 = 0");
  }
  if (problem.loss == Loss::kHinge && problem.l2 == 0.0) {
    throw Error(ErrorKind::kUnsupported,
                "reference solver: hinge loss needs l2 > 0 (the unregularised hinge "
                "problem is a linear program)");
  }
}

double ReferenceMemoryBytes(const Dataset& data) {
  const double d = data.num_cols, m = static_cast<double>(data.num_rows);
  const double dense = data.num_cols <= DenseNewtonSystem::kMaxDim ? 2.0 * 8.0 * d * d : 0.0;
  return 12.0 * 8.0 * d + 8.0 * 8.0 * m + 12.0 * static_cast<double>(data.nnz()) + 8.0 * d + dense;
}

}  // namespace detail

ReferenceResult SolveReference(const Dataset& data, const Problem& problem,
                               const ReferenceOptions& options) {
  problem.Validate();
  if (options.threads < 0) {
    throw Error(ErrorKind::kInvalidOption, "reference threads must be >= 0");
  }
  if (options.max_iterations < 0) {
    throw Error(ErrorKind::kInvalidOption, "reference max_iterations must be >= 0");
  }
  if (options.warm_start_passes < 0) {
    throw Error(ErrorKind::kInvalidOption, "reference warm_start_passes must be >= 0");
  }
  if (!(options.tolerance >= 0.0)) {
    throw Error(ErrorKind::kInvalidOption, "reference tolerance must be >= 0");
  }
  detail::CheckReferenceProblem(problem);
  ValidateDataset(data);
  CheckLabelKind(data, problem);
  const double tol = options.tolerance > 0.0
                         ? options.tolerance
                         : (problem.l2 == 0.0 && problem.l1 > 0.0 ? 1e-10 : 1e-12);

  if (!options.initial_w.empty()) {
    if (options.initial_w.size() != static_cast<std::size_t>(data.num_cols)) {
      throw Error(ErrorKind::kInvalidOption,
                  "reference initial_w has " + std::to_string(options.initial_w.size()) +
                      " entries, the data has " + std::to_string(data.num_cols) + " features");
    }
    for (const double v : options.initial_w) {
      if (!std::isfinite(v)) throw Error(ErrorKind::kInvalidOption, "reference initial_w is not finite");
    }
  }
  runtime::RequireMemory(detail::ReferenceMemoryBytes(data),
                         "the reference solver on " + std::to_string(data.num_rows) + " rows x " +
                             std::to_string(data.num_cols) + " features",
                         runtime::WidthAdviceFor(data));
  ReferenceResult res;
  if (options.initial_w.empty()) {
    res.w.assign(static_cast<std::size_t>(data.num_cols), 0.0);
  } else {
    res.w = options.initial_w;
  }
  detail::Context c(data, problem, options);
  if (c.m == 0) {  // F = regulariser only: minimised by w = 0 (whatever the warm start)
    std::fill(res.w.begin(), res.w.end(), 0.0);
    res.method = problem.l1 > 0.0 ? "prox-newton-cd" : (problem.loss == Loss::kHinge ? "dual-cd" : "newton-cg");
    res.converged = true;
    return res;
  }
  kernels::DispatchLoss(problem.loss, [&](auto l) {
    using L = decltype(l);
    if constexpr (L::kLoss == Loss::kHinge) {
      detail::DualCd(c, tol, res);
    } else if (problem.l1 > 0.0) {
      detail::ProxNewtonCd<L>(c, tol, res);
    } else {
      detail::NewtonCg<L>(c, tol, res);
    }
  });
  // Report F exactly as Objective() computes it (same blocks, same bits).
  res.objective = Objective(data, problem, res.w, options.threads);
  return res;
}

}  // namespace asyncopt
