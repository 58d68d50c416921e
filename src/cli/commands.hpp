// The five subcommands. Each returns the process exit code:
// 0 success, 2 bad usage or input, 3 diverged, 130 interrupted.
#pragma once

#include <atomic>
#include <string>
#include <vector>

namespace asyncopt::cli {

// Set by the SIGINT handler; solvers poll it.
extern std::atomic<bool> g_stop_requested;

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
constexpr int kExitDiverged = 3;
constexpr int kExitInterrupted = 130;

int RunTrain(const std::vector<std::string>& args);
int RunPredict(const std::vector<std::string>& args);
int RunOptimum(const std::vector<std::string>& args);
int RunGenerate(const std::vector<std::string>& args);
int RunInfo(const std::vector<std::string>& args);

}  // namespace asyncopt::cli
