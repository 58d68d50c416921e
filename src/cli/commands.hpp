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

// 128 + the signal that stopped the run (130 when stopped otherwise).
int InterruptedExitCode();

// What the command is doing, for messages about a failure that names no
// cause of its own (out of memory): "reading FILE", "training", ...
void SetPhase(const std::string& phase);
const std::string& Phase();

int RunTrain(const std::vector<std::string>& args);
int RunPredict(const std::vector<std::string>& args);
int RunOptimum(const std::vector<std::string>& args);
int RunGenerate(const std::vector<std::string>& args);
int RunInfo(const std::vector<std::string>& args);

}  // namespace asyncopt::cli
