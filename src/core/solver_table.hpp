// The solvers, one entry each: the name that the CLI, config files and
// summaries use, a one-line description with its paper, who takes part in a
// run, and the functions Solve calls (what the solver refuses, the memory it
// takes, the run itself). Solve, the SolverKind name table and the CLI all
// read this table; the solver options are in option_table.hpp.
//
// Adding a solver: its algorithm as one file pair under src/algorithms/ (and
// in src/algorithms/sources.cmake), a SolverKind value and, if it has new
// options, their fields in include/asyncopt/solver.hpp, one entry in
// kSolvers (solver_table.cpp), one entry per new option in option_table.cpp,
// and its tests. Nothing else names solvers one by one.
#pragma once

#include <span>
#include <string_view>

#include "asyncopt/dataset.hpp"
#include "asyncopt/problem.hpp"
#include "asyncopt/solver.hpp"

namespace asyncopt::core {

// Who takes part in a run, numbered as MPI ranks are (Fault::member).
enum class Team {
  kNone,           // runs on the calling thread (and oneTBB): no members to fault
  kWorkers,        // members 0 .. threads - 1, all workers
  kMasterWorkers,  // member 0 the master, 1 .. threads the workers
};

struct SolverSpec {
  SolverKind kind;
  std::string_view name;         // CLI, config file, summary and messages
  std::string_view description;  // one line: what it is, with its paper and algorithm
  Team team;
  Result (*run)(const Dataset&, const Problem&, const Options&);
  // Throws Error for what this solver cannot do with these data, problem
  // and options (after Options::IsValid has passed).
  void (*check)(const Dataset&, const Problem&, const Options&);
  // Bytes the run allocates beyond the data (for the memory check).
  double (*memory)(const Dataset&, const Options&);
};

// Every solver, in the order --help and messages list them.
std::span<const SolverSpec> SolverTable();
// Throws Error(kUnsupported) for a value no entry has.
const SolverSpec& SolverFor(SolverKind kind);
// nullptr for an unknown name.
const SolverSpec* FindSolver(std::string_view name);

}  // namespace asyncopt::core
