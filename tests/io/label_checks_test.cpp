// Label checks of the reader: a positive set that matches no row, and labels
// outside ReadOptions::expected_labels.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "asyncopt/dataset.hpp"
#include "asyncopt/error.hpp"
#include "io/io_test_util.hpp"
#include "io/libsvm_reader_internal.hpp"

namespace asyncopt {
namespace {

using io_test::ErrorMessage;
using io_test::ParseError;

ReadOptions Positive(std::vector<double> labels) {
  ReadOptions options;
  options.positive_labels = std::move(labels);
  return options;
}

ReadOptions Expected(std::vector<double> labels) {
  ReadOptions options;
  options.expected_labels = std::move(labels);
  return options;
}

TEST(LabelChecks, PositiveSetMatchingNoRowIsAnError) {
  EXPECT_EQ(ParseError("1 1:1\n2 1:1\n1\n", Positive({7})),
            "t: no row has a label in --positive-labels (7); the labels found are 1, 2");
  EXPECT_EQ(ParseError("4 1:1\n4\n", Positive({7, -1})),
            "t: no row has a label in --positive-labels (7, -1); the label found is 4");
  EXPECT_EQ(ParseError("9\n0.5\n3\n1\n2\n7\n-4\n", Positive({8})),
            "t: no row has a label in --positive-labels (8); the labels found are -4, 0.5, 1, "
            "2, 3, ... (7 distinct)");
  // One matching row is enough, whichever value of the set it has.
  const Dataset d = ParseLibsvm("1 1:1\n2 1:1\n3\n", "t", Positive({7, 3}));
  EXPECT_EQ(d.labels, (std::vector<double>{-1, -1, 1}));
}

TEST(LabelChecks, PositiveSetErrorNamesTheFile) {
  io_test::TempDir dir;
  const std::string path = dir.File("multi.svm");
  io_test::WriteBytes(path, "1 1:1\n2 2:1\n3 3:1\n");
  EXPECT_EQ(ErrorMessage([&] { ReadLibsvm(path, Positive({0})); }),
            path + ": no row has a label in --positive-labels (0); the labels found are 1, 2, 3");
}

TEST(LabelChecks, OneClassFileIsAcceptedWhenItsLabelsAreExpected) {
  ReadOptions options = Positive({1});
  options.expected_labels = {1, -1};
  const Dataset d = ParseLibsvm("-1 1:1\n-1 2:1\n", "t", options);
  EXPECT_EQ(d.labels, (std::vector<double>{-1, -1}));
  // ... but not when no expected label can be positive.
  options.positive_labels = {7};
  EXPECT_EQ(ParseError("-1 1:1\n1 2:1\n", options),
            "t: no row has a label in --positive-labels (7); the labels found are -1, 1");
}

TEST(LabelChecks, UnexpectedLabelIsReportedWithLineAndColumn) {
  const ReadOptions options = Expected({1, -1});
  EXPECT_EQ(ParseError("1 1:1\n-1 2:1\n3 1:1\n1\n", options),
            "t:3:1: label '3' is not one of the expected labels 1, -1");
  EXPECT_EQ(ParseError("# c\r\n1 1:1\r\n\n  2.5 1:1\n", options),
            "t:4:3: label '2.5' is not one of the expected labels 1, -1");
  EXPECT_EQ(ParseError("0 qid:1 1:1\n", Expected({4, 2})),
            "t:1:1: label '0' is not one of the expected labels 4, 2");
  // Spellings of an expected value are accepted; a bad token is still a
  // syntax error first.
  const Dataset d = ParseLibsvm("+1 1:1\n1.0 2:1\n-1e0\n-1.000\n", "t", options);
  EXPECT_EQ(d.labels, (std::vector<double>{1, 1, -1, -1}));
  EXPECT_EQ(ParseError("1 1:1\nx 1:1\n", options), "t:2:1: expected label (a number), found 'x'");
}

TEST(LabelChecks, FirstUnexpectedLabelInFileOrderWhateverTheSplit) {
  std::string text;
  for (int i = 1; i <= 30000; ++i) {
    if (i == 12345) {
      text += "0 1:2\n";
    } else if (i == 25000) {
      text += "5 1:2\n";
    } else {
      text += (i % 3 == 0 ? "-1" : "1");
      text += " 1:0.5 7:1\n";
    }
  }
  for (const int threads : {1, 2, 4}) {
    for (const std::size_t block : {std::size_t{0}, std::size_t{333}, std::size_t{4096}}) {
      SCOPED_TRACE("threads " + std::to_string(threads) + " block " + std::to_string(block));
      ReadOptions options = Expected({1, -1});
      options.threads = threads;
      io::ParseTuning tuning;
      tuning.block_bytes = block;
      EXPECT_EQ(ErrorMessage([&] { io::ParseLibsvmTuned(text, "f", options, tuning); }),
                "f:12345:1: label '0' is not one of the expected labels 1, -1");
    }
  }
}

TEST(LabelChecks, NonFiniteExpectedLabelIsAnOptionError) {
  ReadOptions options = Expected({1, std::numeric_limits<double>::quiet_NaN()});
  const std::string message =
      ErrorMessage([&] { ParseLibsvm("1 1:1\n", "t", options); }, ErrorKind::kInvalidOption);
  EXPECT_NE(message.find("expected labels must be finite"), std::string::npos) << message;
}

}  // namespace
}  // namespace asyncopt
