// asyncopt: solver options, result, trace and the Solve() entry point.
//
// Error policy (chosen once, for the whole API): invalid options or data throw
// asyncopt::Error (error.hpp). Everything that happens during a run, including
// divergence and interruption, is reported in Result::status; Result::w is
// only filled with finite weights (IsSolutionUsable()).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "asyncopt/dataset.hpp"
#include "asyncopt/problem.hpp"

namespace asyncopt {

enum class SolverKind {
  kReference,  // high-accuracy (prox) Newton / dual CD, see optimum.hpp
  kHogwild,    // asynchronous SGD, lock-free shared model (Niu et al. 2011)
  kSvrg,       // asynchronous sparse proximal SVRG (ProxASAGA-style reweighting)
  kSoda,       // master/worker proximal gradient with sparsity masks (Grishchenko et al.)
  kDavePg,     // the same engine with p = 1: DAve-PG (Mishchenko et al. 2018)
  kDisSvrg,    // SVRG trainers and servers under stale-synchronous parallelism (Ming et al.)
  kPetuumSgd,  // the same system with plain SGD trainers: PetuumSGD's baseline
  kSparsAms,   // compressed worker gradients with error feedback, AMSGrad on the server
               // (SPARS-AMS, paper 003, Algorithm 1), on synchronous rounds
  kDecentralized,  // peers that wait for a quorum of round-t models, average them and
                   // agree approximately in clusters (Attiya & Schiller, paper 001)
  kGossip,     // the same peers averaging with one random peer per round, never waiting
};

// The model a solver trains. hogwild, svrg, soda, dissvrg and the reference
// train the linear one through their own sparse kernels; spars-ams trains
// any of them through the model interface (src/models/model.hpp).
enum class ModelKind {
  kLinear,   // w . x with Problem::loss: -1/+1 classes or real targets; w in R^d
  kSoftmax,  // K-class multinomial logistic regression on class ids; W in R^{d x K}
  kMlp,      // one hidden ReLU layer of Options::hidden units and a softmax output
};

// How worker threads write the shared model (see src/kernels/shared_vector.hpp).
enum class WritePolicy {
  kWild,    // relaxed load + relaxed store: Hogwild's lost updates allowed
  kAtomic,  // lock-free add by compare-and-swap; failed CASes count as conflicts
  kLocked,  // reader-writer stripe locks: the row's stripes shared while its margin is
            // read, the written coordinates' stripes exclusive while they are written
};

// Gradient sparsifiers of Wangni et al. (NeurIPS 2018) and their baselines.
enum class SparsifierKind {
  kNone,
  kUniform,     // UniSp: every coordinate kept with probability rho
  kGSpar,       // greedy Algorithm 3
  kGSparExact,  // closed-form Algorithm 2 (linear-time selection)
  kTopK,        // biased: the ceil(rho n) largest, optional error feedback
  kQsgd,        // QSGD stochastic quantisation with s levels
  kSign,        // scaled sign (||g||_1 / n) sign(g) (Karimireddy et al. 2019); spars-ams only
};

struct SparsifyOptions {
  SparsifierKind kind = SparsifierKind::kNone;
  double rho = 0.1;            // target kept fraction, in (0, 1]
  int gspar_iterations = 2;    // Algorithm 3 iterations, in [1, 1000] (paper: 2)
  bool constant_trick = true;  // send sign(g)/lambda for unsaturated coordinates (no division)
  bool random_table = true;    // read uniforms from a precomputed cyclic table
  bool error_feedback = false; // topk: keep the unsent residual per worker
  int qsgd_levels = 4;         // qsgd: s, in [1, 2^30]
};

// Upper bounds of AsyncOptions::lock_stripe, ::conflict_sample, ::batch_size
// and Options::threads.
inline constexpr int kMaxLockStripe = 1 << 20;
inline constexpr int kMaxConflictSample = 1 << 20;
inline constexpr int kMaxBatchSize = 4096;
// Threads a run may ask for: far above any core count this library is for
// (oversubscribed runs are legitimate experiments), far below what makes
// thread creation itself the bottleneck. soda and dave-pg add a master.
inline constexpr int kMaxThreads = 1024;

// Options of the asynchronous solvers (hogwild, svrg).
struct AsyncOptions {
  WritePolicy write = WritePolicy::kWild;
  int batch_size = 1;            // rows per stochastic gradient (hogwild), in [1, kMaxBatchSize]
  int lock_stripe = 1;           // kLocked: coordinates per lock, a power of two (1 = one per coordinate)
  // hogwild: step *= step_decay after every epoch, in [0, 1]. 0 (the
  // default) = a decay that takes the step 1000x down over max_epochs,
  // 0.001^(1 / max_epochs) per epoch: a constant step (1) stops at a noise
  // floor (rcv1-vw-small, l2 1e-4, 3000 epochs: 5.3e-3 constant, 2.4e-6 with
  // it; docs/solvers.md).
  double step_decay = 0.0;
  bool with_replacement = false; // sample rows with replacement instead of per-epoch permutations
  double svrg_inner_epochs = 1.0;  // svrg: inner-loop length in epochs, in (0, 1e6]
  // hogwild, kWild, one row per update: look for conflicts on one update in
  // N and count each one found N times, so `conflicts` is an estimate (1 =
  // every update, exact). The look keeps each value the margin read and
  // compares it with the value it overwrites; on every update it cost about
  // 7% of 2-thread throughput. The update itself is the same either way.
  // (Mini-batches and svrg do not count kWild conflicts.)
  int conflict_sample = 16;      // in [1, kMaxConflictSample]
};

// Options of the master/worker solvers (soda, dave-pg): M = Options::threads
// workers, each owning a shard of the rows, plus one master thread.
struct DistributedOptions {
  double mask_p = 0.1;     // soda: probability that a zero coordinate joins the mask, (0, 1]
  int local_steps = 1;     // K proximal-gradient steps per exchange (DAve-RPG), >= 1
  double shard_skew = 0.0;   // 0 = balanced shards; > 0 (finite): sizes as (1 + skew)^-i
  bool shuffle_rows = true;  // assign rows to shards through a seeded permutation
  int max_restarts = 5;      // restarts from the last good point before diverged, in [0, 1e6]
};

// How a dissvrg trainer sizes its inner steps.
enum class StepRule {
  kConstant,     // eta = Options::step
  kAccelerated,  // eta = eta0 + ||grad f_i(w)||, capped (Ming et al., Section 5.1)
};

// petuum-sgd's step schedule over a trainer's epochs e = 0, 1, ...
enum class PetuumSchedule {
  kDecay,  // eta0 * 0.95^e (the authors' code)
  kSqrt,   // eta0 / sqrt(e + 1) (the paper's text: eta / sqrt(T))
};

// How a server folds a trainer's pushed model into w (both of the authors').
enum class Aggregation {
  kDelta,    // w += (w_trainer - w_pulled) / T
  kAverage,  // w = the mean of every trainer's latest pushed model
};

// How the spars-ams server turns the round's averaged message into a step.
enum class ServerUpdate {
  kAmsGrad,  // AMSGrad moments on the server (paper 003, Algorithm 1)
  kSgd,      // theta -= eta x message: distributed SGD with the same compressor (with
             // topk and error feedback: Stich, Cordonnier and Jaggi 2018)
};

// Options of spars-ams (N = Options::threads workers, each owning a shard
// of the rows; one server). The compressor is Options::sparsify (kind, rho,
// error_feedback, qsgd_levels) plus `keep`; the mini-batch is
// AsyncOptions::batch_size rows per worker per round; eta is Options::step
// (0: 1e-3 for amsgrad, 0.1 for sgd).
struct SparsAmsOptions {
  double beta1 = 0.9;     // AMSGrad's first-moment decay, in [0, 1)
  double beta2 = 0.999;   // second-moment decay, in [0, 1)
  double epsilon = 1e-8;  // added to sqrt(v_hat), > 0
  // k as a count: a message keeps `keep` coordinates (rho = keep / P);
  // 0 = Options::sparsify.rho as the fraction. In [0, 2^31 - 1], at most P.
  int keep = 0;
  ServerUpdate server_update = ServerUpdate::kAmsGrad;
  // false: synchronous rounds (the server waits for all N messages, averages
  // them, steps, and answers everyone); true: the server steps on each
  // message as it arrives (staleness counted in server steps).
  bool asynchronous = false;
};

// Options of the decentralized solver (paper 001, Attiya and Schiller, the
// "Distributed SGD Algorithm" in the cluster-based model) and of its gossip
// baseline. n = Options::threads nodes, each with its own model and shard;
// round t at a node: y = x - eta_t g (a mini-batch of AsyncOptions::
// batch_size rows), <t, y> to every node, wait for round-t models from a
// quorum, average them, then x = the approximate agreement of the averages
// inside the node's cluster (MidExtremes on shared registers for
// agreement_rounds rounds); a node that holds a quorum of round t' > t
// skips to t'. eta_t = step / (1 + t)^step_power. The nodes' threads (the
// solver's own, ended with the run) run under SCHED_BATCH on Linux: a node
// woken by a message does not preempt a computing one (the result message
// says so if the system refuses it).
struct DecentralizedOptions {
  // C clusters of consecutive nodes (node i in cluster i * C / n); 0 = one
  // node per cluster (no shared registers). In [0, n].
  int clusters = 0;
  // Round-t models a node waits for, itself included: 0 = a majority
  // (floor(n/2) + 1), -1 = all n, otherwise that many (in [1, n]).
  int quorum = 0;
  int agreement_rounds = 2;  // R: MidExtremes rounds per agreement, in [0, 1000]
  // A node that cannot form a quorum for this long (solver clock: trace
  // pauses excluded) ends the run with Status::kNoQuorum. In (0, 1e9].
  double quorum_timeout = 10.0;
  double step_power = 0.0;  // alpha of eta_t = eta0 / (1 + t)^alpha, in [0, 10]
  // A node writes its round and model to a checkpoint file every this many
  // rounds (0 = never); a node restarted by a `restart` fault reads it back.
  int checkpoint_every = 0;
  // Where checkpoint files go ("" = a fresh directory under the system's
  // temporary directory, removed at the end of the run).
  std::string checkpoint_dir;
};

// Options of the stale-synchronous parameter-server solvers (dissvrg,
// petuum-sgd): T = Options::threads trainers, each owning a shard of the
// rows, and `servers` servers, each owning a contiguous block of w.
struct SspOptions {
  int servers = 1;           // S, in [1, kMaxThreads]
  // tau: a pull from a trainer that has finished e epochs is served once
  // every trainer has finished e - tau. An integer >= 0; 0 = bulk
  // synchronous; inf = fully asynchronous.
  double staleness = 4.0;
  int inner_steps = 0;       // m: updates per trainer epoch; 0 = the trainer's shard rows
  bool adaptive_m = false;   // grow a trainer's m when another is > tau/2 epochs behind
  int m_delta = 0;           // adaptive m: 0 = m <- ceil(1.05 m); > 0: m <- m + m_delta
  StepRule step_rule = StepRule::kConstant;
  PetuumSchedule petuum_schedule = PetuumSchedule::kDecay;
  Aggregation aggregate = Aggregation::kDelta;
};

// An injected fault, for experiments with stragglers and tests of the
// failure paths. Members of a run are numbered as MPI ranks are: for soda and
// dave-pg, 0 is the master and 1..M the workers; for hogwild and svrg, 0 ..
// threads - 1 the workers. A member's steps are its units of work: an update
// (one row or mini-batch) for hogwild and svrg, looked at between chunks of
// at most 512 rows; an exchange for a soda/dave-pg worker; a batch of
// messages for the master.
struct Fault {
  enum class Kind {
    kSlow,   // after its units of work, sleep (factor - 1) x their busy time (decentralized, gossip: once >= 1 ms)
    kStall,  // at step at_step, sleep `seconds` once
    kCrash,  // at step at_step, stop taking part (as a dead process would)
    // decentralized and gossip only:
    kCrashSending,  // at step at_step, send to only the first half of the peers, then crash
    kRestart,       // at step at_step, crash; `seconds` later come back from the checkpoint
  };
  Kind kind = Kind::kSlow;
  int member = 0;
  double factor = 1.0;       // kSlow: in [1, kMaxFaultFactor]
  std::int64_t at_step = 0;  // kStall, kCrash: >= 0
  double seconds = 0.0;      // kStall, kRestart: in [0, kMaxStallSeconds]
};
inline constexpr double kMaxFaultFactor = 1e9;
inline constexpr double kMaxStallSeconds = 86400.0;

// "slow:M:F", "stall:M@STEP:SECONDS", "crash:M@STEP", "crash-sending:M@STEP",
// "restart:M@STEP:SECONDS" (e.g. "slow:2:4", "stall:1@50:2.0", "crash:3@100"). False and a message naming the part at
// fault for anything else; *out is untouched then.
bool ParseFault(std::string_view text, Fault* out, std::string* error);
std::string ToString(const Fault& fault);

// What Options::on_trace tells the run (Ceres' CallbackReturnType is the
// model): go on, or end now with status kInterrupted and usable weights.
enum class TraceReply { kContinue, kStop };

enum class Status {
  kConverged,      // the solver's own optimality test passed
  kTargetReached,  // suboptimality <= Options::target_subopt
  kMaxEpochs,
  kTimeLimit,
  kDiverged,       // NaN/Inf or exploding objective; w holds the last finite iterate
  kInterrupted,    // Options::stop was set (Ctrl-C in the CLI), or on_trace said stop
  kPeerLost,       // a member (thread, or rank under MPI) was silent past peer_timeout;
                   // w holds the point the run had reached, message names the member
  kNoQuorum,       // decentralized: a node could not gather a quorum of round-t models
                   // within quorum_timeout; message names the round and the missing nodes
};

// One enum <-> string table serves CLI, config files and reports.
std::string_view ToString(SolverKind v);
std::string_view ToString(Loss v);
std::string_view ToString(Status v);
std::string_view ToString(WritePolicy v);
std::string_view ToString(SparsifierKind v);
std::string_view ToString(Fault::Kind v);
std::string_view ToString(StepRule v);
std::string_view ToString(PetuumSchedule v);
std::string_view ToString(Aggregation v);
std::string_view ToString(ModelKind v);
std::string_view ToString(ServerUpdate v);
// Return false (and leave *out untouched) for an unknown name.
bool Parse(std::string_view s, SolverKind* out);
bool Parse(std::string_view s, Loss* out);
bool Parse(std::string_view s, Status* out);
bool Parse(std::string_view s, WritePolicy* out);
bool Parse(std::string_view s, SparsifierKind* out);
bool Parse(std::string_view s, StepRule* out);
bool Parse(std::string_view s, PetuumSchedule* out);
bool Parse(std::string_view s, Aggregation* out);
bool Parse(std::string_view s, ModelKind* out);
bool Parse(std::string_view s, ServerUpdate* out);
std::vector<std::string> AllNames(SolverKind);  // tag-dispatched listing
std::vector<std::string> AllNames(Loss);
std::vector<std::string> AllNames(WritePolicy);
std::vector<std::string> AllNames(SparsifierKind);
std::vector<std::string> AllNames(StepRule);
std::vector<std::string> AllNames(PetuumSchedule);
std::vector<std::string> AllNames(Aggregation);
std::vector<std::string> AllNames(ModelKind);
std::vector<std::string> AllNames(ServerUpdate);

// One row of the trace CSV. Fields a solver does not produce stay 0;
// suboptimality is NaN (an empty CSV field) when f* is unknown.
struct TracePoint {
  double seconds = 0.0;      // solver clock: excludes objective evaluation
  double epoch = 0.0;        // passes over the data (fractional)
  std::int64_t updates = 0;  // rows whose gradient was computed so far
  double objective = 0.0;
  double suboptimality = std::numeric_limits<double>::quiet_NaN();  // (F - f*) / |f*|; NaN when f* is unknown
  std::int64_t nnz_w = 0;
  std::int64_t exchanges = 0;
  std::int64_t coords_sent = 0;
  std::int64_t bits_sent = 0;
  std::int64_t conflicts = 0;
  std::int64_t coords_returned = 0;  // master -> workers (soda, dave-pg)
  std::int64_t bits_returned = 0;
  std::int64_t max_delay = 0;  // soda, dave-pg: largest delay so far
  double master_busy = 0.0;    // soda, dave-pg: master's busy fraction of solver time so far
  // soda, dave-pg: bytes on the wire, counted by the transport (threads or
  // MPI alike): workers -> master, master -> workers (the protocol's
  // messages; not the engine's start, stop and trace messages).
  std::int64_t bytes_sent = 0;
  std::int64_t bytes_returned = 0;
  // dissvrg, petuum-sgd: the largest staleness a served pull had so far
  // (never above tau), and the trainers' summed waiting time as a fraction
  // of T x solver time.
  std::int64_t max_staleness = 0;
  double wait_fraction = 0.0;
  // spars-ams: the mean mini-batch objective of the workers' last round
  // (train loss per round), and the accuracy on Options::test; NaN otherwise.
  double batch_loss = std::numeric_limits<double>::quiet_NaN();
  double test_accuracy = std::numeric_limits<double>::quiet_NaN();
  // decentralized, gossip: over the live nodes' models (w is their mean):
  // the coordinate-wise diameter (the slides' Delta_cw), the largest
  // Euclidean distance of a node's model to the mean, the largest
  // suboptimality of a node's model, and the rounds skipped so far (all
  // nodes); NaN / 0 otherwise.
  double diameter = std::numeric_limits<double>::quiet_NaN();
  double max_distance = std::numeric_limits<double>::quiet_NaN();
  double worst_suboptimality = std::numeric_limits<double>::quiet_NaN();
  std::int64_t rounds_skipped = 0;
};

struct Options {
  SolverKind solver = SolverKind::kReference;
  // Worker threads, in [0, kMaxThreads]; 0 = what the enclosing oneTBB arena
  // allows (tbb::this_task_arena::max_concurrency()): a host that calls
  // Solve inside a tbb::task_arena(k) gets at most k busy threads.
  int threads = 1;
  std::uint64_t seed = 1;
  double step = 0.0;           // > 0, or 0 = solver's default rule
  int max_epochs = 100;        // >= 1
  double max_seconds = std::numeric_limits<double>::infinity();  // > 0 (inf = no limit)
  double target_subopt = 0.0;  // stop when (F - f*)/f* <= this (finite, >= 0); 0 = off
  double f_star = std::numeric_limits<double>::quiet_NaN();  // known optimum
  double trace_every_epochs = 1.0;  // trace spacing, finite > 0 (solvers may trace more often)
  AsyncOptions async;
  SparsifyOptions sparsify;
  DistributedOptions distributed;
  SspOptions ssp;
  SparsAmsOptions spars;
  DecentralizedOptions decentralized;
  // The model spars-ams trains (the other solvers train the linear one):
  // linear (Problem::loss), softmax or mlp on class ids (read with
  // ReadOptions::class_ids). initial_w then has the model's parameter count.
  ModelKind model_kind = ModelKind::kLinear;
  int hidden = 100;  // mlp: hidden units H, in [1, 2^20]
  // spars-ams: held-out rows (preprocessed as the training data; class ids
  // of the training classes, or -1/+1 classes) whose accuracy every trace
  // point records (TracePoint::test_accuracy), off the clock. Must outlive
  // the run; may be null.
  const Dataset* test = nullptr;
  // A known minimiser (optional, size num_cols). Its support defines the
  // identification epoch reported by soda and dave-pg.
  std::vector<double> reference_w;
  // Warm start (optional, size num_cols, finite): every solver starts from
  // this point instead of w = 0, and the trace's first point (epoch 0) is
  // F(initial_w). Resume a stopped run from its Result::w, follow a
  // regularisation path, or retrain on new data. Epoch counts and step
  // schedules (hogwild's --step-decay) start over. soda and dave-pg start
  // every worker's local iterate at the point whose prox is initial_w.
  std::vector<double> initial_w;
  // Pin worker k to the k-th CPU the calling thread may use while the run
  // lasts, when there are at least as many such CPUs not pinned by another
  // run of this process (else nothing is pinned, and Result::message says
  // so). The calling thread itself is never pinned. Off by default: a
  // library must not place its caller's threads unasked; the CLI turns it on
  // (--pin-workers), where it measurably helps (README, "Pinning").
  bool pin_workers = false;
  // spars-ams with one worker on threads: the worker and the server share
  // one CPU for the rounds. The server runs on the calling thread, which is
  // then pinned too, from the first round to the last (its own mask is
  // restored after; anything it starts meanwhile, e.g. a thread started in
  // on_trace, inherits the one-CPU mask). The two never compute at once,
  // and a hand-over across two CPUs wakes the other CPU: about 100 us a
  // round on a 2-CPU VM (issue 17). Off by default: a library must not pin
  // its caller's thread unasked; the CLI turns it on (--share-server-cpu).
  bool share_server_cpu = false;
  // Injected faults (see Fault); at most one of each kind per member.
  std::vector<Fault> faults;
  // A member silent for this long (no message, no progress) ends the run
  // with status kPeerLost naming it, on every surviving member. In (0, 1e9].
  double peer_timeout = 60.0;
  const std::atomic<bool>* stop = nullptr;  // external stop request (Ctrl-C)
  // Called on the thread that called Solve, off the solver clock, for every
  // trace point as it is produced (the workers are paused meanwhile); may be
  // empty. Returning TraceReply::kStop ends the run with status kInterrupted
  // and the weights of that point.
  std::function<TraceReply(const TracePoint&)> on_trace;

  // The one validation point: false and a message naming the field, value and
  // allowed range ("async.batch_size = 0: must be an integer in [1, 4096]").
  // Every range above is written once, in the library's option table, which
  // also drives the CLI's flags and messages.
  bool IsValid(std::string* error) const;
};

// One trainer of a parameter-server run (dissvrg, petuum-sgd).
struct MemberStats {
  int member = 0;               // its fault-plan number (rank under MPI)
  std::int64_t epochs = 0;      // pushes that carried a model
  std::int64_t pushes = 0;      // all its pushes (dissvrg: the first carries only its gradient)
  std::int64_t pulls = 0;       // models the master sent it
  double wait_seconds = 0.0;    // time its pulls were held by the staleness rule
  double wait_fraction = 0.0;   // of the solver time
  std::int64_t inner_steps = 0; // its m at the end
  std::int64_t rounds = 0;          // decentralized, gossip: rounds the node finished
  std::int64_t rounds_skipped = 0;  // and the rounds it skipped
};

// A trainer's state at a trace point: m over time (adaptive m).
struct MemberSample {
  double seconds = 0.0;  // solver clock
  int member = 0;
  std::int64_t epochs = 0;
  std::int64_t inner_steps = 0;
  double wait_seconds = 0.0;
};

struct Result {
  Status status = Status::kMaxEpochs;
  std::string message;
  // Set when the run ended on its epoch or time limit while its
  // suboptimality had stopped falling (less than 2x over the second half of
  // the run; only when f* is known): what was seen and the option that
  // would help. Also appended to `message`. Empty otherwise.
  std::string advice;
  std::vector<double> w;  // finite final weights (empty if none usable)
  // F(w); NaN when it could not be evaluated (status peer_lost before the
  // first trace point: a lost worker took its shard's loss with it).
  double objective = std::numeric_limits<double>::quiet_NaN();
  double f_star = std::numeric_limits<double>::quiet_NaN();
  double suboptimality = std::numeric_limits<double>::quiet_NaN();
  double epochs = 0.0;
  double seconds = 0.0;  // solver clock (objective evaluation excluded)
  std::int64_t updates = 0;
  std::int64_t nnz_w = 0;
  std::int64_t exchanges = 0;
  std::int64_t coords_sent = 0;
  std::int64_t bits_sent = 0;
  std::int64_t conflicts = 0;
  // Master/worker solvers (soda, dave-pg); NaN or 0 for the others.
  std::int64_t coords_returned = 0;  // coordinates sent master -> workers
  std::int64_t bits_returned = 0;
  // Bytes on the wire, counted by the transport: workers -> master and back
  // (the protocol's messages; see TracePoint).
  std::int64_t bytes_sent = 0;
  std::int64_t bytes_returned = 0;
  // Coordinates in the workers' masks, summed over exchanges (the paper's
  // message size |M_p|; coords_sent counts only the nonzero deltas of it).
  std::int64_t mask_coords = 0;
  std::int64_t max_delay = 0;        // master updates between a worker's copy and its reply
  std::int64_t dropped_messages = 0; // messages discarded by a restart (computed on a reset point)
  double master_busy = std::numeric_limits<double>::quiet_NaN();  // fraction of wall time
  double step_used = std::numeric_limits<double>::quiet_NaN();
  int restarts = 0;
  // Epoch after which supp(w) equals supp(reference_w) and stays so (NaN if
  // never, or no reference_w).
  double identification_epoch = std::numeric_limits<double>::quiet_NaN();
  int threads_used = 0;
  // Parameter-server solvers (dissvrg, petuum-sgd); empty or NaN otherwise.
  std::int64_t max_staleness = 0;
  double wait_fraction = std::numeric_limits<double>::quiet_NaN();
  std::vector<std::int64_t> staleness_histogram;  // [s]: pulls served at staleness s
  // decentralized, gossip: the final coordinate-wise diameter of the live
  // nodes' models (NaN otherwise) and the rounds the nodes skipped.
  double diameter = std::numeric_limits<double>::quiet_NaN();
  std::int64_t rounds_skipped = 0;
  std::vector<MemberStats> members;
  std::vector<MemberSample> member_trace;
  std::vector<TracePoint> trace;

  bool IsSolutionUsable() const { return !w.empty(); }
  std::string BriefReport() const;
};

// The threads a run with Options::threads = 0 gets: what the calling
// thread's oneTBB arena allows (all hardware threads outside any arena),
// at most kMaxThreads.
int DefaultThreads();

// Minimises problem F on data with the chosen solver. Throws Error on invalid
// options or data, and Error(kResource) when the machine cannot provide the
// threads or the memory the run needs; everything else ends in
// Result::status.
Result Solve(const Dataset& data, const Problem& problem, const Options& options);

// Everything Solve checks before it starts, without running: the options,
// the data (ValidateDataset, at least one row and one feature), the sizes of
// initial_w and reference_w, what the chosen solver supports, and the
// memory the run will take. Throws the Error Solve would throw, so a caller
// can refuse a run before costly preparation (an f* computation, say). Only
// a thread the system refuses is found by Solve alone.
void CheckSolve(const Dataset& data, const Problem& problem, const Options& options);

}  // namespace asyncopt
