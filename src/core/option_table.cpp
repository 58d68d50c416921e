// The solver option table (see option_table.hpp) and what is derived from
// it in the library: Options::IsValid, text parsing and formatting, which
// options a run uses.
#include "core/option_table.hpp"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <type_traits>
#include <utility>

#include "core/solver_table.hpp"

namespace asyncopt::core {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kIntMax = std::numeric_limits<int>::max();

// ---- accessors: At<&Options::a, &A::b>() is the field options.a.b ----

template <auto M, auto... Rest, class T>
constexpr decltype(auto) Member(T& object) {
  if constexpr (sizeof...(Rest) == 0) {
    return (object.*M);
  } else {
    return Member<Rest...>(object.*M);
  }
}

template <auto... Path>
using MemberType = std::remove_cvref_t<decltype(Member<Path...>(std::declval<Options&>()))>;

template <auto... Path>
Field<MemberType<Path...>> At() {
  using T = MemberType<Path...>;
  return {[](Options& o) -> T& { return Member<Path...>(o); },
          [](const Options& o) -> const T& { return Member<Path...>(o); }};
}

template <auto... Path>
EnumField EnumAt() {
  using E = MemberType<Path...>;
  return {[](const Options& o) { return std::string(ToString(Member<Path...>(o))); },
          [](Options& o, std::string_view name) { return Parse(name, &Member<Path...>(o)); },
          [] { return AllNames(E{}); }};
}

// The quorum: "majority" (0), "all" (-1) or a count N >= 1, through the
// enum interface (its names are the three forms).
EnumField QuorumField() {
  return {[](const Options& o) {
            const int q = o.decentralized.quorum;
            return q == 0 ? std::string("majority") : q == -1 ? std::string("all") : std::to_string(q);
          },
          [](Options& o, std::string_view name) {
            if (name == "majority") {
              o.decentralized.quorum = 0;
              return true;
            }
            if (name == "all") {
              o.decentralized.quorum = -1;
              return true;
            }
            int q = 0;
            const auto r = std::from_chars(name.data(), name.data() + name.size(), q);
            if (r.ec != std::errc() || r.ptr != name.data() + name.size() || q < 1 || q > kMaxThreads) return false;
            o.decentralized.quorum = q;
            return true;
          },
          [] { return std::vector<std::string>{"majority", "all", "N (a count in [1, " + std::to_string(kMaxThreads) + "])"}; }};
}

// ---- text ----

std::string Shortest(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[40];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

// A real bound as messages write it: 0.5, 86400, 1e6, 1e9.
std::string BoundText(double v) {
  if (v >= 1e6 && v < 1e16 && v == std::floor(v)) {
    const double exponent = std::round(std::log10(v));
    if (std::pow(10.0, exponent) == v) return "1e" + std::to_string(static_cast<int>(exponent));
  }
  return Shortest(v);
}

std::string IntText(double v) { return std::to_string(static_cast<std::int64_t>(v)); }

std::string_view Trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

// The text after blanks and one leading '+'.
std::string_view Unsigned(std::string_view text) {
  std::string_view t = Trim(text);
  if (!t.empty() && t.front() == '+') t.remove_prefix(1);
  return t;
}

bool InRange(const Range& r, double v) {
  const bool above = r.lo_open ? v > r.lo : v >= r.lo;
  const bool below = r.hi_open ? v < r.hi : v <= r.hi;
  if (!above || !below) return false;
  if (r.integral && std::isfinite(v) && v != std::floor(v)) return false;
  return !r.power_of_two || (v >= 1 && std::has_single_bit(static_cast<std::uint64_t>(v)));
}

std::string Join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

// ---- the fault list ----

// The ranges of a fault's parts (solver.hpp's constants).
std::string Members() { return "[0, " + std::to_string(kMaxThreads) + "]"; }
std::string Factors() { return "[1, " + BoundText(kMaxFaultFactor) + "]"; }
std::string Stalls() { return "[0, " + BoundText(kMaxStallSeconds) + "]"; }

std::string FaultsAllowed() {
  return "comma-separated faults slow:M:F, stall:M@S:T, crash:M@S, and for decentralized and gossip "
         "crash-sending:M@S, restart:M@S:T (M a member in " + Members() +
         ", F in " + Factors() + ", T seconds in " + Stalls() +
         "; one fault of each kind per member), or none";
}

// The first fault that is out of range or repeats a (member, kind).
std::optional<std::string> CheckFaults(const std::vector<Fault>& faults) {
  for (std::size_t i = 0; i < faults.size(); ++i) {
    const Fault& f = faults[i];
    const std::string at = "faults[" + std::to_string(i) + "] (" + ToString(f) + "): ";
    if (f.member < 0 || f.member > kMaxThreads) {
      return at + "member must be in " + Members();
    }
    if (f.kind == Fault::Kind::kSlow && !(f.factor >= 1.0 && f.factor <= kMaxFaultFactor)) {
      return at + "factor must be in " + Factors();
    }
    if ((f.kind == Fault::Kind::kStall || f.kind == Fault::Kind::kRestart) &&
        !(f.seconds >= 0.0 && f.seconds <= kMaxStallSeconds)) {
      return at + "seconds must be in " + Stalls();
    }
    if (f.kind != Fault::Kind::kSlow && f.at_step < 0) return at + "step must be >= 0";
    for (std::size_t k = 0; k < i; ++k) {
      if (faults[k].member == f.member && faults[k].kind == f.kind) {
        return at + "a second " + std::string(ToString(f.kind)) + " fault for member " +
               std::to_string(f.member) + " (the first: faults[" + std::to_string(k) + "])";
      }
    }
  }
  return std::nullopt;
}

// "slow:2:4, crash:3@100" (ParseFault each); "none" or blank = no fault.
bool ParseFaults(std::string_view text, std::vector<Fault>* out, std::string* error) {
  const std::string_view t = Trim(text);
  std::vector<Fault> faults;
  if (!t.empty() && t != "none") {
    if (t.back() == ',') {
      *error = "a fault list must not end with ','";
      return false;
    }
    for (std::size_t begin = 0; begin <= t.size();) {
      const std::size_t comma = std::min(t.find(',', begin), t.size());
      Fault f;
      if (!ParseFault(Trim(t.substr(begin, comma - begin)), &f, error)) return false;
      faults.push_back(f);
      begin = comma + 1;
    }
  }
  if (auto why = CheckFaults(faults)) {
    *error = *why;
    return false;
  }
  *out = std::move(faults);
  return true;
}

// --fault's help: the members of each kind of team, from the solver table.
std::string FaultHelp() {
  std::vector<std::string> workers, master_workers;
  for (const SolverSpec& s : SolverTable()) {
    if (s.team == Team::kWorkers) workers.emplace_back(s.name);
    if (s.team == Team::kMasterWorkers) master_workers.emplace_back(s.name);
  }
  return "inject a fault, repeatable or comma-separated: slow:M:F (member M F times slower: "
         "sleeps (F-1) x its busy time; a decentralized or gossip node once that reaches 1 ms), stall:M@S:T (M sleeps T seconds at its step S), "
         "crash:M@S (M stops taking part at step S). Members: " +
         Join(master_workers, ", ") + ": 0 = the master, 1..threads the workers; " +
         Join(workers, ", ") +
         ": 0..threads-1. Steps: a worker's updates (one row or mini-batch) "
         "or exchanges, the master's message batches";
}

std::string SolverHelp() {
  std::string help = "the algorithm:";
  for (const SolverSpec& s : SolverTable()) {
    help.append(" ").append(s.name).append(" = ").append(s.description).append(";");
  }
  help.pop_back();
  return help;
}

// ---- the table ----

constexpr std::string_view kGeneral = "General";
constexpr std::string_view kStopping = "Solver and stopping";
constexpr std::string_view kAsync = "Asynchronous shared-model solvers";
constexpr std::string_view kTeamGroup = "Threads and faults";
constexpr std::string_view kSparsify = "Gradient sparsification (Wangni et al. 2018)";
constexpr std::string_view kMasterWorker =
    "Master/worker solvers (Grishchenko et al., Sparse Asynchronous Distributed Learning, "
    "Algorithm 1)";
constexpr std::string_view kPeers = "Decentralized nodes (quorum, clusters, agreement)";
constexpr std::string_view kSpars = "SPARS-AMS (compressed gradients, AMSGrad on the server)";
constexpr std::string_view kSsp =
    "Parameter-server solvers under stale-synchronous parallelism (Ming et al., DisSVRG, "
    "Algorithms 1-3)";

using S = SolverKind;

// One entry per option. To add one: its field in Options (solver.hpp), then
// an entry here, e.g.
//   {.key = "momentum", .field = "async.momentum", .group = kAsync,
//    .help = "heavy-ball momentum of every update",
//    .access = At<&Options::async, &AsyncOptions::momentum>(),
//    .range = {.lo = 0, .hi = 1, .hi_open = true},
//    .users = Users::kListed, .solvers = {S::kHogwild}},
// and the option is checked by IsValid, is a CLI flag and config key with
// its help and range, is refused when the chosen solver does not use it and
// is recorded in the summary. The tests in tests/runtime/option_table_test.cpp
// and tests/cli/cli_options_test.cpp check every entry.
std::vector<OptionSpec> MakeTable() {
  // An entry reads best as key, field and group on one line, then the rest.
  // clang-format off
  std::vector<OptionSpec> t = {
      {.key = "threads", .field = "threads", .group = kGeneral,
       .help = "worker threads, also used to parse the data and evaluate the objective; soda, "
               "dave-pg: M = threads workers plus one master thread",
       .access = At<&Options::threads>(),
       .range = {.lo = 0, .hi = kMaxThreads,
                 .note = "0 = what the enclosing oneTBB arena allows: every hardware thread "
                         "outside one"}},
      {.key = "solver", .field = "solver", .group = kStopping, .help = SolverHelp(),
       .access = EnumAt<&Options::solver>()},
      {.key = "seed", .field = "seed", .group = kStopping,
       .help = "random seed (one thread + a seed = bit-identical runs)",
       .access = At<&Options::seed>(), .users = Users::kTeamSolvers},
      {.key = "step", .field = "step", .group = kStopping, .help = "step size",
       .access = At<&Options::step>(),
       .range = {.lo = 0, .hi = kInf, .hi_open = true, .note = "0 = the solver's default rule"},
       .users = Users::kTeamSolvers},
      {.key = "max-epochs", .field = "max_epochs", .group = kStopping,
       .help = "stop after this many epochs (reference: outer iterations)",
       .access = At<&Options::max_epochs>(), .range = {.lo = 1, .hi = kIntMax}},
      {.key = "max-seconds", .field = "max_seconds", .group = kStopping,
       .help = "stop after this many solver seconds", .access = At<&Options::max_seconds>(),
       .range = {.lo = 0, .hi = kInf, .lo_open = true, .note = "inf = no limit"}},
      {.key = "target-subopt", .field = "target_subopt", .group = kStopping,
       .help = "stop when (F - f*)/f* <= this; f* from the cache or the reference solver",
       .access = At<&Options::target_subopt>(),
       .range = {.lo = 0, .hi = kInf, .hi_open = true, .note = "0 = off"}},
      {.key = "trace-every", .field = "trace_every_epochs", .group = kStopping,
       .help = "epochs between trace points (< 1 traces within an epoch; reference traces every "
               "iteration)",
       .access = At<&Options::trace_every_epochs>(),
       .range = {.lo = 0, .hi = kInf, .lo_open = true, .hi_open = true},
       .users = Users::kTeamSolvers},

      {.key = "write", .field = "async.write", .group = kAsync,
       .help = "how workers write the shared model: wild (Hogwild's lost updates), atomic "
               "(compare-and-swap), locked (stripe locks)",
       .access = EnumAt<&Options::async, &AsyncOptions::write>(),
       .users = Users::kListed, .solvers = {S::kHogwild, S::kSvrg}},
      {.key = "batch-size", .field = "async.batch_size", .group = kAsync,
       .help = "rows per stochastic gradient",
       .access = At<&Options::async, &AsyncOptions::batch_size>(),
       .range = {.lo = 1, .hi = kMaxBatchSize}, .users = Users::kListed,
       .solvers = {S::kHogwild, S::kSparsAms, S::kDecentralized, S::kGossip}},
      {.key = "lock-stripe", .field = "async.lock_stripe", .group = kAsync,
       .help = "coordinates per lock (1 = a lock per coordinate)",
       .access = At<&Options::async, &AsyncOptions::lock_stripe>(),
       .range = {.lo = 1, .hi = kMaxLockStripe, .power_of_two = true},
       .users = Users::kListed, .solvers = {S::kHogwild, S::kSvrg},
       .when_key = "write", .when_values = {"locked"}},
      {.key = "step-decay", .field = "async.step_decay", .group = kAsync,
       .help = "step *= this after every epoch; 0 = 0.001^(1/max-epochs), the step ending 1000x "
               "smaller (1 = a constant step, which stops at a noise floor)",
       .access = At<&Options::async, &AsyncOptions::step_decay>(),
       .range = {.lo = 0, .hi = 1}, .users = Users::kListed, .solvers = {S::kHogwild}},
      {.key = "with-replacement", .field = "async.with_replacement", .group = kAsync,
       .help = "sample rows with replacement instead of per-epoch permutations",
       .access = At<&Options::async, &AsyncOptions::with_replacement>(),
       .users = Users::kListed, .solvers = {S::kHogwild, S::kSvrg}},
      {.key = "svrg-inner-epochs", .field = "async.svrg_inner_epochs", .group = kAsync,
       .help = "inner-loop length in epochs",
       .access = At<&Options::async, &AsyncOptions::svrg_inner_epochs>(),
       .range = {.lo = 0, .hi = 1e6, .lo_open = true}, .users = Users::kListed, .solvers = {S::kSvrg}},
      {.key = "conflict-sample", .field = "async.conflict_sample", .group = kAsync,
       .help = "look for conflicts on one update in N and count each N times (1 = every update, "
               "an exact count); mini-batches count none",
       .access = At<&Options::async, &AsyncOptions::conflict_sample>(),
       .range = {.lo = 1, .hi = kMaxConflictSample}, .users = Users::kListed,
       .solvers = {S::kHogwild}, .when_key = "write", .when_values = {"wild"}},

      {.key = "pin-workers", .field = "pin_workers", .group = kTeamGroup,
       .help = "pin worker k to the k-th allowed CPU while the solver runs (only when there are at "
               "least --threads of them not pinned by another run; the library's default is off)",
       .access = At<&Options::pin_workers>(), .users = Users::kTeamSolvers, .cli_default = "true"},
      {.key = "share-server-cpu", .field = "share_server_cpu", .group = kTeamGroup,
       .help = "spars-ams with one worker: the worker and the server (the calling thread, for the rounds) "
               "share one CPU; they never compute at once (the library's default is off)",
       .access = At<&Options::share_server_cpu>(), .users = Users::kListed, .solvers = {S::kSparsAms},
       .cli_default = "true"},
      {.key = "fault", .field = "faults", .group = kTeamGroup, .help = FaultHelp(),
       .access = At<&Options::faults>(), .users = Users::kTeamSolvers},
      {.key = "peer-timeout", .field = "peer_timeout", .group = kTeamGroup,
       .help = "a member silent this many seconds ends the run with status peer_lost naming it "
               "(exit 6)",
       .access = At<&Options::peer_timeout>(), .range = {.lo = 0, .hi = 1e9, .lo_open = true},
       .users = Users::kTeamSolvers},

      {.key = "sparsifier", .field = "sparsify.kind", .group = kSparsify,
       .help = "gradient sparsifier: uniform (UniSp), gspar (Algorithm 3), gspar-exact (Algorithm "
               "2), topk (biased), qsgd (stochastic quantisation), sign (scaled sign, spars-ams "
               "only)",
       .access = EnumAt<&Options::sparsify, &SparsifyOptions::kind>(),
       .users = Users::kListed, .solvers = {S::kHogwild, S::kSparsAms}},
      {.key = "rho", .field = "sparsify.rho", .group = kSparsify, .help = "target kept fraction",
       .access = At<&Options::sparsify, &SparsifyOptions::rho>(),
       .range = {.lo = 0, .hi = 1, .lo_open = true}, .users = Users::kListed,
       .solvers = {S::kHogwild, S::kSparsAms}, .when_key = "sparsifier",
       .when_values = {"uniform", "gspar", "gspar-exact", "topk"}},
      {.key = "gspar-iterations", .field = "sparsify.gspar_iterations", .group = kSparsify,
       .help = "greedy iterations of Algorithm 3 (paper: 2)",
       .access = At<&Options::sparsify, &SparsifyOptions::gspar_iterations>(),
       .range = {.lo = 1, .hi = 1000}, .users = Users::kListed,
       .solvers = {S::kHogwild, S::kSparsAms}, .when_key = "sparsifier", .when_values = {"gspar"}},
      {.key = "constant-trick", .field = "sparsify.constant_trick", .group = kSparsify,
       .help = "send sign(g)/lambda for unsaturated coordinates (no division)",
       .access = At<&Options::sparsify, &SparsifyOptions::constant_trick>(),
       .users = Users::kListed, .solvers = {S::kHogwild}, .when_key = "sparsifier",
       .when_values = {"uniform", "gspar", "gspar-exact", "qsgd"}},
      {.key = "random-table", .field = "sparsify.random_table", .group = kSparsify,
       .help = "read uniforms from a precomputed cyclic table",
       .access = At<&Options::sparsify, &SparsifyOptions::random_table>(),
       .users = Users::kListed, .solvers = {S::kHogwild}, .when_key = "sparsifier",
       .when_values = {"uniform", "gspar", "gspar-exact", "qsgd"}},
      {.key = "error-feedback", .field = "sparsify.error_feedback", .group = kSparsify,
       .help = "keep the unsent residual per worker and add it to the next gradient (hogwild: "
               "topk only)",
       .access = At<&Options::sparsify, &SparsifyOptions::error_feedback>(),
       .users = Users::kListed, .solvers = {S::kHogwild, S::kSparsAms}, .when_key = "sparsifier",
       .when_values = {"topk", "uniform", "gspar", "gspar-exact", "qsgd", "sign"}},
      {.key = "qsgd-levels", .field = "sparsify.qsgd_levels", .group = kSparsify,
       .help = "quantisation levels s",
       .access = At<&Options::sparsify, &SparsifyOptions::qsgd_levels>(),
       .range = {.lo = 1, .hi = 1 << 30}, .users = Users::kListed,
       .solvers = {S::kHogwild, S::kSparsAms}, .when_key = "sparsifier", .when_values = {"qsgd"}},

      {.key = "mask-p", .field = "distributed.mask_p", .group = kMasterWorker,
       .help = "probability that a zero coordinate joins the mask (dave-pg: 1)",
       .access = At<&Options::distributed, &DistributedOptions::mask_p>(),
       .range = {.lo = 0, .hi = 1, .lo_open = true}, .users = Users::kListed, .solvers = {S::kSoda}},
      {.key = "local-steps", .field = "distributed.local_steps", .group = kMasterWorker,
       .help = "proximal-gradient steps per worker per exchange (> 1: DAve-RPG)",
       .access = At<&Options::distributed, &DistributedOptions::local_steps>(),
       .range = {.lo = 1, .hi = kIntMax}, .users = Users::kListed,
       .solvers = {S::kSoda, S::kDavePg}},
      {.key = "shard-skew", .field = "distributed.shard_skew", .group = kMasterWorker,
       .help = "0 = balanced shards; > 0: shard i holds rows in proportion to (1 + skew)^-i",
       .access = At<&Options::distributed, &DistributedOptions::shard_skew>(),
       .range = {.lo = 0, .hi = kInf, .hi_open = true}, .users = Users::kListed,
       .solvers = {S::kSoda, S::kDavePg, S::kDisSvrg, S::kPetuumSgd, S::kSparsAms}},
      {.key = "shuffle-shards", .field = "distributed.shuffle_rows", .group = kMasterWorker,
       .help = "assign rows to shards through a seeded permutation",
       .access = At<&Options::distributed, &DistributedOptions::shuffle_rows>(),
       .users = Users::kListed,
       .solvers = {S::kSoda, S::kDavePg, S::kDisSvrg, S::kPetuumSgd, S::kSparsAms, S::kDecentralized, S::kGossip}},
      {.key = "max-restarts", .field = "distributed.max_restarts", .group = kMasterWorker,
       .help = "restarts from the last good point before the run is declared diverged",
       .access = At<&Options::distributed, &DistributedOptions::max_restarts>(),
       .range = {.lo = 0, .hi = 1000000}, .users = Users::kListed,
       .solvers = {S::kSoda, S::kDavePg}},
      {.key = "servers", .field = "ssp.servers", .group = kSsp,
       .help = "S servers, each owning a contiguous block of w (threads, or MPI ranks 0..S-1)",
       .access = At<&Options::ssp, &SspOptions::servers>(),
       .range = {.lo = 1, .hi = kMaxThreads}, .users = Users::kListed,
       .solvers = {S::kDisSvrg, S::kPetuumSgd}},
      {.key = "staleness", .field = "ssp.staleness", .group = kSsp,
       .help = "tau: a trainer that has finished e epochs pulls once every trainer has finished "
               "e - tau (0 = bulk synchronous, inf = fully asynchronous)",
       .access = At<&Options::ssp, &SspOptions::staleness>(),
       .range = {.lo = 0, .hi = kInf, .integral = true}, .users = Users::kListed,
       .solvers = {S::kDisSvrg, S::kPetuumSgd}},
      {.key = "inner-steps", .field = "ssp.inner_steps", .group = kSsp,
       .help = "m: updates per trainer epoch (the first, with --adaptive-m)",
       .access = At<&Options::ssp, &SspOptions::inner_steps>(),
       .range = {.lo = 0, .hi = kIntMax, .note = "0 = the trainer's shard rows"},
       .users = Users::kListed, .solvers = {S::kDisSvrg, S::kPetuumSgd}},
      {.key = "adaptive-m", .field = "ssp.adaptive_m", .group = kSsp,
       .help = "grow a trainer's m after an epoch that ends with another trainer more than "
               "tau/2 epochs behind (Ming et al., Section 5.2)",
       .access = At<&Options::ssp, &SspOptions::adaptive_m>(), .users = Users::kListed,
       .solvers = {S::kDisSvrg}},
      {.key = "m-delta", .field = "ssp.m_delta", .group = kSsp,
       .help = "adaptive m's growth: m + delta",
       .access = At<&Options::ssp, &SspOptions::m_delta>(),
       .range = {.lo = 0, .hi = kIntMax, .note = "0 = m * 1.05, the authors' code"},
       .users = Users::kListed, .solvers = {S::kDisSvrg}},
      {.key = "step-rule", .field = "ssp.step_rule", .group = kSsp,
       .help = "constant: eta = --step; accelerated: eta = --step + ||grad f_i(w)||, capped at "
               "the stable step (Ming et al., Section 5.1)",
       .access = EnumAt<&Options::ssp, &SspOptions::step_rule>(), .users = Users::kListed,
       .solvers = {S::kDisSvrg}},
      {.key = "petuum-schedule", .field = "ssp.petuum_schedule", .group = kSsp,
       .help = "decay: eta0 * 0.95^epoch (the authors' code); sqrt: eta0 / sqrt(epoch + 1) (the "
               "paper's text)",
       .access = EnumAt<&Options::ssp, &SspOptions::petuum_schedule>(), .users = Users::kListed,
       .solvers = {S::kPetuumSgd}},
      {.key = "aggregate", .field = "ssp.aggregate", .group = kSsp,
       .help = "delta: w += (w_trainer - w_pulled) / T; average: w = the mean of the trainers' "
               "latest models",
       .access = EnumAt<&Options::ssp, &SspOptions::aggregate>(), .users = Users::kListed,
       .solvers = {S::kDisSvrg, S::kPetuumSgd}},

      {.key = "model-kind", .field = "model_kind", .group = kSpars,
       .help = "linear (the --loss on -1/+1 classes or targets), softmax (K-class multinomial "
               "logistic) or mlp (one hidden ReLU layer, softmax output) on class ids",
       .access = EnumAt<&Options::model_kind>(), .users = Users::kListed,
       .solvers = {S::kSparsAms, S::kDecentralized, S::kGossip}},
      {.key = "hidden", .field = "hidden", .group = kSpars, .help = "hidden units of the mlp",
       .access = At<&Options::hidden>(), .range = {.lo = 1, .hi = 1 << 20}, .users = Users::kListed,
       .solvers = {S::kSparsAms, S::kDecentralized, S::kGossip}, .when_key = "model-kind", .when_values = {"mlp"}},
      {.key = "server-update", .field = "spars.server_update", .group = kSpars,
       .help = "amsgrad: AMSGrad moments on the server (SPARS-AMS); sgd: theta -= eta x the "
               "averaged message (with topk and --error-feedback: Stich et al. 2018)",
       .access = EnumAt<&Options::spars, &SparsAmsOptions::server_update>(), .users = Users::kListed,
       .solvers = {S::kSparsAms}},
      {.key = "beta1", .field = "spars.beta1", .group = kSpars, .help = "AMSGrad's first-moment decay",
       .access = At<&Options::spars, &SparsAmsOptions::beta1>(), .range = {.lo = 0, .hi = 1, .hi_open = true},
       .users = Users::kListed, .solvers = {S::kSparsAms}, .when_key = "server-update",
       .when_values = {"amsgrad"}},
      {.key = "beta2", .field = "spars.beta2", .group = kSpars, .help = "AMSGrad's second-moment decay",
       .access = At<&Options::spars, &SparsAmsOptions::beta2>(), .range = {.lo = 0, .hi = 1, .hi_open = true},
       .users = Users::kListed, .solvers = {S::kSparsAms}, .when_key = "server-update",
       .when_values = {"amsgrad"}},
      {.key = "epsilon", .field = "spars.epsilon", .group = kSpars, .help = "added to sqrt(v_hat)",
       .access = At<&Options::spars, &SparsAmsOptions::epsilon>(),
       .range = {.lo = 0, .hi = kInf, .lo_open = true, .hi_open = true}, .users = Users::kListed,
       .solvers = {S::kSparsAms}, .when_key = "server-update", .when_values = {"amsgrad"}},
      {.key = "keep", .field = "spars.keep", .group = kSpars,
       .help = "k as a count: coordinates a message keeps (at most the parameter count)",
       .access = At<&Options::spars, &SparsAmsOptions::keep>(),
       .range = {.lo = 0, .hi = kIntMax, .note = "0 = --rho as the fraction"}, .users = Users::kListed,
       .solvers = {S::kSparsAms}, .when_key = "sparsifier",
       .when_values = {"uniform", "gspar", "gspar-exact", "topk"}},
      {.key = "spars-async", .field = "spars.asynchronous", .group = kSpars,
       .help = "the server steps on each message as it arrives (staleness counted) instead of "
               "synchronous rounds",
       .access = At<&Options::spars, &SparsAmsOptions::asynchronous>(), .users = Users::kListed,
       .solvers = {S::kSparsAms}},

      {.key = "clusters", .field = "decentralized.clusters", .group = kPeers,
       .help = "C clusters of consecutive nodes sharing registers for the approximate agreement",
       .access = At<&Options::decentralized, &DecentralizedOptions::clusters>(),
       .range = {.lo = 0, .hi = kMaxThreads, .note = "0 = one node per cluster"}, .users = Users::kListed,
       .solvers = {S::kDecentralized}},
      {.key = "quorum", .field = "decentralized.quorum", .group = kPeers,
       .help = "round-t models a node waits for, itself included: majority (floor(n/2) + 1), all, or a count",
       .access = QuorumField(), .users = Users::kListed, .solvers = {S::kDecentralized}},
      {.key = "agreement-rounds", .field = "decentralized.agreement_rounds", .group = kPeers,
       .help = "R: MidExtremes rounds of the approximate agreement inside a cluster",
       .access = At<&Options::decentralized, &DecentralizedOptions::agreement_rounds>(),
       .range = {.lo = 0, .hi = 1000}, .users = Users::kListed, .solvers = {S::kDecentralized}},
      {.key = "quorum-timeout", .field = "decentralized.quorum_timeout", .group = kPeers,
       .help = "seconds a node waits for a quorum before the run ends as no_quorum (exit code 7)",
       .access = At<&Options::decentralized, &DecentralizedOptions::quorum_timeout>(),
       .range = {.lo = 0, .hi = 1e9, .lo_open = true}, .users = Users::kListed, .solvers = {S::kDecentralized}},
      {.key = "step-power", .field = "decentralized.step_power", .group = kPeers,
       .help = "alpha of eta_t = --step / (1 + t)^alpha (t the round; 0 = a constant step)",
       .access = At<&Options::decentralized, &DecentralizedOptions::step_power>(),
       .range = {.lo = 0, .hi = 10}, .users = Users::kListed, .solvers = {S::kDecentralized, S::kGossip}},
      {.key = "checkpoint-every", .field = "decentralized.checkpoint_every", .group = kPeers,
       .help = "a node writes its round and model to a checkpoint file every K rounds (a restart fault "
               "reads it back)",
       .access = At<&Options::decentralized, &DecentralizedOptions::checkpoint_every>(),
       .range = {.lo = 0, .hi = kIntMax, .note = "0 = never"}, .users = Users::kListed,
       .solvers = {S::kDecentralized}},
  };
  // clang-format on
  return t;
}

template <class... F>
struct Overload : F... {
  using F::operator()...;
};

bool Uses(const OptionSpec& spec, const SolverSpec& solver) {
  switch (spec.users) {
    case Users::kEverySolver:
      return true;
    case Users::kTeamSolvers:
      return solver.team != Team::kNone;
    case Users::kListed:
      return std::find(spec.solvers.begin(), spec.solvers.end(), solver.kind) != spec.solvers.end();
  }
  return false;
}

}  // namespace

std::span<const OptionSpec> OptionTable() {
  static const std::vector<OptionSpec> table = MakeTable();
  return table;
}

const OptionSpec* FindOption(std::string_view key) {
  for (const OptionSpec& spec : OptionTable()) {
    if (spec.key == key) return &spec;
  }
  return nullptr;
}

std::string AllowedText(const OptionSpec& spec) {
  const Range& r = spec.range;
  const std::string note = r.note.empty() ? "" : " (" + std::string(r.note) + ")";
  return std::visit(
      Overload{
          [&](const Field<int>&) {
            return std::string(r.power_of_two ? "a power of two in [" : "an integer in [") +
                   IntText(r.lo) + ", " + IntText(r.hi) + "]" + note;
          },
          [&](const Field<double>&) {
            const std::string lo = BoundText(r.lo);
            if (r.integral) {
              return std::string("an integer ") + (r.lo_open ? "> " : ">= ") + lo +
                     (std::isfinite(r.hi) ? " and <= " + BoundText(r.hi) : std::string(r.hi_open ? "" : ", or inf")) +
                     note;
            }
            if (std::isfinite(r.hi)) {
              return std::string("a number in ") + (r.lo_open ? "(" : "[") + lo + ", " +
                     BoundText(r.hi) + (r.hi_open ? ")" : "]") + note;
            }
            return std::string(r.hi_open ? "a finite number " : "a number ") +
                   (r.lo_open ? "> " : ">= ") + lo + note;
          },
          [](const Field<std::uint64_t>&) {
            return "an integer in [0, " +
                   std::to_string(std::numeric_limits<std::uint64_t>::max()) + "]";
          },
          [](const Field<bool>&) { return std::string("true | false"); },
          [](const EnumField& e) { return Join(e.names(), " | "); },
          [](const Field<std::vector<Fault>>&) { return FaultsAllowed(); },
      },
      spec.access);
}

std::string FormatValue(const OptionSpec& spec, const Options& options) {
  return std::visit(
      Overload{
          [&](const Field<int>& f) { return std::to_string(f.get(options)); },
          [&](const Field<double>& f) { return Shortest(f.get(options)); },
          [&](const Field<std::uint64_t>& f) { return std::to_string(f.get(options)); },
          [&](const Field<bool>& f) { return std::string(f.get(options) ? "true" : "false"); },
          [&](const EnumField& e) { return e.get(options); },
          [&](const Field<std::vector<Fault>>& f) {
            std::vector<std::string> items;
            for (const Fault& fault : f.get(options)) items.push_back(ToString(fault));
            return items.empty() ? std::string("none") : Join(items, ", ");
          },
      },
      spec.access);
}

std::string CliDefault(const OptionSpec& spec) {
  return spec.cli_default.empty() ? FormatValue(spec, Options{}) : std::string(spec.cli_default);
}

bool IsList(const OptionSpec& spec) {
  return std::holds_alternative<Field<std::vector<Fault>>>(spec.access);
}

bool ParseValue(const OptionSpec& spec, std::string_view text, Options* options,
                std::string* error) {
  auto refuse = [&] {
    *error = AllowedText(spec);
    return false;
  };
  return std::visit(
      Overload{
          [&](const Field<int>& f) {
            const std::optional<std::int64_t> v = ParseInteger(text);
            if (!v || !InRange(spec.range, static_cast<double>(*v))) return refuse();
            f.ref(*options) = static_cast<int>(*v);
            return true;
          },
          [&](const Field<double>& f) {
            const std::optional<double> v = ParseReal(text);
            if (!v || !InRange(spec.range, *v)) return refuse();
            f.ref(*options) = *v;
            return true;
          },
          [&](const Field<std::uint64_t>& f) {
            const std::optional<std::uint64_t> v = ParseUInt64(text);
            if (!v) return refuse();
            f.ref(*options) = *v;
            return true;
          },
          [&](const Field<bool>& f) {
            const std::optional<bool> v = ParseBool(text);
            if (!v) return refuse();
            f.ref(*options) = *v;
            return true;
          },
          [&](const EnumField& e) { return e.set(*options, text) || refuse(); },
          [&](const Field<std::vector<Fault>>& f) {
            return ParseFaults(text, &f.ref(*options), error);
          },
      },
      spec.access);
}

std::optional<std::string> CheckValue(const OptionSpec& spec, const Options& options) {
  auto must = [&](const std::string& value) {
    return std::string(spec.field) + " = " + value + ": must be " + AllowedText(spec);
  };
  return std::visit(
      Overload{
          [&](const Field<int>& f) -> std::optional<std::string> {
            const int v = f.get(options);
            if (InRange(spec.range, v)) return std::nullopt;
            return must(std::to_string(v));
          },
          [&](const Field<double>& f) -> std::optional<std::string> {
            const double v = f.get(options);
            if (InRange(spec.range, v)) return std::nullopt;
            return must(Shortest(v));
          },
          [](const Field<std::uint64_t>&) -> std::optional<std::string> { return std::nullopt; },
          [](const Field<bool>&) -> std::optional<std::string> { return std::nullopt; },
          [&](const EnumField& e) -> std::optional<std::string> {
            const std::vector<std::string> names = e.names();
            const std::string v = e.get(options);
            if (std::find(names.begin(), names.end(), v) != names.end()) return std::nullopt;
            // A value the field's parser takes back (--quorum N: a count).
            Options copy = options;
            if (e.set(copy, v)) return std::nullopt;
            return must(v);
          },
          [&](const Field<std::vector<Fault>>& f) { return CheckFaults(f.get(options)); },
      },
      spec.access);
}

std::string UsersText(const OptionSpec& spec) {
  if (spec.users == Users::kEverySolver) return "every solver";
  std::vector<std::string> names;
  for (const SolverSpec& s : SolverTable()) {
    if (Uses(spec, s)) names.emplace_back(s.name);
  }
  return Join(names, ", ");
}

std::optional<std::string> WhyUnused(const OptionSpec& spec, const Options& options) {
  const SolverSpec& solver = SolverFor(options.solver);
  if (!Uses(spec, solver)) {
    return "solver " + std::string(solver.name) + " does not use it (used by: " + UsersText(spec) +
           ")";
  }
  if (spec.when_key.empty()) return std::nullopt;
  const OptionSpec* condition = FindOption(spec.when_key);
  const std::string value = FormatValue(*condition, options);
  for (std::string_view v : spec.when_values) {
    if (v == value) return std::nullopt;
  }
  return "--" + std::string(spec.when_key) + " " + value +
         " does not use it (used by: " + ConditionText(spec) + ")";
}

std::string ConditionText(const OptionSpec& spec) {
  if (spec.when_key.empty()) return "";
  std::string text = "--" + std::string(spec.when_key) + " ";
  for (std::size_t i = 0; i < spec.when_values.size(); ++i) {
    text.append(i == 0 ? "" : ", ").append(spec.when_values[i]);
  }
  return text;
}

std::vector<std::pair<std::string_view, std::string>> OptionsInEffect(const Options& options) {
  std::vector<std::pair<std::string_view, std::string>> out;
  for (const OptionSpec& spec : OptionTable()) {
    if (!WhyUnused(spec, options)) out.emplace_back(spec.key, FormatValue(spec, options));
  }
  return out;
}

std::optional<std::int64_t> ParseInteger(std::string_view text) {
  const std::string_view t = Unsigned(text);
  const char* b = t.data();
  const char* e = b + t.size();
  std::int64_t v = 0;
  if (auto [p, ec] = std::from_chars(b, e, v); ec == std::errc() && p == e && b < e) return v;
  // 1e6, 2.5e3: integral values written as reals (exact up to 2^53).
  double d = 0.0;
  auto [q, ec] = std::from_chars(b, e, d);
  if (ec != std::errc() || q != e || b == e || !std::isfinite(d) || d != std::floor(d) ||
      std::fabs(d) > 9007199254740992.0) {
    return std::nullopt;
  }
  return static_cast<std::int64_t>(d);
}

std::optional<std::uint64_t> ParseUInt64(std::string_view text) {
  const std::string_view t = Unsigned(text);
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);  // rejects "-1": no wrap-around
  if (ec != std::errc() || p != t.data() + t.size() || t.empty()) return std::nullopt;
  return v;
}

std::optional<double> ParseReal(std::string_view text) {
  const std::string_view t = Unsigned(text);
  double v = 0.0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  // 1e999 and 1e-999 (result_out_of_range) are refused, not rounded.
  if (ec != std::errc() || p != t.data() + t.size() || t.empty() || std::isnan(v)) {
    return std::nullopt;
  }
  return v;
}

std::optional<bool> ParseBool(std::string_view text) {
  std::string v(Trim(text));
  for (char& c : v) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  if (v == "true" || v == "1" || v == "yes" || v == "on") return true;
  if (v == "false" || v == "0" || v == "no" || v == "off") return false;
  return std::nullopt;
}

}  // namespace asyncopt::core

namespace asyncopt {

bool Options::IsValid(std::string* error) const {
  auto fail = [error](const std::string& message) {
    if (error != nullptr) *error = message;
    return false;
  };
  for (const core::OptionSpec& spec : core::OptionTable()) {
    if (auto why = core::CheckValue(spec, *this)) return fail(*why);
  }
  for (std::size_t j = 0; j < reference_w.size(); ++j) {
    if (!std::isfinite(reference_w[j])) {
      return fail("reference_w[" + std::to_string(j) + "] is not finite");
    }
  }
  for (std::size_t j = 0; j < initial_w.size(); ++j) {
    if (!std::isfinite(initial_w[j])) {
      return fail("initial_w[" + std::to_string(j) + "] = " + core::Shortest(initial_w[j]) +
                  ": must be finite");
    }
  }
  return true;
}

}  // namespace asyncopt
