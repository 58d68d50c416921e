// A fresh, empty folder for one test's files, removed when the object dies
// (also when the test fails: the destructor runs on every path out of the
// test body). Tests write nowhere else: not /dev, not the working folder.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <system_error>

namespace asyncopt::testing {

class TempDir {
 public:
  // Named asyncopt_TAG_PID_SUITE_TEST_N in the system's temporary folder.
  explicit TempDir(const std::string& tag = "test") {
    static std::atomic<int> counter{0};
    std::string leaf = "asyncopt_" + tag + "_" + std::to_string(::getpid()) + "_";
    if (const auto* info = ::testing::UnitTest::GetInstance()->current_test_info()) {
      leaf += std::string(info->test_suite_name()) + "_" + info->name() + "_";
    }
    leaf += std::to_string(counter.fetch_add(1));
    for (char& c : leaf) {
      if (c == '/') c = '_';  // parameterised test names
    }
    path_ = std::filesystem::temp_directory_path() / leaf;
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string File(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace asyncopt::testing
