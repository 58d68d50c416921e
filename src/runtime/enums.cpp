// One enum <-> string table per enum; CLI, config files and reports all use it.
// The solvers' names are their entries in the solver table (src/core/).
#include <array>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "asyncopt/solver.hpp"
#include "core/solver_table.hpp"

namespace asyncopt {
namespace {

template <class E, std::size_t N>
using Table = std::array<std::pair<E, std::string_view>, N>;

constexpr Table<WritePolicy, 3> kWriteNames{{{WritePolicy::kWild, "wild"},
                                             {WritePolicy::kAtomic, "atomic"},
                                             {WritePolicy::kLocked, "locked"}}};

constexpr Table<SparsifierKind, 7> kSparsifierNames{{{SparsifierKind::kNone, "none"},
                                                     {SparsifierKind::kUniform, "uniform"},
                                                     {SparsifierKind::kGSpar, "gspar"},
                                                     {SparsifierKind::kGSparExact, "gspar-exact"},
                                                     {SparsifierKind::kTopK, "topk"},
                                                     {SparsifierKind::kQsgd, "qsgd"},
                                                     {SparsifierKind::kSign, "sign"}}};

constexpr Table<Loss, 4> kLossNames{{{Loss::kLogistic, "logistic"},
                                     {Loss::kHinge, "hinge"},
                                     {Loss::kSquaredHinge, "squared-hinge"},
                                     {Loss::kSquared, "squared"}}};

constexpr Table<Status, 8> kStatusNames{{{Status::kConverged, "converged"},
                                         {Status::kTargetReached, "target_reached"},
                                         {Status::kMaxEpochs, "max_epochs"},
                                         {Status::kTimeLimit, "time_limit"},
                                         {Status::kDiverged, "diverged"},
                                         {Status::kInterrupted, "interrupted"},
                                         {Status::kPeerLost, "peer_lost"},
                                         {Status::kNoQuorum, "no_quorum"}}};

constexpr Table<Fault::Kind, 5> kFaultNames{{{Fault::Kind::kSlow, "slow"},
                                             {Fault::Kind::kStall, "stall"},
                                             {Fault::Kind::kCrash, "crash"},
                                             {Fault::Kind::kCrashSending, "crash-sending"},
                                             {Fault::Kind::kRestart, "restart"}}};

constexpr Table<StepRule, 2> kStepRuleNames{{{StepRule::kConstant, "constant"},
                                             {StepRule::kAccelerated, "accelerated"}}};

constexpr Table<PetuumSchedule, 2> kPetuumNames{{{PetuumSchedule::kDecay, "decay"},
                                                 {PetuumSchedule::kSqrt, "sqrt"}}};

constexpr Table<Aggregation, 2> kAggregationNames{{{Aggregation::kDelta, "delta"},
                                                   {Aggregation::kAverage, "average"}}};

constexpr Table<ModelKind, 3> kModelKindNames{{{ModelKind::kLinear, "linear"},
                                               {ModelKind::kSoftmax, "softmax"},
                                               {ModelKind::kMlp, "mlp"}}};

constexpr Table<ServerUpdate, 2> kServerUpdateNames{{{ServerUpdate::kAmsGrad, "amsgrad"},
                                                     {ServerUpdate::kSgd, "sgd"}}};

template <class E, std::size_t N>
std::string_view Name(const Table<E, N>& table, E v) {
  for (const auto& [value, name] : table) {
    if (value == v) return name;
  }
  return "unknown";
}

template <class E, std::size_t N>
bool Lookup(const Table<E, N>& table, std::string_view s, E* out) {
  for (const auto& [value, name] : table) {
    if (name == s) {
      *out = value;
      return true;
    }
  }
  return false;
}

template <class E, std::size_t N>
std::vector<std::string> Names(const Table<E, N>& table) {
  std::vector<std::string> names;
  for (const auto& entry : table) names.emplace_back(entry.second);
  return names;
}

}  // namespace

std::string_view ToString(SolverKind v) {
  for (const core::SolverSpec& s : core::SolverTable()) {
    if (s.kind == v) return s.name;
  }
  return "unknown";
}
std::string_view ToString(Loss v) { return Name(kLossNames, v); }
std::string_view ToString(Status v) { return Name(kStatusNames, v); }
std::string_view ToString(WritePolicy v) { return Name(kWriteNames, v); }
std::string_view ToString(SparsifierKind v) { return Name(kSparsifierNames, v); }
std::string_view ToString(Fault::Kind v) { return Name(kFaultNames, v); }
std::string_view ToString(StepRule v) { return Name(kStepRuleNames, v); }
std::string_view ToString(PetuumSchedule v) { return Name(kPetuumNames, v); }
std::string_view ToString(Aggregation v) { return Name(kAggregationNames, v); }
std::string_view ToString(ModelKind v) { return Name(kModelKindNames, v); }
std::string_view ToString(ServerUpdate v) { return Name(kServerUpdateNames, v); }
bool Parse(std::string_view s, SolverKind* out) {
  const core::SolverSpec* solver = core::FindSolver(s);
  if (solver != nullptr) *out = solver->kind;
  return solver != nullptr;
}
bool Parse(std::string_view s, Loss* out) { return Lookup(kLossNames, s, out); }
bool Parse(std::string_view s, Status* out) { return Lookup(kStatusNames, s, out); }
bool Parse(std::string_view s, WritePolicy* out) { return Lookup(kWriteNames, s, out); }
bool Parse(std::string_view s, SparsifierKind* out) { return Lookup(kSparsifierNames, s, out); }
bool Parse(std::string_view s, StepRule* out) { return Lookup(kStepRuleNames, s, out); }
bool Parse(std::string_view s, PetuumSchedule* out) { return Lookup(kPetuumNames, s, out); }
bool Parse(std::string_view s, Aggregation* out) { return Lookup(kAggregationNames, s, out); }
bool Parse(std::string_view s, ModelKind* out) { return Lookup(kModelKindNames, s, out); }
bool Parse(std::string_view s, ServerUpdate* out) { return Lookup(kServerUpdateNames, s, out); }
std::vector<std::string> AllNames(SolverKind) {
  std::vector<std::string> names;
  for (const core::SolverSpec& s : core::SolverTable()) names.emplace_back(s.name);
  return names;
}
std::vector<std::string> AllNames(Loss) { return Names(kLossNames); }
std::vector<std::string> AllNames(WritePolicy) { return Names(kWriteNames); }
std::vector<std::string> AllNames(SparsifierKind) { return Names(kSparsifierNames); }
std::vector<std::string> AllNames(StepRule) { return Names(kStepRuleNames); }
std::vector<std::string> AllNames(PetuumSchedule) { return Names(kPetuumNames); }
std::vector<std::string> AllNames(Aggregation) { return Names(kAggregationNames); }
std::vector<std::string> AllNames(ModelKind) { return Names(kModelKindNames); }
std::vector<std::string> AllNames(ServerUpdate) { return Names(kServerUpdateNames); }

}  // namespace asyncopt
