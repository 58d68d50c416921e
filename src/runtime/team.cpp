#include "runtime/team.hpp"

#include <sched.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <utility>

#include <tbb/task_arena.h>

#include "asyncopt/error.hpp"
#include "runtime/affinity.hpp"
#include "runtime/threads.hpp"

namespace asyncopt::runtime {
namespace {

std::int64_t NowTicks() { return Member::Now(); }

// CPUs pinned by the teams of this process: two concurrent runs never pin
// onto the same CPU.
class PinRegistry {
 public:
  static PinRegistry& Get() {
    static PinRegistry registry;
    return registry;
  }
  // `count` CPUs from `allowed` that no team holds, or none (empty).
  std::vector<int> Reserve(const std::vector<int>& allowed, int count) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<int> free;
    for (const int c : allowed) {
      if (std::find(held_.begin(), held_.end(), c) == held_.end()) free.push_back(c);
    }
    if (static_cast<int>(free.size()) < count) return {};
    free.resize(static_cast<std::size_t>(count));
    held_.insert(held_.end(), free.begin(), free.end());
    return free;
  }
  void Release(const std::vector<int>& cpus) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const int c : cpus) {
      const auto it = std::find(held_.begin(), held_.end(), c);
      if (it != held_.end()) held_.erase(it);
    }
  }

 private:
  std::mutex mutex_;
  std::vector<int> held_;
};

constexpr double kMaxSleepSeconds = 86400.0;

}  // namespace

FaultPlan::FaultPlan(std::span<const Fault> faults, int member) {
  for (const Fault& f : faults) {
    if (f.member != member) continue;
    switch (f.kind) {
      case Fault::Kind::kSlow:
        slow_ = f.factor;
        break;
      case Fault::Kind::kStall:
        stall_ = f.at_step;
        stall_seconds_ = f.seconds;
        break;
      case Fault::Kind::kCrash:
        crash_ = f.at_step;
        break;
      case Fault::Kind::kCrashSending:
      case Fault::Kind::kRestart:
        break;  // the decentralized solver's own (a partial send, a comeback)
    }
  }
}

// ---------------------------------------------------------------- Member

std::stop_token Member::stop_token() const { return team_.stop_token(); }
bool Member::stop_requested() const { return team_.stop_requested(); }

Member::FaultAction Member::PlanAfterWork(std::int64_t steps, SteadyClock::duration busy) {
  steps_ += steps;
  Heartbeat();
  FaultAction action;
  if (plan_.empty()) return action;
  if (plan_.crash_at() && steps_ >= *plan_.crash_at()) {
    crashed_ = true;
    action.crashed = true;
    return action;
  }
  double seconds = 0.0;
  if (plan_.stall_at() && !stalled_ && steps_ >= *plan_.stall_at()) {
    stalled_ = true;
    seconds += plan_.stall_seconds();
  }
  if (plan_.slow_factor() > 1.0) {
    // The debt of (F - 1) x busy, paid once it reaches the team's quantum
    // (Config::slow_sleep_quantum; 0: at every step).
    slow_debt_ += std::chrono::duration<double>(busy).count() * (plan_.slow_factor() - 1.0);
    if (slow_debt_ >= team_.config_.slow_sleep_quantum) {
      seconds += slow_debt_;
      slow_debt_ = 0.0;
    }
  }
  action.sleep = std::chrono::duration_cast<SteadyClock::duration>(
      std::chrono::duration<double>(std::min(seconds, kMaxSleepSeconds)));
  return action;
}

bool Member::AfterWork(std::int64_t steps, SteadyClock::duration busy) {
  const FaultAction action = PlanAfterWork(steps, busy);
  if (action.crashed) return false;
  SleepFor(action.sleep);
  return true;
}

void Member::WaitAtGate() {
  if (team_.gate_.load(std::memory_order_seq_cst) == 0) return;
  team_.Park();
  team_.gate_.wait(1, std::memory_order_acquire);
  team_.Unpark();
}

void Member::SleepFor(SteadyClock::duration d) {
  if (d <= SteadyClock::duration::zero()) return;
  const auto cap = std::chrono::duration_cast<SteadyClock::duration>(
      std::chrono::duration<double>(kMaxSleepSeconds));
  const SteadyClock::time_point until = SteadyClock::now() + std::min(d, cap);
  // Parked (a pause need not wait for a sleeper) but not waiting on
  // others: a long sleep is silence.
  team_.Park();
  {
    std::unique_lock<std::mutex> lock(team_.sleep_mutex_);
    team_.sleep_cv_.wait_until(lock, team_.stop_token(), until, [] { return false; });
  }
  team_.Unpark();
}

Member::Parked::Parked(Member& m) : m_(m) {
  m_.waiting_.store(true, std::memory_order_relaxed);
  m_.team_.Park();
}
Member::Parked::~Parked() {
  m_.team_.Unpark();
  m_.Heartbeat();
  m_.waiting_.store(false, std::memory_order_relaxed);
}

// ---------------------------------------------------------------- Team

Team::Team(Config config) : config_(std::move(config)) {
  if (config_.host_teams < 1 || config_.host_index < 0 || config_.host_index >= config_.host_teams) {
    throw std::invalid_argument("Team: host_index " + std::to_string(config_.host_index) + " of " +
                                std::to_string(config_.host_teams) + " teams");
  }
  members_.reserve(static_cast<std::size_t>(std::max(0, config_.size)));
  for (int k = 0; k < config_.size; ++k) {
    const int id = config_.first_id + k;
    members_.push_back(std::unique_ptr<Member>(new Member(*this, k, id, FaultPlan(config_.faults, id))));
  }
  // One member has nobody to be kept apart from.
  const int on_host = config_.size * std::max(1, config_.host_teams);
  if (config_.share_conductor_cpu && on_host == 1) {
    std::vector<int> allowed = AllowedCpus();
    const auto here = std::find(allowed.begin(), allowed.end(), CurrentCpu());
    if (here != allowed.end()) std::rotate(allowed.begin(), here, here + 1);  // tried first
    if (!allowed.empty()) cpus_ = PinRegistry::Get().Reserve(allowed, 1);
    if (allowed.empty()) {
      pin_note_ = "not sharing a CPU with the server: this system does not say which CPUs are allowed";
    } else if (cpus_.empty()) {
      pin_note_ = "not sharing a CPU with the server: the " + std::to_string(allowed.size()) +
                  " CPUs allowed are all pinned by another run of this process";
    } else {
      conductor_cpu_ = cpus_[0];
      pin_note_ = "the " + config_.role + " shares CPU " + std::to_string(conductor_cpu_) + " with its server";
    }
  } else if (config_.pin && on_host >= 2) {
    const std::vector<int> allowed = AllowedCpus();
    if (config_.host_teams == 1) {
      cpus_ = PinRegistry::Get().Reserve(allowed, config_.size);  // the first free ones
    } else if (allowed.size() >= static_cast<std::size_t>(on_host)) {
      // This team's slice of the host's CPUs (one process per team: the
      // registry sees only this process's teams).
      const auto first = allowed.begin() + static_cast<std::ptrdiff_t>(config_.host_index) * config_.size;
      cpus_ = PinRegistry::Get().Reserve(std::vector<int>(first, first + config_.size), config_.size);
    }
    if (cpus_.empty()) {
      pin_note_ = "not pinned: " + std::to_string(on_host) + " threads" +
                  (config_.host_teams > 1 ? " on this host" : "") + ", " +
                  std::to_string(allowed.size()) + " CPUs allowed" +
                  (allowed.size() >= static_cast<std::size_t>(on_host)
                       ? " but some are pinned by another run of this process"
                       : "");
    } else {
      pin_note_ = "pinned";
    }
  }
}

Team::ConductorScope::ConductorScope(const Team& team) {
  if (team.conductor_cpu() < 0) return;
  // oneTBB reads the process's CPU count once, on its first use: let that
  // be before the mask shrinks to one CPU.
  (void)tbb::this_task_arena::max_concurrency();
  own_mask_.emplace();
  PinCurrentThread(team.conductor_cpu());
}

Team::~Team() {
  if (threads_ && !joined_) {
    RequestStop();
    gate_.store(0, std::memory_order_release);
    gate_.notify_all();
    threads_.reset();
  }
  if (!cpus_.empty()) PinRegistry::Get().Release(cpus_);
}

void Team::Start(std::function<void(Member&)> body) {
  body_ = std::move(body);
  const std::int64_t now = NowTicks();
  for (const auto& m : members_) {
    m->progress_.store(now, std::memory_order_relaxed);
    m->in_body_.store(true, std::memory_order_relaxed);
  }
  threads_ = std::make_unique<StartedThreads>(
      config_.size,
      [this](int k) {
        Member& m = *members_[static_cast<std::size_t>(k)];
        if (!cpus_.empty()) PinCurrentThread(cpus_[static_cast<std::size_t>(k)]);
        if (config_.batch_scheduling) UseBatchScheduling();
        std::exception_ptr error;
        try {
          // Faults at step 0 act before any work.
          if (m.AfterWork(0, SteadyClock::duration::zero())) body_(m);
        } catch (...) {
          error = std::current_exception();
        }
        Leave(m, error);
      },
      config_.role, config_.size);
}

void Team::UseBatchScheduling() {
  int error = 0;
#ifdef SCHED_BATCH
  sched_param param{};
  param.sched_priority = 0;
  if (sched_setscheduler(0, SCHED_BATCH, &param) != 0) error = errno;  // 0: this thread (Linux)
#else
  error = ENOSYS;
#endif
  int none = 0;
  if (error != 0) batch_errno_.compare_exchange_strong(none, error, std::memory_order_relaxed);
}

std::string Team::sched_note() const {
  const int error = batch_errno_.load(std::memory_order_relaxed);
  if (error == 0) return "";
  return "the " + config_.role + "s run without SCHED_BATCH (" + std::strerror(error) + ")";
}

void Team::Leave(Member& m, std::exception_ptr error) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (error && !error_) error_ = error;
    if (m.crashed_) crashed_.push_back(m.id_);
    m.in_body_.store(false, std::memory_order_relaxed);
    left_.fetch_add(1, std::memory_order_acq_rel);
  }
  if (error) {
    failed_.store(true, std::memory_order_release);
    RequestStop();
  }
  cv_.notify_all();
  absent_.fetch_add(1, std::memory_order_acq_rel);
  absent_.notify_all();
}

void Team::Join() {
  if (joined_) return;
  threads_.reset();  // joins
  joined_ = true;
  std::exception_ptr error;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    error = error_;
  }
  if (error) std::rethrow_exception(error);
}

void Team::WakeSleepers() {
  { std::lock_guard<std::mutex> lock(sleep_mutex_); }
  sleep_cv_.notify_all();
}

void Team::Pause() {
  gate_.store(1, std::memory_order_seq_cst);  // seq_cst: see Unpark
  for (int v = absent_.load(std::memory_order_seq_cst); v < config_.size;
       v = absent_.load(std::memory_order_seq_cst)) {
    absent_.wait(v, std::memory_order_acquire);
  }
}

void Team::Resume() {
  // The pause (a trace evaluation) is nobody's silence.
  const std::int64_t now = NowTicks();
  for (const auto& m : members_) m->progress_.store(now, std::memory_order_relaxed);
  gate_.store(0, std::memory_order_release);
  gate_.notify_all();
}

std::vector<int> Team::Crashed() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<int> ids = crashed_;
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::vector<int> Team::SilentMembers(const std::function<bool(int)>& excused) const {
  std::vector<int> ids;
  const auto limit = std::chrono::duration_cast<SteadyClock::duration>(
      std::chrono::duration<double>(std::min(config_.peer_timeout, kMaxSleepSeconds)));
  const std::int64_t now = NowTicks();
  for (const auto& m : members_) {
    if (!m->in_body_.load(std::memory_order_relaxed)) continue;
    if (m->waiting_.load(std::memory_order_relaxed)) continue;
    if (excused && excused(m->index_)) continue;
    const std::int64_t last = m->progress_.load(std::memory_order_relaxed);
    if (now - last > limit.count()) ids.push_back(m->id_);
  }
  return ids;
}

void Team::DeclareLost(const std::vector<int>& ids) {
  if (ids.empty()) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const int id : ids) {
      if (std::find(lost_.begin(), lost_.end(), id) == lost_.end()) lost_.push_back(id);
    }
  }
  RequestStop();
}

std::vector<int> Team::Lost() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return lost_;
}

std::string Team::Report() const {
  std::string out;
  for (const int id : Crashed()) {
    const FaultPlan plan(config_.faults, id);
    out += "; " + Name(id) + " crashed at step " + std::to_string(plan.crash_at().value_or(0)) +
           " (injected)";
  }
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%g", config_.peer_timeout);
  for (const int id : Lost()) {
    out += "; " + Name(id) + " silent for over " + seconds + " s (--peer-timeout)";
  }
  return out;
}

bool Team::WaitFor(SteadyClock::duration timeout, const std::function<bool()>& ready) {
  std::unique_lock<std::mutex> lock(mutex_);
  return cv_.wait_for(lock, timeout, ready);
}

void Team::Notify() {
  { std::lock_guard<std::mutex> lock(mutex_); }
  cv_.notify_all();
}

// ---------------------------------------------------------------- segments

void RunSegments(Team& team, const std::function<void(Member&, std::int64_t)>& work,
                 const std::function<bool(std::int64_t)>& between,
                 const std::function<void()>& poll,
                 const std::function<void(SteadyClock::duration)>& on_handoff) {
  // phase: the segment members may work on; arrived: members done with the
  // current segment (reset by the conductor while they wait).
  std::atomic<std::int64_t> phase{0};
  int arrived = 0;                     // under arrive_mutex
  std::int64_t last_arrival = 0;       // ticks, under arrive_mutex
  std::atomic<std::int64_t> first_resume{0};  // ticks; 0 = nobody resumed yet
  std::mutex arrive_mutex;
  auto arrive = [&] {
    {
      std::lock_guard<std::mutex> lock(arrive_mutex);
      ++arrived;
      last_arrival = std::max(last_arrival, NowTicks());
    }
    team.Notify();
  };
  team.Start([&](Member& m) {
    for (std::int64_t segment = 0;; ++segment) {
      if (team.stop_requested()) return;
      work(m, segment);
      if (m.crashed()) return;  // leaves: the others finish the segment
      arrive();
      {
        Member::Parked parked(m);
        phase.wait(segment, std::memory_order_acquire);
      }
      std::int64_t none = 0;
      first_resume.compare_exchange_strong(none, NowTicks(), std::memory_order_relaxed);
    }
  });
  std::int64_t released = NowTicks();
  try {
    for (std::int64_t segment = 0;; ++segment) {
      const int left_before = team.left();
      // Every member still in the run has arrived (or the team stops).
      while (!team.WaitFor(kPoll, [&] {
        std::lock_guard<std::mutex> lock(arrive_mutex);
        return arrived + team.left() >= team.size();
      })) {
        team.DeclareLost(team.SilentMembers());
        poll();
      }
      if (on_handoff) {
        const std::int64_t now = NowTicks();
        std::int64_t handoff = 0;
        {
          // A member that left during the segment (crashed, failed) did not
          // arrive: the wait for it was work, not a hand-off.
          std::lock_guard<std::mutex> lock(arrive_mutex);
          if (last_arrival > 0 && team.left() == left_before) {
            handoff += std::max<std::int64_t>(0, now - last_arrival);
          }
        }
        const std::int64_t resumed = first_resume.load(std::memory_order_relaxed);
        if (segment > 0 && resumed > 0) handoff += std::max<std::int64_t>(0, resumed - released);
        on_handoff(SteadyClock::duration(handoff));
      }
      // Every member is now parked on `phase` or gone: between() sees a
      // quiet team. It runs unless a member failed (Join rethrows its
      // error); it sees team.left() and Crashed() to judge a team that lost
      // members.
      bool go_on = !team.failed() && between(segment);
      if (team.stop_requested() || team.left() >= team.size()) go_on = false;
      {
        std::lock_guard<std::mutex> lock(arrive_mutex);
        arrived = 0;
        last_arrival = 0;
      }
      first_resume.store(0, std::memory_order_relaxed);
      if (!go_on) team.RequestStop();
      team.Resume();  // refreshes progress: the pause was nobody's silence
      released = NowTicks();
      phase.store(segment + 1, std::memory_order_release);
      phase.notify_all();
      if (!go_on) break;
    }
  } catch (...) {
    team.RequestStop();
    phase.store(std::numeric_limits<std::int64_t>::max(), std::memory_order_release);
    phase.notify_all();
    try {
      team.Join();
    } catch (...) {
      // the conductor's own exception wins
    }
    throw;
  }
  team.Join();
}

int ResolveThreads(int threads) {
  if (threads > 0) return threads;
  return std::clamp(tbb::this_task_arena::max_concurrency(), 1, kMaxThreads);
}

}  // namespace asyncopt::runtime

int asyncopt::DefaultThreads() { return runtime::ResolveThreads(0); }
