// Reading a LIBSVM file in parts (one per MPI rank): the parts together are
// the file, row for row, for plain (byte ranges) and compressed (interleaved
// rows) files; labels map as in the whole file; errors name the true line.
#include "io/libsvm_part.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "asyncopt/dataset.hpp"
#include "asyncopt/error.hpp"
#include "asyncopt/preprocess.hpp"
#include "data/preprocess_parts.hpp"
#include "io/compress_util.hpp"
#include "io/decompress.hpp"
#include "io/io_test_util.hpp"
#include "io/labels.hpp"
#include "io/libsvm_reader_internal.hpp"

namespace asyncopt {
namespace {

using io_test::ErrorMessage;
using io_test::ExpectSameData;
using io_test::TempDir;
using io_test::WriteBytes;

constexpr int kMaxParts = 7;

// How a generated file spells its lines.
struct Style {
  bool crlf = false;           // every third line ends in "\r\n"
  bool comments = false;       // comment lines, trailing comments
  bool blank_lines = false;    // empty lines, blank lines, leading blanks
  bool final_newline = true;   // false: the last line has no '\n'
  int long_every = 0;          // > 0: every n-th row has ~2500 features
  double labels[2] = {-1, 1};  // the two label values used
};

// Deterministic LIBSVM text: `rows` rows with values of full precision (so
// that scaling and normalising round), in the given style.
std::string MakeText(int rows, unsigned seed, const Style& style) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> value(-1000.0, 1000.0);
  std::string text;
  char buf[64];
  for (int r = 0; r < rows; ++r) {
    if (style.comments && rng() % 9 == 0)
      text += "# comment before row " + std::to_string(r) + "\n";
    if (style.blank_lines) {
      switch (rng() % 12) {
        case 0:
          text += "\n";
          break;
        case 1:
          text += "  \t \n";
          break;
        case 2:
          text += " \r\n";
          break;
        case 3:
          text += "   ";
          break;  // leading blanks of the row
        default:
          break;
      }
    }
    text += io::LabelText(style.labels[rng() % 2]);
    if (style.comments && rng() % 17 == 0) text += " qid:" + std::to_string(rng() % 50);
    const bool long_row = style.long_every > 0 && r % style.long_every == style.long_every / 2;
    const int nnz = long_row ? 2500 : static_cast<int>(rng() % 15);
    int index = 0;
    for (int k = 0; k < nnz; ++k) {
      index += 1 + static_cast<int>(rng() % (long_row ? 4 : 40));
      const double v = (rng() % 5 == 0) ? static_cast<double>(rng() % 7) : value(rng);
      std::snprintf(buf, sizeof buf, "%.17g", v);
      text += (k % 5 == 4 ? "\t" : " ") + std::to_string(index) + ":" + buf;
    }
    if (style.comments && rng() % 13 == 0) text += " # trailing note";
    const bool last = (r + 1 == rows);
    if (last && !style.final_newline) break;
    text += (style.crlf && r % 3 == 0) ? "\r\n" : "\n";
  }
  return text;
}

enum class Format { kPlain, kGzip, kXz, kBzip2 };

const char* FormatName(Format f) {
  switch (f) {
    case Format::kPlain:
      return "plain";
    case Format::kGzip:
      return "gzip";
    case Format::kXz:
      return "xz";
    case Format::kBzip2:
      return "bzip2";
  }
  return "?";
}

std::string Encode(const std::string& text, Format f) {
  switch (f) {
    case Format::kGzip:
      return io_test::Gzip(text);
    case Format::kXz:
      return io_test::Xz(text);
    case Format::kBzip2:
      return io_test::Bzip2(text);
    case Format::kPlain:
      break;
  }
  return text;
}

// Appends row r of `from` to `to`.
void AppendRow(const Dataset& from, std::int64_t r, Dataset& to) {
  const SparseRow row = from.row(r);
  to.col_index.insert(to.col_index.end(), row.index, row.index + row.nnz);
  to.values.insert(to.values.end(), row.value, row.value + row.nnz);
  to.row_ptr.push_back(static_cast<std::int64_t>(to.col_index.size()));
  to.labels.push_back(from.labels[static_cast<std::size_t>(r)]);
  ++to.num_rows;
}

// The rows of all parts in file order: part after part (byte ranges) or
// row r from part r % P (interleaved).
Dataset Combine(const std::vector<Dataset>& parts, bool by_byte_range) {
  Dataset all;
  all.positive_label_text = parts[0].positive_label_text;
  all.negative_label_text = parts[0].negative_label_text;
  std::int64_t total = 0;
  for (const Dataset& p : parts) {
    all.num_cols = std::max(all.num_cols, p.num_cols);
    total += p.num_rows;
  }
  const auto count = static_cast<std::int64_t>(parts.size());
  for (std::int64_t r = 0; r < total; ++r) {
    if (by_byte_range) break;
    AppendRow(parts[static_cast<std::size_t>(r % count)], r / count, all);
  }
  if (by_byte_range) {
    for (const Dataset& p : parts) {
      for (std::int64_t r = 0; r < p.num_rows; ++r) AppendRow(p, r, all);
    }
  }
  return all;
}

// Reads `path` in 1..kMaxParts parts and checks that the parts, labels
// mapped with the merged label set, are ReadLibsvm's rows.
void ExpectPartsMakeTheWhole(const std::string& path, const std::string& text, Format format,
                             const ReadOptions& options = {}) {
  const Dataset whole = ReadLibsvm(path, options);
  io::MemorySource memory(text);
  const Dataset raw = io::ParseLibsvmRaw(memory, "raw", options, {}, 0, {});
  const bool by_range = (format == Format::kPlain);
  for (int parts = 1; parts <= kMaxParts; ++parts) {
    SCOPED_TRACE(std::string(FormatName(format)) + ", parts = " + std::to_string(parts));
    std::vector<Dataset> data(static_cast<std::size_t>(parts));
    std::vector<io::PartInfo> info(static_cast<std::size_t>(parts));
    std::vector<double> labels;
    for (int p = 0; p < parts; ++p) {
      const auto i = static_cast<std::size_t>(p);
      data[i] = io::ReadLibsvmPart(path, p, parts, options, &info[i]);
      EXPECT_EQ(data[i].source, path);
      EXPECT_EQ(info[i].rows, data[i].num_rows);
      EXPECT_EQ(info[i].num_cols, data[i].num_cols);
      EXPECT_EQ(info[i].labels, io::DistinctLabels(data[i].labels));
      EXPECT_EQ(info[i].by_byte_range, by_range);
      if (by_range) {
        // Contiguous line-aligned ranges that cover the file.
        EXPECT_EQ(info[i].begin_byte, p == 0 ? 0 : info[i - 1].end_byte);
        EXPECT_TRUE(info[i].begin_byte == 0 || info[i].begin_byte == text.size() ||
                    text[info[i].begin_byte - 1] == '\n');
        if (p + 1 == parts) EXPECT_EQ(info[i].end_byte, text.size());
      } else {
        // Row r of the file is row r / P of part r % P.
        EXPECT_EQ(info[i].rows, (whole.num_rows - p + parts - 1) / parts);
        EXPECT_NE(info[i].compression, io::Compression::kNone);
        // The interleaved parts see every line: their num_cols_line is true.
        if (data[i].num_cols == whole.num_cols && data[i].num_cols > 0) {
          EXPECT_GE(data[i].num_cols_line, whole.num_cols_line);
        }
      }
      labels = io::MergeLabels(labels, info[i].labels);
    }
    EXPECT_EQ(labels, io::DistinctLabels(raw.labels));
    for (Dataset& d : data) {
      io::MapLabels(&d, labels, options);
      EXPECT_EQ(d.positive_label_text, whole.positive_label_text);
      EXPECT_EQ(d.negative_label_text, whole.negative_label_text);
    }
    ExpectSameData(whole, Combine(data, by_range));
    if (!by_range || parts == 1) {
      std::int64_t first_line = 0;  // of the widest row, over the parts
      for (const Dataset& d : data) {
        if (d.num_cols == whole.num_cols && d.num_rows > 0 &&
            (first_line == 0 || d.num_cols_line < first_line)) {
          first_line = d.num_cols_line;
        }
      }
      EXPECT_EQ(first_line, whole.num_cols_line);
    }
  }
}

struct Corpus {
  const char* name;
  std::string text;
};

std::vector<Corpus> Corpora() {
  Style plain;
  Style messy;
  messy.crlf = messy.comments = messy.blank_lines = true;
  messy.final_newline = false;
  messy.labels[0] = 2;
  messy.labels[1] = 4;
  Style long_lines = messy;
  long_lines.final_newline = true;
  long_lines.long_every = 15;
  return {
      {"plain", MakeText(300, 1, plain)},
      {"crlf_comments_blanks_no_final_newline", MakeText(250, 2, messy)},
      {"long_lines_across_parts", MakeText(60, 3, long_lines)},
      {"fewer_rows_than_parts", "# two rows only\n1 3:0.5\n\n-1 1:2 7:1e-300"},
      {"one_row_crlf_only", "  -1 2:3\r\n"},
      {"blank_line_with_cr_at_end", "1 1:1\n-1 2:2\n  \r"},
  };
}

TEST(LibsvmPart, PartsTogetherAreTheWholeFileForEveryFormatAndPartCount) {
  TempDir dir;
  for (const Corpus& corpus : Corpora()) {
    for (const Format format : {Format::kPlain, Format::kGzip, Format::kXz}) {
      SCOPED_TRACE(corpus.name);
      const std::string path = dir.File(std::string(corpus.name) + "." + FormatName(format));
      WriteBytes(path, Encode(corpus.text, format));
      ExpectPartsMakeTheWhole(path, corpus.text, format);
    }
  }
}

TEST(LibsvmPart, Bzip2IsReadInterleavedToo) {
  TempDir dir;
  const std::string text = MakeText(100, 4, Style{});
  const std::string path = dir.File("data.bz2");
  WriteBytes(path, Encode(text, Format::kBzip2));
  ExpectPartsMakeTheWhole(path, text, Format::kBzip2);
}

TEST(LibsvmPart, LongLinesLeaveSomePartsEmpty) {
  TempDir dir;
  // One short row, one row of ~30 KB, one short row: with 7 byte ranges the
  // long row swallows several boundaries.
  Style style;
  style.long_every = 3;
  const std::string text = MakeText(3, 5, style);
  const std::string path = dir.File("long.svm");
  WriteBytes(path, text);
  int empty = 0;
  std::int64_t rows = 0;
  for (int p = 0; p < kMaxParts; ++p) {
    io::PartInfo info;
    const Dataset d = io::ReadLibsvmPart(path, p, kMaxParts, {}, &info);
    empty += (d.num_rows == 0);
    rows += d.num_rows;
    EXPECT_TRUE(info.labels.empty() == (d.num_rows == 0));
  }
  EXPECT_EQ(rows, 3);
  EXPECT_GE(empty, 3);
}

TEST(LibsvmPart, RowStartingExactlyAtABoundaryBelongsToThePartStartingThere) {
  TempDir dir;
  // Seven rows of 10 bytes: with 7 parts every boundary is a line start.
  std::string text;
  for (int r = 0; r < 7; ++r) text += "1 1:" + std::to_string(10 + r) + ".25\n";
  ASSERT_EQ(text.size(), 70u);
  const std::string path = dir.File("even.svm");
  WriteBytes(path, text);
  for (int p = 0; p < 7; ++p) {
    io::PartInfo info;
    const Dataset d = io::ReadLibsvmPart(path, p, 7, {}, &info);
    ASSERT_EQ(d.num_rows, 1) << p;
    EXPECT_EQ(d.values[0], 10 + p + 0.25);
    EXPECT_EQ(info.begin_byte, 10u * static_cast<unsigned>(p));
    EXPECT_EQ(info.end_byte, 10u * static_cast<unsigned>(p + 1));
  }
  // A boundary one byte past a line start: that row goes to the part before.
  const Dataset first = io::ReadLibsvmPart(path, 0, 2, {}, nullptr);  // boundary 35
  EXPECT_EQ(first.num_rows, 4);
}

TEST(LibsvmPart, PartBoundariesSplitTheSizeEvenlyWithoutOverflow) {
  EXPECT_EQ(io::PartBoundary(100, 0, 7), 0u);
  EXPECT_EQ(io::PartBoundary(100, 3, 7), 42u);  // floor(300 / 7)
  EXPECT_EQ(io::PartBoundary(100, 7, 7), 100u);
  const std::uint64_t huge = ~std::uint64_t{0} - 5;
  EXPECT_EQ(io::PartBoundary(huge, 1, 2), huge / 2);
  EXPECT_EQ(io::PartBoundary(huge, 3, 3), huge);
}

TEST(LibsvmPart, PartOutOfRangeIsAnErrorNamingPartAndParts) {
  TempDir dir;
  const std::string path = dir.File("d.svm");
  WriteBytes(path, "1 1:1\n");
  const auto read = [&](int part, int parts) {
    return ErrorMessage([&] { io::ReadLibsvmPart(path, part, parts, {}, nullptr); },
                        ErrorKind::kInvalidOption);
  };
  EXPECT_EQ(read(4, 4), "ReadLibsvmPart: part = 4 is outside the allowed range [0, parts = 4)");
  EXPECT_EQ(read(-1, 2), "ReadLibsvmPart: part = -1 is outside the allowed range [0, parts = 2)");
  EXPECT_EQ(read(0, 0), "ReadLibsvmPart: parts = 0 must be >= 1");
}

TEST(LibsvmPart, MissingFileIsTheSameIoErrorAsTheWholeReader) {
  TempDir dir;
  const std::string path = dir.File("missing.svm");
  const std::string whole = ErrorMessage([&] { ReadLibsvm(path); }, ErrorKind::kIo);
  EXPECT_EQ(ErrorMessage([&] { io::ReadLibsvmPart(path, 1, 3, {}, nullptr); }, ErrorKind::kIo),
            whole);
}

// Writes `text` as `format` and returns, per part count, the messages of the
// parts that failed ("" for a part read without error).
std::vector<std::vector<std::string>> PartErrors(const std::string& path,
                                                 const ReadOptions& options = {}) {
  std::vector<std::vector<std::string>> out;
  for (int parts = 1; parts <= kMaxParts; ++parts) {
    std::vector<std::string> messages;
    for (int p = 0; p < parts; ++p) {
      try {
        io::ReadLibsvmPart(path, p, parts, options, nullptr);
        messages.emplace_back();
      } catch (const Error& e) {
        EXPECT_EQ(static_cast<int>(e.kind()), static_cast<int>(ErrorKind::kInvalidInput));
        messages.emplace_back(e.what());
      }
    }
    out.push_back(std::move(messages));
  }
  return out;
}

TEST(LibsvmPart, MalformedLineIsReportedByItsPartWithFileAndTrueLine) {
  TempDir dir;
  Style style;
  style.comments = style.blank_lines = style.crlf = true;
  const std::string good = MakeText(120, 6, style);
  // Lines of the good text; one at a time is replaced by a malformed row.
  std::vector<std::size_t> starts{0};
  for (std::size_t i = 0; i + 1 < good.size(); ++i) {
    if (good[i] == '\n') starts.push_back(i + 1);
  }
  for (const std::size_t line :
       {std::size_t{0}, std::size_t{17}, starts.size() / 2, starts.size() - 1}) {
    const std::size_t b = starts[line];
    const std::size_t e = line + 1 < starts.size() ? starts[line + 1] : good.size();
    const std::string bad = good.substr(0, b) + "1 3:0.5 2:1\n" + good.substr(e);
    for (const Format format : {Format::kPlain, Format::kGzip, Format::kXz}) {
      SCOPED_TRACE(std::string(FormatName(format)) + ", line " + std::to_string(line + 1));
      const std::string path = dir.File(std::string("bad_") + FormatName(format));
      WriteBytes(path, Encode(bad, format));
      const std::string expected = ErrorMessage([&] { ReadLibsvm(path); });
      ASSERT_EQ(expected, path + ":" + std::to_string(line + 1) +
                              ":9: indices must be strictly increasing: 2 after 3");
      for (const auto& messages : PartErrors(path)) {
        // Exactly the part that holds the row reports it, as the whole does.
        EXPECT_EQ(std::count(messages.begin(), messages.end(), expected), 1);
        EXPECT_EQ(std::count(messages.begin(), messages.end(), ""),
                  static_cast<std::ptrdiff_t>(messages.size()) - 1);
      }
    }
  }
}

TEST(LibsvmPart, BinaryByteIsRejectedByEveryCompressedPart) {
  TempDir dir;
  const std::string text =
      MakeText(50, 7, Style{}) + "1 1:1 \x01\x02 junk\n" + MakeText(50, 8, Style{});
  for (const Format format : {Format::kPlain, Format::kGzip, Format::kXz}) {
    SCOPED_TRACE(FormatName(format));
    const std::string path = dir.File(std::string("binary_") + FormatName(format));
    WriteBytes(path, Encode(text, format));
    const std::string expected = ErrorMessage([&] { ReadLibsvm(path); });
    EXPECT_EQ(expected, path + ":51:7: not a text file (byte 0x01 at line 51 column 7)");
    for (const auto& messages : PartErrors(path)) {
      const auto reported = std::count(messages.begin(), messages.end(), expected);
      // A compressed part scans (and rejects) the rows it drops as well.
      if (format == Format::kPlain) {
        EXPECT_EQ(reported, 1);
      } else {
        EXPECT_EQ(reported, static_cast<std::ptrdiff_t>(messages.size()));
      }
    }
  }
}

TEST(LibsvmPart, UnexpectedLabelIsReportedWithTheTrueLine) {
  TempDir dir;
  const std::string text = MakeText(80, 9, Style{}) + "3 1:1\n" + MakeText(20, 10, Style{});
  ReadOptions options;
  options.expected_labels = {1, -1};
  const std::string path = dir.File("labels.svm");
  WriteBytes(path, text);
  const std::string expected = ErrorMessage([&] { ReadLibsvm(path, options); });
  EXPECT_EQ(expected, path + ":81:1: label '3' is not one of the expected labels 1, -1");
  for (const auto& messages : PartErrors(path, options)) {
    EXPECT_EQ(std::count(messages.begin(), messages.end(), expected), 1);
  }
}

// Reads every part of `path` and maps the labels with the merged set; the
// message of the first error, or "" when none.
std::string MapAllParts(const std::string& path, int parts, const ReadOptions& options) {
  std::vector<Dataset> data;
  std::vector<double> labels;
  for (int p = 0; p < parts; ++p) {
    io::PartInfo info;
    data.push_back(io::ReadLibsvmPart(path, p, parts, options, &info));
    labels = io::MergeLabels(labels, info.labels);
  }
  try {
    for (Dataset& d : data) io::MapLabels(&d, labels, options);
  } catch (const Error& e) {
    EXPECT_EQ(static_cast<int>(e.kind()), static_cast<int>(ErrorKind::kInvalidInput));
    return e.what();
  }
  return "";
}

TEST(LibsvmPart, LabelErrorsOfTheMergedSetAreThoseOfTheWholeFile) {
  TempDir dir;
  // Labels sorted in the file: each of several parts sees one or two values.
  std::string multiclass;
  for (int label = 1; label <= 7; ++label) {
    for (int r = 0; r < 6; ++r)
      multiclass += std::to_string(label) + " 1:" + std::to_string(r + 1) + "\n";
  }
  const std::string path = dir.File("multi.svm");
  const std::string gz = dir.File("multi.gz");
  const std::string empty = dir.File("empty.svm");
  WriteBytes(path, multiclass);
  WriteBytes(gz, io_test::Gzip(multiclass));
  WriteBytes(empty, "# nothing but a comment\n\n");
  ReadOptions none;
  ReadOptions wrong;
  wrong.positive_labels = {9};
  ReadOptions three;
  three.positive_labels = {3};
  for (const std::string& file : {path, gz}) {
    for (int parts = 1; parts <= kMaxParts; ++parts) {
      SCOPED_TRACE(file + ", parts = " + std::to_string(parts));
      EXPECT_EQ(MapAllParts(file, parts, none), ErrorMessage([&] { ReadLibsvm(file, none); }));
      EXPECT_EQ(MapAllParts(file, parts, wrong), ErrorMessage([&] { ReadLibsvm(file, wrong); }));
      EXPECT_EQ(MapAllParts(file, parts, three), "");
      EXPECT_EQ(MapAllParts(empty, parts, none), ErrorMessage([&] { ReadLibsvm(empty, none); }));
    }
  }
  EXPECT_EQ(MapAllParts(empty, 3, none), empty + ": no data rows");
  EXPECT_EQ(
      MapAllParts(path, 4, none),
      path + ": 7 distinct labels (e.g. 1, 2, 3, ...): multiclass data needs --positive-labels");
}

TEST(LibsvmPart, LabelSetsAreSortedDistinctValues) {
  EXPECT_EQ(io::DistinctLabels(std::vector<double>{2, 1, 2, -0.0, 0.0, 1}),
            (std::vector<double>{0, 1, 2}));
  std::vector<double> many;
  for (int i = 0; i < 5000; ++i) many.push_back((i * 37) % 101 - 50.5);
  many.push_back(-0.0);
  many.push_back(0.0);
  const std::vector<double> distinct = io::DistinctLabels(many);
  ASSERT_EQ(distinct.size(), 102u);
  EXPECT_TRUE(std::is_sorted(distinct.begin(), distinct.end()));
  EXPECT_EQ(distinct.front(), -50.5);
  EXPECT_EQ(io::MergeLabels(std::vector<double>{1, 3}, std::vector<double>{-0.0, 2, 3}),
            (std::vector<double>{0, 1, 2, 3}));
  EXPECT_EQ(io::MergeLabels(std::vector<double>{0.0}, std::vector<double>{-0.0}).size(), 1u);
}

TEST(LibsvmPart, MapLabelsRefusesALabelMissingFromTheGivenSet) {
  Dataset d = ParseLibsvm("1 1:1\n", "t");
  d.labels = {5.0};
  const std::vector<double> set = {1.0, 2.0};
  EXPECT_EQ(ErrorMessage([&] { io::MapLabels(&d, set, {}); }, ErrorKind::kInvalidOption),
            "t: label 5 is not in the label set given to MapLabels (1, 2)");
}

TEST(LibsvmPart, OneClassPartMapsByTheGlobalSet) {
  TempDir dir;
  // Part 0 of 2 (byte range) holds only label 0, part 1 only label 1: mapped
  // alone, part 0 would make 0 the negative class only by luck of the sign.
  const std::string path = dir.File("two.svm");
  WriteBytes(path, "2 1:1\n2 1:2\n4 1:3\n4 1:4\n");
  io::PartInfo a, b;
  Dataset p0 = io::ReadLibsvmPart(path, 0, 2, {}, &a);
  Dataset p1 = io::ReadLibsvmPart(path, 1, 2, {}, &b);
  EXPECT_EQ(a.labels, (std::vector<double>{2}));
  EXPECT_EQ(b.labels, (std::vector<double>{4}));
  const std::vector<double> all = io::MergeLabels(a.labels, b.labels);
  io::MapLabels(&p0, all, {});
  io::MapLabels(&p1, all, {});
  EXPECT_EQ(p0.labels, (std::vector<double>{-1, -1}));
  EXPECT_EQ(p1.labels, (std::vector<double>{1, 1}));
  EXPECT_EQ(p0.positive_label_text, "4");
  EXPECT_EQ(p0.negative_label_text, "2");
}

bool SameBits(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::bit_cast<std::uint64_t>(a[i]) != std::bit_cast<std::uint64_t>(b[i])) return false;
  }
  return true;
}

TEST(LibsvmPart, PreprocessingByPartsEqualsWholeFilePreprocessingBitForBit) {
  TempDir dir;
  Style style;
  style.comments = style.blank_lines = style.crlf = true;
  style.long_every = 40;
  const std::string text = MakeText(200, 11, style);
  std::vector<Preprocessing> preps(5);
  preps[0].scale_maxabs = true;
  preps[1].normalize_rows = true;
  preps[2].bias = 1.5;
  preps[3].scale_maxabs = preps[3].normalize_rows = true;
  preps[3].bias = 1.0;
  preps[4].scale_maxabs = true;
  preps[4].bias = 2.0;
  for (const Format format : {Format::kPlain, Format::kXz}) {
    const std::string path = dir.File(std::string("prep.") + FormatName(format));
    WriteBytes(path, Encode(text, format));
    for (const Preprocessing& prep : preps) {
      Dataset whole = ReadLibsvm(path);
      const PreprocessingRecord expected = Apply(prep, whole);
      for (int parts = 1; parts <= kMaxParts; ++parts) {
        SCOPED_TRACE(std::string(FormatName(format)) + ", " + prep.Describe() +
                     ", parts = " + std::to_string(parts));
        std::vector<Dataset> data;
        std::vector<double> labels;
        std::int32_t width = 0;
        for (int p = 0; p < parts; ++p) {
          io::PartInfo info;
          data.push_back(io::ReadLibsvmPart(path, p, parts, {}, &info));
          labels = io::MergeLabels(labels, info.labels);
          width = std::max(width, info.num_cols);
        }
        std::vector<double> maxima;
        // Merged in reverse order: a max does not care.
        for (int p = parts - 1; p >= 0; --p) {
          data::MergeColumnMaxAbs(maxima,
                                  data::ColumnMaxAbs(data[static_cast<std::size_t>(p)], width));
        }
        const PreprocessingRecord record = data::MakeRecord(prep, width, maxima);
        EXPECT_TRUE(SameBits(record.column_scale, expected.column_scale));
        EXPECT_EQ(record.num_cols, expected.num_cols);
        EXPECT_EQ(record.raw_num_cols, expected.raw_num_cols);
        EXPECT_EQ(record.bias, expected.bias);
        EXPECT_EQ(record.normalized_rows, expected.normalized_rows);
        for (Dataset& d : data) {
          io::MapLabels(&d, labels, {});
          data::ApplyToPart(record, d);
          EXPECT_EQ(d.num_cols, whole.num_cols);
        }
        const Dataset combined = Combine(data, format == Format::kPlain);
        EXPECT_EQ(combined.row_ptr, whole.row_ptr);
        EXPECT_EQ(combined.col_index, whole.col_index);
        EXPECT_TRUE(SameBits(combined.values, whole.values));
        EXPECT_EQ(combined.labels, whole.labels);
      }
    }
  }
}

// A source that hands out at most `step` bytes per Read, so that every state
// of a filter meets the end of a buffer.
class Trickle final : public io::ByteSource {
 public:
  Trickle(io::ByteSource& inner, std::size_t step) : inner_(inner), step_(step) {}
  std::size_t Read(char* dst, std::size_t capacity) override {
    return inner_.Read(dst, std::min(capacity, step_));
  }

 private:
  io::ByteSource& inner_;
  std::size_t step_;
};

std::string Drain(io::ByteSource& source, std::size_t chunk) {
  std::string out;
  std::vector<char> buffer(chunk);
  for (std::size_t n; (n = source.Read(buffer.data(), buffer.size())) > 0;)
    out.append(buffer.data(), n);
  return out;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines{""};
  for (const char c : text) {
    if (c == '\n') {
      lines.emplace_back();
    } else {
      lines.back() += c;
    }
  }
  return lines;
}

TEST(PartRowFilter, KeepsItsRowsBlanksTheOthersAndKeepsEveryLine) {
  Style style;
  style.comments = style.blank_lines = style.crlf = true;
  style.final_newline = false;
  const std::string text = MakeText(90, 12, style) + "\n  \r\n \r";
  const Dataset whole = ParseLibsvm(text, "t");
  const std::vector<std::string> in_lines = Lines(text);
  for (int parts = 1; parts <= 4; ++parts) {
    for (int part = 0; part < parts; ++part) {
      for (const std::size_t step :
           {std::size_t{1}, std::size_t{2}, std::size_t{7}, std::size_t{1} << 20}) {
        SCOPED_TRACE("part " + std::to_string(part) + " of " + std::to_string(parts) + ", step " +
                     std::to_string(step));
        io::MemorySource memory(text);
        Trickle trickle(memory, step);
        io::RowFilterSource filter(trickle, part, parts, "t");
        const std::string out = Drain(filter, step == 1 ? 3 : 4096);
        // Same lines; each kept whole, or cut to its leading blanks.
        const std::vector<std::string> out_lines = Lines(out);
        ASSERT_EQ(out_lines.size(), in_lines.size());
        for (std::size_t i = 0; i < in_lines.size(); ++i) {
          const std::string& o = out_lines[i];
          if (o == in_lines[i]) continue;
          EXPECT_EQ(in_lines[i].compare(0, o.size(), o), 0) << i;
          EXPECT_EQ(o.find_first_not_of(" \t"), std::string::npos) << i;
        }
        // The parser sees this part's rows, interleaved.
        const Dataset mine = ParseLibsvm(out, "t");
        Dataset expected;
        for (std::int64_t r = part; r < whole.num_rows; r += parts) AppendRow(whole, r, expected);
        EXPECT_EQ(mine.row_ptr, expected.row_ptr);
        EXPECT_EQ(mine.col_index, expected.col_index);
        EXPECT_EQ(mine.values, expected.values);
      }
    }
  }
}

}  // namespace
}  // namespace asyncopt
