// SODA and DAve-PG: asynchronous master/worker proximal gradient with
// sparsity masks, on shared memory.
//
// Grishchenko, Iutzeler, Amini, "Sparse Asynchronous Distributed Learning"
// (paper 000), Algorithm 1; DAve-PG (Mishchenko, Iutzeler, Malick, Amini,
// ICML 2018) is its p = 1 case. Problem: min sum_i pi_i f_i(w) + l1 |w|_1 with
// f_i the mean loss over worker i's shard S_i plus (l2/2)|w|^2, pi_i = |S_i|/m.
//
//   worker i (M = Options::threads of them, one std::jthread each):
//     w_i = 0; repeat: receive w; mask = supp(w) + each zero coordinate with
//     probability p (geometric skipping); u = [w - gamma grad f_i(w)]_mask;
//     Delta = u - [w_i]_mask (sparse); w_i = u on the mask; send Delta.
//   master (the calling thread):
//     w_bar = 0; repeat: receive Delta from worker i; w_bar += pi_i Delta;
//     w = prox_{gamma l1}(w_bar) on the coordinates of Delta; reply to worker i
//     with the coordinates of w that changed since its last copy (or all of
//     w when that is smaller).
//
// Messages travel through a lock-free mailbox (src/kernels/mailbox.hpp);
// every wait blocks in std::atomic::wait. The master's work per message is
// O(message size). A worker keeps its shard column-major and its margins
// X_i w up to date from the changed coordinates, so a step costs the nonzeros
// of the mask's columns, not of the whole shard.
//
// --local-steps K > 1 (as DAve-RPG, Mishchenko et al. 2018, reference [13] of
// paper 000): K-1 local proximal-gradient steps on f_i + l1 |.|_1 over the
// mask, then the final gradient step whose prox the master applies. K = 1 is
// Algorithm 1.
//
// Divergence (small p, Section 4 of paper 000): after every round in which
// each worker sent at least one message, the master estimates F from the
// workers' reported local losses plus the regulariser at w; if it rose above
// the best round's value (or is not finite) the run restarts from the best
// round's w_bar (every w_i := w_bar), up to max_restarts times.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "asyncopt/dataset.hpp"
#include "asyncopt/problem.hpp"
#include "asyncopt/solver.hpp"
#include "engine/transport.hpp"

namespace asyncopt::algorithms {

// What the protocol tests check after a run (all workers joined).
struct SodaAudit {
  std::int64_t messages_sent = 0;      // by all workers
  std::int64_t messages_received = 0;  // by the master
  // Rows the workers took from the max_epochs x m budget to compute (the
  // final gradient step and each local step take a pass over the shard).
  std::int64_t rows_taken = 0;
  // max_j |w_bar_j - sum_i pi_i w_i,j|: zero up to rounding when no message
  // was lost or applied twice.
  double invariant_gap = 0.0;
  double w_bar_scale = 0.0;  // max_j |w_bar_j|, to make the gap relative
  // The transport's byte counts: what the master received of the protocol's
  // messages, and what the workers sent (equal when nothing is lost).
  std::int64_t master_bytes_received = 0;
  std::int64_t workers_bytes_sent = 0;
};

Result RunSoda(const Dataset& data, const Problem& problem, const Options& options,
               SodaAudit* audit = nullptr);

// SODA and DAve-PG across processes (MPI): the caller owns the transport
// (rank 0 the master, ranks 1..M the workers), reads each worker's part of
// the rows, and reduces what every rank must agree on first: the data's
// shape and, unless Options::step is given, the largest part smoothness
// (PartSmoothness, max over the workers). Worker rank r has the fault-plan
// number r, as with threads; its part's rows are shuffled by the seed as a
// one-worker threaded run shuffles the whole data, so one worker rank gives
// the iterates of one worker thread bit for bit.
Result RunSodaMaster(engine::Transport& net, std::int64_t rows, std::int32_t cols,
                     const Problem& problem, const Options& options, double smoothness,
                     const std::string& placement);
// Streams the rows of a worker's part again, in order, in pieces, each
// preprocessed as the part was: calls `take` once per piece.
using PartReader = std::function<void(const std::function<void(const Dataset& piece)>& take)>;

// A worker rank's shard: its part by columns, rows in the seed's order.
class WorkerShard {
 public:
  struct Impl;  // defined in soda.cpp
  explicit WorkerShard(std::unique_ptr<Impl> impl);
  WorkerShard(WorkerShard&&) noexcept;
  WorkerShard& operator=(WorkerShard&&) noexcept;
  ~WorkerShard();
  const Impl& impl() const { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

// Makes the shard from `part`, which is taken: in place or, when `reread` is
// given, from a second read of the part (the rank then never holds the part
// and the shard at once; a second read that differs from the first throws
// Error(kIo)). Made before the run starts, so that a slow or failed second
// read is part of the ranks' preparation, not a silent worker.
// `total_rows`: the rows of all parts (pi_i = the part's share of them).
WorkerShard MakeWorkerShard(Dataset&& part, std::int64_t total_rows, const Options& options,
                            const PartReader& reread = {});
// Returns when the master said stop. Throws engine::PeerLost when the master
// is silent past Options::peer_timeout, and any error of the worker (which
// the master has been told of, also when it happens before the worker's
// first message). With Options::pin_workers the rank's compute thread is
// pinned to CPU `host_index` of the `host_workers` worker ranks on this host
// (the k-th CPU the process may use), when there are that many CPUs; as
// worker threads are in a threaded run. The master is never pinned.
void RunSodaWorker(engine::Transport& net, const WorkerShard& shard, const Problem& problem,
                   const Options& options, double smoothness, int host_index = 0, int host_workers = 1);
// The smoothness of a part's loss, as the threaded run computes it for a
// shard (0 when Options::step is given: not needed).
double PartSmoothness(const Dataset& part, const Problem& problem, const Options& options);

// What soda and dave-pg refuse: the hinge loss (Error(kUnsupported)), more
// workers than rows (Error(kInvalidOption)).
void CheckSoda(const Dataset& data, const Problem& problem, const Options& options);

// Bytes a run allocates beyond the data: every worker keeps its shard by
// columns (an index array of d + 1 entries) and two copies of w, the master
// several d-long arrays (see HogwildMemoryBytes).
double SodaMemoryBytes(const Dataset& data, const Options& options);

// Smoothness of the shard loss f_i(w) = (1/|S|) sum_{r in S} loss(x_r.w):
// c * lambda_max(X_S^T X_S) / |S| by power iteration (an estimate from below,
// returned with a 1% margin), plus l2.
double ShardSmoothness(const Dataset& data, const Problem& problem,
                       std::span<const std::int64_t> rows, std::uint64_t seed);

// The rows of each worker's shard: a seeded permutation (or the identity) cut
// by ShardBoundaries(m, M, skew).
std::vector<std::vector<std::int64_t>> MakeShards(std::int64_t rows, int workers, double skew,
                                                  bool shuffle, std::uint64_t seed);

}  // namespace asyncopt::algorithms
