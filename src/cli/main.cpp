// asyncopt command-line tool: train | predict | optimum | generate | info.
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "asyncopt/error.hpp"
#include "asyncopt/version.hpp"
#include "cli/args.hpp"
#include "cli/commands.hpp"

namespace {

using namespace asyncopt::cli;

// First Ctrl-C: ask the run to stop and write what it has. Second: default
// action (terminate), for a user who does not want to wait.
extern "C" void OnSigint(int) {
  g_stop_requested.store(true, std::memory_order_relaxed);
  std::signal(SIGINT, SIG_DFL);
}

void Usage(std::FILE* out) {
  std::fprintf(out,
               "usage: asyncopt <command> [options]   (asyncopt <command> --help for options)\n"
               "\n"
               "commands:\n"
               "  train     minimise F(w) on a LIBSVM file; writes summary JSON, trace CSV, model\n"
               "  predict   evaluate a model (accuracy, logloss, auc)\n"
               "  optimum   compute or look up the reference optimum f*\n"
               "  generate  write seeded synthetic data (svm-wangni, logistic-wangni, powerlaw)\n"
               "  info      dataset statistics (sparsity, Hogwild rho and Delta, feature skew)\n"
               "  version   print version and build provenance\n"
               "\n"
               "exit codes: 0 success, 1 internal error, 2 bad usage or input, 3 diverged,\n"
               "            130 interrupted (results so far are written)\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    Usage(stderr);
    return kExitUsage;
  }
  const std::string command = argv[1];
  const std::vector<std::string> args(argv + 2, argv + argc);
  std::signal(SIGINT, OnSigint);
  try {
    if (command == "train") return RunTrain(args);
    if (command == "predict") return RunPredict(args);
    if (command == "optimum") return RunOptimum(args);
    if (command == "generate") return RunGenerate(args);
    if (command == "info") return RunInfo(args);
    if (command == "version" || command == "--version") {
      const auto b = asyncopt::GetBuildInfo();
      std::printf("asyncopt %s (commit %s, %s, %s)\n", b.version, b.git_commit, b.compiler,
                  b.build_type);
      return kExitOk;
    }
    if (command == "help" || command == "--help" || command == "-h") {
      Usage(stdout);
      return kExitOk;
    }
    std::fprintf(stderr, "asyncopt: unknown command '%s'\n", command.c_str());
    Usage(stderr);
    return kExitUsage;
  } catch (const UsageError& e) {
    std::fprintf(stderr, "asyncopt %s: error: %s\n", command.c_str(), e.what());
    return kExitUsage;
  } catch (const asyncopt::Error& e) {
    std::fprintf(stderr, "asyncopt %s: error: %s\n", command.c_str(), e.what());
    return kExitUsage;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "asyncopt %s: error: out of memory\n", command.c_str());
    return kExitFailure;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "asyncopt %s: internal error: %s\n", command.c_str(), e.what());
    return kExitFailure;
  }
}
