// SPARS-AMS (paper 003, Algorithm 1) on the engine; see spars_ams.hpp.
#include "algorithms/spars_ams.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "algorithms/async_common.hpp"
#include "algorithms/engine_common.hpp"
#include "algorithms/soda.hpp"
#include "asyncopt/error.hpp"
#include "data/random.hpp"
#include "engine/master_worker.hpp"
#include "engine/thread_transport.hpp"
#include "kernels/amsgrad.hpp"
#include "kernels/compress.hpp"
#include "models/model.hpp"
#include "runtime/format.hpp"
#include "runtime/team.hpp"
#include "runtime/tracer.hpp"

namespace asyncopt::algorithms {
namespace {

// The protocol's message kinds on the engine.
//   kGradient (worker -> server): the compressed message, sparse pairs or a
//     dense block; header[0] = the server step (version) of the theta it was
//     computed at, header[1] = its coding length in bits; scalars[0] = the
//     worker's mini-batch objective; header[kRowsSlot] = rows computed.
//   kTheta (server -> worker): theta (P values), header[0] = its version.
enum SparsKind : std::int32_t {
  kGradient = engine::kFirstAlgorithmKind + 16,
  kTheta,
};

// The paper counts 32-bit floats (as sparsify.hpp's coding lengths do).
constexpr std::int64_t kValueBits = 32;

kernels::CompressorConfig CompressorFor(const Options& options) {
  kernels::CompressorConfig c;
  const SparsifyOptions& o = options.sparsify;
  c.sign = o.kind == SparsifierKind::kSign;
  c.sparsifier.kind = c.sign ? kernels::SparsifierKind::kNone
                             : static_cast<kernels::SparsifierKind>(static_cast<int>(o.kind));
  c.sparsifier.rho = o.rho;
  c.sparsifier.gspar_iterations = o.gspar_iterations;
  c.sparsifier.constant_trick = o.constant_trick;
  c.sparsifier.random_table = o.random_table;
  c.sparsifier.qsgd_levels = o.qsgd_levels;
  c.sparsifier.value_bits = static_cast<int>(kValueBits);
  c.k = options.spars.keep;
  c.error_feedback = o.error_feedback;
  return c;
}

double Eta(const Options& options) {
  if (options.step > 0.0) return options.step;
  return options.spars.server_update == ServerUpdate::kAmsGrad ? 1e-3 : 0.1;
}

std::vector<double> StartingTheta(const models::Model& model, const Options& options) {
  if (!options.initial_w.empty()) return options.initial_w;
  std::vector<double> theta(static_cast<std::size_t>(model.NumParameters()));
  model.Initialize(theta, options.seed);
  return theta;
}

// theta from a trace request: dense (P values) or sparse pairs.
void ReadTheta(const engine::Packet& p, std::vector<double>* theta) {
  const std::size_t P = theta->size();
  if (p.sparse() || p.value.empty()) {
    std::fill(theta->begin(), theta->end(), 0.0);
    for (std::size_t k = 0; k < p.index.size(); ++k) {
      const auto j = static_cast<std::size_t>(p.index[k]);
      if (p.index[k] < 0 || j >= P) {
        throw std::runtime_error("a trace point's theta has coordinate " + std::to_string(p.index[k]) +
                                 " outside [0, " + std::to_string(P) + ")");
      }
      (*theta)[j] = p.value[k];
    }
  } else if (p.value.size() == P) {
    theta->assign(p.value.begin(), p.value.end());
  } else {
    throw std::runtime_error("a theta of " + std::to_string(p.value.size()) + " values for " +
                             std::to_string(P) + " parameters");
  }
}

// Worker i: its shard, its copy of theta, its compressor (and residual).
class Worker {
 public:
  Worker(const Dataset& data, std::vector<std::int64_t> rows, const models::Model& model,
         const Options& options, int id, const std::vector<double>& theta0)
      : data_(data),
        rows_(std::move(rows)),
        model_(model),
        batch_(static_cast<std::size_t>(options.async.batch_size)),
        rng_(data::Rng::ForStream(options.seed, kSparsAmsBatchStream, static_cast<std::uint64_t>(id))),
        compressor_(CompressorFor(options), model.NumParameters(), options.seed, static_cast<std::uint64_t>(id)),
        theta_(theta0),
        grad_(theta0.size(), 0.0),
        probe_(theta0.size(), 0.0) {}

  std::int64_t shard_rows() const { return static_cast<std::int64_t>(rows_.size()); }

  double ShardLossSum(const engine::Packet& p) {
    ReadTheta(p, &probe_);
    return model_.LossSum(data_, std::span<const std::int64_t>(rows_), probe_, eval_ws_);
  }

  // Takes the reply's theta (its buffer goes back to the transport with
  // the old theta's memory).
  void Apply(engine::Packet& reply) {
    if (reply.kind != kTheta) return;  // the engine's Go: theta0 is already here
    if (reply.value.size() != theta_.size()) {
      throw std::runtime_error("a theta of " + std::to_string(reply.value.size()) + " values for " +
                               std::to_string(theta_.size()) + " parameters");
    }
    theta_.swap(reply.value);
    // Passing through, the gradient's buffer leaves with each message: the
    // old theta's becomes the next gradient's (fully written by the model),
    // no P-long allocation or zero fill per round.
    if (compressor_.passes_through()) spare_.swap(reply.value);
    version_ = reply.header[0];
  }

  // One round: a mini-batch gradient at theta, compressed.
  std::int64_t Step(std::int64_t /*grant*/, const engine::StepControl& /*control*/, engine::Packet* out) {
    const auto n = static_cast<std::uint64_t>(rows_.size());
    for (std::int64_t& r : batch_) r = rows_[static_cast<std::size_t>(rng_.Below(n))];
    const double loss = model_.LossAndGradient(data_, batch_, theta_, grad_, ws_);
    out->kind = kGradient;
    out->ClearPayload();
    out->header[0] = version_;
    out->scalars[0] = loss;
    // A non-finite gradient (a step too large) goes to the server as it is,
    // which ends the run as diverged; the compressors take finite values only.
    if (compressor_.passes_through()) {
      // No compression: the gradient itself is the message (its buffer
      // swapped into the packet; the next gradient's is the old theta's,
      // see Apply); one read for its coding length. A non-finite value
      // goes with it and the server's step ends the run as diverged.
      out->header[1] = compressor_.PassThroughBits(grad_);
      out->index.clear();
      out->value.swap(grad_);
      grad_.swap(spare_);
      if (grad_.size() != out->value.size()) grad_.resize(out->value.size());
      out->header[2] = 1;
      return static_cast<std::int64_t>(batch_.size());
    }
    if (!std::all_of(grad_.begin(), grad_.end(), [](double v) { return std::isfinite(v); })) {
      out->value.assign(grad_.begin(), grad_.end());
      out->header[2] = 1;
      return static_cast<std::int64_t>(batch_.size());
    }
    compressor_.Compress(grad_, &message_);
    out->header[1] = message_.bits;
    out->header[2] = message_.dense() ? 1 : 0;
    // The message's buffers become the packet's (no copy); the packet's
    // recycled ones are the next message's.
    out->index.swap(message_.index);
    out->value.swap(message_.value);
    return static_cast<std::int64_t>(batch_.size());
  }

 private:
  const Dataset& data_;
  const std::vector<std::int64_t> rows_;
  const models::Model& model_;
  std::vector<std::int64_t> batch_;
  data::Rng rng_;
  kernels::GradientCompressor compressor_;
  kernels::CompressedMessage message_;
  std::vector<double> theta_, grad_, probe_, spare_;
  models::Workspace ws_, eval_ws_;
  std::int64_t version_ = 0;
};

// The server (the engine's master): theta, the AMSGrad moments, the round.
class Server {
 public:
  Server(int workers, std::int64_t rows, const Options& options, std::vector<double> theta0)
      : workers_(workers),
        rows_total_(rows),
        eta_(Eta(options)),
        amsgrad_(options.spars.server_update == ServerUpdate::kAmsGrad),
        async_(options.spars.asynchronous),
        theta_(std::move(theta0)),
        sum_(theta_.size(), 0.0),
        message_(async_ ? theta_.size() : 0, 0.0),
        ams_({options.spars.beta1, options.spars.beta2, options.spars.epsilon}, amsgrad_ ? theta_.size() : 0),
        round_of_(static_cast<std::size_t>(workers), -1) {}

  void Begin(const std::vector<std::int64_t>&) {}

  const std::vector<double>& w() const { return theta_; }
  std::int64_t version() const { return version_; }
  std::int64_t max_staleness() const { return max_staleness_; }

  engine::AbsorbResult Absorb(int worker, const engine::Packet& msg, bool /*stopping*/) {
    const std::size_t P = theta_.size();
    rows_ += msg.header[engine::kRowsSlot];
    ++messages_;
    bits_sent_ += msg.header[1];
    coords_sent_ += msg.sparse() ? static_cast<std::int64_t>(msg.index.size()) : static_cast<std::int64_t>(P);
    const std::int64_t staleness = version_ - msg.header[0];
    max_staleness_ = std::max(max_staleness_, staleness);
    if (msg.sparse() ? msg.index.size() != msg.value.size() : (msg.value.size() != P && !msg.value.empty())) {
      throw std::runtime_error("worker " + std::to_string(worker + 1) + " sent a message of " +
                               std::to_string(msg.value.size()) + " values for " + std::to_string(P) +
                               " parameters");
    }
    loss_sum_ += msg.scalars[0];
    if (workers_ == 1 && !msg.sparse() && msg.value.size() == P) {
      // One worker's dense message makes the step by itself (scale 1, as
      // the sum of one message): no copy into a sum.
      if (!async_) round_of_[0] = version_;
      last_loss_ = msg.scalars[0];
      loss_sum_ = 0.0;
      return Apply(msg.value, 1.0);
    }
    // A round's first message (every message, asynchronously) starts the
    // sum: copied when dense (0 + v is v), onto zeros when sparse.
    std::vector<double>& into = async_ ? message_ : sum_;
    const bool first = async_ || arrived_ == 0;
    if (first && (msg.sparse() || msg.value.empty())) std::fill(into.begin(), into.end(), 0.0);
    if (first && !msg.sparse() && !msg.value.empty()) {
      std::copy(msg.value.begin(), msg.value.end(), into.begin());
    } else if (msg.sparse()) {
      for (std::size_t q = 0; q < msg.index.size(); ++q) {
        const auto j = static_cast<std::size_t>(msg.index[q]);
        if (msg.index[q] < 0 || j >= P) {
          throw std::runtime_error("worker " + std::to_string(worker + 1) + " sent coordinate " +
                                   std::to_string(msg.index[q]) + " outside [0, " + std::to_string(P) + ")");
        }
        into[j] += msg.value[q];
      }
    } else {
      for (std::size_t j = 0; j < msg.value.size(); ++j) into[j] += msg.value[j];
    }
    if (async_) {
      last_loss_ = msg.scalars[0];
      return Apply(message_, 1.0);
    }
    round_of_[static_cast<std::size_t>(worker)] = version_;
    if (++arrived_ < workers_) return {};
    // Every worker's message of this round: their average makes the step.
    arrived_ = 0;
    last_loss_ = loss_sum_ / workers_;
    loss_sum_ = 0.0;
    return Apply(sum_, 1.0 / workers_);
  }

  // Synchronous rounds: a worker's message is answered once its round has
  // been applied (the last message of a round releases all of them).
  bool Ready(int worker) const {
    return async_ || round_of_[static_cast<std::size_t>(worker)] < version_;
  }

  void Reply(int /*worker*/, engine::Packet* out) {
    out->kind = kTheta;
    out->ClearPayload();
    out->value.assign(theta_.begin(), theta_.end());
    out->header[0] = version_;
    ++replies_;
  }

  runtime::Counters counters() const {
    runtime::Counters c;
    c.updates = rows_;
    c.epoch = static_cast<double>(rows_) / static_cast<double>(rows_total_);
    c.exchanges = messages_;
    c.coords_sent = coords_sent_;
    c.bits_sent = bits_sent_;
    c.coords_returned = replies_ * static_cast<std::int64_t>(theta_.size());
    c.bits_returned = c.coords_returned * kValueBits;
    c.max_delay = max_staleness_;
    c.max_staleness = max_staleness_;
    c.batch_loss = last_loss_;
    return c;
  }

 private:
  // theta <- the server's update with g_bar = scale x sum; diverged when
  // theta is no longer finite.
  engine::AbsorbResult Apply(std::span<const double> sum, double scale) {
    engine::AbsorbResult r;
    if (amsgrad_) {
      r.diverged = ams_.Step(theta_, sum, eta_, scale) > 0;
    } else {
      for (std::size_t j = 0; j < theta_.size(); ++j) theta_[j] -= eta_ * (scale * sum[j]);
      r.diverged =
          !Eigen::Map<const Eigen::ArrayXd>(theta_.data(), static_cast<Eigen::Index>(theta_.size())).allFinite();
    }
    ++version_;
    return r;
  }

  const int workers_;
  const std::int64_t rows_total_;
  const double eta_;
  const bool amsgrad_, async_;
  std::vector<double> theta_, sum_, message_;
  kernels::AmsGrad ams_;
  std::vector<std::int64_t> round_of_;  // the version each held message belongs to
  int arrived_ = 0;
  std::int64_t version_ = 0, rows_ = 0, messages_ = 0, replies_ = 0;
  std::int64_t bits_sent_ = 0, coords_sent_ = 0, max_staleness_ = 0;
  double loss_sum_ = 0.0;
  // The last round's mean mini-batch objective (async: the last message's).
  double last_loss_ = std::numeric_limits<double>::quiet_NaN();
};


}  // namespace

std::int64_t SparsAmsParameters(const Dataset& data, const Problem& problem, const Options& options) {
  return models::MakeModel(models::SpecFor(data, problem, options), data)->NumParameters();
}

void CheckSparsAms(const Dataset& data, const Problem& problem, const Options& options) {
  if (problem.l1 > 0.0) {
    throw Error(ErrorKind::kUnsupported, "solver spars-ams: l1 = " + runtime::ShortNumber(problem.l1) +
                                             " is not supported (AMSGrad takes no proximal step); use l2");
  }
  if (options.model_kind == ModelKind::kLinear && problem.loss == Loss::kHinge) {
    throw Error(ErrorKind::kUnsupported,
                "solver spars-ams needs a smooth loss for the linear model (logistic, squared-hinge, squared)");
  }
  const auto model = models::MakeModel(models::SpecFor(data, problem, options), data);
  const std::int64_t P = model->NumParameters();
  if (!options.initial_w.empty() && static_cast<std::int64_t>(options.initial_w.size()) != P) {
    throw Error(ErrorKind::kInvalidOption, "initial_w has " + std::to_string(options.initial_w.size()) +
                                               " entries, the " + std::string(ToString(options.model_kind)) +
                                               " model has " + std::to_string(P) + " parameters");
  }
  if (options.spars.keep > P) {
    throw Error(ErrorKind::kInvalidOption, "spars.keep = " + std::to_string(options.spars.keep) +
                                               ": more coordinates than the model's " + std::to_string(P) +
                                               " parameters");
  }
  if (options.test != nullptr) {
    const Dataset& test = *options.test;
    ValidateDataset(test);
    const bool ids = data.label_kind == LabelKind::kClassIds;
    if (test.label_kind != data.label_kind || (ids && test.class_labels != data.class_labels)) {
      throw Error(ErrorKind::kInvalidInput,
                  "the test data's labels are not the training data's classes (read them with the training "
                  "class_labels as ReadOptions::expected_labels and class_ids)");
    }
  }
  if (options.threads > data.num_rows) {
    throw Error(ErrorKind::kInvalidOption, "threads = " + std::to_string(options.threads) +
                                               ": more workers than the data's " + std::to_string(data.num_rows) +
                                               " rows");
  }
  for (const Fault& f : options.faults) {
    if (f.member == 0 && f.kind == Fault::Kind::kCrash) {
      throw Error(ErrorKind::kInvalidOption, "fault " + ToString(f) + ": the server (member 0) cannot crash");
    }
  }
}

double SparsAmsMemoryBytes(const Dataset& data, const Options& options) {
  const double P = static_cast<double>(data.num_cols) *
                   (options.model_kind == ModelKind::kLinear
                        ? 1.0
                        : std::max(1, data.num_classes()) +
                              (options.model_kind == ModelKind::kMlp ? static_cast<double>(options.hidden) : 0.0));
  const double n = std::max(1, options.threads);
  // Workers: theta, gradient, probe, u, residual, message (index + value),
  // the 0..P-1 index list; server: theta, sum, message, m, v, v_hat, replies.
  return n * 8.5 * 8.0 * P + 8.0 * 8.0 * P + 8.0 * static_cast<double>(data.num_rows);
}

namespace {

// The server's side on any transport: rank 0 of `net`, the workers ranks
// 1..N. `shape` has the data's rows, features and classes (under MPI the
// master holds no rows). `joined` runs after the loop (the threaded run
// joins its team there) and may turn the outcome.
Result RunServerSide(engine::Transport& net, const Dataset& shape, const Problem& problem, const Options& options,
                     const std::function<void(engine::MasterOutcome*)>& joined,
                     const std::function<bool()>& stop_check, const std::string& placement,
                     const runtime::Team* team = nullptr) {
  const auto model = models::MakeModel(models::SpecFor(shape, problem, options), shape);
  const int workers = net.size() - 1;
  runtime::Tracer tracer(shape, problem, options);
  Server server(workers, shape.num_rows, options, StartingTheta(*model, options));
  engine::MasterLoop<Server> loop(net, server, tracer, options, shape.num_rows, shape.num_cols);
  loop.SetRegulariser([&model](std::span<const double> theta) { return model->Regulariser(theta); });
  if (stop_check) loop.SetStopCheck(stop_check);
  loop.SetSchedule([&server](int i) { return server.Ready(i); });
  tracer.SetEvaluator([&loop](std::span<const double> w) { return loop.EvaluateOnWorkers(w); });
  if (options.test != nullptr) {
    tracer.SetTestMetric([&model, &options](std::span<const double> theta) {
      return models::Accuracy(*model, *options.test, theta, options.threads);
    });
  }
  engine::MasterOutcome outcome;
  {
    // With one worker on threads, the server shares its CPU for the rounds
    // only (see RunSparsAms); its own mask is back before anything else.
    std::optional<runtime::Team::ConductorScope> shared_cpu;
    if (team != nullptr) shared_cpu.emplace(*team);
    outcome = HandshakeAndRun(loop, tracer, server.w());
  }
  joined(&outcome);
  if (outcome.worker_error) std::rethrow_exception(outcome.worker_error);
  std::vector<double> final_w = std::move(outcome.final_w);
  if (final_w.empty()) final_w = server.w();
  Result result;
  result.step_used = Eta(options);
  result.max_delay = server.max_staleness();
  result.max_staleness = server.max_staleness();
  result.master_busy = tracer.Seconds() > 0.0 ? std::min(1.0, outcome.busy_seconds / tracer.Seconds())
                                              : std::numeric_limits<double>::quiet_NaN();
  result.message = "spars-ams, " + std::to_string(workers) + (workers == 1 ? " worker" : " workers") + placement +
                   ", " + std::string(ToString(options.model_kind)) + " model (" +
                   std::to_string(model->NumParameters()) + " parameters), " +
                   std::string(ToString(options.sparsify.kind)) +
                   (options.sparsify.error_feedback ? " with error feedback" : "") + ", server " +
                   std::string(ToString(options.spars.server_update)) +
                   (options.spars.asynchronous ? " (asynchronous)" : "") + ", eta " +
                   runtime::ShortNumber(Eta(options)) + ", " + std::to_string(server.version()) + " server steps" +
                   outcome.team_report;
  FinishOutcome(loop, tracer, outcome, server.counters(), final_w, &result);
  return result;
}

}  // namespace

Result RunSparsAms(const Dataset& data, const Problem& problem, const Options& options) {
  CheckSparsAms(data, problem, options);
  const auto model = models::MakeModel(models::SpecFor(data, problem, options), data);
  const int workers = options.threads;
  const std::vector<double> theta0 = StartingTheta(*model, options);
  std::vector<std::unique_ptr<Worker>> state;
  int id = 0;
  for (auto& rows : MakeShards(data.num_rows, workers, options.distributed.shard_skew,
                               options.distributed.shuffle_rows, options.seed)) {
    state.push_back(std::make_unique<Worker>(data, std::move(rows), *model, options, id++, theta0));
  }
  engine::ThreadNetwork net(1 + workers);
  // One worker and its server never compute at once (each waits for the
  // other's message), so with Options::share_server_cpu they share one CPU: every
  // hand-over is then a switch on that CPU, with theta and the gradient in
  // its cache. Across two CPUs each hand-over wakes the other one, which on
  // this project's 2-CPU machine (a VM) cost about 100 us a round: mnist's
  // perceptron, 3750 rounds, 2.73 s across two CPUs against 2.17 s on one;
  // the softmax model 0.78 s against 0.40 s (issue 17's closing note).
  runtime::Team::Config config = TeamConfig(options, workers, /*first_id=*/1);
  config.share_conductor_cpu = options.share_server_cpu;
  runtime::Team team(std::move(config));
  team.Start([&](runtime::Member& member) {
    engine::RunWorker(net.endpoint(member.index() + 1), *state[static_cast<std::size_t>(member.index())], member,
                      options.peer_timeout);
  });
  auto joined = [&team](engine::MasterOutcome* outcome) { JoinTeamInto(team, outcome); };
  try {
    return RunServerSide(net.endpoint(0), data, problem, options, joined, [&team] { return team.failed(); }, "",
                         &team);
  } catch (...) {
    team.StopAndJoinQuietly();
    throw;
  }
}

Result RunSparsAmsMaster(engine::Transport& net, const Dataset& shape, const Problem& problem, const Options& options,
                         const std::string& placement) {
  return RunServerSide(net, shape, problem, options, [](engine::MasterOutcome*) {}, {}, placement);
}

void RunSparsAmsWorker(engine::Transport& net, const Dataset& part, const Problem& problem, const Options& options,
                       int host_index, int host_workers) {
  std::unique_ptr<models::Model> model;
  std::unique_ptr<Worker> worker;
  try {
    model = models::MakeModel(models::SpecFor(part, problem, options), part);
    // The part's rows in the order a one-worker threaded run takes the
    // whole data: one worker rank gives that run's iterates.
    std::vector<std::int64_t> order =
        MakeShards(part.num_rows, 1, 0.0, options.distributed.shuffle_rows, options.seed)[0];
    worker = std::make_unique<Worker>(part, std::move(order), *model, options, net.rank() - 1,
                                      StartingTheta(*model, options));
  } catch (const std::exception& e) {
    engine::SendFailure(net, e);
    throw;
  }
  RunRankMember(net, options, host_index, host_workers, /*pin=*/true, [&](runtime::Member& member) {
    engine::RunWorker(net, *worker, member, options.peer_timeout);
  });
}

}  // namespace asyncopt::algorithms
