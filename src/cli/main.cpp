// asyncopt command-line tool: train | predict | optimum | generate | info | plot |
// contention.
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <new>
#include <string>
#include <vector>

#include "asyncopt/error.hpp"
#include "asyncopt/version.hpp"
#include "cli/args.hpp"
#include "cli/commands.hpp"

namespace {

using namespace asyncopt::cli;

// First SIGINT, SIGTERM or SIGHUP: ask the run to stop and write what it
// has (batch schedulers, `timeout`, `docker stop` and systemd send TERM; a
// closed terminal sends HUP); before there is anything to write (reading
// the data, generating), end at once. Second: the default action, for a
// user who does not want to wait. Only async-signal-safe calls here.
extern "C" void OnStopSignal(int signal_number) {
  g_stop_signal.store(signal_number, std::memory_order_relaxed);
  g_stop_requested.store(true, std::memory_order_relaxed);
  std::signal(signal_number, SIG_DFL);
  if (g_phase_kind.load(std::memory_order_relaxed) == static_cast<int>(PhaseKind::kWork)) {
    static const char kMessage[] = "asyncopt: stopped by a signal before any result existed; nothing written\n";
    [[maybe_unused]] const ssize_t n = ::write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
    ::_exit(128 + signal_number);
  }
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
               "  plot      draw traces: suboptimality against seconds and epochs (PNG)\n"
               "  contention  sweep hogwild over threads x write policy x sparsifier on your\n"
               "            data: throughput, time to target, conflicts (CSV, JSON, PNG)\n"
               "  version   print version and build provenance\n"
               "\n"
               "exit codes: 0 success, 1 internal error, 2 bad usage or input, 3 diverged,\n"
               "            4 not enough threads or memory for the run, 5 an output could not\n"
               "            be written (the others were), 6 a worker (thread or rank) fell silent\n"
               "            past --peer-timeout (results so far are written), 128+N stopped by\n"
               "            signal N (Ctrl-C: 130, SIGTERM: 143, SIGHUP: 129; results so far are\n"
               "            written)\n");
}

// Whole messages are shown whole (only bytes that are not text escaped).
constexpr std::size_t kMessageBytes = 1 << 16;

int ErrorExit(const std::string& command, const asyncopt::Error& e) {
  int code = kExitUsage;
  switch (e.kind()) {
    case asyncopt::ErrorKind::kResource:
      code = kExitResource;
      break;
    case asyncopt::ErrorKind::kInvalidInput:
    case asyncopt::ErrorKind::kInvalidOption:
    case asyncopt::ErrorKind::kIo:
    case asyncopt::ErrorKind::kUnsupported:
      break;
  }
  std::fprintf(stderr, "asyncopt %s: error: %s\n", command.c_str(),
               Printable(e.what(), kMessageBytes).c_str());
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    Usage(stderr);
    return kExitUsage;
  }
  const std::string command = argv[1];
  const std::vector<std::string> args(argv + 2, argv + argc);
  for (const int s : {SIGINT, SIGTERM, SIGHUP}) std::signal(s, OnStopSignal);
  // A reader that goes away (`asyncopt ... --summary /dev/stdout | head`)
  // is a write error of that output, not a silent death.
  std::signal(SIGPIPE, SIG_IGN);
  try {
    if (command == "train") return RunTrain(args);
    if (command == "predict") return RunPredict(args);
    if (command == "optimum") return RunOptimum(args);
    if (command == "generate") return RunGenerate(args);
    if (command == "info") return RunInfo(args);
    if (command == "plot") return RunPlot(args);
    if (command == "contention") return RunContention(args);
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
    std::fprintf(stderr, "asyncopt: unknown command '%s'\n", Printable(command).c_str());
    Usage(stderr);
    return kExitUsage;
  } catch (const UsageError& e) {
    std::fprintf(stderr, "asyncopt %s: error: %s\n", command.c_str(), e.what());
    return kExitUsage;
  } catch (const asyncopt::Error& e) {
    return ErrorExit(command, e);
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr,
                 "asyncopt %s: error: out of memory while %s; free memory, raise the limit "
                 "(ulimit -v, the cgroup's memory.max) or use smaller data\n",
                 command.c_str(), Phase().empty() ? "starting" : Phase().c_str());
    return kExitResource;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "asyncopt %s: internal error while %s: %s\n", command.c_str(),
                 Phase().empty() ? "starting" : Phase().c_str(),
                 Printable(e.what(), kMessageBytes).c_str());
    return kExitFailure;
  }
}
