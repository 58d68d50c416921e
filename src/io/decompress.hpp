// asyncopt internal: reading a file as a stream of (decompressed) bytes.
//
// The compression format is recognised by the first bytes of the file, never
// by its name: gzip (1f 8b), bzip2 ("BZh"), xz (fd 37 7a 58 5a 00); anything
// else is read as plain bytes. Concatenated gzip members, bzip2 streams and
// xz streams are decoded one after another, as the command-line tools do.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace asyncopt::io {

enum class Compression { kNone, kGzip, kBzip2, kXz };

// Name used in messages: "plain", "gzip", "bzip2", "xz".
std::string_view CompressionName(Compression compression);

// Format announced by the first `size` bytes of a file (kNone when unknown).
Compression DetectCompression(const unsigned char* bytes, std::size_t size);

// A forward-only source of bytes.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Copies up to `capacity` bytes into `dst`; returns the number copied, 0 only
  // at the end of the data. Throws asyncopt::Error on failure.
  virtual std::size_t Read(char* dst, std::size_t capacity) = 0;
};

// Bytes of an in-memory buffer (not owned).
class MemorySource final : public ByteSource {
 public:
  explicit MemorySource(std::string_view text) : text_(text) {}
  std::size_t Read(char* dst, std::size_t capacity) override;

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

// The decompressed content of a file. Errors:
//   Error(kIo, "FILE: cannot open: <strerror>") / "FILE: read error: ..."
//   Error(kInvalidInput, "FILE: truncated xz stream") when the compressed
//   data stops early, "FILE: corrupt gzip data (<detail>)" when it is damaged.
class DecompressingFileSource final : public ByteSource {
 public:
  explicit DecompressingFileSource(const std::string& path);
  ~DecompressingFileSource() override;
  DecompressingFileSource(const DecompressingFileSource&) = delete;
  DecompressingFileSource& operator=(const DecompressingFileSource&) = delete;

  std::size_t Read(char* dst, std::size_t capacity) override;

  Compression compression() const;
  // Size of the file on disk (compressed bytes), or 0 if unknown.
  std::uint64_t file_size() const;

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace asyncopt::io
