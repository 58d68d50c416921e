// asyncopt internal: knobs of the LIBSVM reader, for tests and benchmarks.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "asyncopt/dataset.hpp"
#include "io/decompress.hpp"

namespace asyncopt::io {

struct ParseTuning {
  // Bytes of text per block handed to one parsing task (blocks are cut at the
  // last newline, so a block may be longer when a line is). 0 = automatic.
  std::size_t block_bytes = 0;
};

// Parses the LIBSVM text produced by `source`; `name` prefixes messages.
// `size_hint` (bytes of text, 0 = unknown) only chooses the block size.
Dataset ParseLibsvmSource(ByteSource& source, const std::string& name,
                          const ReadOptions& options, const ParseTuning& tuning,
                          std::size_t size_hint);

Dataset ReadLibsvmTuned(const std::string& path, const ReadOptions& options,
                        const ParseTuning& tuning);
Dataset ParseLibsvmTuned(std::string_view text, const std::string& name,
                         const ReadOptions& options, const ParseTuning& tuning);

// Canonical spelling of an original label value: integers without a decimal
// point ("1", "-1", "4"), anything else as printf's %.17g.
std::string LabelText(double value);

}  // namespace asyncopt::io
