// asyncopt internal: reading one part of the rows of a LIBSVM file, so that
// each of K processes (MPI ranks) holds only its own rows, never the whole
// data set.
//
// How the rows are split depends on what the file allows:
//
//  * Plain (uncompressed) regular files are split by BYTE RANGE. With S the
//    file size, part p of P takes the rows whose line starts in
//    [p*S/P, (p+1)*S/P): it seeks to the first line start at or after p*S/P
//    and reads through the line that crosses (p+1)*S/P. The parts hold every
//    row exactly once, in file order: part 0's rows, then part 1's, ... A part
//    may hold no row (a line longer than S/P swallows the next boundaries).
//    Each part reads about S/P bytes.
//
//  * Compressed files (gzip, bzip2, xz, recognised by content as ReadLibsvm
//    does) cannot be entered in the middle, so every part decompresses the
//    whole stream and keeps the rows with row index % P == p (rows counted
//    from 0 in file order; blank and comment lines are no rows): the parts
//    are INTERLEAVED, and row r of the file is row r / P of part r % P. A
//    dropped row costs only its scan (RowFilterSource): memory is the part's
//    rows plus the reader's blocks, as for ReadLibsvm. Plain files that are no
//    regular file (a pipe) are read the same way.
//
// Labels stay as in the file: a part may see one class only, so the mapping
// to -1/+1 (ReadOptions' rule) needs the label set of the whole file. Merge
// the parts' PartInfo::labels with MergeLabels and give the result to
// MapLabels (io/labels.hpp) in every part. Preprocessing by parts:
// data/preprocess_parts.hpp.
//
// Messages name the file and the TRUE line (and column) in both modes, as
// ReadLibsvm does. A byte-range part counts the lines before its start only
// when it reports an error (one read of the file up to the part).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "asyncopt/dataset.hpp"
#include "io/decompress.hpp"
#include "io/labels.hpp"

namespace asyncopt::io {

// What ReadLibsvmPart read, for the caller that combines the parts.
struct PartInfo {
  // Distinct original label values of the part's rows, ascending (empty when
  // the part has no row). Two values for binary data; every distinct value
  // for multiclass data, so that the merged set gives the same messages as
  // ReadLibsvm. Empty with ReadOptions::keep_targets (see KeepTargets).
  std::vector<double> labels;
  // Largest feature index in the part (1-based, = the part's num_cols); the
  // file's width is the largest over the parts.
  std::int32_t num_cols = 0;
  std::int64_t rows = 0;
  // True: split by byte range (rows in file order, part after part); false:
  // interleaved (row r of the file is row r / parts of part r % parts).
  bool by_byte_range = false;
  // The bytes [begin_byte, end_byte) of the file this part parsed (byte
  // range only; both 0 otherwise). begin_byte is a line start.
  std::uint64_t begin_byte = 0;
  std::uint64_t end_byte = 0;
  Compression compression = Compression::kNone;
};

// The rows of part `part` (0-based) of `parts` of the LIBSVM file `path`,
// labels NOT mapped (see above). `options.expected_labels` and
// `options.threads` apply; `options.positive_labels` is for MapLabels. The
// Dataset's num_cols is the part's width, its source `path`; num_cols_line
// is the true line, or 0 (unknown) for a byte-range part past byte 0.
// `info` may be null. Errors:
//   Error(kInvalidOption) "ReadLibsvmPart: part = 4 is outside the allowed
//   range [0, parts = 4)" (and parts < 1); the errors of ReadLibsvm, naming
//   the file, true line and column, except "no data rows" (a part may be
//   empty; MapLabels reports an empty file) and the label-set checks
//   (MapLabels). A compressed part also reports a byte that never occurs in
//   text in a row it drops, so that every part rejects a binary stream early.
Dataset ReadLibsvmPart(const std::string& path, int part, int parts, const ReadOptions& options,
                       PartInfo* info);

// First byte of part `part` of `parts` of a file of `size` bytes before
// aligning to a line start: floor(part * size / parts), without overflow.
std::uint64_t PartBoundary(std::uint64_t size, int part, int parts);

// A ByteSource that passes the rows with index % parts == part of the LIBSVM
// text of `inner` and replaces each other row by an empty line, so that the
// parser sees true line numbers and only this part's rows. Blank and comment
// lines (what the parser skips) pass unchanged and are not counted as rows.
// A byte that never occurs in text inside a dropped row raises the parser's
// message for it ("NAME:LINE:COLUMN: not a text file (...)").
class RowFilterSource final : public ByteSource {
 public:
  RowFilterSource(ByteSource& inner, int part, int parts, std::string name);
  std::size_t Read(char* dst, std::size_t capacity) override;

 private:
  enum class State {
    kLineStart,       // in the blanks at the start of a line
    kCarriageReturn,  // a '\r' followed those blanks: a blank line if '\n' follows
    kPass,            // copying the rest of the line
    kDrop,            // dropping the rest of a row of another part
  };
  bool Fill();
  void StartRow(bool* keep);

  ByteSource& inner_;
  std::int64_t part_;
  std::int64_t parts_;
  std::string name_;
  std::vector<char> buffer_;
  std::size_t pos_ = 0;
  std::size_t len_ = 0;
  bool eof_ = false;
  State state_ = State::kLineStart;
  std::int64_t row_ = 0;     // rows started so far
  std::int64_t line_ = 0;    // 0-based line being read
  std::int64_t column_ = 0;  // bytes of the current line consumed
};

}  // namespace asyncopt::io
