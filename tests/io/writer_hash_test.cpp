// WriteLibsvm round trips and ContentHash.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <random>
#include <string>

#include "asyncopt/dataset.hpp"
#include "asyncopt/error.hpp"
#include "io/io_test_util.hpp"

namespace asyncopt {
namespace {

using io_test::ErrorMessage;
using io_test::ExpectSameData;
using io_test::ReadBytes;
using io_test::TempDir;

Dataset Small() { return ParseLibsvm("1 1:0.5 3:2\n-1\n1 2:-1e-300 3:0.1\n", "small"); }

TEST(Writer, ExactText) {
  TempDir dir;
  const std::string path = dir.File("out.svm");
  WriteLibsvm(Small(), path);
  EXPECT_EQ(ReadBytes(path), "+1 1:0.5 3:2\n-1\n+1 2:-1e-300 3:0.1\n");
}

TEST(Writer, RoundTripsExtremeValuesBitForBit) {
  TempDir dir;
  Dataset d;
  const double specials[] = {0.1,
                             1.0 / 3.0,
                             -2.0 / 3.0,
                             std::numeric_limits<double>::denorm_min(),
                             std::numeric_limits<double>::min(),
                             std::numeric_limits<double>::max(),
                             -std::numeric_limits<double>::max(),
                             123456789012345678.0,
                             1e-5,
                             6.02214076e23};
  std::mt19937_64 rng(5);
  for (int i = 0; i < 500; ++i) {
    const int nnz = i % 9;
    std::int32_t col = 0;
    for (int k = 0; k < nnz; ++k) {
      col += 1 + static_cast<std::int32_t>(rng() % 1000);
      d.col_index.push_back(col);
      double v;
      if (k < 2) {
        v = specials[rng() % std::size(specials)];
      } else {
        // Random bit patterns that are finite and non-zero.
        do {
          const std::uint64_t bits = rng();
          std::memcpy(&v, &bits, sizeof v);
        } while (!std::isfinite(v) || v == 0.0);
      }
      d.values.push_back(v);
    }
    d.row_ptr.push_back(static_cast<std::int64_t>(d.col_index.size()));
    d.labels.push_back(i % 3 == 0 ? 1.0 : -1.0);
  }
  d.num_rows = 500;
  d.num_cols = 0;
  for (const std::int32_t c : d.col_index) d.num_cols = std::max(d.num_cols, c + 1);
  d.positive_label_text = "1";
  d.negative_label_text = "-1";
  const std::string path = dir.File("round.svm");
  WriteLibsvm(d, path);
  const Dataset back = ReadLibsvm(path);
  ExpectSameData(d, back);
  EXPECT_EQ(ContentHash(d), ContentHash(back));
}

TEST(Writer, MissingFolderIsAnIoError) {
  TempDir dir;
  const std::string path = dir.File("missing_dir/out.svm");
  EXPECT_EQ(ErrorMessage([&] { WriteLibsvm(Small(), path); }, ErrorKind::kIo),
            path + ": folder '" + dir.File("missing_dir") + "' does not exist");
}

// The "full" device is made inside the test's folder: tests never write to
// the machine's /dev (a broken writer could replace it with a regular file).
TEST(Writer, FullDeviceIsAnIoErrorAndStaysADevice) {
  TempDir dir;
  const std::string full = dir.File("full");
  if (::mknod(full.c_str(), S_IFCHR | 0666, makedev(1, 7)) != 0) {
    GTEST_SKIP() << "cannot mknod a device node (" << std::strerror(errno) << "): needs root";
  }
  const int probe = ::open(full.c_str(), O_WRONLY | O_CLOEXEC);
  if (probe < 0) GTEST_SKIP() << "device nodes cannot be opened here (nodev mount?)";
  ::close(probe);
  std::string text;
  for (int i = 0; i < 5000; ++i) text += "1 1:0.123456789 2:3 3:4 4:5 5:6 6:7 7:8\n";
  const Dataset d = ParseLibsvm(text, "t");
  const std::string message = ErrorMessage([&] { WriteLibsvm(d, full); }, ErrorKind::kIo);
  EXPECT_EQ(message, full + ": cannot write: No space left on device");
  struct stat st {};
  ASSERT_EQ(::lstat(full.c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
}

TEST(Writer, InconsistentDatasetIsRejected) {
  Dataset d = Small();
  d.labels.pop_back();
  TempDir dir;
  const std::string path = dir.File("bad.svm");
  EXPECT_NE(ErrorMessage([&] { WriteLibsvm(d, path); }).find("inconsistent"), std::string::npos);
}

TEST(ContentHash, SameDataSameHashWhateverTheSpelling) {
  const Dataset a = ParseLibsvm("1 1:0.5 3:2\n-1\n", "a");
  const Dataset b = ParseLibsvm("# x\n+1 qid:1 1:5e-1 2:0 3:2.0\r\n\n-1.0 # empty\r\n", "b");
  EXPECT_EQ(ContentHash(a), ContentHash(b));
  // Label texts and the source are not part of the content.
  const Dataset c = ParseLibsvm("4 1:0.5 3:2\n2\n", "c");
  EXPECT_EQ(ContentHash(a), ContentHash(c));
}

TEST(ContentHash, AnyChangeChangesTheHash) {
  const Dataset base = ParseLibsvm("1 1:0.5 3:2\n-1 2:1\n1\n", "x");
  const std::uint64_t h = ContentHash(base);
  const char* others[] = {
      "1 1:0.5 3:2.0000000000000004\n-1 2:1\n1\n",  // one ulp
      "-1 1:0.5 3:2\n-1 2:1\n1\n",                  // a label
      "1 1:0.5 4:2\n-1 2:1\n1\n",                   // an index
      "1 1:0.5\n-1 3:2 2:1\n1\n",                   // invalid anyway: skipped below
      "1 1:0.5 3:2 2:1\n-1\n1\n",                   // invalid anyway: skipped below
      "1 1:0.5\n-1 2:1 3:2\n1\n",                   // same entries, other row split
      "1 1:0.5 3:2\n-1 2:1\n1\n1\n",                // one more (empty) row
      "1 1:0.5 3:2 9:0\n-1 2:1\n1\n",               // more columns
  };
  int compared = 0;
  for (const char* text : others) {
    SCOPED_TRACE(text);
    Dataset d;
    try {
      d = ParseLibsvm(text, "y");
    } catch (const Error&) {
      continue;
    }
    EXPECT_NE(ContentHash(d), h);
    ++compared;
  }
  EXPECT_EQ(compared, 6);
  Dataset moved = base;
  std::swap(moved.values[0], moved.values[1]);
  EXPECT_NE(ContentHash(moved), h);
}

TEST(ContentHash, HexFormat) {
  EXPECT_EQ(HashToHex(0), "0000000000000000");
  EXPECT_EQ(HashToHex(0x1234abcdULL), "000000001234abcd");
  EXPECT_EQ(HashToHex(0xfedcba9876543210ULL), "fedcba9876543210");
  const std::string hex = HashToHex(ContentHash(Small()));
  EXPECT_EQ(hex.size(), 16u);
  EXPECT_EQ(hex.find_first_not_of("0123456789abcdef"), std::string::npos);
}

}  // namespace
}  // namespace asyncopt
