// One enum <-> string table per enum; CLI, config files and reports all use it.
#include <array>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "asyncopt/solver.hpp"

namespace asyncopt {
namespace {

template <class E, std::size_t N>
using Table = std::array<std::pair<E, std::string_view>, N>;

constexpr Table<SolverKind, 1> kSolverNames{{{SolverKind::kReference, "reference"}}};

constexpr Table<Loss, 4> kLossNames{{{Loss::kLogistic, "logistic"},
                                     {Loss::kHinge, "hinge"},
                                     {Loss::kSquaredHinge, "squared-hinge"},
                                     {Loss::kSquared, "squared"}}};

constexpr Table<Status, 6> kStatusNames{{{Status::kConverged, "converged"},
                                         {Status::kTargetReached, "target_reached"},
                                         {Status::kMaxEpochs, "max_epochs"},
                                         {Status::kTimeLimit, "time_limit"},
                                         {Status::kDiverged, "diverged"},
                                         {Status::kInterrupted, "interrupted"}}};

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

std::string_view ToString(SolverKind v) { return Name(kSolverNames, v); }
std::string_view ToString(Loss v) { return Name(kLossNames, v); }
std::string_view ToString(Status v) { return Name(kStatusNames, v); }
bool Parse(std::string_view s, SolverKind* out) { return Lookup(kSolverNames, s, out); }
bool Parse(std::string_view s, Loss* out) { return Lookup(kLossNames, s, out); }
bool Parse(std::string_view s, Status* out) { return Lookup(kStatusNames, s, out); }
std::vector<std::string> AllNames(SolverKind) { return Names(kSolverNames); }
std::vector<std::string> AllNames(Loss) { return Names(kLossNames); }

}  // namespace asyncopt
