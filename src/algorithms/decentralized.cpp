// Decentralized SGD with a quorum, cluster agreement and skipping, and the
// gossip baseline (paper 001); see decentralized.hpp.
#include "algorithms/decentralized.hpp"

#include <stdlib.h>  // mkdtemp

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <fstream>
#include <limits>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "algorithms/async_common.hpp"
#include "algorithms/soda.hpp"
#include "asyncopt/error.hpp"
#include "data/random.hpp"
#include "engine/thread_transport.hpp"
#include "kernels/agreement.hpp"
#include "models/model.hpp"
#include "runtime/format.hpp"
#include "runtime/team.hpp"
#include "runtime/tracer.hpp"

namespace asyncopt::algorithms {
namespace {

using Clock = std::chrono::steady_clock;

// <t, y>: header[0] = t, header[1] = the node whose model it is, value = y
// (dense, the model's parameters); under MPI header[2..3] = the first and
// last node it is for on the receiving rank.
constexpr std::int32_t kModelKind = engine::kFirstAlgorithmKind + 32;

// The conductors' messages under MPI (rank 0 conducts, the others answer).
enum ControlKind : std::int32_t {
  kProgress = engine::kFirstAlgorithmKind + 40,  // r -> 0: header[0] = rows computed on r
  kNoQuorumNote,  // r -> 0: value = the message's characters
  kRankFailed,    // r -> 0: value = the error's characters
  kTraceAsk,      // 0 -> r: header[0] = seq
  kTraceModel,    // r -> 0: header[0] = seq, header[1] = node, value = its x (live nodes)
  kTraceEnd,      // r -> 0: header[0] = seq, header[1] = models sent, header[2] = rounds, header[3] = skipped
  kEvalAsk,       // 0 -> r: header[0] = seq, value = w
  kEvalReply,     // r -> 0: header[0] = seq, scalars[0] = the part's loss sum at w
  kStopAll,       // 0 -> r: the run ends
  kFinalModel,    // r -> 0: header[1] = node, value = its final x (live nodes)
  kFinalEnd,      // r -> 0: header[1] = models sent, value = per node: id, rounds, skipped, wait s, restarts, gone
};

engine::Packet TextPacket(std::int32_t kind, const std::string& text) {
  engine::Packet p;
  p.kind = kind;
  p.value.assign(text.begin(), text.end());  // one char per double: small, rare
  return p;
}
std::string TextOf(const engine::Packet& p) {
  std::string text;
  for (const double c : p.value) text.push_back(static_cast<char>(c));
  return text;
}

bool IsGossip(const Options& options) { return options.solver == SolverKind::kGossip; }

// A slow node sleeps its debt in sleeps of at least this (Team::Config::
// slow_sleep_quantum): a round can take microseconds.
constexpr double kSlowQuantumSeconds = 1e-3;

int Nodes(const Options& options) { return options.threads; }

int QuorumOf(const Options& options) {
  const int n = Nodes(options), q = options.decentralized.quorum;
  if (IsGossip(options)) return 1;
  if (q == 0) return n / 2 + 1;
  if (q < 0) return n;
  return q;
}

int ClustersOf(const Options& options) {
  const int c = options.decentralized.clusters;
  return c == 0 || IsGossip(options) ? Nodes(options) : c;
}

double Eta0(const Dataset& data, const Problem& problem, const Options& options) {
  if (options.step > 0.0) return options.step;
  if (options.model_kind != ModelKind::kLinear) return 0.05;
  // 1 / L of the largest row (the loss's curvature bound times ||x_i||^2, plus l2).
  const DataGeometry geometry(data);
  return 1.0 / (CurvatureBound(problem.loss) * geometry.max_row_sq_norm + problem.l2);
}

std::vector<double> StartingTheta(const models::Model& model, const Options& options) {
  if (!options.initial_w.empty()) return options.initial_w;
  std::vector<double> theta(static_cast<std::size_t>(model.NumParameters()));
  model.Initialize(theta, options.seed);
  return theta;
}

const Fault* FaultOf(const Options& options, int node, Fault::Kind kind) {
  for (const Fault& f : options.faults) {
    if (f.member == node && f.kind == kind) return &f;
  }
  return nullptr;
}

// "1, 3-5, 7" for ascending ids.
std::string IdList(const std::vector<int>& ids) {
  std::string out;
  for (std::size_t i = 0; i < ids.size();) {
    std::size_t j = i;
    while (j + 1 < ids.size() && ids[j + 1] == ids[j] + 1) ++j;
    if (!out.empty()) out += ", ";
    out += std::to_string(ids[i]);
    if (j > i) out += (j == i + 1 ? ", " : "-") + std::to_string(ids[j]);
    i = j + 1;
  }
  return out;
}

// A node's checkpoint: "asyncopt-checkpoint 1", its next round, the
// parameter count, then the parameters ("%.17g", one per line). Written to
// a temporary name and renamed, so a reader sees the old file or the new.
void WriteCheckpoint(const std::filesystem::path& path, std::int64_t round, const std::vector<double>& x) {
  const std::filesystem::path tmp = path.string() + ".tmp";
  {
    std::FILE* f = std::fopen(tmp.c_str(), "w");
    if (f == nullptr) throw Error(ErrorKind::kIo, "cannot write the checkpoint " + tmp.string());
    std::fprintf(f, "asyncopt-checkpoint 1\n%lld\n%zu\n", static_cast<long long>(round), x.size());
    for (const double v : x) std::fprintf(f, "%.17g\n", v);
    const bool ok = std::ferror(f) == 0;
    if (std::fclose(f) != 0 || !ok) throw Error(ErrorKind::kIo, "cannot write the checkpoint " + tmp.string());
  }
  std::filesystem::rename(tmp, path);
}

// nullopt when there is no checkpoint yet; throws on a damaged one.
std::optional<std::int64_t> ReadCheckpoint(const std::filesystem::path& path, std::vector<double>* x) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::string magic;
  int version = 0;
  long long round = -1;
  std::size_t size = 0;
  in >> magic >> version >> round >> size;
  if (!in || magic != "asyncopt-checkpoint" || version != 1 || round < 0 || size != x->size()) {
    throw Error(ErrorKind::kInvalidInput, path.string() + ": not a version-1 checkpoint of " +
                                              std::to_string(x->size()) + " parameters");
  }
  for (double& v : *x) {
    if (!(in >> v) || !std::isfinite(v)) {
      throw Error(ErrorKind::kInvalidInput, path.string() + ": a parameter is missing or not finite");
    }
  }
  return round;
}

// One node: its shard and stream, its model, what it has heard.
struct Node {
  int id = 0;
  int cluster = 0;
  int slot = 0;  // its register in the cluster
  data::Rng rng = data::Rng::ForStream(0, 0, 0);  // set from the seed at the start
  std::vector<double> x, y, g;
  models::Workspace ws;
  kernels::AgreementScratch scratch;
  std::vector<std::int64_t> batch;
  // round -> sender -> model (rounds below `round` are dropped).
  std::map<std::int64_t, std::map<int, std::vector<double>>> inbox;
  // The models of the last round it averaged, relayed to a node found
  // stuck behind it (see Drain), the round each node was last sent them
  // for, and the past round each node last sent a model of.
  std::map<int, std::vector<double>> last_set;
  std::int64_t last_set_round = -1;
  std::vector<std::int64_t> relayed;
  std::vector<std::int64_t> stale_round;
  std::vector<engine::Packet> arrived;
  // Written by the node, read by the conductor while the node is parked or
  // after it left (the team's pause orders them).
  std::int64_t round = 0;
  std::int64_t rounds_done = 0;
  std::int64_t rounds_skipped = 0;
  double wait_seconds = 0.0;
  double batch_loss = std::numeric_limits<double>::quiet_NaN();
  std::int64_t restarts = 0;
  // Read by the conductor at any time.
  std::atomic<bool> gone{false};
  std::atomic<std::int64_t> bytes_sent{0};
  std::atomic<std::int64_t> messages_sent{0};
};

// Where a node's messages go and come from. Delivered packets carry
// header[0] = the round, header[1] = the sending node.
class PeerNet {
 public:
  virtual ~PeerNet() = default;
  // y of round t, node `origin`'s model, sent by node `via` (its own, or a
  // relay) to `targets` (ascending node ids). Returns the bytes this put on
  // the wire (or into local inboxes).
  virtual std::int64_t Send(int origin, int via, std::int64_t t, std::span<const double> y,
                            std::span<const int> targets) = 0;
  // Appends the packets node `me` has received; when there are fewer than
  // `want` (>= 1), waits for them until `deadline` (a past deadline: no
  // wait). A net may return at the first packet (MPI ranks do).
  virtual void Receive(int me, std::vector<engine::Packet>* out, Clock::time_point deadline,
                       std::size_t want) = 0;
  // A closed node is a dead process: its inbox drops what arrives.
  virtual void Close(int me) = 0;
  virtual void Reopen(int me) = 0;
};

// Nodes as threads of this process: one ThreadNetwork endpoint per node.
class ThreadPeerNet final : public PeerNet {
 public:
  explicit ThreadPeerNet(int n) : net_(n) {}
  std::int64_t Send(int origin, int via, std::int64_t t, std::span<const double> y,
                    std::span<const int> targets) override {
    engine::Transport& ep = net_.endpoint(via);
    std::int64_t bytes = 0;
    for (const int to : targets) {
      engine::Packet p = ep.NewPacket();
      p.kind = kModelKind;
      p.header[0] = t;
      p.header[1] = origin;
      p.value.assign(y.begin(), y.end());
      bytes += static_cast<std::int64_t>(engine::WireBytes(p));
      ep.Send(to, std::move(p));
    }
    return bytes;
  }
  void Receive(int me, std::vector<engine::Packet>* out, Clock::time_point deadline, std::size_t want) override {
    engine::Transport& ep = net_.endpoint(me);
    if (deadline <= Clock::now()) {
      ep.ReceiveAll(out);
    } else {
      ep.ReceiveAtLeast(out, want, deadline);
    }
  }
  void Close(int me) override { net_.Close(me); }
  void Reopen(int me) override { net_.Reopen(me); }

 private:
  engine::ThreadNetwork net_;
};

// Nodes as threads of MPI ranks, one rank per cluster (nodes first ..
// first + local - 1 here). The rank's endpoint is shared: one thread at a
// time calls MPI (MPI_THREAD_SERIALIZED), under `ep_mutex_`; a node waiting
// for messages takes the endpoint for a short slice and hands what arrived
// to its neighbours' inboxes. A model for several nodes of a rank crosses
// the wire once (header[2..3]: the first and last target there). Packets
// of the other kinds are the conductors' (Control).
class RankPeerNet final : public PeerNet {
 public:
  RankPeerNet(engine::Transport& ep, int n, int ranks) : ep_(ep), n_(n), ranks_(ranks) {
    const int rank = ep.rank();
    first_ = FirstOf(rank);
    local_ = FirstOf(rank + 1) - first_;
    boxes_ = std::make_unique<Box[]>(static_cast<std::size_t>(local_));
  }
  int first() const { return first_; }
  int local() const { return local_; }
  // Node i lives on rank RankOf(i): i * ranks / n (the clusters' rule).
  int RankOf(int node) const { return static_cast<int>(static_cast<std::int64_t>(node) * ranks_ / n_); }
  int FirstOf(int rank) const {
    int i = 0;
    while (i < n_ && RankOf(i) < rank) ++i;
    return i;
  }

  std::int64_t Send(int origin, int via, std::int64_t t, std::span<const double> y,
                    std::span<const int> targets) override {
    (void)via;
    std::int64_t bytes = 0;
    std::size_t k = 0;
    while (k < targets.size()) {
      const int r = RankOf(targets[k]);
      std::size_t e = k;
      while (e + 1 < targets.size() && RankOf(targets[e + 1]) == r) ++e;
      engine::Packet p;
      p.kind = kModelKind;
      p.header = {t, origin, targets[k], targets[e]};
      p.value.assign(y.begin(), y.end());
      bytes += static_cast<std::int64_t>(engine::WireBytes(p));
      if (r == ep_.rank()) {
        Deliver(std::move(p));
      } else {
        Post(r, std::move(p));
      }
      k = e + 1;
    }
    return bytes;
  }

  // Returns at the first packet whatever `want` is: the rank's endpoint is
  // shared and pumped in slices.
  void Receive(int me, std::vector<engine::Packet>* out, Clock::time_point deadline,
               std::size_t /*want*/) override {
    Box& box = BoxOf(me);
    while (true) {
      {
        std::lock_guard<std::mutex> lock(box.mutex);
        if (!box.queue.empty()) {
          for (auto& p : box.queue) out->push_back(std::move(p));
          box.queue.clear();
          return;
        }
      }
      const Clock::time_point now = Clock::now();
      if (now >= deadline) {
        Pump(now);  // what has arrived, without waiting
        std::lock_guard<std::mutex> lock(box.mutex);
        for (auto& p : box.queue) out->push_back(std::move(p));
        box.queue.clear();
        return;
      }
      const Clock::time_point slice = std::min(deadline, now + kSlice);
      if (!Pump(slice)) {
        std::unique_lock<std::mutex> lock(box.mutex);
        box.cv.wait_until(lock, slice, [&box] { return !box.queue.empty(); });
      }
    }
  }
  void Close(int me) override {
    Box& box = BoxOf(me);
    std::lock_guard<std::mutex> lock(box.mutex);
    box.closed = true;
    box.queue.clear();
  }
  void Reopen(int me) override {
    Box& box = BoxOf(me);
    std::lock_guard<std::mutex> lock(box.mutex);
    box.queue.clear();
    box.closed = false;
  }

  // --- the conductors' messages ---
  void SendControl(int rank, engine::Packet&& p) { Post(rank, std::move(p)); }
  // Appends the control packets that arrived (waiting for one until
  // `deadline`).
  void ReceiveControl(std::vector<engine::Packet>* out, Clock::time_point deadline) {
    while (true) {
      {
        std::lock_guard<std::mutex> lock(control_mutex_);
        if (!control_.empty() || Clock::now() >= deadline) {
          for (auto& p : control_) out->push_back(std::move(p));
          control_.clear();
          if (!out->empty() || Clock::now() >= deadline) return;
        }
      }
      const Clock::time_point slice = std::min(deadline, Clock::now() + kSlice);
      if (!Pump(slice)) {
        std::unique_lock<std::mutex> lock(control_mutex_);
        control_cv_.wait_until(lock, slice, [this] { return !control_.empty(); });
      }
    }
  }

 private:
  struct Box {
    std::mutex mutex;
    std::condition_variable cv;
    std::vector<engine::Packet> queue;
    bool closed = false;
  };
  Box& BoxOf(int node) { return boxes_[static_cast<std::size_t>(node - first_)]; }

  // Sends now when the endpoint is free; otherwise leaves the packet to
  // the thread that holds it (it sends what is left when its slice ends),
  // so a sender never waits behind a receive.
  void Post(int rank, engine::Packet&& p) {
    std::unique_lock<std::mutex> lock(ep_mutex_, std::try_to_lock);
    if (!lock.owns_lock()) {
      std::lock_guard<std::mutex> out(outbox_mutex_);
      outbox_.emplace_back(rank, std::move(p));
      return;
    }
    ep_.Send(rank, std::move(p));
    FlushLocked();
  }
  // Sends the packets left for the endpoint's holder (ep_mutex_ held).
  void FlushLocked() {
    std::vector<std::pair<int, engine::Packet>> left;
    {
      std::lock_guard<std::mutex> out(outbox_mutex_);
      left.swap(outbox_);
    }
    for (auto& [rank, p] : left) ep_.Send(rank, std::move(p));
  }

  void Deliver(engine::Packet&& p) {
    const int lo = std::max(first_, static_cast<int>(p.header[2]));
    const int hi = std::min(first_ + local_ - 1, static_cast<int>(p.header[3]));
    for (int i = lo; i <= hi; ++i) {
      Box& box = BoxOf(i);
      std::lock_guard<std::mutex> lock(box.mutex);
      if (box.closed) continue;
      box.queue.push_back(i == hi ? std::move(p) : p);
      box.cv.notify_all();
    }
  }
  // Takes the endpoint, if free, and waits on it until `until` for
  // packets, then hands them out. False when another thread had it.
  bool Pump(Clock::time_point until) {
    std::unique_lock<std::mutex> lock(ep_mutex_, std::try_to_lock);
    if (!lock.owns_lock()) return false;
    std::vector<engine::Packet> arrived;
    FlushLocked();
    if (until <= Clock::now()) {
      ep_.ReceiveAll(&arrived);
    } else {
      ep_.ReceiveUntil(&arrived, until);
    }
    FlushLocked();
    lock.unlock();
    for (engine::Packet& p : arrived) {
      if (p.kind == kModelKind) {
        Deliver(std::move(p));
      } else {
        std::lock_guard<std::mutex> control(control_mutex_);
        control_.push_back(std::move(p));
        control_cv_.notify_all();
      }
    }
    return true;
  }

  engine::Transport& ep_;
  const int n_, ranks_;
  int first_ = 0, local_ = 0;
  std::unique_ptr<Box[]> boxes_;
  // The longest a thread holds the endpoint in a receive: what others left
  // to send waits at most this long.
  static constexpr std::chrono::microseconds kSlice{500};
  std::mutex ep_mutex_;
  std::mutex outbox_mutex_;
  std::vector<std::pair<int, engine::Packet>> outbox_;
  std::mutex control_mutex_;
  std::condition_variable control_cv_;
  std::vector<engine::Packet> control_;
};

class Peers {
 public:
  // Nodes first .. first + local - 1 live here, on `data` (the whole data
  // on threads; this rank's part under MPI), talking through `net`.
  Peers(const Dataset& data, const Problem& problem, const Options& options, PeerNet& net, int first, int local,
        std::int64_t total_rows)
      : data_(data),
        options_(options),
        model_(models::MakeModel(models::SpecFor(data, problem, options), data)),
        n_(Nodes(options)),
        clusters_(ClustersOf(options)),
        quorum_(QuorumOf(options)),
        eta0_(Eta0(data, problem, options)),
        budget_(static_cast<double>(options.max_epochs) * static_cast<double>(total_rows)),
        total_rows_(total_rows),
        net_(net) {
    const std::vector<double> x0 = StartingTheta(*model_, options);
    std::vector<int> sizes(static_cast<std::size_t>(clusters_), 0);
    for (int i = 0; i < n_; ++i) ++sizes[static_cast<std::size_t>(static_cast<std::int64_t>(i) * clusters_ / n_)];
    std::vector<int> slots(static_cast<std::size_t>(clusters_), 0);
    for (int i = 0; i < first; ++i) ++slots[static_cast<std::size_t>(static_cast<std::int64_t>(i) * clusters_ / n_)];
    // Every node draws its mini-batches from all the rows it can see (the
    // whole data on threads, its rank's part under MPI): the slides'
    // processes "access the same data distribution D", so a crashed or slow
    // node takes no part of the data with it. Their order: the one-worker
    // shard (shuffled with --shuffle-shards), so one node is serial SGD.
    rows_ = MakeShards(data.num_rows, 1, 0.0, options.distributed.shuffle_rows, options.seed)[0];
    for (int id = first; id < first + local; ++id) {
      auto node = std::make_unique<Node>();
      node->id = id;
      node->cluster = static_cast<int>(static_cast<std::int64_t>(id) * clusters_ / n_);
      node->slot = slots[static_cast<std::size_t>(node->cluster)]++;
      node->rng = data::Rng::ForStream(options.seed, kPeerBatchStream, static_cast<std::uint64_t>(id));
      node->x = x0;
      node->y.assign(x0.size(), 0.0);
      node->g.assign(x0.size(), 0.0);
      node->batch.assign(static_cast<std::size_t>(options.async.batch_size), 0);
      nodes_.push_back(std::move(node));
    }
    for (int c = 0; c < clusters_; ++c) {  // the registers of the clusters that have nodes here
      const bool here = std::any_of(nodes_.begin(), nodes_.end(), [c](const auto& node) { return node->cluster == c; });
      registers_.push_back(here ? std::make_unique<kernels::RegisterArray>(sizes[static_cast<std::size_t>(c)], x0.size())
                                : nullptr);
    }
    cluster_sizes_ = sizes;
    x0_ = x0;
    if (options.decentralized.checkpoint_every > 0) {
      if (!options.decentralized.checkpoint_dir.empty()) {
        checkpoint_dir_ = options.decentralized.checkpoint_dir;
        std::error_code ec;
        std::filesystem::create_directories(checkpoint_dir_, ec);
        if (ec) {
          throw Error(ErrorKind::kIo, "checkpoint_dir " + checkpoint_dir_.string() + ": " + ec.message());
        }
      } else {
        std::string tmpl = (std::filesystem::temp_directory_path() / "asyncopt-checkpoints-XXXXXX").string();
        if (mkdtemp(tmpl.data()) == nullptr) {
          throw Error(ErrorKind::kIo, "cannot make a checkpoint directory under " +
                                          std::filesystem::temp_directory_path().string());
        }
        checkpoint_dir_ = tmpl;
        own_checkpoint_dir_ = true;
      }
    }
  }

  ~Peers() {
    if (own_checkpoint_dir_) {
      std::error_code ec;
      std::filesystem::remove_all(checkpoint_dir_, ec);
    }
  }

  // Threads: every node here; the calling thread conducts.
  Result Run(const Problem& problem);
  // MPI: this rank's nodes (a cluster); rank 0 conducts the run through
  // `net`'s control messages, the others answer. Rank 0 returns the run's
  // result, the others their own status.
  Result RunRank(const Problem& problem, RankPeerNet& net);

 private:
  double Eta(std::int64_t t) const {
    const double alpha = options_.decentralized.step_power;
    return alpha == 0.0 ? eta0_ : eta0_ / std::pow(1.0 + static_cast<double>(t), alpha);
  }
  std::filesystem::path CheckpointPath(int id) const {
    return checkpoint_dir_ / ("node-" + std::to_string(id) + ".ckpt");
  }
  // Unpaused seconds since `start` (trace pauses excluded).
  double Unpaused(Clock::time_point start, std::int64_t paused_at_start) const {
    const std::int64_t paused = paused_ticks_.load(std::memory_order_acquire) - paused_at_start;
    return std::chrono::duration<double>(Clock::now() - start - Clock::duration(paused)).count();
  }

  void Body(Node& me, runtime::Member& member);
  // One local step: me.y = me.x - eta_t g. Returns the rows used.
  void LocalStep(Node& me);
  void SendModel(Node& me, std::int64_t t, std::span<const int> targets);
  // Takes what arrived into me.inbox (rounds below me.round dropped).
  void Drain(Node& me);
  // The largest round >= me.round holding a quorum, if any.
  std::optional<std::int64_t> QuorumRound(const Node& me) const;
  // The fewest models that could still complete a quorum of a round >=
  // me.round (at least 1): every packet adds at most one model to one round.
  std::size_t Missing(const Node& me) const;
  void NoQuorum(const Node& me, std::int64_t t);
  // The node stops taking part: crashed (its model no longer counts among
  // the live ones) or the run ends (it does).
  void Leave(Node& me, bool crashed) {
    net_.Close(me.id);
    if (crashed) me.gone.store(true, std::memory_order_release);
  }
  // The restart fault: state lost, down for the downtime (inbox closed),
  // back from the checkpoint.
  void Restart(Node& me, runtime::Member& member, const Fault& fault);

  struct Snapshot {
    std::vector<double> mean;
    double diameter = std::numeric_limits<double>::quiet_NaN();
    double max_distance = std::numeric_limits<double>::quiet_NaN();
    double worst = std::numeric_limits<double>::quiet_NaN();
    int live = 0;
  };
  Snapshot Gather(bool worst) const;
  Snapshot Summarise(const std::vector<const std::vector<double>*>& xs) const;
  static MemberStats StatsOf(const Node& node) {
    MemberStats m;
    m.member = node.id;
    m.rounds = node.rounds_done;
    m.rounds_skipped = node.rounds_skipped;
    m.wait_seconds = node.wait_seconds;
    return m;
  }
  // The peer fields of a finished run's result (after Tracer::Finish set
  // its seconds; result->members filled): the final snapshot's diameter,
  // the counters, each node's and the run's waiting fraction.
  void FillResult(const Snapshot& snap, const runtime::Counters& c, Result* result) const {
    result->diameter = snap.diameter;
    result->rounds_skipped = c.rounds_skipped;
    result->exchanges = c.exchanges;
    result->bytes_sent = c.bytes_sent;
    result->step_used = eta0_;
    result->threads_used = n_;
    const double seconds = result->seconds;
    double waited = 0.0;
    for (MemberStats& m : result->members) {
      m.wait_fraction = seconds > 0.0 ? m.wait_seconds / seconds : 0.0;
      waited += m.wait_seconds;
    }
    result->wait_fraction = seconds > 0.0 ? waited / (n_ * seconds) : 0.0;
  }
  Result Answer(RankPeerNet& net, runtime::Team& team);
  Result Conduct(const Problem& problem, RankPeerNet& net, runtime::Team& team);
  std::string Describe(const Problem& problem, std::int64_t rounds, std::int64_t skipped) const;
  runtime::Counters CountersNow(const Snapshot& snap) const;

  const Dataset& data_;
  const Options& options_;
  std::unique_ptr<models::Model> model_;
  const int n_, clusters_, quorum_;
  const double eta0_;
  const double budget_;  // rows: --max-epochs passes over the data
  const std::int64_t total_rows_;
  // Nodes stop by themselves at the row budget (threads: the count is
  // global); under MPI rank 0 says when.
  bool nodes_keep_budget_ = true;
  PeerNet& net_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<std::int64_t> rows_;  // the rows every node here draws from
  std::vector<std::unique_ptr<kernels::RegisterArray>> registers_;
  std::vector<int> cluster_sizes_;
  std::vector<double> x0_;
  std::filesystem::path checkpoint_dir_;
  bool own_checkpoint_dir_ = false;
  std::atomic<std::int64_t> rows_done_{0};
  // Rows at which the next trace point is due (the conductor moves it on).
  std::atomic<std::int64_t> trace_at_{std::numeric_limits<std::int64_t>::max()};
  runtime::Team* team_ = nullptr;
  std::atomic<std::int64_t> paused_ticks_{0};
  std::atomic<bool> pausing_{false};
  std::atomic<bool> no_quorum_{false};
  mutable std::mutex mutex_;
  std::string no_quorum_message_;  // the first node's
};

void Peers::LocalStep(Node& me) {
  const auto n = static_cast<std::uint64_t>(rows_.size());
  for (std::int64_t& r : me.batch) r = rows_[static_cast<std::size_t>(me.rng.Below(n))];
  me.batch_loss = model_->LossAndGradient(data_, me.batch, me.x, me.g, me.ws);
  const double eta = Eta(me.round);
  for (std::size_t j = 0; j < me.x.size(); ++j) me.y[j] = me.x[j] - eta * me.g[j];
  rows_done_.fetch_add(static_cast<std::int64_t>(me.batch.size()), std::memory_order_relaxed);
}

void Peers::SendModel(Node& me, std::int64_t t, std::span<const int> targets) {
  const std::int64_t bytes = net_.Send(me.id, me.id, t, me.y, targets);
  me.bytes_sent.fetch_add(bytes, std::memory_order_relaxed);
  me.messages_sent.fetch_add(static_cast<std::int64_t>(targets.size()), std::memory_order_relaxed);
}

void Peers::Drain(Node& me) {
  for (engine::Packet& p : me.arrived) {
    const std::int64_t t = p.header[0];
    const std::int64_t from = p.header[1];
    if (p.kind != kModelKind || p.value.size() != me.x.size() || from < 0 || from >= n_) continue;
    if (t >= me.round) {
      std::vector<double>& slot = me.inbox[t][static_cast<int>(from)];
      slot.swap(p.value);
      continue;
    }
    // A model of a round this node is past: its sender is behind (it missed
    // a round that others skipped, a partial send left it short, or it was
    // slow). While the others go on, their ordinary sends bring it a quorum
    // of a later round and it skips to it; but nodes waiting on an old
    // round and nodes waiting for them on a newer one would wait for each
    // other. So a sender that says the same past round again (a node still
    // waiting resends its round every 50 ms) gets the models this node
    // averaged last, a quorum of that round or a later one, and completes
    // or skips to it (the slides' "skip to round t'"), once per round.
    // Relaying at the first stale model made every node answer every model
    // of a node one round behind with its quorum (up to 7 x 5 messages):
    // on this 2-CPU host that was 5.6x the bytes on rcv1-vw-small and made
    // the fault-free majority run to 1e-3 3.4x slower (9.44 s against
    // 2.76 s), cadata's 1.6x (issue 18's closing note).
    const auto sender = static_cast<std::size_t>(from);
    if (me.relayed.empty()) {
      me.relayed.assign(static_cast<std::size_t>(n_), -1);
      me.stale_round.assign(static_cast<std::size_t>(n_), -1);
    }
    const bool again = me.stale_round[sender] == t;
    me.stale_round[sender] = t;
    if (again && me.last_set_round >= t && me.relayed[sender] < me.last_set_round) {
      me.relayed[sender] = me.last_set_round;
      const int target[1] = {static_cast<int>(from)};
      for (const auto& [origin, model] : me.last_set) {
        if (origin == static_cast<int>(from)) continue;
        me.bytes_sent.fetch_add(net_.Send(origin, me.id, me.last_set_round, model, target), std::memory_order_relaxed);
        me.messages_sent.fetch_add(1, std::memory_order_relaxed);
      }
    }
  }
  me.arrived.clear();
}

std::size_t Peers::Missing(const Node& me) const {
  std::size_t most = 0;
  for (auto it = me.inbox.rbegin(); it != me.inbox.rend() && it->first >= me.round; ++it) {
    most = std::max(most, it->second.size());
  }
  return most >= static_cast<std::size_t>(quorum_) ? 1 : static_cast<std::size_t>(quorum_) - most;
}

std::optional<std::int64_t> Peers::QuorumRound(const Node& me) const {
  for (auto it = me.inbox.rbegin(); it != me.inbox.rend(); ++it) {
    if (it->first < me.round) break;
    if (static_cast<int>(it->second.size()) >= quorum_) return it->first;
  }
  return std::nullopt;
}

void Peers::NoQuorum(const Node& me, std::int64_t t) {
  std::vector<int> heard, missing;
  const auto it = me.inbox.find(t);
  for (int i = 0; i < n_; ++i) {
    const bool has = it != me.inbox.end() && it->second.count(i) > 0;
    (has ? heard : missing).push_back(i);
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (no_quorum_message_.empty()) {
    no_quorum_message_ = "node " + std::to_string(me.id) + " waited " +
                         runtime::ShortNumber(options_.decentralized.quorum_timeout) +
                         " s (--quorum-timeout) for round " + std::to_string(t) + ": it heard from " +
                         std::to_string(heard.size()) + " of " + std::to_string(n_) + " nodes (" +
                         IdList(heard) + "), the quorum is " + std::to_string(quorum_) + "; missing nodes " +
                         IdList(missing);
  }
  no_quorum_.store(true, std::memory_order_release);
  team_->Notify();
}

void Peers::Restart(Node& me, runtime::Member& member, const Fault& fault) {
  Leave(me, /*crashed=*/true);  // dead: its inbox drops what arrives
  me.inbox.clear();
  member.SleepFor(std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(fault.seconds)));
  if (member.stop_requested()) return;
  // Back: what the file holds (the start if none was written yet).
  std::vector<double> x = x0_;
  std::int64_t round = 0;
  if (!checkpoint_dir_.empty()) {
    if (const auto r = ReadCheckpoint(CheckpointPath(me.id), &x)) round = *r;
  }
  me.x = std::move(x);
  me.round = round;
  me.rng = data::Rng::ForStream(options_.seed, kPeerBatchStream, static_cast<std::uint64_t>(n_ + me.id));
  ++me.restarts;
  net_.Reopen(me.id);
  me.gone.store(false, std::memory_order_release);
}

void Peers::Body(Node& me, runtime::Member& member) {
  const Fault* crash_sending = FaultOf(options_, me.id, Fault::Kind::kCrashSending);
  const Fault* restart = FaultOf(options_, me.id, Fault::Kind::kRestart);
  bool restarted = false;
  const bool gossip = IsGossip(options_);
  data::Rng peer_rng = data::Rng::ForStream(options_.seed, kPeerBatchStream + 1, static_cast<std::uint64_t>(me.id));
  const int cluster_size = cluster_sizes_[static_cast<std::size_t>(me.cluster)];
  const int agreement_rounds = gossip ? 0 : options_.decentralized.agreement_rounds;
  const int every = options_.decentralized.checkpoint_every;
  std::vector<int> targets;
  Clock::duration carried{0};  // work since the last AfterWork
  while (!member.stop_requested()) {
    member.WaitAtGate();
    if (member.stop_requested()) break;
    // The row budget of --max-epochs, over all nodes (one node: exactly
    // ceil(budget / B) rounds, as serial SGD).
    if (nodes_keep_budget_ && static_cast<double>(rows_done_.load(std::memory_order_relaxed)) >= budget_) break;
    // A trace point is due: wait (parked) until the conductor has taken it,
    // so the trace has a point every --trace-every epochs.
    if (rows_done_.load(std::memory_order_relaxed) >= trace_at_.load(std::memory_order_acquire)) {
      runtime::Member::Parked parked(member);
      team_->Notify();
      while (!member.stop_requested() &&
             !team_->WaitFor(runtime::kPoll, [this] {
               return rows_done_.load(std::memory_order_relaxed) < trace_at_.load(std::memory_order_acquire);
             })) {
      }
      continue;  // through the gate
    }
    const std::int64_t t = me.round;
    if (restart != nullptr && !restarted && t >= restart->at_step) {
      restarted = true;
      Restart(me, member, *restart);
      continue;
    }
    const Clock::time_point start = Clock::now();
    LocalStep(me);
    // The fault plan sees the node's whole work of a round: this step and
    // the previous round's sends, averaging and agreement (not its waits),
    // so slow:M:F makes all of it F times longer, not the gradient alone.
    if (!member.AfterWork(1, (Clock::now() - start) + carried)) {
      Leave(me, /*crashed=*/true);  // crashed before its round-t message
      return;
    }
    carried = Clock::duration::zero();
    Clock::time_point work_start = Clock::now();
    if (gossip) {
      if (n_ > 1) {
        int to = static_cast<int>(peer_rng.Below(static_cast<std::uint64_t>(n_ - 1)));
        if (to >= me.id) ++to;
        const int target[1] = {to};
        SendModel(me, t, target);
      }
      net_.Receive(me.id, &me.arrived, Clock::time_point::min(), 1);
      std::size_t k = 1;
      me.x = me.y;
      for (engine::Packet& p : me.arrived) {
        if (p.kind == kModelKind && p.value.size() == me.x.size()) {
          for (std::size_t j = 0; j < me.x.size(); ++j) me.x[j] += p.value[j];
          ++k;
        }
      }
      me.arrived.clear();
      if (k > 1) {
        const double inv = 1.0 / static_cast<double>(k);
        for (double& v : me.x) v *= inv;
      }
      me.round = t + 1;
      ++me.rounds_done;
    } else {
      const bool partial = crash_sending != nullptr && t >= crash_sending->at_step;
      const int peers = partial ? (n_ - 1) / 2 : n_ - 1;
      targets.clear();
      for (int to = 0; static_cast<int>(targets.size()) < peers; ++to) {
        if (to != me.id) targets.push_back(to);
      }
      SendModel(me, t, targets);
      if (partial) {
        Leave(me, /*crashed=*/true);  // crashed while sending
        return;
      }
      me.inbox[t][me.id] = me.y;
      carried += Clock::now() - work_start;
      // Wait for a quorum of round t, or of a later round (skip).
      std::optional<std::int64_t> ready;
      {
        runtime::Member::Parked parked(member);
        const Clock::time_point wait_start = Clock::now();
        const std::int64_t paused_at_start = paused_ticks_.load(std::memory_order_acquire);
        // A node still waiting says its round again every so often (a
        // peer past it answers with a later quorum: Drain).
        const auto resend_every = std::chrono::duration_cast<Clock::duration>(
            std::chrono::duration<double>(std::min(0.05, options_.decentralized.quorum_timeout / 4)));
        Clock::time_point resend_at = wait_start + resend_every;
        while (true) {
          net_.Receive(me.id, &me.arrived, Clock::time_point::min(), 1);
          Drain(me);
          ready = QuorumRound(me);
          if (ready || member.stop_requested()) break;
          const double waited = Unpaused(wait_start, paused_at_start);
          if (waited > options_.decentralized.quorum_timeout && !pausing_.load(std::memory_order_acquire)) {
            NoQuorum(me, t);
            break;
          }
          if (Clock::now() >= resend_at) {
            SendModel(me, t, targets);
            resend_at = Clock::now() + resend_every;
          }
          const double left = std::max(0.0, options_.decentralized.quorum_timeout - waited);
          // Asleep until enough models for a quorum can have come (the
          // fewest that could complete one), not woken at each model: a
          // node three models short is woken about once, not three times.
          net_.Receive(me.id, &me.arrived,
                       Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                          std::chrono::duration<double>(std::min(left + 1e-3, 0.02))),
                       Missing(me));
          Drain(me);
          member.Heartbeat();
        }
        me.wait_seconds += std::chrono::duration<double>(Clock::now() - wait_start).count();
      }
      if (!ready) {
        Leave(me, /*crashed=*/false);  // no quorum, or the run stops
        return;
      }
      member.WaitAtGate();  // the conductor may be reading x
      work_start = Clock::now();
      // x = the mean of round r's models, in node order.
      const std::int64_t r = *ready;
      const auto& models = me.inbox[r];
      std::fill(me.x.begin(), me.x.end(), 0.0);
      for (const auto& [from, v] : models) {
        for (std::size_t j = 0; j < me.x.size(); ++j) me.x[j] += v[j];
      }
      const double inv = 1.0 / static_cast<double>(models.size());
      for (double& v : me.x) v *= inv;
      me.rounds_skipped += r - t;
      me.round = r + 1;
      ++me.rounds_done;
      me.last_set = std::move(me.inbox[r]);
      me.last_set_round = r;
      me.inbox.erase(me.inbox.begin(), me.inbox.upper_bound(r));
      if (cluster_size > 1 && agreement_rounds > 0) {
        kernels::ClusterAgreement(*registers_[static_cast<std::size_t>(me.cluster)], me.slot,
                                  static_cast<std::uint64_t>(me.round), agreement_rounds, me.x, me.scratch);
      }
    }
    carried += Clock::now() - work_start;
    if (every > 0 && me.round % every == 0) WriteCheckpoint(CheckpointPath(me.id), me.round, me.x);
  }
  Leave(me, /*crashed=*/false);
}

Peers::Snapshot Peers::Gather(bool worst) const {
  std::vector<const std::vector<double>*> xs;
  for (const auto& node : nodes_) {
    if (!node->gone.load(std::memory_order_acquire)) xs.push_back(&node->x);
  }
  Snapshot s = Summarise(xs);
  if (worst && !xs.empty()) {
    double high = -std::numeric_limits<double>::infinity();
    for (const auto* x : xs) high = std::max(high, models::Objective(*model_, data_, *x, options_.threads));
    s.worst = runtime::Suboptimality(high, options_.f_star);
  }
  return s;
}

Peers::Snapshot Peers::Summarise(const std::vector<const std::vector<double>*>& xs) const {
  Snapshot s;
  s.live = static_cast<int>(xs.size());
  if (xs.empty()) return s;
  const std::size_t P = xs[0]->size();
  s.mean.assign(P, 0.0);
  for (const auto* x : xs) {
    for (std::size_t j = 0; j < P; ++j) s.mean[j] += (*x)[j];
  }
  for (double& v : s.mean) v /= static_cast<double>(xs.size());
  std::vector<std::span<const double>> spans;
  for (const auto* x : xs) spans.emplace_back(*x);
  s.diameter = kernels::CoordinateDiameter(spans);
  double far = 0.0;
  for (const auto* x : xs) {
    double sq = 0.0;
    for (std::size_t j = 0; j < P; ++j) sq += ((*x)[j] - s.mean[j]) * ((*x)[j] - s.mean[j]);
    far = std::max(far, std::sqrt(sq));
  }
  s.max_distance = far;
  return s;
}

runtime::Counters Peers::CountersNow(const Snapshot& snap) const {
  runtime::Counters c;
  const std::int64_t rows = rows_done_.load(std::memory_order_relaxed);
  c.updates = rows;
  c.epoch = static_cast<double>(rows) / static_cast<double>(total_rows_);
  std::int64_t rounds = 0, skipped = 0, bytes = 0;
  for (const auto& node : nodes_) {
    rounds += node->rounds_done;
    skipped += node->rounds_skipped;
    bytes += node->bytes_sent.load(std::memory_order_relaxed);
  }
  c.exchanges = rounds;
  c.bytes_sent = bytes;
  c.rounds_skipped = skipped;
  c.diameter = snap.diameter;
  c.max_distance = snap.max_distance;
  c.worst_suboptimality = snap.worst;
  double batch = 0.0;
  int counted = 0;
  for (const auto& node : nodes_) {
    if (std::isfinite(node->batch_loss)) {
      batch += node->batch_loss;
      ++counted;
    }
  }
  if (counted > 0) c.batch_loss = batch / counted;
  return c;
}

Result Peers::Run(const Problem& problem) {
  runtime::Tracer tracer(data_, problem, options_);
  tracer.SetEvaluator([this](std::span<const double> w) -> std::optional<double> {
    return models::Objective(*model_, data_, w, options_.threads);
  });
  if (options_.test != nullptr) {
    tracer.SetTestMetric([this](std::span<const double> w) {
      return models::Accuracy(*model_, *options_.test, w, options_.threads);
    });
  }
  tracer.Begin(x0_);
  runtime::Team::Config config = TeamConfig(options_, n_);
  config.role = "node";
  config.batch_scheduling = true;  // nodes wait for each other every round
  config.slow_sleep_quantum = kSlowQuantumSeconds;
  runtime::Team team(config);
  team_ = &team;
  const double spacing0 = options_.trace_every_epochs * static_cast<double>(data_.num_rows);
  trace_at_.store(static_cast<std::int64_t>(std::min(spacing0, budget_)), std::memory_order_release);
  team.Start([this](runtime::Member& member) { Body(*nodes_[static_cast<std::size_t>(member.index())], member); });
  const double budget = budget_;
  const double spacing = options_.trace_every_epochs * static_cast<double>(data_.num_rows);
  double next_trace = spacing;
  Status status = Status::kMaxEpochs;
  std::optional<Snapshot> ended_at;  // the trace point whose verdict ended the run
  try {
    while (true) {
      team.WaitFor(runtime::kPoll, [this] {
        return rows_done_.load(std::memory_order_relaxed) >= trace_at_.load(std::memory_order_acquire) ||
               no_quorum_.load(std::memory_order_acquire);
      });
      if (team.failed()) break;
      if (no_quorum_.load(std::memory_order_acquire)) {
        status = Status::kNoQuorum;
        break;
      }
      const auto rows = static_cast<double>(rows_done_.load(std::memory_order_relaxed));
      if (rows < budget) {
        int crashed = 0;
        for (const auto& node : nodes_) crashed += node->gone.load(std::memory_order_acquire) ? 1 : 0;
        if (crashed >= n_) {
          status = Status::kPeerLost;  // every node crashed
          break;
        }
        if (const auto limit = tracer.CheckLimits()) {
          status = *limit;
          break;
        }
        if (rows < next_trace) continue;
      }
      pausing_.store(true, std::memory_order_release);
      const Clock::time_point pause_start = Clock::now();
      team.Pause();
      // The snapshot and every node's objective (the worst node, when f* is
      // known) are trace work: off the solver clock, as Record's own.
      const Clock::time_point gather_start = Clock::now();
      Snapshot snap = Gather(/*worst=*/std::isfinite(options_.f_star));
      tracer.clock().Discount(Clock::now() - gather_start);
      std::optional<Status> verdict;
      if (snap.live > 0) verdict = tracer.Record(snap.mean, CountersNow(snap));
      if (verdict) {
        // The run ends at this point: its result is the traced mean (the
        // nodes are stopped before they move on).
        team.RequestStop();
        ended_at = std::move(snap);
      }
      team.Resume();
      paused_ticks_.fetch_add((Clock::now() - pause_start).count(), std::memory_order_acq_rel);
      pausing_.store(false, std::memory_order_release);
      if (verdict) {
        status = *verdict;
        break;
      }
      if (rows >= budget) break;  // kMaxEpochs
      while (next_trace <= rows) next_trace += spacing;
      trace_at_.store(static_cast<std::int64_t>(std::min(next_trace, budget)), std::memory_order_release);
      team.Notify();
    }
  } catch (...) {
    team.StopAndJoinQuietly();
    throw;
  }
  team.RequestStop();
  team.Join();  // rethrows a node's error
  const Snapshot snap = ended_at ? std::move(*ended_at) : Gather(/*worst=*/false);
  runtime::Counters counters = CountersNow(snap);
  Result result;
  std::vector<double> final_w = snap.mean.empty() ? tracer.best_finite_w() : snap.mean;
  tracer.Finish(status, final_w, counters, &result);
  for (const auto& node : nodes_) result.members.push_back(StatsOf(*node));
  FillResult(snap, counters, &result);
  std::string what = Describe(problem, counters.exchanges, counters.rounds_skipped);
  if (status == Status::kNoQuorum) {
    std::lock_guard<std::mutex> lock(mutex_);
    what += "; no quorum: " + no_quorum_message_;
  }
  std::vector<int> crashed;
  for (const auto& node : nodes_) {
    if (node->gone.load(std::memory_order_acquire) && status != Status::kNoQuorum) crashed.push_back(node->id);
  }
  std::int64_t restarts = 0;
  for (const auto& node : nodes_) restarts += node->restarts;
  if (restarts > 0) what += "; " + std::to_string(restarts) + " restart(s) from a checkpoint";
  if (!crashed.empty() && status != Status::kPeerLost) what += "; nodes gone: " + IdList(crashed);
  if (const std::string note = team.sched_note(); !note.empty()) what += "; " + note;
  what += team.Report();
  result.message = what;
  result.restarts = static_cast<int>(restarts);
  return result;
}

std::string Peers::Describe(const Problem& problem, std::int64_t rounds, std::int64_t skipped) const {
  std::string what = IsGossip(options_) ? "gossip, " : "decentralized, ";
  what += std::to_string(n_) + (n_ == 1 ? " node" : " nodes");
  if (!IsGossip(options_)) {
    what += " in " + std::to_string(clusters_) + (clusters_ == 1 ? " cluster" : " clusters") + ", quorum " +
            std::to_string(quorum_) + ", " + std::to_string(options_.decentralized.agreement_rounds) +
            " agreement rounds";
  }
  what += ", " + std::string(ToString(options_.model_kind)) + " model (" + std::to_string(model_->NumParameters()) +
          " parameters), eta0 " + runtime::ShortNumber(eta0_);
  if (options_.decentralized.step_power > 0.0) {
    what += " / (1 + t)^" + runtime::ShortNumber(options_.decentralized.step_power);
  }
  const double bound = SlidesStepBound(data_, problem, options_);
  if (std::isfinite(bound)) what += " (the slides' bound: " + runtime::ShortNumber(bound) + ")";
  return what + ", " + std::to_string(rounds) + " rounds, " + std::to_string(skipped) + " skipped";
}

// ---------------------------------------------------------------- MPI

Result Peers::RunRank(const Problem& problem, RankPeerNet& net) {
  // One rank: its nodes count every row and stop as on threads (the same
  // rounds, the same bits); more: rank 0 counts the rows of every rank.
  nodes_keep_budget_ = net.RankOf(n_ - 1) == 0;
  runtime::Team::Config config = TeamConfig(options_, net.local(), /*first_id=*/net.first());
  config.role = "node";
  config.batch_scheduling = true;
  config.slow_sleep_quantum = kSlowQuantumSeconds;
  runtime::Team team(config);
  team_ = &team;
  if (net.local() > 0) {
    team.Start([this, &net](runtime::Member& member) {
      Body(*nodes_[static_cast<std::size_t>(member.id() - net.first())], member);
    });
  }
  try {
    return net.first() == 0 ? Conduct(problem, net, team) : Answer(net, team);
  } catch (...) {
    team.StopAndJoinQuietly();
    throw;
  }
}

// A rank other than 0: runs its nodes, reports its rows, answers trace and
// evaluation requests, and at the stop hands its nodes' final models over.
Result Peers::Answer(RankPeerNet& net, runtime::Team& team) {
  const auto silence = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(2.0 * options_.peer_timeout));
  Clock::time_point last_heard = Clock::now();
  Result result;
  result.status = Status::kMaxEpochs;
  bool stop = false, noted = false, failed = false;
  std::vector<engine::Packet> in;
  // This part's loss sum at the w rank 0 sent (a trace point's objective).
  auto answer_evaluation = [&](const engine::Packet& p) {
    engine::Packet reply;
    reply.kind = kEvalReply;
    reply.header[0] = p.header[0];
    reply.scalars[0] = p.value.size() == x0_.size() ? models::LossTotal(*model_, data_, p.value, options_.threads)
                                                    : std::numeric_limits<double>::quiet_NaN();
    net.SendControl(0, std::move(reply));
  };
  while (!stop) {
    in.clear();
    net.ReceiveControl(&in, Clock::now() + runtime::kPoll);
    for (engine::Packet& p : in) {
      last_heard = Clock::now();
      if (p.kind == kTraceAsk) {
        const Clock::time_point pause_start = Clock::now();
        pausing_.store(true, std::memory_order_release);
        team.Pause();
        std::int64_t sent = 0, rounds = 0, skipped = 0;
        for (const auto& node : nodes_) {
          rounds += node->rounds_done;
          skipped += node->rounds_skipped;
          if (node->gone.load(std::memory_order_acquire)) continue;
          engine::Packet m;
          m.kind = kTraceModel;
          m.header = {p.header[0], node->id, 0, 0};
          m.value = node->x;
          net.SendControl(0, std::move(m));
          ++sent;
        }
        engine::Packet end;
        end.kind = kTraceEnd;
        end.header = {p.header[0], sent, rounds, skipped};
        net.SendControl(0, std::move(end));
        team.Resume();
        paused_ticks_.fetch_add((Clock::now() - pause_start).count(), std::memory_order_acq_rel);
        pausing_.store(false, std::memory_order_release);
      } else if (p.kind == kEvalAsk) {
        answer_evaluation(p);
      } else if (p.kind == kStopAll) {
        stop = true;
      }
    }
    if (stop) break;
    engine::Packet progress;
    progress.kind = kProgress;
    progress.header[0] = rows_done_.load(std::memory_order_relaxed);
    net.SendControl(0, std::move(progress));
    if (!noted && no_quorum_.load(std::memory_order_acquire)) {
      std::lock_guard<std::mutex> lock(mutex_);
      net.SendControl(0, TextPacket(kNoQuorumNote, no_quorum_message_));
      noted = true;
    }
    if (!failed && team.failed()) {
      failed = true;
      team.RequestStop();
      try {
        team.Join();
      } catch (const std::exception& e) {
        net.SendControl(0, TextPacket(kRankFailed, e.what()));
      }
    }
    if (Clock::now() - last_heard > silence) {
      result.status = Status::kPeerLost;  // rank 0 is gone: end, with nobody to tell
      result.message = "rank 0 (the conductor) was silent for over twice --peer-timeout";
      break;
    }
  }
  team.StopAndJoinQuietly();  // a node's error was told to rank 0 above
  std::int64_t sent = 0;
  engine::Packet end;
  end.kind = kFinalEnd;
  for (const auto& node : nodes_) {
    const bool gone = node->gone.load(std::memory_order_acquire);
    if (!gone) {
      engine::Packet m;
      m.kind = kFinalModel;
      m.header[1] = node->id;
      m.value = node->x;
      net.SendControl(0, std::move(m));
      ++sent;
    }
    end.value.insert(end.value.end(), {static_cast<double>(node->id), static_cast<double>(node->rounds_done),
                                       static_cast<double>(node->rounds_skipped), node->wait_seconds,
                                       static_cast<double>(node->restarts), gone ? 1.0 : 0.0});
  }
  end.header[1] = sent;
  if (result.status == Status::kPeerLost) return result;
  net.SendControl(0, std::move(end));
  // Rank 0 evaluates the final point over every part: answer until it says
  // it is done (a second kStopAll).
  last_heard = Clock::now();
  while (Clock::now() - last_heard < silence) {
    in.clear();
    net.ReceiveControl(&in, Clock::now() + runtime::kPoll);
    bool done = false;
    for (engine::Packet& p : in) {
      if (p.kind == kEvalAsk) {
        last_heard = Clock::now();
        answer_evaluation(p);
      } else if (p.kind == kStopAll) {
        done = true;
      }
    }
    if (done) break;
  }
  return result;
}

// Rank 0: its own nodes, and the run: rows of every rank against the
// budget, trace points over every node's model (the objective summed over
// the ranks' parts), the stop, the final models.
Result Peers::Conduct(const Problem& problem, RankPeerNet& net, runtime::Team& team) {
  const int ranks = net.RankOf(n_ - 1) + 1;
  const auto patience = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(options_.peer_timeout));
  std::vector<std::int64_t> rows_of(static_cast<std::size_t>(ranks), 0);
  std::string remote_no_quorum, remote_failure;
  std::vector<int> lost_ranks;
  std::int64_t seq = 0;
  auto handle = [&](engine::Packet& p) {
    const auto r = static_cast<std::size_t>(p.from);
    if (p.kind == kProgress && r < rows_of.size()) {
      rows_of[r] = std::max(rows_of[r], p.header[0]);
    } else if (p.kind == kNoQuorumNote && remote_no_quorum.empty()) {
      remote_no_quorum = TextOf(p);
    } else if (p.kind == kRankFailed && remote_failure.empty()) {
      remote_failure = "rank " + std::to_string(p.from) + ": " + TextOf(p);
    }
  };
  // Waits until every other rank (not lost) has answered: `take` returns
  // 0 for a packet that is not part of the answer (it goes to `handle`), 1
  // for a part, 2 for a rank's last part. Returns the ranks that did not
  // finish within --peer-timeout.
  auto collect = [&](const std::function<int(engine::Packet&)>& take) {
    std::vector<bool> done(static_cast<std::size_t>(ranks), false);
    done[0] = true;
    for (const int r : lost_ranks) done[static_cast<std::size_t>(r)] = true;
    const Clock::time_point deadline = Clock::now() + patience;
    std::vector<engine::Packet> in;
    while (std::find(done.begin(), done.end(), false) != done.end() && Clock::now() < deadline) {
      in.clear();
      net.ReceiveControl(&in, std::min(deadline, Clock::now() + runtime::kPoll));
      for (engine::Packet& p : in) {
        const int verdict = p.from > 0 && p.from < ranks ? take(p) : 0;
        if (verdict == 0) handle(p);
        if (verdict == 2) done[static_cast<std::size_t>(p.from)] = true;
      }
    }
    std::vector<int> missing;
    for (int r = 1; r < ranks; ++r) {
      if (!done[static_cast<std::size_t>(r)]) missing.push_back(r);
    }
    return missing;
  };
  auto lose = [&](const std::vector<int>& missing) {
    for (const int r : missing) {
      if (std::find(lost_ranks.begin(), lost_ranks.end(), r) == lost_ranks.end()) lost_ranks.push_back(r);
    }
  };
  auto broadcast = [&](std::int32_t kind, std::int64_t s, const std::vector<double>* value) {
    for (int r = 1; r < ranks; ++r) {
      if (std::find(lost_ranks.begin(), lost_ranks.end(), r) != lost_ranks.end()) continue;
      engine::Packet p;
      p.kind = kind;
      p.header[0] = s;
      if (value != nullptr) p.value = *value;
      net.SendControl(r, std::move(p));
    }
  };

  runtime::Tracer tracer(data_, problem, options_);
  tracer.SetEvaluator([&](std::span<const double> w) -> std::optional<double> {
    const std::int64_t s = ++seq;
    const std::vector<double> copy(w.begin(), w.end());
    broadcast(kEvalAsk, s, &copy);
    double sum = models::LossTotal(*model_, data_, w, options_.threads);
    const auto missing = collect([&sum, s](engine::Packet& p) {
      if (p.kind != kEvalReply || p.header[0] != s) return 0;
      sum += p.scalars[0];
      return 2;
    });
    if (!missing.empty()) {
      lose(missing);
      return std::nullopt;
    }
    return sum / static_cast<double>(total_rows_) + model_->Regulariser(w);
  });
  if (options_.test != nullptr) {
    tracer.SetTestMetric([this](std::span<const double> w) {
      return models::Accuracy(*model_, *options_.test, w, options_.threads);
    });
  }
  tracer.Begin(x0_);
  const double spacing = options_.trace_every_epochs * static_cast<double>(total_rows_);
  double next_trace = spacing;
  Status status = Status::kMaxEpochs;
  std::vector<engine::Packet> in;
  auto global_rows = [&] {
    std::int64_t rows = rows_done_.load(std::memory_order_relaxed);
    for (std::size_t r = 1; r < rows_of.size(); ++r) rows += rows_of[r];
    return static_cast<double>(rows);
  };
  std::optional<Snapshot> ended_at;  // the trace point whose verdict ended the run
  while (true) {
    in.clear();
    net.ReceiveControl(&in, Clock::now() + runtime::kPoll);
    for (engine::Packet& p : in) handle(p);
    if (team.failed() || !remote_failure.empty()) break;
    if (no_quorum_.load(std::memory_order_acquire) || !remote_no_quorum.empty()) {
      status = Status::kNoQuorum;
      break;
    }
    if (!lost_ranks.empty()) {
      status = Status::kPeerLost;
      break;
    }
    const double rows = global_rows();
    if (rows < budget_) {
      if (const auto limit = tracer.CheckLimits()) {
        status = *limit;
        break;
      }
      if (rows < next_trace) continue;
    }
    // A trace point: this rank's nodes paused while the others send theirs.
    const std::int64_t s = ++seq;
    const Clock::time_point pause_start = Clock::now();
    pausing_.store(true, std::memory_order_release);
    team.Pause();
    broadcast(kTraceAsk, s, nullptr);
    std::vector<std::vector<double>> remote;
    std::int64_t rounds = 0, skipped = 0, remote_rounds = 0, remote_skipped = 0;
    lose(collect([&](engine::Packet& p) {
      if (p.header[0] != s) return 0;
      if (p.kind == kTraceModel) {
        remote.push_back(std::move(p.value));
        return 1;
      }
      if (p.kind != kTraceEnd) return 0;
      remote_rounds += p.header[2];
      remote_skipped += p.header[3];
      return 2;
    }));
    std::vector<const std::vector<double>*> xs;
    for (const auto& node : nodes_) {
      rounds += node->rounds_done;
      skipped += node->rounds_skipped;
      if (!node->gone.load(std::memory_order_acquire)) xs.push_back(&node->x);
    }
    for (const auto& x : remote) {
      if (x.size() == x0_.size()) xs.push_back(&x);
    }
    Snapshot snap = Summarise(xs);
    runtime::Counters c;
    const double all_rows = global_rows();
    c.updates = static_cast<std::int64_t>(all_rows);
    c.epoch = all_rows / static_cast<double>(total_rows_);
    c.exchanges = rounds + remote_rounds;
    c.rounds_skipped = skipped + remote_skipped;
    for (const auto& node : nodes_) c.bytes_sent += node->bytes_sent.load(std::memory_order_relaxed);
    c.diameter = snap.diameter;
    c.max_distance = snap.max_distance;
    // Gathering the models (this rank paused, the others asked) is trace
    // work: off the solver clock, as Record's own.
    tracer.clock().Discount(Clock::now() - pause_start);
    std::optional<Status> verdict;
    if (snap.live > 0) verdict = tracer.Record(snap.mean, c);
    if (verdict) ended_at = snap;  // the run's result is this traced mean
    team.Resume();
    paused_ticks_.fetch_add((Clock::now() - pause_start).count(), std::memory_order_acq_rel);
    pausing_.store(false, std::memory_order_release);
    if (verdict) {
      status = *verdict;
      break;
    }
    if (!lost_ranks.empty()) {
      status = Status::kPeerLost;
      break;
    }
    if (rows >= budget_) break;  // kMaxEpochs
    while (next_trace <= rows) next_trace += spacing;
  }
  // The end: every rank stops its nodes and sends their final models.
  broadcast(kStopAll, 0, nullptr);
  team.RequestStop();
  std::exception_ptr own_error;
  try {
    team.Join();
  } catch (...) {
    own_error = std::current_exception();
  }
  std::vector<std::vector<double>> finals;
  std::vector<double> stats;  // per remote node: id, rounds, skipped, wait, restarts, gone
  lose(collect([&](engine::Packet& p) {
    if (p.kind == kFinalModel) {
      finals.push_back(std::move(p.value));
      return 1;
    }
    if (p.kind != kFinalEnd) return 0;
    stats.insert(stats.end(), p.value.begin(), p.value.end());
    return 2;
  }));
  if (own_error) std::rethrow_exception(own_error);
  if (!remote_failure.empty()) throw Error(ErrorKind::kIo, "decentralized under MPI: " + remote_failure);
  std::vector<const std::vector<double>*> xs;
  for (const auto& node : nodes_) {
    if (!node->gone.load(std::memory_order_acquire)) xs.push_back(&node->x);
  }
  for (const auto& x : finals) {
    if (x.size() == x0_.size()) xs.push_back(&x);
  }
  const Snapshot snap = ended_at ? std::move(*ended_at) : Summarise(xs);
  runtime::Counters c;
  const double all_rows = global_rows();
  c.updates = static_cast<std::int64_t>(all_rows);
  c.epoch = all_rows / static_cast<double>(total_rows_);
  c.diameter = snap.diameter;
  c.max_distance = snap.max_distance;
  Result result;
  for (const auto& node : nodes_) {
    result.members.push_back(StatsOf(*node));
    result.restarts += static_cast<int>(node->restarts);
    c.bytes_sent += node->bytes_sent.load(std::memory_order_relaxed);
  }
  for (std::size_t k = 0; k + 5 < stats.size(); k += 6) {
    MemberStats m;
    m.member = static_cast<int>(stats[k]);
    m.rounds = static_cast<std::int64_t>(stats[k + 1]);
    m.rounds_skipped = static_cast<std::int64_t>(stats[k + 2]);
    m.wait_seconds = stats[k + 3];
    result.restarts += static_cast<int>(stats[k + 4]);
    result.members.push_back(m);
  }
  std::sort(result.members.begin(), result.members.end(),
            [](const MemberStats& a, const MemberStats& b) { return a.member < b.member; });
  for (const MemberStats& m : result.members) {
    c.exchanges += m.rounds;
    c.rounds_skipped += m.rounds_skipped;
  }
  tracer.Finish(status, snap.mean.empty() ? tracer.best_finite_w() : snap.mean, c, &result);
  broadcast(kStopAll, 1, nullptr);  // done: the other ranks may leave
  FillResult(snap, c, &result);
  std::string what = Describe(problem, c.exchanges, c.rounds_skipped) + ", " + std::to_string(ranks) +
                     " mpi ranks (one cluster each)";
  if (status == Status::kNoQuorum) {
    std::lock_guard<std::mutex> lock(mutex_);
    what += "; no quorum: " + (no_quorum_message_.empty() ? remote_no_quorum : no_quorum_message_);
  }
  if (!lost_ranks.empty()) {
    std::sort(lost_ranks.begin(), lost_ranks.end());
    what += "; ranks silent for over " + runtime::ShortNumber(options_.peer_timeout) + " s (--peer-timeout): " +
            IdList(lost_ranks);
  }
  if (result.restarts > 0) what += "; " + std::to_string(result.restarts) + " restart(s) from a checkpoint";
  if (const std::string note = team.sched_note(); !note.empty()) what += "; rank 0: " + note;
  what += team.Report();
  result.message = what;
  return result;
}

}  // namespace

double SlidesStepBound(const Dataset& data, const Problem& problem, const Options& options) {
  if (options.model_kind != ModelKind::kLinear) return std::numeric_limits<double>::quiet_NaN();
  const DataGeometry geometry(data);
  const double L = CurvatureBound(problem.loss) * geometry.max_row_sq_norm + problem.l2;
  const double d = static_cast<double>(data.num_cols);
  const double m = static_cast<double>(Nodes(options));
  return 1.0 / (2.0 * L * d * (std::floor(m / 2.0) + 1.0));
}

void CheckDecentralizedOptions(const Problem& problem, const Options& options) {
  const std::string name = std::string(ToString(options.solver));
  if (problem.l1 > 0.0) {
    throw Error(ErrorKind::kUnsupported, "solver " + name + ": l1 = " + runtime::ShortNumber(problem.l1) +
                                             " is not supported (the nodes take plain SGD steps); use l2");
  }
  if (options.model_kind == ModelKind::kLinear && problem.loss == Loss::kHinge) {
    throw Error(ErrorKind::kUnsupported,
                "solver " + name + " needs a smooth loss for the linear model (logistic, squared-hinge, squared)");
  }
  const int n = options.threads;
  const DecentralizedOptions& o = options.decentralized;
  if (o.clusters > n) {
    throw Error(ErrorKind::kInvalidOption, "clusters = " + std::to_string(o.clusters) + ": more clusters than the " +
                                               std::to_string(n) + " nodes (--threads)");
  }
  if (o.quorum > n) {
    throw Error(ErrorKind::kInvalidOption, "quorum = " + std::to_string(o.quorum) + ": more than the " +
                                               std::to_string(n) + " nodes (--threads)");
  }
  for (const Fault& f : options.faults) {
    if (f.kind == Fault::Kind::kRestart && o.checkpoint_every == 0) {
      throw Error(ErrorKind::kInvalidOption, "fault " + ToString(f) +
                                                 ": a restart comes back from a checkpoint; set checkpoint_every "
                                                 "(--checkpoint-every K) to write one every K rounds");
    }
  }
}

void CheckDecentralized(const Dataset& data, const Problem& problem, const Options& options) {
  CheckDecentralizedOptions(problem, options);
  const auto model = models::MakeModel(models::SpecFor(data, problem, options), data);
  if (!options.initial_w.empty() && static_cast<std::int64_t>(options.initial_w.size()) != model->NumParameters()) {
    throw Error(ErrorKind::kInvalidOption, "initial_w has " + std::to_string(options.initial_w.size()) +
                                               " entries, the " + std::string(ToString(options.model_kind)) +
                                               " model has " + std::to_string(model->NumParameters()) +
                                               " parameters");
  }
  if (options.threads > data.num_rows) {
    throw Error(ErrorKind::kInvalidOption, "threads = " + std::to_string(options.threads) +
                                               ": more nodes than the data's " + std::to_string(data.num_rows) +
                                               " rows");
  }
}

double DecentralizedMemoryBytes(const Dataset& data, const Options& options) {
  double P = static_cast<double>(data.num_cols);
  if (options.model_kind != ModelKind::kLinear) {
    P *= std::max(1, data.num_classes()) + (options.model_kind == ModelKind::kMlp ? options.hidden : 0);
  }
  const double n = std::max(1, options.threads);
  // Per node: x, y, g, workspace, about n models in its inbox, its register
  // and the agreement's scratch.
  return n * (n + 8.0) * 8.0 * P + 8.0 * static_cast<double>(data.num_rows);
}

Result RunDecentralizedRank(engine::Transport& ep, const Dataset& part, std::int64_t total_rows,
                            const Problem& problem, const Options& options) {
  RankPeerNet net(ep, options.threads, ep.size());
  Peers peers(part, problem, options, net, net.first(), net.local(), total_rows);
  return peers.RunRank(problem, net);
}

Result RunDecentralized(const Dataset& data, const Problem& problem, const Options& options) {
  CheckDecentralized(data, problem, options);
  ThreadPeerNet net(options.threads);
  Peers peers(data, problem, options, net, 0, options.threads, data.num_rows);
  return peers.Run(problem);
}

}  // namespace asyncopt::algorithms
