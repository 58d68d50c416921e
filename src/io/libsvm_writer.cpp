// LIBSVM text writer: "+1 3:0.5 7:1\n", values in shortest round-trip form.
#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "asyncopt/dataset.hpp"
#include "asyncopt/error.hpp"
#include "io/output_file.hpp"

namespace asyncopt {
namespace {

constexpr std::size_t kBufferBytes = std::size_t{1} << 20;
// Longest text of one entry: " " + 10-digit index + ":" + 24-char double.
constexpr std::size_t kMaxEntryBytes = 40;

void CheckShape(const Dataset& data, const std::string& path) {
  const auto rows = static_cast<std::size_t>(data.num_rows);
  const bool ok = data.num_rows >= 0 && data.row_ptr.size() == rows + 1 &&
                  data.labels.size() == rows && data.col_index.size() == data.values.size() &&
                  data.row_ptr.front() == 0 &&
                  data.row_ptr.back() == static_cast<std::int64_t>(data.col_index.size());
  if (!ok) {
    throw Error(ErrorKind::kInvalidInput,
                path + ": cannot write a dataset whose arrays have inconsistent sizes");
  }
}

}  // namespace

void WriteLibsvm(const Dataset& data, const std::string& path) {
  CheckShape(data, path);
  // Regular files are replaced atomically: a failed write leaves the old
  // file (or none), never half a dataset.
  io::OutputFile file(path);

  std::vector<char> buffer(kBufferBytes);
  std::size_t used = 0;
  auto flush = [&] {
    if (used > 0) file.Write(std::string_view(buffer.data(), used));
    used = 0;
  };

  for (std::int64_t i = 0; i < data.num_rows; ++i) {
    const SparseRow row = data.row(i);
    const std::size_t need = kMaxEntryBytes + kMaxEntryBytes * static_cast<std::size_t>(row.nnz);
    if (used + need > buffer.size()) {
      flush();
      if (need > buffer.size()) buffer.resize(need);
    }
    char* out = buffer.data() + used;
    char* const limit = buffer.data() + buffer.size();
    const double y = data.labels[static_cast<std::size_t>(i)];
    if (data.label_kind == LabelKind::kTargets) {
      out = std::to_chars(out, limit, y).ptr;  // shortest text that reads back the same
    } else if (data.label_kind == LabelKind::kClassIds) {
      out = std::to_chars(out, limit, data.class_labels[static_cast<std::size_t>(y)]).ptr;
    } else {
      *out++ = y > 0 ? '+' : '-';
      *out++ = '1';
    }
    for (std::int32_t k = 0; k < row.nnz; ++k) {
      *out++ = ' ';
      out = std::to_chars(out, limit, static_cast<std::int64_t>(row.index[k]) + 1).ptr;
      *out++ = ':';
      out = std::to_chars(out, limit, row.value[k]).ptr;
    }
    *out++ = '\n';
    used = static_cast<std::size_t>(out - buffer.data());
  }
  flush();
  file.Commit();
}

}  // namespace asyncopt
