// DisSVRG and PetuumSGD: trainers and a server under stale-synchronous
// parallelism (SSP), on the message-passing engine (engine/master_worker.hpp).
//
// Ming, Zhao, et al., "Accelerate Distributed Stochastic Gradient Descent with
// Asynchronous Communication Protocol" (paper 004): Algorithm 1 (DisSVRG),
// Algorithm 2 (server), Algorithm 3 (trainer), Section 5.1 (the accelerated
// learning rate), Section 5.2 (adaptive m). PetuumSGD (Ho et al. 2013, the
// paper's baseline) is the same system with plain SGD trainers.
//
//   trainer p (T = Options::threads of them, each owning a shard S_p):
//     repeat: receive w~ and the others' shard gradients; compute its own
//     shard's loss gradient G_p = sum_{i in S_p} loss'(x_i.w~) x_i (one pass);
//     mu = (G_p + sum_{q != p} G_q) / n + l2 w~; run m inner steps
//       v = grad f_i(w) - grad f_i(w~) + mu,  w <- w - eta v   (i from S_p)
//     and push w (or w - w~) with G_p.
//   server: w, every trainer's latest G_q and epoch count c_q. A push is
//     folded into w (--aggregate delta: w += (w_p - w~_p) / T; average: w =
//     the mean of the latest pushed models); the reply to trainer p (its next
//     pull) waits until min_q c_q >= c_p - tau (the SSP rule; tau = 0 is
//     bulk synchronous) and carries w and sum_{q != p} G_q.
//
// mu under staleness: G_q was computed at trainer q's own last anchor w~_q,
// which may be older than p's; mu is exact (the full gradient at w~) only
// when every anchor is the same point. What makes DisSVRG exact is the fixed
// point: at w~ = w* for every trainer, sum_q G_q / n + l2 w* = grad F(w*) = 0
// = mu, and every inner step has v = grad f_i(w*) - grad f_i(w*) + 0 = 0, so
// no trainer moves and both aggregation rules leave w* in place. Averaging
// shard-local SVRG runs (mu from the trainer's shard alone) would instead
// settle where the shard-local minimisers average out, which is not w*.
// Every trainer's first epoch is its G at the starting point, and no reply
// leaves the server before all of them have arrived, so mu never lacks a
// shard.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "asyncopt/dataset.hpp"
#include "asyncopt/problem.hpp"
#include "asyncopt/solver.hpp"
#include "engine/transport.hpp"

namespace asyncopt::algorithms {

// The random stream of trainer p's row draws: data::Rng::ForStream(seed,
// kDisSvrgSampleStream, p), one Below(n_p) per inner step.
inline constexpr std::uint64_t kDisSvrgSampleStream = 0x7373702d73;  // "ssp-s"

// What the protocol tests check after a threaded run (all trainers joined).
struct SspAudit {
  // Per trainer: the staleness of each reply it received (c_p - min_q c_q
  // at the moment the server answered), as the trainer saw it in the reply.
  std::vector<std::vector<std::int64_t>> seen_staleness;
  std::int64_t pushes_sent = 0;      // by all trainers (model pushes and gradient-only ones)
  std::int64_t pushes_absorbed = 0;  // by the master (server 0)
  std::vector<std::int64_t> block_absorbed;  // by block servers 1..S-1
  std::vector<std::int64_t> block_max_staleness;  // the SSP rule at each block server
};

Result RunDisSvrg(const Dataset& data, const Problem& problem, const Options& options,
                  SspAudit* audit = nullptr);

// Across processes (MPI): rank 0 the master (server 0), ranks 1..S-1 the
// block servers, ranks S..S+T-1 the trainers, each holding its part of the
// rows. The caller reads the parts and agrees first on the data's shape and
// the largest row smoothness L_max (PartLMax, max over the trainers), from
// which the default step comes. Trainer rank r draws rows as trainer thread
// r - S of a threaded run, over its part in the order a one-trainer
// threaded run takes the whole data: one trainer rank gives that run's
// iterates bit for bit.
Result RunDisSvrgMaster(engine::Transport& net, std::int64_t rows, std::int32_t cols, const Problem& problem,
                        const Options& options, double l_max, const std::string& placement);
// Returns when the master says stop; throws engine::PeerLost when nobody
// spoke for twice Options::peer_timeout.
void RunDisSvrgBlockServer(engine::Transport& net, std::int64_t rows, std::int32_t cols, const Options& options);
// `part` (the rank's rows, width = the data's) must outlive the call. With
// Options::pin_workers the compute thread is pinned to CPU `host_index` of
// the `host_trainers` trainer ranks on this host.
void RunDisSvrgTrainer(engine::Transport& net, const Dataset& part, std::int64_t total_rows, const Problem& problem,
                       const Options& options, double l_max, int host_index = 0, int host_trainers = 1);
// c max_i ||x_i||^2 + l2 over a part's rows.
double PartLMax(const Dataset& part, const Problem& problem);

// What dissvrg and petuum-sgd refuse: the hinge loss, l1, more trainers
// than rows, more servers than features, a crash of a server, fault members
// that do not exist. Members (ranks): 0 the master (server 0), 1..S-1 the
// block servers, S..S+T-1 the trainers.
void CheckDisSvrg(const Dataset& data, const Problem& problem, const Options& options);

// Bytes a run allocates beyond the data: each trainer's shard rows and
// dense vectors, the server's per-trainer vectors.
double DisSvrgMemoryBytes(const Dataset& data, const Options& options);

// The default step: 1 / (4 L_max) (dissvrg) or 1 / (2 L_max) (petuum-sgd),
// with L_max = c max_i ||x_i||^2 + l2, c the loss's curvature bound.
double DisSvrgDefaultStep(const Dataset& data, const Problem& problem, SolverKind solver);

}  // namespace asyncopt::algorithms
