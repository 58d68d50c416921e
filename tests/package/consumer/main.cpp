// Embeds asyncopt: checks the version macros against the installed version,
// generates data, solves, checks the answer, and catches the asyncopt::Error
// the library throws. Exit 0 on success.
#include <asyncopt/asyncopt.hpp>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string_view>
#include <thread>

// The compile-time version equals the installed package's (EXPECTED_* come
// from the test), and ASYNCOPT_VERSION follows its documented formula.
static_assert(ASYNCOPT_VERSION_MAJOR == EXPECTED_MAJOR);
static_assert(ASYNCOPT_VERSION_MINOR == EXPECTED_MINOR);
static_assert(ASYNCOPT_VERSION_PATCH == EXPECTED_PATCH);
static_assert(ASYNCOPT_VERSION == EXPECTED_MAJOR * 10000 + EXPECTED_MINOR * 100 + EXPECTED_PATCH);
static_assert(std::string_view(ASYNCOPT_VERSION_STRING) == EXPECTED_VERSION_STRING);
#if ASYNCOPT_VERSION < 100  // usable in #if: 0.1.0 is the first version
#error "ASYNCOPT_VERSION is not a preprocessor number"
#endif

int main() {
  // The library loaded at run time is the one these headers describe.
  const asyncopt::BuildInfo info = asyncopt::GetBuildInfo();
  if (std::strcmp(info.version, ASYNCOPT_VERSION_STRING) != 0) {
    std::printf("consumer: library %s, headers %s\n", info.version, ASYNCOPT_VERSION_STRING);
    return 1;
  }

  asyncopt::WangniLogisticOptions gen;
  gen.rows = 300;
  gen.dim = 40;
  const asyncopt::Dataset data = asyncopt::GenerateWangniLogistic(gen);
  const asyncopt::Problem problem{asyncopt::Loss::kLogistic, 0.0, 1e-2};
  asyncopt::Options options;  // defaults live in the library
  const asyncopt::Result result = asyncopt::Solve(data, problem, options);
  std::printf("consumer: asyncopt %s (%s): %s\n", ASYNCOPT_VERSION_STRING, info.git_commit,
              result.BriefReport().c_str());
  const bool ok = result.status == asyncopt::Status::kConverged && result.IsSolutionUsable() &&
                  std::isfinite(result.objective) && result.objective < std::log(2.0);
  if (!ok) return 1;

  // The embedding contract of README's example: on_trace runs on this
  // thread and its kStop ends the run as interrupted, with usable weights.
  asyncopt::Options traced;
  traced.solver = asyncopt::SolverKind::kSvrg;
  traced.threads = 2;
  const std::thread::id caller = std::this_thread::get_id();
  int points = 0;
  bool elsewhere = false;
  traced.on_trace = [&](const asyncopt::TracePoint& p) {
    ++points;
    elsewhere = elsewhere || std::this_thread::get_id() != caller;
    return p.epoch >= 2.0 ? asyncopt::TraceReply::kStop : asyncopt::TraceReply::kContinue;
  };
  const asyncopt::Result stopped = asyncopt::Solve(data, problem, traced);
  if (stopped.status != asyncopt::Status::kInterrupted || !stopped.IsSolutionUsable() ||
      elsewhere || points < 2 || stopped.epochs >= traced.max_epochs) {
    std::printf("consumer: on_trace's kStop: %s after %d points%s\n", stopped.BriefReport().c_str(),
                points, elsewhere ? ", called on another thread" : "");
    return 1;
  }

  // An error thrown inside the library is caught here as asyncopt::Error.
  try {
    (void)asyncopt::Solve(asyncopt::Dataset{}, problem, options);
    std::printf("consumer: Solve on a dataset with no rows did not throw\n");
    return 1;
  } catch (const asyncopt::Error& e) {
    if (e.kind() != asyncopt::ErrorKind::kInvalidInput) {
      std::printf("consumer: wrong error kind: %s\n", e.what());
      return 1;
    }
    std::printf("consumer: caught asyncopt::Error: %s\n", e.what());
  } catch (const std::exception& e) {
    std::printf("consumer: caught a std::exception, not asyncopt::Error: %s\n", e.what());
    return 1;
  }
  return 0;
}
