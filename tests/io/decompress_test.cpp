// Compressed input: detection by magic bytes, round trips, damaged streams.
#include <bzlib.h>
#include <gtest/gtest.h>
#include <lzma.h>
#include <zlib.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "asyncopt/dataset.hpp"
#include "io/compress_util.hpp"
#include "io/decompress.hpp"
#include "io/io_test_util.hpp"

namespace asyncopt {
namespace {

using io_test::Bzip2;
using io_test::ErrorMessage;
using io_test::ExpectSameData;
using io_test::Gzip;
using io_test::ReadBytes;
using io_test::TempDir;
using io_test::WriteBytes;
using io_test::Xz;

// Deterministic LIBSVM text of about `rows` lines.
std::string SampleText(int rows, unsigned seed = 7) {
  std::mt19937 rng(seed);
  std::string text;
  for (int i = 0; i < rows; ++i) {
    text += (rng() % 2) ? "+1" : "-1";
    int index = 0;
    const int nnz = static_cast<int>(rng() % 12);
    for (int k = 0; k < nnz; ++k) {
      index += 1 + static_cast<int>(rng() % 50);
      text += " " + std::to_string(index) + ":" + std::to_string(rng() % 1000) + "." +
              std::to_string(rng() % 100);
    }
    text += "\n";
  }
  return text;
}

std::string DrainSource(io::ByteSource& source, std::size_t chunk) {
  std::string out;
  std::vector<char> buf(chunk);
  for (;;) {
    const std::size_t n = source.Read(buf.data(), buf.size());
    if (n == 0) break;
    out.append(buf.data(), n);
  }
  return out;
}

TEST(Decompress, DetectsMagicBytes) {
  auto detect = [](const std::string& bytes) {
    return io::DetectCompression(reinterpret_cast<const unsigned char*>(bytes.data()),
                                 bytes.size());
  };
  EXPECT_EQ(detect(Gzip("x")), io::Compression::kGzip);
  EXPECT_EQ(detect(Bzip2("x")), io::Compression::kBzip2);
  EXPECT_EQ(detect(Xz("x")), io::Compression::kXz);
  EXPECT_EQ(detect("1 1:1\n"), io::Compression::kNone);
  EXPECT_EQ(detect("\x1f"), io::Compression::kNone);
  EXPECT_EQ(detect(std::string("\xfd" "7zXZ", 5)), io::Compression::kNone);
  EXPECT_EQ(io::CompressionName(io::Compression::kXz), "xz");
}

TEST(Decompress, RoundTripsEveryFormatWhateverTheFileName) {
  TempDir dir;
  const std::string text = SampleText(3000);
  const Dataset expected = ParseLibsvm(text, "mem");
  struct Variant {
    std::string name;  // deliberately misleading extensions
    std::string bytes;
    io::Compression compression;
  };
  const Variant variants[] = {
      {"plain.gz", text, io::Compression::kNone},
      {"gzip.txt", Gzip(text), io::Compression::kGzip},
      {"bzip2.xz", Bzip2(text), io::Compression::kBzip2},
      {"xz.bz2", Xz(text), io::Compression::kXz},
      {"gzip_members", Gzip(text.substr(0, 5000)) + Gzip(text.substr(5000)),
       io::Compression::kGzip},
      {"bzip2_streams", Bzip2(text.substr(0, 777)) + Bzip2(text.substr(777)),
       io::Compression::kBzip2},
      {"xz_streams", Xz(text.substr(0, 4096)) + Xz(text.substr(4096)), io::Compression::kXz},
  };
  for (const Variant& v : variants) {
    SCOPED_TRACE(v.name);
    const std::string path = dir.File(v.name);
    WriteBytes(path, v.bytes);
    io::DecompressingFileSource source(path);
    EXPECT_EQ(source.compression(), v.compression);
    EXPECT_EQ(source.file_size(), v.bytes.size());
    // Odd read sizes exercise the refill loops.
    ASSERT_EQ(DrainSource(source, 4093), text);
    const Dataset d = ReadLibsvm(path);
    ExpectSameData(expected, d);
    EXPECT_EQ(d.source, path);
  }
}

TEST(Decompress, SmallReadsAndEmptyStreams) {
  TempDir dir;
  const std::string text = SampleText(50);
  const std::string path = dir.File("small.gz");
  WriteBytes(path, Gzip(text));
  io::DecompressingFileSource source(path);
  EXPECT_EQ(DrainSource(source, 1), text);
  EXPECT_EQ(source.Read(nullptr, 0), 0u);

  const std::string empty = dir.File("empty.xz");
  WriteBytes(empty, Xz(""));
  EXPECT_EQ(ErrorMessage([&] { ReadLibsvm(empty); }), empty + ": no data rows");
  const std::string nothing = dir.File("nothing");
  WriteBytes(nothing, "");
  EXPECT_EQ(ErrorMessage([&] { ReadLibsvm(nothing); }), nothing + ": no data rows");
}

TEST(Decompress, TruncatedStreamsAreErrors) {
  TempDir dir;
  const std::string text = SampleText(2000);
  const std::pair<std::string, std::string> formats[] = {
      {"gzip", Gzip(text)}, {"bzip2", Bzip2(text)}, {"xz", Xz(text)}};
  for (const auto& [name, bytes] : formats) {
    for (const std::size_t keep : {bytes.size() / 2, bytes.size() - 1, std::size_t{10}}) {
      SCOPED_TRACE(name + " keeping " + std::to_string(keep));
      const std::string path = dir.File("cut_" + name);
      WriteBytes(path, bytes.substr(0, keep));
      EXPECT_EQ(ErrorMessage([&] { ReadLibsvm(path); }), path + ": truncated " + name + " stream");
    }
  }
}

TEST(Decompress, CorruptStreamsAreErrors) {
  TempDir dir;
  const std::string text = SampleText(2000);
  {
    std::string bytes = Gzip(text);
    bytes[bytes.size() - 6] ^= 0x55;  // inside the CRC32 trailer
    const std::string path = dir.File("crc.gz");
    WriteBytes(path, bytes);
    EXPECT_EQ(ErrorMessage([&] { ReadLibsvm(path); }),
              path + ": corrupt gzip data (incorrect data check)");
  }
  {
    std::string bytes = Gzip(text) + "trailing garbage";
    const std::string path = dir.File("garbage.gz");
    WriteBytes(path, bytes);
    EXPECT_EQ(ErrorMessage([&] { ReadLibsvm(path); }).rfind(path + ": corrupt gzip data", 0),
              0u);
  }
  const std::pair<std::string, std::string> formats[] = {
      {"gzip", Gzip(text)}, {"bzip2", Bzip2(text)}, {"xz", Xz(text)}};
  for (const auto& [name, original] : formats) {
    SCOPED_TRACE(name);
    std::string bytes = original;
    for (std::size_t i = bytes.size() / 3; i < bytes.size() / 3 + 16; ++i) bytes[i] ^= 0xa5;
    const std::string path = dir.File("flip_" + name);
    WriteBytes(path, bytes);
    const std::string message = ErrorMessage([&] { ReadLibsvm(path); });
    EXPECT_EQ(message.rfind(path + ": corrupt " + name + " data", 0), 0u) << message;
  }
}

TEST(Decompress, MemorySourceServesBytesInOrder) {
  io::MemorySource source("abcdefg");
  EXPECT_EQ(DrainSource(source, 3), "abcdefg");
  EXPECT_EQ(source.Read(nullptr, 5), 0u);
  (void)ReadBytes;
}

}  // namespace
}  // namespace asyncopt
