// Decentralized SGD that waits for a quorum, with approximate agreement in
// clusters, skipping and recovery (paper 001: Attiya and Schiller,
// "Asynchronous Distributed Machine Learning", the slides "Distributed SGD
// Algorithm", "Cluster-Based Model", "MDAA within a Cluster", "Skipping" and
// "Recovery through Skipping"); and the gossip baseline.
//
// n = Options::threads nodes, each with its own model x; node i belongs to
// cluster i * C / n (DecentralizedOptions). As in the slides, the nodes
// access the same data distribution: each draws from every row it can see
// (the whole data on threads; its rank's part under MPI), so a crashed node
// takes no data with it. Round t at a node:
//   1. g = the mini-batch gradient of F at x (AsyncOptions::batch_size rows
//      drawn with replacement); y = x - eta_t g
//   2. <t, y> to every other node
//   3. wait for round-t models from a quorum (itself included; a majority
//      by default); when a later round t' holds a quorum first, skip to t'
//   4. x = the mean of that round's models (in node order)
//   5. x = ClusterAgreement(x): agreement_rounds rounds of MidExtremes over
//      the cluster's shared registers (kernels/agreement.hpp); wait-free, so
//      a crashed cluster member blocks nobody.
// eta_t = eta0 / (1 + t)^alpha. A node that waits longer than quorum_timeout
// (solver clock) ends the run as Status::kNoQuorum, naming the round and the
// nodes it had not heard from.
//
// Gossip (the baseline): y = x - eta_t g, y to one peer drawn at random,
// x = the mean of y and every model received since the last round; nobody
// waits.
//
// Faults (Options::faults, member = node): slow, stall and crash through the
// team's fault plan (a crash is before the round's message), crash-sending
// (the round's message reaches only the first half of the peers, then the
// node is gone), restart (a crash, then after the downtime the node comes
// back from its checkpoint file and rejoins by skipping). A dead node's
// inbox drops what arrives (ThreadNetwork::Close).
//
// Trace points (the conductor: the thread that called Solve) pause the
// nodes (each at the top of a round or in its quorum wait), evaluate the
// mean of the live nodes' models and record their coordinate-wise diameter
// (the slides' Delta_cw), the largest distance to the mean, the worst node's
// suboptimality and the rounds skipped. One node with a fixed seed is serial
// mini-batch SGD, bit for bit.
#pragma once

#include <cstdint>

#include "asyncopt/dataset.hpp"
#include "asyncopt/problem.hpp"
#include "asyncopt/solver.hpp"
#include "engine/transport.hpp"

namespace asyncopt::algorithms {

// Node i's mini-batch draws: data::Rng::ForStream(seed, kPeerBatchStream, i);
// a restarted node draws from index n + i.
inline constexpr std::uint64_t kPeerBatchStream = 0x70656572;  // "peer"

// Both solvers (Options::solver says which).
Result RunDecentralized(const Dataset& data, const Problem& problem, const Options& options);

// Under MPI: this process is rank ep.rank() of ep.size(), one cluster of
// the nodes i with i * size / n == rank, on `part` (its rows of a file of
// `total_rows`). Rank 0 conducts (trace points over every node's model,
// the objective summed over the parts, the stop) and returns the run's
// result; the other ranks return their status. Every rank must call it.
Result RunDecentralizedRank(engine::Transport& ep, const Dataset& part, std::int64_t total_rows,
                            const Problem& problem, const Options& options);

// Refuses l1 > 0 (no proximal step), the hinge loss for the linear model,
// data the model cannot fit, a quorum or a cluster count above n, more
// nodes than rows, initial_w of another length than the model's, and
// restart faults without checkpoints.
void CheckDecentralized(const Dataset& data, const Problem& problem, const Options& options);
// The checks that need no data (under MPI, before any rank reads its part).
void CheckDecentralizedOptions(const Problem& problem, const Options& options);

double DecentralizedMemoryBytes(const Dataset& data, const Options& options);

// The slides' constant-step bound eta <= 1 / (2 L d (floor(m/2) + 1)), with
// L the largest row's smoothness constant (for the linear model; NaN for
// the others), d the parameter count and m the nodes.
double SlidesStepBound(const Dataset& data, const Problem& problem, const Options& options);

}  // namespace asyncopt::algorithms
