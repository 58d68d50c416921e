// Multiclass labels: ReadOptions::class_ids keeps each row's class as an id
// into Dataset::class_labels, alike for a whole file and for its parts, in a
// model's order for a test file, and ValidateDataset, the writer and the
// content hash treat the ids by their kind.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "asyncopt/dataset.hpp"
#include "asyncopt/error.hpp"
#include "asyncopt/preprocess.hpp"
#include "io/io_test_util.hpp"
#include "io/labels.hpp"
#include "io/libsvm_part.hpp"

namespace asyncopt {
namespace {

using io_test::ErrorMessage;

ReadOptions ClassIds() {
  ReadOptions options;
  options.class_ids = true;
  return options;
}

TEST(ClassIds, AscendingLabelsBecomeIds) {
  const Dataset d = ParseLibsvm("7 1:1\n-1 2:1\n3 1:2\n7 2:3\n0.5 1:1\n", "t", ClassIds());
  EXPECT_EQ(d.label_kind, LabelKind::kClassIds);
  EXPECT_EQ(d.class_labels, (std::vector<double>{-1, 0.5, 3, 7}));
  EXPECT_EQ(d.labels, (std::vector<double>{3, 0, 2, 3, 1}));
  EXPECT_EQ(d.num_classes(), 4);
  EXPECT_NO_THROW(ValidateDataset(d));
  // Two labels are ids too (not -1/+1) when asked for.
  const Dataset two = ParseLibsvm("4 1:1\n2 2:1\n", "t", ClassIds());
  EXPECT_EQ(two.labels, (std::vector<double>{1, 0}));
  EXPECT_EQ(two.class_labels, (std::vector<double>{2, 4}));
}

TEST(ClassIds, ExpectedLabelsGiveTheModelsOrder) {
  ReadOptions options = ClassIds();
  options.expected_labels = {9, 1, 5};
  const Dataset d = ParseLibsvm("5 1:1\n1 2:1\n5 1:1\n", "t", options);
  EXPECT_EQ(d.class_labels, (std::vector<double>{9, 1, 5}));  // 9 has no row: still class 0
  EXPECT_EQ(d.labels, (std::vector<double>{2, 1, 2}));
  // A label outside the model's classes names its line.
  EXPECT_NE(ErrorMessage([&] { ParseLibsvm("5 1:1\n4 2:1\n", "t", options); }).find("t:2:1"),
            std::string::npos);
  options.expected_labels = {1, 5, 1};
  EXPECT_NE(ErrorMessage([&] { ParseLibsvm("5 1:1\n", "t", options); }, ErrorKind::kInvalidOption)
                .find("name a class twice"),
            std::string::npos);
}

TEST(ClassIds, OtherLabelRulesCannotBeGivenWithThem) {
  ReadOptions options = ClassIds();
  options.keep_targets = true;
  EXPECT_NE(ErrorMessage([&] { ParseLibsvm("1 1:1\n", "t", options); }, ErrorKind::kInvalidOption)
                .find("class_ids keeps one id per class"),
            std::string::npos);
  options.keep_targets = false;
  options.positive_labels = {1};
  EXPECT_NE(ErrorMessage([&] { ParseLibsvm("1 1:1\n", "t", options); }, ErrorKind::kInvalidOption)
                .find("class_ids keeps one id per class"),
            std::string::npos);
  EXPECT_EQ(io_test::ParseError("# nothing\n", ClassIds()), "t: no data rows");
}

TEST(ClassIds, PartsAgreeOnIdsThroughTheMergedSet) {
  io_test::TempDir dir;
  const std::string path = dir.File("m.svm");
  std::string text;
  std::vector<double> want;
  // Classes 10, 20, 30 appear in different parts only: each part's ids must
  // still come from the whole file's set.
  for (int i = 0; i < 30; ++i) {
    const int c = 10 * (1 + i / 10);
    text += std::to_string(c) + " 1:" + std::to_string(i + 1) + "\n";
    want.push_back(i / 10);
  }
  io_test::WriteBytes(path, text);
  std::vector<Dataset> parts;
  std::vector<double> merged;
  for (int p = 0; p < 3; ++p) {
    io::PartInfo info;
    parts.push_back(io::ReadLibsvmPart(path, p, 3, ClassIds(), &info));
    merged = io::MergeLabels(merged, info.labels);
  }
  EXPECT_EQ(merged, (std::vector<double>{10, 20, 30}));
  std::vector<double> joined;
  for (Dataset& part : parts) {
    part.source = path;
    io::AssignLabels(&part, merged, 30, ClassIds());
    EXPECT_EQ(part.class_labels, merged);
    joined.insert(joined.end(), part.labels.begin(), part.labels.end());
  }
  EXPECT_EQ(joined, want);
}

TEST(ClassIds, WriterGivesBackTheOriginalLabels) {
  io_test::TempDir dir;
  const std::string path = dir.File("m.svm");
  const Dataset d = ParseLibsvm("7 1:1\n-1 2:1\n2.5 1:2\n", "t", ClassIds());
  WriteLibsvm(d, path);
  EXPECT_EQ(io_test::ReadBytes(path), "7 1:1\n-1 2:1\n2.5 1:2\n");
  const Dataset back = ReadLibsvm(path, ClassIds());
  EXPECT_EQ(back.labels, d.labels);
  EXPECT_EQ(back.class_labels, d.class_labels);
}

TEST(ClassIds, HashTellsTheClassesApart) {
  const Dataset a = ParseLibsvm("1 1:1\n2 2:1\n3 1:1\n", "t", ClassIds());
  const Dataset b = ParseLibsvm("4 1:1\n5 2:1\n6 1:1\n", "t", ClassIds());
  EXPECT_EQ(a.labels, b.labels);  // the same ids ...
  EXPECT_NE(ContentHash(a), ContentHash(b));  // ... of other classes
  EXPECT_EQ(ContentHash(a), ContentHash(ParseLibsvm("1 1:1\n2 2:1\n3 1:1\n", "u", ClassIds())));
}

TEST(ClassIds, ValidateDatasetChecksIdsAndClasses) {
  Dataset d = ParseLibsvm("1 1:1\n2 2:1\n3 1:1\n", "t", ClassIds());
  d.labels[1] = 3;
  EXPECT_NE(ErrorMessage([&] { ValidateDataset(d); }).find("row 1: class id 3 is not an integer in [0, 3)"),
            std::string::npos);
  d.labels[1] = 0.5;
  EXPECT_NE(ErrorMessage([&] { ValidateDataset(d); }).find("class id 0.5"), std::string::npos);
  d.labels[1] = 1;
  d.class_labels = {1, 2, 1};
  EXPECT_NE(ErrorMessage([&] { ValidateDataset(d); }).find("class_labels holds 1 twice"),
            std::string::npos);
  d.class_labels.clear();
  EXPECT_NE(ErrorMessage([&] { ValidateDataset(d); }).find("class_labels is empty"), std::string::npos);
}

TEST(ClassIds, StatsCountRowsPerClass) {
  const Dataset d = ParseLibsvm("7 1:1\n-1 2:1\n7 1:2\n7 2:3\n", "t", ClassIds());
  EXPECT_EQ(ComputeStats(d).class_counts, (std::vector<std::int64_t>{1, 3}));
  EXPECT_EQ(ComputeStats(d).positives, 0);
}

}  // namespace
}  // namespace asyncopt
