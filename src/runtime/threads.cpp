#include "runtime/threads.hpp"

#include <cerrno>
#include <system_error>
#include <utility>

#include "asyncopt/error.hpp"

namespace asyncopt::runtime {
namespace {

std::atomic<int> g_fail_at{-1};   // testing::FailThreadCreation
std::atomic<int> g_created{0};    // threads created since it was set

void MaybeInjectFailure() {
  const int fail_at = g_fail_at.load(std::memory_order_relaxed);
  if (fail_at < 0) return;
  if (g_created.fetch_add(1, std::memory_order_relaxed) == fail_at) {
    throw std::system_error(EAGAIN, std::generic_category(), "injected by a test");
  }
}

}  // namespace

namespace testing {
void FailThreadCreation(int k) {
  g_created.store(0, std::memory_order_relaxed);
  g_fail_at.store(k, std::memory_order_relaxed);
}
}  // namespace testing

StartedThreads::StartedThreads(int count, std::function<void(int)> body, std::string role,
                               int total)
    : body_(std::move(body)) {
  threads_.reserve(static_cast<std::size_t>(count > 0 ? count : 0));
  int k = 0;
  try {
    for (; k < count; ++k) {
      MaybeInjectFailure();
      threads_.emplace_back([this, k] {
        gate_.wait(kPending, std::memory_order_acquire);
        if (gate_.load(std::memory_order_acquire) == kGo) body_(k);
      });
    }
  } catch (const std::exception& e) {
    gate_.store(kAbort, std::memory_order_release);
    gate_.notify_all();
    threads_.clear();  // joins the threads created so far; none ran the body
    const int number = k + (total - count) + 1;  // 1-based within the team
    throw Error(ErrorKind::kResource,
                "cannot start " + role + " thread " + std::to_string(number) + " of " +
                    std::to_string(total) + " requested: " + e.what() +
                    " (the system's limit on threads, `ulimit -u`, or memory for their "
                    "stacks, `ulimit -v`); ask for fewer threads");
  }
  gate_.store(kGo, std::memory_order_release);
  gate_.notify_all();
}

StartedThreads::~StartedThreads() = default;  // std::jthread joins

}  // namespace asyncopt::runtime
