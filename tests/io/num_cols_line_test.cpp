// Dataset::num_cols_line: the source line holding the largest feature index,
// whatever the block split and thread count.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>

#include "asyncopt/dataset.hpp"
#include "io/io_test_util.hpp"
#include "io/libsvm_reader_internal.hpp"

namespace asyncopt {
namespace {

// First 1-based line of `text` holding its largest "index:" token, found
// with plain string scanning (comments and qid skipped); 0 when none.
std::int64_t ReferenceLine(const std::string& text) {
  std::int64_t best = 0;
  std::int64_t best_line = 0;
  std::int64_t line = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    ++line;
    std::string body = text.substr(start, end - start);
    body = body.substr(0, body.find('#'));
    std::size_t pos = 0;
    while ((pos = body.find(':', pos)) != std::string::npos) {
      std::size_t digits = pos;
      while (digits > 0 && body[digits - 1] >= '0' && body[digits - 1] <= '9') --digits;
      if (digits < pos) {
        const std::int64_t index = std::stoll(body.substr(digits, pos - digits));
        if (index > best) {
          best = index;
          best_line = line;
        }
      }
      ++pos;
    }
    start = end + 1;
  }
  return best_line;
}

TEST(NumColsLine, LineOfTheLargestIndex) {
  EXPECT_EQ(ParseLibsvm("1 1:1\n-1 2147483647:1\n", "t").num_cols_line, 2);
  EXPECT_EQ(ParseLibsvm("1 1:1\n-1 2147483647:1\n", "t").num_cols, 2147483647);
  // Comments, blank and CRLF lines count; ties keep the first line; an
  // explicit zero sets d too.
  const Dataset d = ParseLibsvm("# header\r\n1 1:1\r\n\r\n  \n-1 3:1 9:0\r\n1 9:2\n1 4:1\n", "t");
  EXPECT_EQ(d.num_cols, 9);
  EXPECT_EQ(d.num_cols_line, 5);
  // A larger index in a comment does not count.
  EXPECT_EQ(ParseLibsvm("1 1:1 # 99:1\n1 2:1\n", "t").num_cols_line, 2);
  EXPECT_EQ(ParseLibsvm("1 5:1\n1 2:1", "t").num_cols_line, 1);
}

TEST(NumColsLine, NoFeatureMeansUnknown) {
  const Dataset d = ParseLibsvm("1\n-1 qid:3\n", "t");
  EXPECT_EQ(d.num_cols, 0);
  EXPECT_EQ(d.num_cols_line, 0);
}

TEST(NumColsLine, SameLineWhateverTheBlockSizeAndThreads) {
  std::mt19937_64 rng(11);
  for (int round = 0; round < 4; ++round) {
    std::string text;
    const int lines = 3000;
    // The largest index appears on 1 to 3 random lines (a tie for the others).
    const int max_index = 100000 + round;
    const int hot_a = static_cast<int>(rng() % lines);
    const int hot_b = round % 2 ? static_cast<int>(rng() % lines) : -1;
    for (int i = 0; i < lines; ++i) {
      const bool hot = i == hot_a || i == hot_b;
      switch (rng() % 10) {
        case 0:
          text += "# comment 999999:1\n";
          break;
        case 1:
          text += "\r\n";
          break;
        default:
          break;
      }
      text += rng() % 2 ? "1" : "-1";
      int index = 0;
      const int nnz = static_cast<int>(rng() % 6);
      for (int k = 0; k < nnz; ++k) {
        index += 1 + static_cast<int>(rng() % 1000);
        text += " " + std::to_string(index) + ":1";
      }
      if (hot) text += " " + std::to_string(max_index) + ":2";
      text += rng() % 3 ? "\n" : "\r\n";
    }
    const std::int64_t expected = ReferenceLine(text);
    ASSERT_GT(expected, 0);
    for (const int threads : {1, 2}) {
      for (const std::size_t block :
           {std::size_t{0}, std::size_t{1}, std::size_t{7}, std::size_t{64}, std::size_t{4099}}) {
        SCOPED_TRACE("threads " + std::to_string(threads) + " block " + std::to_string(block));
        ReadOptions options;
        options.threads = threads;
        io::ParseTuning tuning;
        tuning.block_bytes = block;
        const Dataset d = io::ParseLibsvmTuned(text, "g", options, tuning);
        EXPECT_EQ(d.num_cols, max_index);
        EXPECT_EQ(d.num_cols_line, expected);
      }
    }
  }
}

TEST(NumColsLine, ReadFromAFile) {
  io_test::TempDir dir;
  const std::string path = dir.File("d.svm");
  io_test::WriteBytes(path, "# made by hand\n1 1:1\n-1 70000:1\n1 3:1\n");
  EXPECT_EQ(ReadLibsvm(path).num_cols_line, 3);
}

}  // namespace
}  // namespace asyncopt
