// SPARS-AMS: compressed worker gradients with error feedback, AMSGrad on
// the server, on the message-passing engine (engine/master_worker.hpp).
//
// Paper 003, "Sparsified Distributed Adaptive Learning with Error
// Feedback", Algorithm 1, on synchronous rounds t = 0, 1, ...:
//
//   server: sends theta_t to the N workers
//   worker i: g = the mini-batch gradient of F on its shard at theta_t
//             (AsyncOptions::batch_size rows drawn with replacement);
//             u = g + e_i; sends C(u) (TopK(u, k) in the paper; any
//             compressor of kernels/compress.hpp); e_i <- u - C(u)
//   server: g_bar = (1/N) sum_i C(u_i); AMSGrad (kernels/amsgrad.hpp):
//             m, v, v_hat = max(v_hat, v), theta_{t+1} = theta_t - eta m /
//             (sqrt(v_hat) + epsilon). The moments exist only on the server.
//
// The model is any of src/models/ (linear, softmax, mlp): theta is its flat
// parameter vector. Baselines in the same engine: the compressor `none` is
// full-precision distributed AMSGrad (the paper's reference);
// ServerUpdate::kSgd with topk and error feedback is distributed SGD with
// memory (Stich, Cordonnier and Jaggi, NeurIPS 2018). The asynchronous
// variant (SparsAmsOptions::asynchronous) steps on each worker's message as
// it arrives, with g_bar = that message; the staleness of a message is the
// number of server steps since the theta it was computed at.
//
// Messages: workers -> server carry the compressed vector (sparse pairs, or
// dense for none and sign) and its coding length (kernels/sparsify.hpp's
// rules, 32-bit values); server -> workers carry theta densely (P 32-bit
// values counted). Bytes on the wire come from the transport.
#pragma once

#include <cstdint>
#include <string>

#include "asyncopt/dataset.hpp"
#include "asyncopt/problem.hpp"
#include "asyncopt/solver.hpp"
#include "engine/transport.hpp"

namespace asyncopt::algorithms {

// The random stream of worker i's mini-batch draws: data::Rng::ForStream(
// seed, kSparsAmsBatchStream, i), batch_size Below(n_i) per round.
inline constexpr std::uint64_t kSparsAmsBatchStream = 0x7370617273;  // "spars"

Result RunSparsAms(const Dataset& data, const Problem& problem, const Options& options);

// Across processes (MPI): rank 0 the server, ranks 1..N the workers, each
// holding its part of the rows (labels mapped alike on every rank: the
// same class ids). `shape` holds the data's rows, columns, label kind and
// class labels (no rows needed). Worker rank r draws its mini-batches as
// worker thread r - 1 of a threaded run, over its part in the order a
// one-worker threaded run takes the whole data: one worker rank gives that
// run's iterates. RunSparsAmsWorker returns when the server says stop;
// throws engine::PeerLost when nobody spoke for twice Options::peer_timeout.
Result RunSparsAmsMaster(engine::Transport& net, const Dataset& shape, const Problem& problem, const Options& options,
                         const std::string& placement);
void RunSparsAmsWorker(engine::Transport& net, const Dataset& part, const Problem& problem, const Options& options,
                       int host_index = 0, int host_workers = 1);

// What spars-ams refuses: l1 > 0 (AMSGrad is not proximal), the hinge loss
// for the linear model (not smooth), data the model cannot fit
// (models::MakeModel), initial_w of another length than the model's
// parameter count, keep above it, more workers than rows, a crash or stall
// of the server (member 0), members that do not exist.
void CheckSparsAms(const Dataset& data, const Problem& problem, const Options& options);

// Bytes a run allocates beyond the data: theta, gradient, residual and
// message per worker; theta and three moments on the server.
double SparsAmsMemoryBytes(const Dataset& data, const Options& options);

// The model's parameter count for these data and options (the length of
// Result::w and of initial_w).
std::int64_t SparsAmsParameters(const Dataset& data, const Problem& problem, const Options& options);

}  // namespace asyncopt::algorithms
