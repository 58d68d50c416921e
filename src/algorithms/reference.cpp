// asyncopt: the reference solver. Computes f* = min_w F(w) to high relative
// accuracy, with a certificate (an upper bound on (F(w) - f*) / |F(w)|):
//
//  * smooth loss, l1 = 0:  line-search Newton-CG ("newton-cg"); Hessian-vector
//    products X^T D X v / m + l2 v; see Nocedal & Wright, Numerical
//    Optimization (2006), Algorithm 7.1 (inexact Newton with forcing term
//    eta_k = min(0.1, sqrt(||g_k|| / ||g_0||))).
//  * smooth loss, l1 > 0:  proximal Newton with coordinate-descent inner
//    solves ("prox-newton-cd"): newGLMNET, Yuan, Ho & Lin, "An Improved GLMNET
//    for L1-regularized Logistic Regression", JMLR 13 (2012), Algorithm 3.
//  * hinge, l1 = 0, l2 > 0: dual coordinate descent ("dual-cd"), Hsieh, Chang,
//    Lin, Keerthi & Sundararajan, "A Dual Coordinate Descent Method for
//    Large-scale Linear SVM", ICML 2008, Algorithm 1 (random permutation).
//
// Certificates: with l2 > 0 the objective is l2-strongly convex so
// F(w) - f* <= ||s||^2 / (2 l2) for the minimum-norm subgradient s; with
// l1 > 0 also the Fenchel duality gap at u_i = loss'(z_i) (scaled to
// ||X^T u / m||_inf <= l1 when l2 = 0); hinge uses the exact dual gap of its
// dual iterate; l1 = l2 = 0 falls back to the Newton decrement g^T H^-1 g / 2
// (exact for the squared loss, an estimate otherwise).
//
// Determinism: every reduction goes through detail::Parallel::Sum (fixed
// blocks, fixed order), products X v are per row and X^T r per column (CSC),
// and the coordinate orders come from a fixed-seed splitmix64 generator, so
// the result has the same bits for any thread count.
#include "algorithms/reference.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "asyncopt/error.hpp"
#include "asyncopt/optimum.hpp"
#include "kernels/losses.hpp"
#include "kernels/sparse_ops.hpp"
#include "problem/parallel.hpp"

namespace asyncopt {
namespace detail {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr std::int64_t kColBlock = 4096;  // elements per block of sums over d
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
      : data(d), cols(ToColumns(d)), problem(p), options(o), par(o.threads),
        m(d.num_rows), n(d.num_cols) {}

  const Dataset& data;
  ColumnMatrix cols;
  Problem problem;
  const ReferenceOptions& options;
  Parallel par;
  std::int64_t m;
  std::int64_t n;

  bool StopRequested() const {
    return options.stop != nullptr && options.stop->load(std::memory_order_relaxed);
  }

  // z = X w (per row: deterministic).
  void Times(const std::vector<double>& w, std::vector<double>& z) {
    par.For(m, 256, [&](std::int64_t b, std::int64_t e) {
      for (std::int64_t i = b; i < e; ++i) {
        z[static_cast<std::size_t>(i)] = kernels::Dot(data.row(i), w.data());
      }
    });
  }

  // out = X^T r (per column over the CSC copy: deterministic).
  void TransposeTimes(const std::vector<double>& r, std::vector<double>& out) {
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
        const double y = data.labels[ii];
        acc += L::Value(y, z[ii]);
        r[ii] = L::Derivative(y, z[ii]) * inv_m;
        if (c != nullptr) (*c)[ii] = L::Curvature(y, z[ii]) * inv_m;
      }
      return acc;
    });
    return s / static_cast<double>(m);
  }

  // (l2/2)||w||^2 + l1||w||_1, serial in index order (as Objective()).
  double Regulariser(const std::vector<double>& w) const {
    double sq = 0.0, abs = 0.0;
    for (double v : w) {
      sq += v * v;
      abs += std::fabs(v);
    }
    return 0.5 * problem.l2 * sq + problem.l1 * abs;
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

  for (int iter = 0;; ++iter) {
    c.Times(w, z);
    const double loss = c.Derivatives<L>(z, r, &curv);
    res.gradient_rows += c.m;
    c.TransposeTimes(r, g);
    for (std::size_t j = 0; j < n; ++j) g[j] += l2 * w[j];
    const double F = loss + c.Regulariser(w);
    res.objective = F;
    const double g_norm = std::sqrt(c.DotD(g, g));
    if (iter == 0) g0_norm = g_norm;
    res.certificate = l2 > 0.0 ? Relative(c.GapBound<L>(w, z, g, F), F) : kInf;
    if (g_norm == 0.0) res.certificate = 0.0;
    if (res.certificate <= tol) {
      res.converged = true;
      return;
    }
    if (iter >= c.options.max_iterations) return;
    if (c.StopRequested()) {
      res.interrupted = true;
      return;
    }

    // CG on H s = -g, H = X^T diag(curv) X + l2 I, forcing term eta.
    const double eta = std::min(0.1, std::sqrt(g_norm / g0_norm));
    std::fill(s.begin(), s.end(), 0.0);
    for (std::size_t j = 0; j < n; ++j) res_cg[j] = -g[j];
    p = res_cg;
    double rr = g_norm * g_norm;
    for (std::int64_t k = 0; k < max_cg; ++k) {
      c.Times(p, xp);
      for (std::size_t i = 0; i < m; ++i) xp[i] *= curv[i];
      c.TransposeTimes(xp, hp);
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
    }

    // Backtracking Armijo line search on F along s.
    c.Times(s, xs);
    double step = 1.0;
    bool accepted = false;
    double F_new = F;
    for (int ls = 0; ls < 60; ++ls) {
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
    w.swap(w_trial);
    res.iterations = iter + 1;
    Report(c, res, res.iterations, w, F_new);
  }
}

// ---------------------------------------------------------------------------
// Proximal Newton with coordinate-descent inner solves (newGLMNET) for
// smooth losses and l1 > 0.
template <class L>
void ProxNewtonCd(Context& c, double tol, ReferenceResult& res) {
  res.method = "prox-newton-cd";
  const double l1 = c.problem.l1, l2 = c.problem.l2;
  // newGLMNET adds nu I to the Hessian so the model is strictly convex.
  const double nu = l2 > 0.0 ? 0.0 : 1e-12;
  const auto m = static_cast<std::size_t>(c.m);
  const auto n = static_cast<std::size_t>(c.n);
  const ColumnMatrix& cols = c.cols;
  std::vector<double>& w = res.w;
  std::vector<double> z(m, 0.0), r(m), curv(m), xd(m);
  std::vector<double> g(n), d(n, 0.0), hdiag(n, 0.0);
  std::vector<std::int32_t> active;
  active.reserve(n);
  SplitMix64 rng(0x5eed5eedULL);
  double max_violation_prev = kInf;
  int max_inner = 50;

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
    const double inner_tol = 0.1 * max_violation;
    int passes = 0;
    for (; passes < max_inner; ++passes) {
      rng.Shuffle(active);
      double inner_violation = 0.0;
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
        d[j] += t;
        for (auto k = k0; k < k1; ++k) {
          xd[static_cast<std::size_t>(cols.row_index[static_cast<std::size_t>(k)])] +=
              t * cols.values[static_cast<std::size_t>(k)];
        }
      }
      if (inner_violation <= inner_tol) break;
    }
    // Inner solves that stop after one pass were too loose a target to be
    // useful; ones that hit the cap get more room next time.
    if (passes >= max_inner) max_inner = std::min(2 * max_inner, 2000);

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
  }
}

// ---------------------------------------------------------------------------
// Dual coordinate descent for the hinge loss with l2 > 0, l1 = 0. In our
// scaling the dual variables are a_i in [0, 1] with
//   w(a) = (1 / (l2 m)) sum_i a_i y_i x_i,
//   D(a) = (1/m) sum_i a_i - (l2/2) ||w(a)||^2 <= f* <= F(w(a)),
// (LIBLINEAR's alpha_i = C a_i with C = 1 / (l2 m)).
//
// Plain dual CD converges only linearly, too slowly for a 1e-12 gap, so every
// kPolishEvery epochs a projected Newton step on the free variables
// (0 < a_i < 1; Bertsekas, "Projected Newton methods for optimization
// problems with simple constraints", SIAM J. Control Optim. 20, 1982) solves
// y_i x_i . w(a) = 1 on the free set by CG and is kept if the gap shrinks.
class HingeDual {
 public:
  explicit HingeDual(Context& c)
      : c_(c), lm_(c.problem.l2 * static_cast<double>(c.m)),
        ya_(static_cast<std::size_t>(c.m)), z_(static_cast<std::size_t>(c.m)) {}

  // Recomputes w = w(a) exactly and returns the gap; sets primal/dual.
  double Gap(const std::vector<double>& a, std::vector<double>& w, double* primal) {
    const auto m = static_cast<std::size_t>(c_.m);
    for (std::size_t i = 0; i < m; ++i) ya_[i] = a[i] * c_.data.labels[i] / lm_;
    c_.TransposeTimes(ya_, w);
    c_.Times(w, z_);
    const double reg = 0.5 * c_.problem.l2 * c_.DotD(w, w);
    *primal = c_.LossMean<kernels::HingeLoss>(z_, nullptr, 0.0) + reg;
    double a_sum = 0.0;
    for (const double ai : a) a_sum += ai;
    const double dual = a_sum / static_cast<double>(c_.m) - reg;
    return std::max(*primal - dual, 0.0);
  }

  // One projected Newton step on the free set; returns true if it was kept
  // (then a, w, gap are updated).
  bool Polish(std::vector<double>& a, std::vector<double>& w, double* gap, double* primal) {
    free_.clear();
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (a[i] > 0.0 && a[i] < 1.0) free_.push_back(static_cast<std::int64_t>(i));
    }
    if (free_.empty()) return false;
    const std::size_t nf = free_.size();
    const auto n = static_cast<std::size_t>(c_.n);
    // K delta = b with K_ik = y_i y_k x_i.x_k / (l2 m), b_i = 1 - y_i x_i.w.
    b_.resize(nf);
    for (std::size_t t = 0; t < nf; ++t) {
      const std::int64_t i = free_[t];
      b_[t] = 1.0 - c_.data.labels[static_cast<std::size_t>(i)] * kernels::Dot(c_.data.row(i), w.data());
    }
    // Plain CG on K delta = b. With more free rows than columns K is
    // singular and b is generally outside its range: no Newton step then
    // (the free set is not the final one yet); dual CD continues.
    if (nf > n) return false;
    delta_.assign(nf, 0.0);
    kp_.resize(nf);
    tmp_.resize(n);
    r_ = b_;
    p_ = r_;
    double rr = 0.0;
    for (const double v : r_) rr += v * v;
    const double rr0 = rr;
    const std::size_t max_cg = std::min<std::size_t>(2 * nf, 1000);
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
    // Projected search along the Newton direction, judged by the gap.
    trial_ = a;
    for (double step = 1.0; step > 1e-3; step *= 0.5) {
      for (std::size_t t = 0; t < nf; ++t) {
        const auto i = static_cast<std::size_t>(free_[t]);
        trial_[i] = std::clamp(a[i] + step * delta_[t], 0.0, 1.0);
      }
      w_trial_.resize(n);
      double p_trial = 0.0;
      const double g_trial = Gap(trial_, w_trial_, &p_trial);
      if (g_trial < *gap) {
        a.swap(trial_);
        w.swap(w_trial_);
        *gap = g_trial;
        *primal = p_trial;
        return true;
      }
    }
    return false;
  }

 private:
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
  std::vector<double> ya_, z_, b_, delta_, r_, p_, kp_, tmp_, trial_, w_trial_;
  std::vector<std::int64_t> free_;
};

void DualCd(Context& c, double tol, ReferenceResult& res) {
  res.method = "dual-cd";
  constexpr int kPolishEvery = 10;
  const double l2 = c.problem.l2;
  const auto m = static_cast<std::size_t>(c.m);
  const double lm = l2 * static_cast<double>(c.m);
  std::vector<double>& w = res.w;
  std::vector<double> a(m, 0.0), qii(m);
  std::vector<std::int64_t> order(m);
  for (std::size_t i = 0; i < m; ++i) {
    qii[i] = kernels::SquaredNorm(c.data.row(static_cast<std::int64_t>(i)));
    order[i] = static_cast<std::int64_t>(i);
  }
  SplitMix64 rng(0xd0a1cd5eedULL);
  HingeDual dual(c);

  for (int iter = 0;; ++iter) {
    // Certificate from a w recomputed exactly from a.
    double primal = 0.0;
    double gap = dual.Gap(a, w, &primal);
    res.gradient_rows += c.m;
    if (iter > 0 && iter % kPolishEvery == 0 && gap > tol * primal) {
      if (dual.Polish(a, w, &gap, &primal)) res.gradient_rows += c.m;
    }
    res.objective = primal;
    res.certificate = Relative(gap, primal);
    if (iter > 0) Report(c, res, iter, w, primal);
    if (res.certificate <= tol) {
      res.converged = true;
      return;
    }
    if (iter >= c.options.max_iterations) return;
    if (c.StopRequested()) {
      res.interrupted = true;
      return;
    }

    rng.Shuffle(order);
    for (const std::int64_t i : order) {
      const auto ii = static_cast<std::size_t>(i);
      const double y = c.data.labels[ii];
      if (qii[ii] == 0.0) {  // empty row: constant loss 1, a_i = 1 is optimal
        a[ii] = 1.0;
        continue;
      }
      const SparseRow row = c.data.row(i);
      const double grad = 1.0 - y * kernels::Dot(row, w.data());  // m dD/da_i
      const double ai = std::clamp(a[ii] + grad * lm / qii[ii], 0.0, 1.0);
      if (ai != a[ii]) {
        kernels::Axpy((ai - a[ii]) * y / lm, row, w.data());
        a[ii] = ai;
      }
    }
    res.gradient_rows += c.m;
    res.iterations = iter + 1;
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
  if (!(options.tolerance >= 0.0)) {
    throw Error(ErrorKind::kInvalidOption, "reference tolerance must be >= 0");
  }
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
  const double tol = options.tolerance > 0.0
                         ? options.tolerance
                         : (problem.l2 == 0.0 && problem.l1 > 0.0 ? 1e-10 : 1e-12);

  ReferenceResult res;
  res.w.assign(static_cast<std::size_t>(data.num_cols), 0.0);
  detail::Context c(data, problem, options);
  if (c.m == 0) {  // F = regulariser only: minimised by w = 0
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
