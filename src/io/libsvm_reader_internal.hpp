// asyncopt internal: knobs of the LIBSVM reader, for tests and benchmarks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "asyncopt/dataset.hpp"
#include "io/decompress.hpp"
#include "io/labels.hpp"  // LabelText, for the users of this header

namespace asyncopt::io {

// Bytes that do not occur in text files: C0 controls other than tab, LF and
// CR, and DEL. A line holding one is reported with NotTextMessage.
inline bool IsBinaryByte(unsigned char c) {
  return (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f;
}

// "FILE:LINE:COLUMN: not a text file (byte 0x00 at line LINE column COLUMN)";
// LINE and COLUMN 1-based.
std::string NotTextMessage(const std::string& name, std::int64_t line, std::int64_t column,
                           unsigned byte);

struct ParseTuning {
  // Bytes of text per block handed to one parsing task (blocks are cut at the
  // last newline, so a block may be longer when a line is). 0 = automatic.
  std::size_t block_bytes = 0;
};

// Where the parsed text lies in its file, for the line numbers of messages.
// Default: it is the whole file (its first line is line 1). A part read from
// the middle of a plain file sets `lines_before`, the number of lines before
// its first byte; it is called only when an error is reported, so the count
// (a read of the file up to the part) is paid on the error path only.
struct TextOrigin {
  std::function<std::int64_t()> lines_before;
};

// Parses the LIBSVM text produced by `source` and keeps the ORIGINAL labels
// (no mapping to -1/+1, label texts left at "+1"/"-1"); zero rows are no
// error. Syntax errors, ReadOptions::expected_labels and the option checks are
// as in ReadLibsvm. num_cols_line counts lines from the start of the text.
Dataset ParseLibsvmRaw(ByteSource& source, const std::string& name, const ReadOptions& options,
                       const ParseTuning& tuning, std::size_t size_hint,
                       const TextOrigin& origin);

// Parses the LIBSVM text produced by `source`; `name` prefixes messages.
// `size_hint` (bytes of text, 0 = unknown) only chooses the block size.
// ParseLibsvmRaw, then the label rule (io/labels.hpp) over its labels.
Dataset ParseLibsvmSource(ByteSource& source, const std::string& name,
                          const ReadOptions& options, const ParseTuning& tuning,
                          std::size_t size_hint);

Dataset ReadLibsvmTuned(const std::string& path, const ReadOptions& options,
                        const ParseTuning& tuning);
Dataset ParseLibsvmTuned(std::string_view text, const std::string& name,
                         const ReadOptions& options, const ParseTuning& tuning);

}  // namespace asyncopt::io
