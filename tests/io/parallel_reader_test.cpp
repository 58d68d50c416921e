// Block splitting and parallel parsing give the same Dataset (and the same
// first error) whatever the number of threads and the block size.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "asyncopt/dataset.hpp"
#include "io/io_test_util.hpp"
#include "io/libsvm_reader_internal.hpp"

namespace asyncopt {
namespace {

using io_test::ErrorMessage;
using io_test::ExpectSameData;

// About `bytes` of varied LIBSVM text: comments, blank lines, CRLF, qid,
// zeros, empty rows, labels 0/1.
std::string GeneratedText(std::size_t bytes, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::string text;
  text.reserve(bytes + 1024);
  std::int64_t line = 0;
  while (text.size() < bytes) {
    ++line;
    const unsigned kind = static_cast<unsigned>(rng() % 100);
    if (kind == 0) {
      text += "# comment line " + std::to_string(line) + "\n";
      continue;
    }
    if (kind == 1) {
      text += "\n";
      continue;
    }
    text += (rng() % 3 == 0) ? "1" : "0";
    if (kind == 2) text += " qid:" + std::to_string(rng() % 100);
    const int nnz = (kind == 3) ? 0 : static_cast<int>(rng() % 40);
    std::int64_t index = 0;
    for (int k = 0; k < nnz; ++k) {
      index += 1 + static_cast<std::int64_t>(rng() % 300);
      text += (k % 7 == 3) ? "\t" : " ";
      text += std::to_string(index) + ":";
      switch (rng() % 4) {
        case 0: text += std::to_string(rng() % 256); break;
        case 1: text += "0"; break;
        case 2: text += "0." + std::to_string(rng() % 1000000); break;
        default: text += "-" + std::to_string(rng() % 1000) + "e-" + std::to_string(rng() % 9);
      }
    }
    if (kind == 4) text += " # trailing";
    text += (kind == 5) ? "\r\n" : "\n";
  }
  return text;
}

TEST(ParallelReader, ThreadsAndBlockSizesGiveIdenticalData) {
  const std::string text = GeneratedText(3u << 20, 1);
  ReadOptions options;
  options.threads = 1;
  io::ParseTuning one_block;
  one_block.block_bytes = text.size() + 1;
  const Dataset reference = io::ParseLibsvmTuned(text, "gen", options, one_block);
  ASSERT_GT(reference.num_rows, 10000);
  EXPECT_EQ(reference.positive_label_text, "1");
  EXPECT_EQ(reference.negative_label_text, "0");
  const std::uint64_t hash = ContentHash(reference);
  for (const int threads : {1, 2, 4}) {
    for (const std::size_t block : {std::size_t{0}, std::size_t{64} << 10, std::size_t{4099}}) {
      SCOPED_TRACE("threads " + std::to_string(threads) + " block " + std::to_string(block));
      options.threads = threads;
      io::ParseTuning tuning;
      tuning.block_bytes = block;
      const Dataset d = io::ParseLibsvmTuned(text, "gen", options, tuning);
      ExpectSameData(reference, d);
      EXPECT_EQ(d.num_cols_line, reference.num_cols_line);
      EXPECT_EQ(ContentHash(d), hash);
    }
  }
}

TEST(ParallelReader, FilesWithLinesLongerThanTheBlock) {
  io_test::TempDir dir;
  std::string text = "1 1:1\n";
  text += "-1";
  for (int k = 1; k <= 3000; ++k) text += " " + std::to_string(k) + ":" + std::to_string(k);
  text += "\n1 5:5\n-1";  // no final newline
  for (int k = 1; k <= 500; ++k) text += " " + std::to_string(2 * k) + ":0.5";
  const std::string path = dir.File("long.svm");
  io_test::WriteBytes(path, text);
  const Dataset expected = ParseLibsvm(text, path);
  ASSERT_EQ(expected.num_rows, 4);
  EXPECT_EQ(expected.row(1).nnz, 3000);
  for (const int threads : {1, 3}) {
    ReadOptions options;
    options.threads = threads;
    io::ParseTuning tuning;
    tuning.block_bytes = 1000;  // far shorter than line 2
    ExpectSameData(expected, io::ReadLibsvmTuned(path, options, tuning));
    tuning.block_bytes = 1;
    const Dataset d = io::ReadLibsvmTuned(path, options, tuning);
    ExpectSameData(expected, d);
    EXPECT_EQ(d.num_cols_line, 2);
  }
}

TEST(ParallelReader, FirstErrorInFileOrderWithCorrectLineNumber) {
  std::string text;
  for (int i = 1; i <= 20000; ++i) {
    if (i == 7777) {
      text += "1 4:1 2:1\n";
    } else if (i == 15000) {
      text += "bad\n";
    } else if (i % 10 == 0) {
      text += "# comment\r\n";
    } else {
      text += "-1 1:0.5 3:1.25 10:7\n";
    }
  }
  for (const int threads : {1, 2, 4}) {
    for (const std::size_t block : {std::size_t{0}, std::size_t{4096}, std::size_t{333}}) {
      SCOPED_TRACE("threads " + std::to_string(threads) + " block " + std::to_string(block));
      ReadOptions options;
      options.threads = threads;
      io::ParseTuning tuning;
      tuning.block_bytes = block;
      EXPECT_EQ(ErrorMessage([&] { io::ParseLibsvmTuned(text, "e", options, tuning); }),
                "e:7777:7: indices must be strictly increasing: 2 after 4");
    }
  }
}

TEST(ParallelReader, DefaultThreadCountWorks) {
  const std::string text = GeneratedText(200000, 3);
  ReadOptions all;
  all.threads = 0;
  ReadOptions one;
  one.threads = 1;
  ExpectSameData(ParseLibsvm(text, "g", one), ParseLibsvm(text, "g", all));
}

}  // namespace
}  // namespace asyncopt
