// Malformed input: every error names the file, line and byte column.
#include <gtest/gtest.h>

#include <string>

#include "asyncopt/dataset.hpp"
#include "asyncopt/error.hpp"
#include "io/io_test_util.hpp"

namespace asyncopt {
namespace {

using io_test::ParseError;

struct ErrorCase {
  std::string text;
  std::string message;
};

TEST(ReaderErrors, ExactMessages) {
  const ErrorCase cases[] = {
      {"abc 1:1\n", "t:1:1: expected label (a number), found 'abc'"},
      {"1 1:1\n-1 2:1\nx 2:1\n", "t:3:1: expected label (a number), found 'x'"},
      {"  1x 1:1\n", "t:1:3: expected label (a number), found '1x'"},
      {"1:2 3:4\n", "t:1:1: expected label (a number), found '1:2'"},
      {"- 1:1\n", "t:1:1: expected label (a number), found '-'"},
      {"+-1 1:1\n", "t:1:1: expected label (a number), found '+-1'"},
      {"nan 1:1\n", "t:1:1: expected finite label, found 'nan'"},
      {"1 1:1\n-inf 1:1\n", "t:2:1: expected finite label, found '-inf'"},
      {"1e999 1:1\n", "t:1:1: expected finite label, found '1e999'"},
      {"1 1:1 5\n", "t:1:7: expected index:value, found '5'"},
      {"1 1:1 foo\n", "t:1:7: expected index:value, found 'foo'"},
      {"1 a:1\n", "t:1:3: expected feature index (integer >= 1), found 'a'"},
      {"1 0:1\n", "t:1:3: expected feature index (integer >= 1), found '0'"},
      {"1 -3:1\n", "t:1:3: expected feature index (integer >= 1), found '-3'"},
      {"1 3.0:1\n", "t:1:3: expected feature index (integer >= 1), found '3.0'"},
      {"1 1:1 qid:2\n", "t:1:7: expected feature index (integer >= 1), found 'qid'"},
      {"1 2147483648:1\n", "t:1:3: expected feature index <= 2147483647, found '2147483648'"},
      {"1 99999999999999999999999:1\n",
       "t:1:3: expected feature index <= 2147483647, found '99999999999999999999999'"},
      {"1 1:abc\n", "t:1:5: expected feature value (a number), found 'abc'"},
      {"1 1:\n", "t:1:5: expected feature value (a number), found ''"},
      {"1 1: 2:1\n", "t:1:5: expected feature value (a number), found ''"},
      {"1 1:2.5x\n", "t:1:5: expected feature value (a number), found '2.5x'"},
      {"1 1:1e\n", "t:1:5: expected feature value (a number), found '1e'"},
      {"1 1:0x10\n", "t:1:5: expected feature value (a number), found '0x10'"},
      {"1 1:1:2\n", "t:1:5: expected feature value (a number), found '1:2'"},
      {"1 1:nan\n", "t:1:5: expected finite feature value, found 'nan'"},
      {"1 1:-Infinity\n", "t:1:5: expected finite feature value, found '-Infinity'"},
      {"1 1:1e400\n", "t:1:5: expected finite feature value, found '1e400'"},
      {"1 9:1 7:2\n", "t:1:7: indices must be strictly increasing: 7 after 9"},
      {"1 3:1 3:2\n", "t:1:7: indices must be strictly increasing: 3 after 3"},
      {"1 5:0 3:1\n", "t:1:7: indices must be strictly increasing: 3 after 5"},
      {"1 qid:x 1:1\n", "t:1:3: expected qid:<integer>, found 'qid:x'"},
      {"1 qid: 1:1\n", "t:1:3: expected qid:<integer>, found 'qid:'"},
      {"1\t\t3:x\n", "t:1:6: expected feature value (a number), found 'x'"},
      {"1 1:1\r\n-1 x\r\n", "t:2:4: expected index:value, found 'x'"},
      {"1 1:1\r2:3\n", "t:1:5: expected feature value (a number), found '1\\r2:3'"},
      {"# c\n\n  \n1 1:1 # c\n1 2:y\n", "t:5:5: expected feature value (a number), found 'y'"},
      {"1 1:\xff\n", "t:1:5: expected feature value (a number), found '\\xff'"},
  };
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE(c.text);
    EXPECT_EQ(ParseError(c.text), c.message);
  }
}

TEST(ReaderErrors, LongTokensAreShortenedInMessages) {
  const std::string token(100, 'z');
  EXPECT_EQ(ParseError("1 1:" + token + "\n"),
            "t:1:5: expected feature value (a number), found '" + std::string(40, 'z') +
                "...'");
}

TEST(ReaderErrors, NoDataRows) {
  EXPECT_EQ(ParseError(""), "t: no data rows");
  EXPECT_EQ(ParseError("\n\n  \r\n"), "t: no data rows");
  EXPECT_EQ(ParseError("# only a comment\n# and another"), "t: no data rows");
}

TEST(ReaderErrors, BinaryFilesAreNotText) {
  using namespace std::string_literals;
  EXPECT_EQ(ParseError("1 1:1\n-1 2:\0""3\n"s),
            "t:2:6: not a text file (byte 0x00 at line 2 column 6)");
  EXPECT_EQ(ParseError("\x7f" "ELF\x02\x01\x01"s),
            "t:1:1: not a text file (byte 0x7f at line 1 column 1)");
  // Binary bytes in comments are caught too, and beat a later token error.
  EXPECT_EQ(ParseError("1 1:1 # a\x01" "b\n"s),
            "t:1:10: not a text file (byte 0x01 at line 1 column 10)");
  EXPECT_EQ(ParseError("# \x1b[0m\n1 1:1\n"s),
            "t:1:3: not a text file (byte 0x1b at line 1 column 3)");
  EXPECT_EQ(ParseError("1 1:x \0\n"s), "t:1:7: not a text file (byte 0x00 at line 1 column 7)");
  // UTF-16 text has NUL bytes.
  EXPECT_EQ(ParseError("\xff\xfe" "1\0 \0"s),
            "t:1:4: not a text file (byte 0x00 at line 1 column 4)");
}

TEST(ReaderErrors, BadThreadCountIsAnOptionError) {
  ReadOptions options;
  options.threads = -2;
  const std::string message = io_test::ErrorMessage(
      [&] { ParseLibsvm("1 1:1\n", "t", options); }, ErrorKind::kInvalidOption);
  EXPECT_NE(message.find("-2"), std::string::npos) << message;
}

TEST(ReaderErrors, MissingFileIsAnIoError) {
  io_test::TempDir dir;
  const std::string path = dir.File("does_not_exist.svm");
  const std::string message =
      io_test::ErrorMessage([&] { ReadLibsvm(path); }, ErrorKind::kIo);
  EXPECT_EQ(message, path + ": cannot open: No such file or directory");
}

TEST(ReaderErrors, DirectoryIsAnIoError) {
  io_test::TempDir dir;
  const std::string path = dir.File("");
  const std::string message =
      io_test::ErrorMessage([&] { ReadLibsvm(path); }, ErrorKind::kIo);
  EXPECT_NE(message.find("Is a directory"), std::string::npos) << message;
  EXPECT_EQ(message.rfind(path, 0), 0u) << message;
}

TEST(ReaderErrors, FileErrorsNameThePath) {
  io_test::TempDir dir;
  const std::string path = dir.File("bad.txt");
  io_test::WriteBytes(path, "1 1:1\n1 2:1 2:3\n");
  EXPECT_EQ(io_test::ErrorMessage([&] { ReadLibsvm(path); }),
            path + ":2:7: indices must be strictly increasing: 2 after 2");
}

}  // namespace
}  // namespace asyncopt
