// The master/worker engine (issue 15, section 3): rank 0 is the master (the
// thread that called Solve, or MPI rank 0), ranks 1..M the workers (team
// members, or MPI ranks). The engine owns everything but the algorithm:
// start-up, the schedule of replies, the row budget of --max-epochs, trace
// points (workers quiet, the objective evaluated where the data lives),
// stop, silent peers, injected faults on the master and errors. The
// algorithm supplies
//   Worker: shard_rows(), Apply(reply), Step(passes, stop, out) -> rows,
//           ShardLossSum(w packet)
//   Master: Begin(shard rows), Absorb(worker, packet, stopping) -> AbsorbResult,
//           Reply(worker, out), w(), counters()
// (soda.cpp is the first; DisSVRG, SPARS-AMS follow).
//
// The protocol, per worker: Hello (its shard size) -> Go (a grant of passes)
// -> [Step -> Reply(grant)]* -> Stop -> Bye. A worker waits for the master
// only between steps, blocked in a receive with a deadline; a Stop reaches
// it also inside a step and inside an injected sleep. Trace points need no
// gate: the master sends Evaluate(w) and holds its replies, so no worker
// starts a new step; each answers when its current step ends (a sleeping
// one at once) with its shard's loss and its evaluation time, and the rest
// of the wait (the steps ending; their mean over the workers) is credited
// back to the solver clock.
//
// The schedule is a policy: which held messages may be answered now.
//   Async (SODA, DAve-PG): every held message, at the end of each batch.
//   SyncRounds (SPARS-AMS, next issue): none until every live worker's
//     message of the round is held, then all of them.
//   BoundedStaleness{tau} (DisSVRG, PetuumSGD): a worker at clock c only
//     once every worker's clock is >= c - tau (per-worker clocks ride in
//     Packet::clock); S block servers are S masters, each the engine's
//     master for its block of w.
// The decentralized (peer) engine of issue 18 is a different loop over the
// same Transport and Team.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <functional>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "asyncopt/error.hpp"
#include "asyncopt/solver.hpp"
#include "engine/transport.hpp"
#include "runtime/team.hpp"
#include "runtime/tracer.hpp"

namespace asyncopt::engine {

using SteadyClock = std::chrono::steady_clock;

// Header slots the engine reserves in the packets it carries for the
// algorithm: the grant (passes of the shard the worker may compute) in
// master -> worker packets, the rows computed in worker -> master ones.
inline constexpr std::size_t kGrantSlot = 3;
inline constexpr std::size_t kRowsSlot = 3;
// Hello: header[0] = the worker's shard rows.

// Block servers (parameter-server algorithms with S > 1 servers): ranks
// 1..S-1 own blocks of w beside the master (rank 0, block 0); the workers
// are then ranks S..S+M-1. The master asks them for their blocks at trace
// points and at the stop (kSnapshot, a request with the master's
// per-worker clocks; kBlock, the reply: [their clocks][their block],
// header[0..1] their traffic received and sent), and stops them last.
// A block server with nothing else to say tells the master it is alive
// (kHeartbeat) every max(kPoll, peer_timeout / 8), so a hung one is found
// and named within peer_timeout, not blamed on the workers waiting for it.
inline constexpr std::int32_t kHeartbeat = kFirstAlgorithmKind - 3;
inline constexpr std::int32_t kSnapshot = kFirstAlgorithmKind - 2;
inline constexpr std::int32_t kBlock = kFirstAlgorithmKind - 1;

// A peer silent past --peer-timeout.
class PeerLost : public std::runtime_error {
 public:
  PeerLost(int rank, const std::string& what) : std::runtime_error(what), rank_(rank) {}
  int rank() const { return rank_; }

 private:
  int rank_;
};

// What Master::Absorb tells the engine.
struct AbsorbResult {
  bool diverged = false;          // a restart was needed and none are left
  std::int64_t rows_returned = 0;  // a dropped message's rows go back to the budget
};

// What a worker step may look at: a stop decided while it computes.
struct StepControl {
  std::function<bool()> stop_requested;
};

inline SteadyClock::duration Seconds(double s) {
  return std::chrono::duration_cast<SteadyClock::duration>(
      std::chrono::duration<double>(std::min(s, 86400.0)));
}

// ------------------------------------------------------------- worker side

// Tells the master (rank 0) that this worker failed, with the error's text
// (kFailed); best effort: a failure to send is swallowed. RunWorker does it
// for errors in the protocol; a worker that fails before it (its state or
// thread could not be made) calls it itself, so the master does not wait
// for a Hello that will never come.
inline void SendFailure(Transport& net, const std::exception& e) {
  try {
    Packet p = net.NewPacket();
    p.kind = kFailed;
    const std::string text = e.what();
    p.value.assign(text.begin(), text.end());  // one char per double: small, rare
    net.Send(0, std::move(p));
  } catch (...) {
  }
}

// Runs one worker until the master says stop. `member` is its team member
// (threads) or the member of its rank's one-thread team (MPI): the fault
// plan, and the stop of the process. The worker reads its inbox at every
// wait and at the stop checks of a step, so a kStop ends a step or an
// injected sleep at once and an Evaluate is answered by a sleeping worker;
// after a kStop it says kBye and returns. Errors are reported to the
// master (kFailed) before they leave.
template <class Worker>
void RunWorker(Transport& net, Worker& worker, runtime::Member& member, double peer_timeout) {
  auto send = [&](std::int32_t kind, auto&& fill) {
    Packet p = net.NewPacket();
    p.kind = kind;
    fill(p);
    net.Send(0, std::move(p));
  };
  std::vector<Packet> pending;  // replies and requests not yet handled, oldest first
  std::vector<Packet> incoming;
  bool stop_seen = false;
  // A trace request: the shard's loss at its w, and how long that took.
  auto evaluate = [&](const Packet& p) {
    const SteadyClock::time_point t0 = SteadyClock::now();
    const double loss = worker.ShardLossSum(p);
    const double seconds = std::chrono::duration<double>(SteadyClock::now() - t0).count();
    send(kEvaluated, [&](Packet& q) {
      q.scalars[0] = loss;
      q.scalars[1] = seconds;
    });
  };
  // Takes what has arrived: the stop is noted, trace requests are answered
  // when `answer` (the worker is between steps), the rest waits in pending.
  auto take = [&](bool answer) {
    for (Packet& p : incoming) {
      if (p.kind == kStop) {
        stop_seen = true;
        net.Recycle(std::move(p));
      } else if (p.kind == kEvaluate && answer) {
        evaluate(p);
        net.Recycle(std::move(p));
      } else {
        pending.push_back(std::move(p));
      }
    }
    incoming.clear();
    if (member.stop_requested()) stop_seen = true;  // the process stops (threads: the caller)
  };
  auto bye = [&] { send(kBye, [](Packet&) {}); };
  try {
    send(kHello, [&](Packet& p) { p.header[0] = worker.shard_rows(); });
    StepControl control{[&] {
      net.ReceiveAll(&incoming);
      take(false);
      return stop_seen;
    }};
    // The grant of the master's last reply, until a step uses it. With
    // block servers a step also waits for every server's reply (Ready()).
    std::int64_t grant = 0;
    auto ready = [&] {
      if constexpr (requires { worker.Ready(); }) {
        return worker.Ready();
      } else {
        return true;
      }
    };
    for (;;) {
      // Handle what waits: trace requests, then the replies (or Go) and the grant.
      for (std::size_t k = 0; k < pending.size(); ++k) {
        Packet& in = pending[k];
        if (in.kind == kEvaluate) {
          evaluate(in);
        } else {
          worker.Apply(in);
          if (in.from == 0) grant = in.header[kGrantSlot];
        }
        net.Recycle(std::move(in));
      }
      pending.clear();
      if (stop_seen) {
        bye();
        return;
      }
      if (grant <= 0 || !ready()) {
        // Wait for the master: a reply, a trace request, the stop. The
        // master judges silence (a silent worker within peer_timeout); a
        // worker gives up on the master only after twice that, so a lost
        // worker is never mistaken for a lost master.
        const SteadyClock::time_point give_up = SteadyClock::now() + Seconds(2.0 * peer_timeout);
        while (pending.empty() && !stop_seen) {
          if (net.ReceiveUntil(&incoming, std::min(give_up, SteadyClock::now() + runtime::kPoll)) > 0) {
            take(false);  // trace requests wait in pending: answered in order above
            continue;
          }
          if (member.stop_requested()) stop_seen = true;
          if (SteadyClock::now() >= give_up) {
            char text[128];
            std::snprintf(text, sizeof text,
                          "the master (rank 0) was silent for over %g s (twice --peer-timeout)",
                          2.0 * peer_timeout);
            throw PeerLost(0, text);
          }
        }
        continue;
      }
      const SteadyClock::time_point t0 = SteadyClock::now();
      Packet out = net.NewPacket();
      const std::int64_t rows = worker.Step(grant, control, &out);
      // (grant is consumed below, once the step has been sent)
      out.header[kRowsSlot] = rows;
      // Injected faults: a crash is silence from now on; a slow or stalled
      // worker sleeps before its message leaves (its result arrives late),
      // answering trace requests meanwhile and waking for the stop.
      const runtime::Member::FaultAction fault = member.PlanAfterWork(1, SteadyClock::now() - t0);
      if (fault.crashed) return;
      const SteadyClock::time_point until = SteadyClock::now() + fault.sleep;
      while (!stop_seen && SteadyClock::now() < until) {
        if (net.ReceiveUntil(&incoming, std::min(until, SteadyClock::now() + runtime::kPoll)) > 0) {
          take(true);
        } else if (member.stop_requested()) {
          stop_seen = true;
        }
      }
      // The step (complete or abandoned) is always sent: to the block
      // servers (their parts), then to the master.
      if constexpr (requires { worker.Outbox(); }) {
        for (auto& [to, packet] : worker.Outbox()) net.Send(to, std::move(packet));
        worker.Outbox().clear();
      }
      net.Send(0, std::move(out));
      grant = 0;
    }
  } catch (const PeerLost&) {
    throw;
  } catch (const std::exception& e) {
    SendFailure(net, e);
    throw;
  }
}

// ------------------------------------------------------- block server side

// Runs block server `net.rank()` (1..S-1) until the master says stop. The
// algorithm supplies
//   BlockServer: Absorb(worker, packet), Ready(worker), Reply(worker, out),
//                Clocks() (per-worker step counts), Block(values)
// Workers are ranks `first_worker`.. (their index = rank - first_worker).
// Each step message is absorbed as it comes; its reply leaves when Ready
// allows (in arrival order). A kSnapshot is answered once the server's
// clocks have reached the master's (the steps the master has absorbed are
// on their way here too), so the blocks of a trace point or of the final
// point are those of one set of steps. Injected faults: slow and stall after
// a batch; a crash is silence. Errors go to the master (kFailed).
template <class BlockServer>
void RunBlockServer(Transport& net, BlockServer& server, runtime::Member& member, int first_worker,
                    double peer_timeout) {
  std::vector<Packet> in;
  std::vector<int> waiting;
  std::optional<std::vector<std::int64_t>> snapshot;  // the master's clocks, when asked
  bool stop = false;
  SteadyClock::time_point heard = SteadyClock::now();
  SteadyClock::time_point told = SteadyClock::now();  // the last message to the master
  const auto beat = std::max<SteadyClock::duration>(runtime::kPoll, Seconds(peer_timeout / 8.0));
  auto hello = [&](std::int32_t kind) {
    Packet p = net.NewPacket();
    p.kind = kind;
    net.Send(0, std::move(p));
    told = SteadyClock::now();
  };
  try {
    hello(kHello);
    std::int64_t batches = 0;
    while (!stop) {
      in.clear();
      if (SteadyClock::now() - told >= beat) hello(kHeartbeat);
      if (net.ReceiveUntil(&in, SteadyClock::now() + runtime::kPoll) == 0) {
        if (member.stop_requested()) break;  // threads: the run is over
        if (SteadyClock::now() - heard > Seconds(2.0 * peer_timeout)) {
          char text[160];
          std::snprintf(text, sizeof text,
                        "block server %d heard nobody for over %g s (twice --peer-timeout)", net.rank(),
                        2.0 * peer_timeout);
          throw PeerLost(0, text);
        }
        continue;
      }
      heard = SteadyClock::now();
      const SteadyClock::time_point t0 = SteadyClock::now();
      for (Packet& p : in) {
        if (p.from == 0 && p.kind == kStop) {
          stop = true;
        } else if (p.from == 0 && p.kind == kSnapshot) {
          snapshot.emplace(p.value.begin(), p.value.end());
        } else if (p.from >= first_worker && p.kind >= kFirstAlgorithmKind) {
          const int i = p.from - first_worker;
          server.Absorb(i, p);
          waiting.push_back(i);
        }
        net.Recycle(std::move(p));
      }
      if (stop) break;
      std::size_t kept = 0;
      for (const int i : waiting) {
        if (server.Ready(i)) {
          Packet out = net.NewPacket();
          server.Reply(i, &out);
          net.Send(i + first_worker, std::move(out));
        } else {
          waiting[kept++] = i;
        }
      }
      waiting.resize(kept);
      if (snapshot) {
        const std::vector<std::int64_t>& clocks = server.Clocks();
        bool reached = clocks.size() == snapshot->size();
        for (std::size_t k = 0; reached && k < clocks.size(); ++k) reached = clocks[k] >= (*snapshot)[k];
        if (reached) {
          Packet out = net.NewPacket();
          out.kind = kBlock;
          out.value.assign(clocks.begin(), clocks.end());
          server.Block(&out.value);
          out.header[0] = net.traffic().bytes_received;
          out.header[1] = net.traffic().bytes_sent;
          net.Send(0, std::move(out));
          told = SteadyClock::now();
          snapshot.reset();
        }
      }
      ++batches;
      const runtime::Member::FaultAction fault = member.PlanAfterWork(1, SteadyClock::now() - t0);
      if (fault.crashed) return;
      const SteadyClock::time_point until = SteadyClock::now() + fault.sleep;
      while (SteadyClock::now() < until && !member.stop_requested()) {
        std::this_thread::sleep_for(std::min<SteadyClock::duration>(until - SteadyClock::now(), runtime::kPoll));
      }
    }
    hello(kBye);
  } catch (const PeerLost&) {
    throw;
  } catch (const std::exception& e) {
    SendFailure(net, e);
    throw;
  }
}

// ------------------------------------------------------------- master side

struct MasterOutcome {
  std::optional<Status> verdict;
  // The point where the stop was decided and its counters (messages still in
  // flight are applied afterwards but do not change the returned point).
  std::vector<double> final_w;
  std::optional<runtime::Counters> final_counters;
  double busy_seconds = 0.0;
  std::string team_report;        // lost / failed workers, for the message
  std::exception_ptr worker_error;  // a worker's kFailed (MPI: its text)
};

// The master's loop for an asynchronous schedule (SODA, DAve-PG). `tracer`
// must evaluate through `EvaluateOnWorkers` (see MasterWorkerRun).
template <class Master>
class MasterLoop {
 public:
  MasterLoop(Transport& net, Master& master, runtime::Tracer& tracer, const Options& options,
             std::int64_t rows, std::int32_t dim, int block_servers = 0)
      : net_(net),
        master_(master),
        tracer_(tracer),
        options_(options),
        rows_(rows),
        dim_(dim),
        blocks_(block_servers),
        first_(1 + block_servers),
        workers_(net.size() - 1 - block_servers),
        block_state_(static_cast<std::size_t>(block_servers), State::kStarting),
        block_traffic_(static_cast<std::size_t>(block_servers)),
        block_since_(static_cast<std::size_t>(block_servers), SteadyClock::now()),
        state_(static_cast<std::size_t>(workers_), State::kStarting),
        since_(static_cast<std::size_t>(workers_)),
        asked_(static_cast<std::size_t>(workers_), false),
        shard_rows_(static_cast<std::size_t>(workers_), 0),
        plan_(options.faults, 0),
        grant_rows_(static_cast<std::size_t>(workers_), 0) {
    const std::int64_t limit =
        std::numeric_limits<std::int64_t>::max() / std::max<std::int64_t>(rows, 1);
    if (options.max_epochs < limit) budget_ = options.max_epochs * rows;
  }

  // The shard sizes the workers announced (after Start).
  const std::vector<std::int64_t>& shard_rows() const { return shard_rows_; }

  // Waits for every worker's Hello (at most peer_timeout); Go then lets them
  // compute. Between the two every worker waits (the first trace point).
  // False when the run cannot start: a worker never said Hello within
  // peer_timeout (it is lost: a process that died or crashed at step 0;
  // verdict kPeerLost) or the stop check fired meanwhile (kInterrupted);
  // StopBeforeStart then ends it.
  bool Handshake() {
    const SteadyClock::time_point give_up = SteadyClock::now() + Seconds(options_.peer_timeout);
    int hellos = 0;
    std::vector<Packet> in;
    bool started = true;
    int block_hellos = 0;
    while (hellos < workers_ || block_hellos < blocks_) {
      in.clear();
      if (net_.ReceiveUntil(&in, std::min(give_up, SteadyClock::now() + runtime::kPoll)) == 0) {
        if (SteadyClock::now() >= give_up) {
          for (int i = 0; i < workers_; ++i) {
            if (state_[static_cast<std::size_t>(i)] != State::kStarting) continue;
            state_[static_cast<std::size_t>(i)] = State::kLost;
            lost_.push_back(i);
            never_started_.push_back(i);
          }
          for (int b = 0; b < blocks_; ++b) {
            if (block_state_[static_cast<std::size_t>(b)] == State::kStarting) {
              block_state_[static_cast<std::size_t>(b)] = State::kLost;
              block_report_ += "; block server " + std::to_string(b + 1) + " (rank " + std::to_string(b + 1) +
                               ") never reported within " + runtime_text(options_.peer_timeout) +
                               " s (--peer-timeout)";
            }
          }
          if (!verdict_) verdict_ = Status::kPeerLost;
          started = false;
          break;
        }
        if (stop_check_ && stop_check_()) {
          if (!verdict_) verdict_ = Status::kInterrupted;
          started = false;
          break;
        }
        continue;
      }
      for (Packet& p : in) {
        if (IsBlockServer(p.from)) {
          const auto b = static_cast<std::size_t>(p.from - 1);
          if (p.kind == kFailed) {
            RecordFailure(p);
            block_state_[b] = State::kFailed;
          } else if (p.kind == kHello && block_state_[b] == State::kStarting) {
            block_state_[b] = State::kIdle;
            ++block_hellos;
          }
          continue;
        }
        const int i = p.from - first_;
        if (i < 0 || i >= workers_) continue;
        if (p.kind == kFailed) {
          RecordFailure(p);
          state_[static_cast<std::size_t>(i)] = State::kFailed;
        }
        if (p.kind != kHello) continue;
        shard_rows_[static_cast<std::size_t>(i)] = p.header[0];
        state_[static_cast<std::size_t>(i)] = State::kIdle;
        ++hellos;
      }
      // A worker that failed before its Hello: the others are stopped
      // (StopBeforeStart) and the error reaches the caller with the outcome.
      if (worker_error_) {
        if (!verdict_) verdict_ = Status::kInterrupted;
        started = false;
        break;
      }
    }
    master_.Begin(shard_rows_);
    std::fill(block_since_.begin(), block_since_.end(), SteadyClock::now());
    return started;
  }

  // Ends a run whose Handshake failed, before any step: every worker not
  // lost or failed is told to stop and waited for (its Bye, judged as in
  // Run). The outcome has no final point (the caller's is the starting
  // point); a worker's failure is its worker_error.
  MasterOutcome StopBeforeStart() {
    stopping_ = true;
    for (int i = 0; i < workers_; ++i) {
      const State st = state_[static_cast<std::size_t>(i)];
      if (st == State::kIdle || st == State::kStarting) SendStop(i);
    }
    return Run([](std::optional<Status> v) { return v; });
  }

  void Go() {
    for (int i = 0; i < workers_; ++i) {
      Packet go = net_.NewPacket();
      go.kind = kGo;
      go.header[kGrantSlot] = Grant(i);
      const State next = go.header[kGrantSlot] > 0 ? State::kComputing : State::kIdle;
      Send(i, std::move(go), next);
    }
  }

  // Rows granted to the workers so far (net of rows given back).
  std::int64_t rows_granted() const { return granted_; }

  // The schedule (see the top of this file): whether worker i's held
  // message may be answered now. Unset: every held message at the end of
  // each batch (asynchronous). A rule that holds a message must become true
  // once other workers' messages arrive (bounded staleness: the slowest
  // worker is always answered).
  void SetSchedule(std::function<bool(int worker)> ready) { ready_ = std::move(ready); }

  // What messages call the workers ("worker"; DisSVRG: "trainer").
  void SetRole(std::string role) { role_ = std::move(role); }

  // An extra stop condition looked at while waiting (the team failed, ...).
  void SetStopCheck(std::function<bool()> check) { stop_check_ = std::move(check); }
  // Called when the stop is decided, before its point is taken (SODA: back
  // to the best round's point when the run diverged).
  void SetOnStop(std::function<void(Status)> hook) { on_stop_ = std::move(hook); }

  // The trace evaluator: F(w) from the workers' shard losses. Called by the
  // tracer (off the clock); every worker is waiting (held or idle) then.
  // Workers still computing answer when their step ends (no new step
  // starts: the master holds its replies meanwhile), sleeping ones at once.
  std::optional<double> EvaluateOnWorkers(std::span<const double> w) {
    // A worker gone (lost, failed, stopped) took its shard's loss with it.
    if (!AllLive()) return std::nullopt;
    evaluating_ = true;
    struct Done {
      bool& flag;
      ~Done() { flag = false; }
    } done{evaluating_};
    // The payload once (sparse pairs when smaller), copied to each worker.
    std::int64_t nnz = 0;
    for (const double v : w) nnz += v != 0.0;
    const bool sparse = 12 * nnz < 8 * static_cast<std::int64_t>(w.size());
    std::vector<std::int32_t> pairs_index;
    std::vector<double> pairs_value;
    if (sparse) {
      pairs_index.reserve(static_cast<std::size_t>(nnz));
      pairs_value.reserve(static_cast<std::size_t>(nnz));
      for (std::size_t j = 0; j < w.size(); ++j) {
        if (w[j] != 0.0) {
          pairs_index.push_back(static_cast<std::int32_t>(j));
          pairs_value.push_back(w[j]);
        }
      }
    }
    int asked = 0;
    for (int i = 0; i < workers_; ++i) {
      if (!Live(i)) continue;
      Packet p = net_.NewPacket();
      p.kind = kEvaluate;
      if (sparse) {
        p.index.assign(pairs_index.begin(), pairs_index.end());
        p.value.assign(pairs_value.begin(), pairs_value.end());
        if (p.index.empty()) p.header[0] = 1;  // w = 0: an empty sparse payload
      } else {
        p.value.assign(w.begin(), w.end());
      }
      net_.Send(i + first_, std::move(p));
      asked_[static_cast<std::size_t>(i)] = true;
      since_eval_ = SteadyClock::now();
      ++asked;
    }
    double loss_sum = 0.0;
    std::vector<double> losses(static_cast<std::size_t>(workers_), 0.0);
    SteadyClock::duration overlap{0};
    int answered = 0;
    std::vector<Packet> in;
    while (answered < asked) {
      in.clear();
      if (Receive(&in) == 0) {
        if (!lost_.empty() || worker_error_) {
          std::fill(asked_.begin(), asked_.end(), false);
          return std::nullopt;
        }
        continue;
      }
      for (Packet& p : in) {
        if (p.kind == kEvaluated) {
          losses[static_cast<std::size_t>(p.from - first_)] = p.scalars[0];
          asked_[static_cast<std::size_t>(p.from - first_)] = false;
          // The time it took this worker to answer beyond its evaluation:
          // the rest of the step it was computing when asked.
          overlap += std::max(SteadyClock::duration::zero(),
                              SteadyClock::now() - since_eval_ - Seconds(p.scalars[1]));
          ++answered;
          net_.Recycle(std::move(p));
        } else {
          Hold(std::move(p));  // a step that ended meanwhile: the next batch
        }
      }
      if (worker_error_) {
        std::fill(asked_.begin(), asked_.end(), false);
        return std::nullopt;
      }
    }
    // Steps that ended during the pause were the solver's work: the clock
    // gets back the time the team needs for them, the mean of the workers'
    // remainders (M workers in parallel do M remainders' work in their mean;
    // the longest would also count the time the early finishers idled, which
    // an untraced run spends on further steps).
    if (asked > 0) tracer_.clock().Credit(overlap / asked);
    for (const double l : losses) loss_sum += l;  // fixed order: rank order
    double sq = 0.0, abs = 0.0;
    for (const double v : w) {
      sq += v * v;
      abs += std::fabs(v);
    }
    if (regulariser_) return loss_sum / static_cast<double>(rows_) + regulariser_(w);
    return loss_sum / static_cast<double>(rows_) + 0.5 * problem_l2_ * sq + problem_l1_ * abs;
  }
  // F = mean loss + (l2/2)||w||^2 + l1||w||_1 (the linear problem), or + a
  // model's own regulariser (spars-ams: the perceptron leaves its biases out).
  void SetRegulariser(double l1, double l2) {
    problem_l1_ = l1;
    problem_l2_ = l2;
  }
  void SetRegulariser(std::function<double(std::span<const double>)> regulariser) {
    regulariser_ = std::move(regulariser);
  }

  // The loop: batches of messages, applied, judged, answered. Returns when
  // every worker has been told to stop (or was lost). `on_trace_verdict`
  // lets the algorithm turn a verdict (SODA: diverged -> restart).
  MasterOutcome Run(const std::function<std::optional<Status>(std::optional<Status>)>& on_trace_verdict) {
    auto next_trace_after = [&](double epoch) {
      return options_.trace_every_epochs * (std::floor(epoch / options_.trace_every_epochs) + 1.0);
    };
    double next_trace = next_trace_after(0.0);
    std::vector<Packet> batch;
    std::int64_t batches = 0;
    try {
      while (Open()) {
        batch.clear();
        // Messages held during a trace point come first.
        for (Packet& p : held_) batch.push_back(std::move(p));
        held_.clear();
        if (batch.empty() && Receive(&batch) == 0) {
          FlushStop();
          CheckLimits();
          continue;
        }
        const SteadyClock::time_point t0 = SteadyClock::now();
        for (Packet& p : batch) {
          if (IsBlockServer(p.from)) {
            BlockServerMessage(p);
            continue;
          }
          const int i = p.from - first_;
          if (p.kind == kFailed) {
            RecordFailure(p);
            state_[static_cast<std::size_t>(i)] = State::kFailed;
            RequestStop(Status::kInterrupted);
            continue;
          }
          if (p.kind == kBye) {
            state_[static_cast<std::size_t>(i)] = State::kStopped;
            continue;
          }
          if (p.kind == kEvaluated) {  // a late answer to an abandoned trace point
            asked_[static_cast<std::size_t>(i)] = false;
            continue;
          }
          if (p.kind < kFirstAlgorithmKind) continue;  // stray control message
          TakeStep(p);
        }
        // A stop decided while the batch was taken (a silent or failed
        // member) takes effect once every step of the batch is absorbed.
        FlushStop();
        SteadyClock::duration busy = SteadyClock::now() - t0;
        if (!stopping_) {
          const runtime::Counters c = master_.counters();
          if (c.epoch >= next_trace) {
            next_trace = next_trace_after(c.epoch);
            // Block servers: their blocks at one set of steps (a failed
            // gather has decided the stop; its point is not traced).
            if (Gather() && !stopping_) {
              std::optional<Status> v = tracer_.Record(master_.w(), Counters(c));
              if (!lost_.empty()) v = Status::kPeerLost;
              v = on_trace_verdict(v);
              if (v) BeginStop(*v);
              FlushStop();
            }
          } else {
            CheckLimits();
          }
          if (!stopping_ && c.epoch >= static_cast<double>(options_.max_epochs)) BeginStop(Status::kMaxEpochs);
        }
        const SteadyClock::time_point t1 = SteadyClock::now();
        // The schedule: each message is answered once the rule allows,
        // in arrival order; the others wait (held) for a later batch.
        AnswerReady();
        // Rows given back (dropped messages) let idle workers go on.
        if (!stopping_) {
          for (int i = 0; i < workers_; ++i) {
            if (state_[static_cast<std::size_t>(i)] != State::kIdle) continue;
            const std::int64_t g = Grant(i);
            if (g == 0) continue;
            Packet go = net_.NewPacket();
            go.kind = kGo;
            go.header[kGrantSlot] = g;
            Send(i, std::move(go), State::kComputing);
          }
        }
        // Nobody computing and nobody to answer: nothing more can happen.
        // With the row budget spent (the schedule waits for a worker that
        // has no grant) the run ends on its epoch budget; otherwise the
        // schedule holds every worker, which is a bug: an error, not a hang.
        if (!stopping_ && Stalled()) {
          if (granted_ < budget_) {
            throw std::logic_error("the schedule holds every worker and none computes (" +
                                   std::to_string(waiting_.size()) + " held) with " +
                                   std::to_string(budget_ - granted_) + " rows of the budget left");
          }
          BeginStop(Status::kMaxEpochs);
        }
        busy += SteadyClock::now() - t1;
        busy_seconds_ += std::chrono::duration<double>(busy).count();
        ++batches;
        MasterFaults(batches, busy);
      }
    } catch (...) {
      // An error on the master (out of memory, a throwing trace callback):
      // everyone stops, the error goes to the caller.
      master_error_ = std::current_exception();
      try {
        BeginStop(Status::kInterrupted);
      } catch (...) {
      }
    }
    // Workers lost or crashed still get the stop (a stalled one may wake).
    for (int i = 0; i < workers_; ++i) {
      if (state_[static_cast<std::size_t>(i)] == State::kLost) {
        try {
          SendStop(i);
        } catch (...) {
        }
      }
    }
    StopBlockServers();
    if (master_error_) std::rethrow_exception(master_error_);
    MasterOutcome out;
    out.verdict = verdict_;
    out.final_w = std::move(final_w_);
    out.final_counters = final_counters_;
    out.busy_seconds = busy_seconds_;
    out.worker_error = worker_error_;
    out.team_report += block_report_;
    for (const int i : lost_) {
      const bool never = std::find(never_started_.begin(), never_started_.end(), i) != never_started_.end();
      out.team_report += "; " + role_ + " " + std::to_string(i + 1) + " (rank " + std::to_string(i + first_) + ") " +
                         (never ? "never reported within " : "silent for over ") +
                         runtime_text(options_.peer_timeout) + " s (--peer-timeout)";
    }
    return out;
  }

  double busy_seconds() const { return busy_seconds_; }
  runtime::Counters Counters(runtime::Counters c) const {
    const double seconds = tracer_.Seconds();
    c.master_busy = seconds > 0.0 ? std::min(1.0, busy_seconds_ / seconds) : 0.0;
    const Traffic& t = net_.traffic();
    c.bytes_sent = t.bytes_received;  // workers -> master: what the master received
    c.bytes_returned = t.bytes_sent;
    for (const auto& [received, sent] : block_traffic_) {  // as the block servers last reported
      c.bytes_sent += received;
      c.bytes_returned += sent;
    }
    return c;
  }

 private:
  enum class State { kStarting, kComputing, kHeld, kIdle, kStopping, kStopped, kLost, kFailed };

  static std::string runtime_text(double s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", s);
    return buf;
  }

  bool Open() const {
    for (int i = 0; i < workers_; ++i) {
      const State s = state_[static_cast<std::size_t>(i)];
      if (s != State::kStopped && s != State::kLost && s != State::kFailed) return true;
    }
    return false;
  }
  bool AllLive() const {
    for (int i = 0; i < workers_; ++i) {
      if (!Live(i)) return false;
    }
    return true;
  }
  // Still taking part: not stopped, lost or failed.
  bool Live(int i) const {
    const State s = state_[static_cast<std::size_t>(i)];
    return s == State::kComputing || s == State::kHeld || s == State::kIdle;
  }

  // Passes of its shard worker i may compute now: up to local_steps, as the
  // budget allows (the rows granted never pass max_epochs x m by more than
  // one shard).
  std::int64_t Grant(int i) {
    const std::int64_t n = std::max<std::int64_t>(1, shard_rows_[static_cast<std::size_t>(i)]);
    if (granted_ >= budget_) return 0;
    // Passes while rows remain (the last may pass the budget), at most K.
    const std::int64_t left = (budget_ - granted_ + n - 1) / n;
    const std::int64_t passes = std::min(passes_per_step_, left);
    const std::int64_t before = granted_;
    granted_ = passes > (std::numeric_limits<std::int64_t>::max() - granted_) / n
                   ? std::numeric_limits<std::int64_t>::max()
                   : granted_ + passes * n;
    grant_rows_[static_cast<std::size_t>(i)] = granted_ - before;
    return passes;
  }

  // A step computed `rows` rows on a grant of grant_rows_[i]: the budget
  // counts what was computed (a step of fewer rows than it was granted, an
  // SSP epoch of m < n_i updates or one stopped early, leaves the rest to
  // later grants; one of more rows, the n_i + m of a DisSVRG epoch, takes
  // them).
  void Settle(int i, std::int64_t rows) {
    std::int64_t& g = grant_rows_[static_cast<std::size_t>(i)];
    if (granted_ != std::numeric_limits<std::int64_t>::max() && rows >= 0) {
      const std::int64_t room = std::numeric_limits<std::int64_t>::max() - granted_;
      granted_ = rows - g > room ? std::numeric_limits<std::int64_t>::max() : granted_ + (rows - g);
    }
    g = 0;
  }

 public:
  void SetPassesPerStep(std::int64_t k) { passes_per_step_ = std::max<std::int64_t>(1, k); }

 private:
  void Send(int i, Packet&& p, State next) {
    net_.Send(i + first_, std::move(p));
    state_[static_cast<std::size_t>(i)] = next;
    since_[static_cast<std::size_t>(i)] = SteadyClock::now();
  }
  // The stop: the worker ends what it does, sends what it has and says
  // kBye (state kStopping until then).
  void SendStop(int i) {
    Packet p = net_.NewPacket();
    p.kind = kStop;
    net_.Send(i + first_, std::move(p));
    if (state_[static_cast<std::size_t>(i)] != State::kLost) {
      state_[static_cast<std::size_t>(i)] = State::kStopping;
      since_[static_cast<std::size_t>(i)] = SteadyClock::now();
    }
  }

  // Answers the waiting workers the schedule allows now, in arrival order.
  void AnswerReady() {
    if (stopping_ || master_error_) {
      waiting_.clear();
      return;
    }
    std::size_t kept = 0;
    for (const int i : waiting_) {
      if (!ready_ || ready_(i)) {
        Answer(i);
      } else {
        waiting_[kept++] = i;
      }
    }
    waiting_.resize(kept);
  }

  // Every live worker idle or held, none computing, none answerable.
  bool Stalled() const {
    bool any_live = false;
    for (int i = 0; i < workers_; ++i) {
      const State s = state_[static_cast<std::size_t>(i)];
      if (s == State::kComputing || s == State::kStarting) return false;
      any_live = any_live || Live(i);
    }
    return any_live && held_.empty();
  }

  // Replies to worker i's held message: the algorithm's reply with a grant
  // (0: wait for rows given back, or the stop). After the stop, nothing:
  // the stop was sent to everyone when it was decided.
  void Answer(int i) {
    if (stopping_ || master_error_) return;
    Packet p = net_.NewPacket();
    master_.Reply(i, &p);
    // The rows of this step are already counted by the master; the grant
    // is for the next one.
    p.header[kGrantSlot] = Grant(i);
    const State next = p.header[kGrantSlot] > 0 ? State::kComputing : State::kIdle;
    Send(i, std::move(p), next);
  }

  // A message that arrived during a trace point: applied in the next batch.
  void Hold(Packet&& p) {
    if (IsBlockServer(p.from)) {
      BlockServerMessage(p);
      return;
    }
    if (p.kind == kFailed) {
      RecordFailure(p);
      state_[static_cast<std::size_t>(p.from - first_)] = State::kFailed;
      RequestStop(Status::kInterrupted);
      return;
    }
    if (p.kind >= kFirstAlgorithmKind) state_[static_cast<std::size_t>(p.from - first_)] = State::kHeld;
    held_.push_back(std::move(p));
  }

  // Receives with a kPoll deadline; marks workers silent past peer_timeout
  // (computing, not answered) as lost.
  std::size_t Receive(std::vector<Packet>* out) {
    const std::size_t n = net_.ReceiveUntil(out, SteadyClock::now() + runtime::kPoll);
    const SteadyClock::time_point now = SteadyClock::now();
    for (std::size_t k = out->size() - n; k < out->size(); ++k) {
      if (IsBlockServer((*out)[k].from)) block_since_[static_cast<std::size_t>((*out)[k].from - 1)] = now;
    }
    // Silence is judged every kPoll, also while the others keep the inbox busy.
    if (n > 0 && now - last_watch_ < runtime::kPoll) return n;
    last_watch_ = now;
    // A worker whose packet is in hand is not silent, however late the
    // master came to read it.
    for (std::size_t k = out->size() - n; k < out->size(); ++k) {
      const int from = (*out)[k].from - first_;
      if (from >= 0 && from < workers_) since_[static_cast<std::size_t>(from)] = now;
    }
    // Silent: owes a step (computing), its kBye (stopping) or a trace
    // answer for longer than peer_timeout.
    const auto limit = Seconds(options_.peer_timeout);
    auto worker_silent = [&](int i) {
      const auto k = static_cast<std::size_t>(i);
      const bool owes = state_[k] == State::kComputing || state_[k] == State::kStopping;
      return (owes && now - since_[k] > limit) || (asked_[k] && Live(i) && now - since_eval_ > limit);
    };
    bool worker_overdue = false;
    for (int i = 0; i < workers_ && !worker_overdue; ++i) worker_overdue = worker_silent(i);
    // A block server speaks at least every max(kPoll, peer_timeout / 8)
    // while it lives (a snapshot reply or a heartbeat). One silent past the
    // limit is lost; so is one silent past half of it when a worker is
    // overdue: that worker was waiting for the block server's replies (its
    // last push may be older than the block server's last word) and is not
    // to blame.
    const auto block_limit = worker_overdue ? limit / 2 : limit;
    bool block_lost = false;
    for (int b = 0; b < blocks_; ++b) {
      const auto k = static_cast<std::size_t>(b);
      if (block_state_[k] != State::kIdle || now - block_since_[k] <= block_limit) continue;
      block_state_[k] = State::kLost;
      block_report_ += "; block server " + std::to_string(b + 1) + " (rank " + std::to_string(b + 1) +
                       ") silent for over " + runtime_text(options_.peer_timeout * (worker_overdue ? 0.5 : 1.0)) +
                       (worker_overdue ? " s (half of --peer-timeout, with the " + role_ + "s waiting for it overdue)"
                                       : " s (--peer-timeout)");
      block_lost = true;
      RequestStop(Status::kPeerLost);
    }
    // Once a block server is lost, a worker silent afterwards may be stuck
    // on it (a send to a stopped process under MPI): it is given up, so the
    // stop does not wait for it, but not named -- the block server is.
    const bool block_gone = std::find(block_state_.begin(), block_state_.end(), State::kLost) != block_state_.end();
    for (int i = 0; i < workers_ && !block_lost; ++i) {
      if (!worker_silent(i)) continue;
      const auto k = static_cast<std::size_t>(i);
      state_[k] = State::kLost;
      if (!block_gone) lost_.push_back(i);
      RequestStop(Status::kPeerLost);
    }
    if (stop_check_ && stop_check_() && !stopping_) RequestStop(Status::kInterrupted);
    return n;
  }

  // A stop found while messages are being taken: decided by FlushStop,
  // once the messages in hand are absorbed (the first reason stands).
  void RequestStop(Status status) {
    if (!pending_stop_) pending_stop_ = status;
  }
  void FlushStop() {
    if (pending_stop_ && !stopping_) BeginStop(*pending_stop_);
    pending_stop_.reset();
  }

  void CheckLimits() {
    if (stopping_) return;
    if (auto limit = tracer_.CheckLimits()) BeginStop(*limit);
  }

  void BeginStop(Status status) {
    if (!verdict_) verdict_ = status;
    if (stopping_) return;
    stopping_ = true;
    if (on_stop_) on_stop_(status);  // the algorithm may choose the point it hands back
    // Block servers: the point of the decision, every block at one set of
    // steps; when that cannot be had (a block server gone), the last point
    // that was (the steps since are lost with the server's blocks).
    const bool consistent = Gather();
    try {
      final_counters_ = Counters(master_.counters());
      if (consistent || consistent_w_.empty()) {
        final_w_.assign(master_.w().begin(), master_.w().end());
      } else {
        final_w_ = consistent_w_;
      }
    } catch (...) {  // out of memory: fall back to the state at the end
      final_w_.clear();
      final_counters_.reset();
    }
    // The point of the decision is traced now, while every worker can
    // still evaluate its shard (after the stop nobody can), unless the
    // last trace point is this very point.
    if (!evaluating_ && final_counters_ && AllLive()) {
      const std::vector<TracePoint>& trace = tracer_.trace();
      const bool traced = !trace.empty() && trace.back().updates == final_counters_->updates &&
                          tracer_.best_finite_w() == final_w_;
      if (!traced) tracer_.Record(final_w_, *final_counters_);
    }
    // Every worker still taking part hears it now: one computing ends its
    // step, one sleeping wakes.
    for (int i = 0; i < workers_; ++i) {
      if (Live(i)) SendStop(i);
    }
  }

  bool IsBlockServer(int rank) const { return rank >= 1 && rank < first_; }

  // A worker's step message: absorbed now, answered when the schedule allows.
  void TakeStep(Packet& p) {
    const int i = p.from - first_;
    gathered_ = false;
    Settle(i, p.header[kRowsSlot]);
    if (!stopping_) {
      state_[static_cast<std::size_t>(i)] = State::kHeld;
      waiting_.push_back(i);
    }
    if (!master_error_) {
      const AbsorbResult r = master_.Absorb(i, p, stopping_);
      if (r.diverged && !stopping_) BeginStop(Status::kDiverged);
      if (r.rows_returned > 0) granted_ -= r.rows_returned;
    }
    net_.Recycle(std::move(p));
  }

  // What a block server says outside a snapshot: a failure, its Bye, a
  // late kBlock of an abandoned snapshot (dropped).
  void BlockServerMessage(Packet& p) {
    const auto b = static_cast<std::size_t>(p.from - 1);
    if (p.kind == kFailed) {
      RecordFailure(p);
      block_state_[b] = State::kFailed;
      RequestStop(Status::kInterrupted);
    } else if (p.kind == kBye) {
      block_state_[b] = State::kStopped;
    }
    net_.Recycle(std::move(p));
  }

  // With block servers: every block of w at the steps the master has
  // absorbed, into the algorithm (Master::TakeBlock). The master sends its
  // per-worker clocks; a block server answers once it has absorbed at least
  // those steps, with its clocks and block. A server that has absorbed more
  // (a worker's step that reached it first) names steps the master then
  // absorbs too, and the round repeats: the workers cannot get further,
  // since the master answers nobody meanwhile. False (the point is then
  // partly older) when a block server is gone or silent past peer_timeout.
  bool Gather() {
    if (blocks_ == 0) return true;
    if constexpr (requires(Master& m, const Packet& p) {
                    m.Clocks();
                    m.TakeBlock(0, p);
                  }) {
      if (gathering_) return false;
      // Nothing absorbed since the last snapshot: its blocks are still
      // those of the master's steps (the stop right after a trace point
      // hands back the very point it traced).
      if (gathered_) return true;
      for (const State st : block_state_) {
        if (st != State::kIdle) return false;
      }
      gathering_ = true;
      struct Done {
        bool& flag;
        ~Done() { flag = false; }
      } done{gathering_};
      const SteadyClock::time_point give_up = SteadyClock::now() + Seconds(options_.peer_timeout);
      // Steps held during a trace point are absorbed first: the block
      // servers have absorbed them already, or will.
      std::vector<Packet> keep;
      for (Packet& p : held_) {
        if (p.from >= first_ && p.kind >= kFirstAlgorithmKind) {
          TakeStep(p);
        } else {
          keep.push_back(std::move(p));
        }
      }
      held_ = std::move(keep);
      std::vector<Packet> in;
      // Receives one batch (with a kPoll deadline): worker steps are
      // absorbed, block replies go to `on_block`, the rest is held.
      auto receive = [&](const std::function<void(Packet&)>& on_block) {
        in.clear();
        if (net_.ReceiveUntil(&in, std::min(give_up, SteadyClock::now() + runtime::kPoll)) == 0) {
          return SteadyClock::now() < give_up;
        }
        const SteadyClock::time_point now = SteadyClock::now();
        for (Packet& p : in) {
          // A snapshot reply is a sign of life too: a block server that
          // answers every trace point has no reason to beat besides.
          if (IsBlockServer(p.from)) block_since_[static_cast<std::size_t>(p.from - 1)] = now;
          if (IsBlockServer(p.from) && p.kind == kBlock) {
            on_block(p);
            net_.Recycle(std::move(p));
          } else if (IsBlockServer(p.from)) {
            BlockServerMessage(p);
          } else if (p.from >= first_ && p.kind >= kFirstAlgorithmKind) {
            since_[static_cast<std::size_t>(p.from - first_)] = now;
            TakeStep(p);
          } else {
            Hold(std::move(p));
          }
        }
        return true;
      };
      auto silent = [&](const std::vector<bool>& answered) {
        for (int b = 0; b < blocks_; ++b) {
          if (answered[static_cast<std::size_t>(b)]) continue;
          block_state_[static_cast<std::size_t>(b)] = State::kLost;
          block_report_ += "; block server " + std::to_string(b + 1) + " (rank " + std::to_string(b + 1) +
                           ") silent for over " + runtime_text(options_.peer_timeout) + " s (--peer-timeout)";
        }
        if (!stopping_) BeginStop(Status::kPeerLost);
        return false;
      };
      for (;;) {
        const std::vector<std::int64_t> own = master_.Clocks();
        for (int b = 0; b < blocks_; ++b) {
          Packet p = net_.NewPacket();
          p.kind = kSnapshot;
          p.value.assign(own.begin(), own.end());
          net_.Send(b + 1, std::move(p));
        }
        std::vector<std::int64_t> target = own;
        std::vector<bool> answered(static_cast<std::size_t>(blocks_), false);
        int answers = 0;
        bool same = true;
        while (answers < blocks_) {
          const bool alive = receive([&](const Packet& p) {
            const auto b = static_cast<std::size_t>(p.from - 1);
            if (answered[b] || p.value.size() < own.size()) return;  // an older round's reply
            bool equal = true;
            for (std::size_t k = 0; k < own.size(); ++k) {
              const auto c = static_cast<std::int64_t>(p.value[k]);
              target[k] = std::max(target[k], c);
              equal = equal && c == own[k];
            }
            same = same && equal;
            block_traffic_[b] = {p.header[0], p.header[1]};
            if (equal) master_.TakeBlock(static_cast<int>(b) + 1, p);
            answered[b] = true;
            ++answers;
          });
          if (!alive) return silent(answered);
          for (const State st : block_state_) {
            if (st == State::kFailed) return false;
          }
        }
        if (same && master_.Clocks() == own) {
          gathered_ = true;
          consistent_w_.assign(master_.w().begin(), master_.w().end());
          return true;
        }
        // Steps a block server has absorbed and the master not yet: they
        // are on their way here (a worker sends its step to every server).
        auto behind = [&] {
          const std::vector<std::int64_t>& now = master_.Clocks();
          for (std::size_t k = 0; k < target.size(); ++k) {
            if (now[k] < target[k]) return true;
          }
          return false;
        };
        while (behind()) {
          if (!receive([](const Packet&) {})) {
            block_report_ += "; steps the block servers had absorbed did not reach the master within " +
                             runtime_text(options_.peer_timeout) + " s (--peer-timeout)";
            return silent(std::vector<bool>(static_cast<std::size_t>(blocks_), true));
          }
        }
      }
    }
    return true;
  }

  // After the run: every block server is told to stop and waited for (its
  // Bye), at most peer_timeout.
  void StopBlockServers() {
    if (blocks_ == 0) return;
    for (int b = 0; b < blocks_; ++b) {
      const State st = block_state_[static_cast<std::size_t>(b)];
      if (st == State::kStopped || st == State::kFailed) continue;
      try {
        Packet p = net_.NewPacket();
        p.kind = kStop;
        net_.Send(b + 1, std::move(p));
      } catch (...) {
      }
    }
    const SteadyClock::time_point give_up = SteadyClock::now() + Seconds(options_.peer_timeout);
    std::vector<Packet> in;
    auto open = [&] {
      for (const State st : block_state_) {
        if (st == State::kIdle || st == State::kStarting) return true;
      }
      return false;
    };
    while (open() && SteadyClock::now() < give_up) {
      in.clear();
      try {
        net_.ReceiveUntil(&in, std::min(give_up, SteadyClock::now() + runtime::kPoll));
      } catch (...) {
        break;
      }
      for (Packet& p : in) {
        if (!IsBlockServer(p.from)) continue;
        const auto b = static_cast<std::size_t>(p.from - 1);
        if (p.kind == kBye) block_state_[b] = State::kStopped;
        if (p.kind == kFailed) {
          RecordFailure(p);
          block_state_[b] = State::kFailed;
        }
      }
    }
    for (int b = 0; b < blocks_; ++b) {
      State& st = block_state_[static_cast<std::size_t>(b)];
      if (st != State::kIdle && st != State::kStarting) continue;
      st = State::kLost;
      block_report_ += "; block server " + std::to_string(b + 1) + " (rank " + std::to_string(b + 1) +
                       ") did not stop within " + runtime_text(options_.peer_timeout) + " s (--peer-timeout)";
      if (!verdict_ || *verdict_ != Status::kPeerLost) verdict_ = Status::kPeerLost;
    }
  }

  void RecordFailure(const Packet& p) {
    if (worker_error_) return;
    const std::string text(p.value.begin(), p.value.end());
    const std::string who = IsBlockServer(p.from) ? "block server " + std::to_string(p.from)
                                                  : role_ + " " + std::to_string(p.from - first_ + 1);
    worker_error_ = std::make_exception_ptr(
        std::runtime_error(who + " (rank " + std::to_string(p.from) + ") failed: " + text));
  }

  // The master's own faults: slow (sleeps (f - 1) x its busy time after a
  // batch), stall (once, at batch S). Both end early on a stop. A crash of
  // the master is refused by the solvers' checks: somebody must answer.
  void MasterFaults(std::int64_t batches, SteadyClock::duration busy) {
    if (plan_.empty()) return;
    SteadyClock::duration sleep{0};
    if (plan_.slow_factor() > 1.0) {
      sleep += Seconds(std::chrono::duration<double>(busy).count() * (plan_.slow_factor() - 1.0));
    }
    if (plan_.stall_at() && !stalled_ && batches >= *plan_.stall_at()) {
      stalled_ = true;
      sleep += Seconds(plan_.stall_seconds());
    }
    const SteadyClock::time_point until = SteadyClock::now() + sleep;
    struct Refresh {  // the master's own sleep is no worker's silence
      MasterLoop& loop;
      ~Refresh() {
        for (auto& t : loop.since_) t = std::max(t, SteadyClock::now());
      }
    } refresh{*this};
    while (!stopping_ && SteadyClock::now() < until) {
      // Messages arriving meanwhile wait in the inbox; the limits and the
      // stop are looked at every kPoll.
      std::this_thread::sleep_for(std::min<SteadyClock::duration>(until - SteadyClock::now(), runtime::kPoll));
      CheckLimits();
      if (stop_check_ && stop_check_()) BeginStop(Status::kInterrupted);
    }
  }

  Transport& net_;
  Master& master_;
  runtime::Tracer& tracer_;
  const Options& options_;
  const std::int64_t rows_;
  const std::int32_t dim_;
  const int blocks_;  // block servers: ranks 1..blocks_
  const int first_;   // the rank of worker 0
  const int workers_;
  std::vector<State> block_state_;
  std::vector<std::pair<std::int64_t, std::int64_t>> block_traffic_;  // received, sent
  bool gathering_ = false;
  bool gathered_ = false;  // the last Gather's blocks match every step absorbed since
  std::vector<double> consistent_w_;  // w at the last successful Gather
  std::vector<SteadyClock::time_point> block_since_;  // the last message from each block server
  std::optional<Status> pending_stop_;
  std::string role_ = "worker";
  std::string block_report_;  // lost or silent block servers, for the message
  std::vector<State> state_;
  std::vector<SteadyClock::time_point> since_;
  std::vector<bool> asked_;  // owes the answer to a trace request
  SteadyClock::time_point last_watch_{};  // the last look for silent workers
  std::function<double(std::span<const double>)> regulariser_;
  bool evaluating_ = false;               // inside EvaluateOnWorkers
  SteadyClock::time_point since_eval_{};
  std::vector<std::int64_t> shard_rows_;
  std::vector<Packet> held_;
  std::vector<int> waiting_;  // held by the schedule, in arrival order
  std::function<bool(int)> ready_;
  std::vector<int> lost_;
  std::vector<int> never_started_;  // lost before their Hello
  runtime::FaultPlan plan_;
  bool stalled_ = false;
  std::int64_t budget_ = std::numeric_limits<std::int64_t>::max();
  std::int64_t granted_ = 0;
  std::vector<std::int64_t> grant_rows_;  // rows of each worker's outstanding grant
  std::int64_t passes_per_step_ = 1;
  bool stopping_ = false;
  std::optional<Status> verdict_;
  std::vector<double> final_w_;
  std::optional<runtime::Counters> final_counters_;
  double busy_seconds_ = 0.0;
  double problem_l1_ = 0.0, problem_l2_ = 0.0;
  std::exception_ptr master_error_;
  std::exception_ptr worker_error_;
  std::function<bool()> stop_check_;
  std::function<void(Status)> on_stop_;
};

}  // namespace asyncopt::engine
