// Hostile input costs bounded memory: compressed streams that inflate to
// hundreds of megabytes without a newline (zeros, "1 1:1 1:1 ...", blanks, one
// endless comment or token) are rejected after a few blocks, with the message
// a parse of the whole line gives; legitimate long lines still parse.
//
// The peak-RSS checks use getrusage(RUSAGE_SELF).ru_maxrss, a high-water
// mark of the whole process: ctest runs each TEST in its own process
// (gtest_discover_tests), so it measures this test's reading.
#include <gtest/gtest.h>
#include <lzma.h>
#include <sys/resource.h>
#include <zlib.h>

#include <algorithm>
#include <cstddef>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "asyncopt/dataset.hpp"
#include "asyncopt/error.hpp"
#include "io/io_test_util.hpp"
#include "io/libsvm_reader_internal.hpp"

namespace asyncopt {
namespace {

using io_test::ErrorMessage;
using io_test::ExpectSameData;
using io_test::TempDir;

constexpr std::size_t kMiB = std::size_t{1} << 20;
// Longest token, blank run or comment the reader accepts.
constexpr std::size_t kMaxSpan = kMiB;

#if defined(__SANITIZE_THREAD__)
constexpr long kMaxGrowthKb = 300 * 1024;  // TSan's shadow memory multiplies RSS
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
constexpr long kMaxGrowthKb = 300 * 1024;
#else
constexpr long kMaxGrowthKb = 100 * 1024;
#endif
#else
constexpr long kMaxGrowthKb = 100 * 1024;
#endif

long PeakRssKb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;  // kilobytes on Linux
}

enum class Codec { kGzip, kXz };

// Writes to `path`, compressed, `prefix` followed by copies of `unit` up to
// `total` bytes of text, streaming (the text is never held whole).
void WriteCompressedStream(const std::string& path, Codec codec, std::string_view prefix,
                           std::string_view unit, std::size_t total) {
  std::string chunk;
  while (!unit.empty() && chunk.size() + unit.size() <= kMiB) chunk += unit;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  std::vector<unsigned char> buffer(kMiB);
  z_stream zs{};
  lzma_stream xz = LZMA_STREAM_INIT;
  if (codec == Codec::kGzip) {
    ASSERT_EQ(deflateInit2(&zs, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  } else {
    ASSERT_EQ(lzma_easy_encoder(&xz, 0, LZMA_CHECK_CRC32), LZMA_OK);
  }
  // Compresses `in` (finishing the stream when `last`).
  const auto feed = [&](std::string_view in, bool last) {
    if (codec == Codec::kGzip) {
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
      zs.avail_in = static_cast<uInt>(in.size());
      int ret = Z_OK;
      do {
        zs.next_out = buffer.data();
        zs.avail_out = static_cast<uInt>(buffer.size());
        ret = deflate(&zs, last ? Z_FINISH : Z_NO_FLUSH);
        ASSERT_NE(ret, Z_STREAM_ERROR);
        out.write(reinterpret_cast<const char*>(buffer.data()),
                  static_cast<std::streamsize>(buffer.size() - zs.avail_out));
      } while (zs.avail_out == 0 || (last && ret != Z_STREAM_END));
    } else {
      xz.next_in = reinterpret_cast<const std::uint8_t*>(in.data());
      xz.avail_in = in.size();
      lzma_ret ret = LZMA_OK;
      do {
        xz.next_out = buffer.data();
        xz.avail_out = buffer.size();
        ret = lzma_code(&xz, last ? LZMA_FINISH : LZMA_RUN);
        ASSERT_TRUE(ret == LZMA_OK || ret == LZMA_STREAM_END) << ret;
        out.write(reinterpret_cast<const char*>(buffer.data()),
                  static_cast<std::streamsize>(buffer.size() - xz.avail_out));
      } while (xz.avail_out == 0 || (last && ret != LZMA_STREAM_END));
    }
  };
  feed(prefix, false);
  for (std::size_t written = prefix.size(); written < total;) {
    const std::size_t n = std::min(chunk.size(), total - written);
    feed(std::string_view(chunk).substr(0, n), false);
    written += n;
  }
  feed({}, true);
  if (codec == Codec::kGzip) {
    deflateEnd(&zs);
  } else {
    lzma_end(&xz);
  }
  ASSERT_TRUE(out.good()) << path;
}

// Reads `path` and expects `path` + `suffix` as the error, with the peak RSS
// of the process growing by less than kMaxGrowthKb.
void ExpectRejectedInBoundedMemory(const std::string& path, const std::string& suffix) {
  const long before = PeakRssKb();
  EXPECT_EQ(ErrorMessage([&] { ReadLibsvm(path); }), path + suffix);
  const long growth = PeakRssKb() - before;
  EXPECT_LT(growth, kMaxGrowthKb) << "peak RSS grew by " << growth / 1024 << " MB";
}

TEST(HostileInput, GzipOfZerosIsNotTextAndCostsAFewBlocks) {
  TempDir dir;
  const std::string path = dir.File("zeros.gz");
  WriteCompressedStream(path, Codec::kGzip, "", std::string_view("\0", 1), 256 * kMiB);
  ExpectRejectedInBoundedMemory(path, ":1:1: not a text file (byte 0x00 at line 1 column 1)");
}

TEST(HostileInput, GzipOfZerosAfterValidRowsNamesTheLine) {
  TempDir dir;
  const std::string path = dir.File("zeros.gz");
  WriteCompressedStream(path, Codec::kGzip, "1 1:1\n-1 2:1\n", std::string_view("\0", 1),
                        256 * kMiB);
  ExpectRejectedInBoundedMemory(path, ":3:1: not a text file (byte 0x00 at line 3 column 1)");
}

TEST(HostileInput, TextBombIsRejectedAtItsFirstBadToken) {
  TempDir dir;
  const std::string path = dir.File("bomb.xz");
  WriteCompressedStream(path, Codec::kXz, "1", " 1:1", 200 * kMiB);
  ExpectRejectedInBoundedMemory(path, ":1:7: indices must be strictly increasing: 1 after 1");
  // The message a parse of the whole (short) line gives.
  EXPECT_EQ(io_test::ParseError("1 1:1 1:1 1:1 1:1"),
            "t:1:7: indices must be strictly increasing: 1 after 1");
}

TEST(HostileInput, EndlessBlanksCommentOrTokenAreRejected) {
  struct Case {
    std::string prefix;
    std::string unit;
    std::string suffix;
  };
  const Case cases[] = {
      {"1 1:1", " ", ":1:6: more than 1048576 blanks in a row"},
      {"   ", "\t", ":1:1: more than 1048576 blanks in a row"},
      {"1 1:1 #", "x", ":1:7: comment longer than 1048576 bytes"},
      {"1 1:1 # ", "ab ", ":1:7: comment longer than 1048576 bytes"},
      {"1 1:0.", "0",
       ":1:3: token longer than 1048576 bytes: '1:0." + std::string(36, '0') + "...'"},
      {"", "7", ":1:1: token longer than 1048576 bytes: '" + std::string(40, '7') + "...'"},
      {"1 1:1 ", "x", ":1:7: token longer than 1048576 bytes: '" + std::string(40, 'x') + "...'"},
  };
  TempDir dir;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.prefix + c.unit);
    const std::string path = dir.File("bomb.gz");
    WriteCompressedStream(path, Codec::kGzip, c.prefix, c.unit, 64 * kMiB);
    ExpectRejectedInBoundedMemory(path, c.suffix);
  }
}

// Parses `text` with several block sizes and thread counts: all must give
// the same data or the same error as one block holding the whole text.
void ExpectSameOutcomeForEveryBlockSize(const std::string& text, const ReadOptions& base = {}) {
  ReadOptions options = base;
  options.threads = 1;
  io::ParseTuning whole;
  whole.block_bytes = text.size() + 1;
  std::string reference_error;
  Dataset reference;
  try {
    reference = io::ParseLibsvmTuned(text, "t", options, whole);
  } catch (const Error& e) {
    reference_error = e.what();
  }
  for (const int threads : {1, 2}) {
    for (const std::size_t block :
         {std::size_t{1}, std::size_t{64}, std::size_t{4099}, std::size_t{0}}) {
      SCOPED_TRACE("threads " + std::to_string(threads) + " block " + std::to_string(block));
      options.threads = threads;
      io::ParseTuning tuning;
      tuning.block_bytes = block;
      if (reference_error.empty()) {
        const Dataset d = io::ParseLibsvmTuned(text, "t", options, tuning);
        ExpectSameData(reference, d);
        EXPECT_EQ(d.num_cols_line, reference.num_cols_line);
      } else {
        EXPECT_EQ(ErrorMessage([&] { io::ParseLibsvmTuned(text, "t", options, tuning); }),
                  reference_error);
      }
    }
  }
}

TEST(HostileInput, SpanLimitsDoNotDependOnTheBlockSize) {
  const std::string at_limit[] = {
      "1 1:1\n-1" + std::string(kMaxSpan, ' ') + "2:1\n",
      "1 1:1 #" + std::string(kMaxSpan - 1, 'x') + "\n-1 2:1\n",
      "1 1:0." + std::string(kMaxSpan - 5, '0') + "1 2:1\n-1 2:1\n",
      std::string(kMaxSpan, '\t') + "1 1:1\n-1\n",
  };
  for (const std::string& text : at_limit) {
    SCOPED_TRACE(text.substr(0, 10));
    EXPECT_NO_THROW(ParseLibsvm(text, "t"));
    ExpectSameOutcomeForEveryBlockSize(text);
  }
  const std::pair<std::string, std::string> over_limit[] = {
      {"1 1:1\n-1" + std::string(kMaxSpan + 1, ' ') + "2:1\n",
       "t:2:3: more than 1048576 blanks in a row"},
      {"1 1:1 #" + std::string(kMaxSpan, 'x') + "\n-1 2:1\n",
       "t:1:7: comment longer than 1048576 bytes"},
      {"1 1:0." + std::string(kMaxSpan - 4, '0') + "1 2:1\n-1 2:1\n",
       "t:1:3: token longer than 1048576 bytes: '1:0." + std::string(36, '0') + "...'"},
      // A too long token is reported as such whatever else is wrong with it.
      {"1 1:0." + std::string(kMaxSpan, '0') + "x\n",
       "t:1:3: token longer than 1048576 bytes: '1:0." + std::string(36, '0') + "...'"},
      {"1 " + std::string(kMaxSpan, '0') + "1:x\n",
       "t:1:3: token longer than 1048576 bytes: '" + std::string(40, '0') + "...'"},
  };
  for (const auto& [text, message] : over_limit) {
    SCOPED_TRACE(message);
    EXPECT_EQ(io_test::ParseError(text), message);
    ExpectSameOutcomeForEveryBlockSize(text);
  }
}

TEST(HostileInput, ErrorsInLongLinesMatchAParseOfTheWholeLine) {
  std::string row = "1";
  for (int k = 1; k <= 20000; ++k) row += " " + std::to_string(k) + ":1";
  const std::string bad_tokens[] = {
      " 5:1",        " x",
      " 20001:abc",  " 20001:1\r 20002:1",
      " 20001:nan",  " 20001:1e999",
      " 0:1",        " qid:3",
      " 20001:1:2",  " 99999999999:1",
      " 20001: 1",   " 20001:1 # ok 3:1",
      " 20001:2",    " 1:1\x01",
      "\t20001:1\r",
  };
  for (const std::string& bad : bad_tokens) {
    SCOPED_TRACE(bad);
    const std::string tail = " 30000:1 30001:1 30001:1";  // a later error
    ExpectSameOutcomeForEveryBlockSize(row + bad + tail + "\n-1 1:1\n");
    ExpectSameOutcomeForEveryBlockSize("-1 2:1\r\n" + row + bad + tail);  // no final newline
  }
  // Labels checked against expected ones, in a long line.
  ReadOptions expect;
  expect.expected_labels = {1, -1};
  ExpectSameOutcomeForEveryBlockSize("-1 1:1\n3" + row.substr(1) + "\n", expect);
  EXPECT_EQ(io_test::ParseError("-1 1:1\n3" + row.substr(1) + "\n", expect),
            "t:2:1: label '3' is not one of the expected labels 1, -1");
}

TEST(HostileInput, DenseRowLongerThanManyBlocksStillParses) {
  constexpr int kFeatures = 1000000;
  std::string text = "1 3:1\n-1";
  for (int k = 1; k <= kFeatures; ++k) text += " " + std::to_string(k) + ":0.5";
  text += "\n1 7:2\n";
  TempDir dir;
  const std::string path = dir.File("dense.gz");
  WriteCompressedStream(path, Codec::kGzip, text, "", text.size());
  for (const std::size_t block : {std::size_t{0}, std::size_t{4096}}) {
    io::ParseTuning tuning;
    tuning.block_bytes = block;
    const Dataset d = io::ReadLibsvmTuned(path, {}, tuning);
    ASSERT_EQ(d.num_rows, 3);
    EXPECT_EQ(d.row(1).nnz, kFeatures);
    EXPECT_EQ(d.num_cols, kFeatures);
    EXPECT_EQ(d.num_cols_line, 2);
    EXPECT_EQ(d.row(1).index[kFeatures - 1], kFeatures - 1);
    EXPECT_EQ(d.row(2).index[0], 6);
  }
}

}  // namespace
}  // namespace asyncopt
