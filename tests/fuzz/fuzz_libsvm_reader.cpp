// libFuzzer target: ParseLibsvm on arbitrary bytes. asyncopt::Error is the
// expected outcome for malformed input; any other exception, crash, leak or
// sanitizer report is a bug. The first byte picks threads / block size /
// label options so that block splitting and the parallel path are fuzzed too.
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

void CheckInvariants(const asyncopt::Dataset& d) {
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
  asyncopt::io::ParseTuning tuning;
  static constexpr std::size_t kBlocks[4] = {0, 1, 7, 64};
  tuning.block_bytes = kBlocks[(mode >> 2) & 3];
  try {
    const asyncopt::Dataset d = asyncopt::io::ParseLibsvmTuned(text, "fuzz", options, tuning);
    CheckInvariants(d);
    // Parsing is deterministic: another split and thread count agree.
    asyncopt::ReadOptions serial = options;
    serial.threads = 1;
    try {
      const asyncopt::Dataset again = asyncopt::ParseLibsvm(text, "fuzz", serial);
      if (asyncopt::ContentHash(again) != asyncopt::ContentHash(d)) std::abort();
    } catch (const asyncopt::Error&) {
      std::abort();  // accepted once, rejected the second time
    }
  } catch (const asyncopt::Error&) {
    // Malformed input is expected to be rejected with an Error.
  }
  return 0;
}
