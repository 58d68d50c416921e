// asyncopt: the reference optimum f* = min_w F(w), computed to high accuracy
// and cached on disk so benchmarks can report suboptimality (F - f*) / f*.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "asyncopt/dataset.hpp"
#include "asyncopt/problem.hpp"

namespace asyncopt {

struct ReferenceOptions {
  // Stop when the relative objective accuracy certificate falls below this:
  // default 1e-12 (l2 / elastic net); pure l1 problems use 1e-10.
  double tolerance = 0.0;      // 0 = the defaults above
  int max_iterations = 500;    // outer (Newton / dual) iterations
  int threads = 0;             // objective / gradient threads, 0 = all
  const std::atomic<bool>* stop = nullptr;  // set to true to stop early
  // Also stops the solver when it returns true (a deadline, say); like
  // `stop` it is looked at between iterations and inside them (every CG
  // iteration, line-search trial and coordinate-descent pass), so it takes
  // effect within about one pass over the data. May be empty.
  std::function<bool()> should_stop;
  // Warm start (size num_cols, finite; empty = w = 0): Newton-CG and proximal
  // Newton start from it (Newton-CG then skips its SGD warm start); dual
  // coordinate descent (hinge) starts from the dual point its margins
  // suggest and keeps it as the best primal point until a better one is found.
  std::vector<double> initial_w;
  // newton-cg with the logistic or squared hinge loss: passes of plain SGD
  // from w = 0 before the first Newton step (one thread, a fixed order, so
  // the result keeps the same bits for any thread count). Newton's first
  // steps from w = 0 make slow progress on such losses; one pass costs about
  // two Hessian-vector products and replaces several Newton steps. The
  // SGD point is kept only if it lowers F. 0 = start Newton at w = 0 (as
  // does max_iterations = 0).
  int warm_start_passes = 1;
  // Called after every outer iteration with (iteration, w, objective,
  // rows whose gradient was computed so far). May be empty.
  std::function<void(int, const std::vector<double>&, double, std::int64_t)> on_iteration;
};

struct ReferenceResult {
  std::vector<double> w;
  double objective = 0.0;     // F(w)
  double certificate = 0.0;   // bound on (F(w) - f*) / |F(w)| (duality gap or
                              // Newton-decrement based), as reported
  int iterations = 0;
  std::int64_t gradient_rows = 0;  // rows whose loss derivative was computed
  std::int64_t hessian_products = 0;  // newton-cg: CG iterations (Hessian-vector products)
  int dense_newton_steps = 0;         // newton-cg: steps solved with a dense Hessian (small d)
  bool warm_start_kept = false;       // newton-cg: started from the SGD warm start (else w = 0)
  bool converged = false;
  bool interrupted = false;
  // The problem has no minimiser: the logistic loss with l1 = l2 = 0 on
  // linearly separable data (a w with y_i x_i.w > 0 for every row was found,
  // so F(t w) -> 0 as t grows and the infimum 0 is never attained). w is that
  // separating point; objective, certificate and f* mean nothing then.
  bool no_minimiser = false;
  std::string method;         // "newton-cg", "prox-newton-cd", "dual-cd"
};

// Minimises F with: a trust-region Newton-CG for smooth losses with l1 = 0; a
// proximal Newton method with coordinate-descent inner solves (newGLMNET,
// Yuan, Ho, Lin 2012) when l1 > 0; dual coordinate descent (Hsieh et al.
// 2008) for the hinge loss with l1 = 0. Hinge with l1 > 0 throws
// Error(kUnsupported).
ReferenceResult SolveReference(const Dataset& data, const Problem& problem,
                               const ReferenceOptions& options = {});

// On-disk cache of f* keyed by the dataset's content hash, a preprocessing
// description, the loss and the lambdas. Directory: `dir`, or
// $ASYNCOPT_CACHE_DIR, or $XDG_CACHE_HOME/asyncopt, or ~/.cache/asyncopt.
struct OptimumCacheEntry {
  double f_star = 0.0;
  std::vector<double> w_star;
  std::string method;
  double certificate = 0.0;
};

class OptimumCache {
 public:
  explicit OptimumCache(std::string dir = "");
  const std::string& dir() const { return dir_; }
  static std::string Key(std::uint64_t content_hash, const std::string& preprocessing,
                         const Problem& problem);
  bool Lookup(const std::string& key, OptimumCacheEntry* entry) const;
  // Lookup, then checks the entry against the data it claims to describe:
  // w* has the data's width, is finite, and F(w*) equals the stored f* (to
  // 1e-12 relative: both come from the same deterministic evaluation). An
  // entry that fails (edited, or written by a build with another objective)
  // is not returned; *mismatch (if given) says why, so the caller recomputes
  // and stores a good one.
  bool LookupVerified(const std::string& key, const Dataset& data, const Problem& problem,
                      OptimumCacheEntry* entry, std::string* mismatch = nullptr,
                      int threads = 0) const;
  void Store(const std::string& key, const OptimumCacheEntry& entry) const;

 private:
  std::string dir_;
};

}  // namespace asyncopt
