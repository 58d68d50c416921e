// Helpers shared by the src/io tests.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "asyncopt/dataset.hpp"
#include "asyncopt/error.hpp"
#include "support/temp_dir.hpp"

namespace asyncopt::io_test {

// A fresh directory removed at the end of the test.
class TempDir : public testing::TempDir {
 public:
  TempDir() : testing::TempDir("io") {}
};

inline void WriteBytes(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

inline std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Asserts that two datasets hold the same matrix, labels and label texts.
inline void ExpectSameData(const Dataset& a, const Dataset& b) {
  EXPECT_EQ(a.num_rows, b.num_rows);
  EXPECT_EQ(a.num_cols, b.num_cols);
  EXPECT_EQ(a.row_ptr, b.row_ptr);
  EXPECT_EQ(a.col_index, b.col_index);
  EXPECT_EQ(a.values, b.values);
  EXPECT_EQ(a.labels, b.labels);
  EXPECT_EQ(a.label_kind, b.label_kind);
  EXPECT_EQ(a.positive_label_text, b.positive_label_text);
  EXPECT_EQ(a.negative_label_text, b.negative_label_text);
  EXPECT_EQ(a.class_labels, b.class_labels);
}

// The message of the asyncopt::Error thrown by `f`, checking its kind; an
// empty string (and a test failure) when nothing or something else is thrown.
template <typename F>
std::string ErrorMessage(F&& f, ErrorKind kind = ErrorKind::kInvalidInput) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(static_cast<int>(e.kind()), static_cast<int>(kind)) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no asyncopt::Error thrown";
  return "";
}

inline std::string ParseError(std::string_view text, const ReadOptions& options = {}) {
  return ErrorMessage([&] { ParseLibsvm(text, "t", options); });
}

}  // namespace asyncopt::io_test
