// asyncopt internal: what the solvers on the message-passing engine
// (soda, dave-pg, dissvrg, petuum-sgd, spars-ams) share around their teams:
// joining the threaded team into the master's outcome, and one member on
// an MPI rank.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>

#include "algorithms/async_common.hpp"
#include "engine/master_worker.hpp"
#include "runtime/team.hpp"
#include "runtime/tracer.hpp"

namespace asyncopt::algorithms {

// After the master's loop of a threaded run: the team is stopped (lost or
// crashed members: nothing more will come) and joined; a member that found
// the master silent (the master's stall) ends the run as lost, at the
// point the master had reached; the team's report and pinning note lead
// the outcome's report. A member's error reaches the caller.
inline void JoinTeamInto(runtime::Team& team, engine::MasterOutcome* outcome) {
  team.RequestStop();
  try {
    team.Join();
  } catch (const engine::PeerLost& e) {
    outcome->verdict = Status::kPeerLost;
    outcome->team_report += std::string("; ") + e.what();
  }
  outcome->team_report = PinNote(team) + team.Report() + outcome->team_report;
}

// The master's whole run with the plain verdict rule: the handshake, the
// first trace point at `w0` (the clock starts), then the loop -- or, when a
// worker never said Hello or the run was stopped meanwhile, the stop.
template <class Master>
engine::MasterOutcome HandshakeAndRun(engine::MasterLoop<Master>& loop, runtime::Tracer& tracer,
                                      std::span<const double> w0) {
  const bool started = loop.Handshake();
  tracer.Begin(w0);
  if (!started) return loop.StopBeforeStart();
  loop.Go();
  return loop.Run([](std::optional<Status> v) { return v; });
}

// Ends the master's run: the totals are the loop's traffic and the
// algorithm's counters, with the rows and epochs of the point where the
// stop was decided (messages in flight were absorbed later); the verdict
// (max_epochs when none) and `final_w` go to the tracer's Finish.
template <class Master>
void FinishOutcome(engine::MasterLoop<Master>& loop, runtime::Tracer& tracer, const engine::MasterOutcome& outcome,
                   const runtime::Counters& counters, std::span<const double> final_w, Result* result) {
  runtime::Counters totals = loop.Counters(counters);
  if (outcome.final_counters) {
    totals.updates = outcome.final_counters->updates;
    totals.epoch = outcome.final_counters->epoch;
  }
  tracer.Finish(outcome.verdict.value_or(Status::kMaxEpochs), final_w, totals, result);
}

// One member on this rank (fault-plan number = its rank) running `body`,
// the calling thread waiting for it; an error before the first message
// reaches the master (kFailed). With `pin` (and Options::pin_workers) the
// member takes CPU `host_index` of the `host_teams` pinned ranks of its host.
template <class Body>
void RunRankMember(engine::Transport& net, const Options& options, int host_index, int host_teams, bool pin,
                   const Body& body) {
  std::unique_ptr<runtime::Team> team;
  try {
    runtime::Team::Config config = TeamConfig(options, 1, /*first_id=*/net.rank());
    config.pin = pin && options.pin_workers;
    config.host_index = host_index;
    config.host_teams = host_teams;
    team = std::make_unique<runtime::Team>(std::move(config));
    team->Start([&](runtime::Member& member) { body(member); });
  } catch (const std::exception& e) {
    engine::SendFailure(net, e);
    throw;
  }
  team->Join();
}

}  // namespace asyncopt::algorithms
