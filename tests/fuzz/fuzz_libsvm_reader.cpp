// libFuzzer target: ParseLibsvm on arbitrary bytes. asyncopt::Error is the
// expected outcome for malformed input; any other exception, crash, leak or
// sanitizer report is a bug. The first byte picks threads / block size /
// label options (positive set, expected labels) so that block splitting, the
// growth of blocks for long lines and the parallel path are fuzzed too.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "asyncopt/dataset.hpp"
#include "asyncopt/error.hpp"
#include "io/libsvm_reader_internal.hpp"

namespace {

void CheckInvariants(const asyncopt::Dataset& d, std::string_view text) {
  const auto lines = static_cast<std::int64_t>(std::count(text.begin(), text.end(), '\n')) + 1;
  if ((d.num_cols > 0) != (d.num_cols_line > 0) || d.num_cols_line > lines) std::abort();
  if (d.num_rows <= 0 || d.row_ptr.size() != static_cast<std::size_t>(d.num_rows) + 1 ||
      d.labels.size() != static_cast<std::size_t>(d.num_rows) ||
      d.col_index.size() != d.values.size() || d.row_ptr.front() != 0 ||
      d.row_ptr.back() != d.nnz()) {
    std::abort();
  }
  for (std::int64_t i = 0; i < d.num_rows; ++i) {
    const asyncopt::SparseRow r = d.row(i);
    for (std::int32_t k = 0; k < r.nnz; ++k) {
      if (r.index[k] < 0 || r.index[k] >= d.num_cols) std::abort();
      if (k > 0 && r.index[k] <= r.index[k - 1]) std::abort();
      if (r.value[k] == 0.0 || !std::isfinite(r.value[k])) std::abort();
    }
    const double y = d.labels[static_cast<std::size_t>(i)];
    if (y != 1.0 && y != -1.0) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t mode = data[0];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  asyncopt::ReadOptions options;
  options.threads = (mode & 1) ? 2 : 1;
  if (mode & 2) options.positive_labels = {1.0, 3.0};
  if (mode & 16) options.expected_labels = {1.0, -1.0};
  asyncopt::io::ParseTuning tuning;
  static constexpr std::size_t kBlocks[4] = {0, 1, 7, 64};
  tuning.block_bytes = kBlocks[(mode >> 2) & 3];
  try {
    const asyncopt::Dataset d = asyncopt::io::ParseLibsvmTuned(text, "fuzz", options, tuning);
    CheckInvariants(d, text);
    // Parsing is deterministic: another split and thread count agree.
    asyncopt::ReadOptions serial = options;
    serial.threads = 1;
    try {
      const asyncopt::Dataset again = asyncopt::ParseLibsvm(text, "fuzz", serial);
      if (asyncopt::ContentHash(again) != asyncopt::ContentHash(d) ||
          again.num_cols_line != d.num_cols_line) {
        std::abort();
      }
    } catch (const asyncopt::Error&) {
      std::abort();  // accepted once, rejected the second time
    }
  } catch (const asyncopt::Error&) {
    // Malformed input is expected to be rejected with an Error.
  }
  return 0;
}
