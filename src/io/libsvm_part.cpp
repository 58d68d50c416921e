// Reading one part of a LIBSVM file: a byte range of a plain file, or every
// parts-th row of a compressed stream (see io/libsvm_part.hpp). Both feed the
// one block-streaming parser (ParseLibsvmRaw) through a ByteSource.
#include "io/libsvm_part.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "asyncopt/error.hpp"
#include "io/libsvm_reader_internal.hpp"

namespace asyncopt::io {
namespace {

constexpr std::size_t kScanBytes = std::size_t{1} << 20;

// An open regular (or other) file read by position.
class PositionalFile {
 public:
  explicit PositionalFile(const std::string& path)
      : path_(path), fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
    if (fd_ < 0) Fail("cannot open: " + std::string(std::strerror(errno)));
    struct stat st {};
    if (::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode)) {
      regular_ = true;
      size_ = static_cast<std::uint64_t>(st.st_size);
    }
  }
  ~PositionalFile() { ::close(fd_); }
  PositionalFile(const PositionalFile&) = delete;
  PositionalFile& operator=(const PositionalFile&) = delete;

  bool regular() const { return regular_; }
  std::uint64_t size() const { return size_; }

  // Reads up to `n` bytes at `offset`; fewer only at the end of the file.
  std::size_t ReadAt(std::uint64_t offset, char* dst, std::size_t n) const {
    std::size_t done = 0;
    while (done < n) {
      const ssize_t got = ::pread(fd_, dst + done, n - done, static_cast<off_t>(offset + done));
      if (got > 0) {
        done += static_cast<std::size_t>(got);
      } else if (got == 0) {
        break;
      } else if (errno != EINTR) {
        Fail("read error: " + std::string(std::strerror(errno)));
      }
    }
    return done;
  }

  // The first line start at or after `offset` (0, a byte after '\n', or the
  // size): scans from offset - 1 for a newline.
  std::uint64_t LineStartAtOrAfter(std::uint64_t offset) const {
    if (offset == 0 || offset >= size_) return std::min(offset, size_);
    std::vector<char> buffer(kScanBytes);
    std::uint64_t at = offset - 1;
    while (at < size_) {
      const std::size_t n = ReadAt(at, buffer.data(), buffer.size());
      if (n == 0) break;
      const void* nl = std::memchr(buffer.data(), '\n', n);
      if (nl != nullptr)
        return at + static_cast<std::uint64_t>(static_cast<const char*>(nl) - buffer.data()) + 1;
      at += n;
    }
    return size_;
  }

  // Newlines in [0, end).
  std::int64_t CountLines(std::uint64_t end) const {
    std::vector<char> buffer(kScanBytes);
    std::int64_t lines = 0;
    for (std::uint64_t at = 0; at < end;) {
      const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), end - at));
      const std::size_t n = ReadAt(at, buffer.data(), want);
      if (n == 0) break;
      lines += std::count(buffer.data(), buffer.data() + n, '\n');
      at += n;
    }
    return lines;
  }

  [[noreturn]] void Fail(const std::string& what) const {
    throw Error(ErrorKind::kIo, path_ + ": " + what);
  }

 private:
  std::string path_;
  int fd_;
  bool regular_ = false;
  std::uint64_t size_ = 0;
};

// The bytes [begin, end) of a file.
class FileRangeSource final : public ByteSource {
 public:
  FileRangeSource(const PositionalFile& file, std::uint64_t begin, std::uint64_t end)
      : file_(file), pos_(begin), end_(end) {}

  std::size_t Read(char* dst, std::size_t capacity) override {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(capacity, end_ - pos_));
    if (n == 0) return 0;
    const std::size_t got = file_.ReadAt(pos_, dst, n);
    if (got == 0) {
      file_.Fail("read error: the file ended at byte " + std::to_string(pos_) + ", before byte " +
                 std::to_string(end_) + " (changed while it was read?)");
    }
    pos_ += got;
    return got;
  }

 private:
  const PositionalFile& file_;
  std::uint64_t pos_;
  std::uint64_t end_;
};

void CheckPart(int part, int parts) {
  if (parts < 1) {
    throw Error(ErrorKind::kInvalidOption,
                "ReadLibsvmPart: parts = " + std::to_string(parts) + " must be >= 1");
  }
  if (part < 0 || part >= parts) {
    throw Error(ErrorKind::kInvalidOption,
                "ReadLibsvmPart: part = " + std::to_string(part) +
                    " is outside the allowed range [0, parts = " + std::to_string(parts) + ")");
  }
}

void Describe(const Dataset& data, const ReadOptions& options, PartInfo* info) {
  if (info == nullptr) return;
  // Real targets are kept as read: no label set to agree on. Classes (two,
  // or ids) need the whole file's set.
  if (!options.keep_targets) info->labels = DistinctLabels(data.labels);
  info->num_cols = data.num_cols;
  info->rows = data.num_rows;
}

}  // namespace

std::uint64_t PartBoundary(std::uint64_t size, int part, int parts) {
  // size = q * parts + r, so part * size / parts = part * q + part * r / parts,
  // and part * r < parts^2 < 2^62.
  const auto p = static_cast<std::uint64_t>(part);
  const auto n = static_cast<std::uint64_t>(parts);
  return (size / n) * p + (size % n) * p / n;
}

RowFilterSource::RowFilterSource(ByteSource& inner, int part, int parts, std::string name)
    : inner_(inner), part_(part), parts_(parts), name_(std::move(name)), buffer_(kScanBytes) {}

bool RowFilterSource::Fill() {
  if (pos_ < len_) return true;
  if (eof_) return false;
  pos_ = 0;
  len_ = inner_.Read(buffer_.data(), buffer_.size());
  eof_ = (len_ == 0);
  return !eof_;
}

void RowFilterSource::StartRow(bool* keep) {
  *keep = (row_ % parts_ == part_);
  ++row_;
}

std::size_t RowFilterSource::Read(char* dst, std::size_t capacity) {
  std::size_t out = 0;
  while (out < capacity) {
    if (!Fill()) {
      // A '\r' after the blanks of the last line ends a blank line (the
      // parser's rule at the end of the data).
      if (state_ == State::kCarriageReturn) {
        dst[out++] = '\r';
        state_ = State::kLineStart;
      }
      break;
    }
    const char c = buffer_[pos_];
    switch (state_) {
      case State::kLineStart:
        if (c == ' ' || c == '\t' || c == '\n') {
          dst[out++] = c;
          ++pos_;
          ++column_;
          if (c == '\n') {
            ++line_;
            column_ = 0;
          }
        } else if (c == '#') {
          state_ = State::kPass;  // a comment line
        } else if (c == '\r') {
          ++pos_;
          ++column_;
          state_ = State::kCarriageReturn;
        } else {
          bool keep = false;
          StartRow(&keep);
          state_ = keep ? State::kPass : State::kDrop;
        }
        break;
      case State::kCarriageReturn: {
        // "\r\n" after blanks is a blank line; '\r' before anything else
        // starts a row (a malformed one, for its owner to report).
        bool keep = true;
        if (c != '\n') StartRow(&keep);
        if (keep) dst[out++] = '\r';
        state_ = keep ? State::kPass : State::kDrop;
        break;
      }
      case State::kPass: {
        const std::size_t n = std::min(capacity - out, len_ - pos_);
        const void* nl = std::memchr(buffer_.data() + pos_, '\n', n);
        const std::size_t take =
            nl == nullptr
                ? n
                : static_cast<std::size_t>(static_cast<const char*>(nl) - (buffer_.data() + pos_)) +
                      1;
        std::memcpy(dst + out, buffer_.data() + pos_, take);
        out += take;
        pos_ += take;
        column_ += static_cast<std::int64_t>(take);
        if (nl != nullptr) {
          ++line_;
          column_ = 0;
          state_ = State::kLineStart;
        }
        break;
      }
      case State::kDrop: {
        const char* const begin = buffer_.data() + pos_;
        const char* const end = buffer_.data() + len_;
        const char* p = begin;
        while (p < end && *p != '\n' && !IsBinaryByte(static_cast<unsigned char>(*p))) ++p;
        column_ += p - begin;
        pos_ += static_cast<std::size_t>(p - begin);
        if (p == end) break;
        if (*p != '\n') {
          throw Error(ErrorKind::kInvalidInput, NotTextMessage(name_, line_ + 1, column_ + 1,
                                                               static_cast<unsigned char>(*p)));
        }
        dst[out++] = '\n';
        ++pos_;
        ++line_;
        column_ = 0;
        state_ = State::kLineStart;
        break;
      }
    }
  }
  return out;
}

Dataset ReadLibsvmPart(const std::string& path, int part, int parts, const ReadOptions& options,
                       PartInfo* info) {
  CheckPart(part, parts);
  if (info != nullptr) *info = PartInfo{};
  // Only a regular file is opened here: a pipe must be opened once, by the
  // stream that reads it.
  std::optional<PositionalFile> file;
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
    file.emplace(path);
    unsigned char magic[6] = {};
    const std::size_t n = file->ReadAt(0, reinterpret_cast<char*>(magic), sizeof magic);
    if (!file->regular() || DetectCompression(magic, n) != Compression::kNone) file.reset();
  }
  if (file) {
    const std::uint64_t begin = file->LineStartAtOrAfter(PartBoundary(file->size(), part, parts));
    const std::uint64_t end = file->LineStartAtOrAfter(PartBoundary(file->size(), part + 1, parts));
    FileRangeSource source(*file, begin, end);
    TextOrigin origin;
    if (begin > 0) origin.lines_before = [&] { return file->CountLines(begin); };
    // (A hint of at least 1 byte: an empty part gets the smallest block.)
    const auto hint = std::max<std::size_t>(static_cast<std::size_t>(end - begin), 1);
    Dataset data = ParseLibsvmRaw(source, path, options, ParseTuning{}, hint, origin);
    if (begin > 0) data.num_cols_line = 0;  // its true line is not counted
    Describe(data, options, info);
    if (info != nullptr) {
      info->by_byte_range = true;
      info->begin_byte = begin;
      info->end_byte = end;
    }
    return data;
  }
  file.reset();
  DecompressingFileSource stream(path);
  std::size_t hint = static_cast<std::size_t>(stream.file_size());
  if (stream.compression() != Compression::kNone) hint *= 4;
  hint /= static_cast<std::size_t>(parts);
  Dataset data;
  if (parts == 1) {
    data = ParseLibsvmRaw(stream, path, options, ParseTuning{}, hint, TextOrigin{});
  } else {
    RowFilterSource filtered(stream, part, parts, path);
    data = ParseLibsvmRaw(filtered, path, options, ParseTuning{}, hint, TextOrigin{});
  }
  Describe(data, options, info);
  if (info != nullptr) info->compression = stream.compression();
  return data;
}

}  // namespace asyncopt::io
