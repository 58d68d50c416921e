// The subcommands. Each returns the process exit code (see main.cpp's usage
// text and the README): 0 success, 1 internal error, 2 bad usage or input,
// 3 diverged, 4 the machine cannot provide what the run needs (threads,
// memory), 5 an output could not be written (the others were),
// 128 + N interrupted by signal N (SIGINT 130, SIGTERM 143, SIGHUP 129).
#pragma once

#include <atomic>
#include <string>
#include <vector>

namespace asyncopt::cli {

// Set by the signal handler (SIGINT, SIGTERM, SIGHUP); solvers poll it.
extern std::atomic<bool> g_stop_requested;
// The signal that asked the run to stop (0: none).
extern std::atomic<int> g_stop_signal;

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
constexpr int kExitDiverged = 3;
constexpr int kExitResource = 4;
constexpr int kExitOutputFailed = 5;
// A member (thread, or rank under MPI) fell silent past --peer-timeout;
// the results so far are written.
constexpr int kExitPeerLost = 6;
// decentralized: a node could not gather a quorum within --quorum-timeout.
constexpr int kExitNoQuorum = 7;

// 128 + the signal that stopped the run (130 when stopped otherwise).
int InterruptedExitCode();

// What a stop signal (SIGINT, SIGTERM, SIGHUP) does in each phase:
//  kWork      nothing exists yet that a stop could save (reading data,
//             generating, parsing): the process ends at once, 128 + N, and
//             writes nothing (no output file is open in these phases);
//  kStoppable a solver or the f* computation runs: it is asked to stop and
//             returns within about 100 ms what it has, which is written;
//  kWriting   outputs are being written: they are finished first, then the
//             command exits 128 + N.
enum class PhaseKind : int { kWork = 0, kStoppable = 1, kWriting = 2 };
extern std::atomic<int> g_phase_kind;

// What the command is doing, for messages about a failure that names no
// cause of its own (out of memory): "reading FILE", "training", ...; and how
// a stop signal is handled meanwhile.
void SetPhase(const std::string& phase, PhaseKind kind = PhaseKind::kWork);
const std::string& Phase();
// A stop signal arrived (in a stoppable phase).
bool StopRequested();

int RunTrain(const std::vector<std::string>& args);
int RunPredict(const std::vector<std::string>& args);
int RunOptimum(const std::vector<std::string>& args);
int RunGenerate(const std::vector<std::string>& args);
int RunInfo(const std::vector<std::string>& args);
// cli/plot_command.cpp, cli/contention_command.cpp
int RunPlot(const std::vector<std::string>& args);
int RunContention(const std::vector<std::string>& args);

}  // namespace asyncopt::cli
