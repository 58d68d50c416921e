// The one piece that runs a solver's threads (issue 15, section 1).
//
// A Team starts `size` member threads, all or none (StartedThreads), while
// the thread that called Solve stays outside the team as its conductor: it
// evaluates trace points, calls Options::on_trace, decides when the run
// ends, and is never pinned (but for Config::share_conductor_cpu, which asks
// for it, with its own mask restored at the end). The team owns:
//  * pinning (opt-in): member k on the k-th CPU the caller may use, among
//    those no other team of this process has pinned (a registry), only
//    when there are enough of them;
//  * the stop: one std::stop_source; members read its token;
//  * the trace pause: the conductor closes a gate and waits until every
//    member still in the run is parked (blocked in a wait the team knows
//    of: the gate, a reply, an injected sleep) or has left; the solver
//    clock is stopped meanwhile, and no member computes;
//  * errors: the first exception a member throws reaches the conductor
//    (Join rethrows it); it stops the others;
//  * the fault plan (Options::faults): a member reports its units of work
//    through Member::AfterWork, which slows it, stalls it once, or tells it
//    it crashed (it must then leave, as a dead process would);
//  * liveness: members that make no progress for Options::peer_timeout are
//    named by SilentMembers, so a conductor can end the run (kPeerLost).
//
// RunSegments builds the barrier schedule of hogwild and svrg on it: the
// members work a segment, wait (parked) while the conductor runs `between`,
// and go on. The master/worker engine (src/engine/) runs its master as the
// conductor and its workers as members.
//
// Waiting: members block in std::atomic::wait or on a condition variable
// (never a spin); the conductor waits with a deadline of at most kPoll so it
// can look at the stop request, the time limit and silent members.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <vector>

#include "asyncopt/solver.hpp"
#include "runtime/affinity.hpp"
#include "runtime/threads.hpp"

namespace asyncopt::runtime {

using SteadyClock = std::chrono::steady_clock;

// The longest a conductor waits before it looks at stops, limits and
// silent members again.
inline constexpr std::chrono::milliseconds kPoll{20};

class Team;

// The faults of one member, and its step count.
class FaultPlan {
 public:
  FaultPlan() = default;
  FaultPlan(std::span<const Fault> faults, int member);

  double slow_factor() const { return slow_; }
  bool empty() const { return slow_ == 1.0 && !stall_ && !crash_; }
  // Steps from which the member crashes / stalls (nullopt: never).
  std::optional<std::int64_t> crash_at() const { return crash_; }
  std::optional<std::int64_t> stall_at() const { return stall_; }
  double stall_seconds() const { return stall_seconds_; }

 private:
  double slow_ = 1.0;
  std::optional<std::int64_t> stall_;
  double stall_seconds_ = 0.0;
  std::optional<std::int64_t> crash_;
};

// One member's view of its team (valid inside the body).
class Member {
 public:
  int index() const { return index_; }  // 0 .. size - 1
  int id() const { return id_; }        // the fault plan's number (Fault::member)
  std::stop_token stop_token() const;
  bool stop_requested() const;

  // `steps` units of work done in `busy` time: counts them, records
  // progress, and applies this member's faults: sleeps (factor - 1) x busy
  // when slow (with Config::slow_sleep_quantum, the debt of short steps
  // adds up and is slept once it reaches it), sleeps once when the stall
  // step is reached (both
  // parked, both end early on a stop). Returns false when the member
  // crashed at this step: it must return from its body without another
  // message or write.
  bool AfterWork(std::int64_t steps, SteadyClock::duration busy);
  // The same decision without the sleep, for a member that sleeps its own
  // way (the engine's workers wait in their inbox, so a stop or a trace
  // request reaches them): counts the steps and returns what the fault plan
  // says now.
  struct FaultAction {
    bool crashed = false;
    SteadyClock::duration sleep{0};
  };
  FaultAction PlanAfterWork(std::int64_t steps, SteadyClock::duration busy);
  std::int64_t steps() const { return steps_; }
  bool crashed() const { return crashed_; }
  // Whether AfterWork needs the busy time (the member has faults).
  bool timed() const { return !plan_.empty(); }

  // Records progress without work (a member that waits for a reply is not
  // silent: its peer is).
  void Heartbeat() { progress_.store(Now(), std::memory_order_relaxed); }
  static std::int64_t Now() { return SteadyClock::now().time_since_epoch().count(); }

  // Parks at the trace gate while the conductor pauses the team.
  void WaitAtGate();
  // Sleeps up to `d` (capped at a day); ends early on a stop. Parked.
  void SleepFor(SteadyClock::duration d);
  // Counts the member as parked while it exists: for waits the team does
  // not see (a reply from the master, a row budget).
  class Parked {
   public:
    explicit Parked(Member& m);
    ~Parked();
    Parked(const Parked&) = delete;
    Parked& operator=(const Parked&) = delete;

   private:
    Member& m_;
  };

 private:
  friend class Team;
  Member(Team& team, int index, int id, FaultPlan plan)
      : team_(team), index_(index), id_(id), plan_(plan) {}
  Team& team_;
  int index_;
  int id_;
  FaultPlan plan_;
  std::int64_t steps_ = 0;
  bool stalled_ = false;
  double slow_debt_ = 0.0;  // seconds of slow sleep owed, below the team's quantum
  bool crashed_ = false;
  // Read by the conductor: the last progress (steady-clock ticks) and
  // whether the member is still in its body. A line of their own, so a
  // member's progress stores do not slow its neighbours.
  alignas(64) std::atomic<std::int64_t> progress_{0};
  std::atomic<bool> in_body_{false};
  std::atomic<bool> waiting_{false};  // in a Parked scope: waiting on others, not silent
};

class Team {
 public:
  struct Config {
    int size = 1;           // member threads
    int first_id = 0;       // Fault::member of member 0 (soda: 1, the master is 0)
    bool pin = false;       // Options::pin_workers
    // This team is team `host_index` of `host_teams` teams of `size` members
    // that share this host's CPUs (the worker ranks of an MPI job on one
    // host: one team each): its members take the allowed CPUs
    // host_index * size + k, and pinning needs host_teams * size of them.
    // One team of one member has nobody to be kept apart from: not pinned.
    int host_index = 0;
    int host_teams = 1;
    // A team of one member whose conductor never computes while it does
    // (and the other way round: a server and its only worker handing over)
    // shares one CPU with the conductor: the member is pinned to it, and the
    // conductor pins itself there for the run (ConductorScope). The CPU is
    // the conductor's current one when no other team of this process holds
    // it. Independent of `pin` (Options::share_server_cpu).
    bool share_conductor_cpu = false;
    // Members that wait for each other many times a second (decentralized
    // nodes waiting for a quorum) run under SCHED_BATCH (Linux): a member
    // woken by another's message does not preempt one that is computing,
    // it runs when that one blocks or its slice ends. With 8 nodes on 2
    // CPUs, each wake-up otherwise cut into a step the others were waiting
    // for (cadata to 1e-3: 2.4 s against 1.9 s fault-free, and a crash and
    // a slow node cost 1.21x against 1.06x; issue 18's closing note). Best
    // effort: sched_note() says when the system refused it.
    bool batch_scheduling = false;
    // A slow member (Fault::kSlow) sleeps its (factor - 1) x busy debt once
    // the debt reaches this many seconds, not after every step (0: after
    // every step, exactly). Over any stretch of steps it is still F times
    // slower, less one quantum. For members whose steps take microseconds:
    // a decentralized node on cadata (~40 us a round) armed a timer every
    // round, and on a 2-CPU VM those wake-ups cost the other nodes about a
    // sixth of the shared CPU (crash + slow x10 to 1e-3: 3.5 s against
    // 3.0 s with a 1 ms quantum, the slow node's rounds the same; issue
    // 18's closing note). The SSP trainers keep 0: their tests and
    // adaptive m read a slow trainer as slow at every step.
    double slow_sleep_quantum = 0.0;
    std::vector<Fault> faults;
    double peer_timeout = 60.0;  // seconds
    std::string role = "worker";  // in messages: "worker 2"
  };

  explicit Team(Config config);
  ~Team();  // requests a stop and joins, if Join was not called
  Team(const Team&) = delete;
  Team& operator=(const Team&) = delete;

  // Starts body(member) on every member thread, all or none: a thread the
  // system refuses throws Error(kResource) and no body runs. Returns at once.
  void Start(std::function<void(Member&)> body);
  // Waits for every member to return, then rethrows the first exception a
  // member threw, if any. Idempotent.
  void Join();
  // For a caller that is already failing (or ending without the members'
  // verdict): stops the members and waits for them, dropping their errors.
  void StopAndJoinQuietly() {
    RequestStop();
    try {
      Join();
    } catch (...) {
    }
  }

  // --- conductor side ---
  void RequestStop() { stop_.request_stop(); WakeSleepers(); }
  bool stop_requested() const { return stop_.stop_requested(); }
  std::stop_token stop_token() const { return stop_.get_token(); }
  // A member threw (the first exception is kept for Join).
  bool failed() const { return failed_.load(std::memory_order_acquire); }
  // Closes the gate and blocks until every member still in the run is
  // parked or has left. Resume reopens it.
  void Pause();
  void Resume();
  // Members that have returned from their body (crashed, failed or done).
  int left() const { return left_.load(std::memory_order_acquire); }
  int size() const { return config_.size; }
  const Config& config() const { return config_; }
  // Members (ids) that crashed by the fault plan so far.
  std::vector<int> Crashed() const;
  // Members still in the body, not waiting on others (a Parked scope),
  // whose last progress (AfterWork, Heartbeat, start, a pause's end) is
  // older than peer_timeout and that `excused` (index) does not excuse:
  // ids, ascending. An injected stall is silence.
  std::vector<int> SilentMembers(const std::function<bool(int)>& excused = {}) const;
  // Records members found silent and stops the run; Lost() lists them.
  void DeclareLost(const std::vector<int>& ids);
  std::vector<int> Lost() const;
  // What happened to the team, for a result message: "", or e.g. "; worker
  // 2 crashed at step 100 (injected); worker 1 silent for over 60 s".
  std::string Report() const;
  // "member 2 (worker 1)"-style name of a member id for messages.
  std::string Name(int id) const { return config_.role + " " + std::to_string(id); }
  // What pinning did, for the result message ("" when not asked for).
  const std::string& pin_note() const { return pin_note_; }
  // "" unless batch_scheduling was asked for and a member could not have
  // it: then why, for the result message. Read after Join.
  std::string sched_note() const;
  // The CPU the conductor shares with the member (share_conductor_cpu), or -1.
  int conductor_cpu() const { return conductor_cpu_; }
  // While alive, pins the calling thread (the conductor) to conductor_cpu()
  // and restores its own mask afterwards; does nothing without one.
  class ConductorScope {
   public:
    explicit ConductorScope(const Team& team);
    ~ConductorScope() = default;
    ConductorScope(const ConductorScope&) = delete;
    ConductorScope& operator=(const ConductorScope&) = delete;

   private:
    std::optional<ScopedAffinity> own_mask_;
  };

  // Waits (blocking, at most `timeout`) until `ready()` holds, woken by
  // Notify(); the predicate is read under the team's mutex.
  bool WaitFor(SteadyClock::duration timeout, const std::function<bool()>& ready);
  void Notify();

 private:
  friend class Member;
  void Park() {
    absent_.fetch_add(1, std::memory_order_acq_rel);
    absent_.notify_all();
  }
  // seq_cst, as the gate's store and the conductor's loads of absent_: with
  // acquire/release alone a member leaving a wait and the conductor closing
  // the gate could each read the other's old value, and the member compute
  // during the pause.
  void Unpark() { absent_.fetch_sub(1, std::memory_order_seq_cst); }
  void WakeSleepers();
  void Leave(Member& m, std::exception_ptr error);
  // The calling member thread to SCHED_BATCH; records the first refusal.
  void UseBatchScheduling();

  Config config_;
  std::stop_source stop_;
  std::vector<std::unique_ptr<Member>> members_;
  std::vector<int> cpus_;  // pinned CPUs (reserved in the registry)
  int conductor_cpu_ = -1;
  std::string pin_note_;
  std::atomic<int> batch_errno_{0};  // the first member's refusal (errno), 0 = none
  std::function<void(Member&)> body_;
  std::unique_ptr<StartedThreads> threads_;
  std::atomic<std::uint32_t> gate_{0};
  // Members parked plus members that left: the pause waits for size().
  std::atomic<int> absent_{0};
  std::atomic<int> left_{0};
  std::atomic<bool> failed_{false};
  std::exception_ptr error_;
  mutable std::mutex mutex_;  // error_, crashed_, the WaitFor predicate
  std::condition_variable cv_;
  std::condition_variable_any sleep_cv_;
  std::mutex sleep_mutex_;
  std::vector<int> crashed_;
  std::vector<int> lost_;
  bool joined_ = false;
};

// The barrier schedule of hogwild and svrg on a team: every member runs
// work(member, segment) until the segment is used up (it returns), then
// waits, parked, while the conductor (the caller) runs between(segment)
// with every member stopped; between returns false to end the run. While
// members work, the conductor calls poll() every kPoll (the stop request,
// the time limit: it may tell the members to end the segment early).
// Members that crash leave; the others finish the segment. Returns when the
// run ended; rethrows the first member's exception.
//
// `on_handoff` (optional) is told, before each between(), how long the
// hand-offs around the segment took: from the last member's arrival to the
// conductor's start, and from the previous release to the first member's
// resumption. A solver takes it off its clock: it is the pause's, not the
// solver's (a member woken after a long trace pause may take a millisecond
// to run again on a loaded machine).
void RunSegments(Team& team, const std::function<void(Member&, std::int64_t)>& work,
                 const std::function<bool(std::int64_t)>& between,
                 const std::function<void()>& poll,
                 const std::function<void(SteadyClock::duration)>& on_handoff = {});

// Resolves Options::threads = 0: what the enclosing oneTBB arena allows.
int ResolveThreads(int threads);

}  // namespace asyncopt::runtime
