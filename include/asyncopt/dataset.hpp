// asyncopt: sparse data in compressed sparse row form, with binary classes or
// real (regression) targets, and the LIBSVM / SVMlight reader and writer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace asyncopt {

// One row of a Dataset: `nnz` (index, value) pairs, indices 0-based and
// strictly increasing.
struct SparseRow {
  const std::int32_t* index = nullptr;
  const double* value = nullptr;
  std::int32_t nnz = 0;
};

// What Dataset::labels hold.
enum class LabelKind {
  kClasses,  // -1 or +1: two classes, mapped from the file's labels (ReadOptions)
  kTargets,  // real targets as read (regression: the squared loss), finite
  kClassIds, // 0, 1, ..., K-1: multiclass data, each an index into Dataset::class_labels
};

// m x d CSR matrix (int32 column indices, double values) plus one label per
// row: a class in {-1, +1}, a real target or a class id (label_kind).
// Explicit zeros are never stored.
struct Dataset {
  std::int64_t num_rows = 0;  // m
  std::int32_t num_cols = 0;  // d: largest feature index seen (1-based in the file)
  // Line of the source holding the largest feature index (1-based; 0 =
  // unknown): the first such line when several rows reach it.
  std::int64_t num_cols_line = 0;
  std::vector<std::int64_t> row_ptr{0};  // size m + 1
  std::vector<std::int32_t> col_index;   // size nnz, 0-based
  std::vector<double> values;            // size nnz
  std::vector<double> labels;            // size m: -1.0 or +1.0, real targets, or class ids
  LabelKind label_kind = LabelKind::kClasses;
  // kClassIds only: the original label of each class id (id k is
  // class_labels[k]); K = class_labels.size(), distinct finite values. Read
  // from a file: ascending, or ReadOptions::expected_labels' order.
  std::vector<double> class_labels;

  // How the file spelled its classes, for model files that LIBLINEAR's
  // predict compares against the original labels ("1"/"-1", "4"/"2", ...).
  // Unused for real targets.
  std::string positive_label_text = "+1";
  std::string negative_label_text = "-1";
  std::string source;  // path it was read from, or a generator description

  std::int64_t nnz() const { return static_cast<std::int64_t>(col_index.size()); }
  // K for class ids, 2 for binary classes, 0 for real targets.
  int num_classes() const {
    if (label_kind == LabelKind::kClassIds) return static_cast<int>(class_labels.size());
    return label_kind == LabelKind::kClasses ? 2 : 0;
  }
  SparseRow row(std::int64_t i) const {
    const std::int64_t b = row_ptr[static_cast<std::size_t>(i)];
    const std::int64_t e = row_ptr[static_cast<std::size_t>(i) + 1];
    return {col_index.data() + b, values.data() + b, static_cast<std::int32_t>(e - b)};
  }
};

struct ReadOptions {
  // Original label values mapped to +1; every other value maps to -1. Empty:
  // the file must have at most two distinct label values; the larger maps to
  // +1 ({-1,1}, {0,1}, {1,2}, {2,4}, ...). A file with more than two distinct
  // labels and no positive set is an error. Values are matched exactly (as
  // doubles: "1", "1.0" and "+1" are the same label). When given, at least
  // one row must have one of these labels, else Error(kInvalidInput)
  // "FILE: no row has a label in --positive-labels (7); the labels found are
  // 1, 2" (a wrong set would silently make every row negative) -- except when
  // `expected_labels` is given and holds a positive label: then a file of
  // negative rows only (a one-class test file) is accepted.
  std::vector<double> positive_labels;
  // When not empty, every row's label must be one of these values (matched
  // exactly, as doubles), else Error(kInvalidInput) "FILE:LINE:COLUMN: label
  // '3' is not one of the expected labels 1, -1" for the first such row.
  // Used to refuse data whose classes are not a model's two labels. Values
  // must be finite (else Error(kInvalidOption)).
  std::vector<double> expected_labels;
  // Keep every label as read, as a real target (Dataset::label_kind =
  // kTargets): for regression with the squared loss. No mapping to -1/+1,
  // so the two options above must be empty (else Error(kInvalidOption)).
  // Labels must still be finite numbers (the reader's own check).
  bool keep_targets = false;
  // Keep each row's class as an id 0..K-1 (Dataset::label_kind = kClassIds)
  // into Dataset::class_labels: the distinct labels, ascending -- or, when
  // expected_labels is given, those values in their given order, so that a
  // test file read against a model's classes gets the model's ids (and a
  // label outside them is the expected_labels error). For multiclass models
  // (softmax, the perceptron). Not with keep_targets or positive_labels
  // (Error(kInvalidOption)); expected_labels must then be distinct.
  bool class_ids = false;
  // Threads used for parsing (0 = what the calling thread's oneTBB arena
  // allows: all hardware threads outside any arena).
  int threads = 0;
};

// Reads plain, gzip, bzip2 or xz LIBSVM text; the format is recognised by its
// magic bytes, never by file name. Throws Error(kInvalidInput) naming file,
// line and column for malformed input, Error(kIo) when the file cannot be read.
// Decompression and parsing go block by block: memory is about the result
// plus a few blocks (and xz's dictionary), and hostile input is rejected at
// its first bad block (a byte that never occurs in text, a bad token in a
// line without end, a token, comment or run of blanks over 1 MiB).
Dataset ReadLibsvm(const std::string& path, const ReadOptions& options = {});

// Parses LIBSVM text already in memory (uncompressed). `name` is used in error
// messages in place of a file name.
Dataset ParseLibsvm(std::string_view text, const std::string& name,
                    const ReadOptions& options = {});

// Writes LIBSVM text: classes as +1/-1, real targets and values with
// round-trip precision.
void WriteLibsvm(const Dataset& data, const std::string& path);

// Checks a Dataset built in memory, in O(nnz): row_ptr has num_rows + 1
// entries, starts at 0, never decreases and ends at nnz; col_index and
// values have nnz entries; every column index lies in [0, num_cols) and the
// indices of each row strictly increase; every value is finite and no row's
// squared norm overflows; labels has num_rows entries, each -1 or +1 (the
// reader's mapping; see ReadOptions) for kClasses, each finite for kTargets,
// each an integer in [0, K) for kClassIds, whose class_labels are K >= 1
// distinct finite values.
// Throws Error(kInvalidInput) naming the first row at fault (0-based, as in
// row(i)) and the offending entry. Solve and SolveReference call it before
// any work (and CheckLabelKind, problem.hpp: labels that suit the loss).
void ValidateDataset(const Dataset& data);

// 64-bit hash of the matrix and labels (not of the file bytes): two files
// that parse to the same data have the same hash. Printed as 16 hex digits.
std::uint64_t ContentHash(const Dataset& data);
std::string HashToHex(std::uint64_t hash);

}  // namespace asyncopt
