// Real targets (regression): ReadOptions::keep_targets keeps every label as
// read, the writer gives them back bit for bit, parts keep them too, and
// ValidateDataset checks them by their kind.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "asyncopt/dataset.hpp"
#include "asyncopt/error.hpp"
#include "io/io_test_util.hpp"
#include "io/labels.hpp"
#include "io/libsvm_part.hpp"

namespace asyncopt {
namespace {

using io_test::ErrorMessage;
using io_test::ParseError;

ReadOptions Targets() {
  ReadOptions options;
  options.keep_targets = true;
  return options;
}

TEST(Targets, KeptAsReadWithTheirKind) {
  const Dataset d = ParseLibsvm("3.25 1:1\n-2 2:1\n500001 1:2\n0 2:3\n1e-300 1:1\n", "t", Targets());
  EXPECT_EQ(d.labels, (std::vector<double>{3.25, -2, 500001, 0, 1e-300}));
  EXPECT_EQ(d.label_kind, LabelKind::kTargets);
  EXPECT_EQ(d.positive_label_text, "");
  EXPECT_EQ(d.negative_label_text, "");
  // Without keep_targets a two-valued file is classes, as before.
  const Dataset c = ParseLibsvm("0 1:1\n1 2:1\n", "t");
  EXPECT_EQ(c.labels, (std::vector<double>{-1, 1}));
  EXPECT_EQ(c.label_kind, LabelKind::kClasses);
  // ... and with it the same file keeps 0 and 1.
  EXPECT_EQ(ParseLibsvm("0 1:1\n1 2:1\n", "t", Targets()).labels, (std::vector<double>{0, 1}));
}

TEST(Targets, AClassMappingCannotBeGivenWithThem) {
  ReadOptions options = Targets();
  options.positive_labels = {1};
  EXPECT_NE(ErrorMessage([&] { ParseLibsvm("1 1:1\n", "t", options); }, ErrorKind::kInvalidOption)
                .find("keep_targets keeps every label as read"),
            std::string::npos);
  options.positive_labels.clear();
  options.expected_labels = {1, -1};
  EXPECT_NE(ErrorMessage([&] { ParseLibsvm("1 1:1\n", "t", options); }, ErrorKind::kInvalidOption)
                .find("positive_labels and expected_labels"),
            std::string::npos);
}

TEST(Targets, NonFiniteTargetAndEmptyFileAreErrors) {
  EXPECT_EQ(ParseError("1.5 1:1\nnan 1:1\n", Targets()),
            "t:2:1: expected finite label, found 'nan'");
  EXPECT_EQ(ParseError("1.5 1:1\n-inf 1:1\n", Targets()),
            "t:2:1: expected finite label, found '-inf'");
  EXPECT_EQ(ParseError("# only a comment\n", Targets()), "t: no data rows");
}

TEST(Targets, WriterGivesBackTheSameBits) {
  io_test::TempDir dir;
  const std::string path = dir.File("y.svm");
  Dataset d = ParseLibsvm("0.1 1:1\n-123456.789 2:0.5\n500001 1:2\n2.2250738585072014e-308\n", "t",
                          Targets());
  d.labels[0] = std::nextafter(0.1, 1.0);  // needs all 17 digits
  WriteLibsvm(d, path);
  const Dataset back = ReadLibsvm(path, Targets());
  EXPECT_EQ(back.labels, d.labels);
  EXPECT_EQ(back.values, d.values);
  // Classes are still written as +1/-1.
  const Dataset classes = ParseLibsvm("4 1:1\n2 2:1\n", "t");
  WriteLibsvm(classes, path);
  EXPECT_EQ(io_test::ReadBytes(path), "+1 1:1\n-1 2:1\n");
}

TEST(Targets, PartsKeepThemAndGatherNoLabelSet) {
  io_test::TempDir dir;
  const std::string path = dir.File("y.svm");
  std::string text;
  std::vector<double> all;
  for (int i = 0; i < 40; ++i) {
    all.push_back(0.5 * i - 7.25);
    text += io::LabelText(all.back()) + " 1:" + std::to_string(i + 1) + "\n";
  }
  io_test::WriteBytes(path, text);
  std::vector<double> joined;
  for (int p = 0; p < 3; ++p) {
    io::PartInfo info;
    Dataset part = io::ReadLibsvmPart(path, p, 3, Targets(), &info);
    EXPECT_TRUE(info.labels.empty());  // no set to agree on
    part.source = path;
    io::KeepTargets(&part, 40);
    EXPECT_EQ(part.label_kind, LabelKind::kTargets);
    joined.insert(joined.end(), part.labels.begin(), part.labels.end());
  }
  EXPECT_EQ(joined, all);
  Dataset empty;
  empty.source = path;
  EXPECT_EQ(ErrorMessage([&] { io::KeepTargets(&empty, 0); }), path + ": no data rows");
}

TEST(Targets, ValidateDatasetChecksLabelsByTheirKind) {
  Dataset d = ParseLibsvm("3.5 1:1\n-2 2:1\n0 1:1\n", "t", Targets());
  EXPECT_NO_THROW(ValidateDataset(d));
  d.labels[1] = std::numeric_limits<double>::quiet_NaN();
  EXPECT_NE(ErrorMessage([&] { ValidateDataset(d); }).find("row 1: target nan is not finite"),
            std::string::npos);
  d.labels[1] = std::numeric_limits<double>::infinity();
  EXPECT_NE(ErrorMessage([&] { ValidateDataset(d); }).find("row 1: target inf is not finite"),
            std::string::npos);
  d.labels[1] = 1.0;
  d.label_kind = LabelKind::kClasses;  // 3.5 is no class
  EXPECT_NE(ErrorMessage([&] { ValidateDataset(d); }).find("row 0: label 3.5 is not -1 or +1"),
            std::string::npos);
  d.label_kind = static_cast<LabelKind>(7);
  EXPECT_NE(ErrorMessage([&] { ValidateDataset(d); }).find("label_kind = 7 is not a LabelKind"),
            std::string::npos);
}

}  // namespace
}  // namespace asyncopt
