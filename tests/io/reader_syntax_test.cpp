// Accepted LIBSVM syntax and label encodings.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "asyncopt/dataset.hpp"
#include "io/libsvm_reader_internal.hpp"
#include "io/io_test_util.hpp"

namespace asyncopt {
namespace {

using io_test::ExpectSameData;

TEST(ReaderSyntax, BasicRows) {
  const Dataset d = ParseLibsvm("1 1:0.5 3:2\n-1 2:1\n", "mem");
  EXPECT_EQ(d.num_rows, 2);
  EXPECT_EQ(d.num_cols, 3);
  EXPECT_EQ(d.row_ptr, (std::vector<std::int64_t>{0, 2, 3}));
  EXPECT_EQ(d.col_index, (std::vector<std::int32_t>{0, 2, 1}));
  EXPECT_EQ(d.values, (std::vector<double>{0.5, 2.0, 1.0}));
  EXPECT_EQ(d.labels, (std::vector<double>{1.0, -1.0}));
  EXPECT_EQ(d.nnz(), 3);
  EXPECT_EQ(d.source, "mem");
  const SparseRow r = d.row(0);
  ASSERT_EQ(r.nnz, 2);
  EXPECT_EQ(r.index[1], 2);
  EXPECT_EQ(r.value[1], 2.0);
}

TEST(ReaderSyntax, WhitespaceCommentsCrlfBlankLinesAndQid) {
  const Dataset plain = ParseLibsvm("1 1:0.5 3:2\n-1 2:1\n1\n", "a");
  const char* variants[] = {
      "1 1:0.5 3:2\n-1 2:1\n1",                              // no final newline
      "1 1:0.5 3:2\r\n-1 2:1\r\n1\r\n",                      // CRLF
      "1 1:0.5 3:2\r\n-1 2:1\r\n1\r",                        // CR at the very end
      "# header\n\n1 1:0.5 3:2\n   \n-1 2:1\n\t\n1\n#end",   // comments, blank lines
      "1 1:0.5 3:2 # trailing\n-1 2:1#tight\n1 #x\n",         // trailing comments
      "  1\t1:0.5   3:2\t\n-1\t\t2:1  \n 1 \n",               // tabs, runs of blanks
      "1 qid:3 1:0.5 3:2\n-1 qid:-4 2:1\n1 qid:7\n",         // qid tokens skipped
      "+1 1:0.5 3:2\n-1.0 2:1\n1.0\n",                       // label spellings
      "1 1:0.5 2:0 3:2\n-1 1:0 2:1\n1 1:-0\n",               // explicit zeros dropped
      "1 1:5e-1 3:2.\n-1 2:+1\n1\n",                         // number spellings
  };
  for (const char* text : variants) {
    SCOPED_TRACE(text);
    const Dataset d = ParseLibsvm(text, "a");
    ExpectSameData(plain, d);
  }
}

TEST(ReaderSyntax, ZerosAreDroppedButCountTowardsColumns) {
  const Dataset d = ParseLibsvm("1 1:0 5:0.0\n-1 2:1\n", "z");
  EXPECT_EQ(d.num_cols, 5);
  EXPECT_EQ(d.nnz(), 1);
  EXPECT_EQ(d.row_ptr, (std::vector<std::int64_t>{0, 0, 1}));
}

TEST(ReaderSyntax, LargestIndexAccepted) {
  const Dataset d = ParseLibsvm("1 2147483647:1\n-1 1:1\n", "big");
  EXPECT_EQ(d.num_cols, 2147483647);
  EXPECT_EQ(d.col_index[0], 2147483646);
  EXPECT_EQ(ParseLibsvm("1 0003:1\n", "z").col_index[0], 2);
}

TEST(ReaderSyntax, NumbersMatchStrtod) {
  const char* spellings[] = {
      "0.1",   "1e-3",        ".5",  "5.",   "-0.25", "1E+2", "123456789012345678",
      "0.12345678901234567890123",  "9007199254740993",  "1e-310", "4.9e-324",
      "1.7976931348623157e308", "-2.2250738585072014e-308", "3.14159265358979323846",
      "00000000000000000000001.5", "1234.5e-2", "7e22", "1e23", "0.000001"};
  for (const char* s : spellings) {
    SCOPED_TRACE(s);
    const Dataset d = ParseLibsvm(std::string("1 1:") + s + "\n", "n");
    ASSERT_EQ(d.nnz(), 1);
    EXPECT_EQ(d.values[0], std::strtod(s, nullptr));
  }
  // Underflow to zero is a zero entry, not an error.
  EXPECT_EQ(ParseLibsvm("1 1:1e-400 2:1\n", "n").nnz(), 1);
}

TEST(ReaderSyntax, RandomDecimalsRoundTripExactly) {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> unit(-1.0, 1.0);
  std::string text;
  std::vector<double> expected;
  for (int i = 0; i < 2000; ++i) {
    const double v = unit(rng) * std::pow(10.0, static_cast<int>(rng() % 40) - 20);
    char buf[64];
    std::snprintf(buf, sizeof buf, (i % 3 == 0) ? "%.17g" : (i % 3 == 1 ? "%.6f" : "%.9e"), v);
    text += "1 1:" + std::string(buf) + "\n";
    expected.push_back(std::strtod(buf, nullptr));
  }
  const Dataset d = ParseLibsvm(text, "r");
  ASSERT_EQ(d.num_rows, 2000);
  for (int i = 0; i < 2000; ++i) {
    const SparseRow r = d.row(i);
    const double got = r.nnz == 0 ? 0.0 : r.value[0];
    ASSERT_EQ(got, expected[static_cast<std::size_t>(i)]) << "row " << i;
  }
}

struct LabelCase {
  const char* text;
  std::vector<double> labels;
  const char* positive;
  const char* negative;
};

TEST(ReaderLabels, BinaryEncodings) {
  const LabelCase cases[] = {
      {"-1 1:1\n1 1:1\n", {-1, 1}, "1", "-1"},
      {"+1 1:1\n-1 1:1\n", {1, -1}, "1", "-1"},
      {"0 1:1\n1 1:1\n1\n", {-1, 1, 1}, "1", "0"},
      {"1 1:1\n2 1:1\n", {-1, 1}, "2", "1"},
      {"2 1:1\n4 1:1\n2\n", {-1, 1, -1}, "4", "2"},
      {"-1.0 1:1\n1.0 1:1\n", {-1, 1}, "1", "-1"},
      {"2.000000 1:1\n4.000000\n", {-1, 1}, "4", "2"},
      {"0.5 1:1\n1.5\n", {-1, 1}, "1.5", "0.5"},
      {"3 1:1\n3\n", {1, 1}, "3", "-1"},      // one class, positive value
      {"-1 1:1\n-1\n", {-1, -1}, "+1", "-1"},  // one class, negative value
      {"0\n0\n", {-1, -1}, "+1", "0"},
  };
  for (const LabelCase& c : cases) {
    SCOPED_TRACE(c.text);
    const Dataset d = ParseLibsvm(c.text, "l");
    EXPECT_EQ(d.labels, c.labels);
    EXPECT_EQ(d.positive_label_text, c.positive);
    EXPECT_EQ(d.negative_label_text, c.negative);
  }
}

TEST(ReaderLabels, MulticlassNeedsPositiveSet) {
  EXPECT_EQ(io_test::ParseError("3 1:1\n1 1:1\n2 1:1\n1\n7\n"),
            "t: 4 distinct labels (e.g. 1, 2, 3, ...): multiclass data needs --positive-labels");
  ReadOptions options;
  options.positive_labels = {2, 7};
  const Dataset d = ParseLibsvm("3 1:1\n1 1:1\n2 1:1\n1\n7\n", "m", options);
  EXPECT_EQ(d.labels, (std::vector<double>{-1, -1, 1, -1, 1}));
  EXPECT_EQ(d.positive_label_text, "+1");
  EXPECT_EQ(d.negative_label_text, "-1");
}

TEST(ReaderLabels, PositiveSetOnBinaryFileKeepsOriginalTexts) {
  ReadOptions options;
  options.positive_labels = {2};
  const Dataset d = ParseLibsvm("2 1:1\n4 1:1\n4\n", "b", options);
  EXPECT_EQ(d.labels, (std::vector<double>{1, -1, -1}));
  EXPECT_EQ(d.positive_label_text, "2");
  EXPECT_EQ(d.negative_label_text, "4");
  // A one-class test file whose labels are checked against the model's two
  // labels may have no positive row.
  options.expected_labels = {2, 4};
  const Dataset none = ParseLibsvm("4 1:1\n4 1:1\n", "b", options);
  EXPECT_EQ(none.labels, (std::vector<double>{-1, -1}));
}

TEST(ReaderLabels, LabelText) {
  EXPECT_EQ(io::LabelText(1.0), "1");
  EXPECT_EQ(io::LabelText(-1.0), "-1");
  EXPECT_EQ(io::LabelText(-0.0), "0");
  EXPECT_EQ(io::LabelText(4.0), "4");
  EXPECT_EQ(io::LabelText(0.1), "0.10000000000000001");
  EXPECT_EQ(io::LabelText(1e300), "1.0000000000000001e+300");
}

TEST(ReaderFile, HeartScaleFixture) {
  const Dataset d = ReadLibsvm(std::string(ASYNCOPT_TEST_FIXTURES) + "/heart_scale");
  EXPECT_EQ(d.num_rows, 270);
  EXPECT_EQ(d.num_cols, 13);
  EXPECT_EQ(d.nnz(), 3378);
  EXPECT_EQ(d.positive_label_text, "1");
  EXPECT_EQ(d.negative_label_text, "-1");
  int positives = 0;
  for (const double y : d.labels) positives += (y == 1.0);
  EXPECT_EQ(positives, 120);
  EXPECT_EQ(d.values[0], 0.708333);
}

}  // namespace
}  // namespace asyncopt
