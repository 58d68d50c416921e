// Plain / gzip / bzip2 / xz byte sources on top of zlib, libbz2 and liblzma.
#include "io/decompress.hpp"

#include <bzlib.h>
#include <fcntl.h>
#include <lzma.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include "asyncopt/error.hpp"

namespace asyncopt::io {
namespace {

constexpr std::size_t kInputBufferBytes = std::size_t{1} << 20;

// Decoders hand the libraries at most this much per call (their counters are
// 32-bit).
constexpr std::size_t kMaxChunk = std::size_t{1} << 30;

// Owns a file descriptor.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

std::string_view CompressionName(Compression compression) {
  switch (compression) {
    case Compression::kGzip: return "gzip";
    case Compression::kBzip2: return "bzip2";
    case Compression::kXz: return "xz";
    case Compression::kNone: break;
  }
  return "plain";
}

Compression DetectCompression(const unsigned char* bytes, std::size_t size) {
  if (size >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b) return Compression::kGzip;
  if (size >= 3 && bytes[0] == 'B' && bytes[1] == 'Z' && bytes[2] == 'h') {
    return Compression::kBzip2;
  }
  static constexpr unsigned char kXzMagic[6] = {0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00};
  if (size >= 6 && std::memcmp(bytes, kXzMagic, 6) == 0) return Compression::kXz;
  return Compression::kNone;
}

std::size_t MemorySource::Read(char* dst, std::size_t capacity) {
  const std::size_t n = std::min(capacity, text_.size() - pos_);
  if (n > 0) std::memcpy(dst, text_.data() + pos_, n);
  pos_ += n;
  return n;
}

class DecompressingFileSource::Impl {
 public:
  explicit Impl(const std::string& path)
      : path_(path), fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
    if (fd_.get() < 0) Fail(ErrorKind::kIo, "cannot open: " + std::string(std::strerror(errno)));
    struct stat st {};
    if (::fstat(fd_.get(), &st) == 0 && S_ISREG(st.st_mode)) {
      file_size_ = static_cast<std::uint64_t>(st.st_size);
    }
    in_ = std::make_unique_for_overwrite<unsigned char[]>(kInputBufferBytes);
    // Fill enough of the buffer to see the magic bytes.
    while (in_len_ < 6 && !eof_) Refill();
    compression_ = DetectCompression(in_.get(), in_len_);
    switch (compression_) {
      case Compression::kGzip:
        if (inflateInit2(&zs_, 15 + 16) != Z_OK) Fail(ErrorKind::kIo, "cannot initialise zlib");
        zs_live_ = true;
        break;
      case Compression::kBzip2:
        if (BZ2_bzDecompressInit(&bz_, 0, 0) != BZ_OK) {
          Fail(ErrorKind::kIo, "cannot initialise libbz2");
        }
        bz_live_ = true;
        break;
      case Compression::kXz:
        if (lzma_stream_decoder(&xz_, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK) {
          Fail(ErrorKind::kIo, "cannot initialise liblzma");
        }
        xz_live_ = true;
        break;
      case Compression::kNone:
        break;
    }
  }

  ~Impl() {
    if (zs_live_) inflateEnd(&zs_);
    if (bz_live_) BZ2_bzDecompressEnd(&bz_);
    if (xz_live_) lzma_end(&xz_);
  }

  std::size_t Read(char* dst, std::size_t capacity) {
    capacity = std::min(capacity, kMaxChunk);
    if (capacity == 0) return 0;
    switch (compression_) {
      case Compression::kGzip: return ReadGzip(dst, capacity);
      case Compression::kBzip2: return ReadBzip2(dst, capacity);
      case Compression::kXz: return ReadXz(dst, capacity);
      case Compression::kNone: break;
    }
    return ReadPlain(dst, capacity);
  }

  Compression compression() const { return compression_; }
  std::uint64_t file_size() const { return file_size_; }

 private:
  [[noreturn]] void Fail(ErrorKind kind, const std::string& what) const {
    throw Error(kind, path_ + ": " + what);
  }

  // Reads more of the file into the unread tail of the input buffer. Sets
  // eof_ at the end of the file.
  void Refill() {
    if (in_pos_ > 0) {
      std::memmove(in_.get(), in_.get() + in_pos_, in_len_ - in_pos_);
      in_len_ -= in_pos_;
      in_pos_ = 0;
    }
    if (in_len_ == kInputBufferBytes) return;
    const std::size_t n = ReadFile(in_.get() + in_len_, kInputBufferBytes - in_len_);
    if (n == 0) eof_ = true;
    in_len_ += n;
  }

  std::size_t ReadFile(void* dst, std::size_t capacity) {
    for (;;) {
      const ssize_t n = ::read(fd_.get(), dst, capacity);
      if (n >= 0) return static_cast<std::size_t>(n);
      if (errno == EINTR) continue;
      Fail(ErrorKind::kIo, "read error: " + std::string(std::strerror(errno)));
    }
  }

  std::size_t ReadPlain(char* dst, std::size_t capacity) {
    if (in_pos_ < in_len_) {
      const std::size_t n = std::min(capacity, in_len_ - in_pos_);
      std::memcpy(dst, in_.get() + in_pos_, n);
      in_pos_ += n;
      return n;
    }
    if (eof_) return 0;
    const std::size_t n = ReadFile(dst, capacity);
    if (n == 0) eof_ = true;
    return n;
  }

  [[noreturn]] void Truncated() const {
    Fail(ErrorKind::kInvalidInput,
         "truncated " + std::string(CompressionName(compression_)) + " stream");
  }
  [[noreturn]] void Corrupt(const char* detail) const {
    std::string what = "corrupt " + std::string(CompressionName(compression_)) + " data";
    if (detail != nullptr && *detail != '\0') what += std::string(" (") + detail + ")";
    Fail(ErrorKind::kInvalidInput, what);
  }

  std::size_t ReadGzip(char* dst, std::size_t capacity) {
    zs_.next_out = reinterpret_cast<Bytef*>(dst);
    zs_.avail_out = static_cast<uInt>(capacity);
    while (zs_.avail_out > 0) {
      if (in_pos_ == in_len_) {
        Refill();
        if (in_pos_ == in_len_) {
          if (in_member_) Truncated();
          break;
        }
      }
      zs_.next_in = in_.get() + in_pos_;
      zs_.avail_in = static_cast<uInt>(in_len_ - in_pos_);
      const int ret = inflate(&zs_, Z_NO_FLUSH);
      in_pos_ = in_len_ - zs_.avail_in;
      if (ret == Z_STREAM_END) {
        // End of one member; another may follow (concatenated gzip).
        in_member_ = false;
        if (inflateReset(&zs_) != Z_OK) Corrupt("reset failed");
        continue;
      }
      if (ret == Z_OK || ret == Z_BUF_ERROR) {
        in_member_ = true;
        continue;
      }
      if (ret == Z_MEM_ERROR) Fail(ErrorKind::kIo, "out of memory in zlib");
      Corrupt(zs_.msg);
    }
    return capacity - zs_.avail_out;
  }

  std::size_t ReadBzip2(char* dst, std::size_t capacity) {
    bz_.next_out = dst;
    bz_.avail_out = static_cast<unsigned int>(capacity);
    while (bz_.avail_out > 0) {
      if (in_pos_ == in_len_) {
        Refill();
        if (in_pos_ == in_len_) {
          if (in_member_) Truncated();
          break;
        }
      }
      if (!bz_live_) {
        if (BZ2_bzDecompressInit(&bz_, 0, 0) != BZ_OK) {
          Fail(ErrorKind::kIo, "cannot initialise libbz2");
        }
        bz_live_ = true;
        bz_.next_out = dst + (capacity - bz_.avail_out);
      }
      bz_.next_in = reinterpret_cast<char*>(in_.get() + in_pos_);
      bz_.avail_in = static_cast<unsigned int>(in_len_ - in_pos_);
      const int ret = BZ2_bzDecompress(&bz_);
      in_pos_ = in_len_ - bz_.avail_in;
      if (ret == BZ_STREAM_END) {
        // A new stream may follow (pbzip2 and `cat a.bz2 b.bz2` produce these).
        in_member_ = false;
        const unsigned int avail_out = bz_.avail_out;
        BZ2_bzDecompressEnd(&bz_);
        bz_ = bz_stream{};
        bz_.avail_out = avail_out;
        bz_live_ = false;
        continue;
      }
      if (ret == BZ_OK) {
        in_member_ = true;
        continue;
      }
      if (ret == BZ_MEM_ERROR) Fail(ErrorKind::kIo, "out of memory in libbz2");
      Corrupt(ret == BZ_DATA_ERROR_MAGIC ? "bad magic" : "");
    }
    return capacity - bz_.avail_out;
  }

  std::size_t ReadXz(char* dst, std::size_t capacity) {
    xz_.next_out = reinterpret_cast<std::uint8_t*>(dst);
    xz_.avail_out = capacity;
    while (xz_.avail_out > 0 && !xz_done_) {
      if (in_pos_ == in_len_ && !eof_) Refill();
      xz_.next_in = in_.get() + in_pos_;
      xz_.avail_in = in_len_ - in_pos_;
      const bool finishing = eof_ && in_pos_ == in_len_;
      const lzma_ret ret = lzma_code(&xz_, finishing ? LZMA_FINISH : LZMA_RUN);
      in_pos_ = in_len_ - xz_.avail_in;
      switch (ret) {
        case LZMA_OK:
          continue;
        case LZMA_STREAM_END:
          xz_done_ = true;
          continue;
        case LZMA_BUF_ERROR:
          if (finishing) Truncated();
          continue;
        case LZMA_MEM_ERROR:
          Fail(ErrorKind::kIo, "out of memory in liblzma");
        case LZMA_FORMAT_ERROR:
          Corrupt("bad header");
        case LZMA_OPTIONS_ERROR:
          Corrupt("unsupported options");
        default:
          Corrupt(nullptr);
      }
    }
    return capacity - xz_.avail_out;
  }

  std::string path_;
  FileDescriptor fd_;
  std::uint64_t file_size_ = 0;
  std::unique_ptr<unsigned char[]> in_;
  std::size_t in_pos_ = 0;
  std::size_t in_len_ = 0;
  bool eof_ = false;
  bool in_member_ = false;  // inside a gzip member / bzip2 stream
  Compression compression_ = Compression::kNone;
  z_stream zs_{};
  bool zs_live_ = false;
  bz_stream bz_{};
  bool bz_live_ = false;
  lzma_stream xz_ = LZMA_STREAM_INIT;
  bool xz_live_ = false;
  bool xz_done_ = false;
};

DecompressingFileSource::DecompressingFileSource(const std::string& path)
    : impl_(std::make_unique<Impl>(path)) {}
DecompressingFileSource::~DecompressingFileSource() = default;

std::size_t DecompressingFileSource::Read(char* dst, std::size_t capacity) {
  return impl_->Read(dst, capacity);
}
Compression DecompressingFileSource::compression() const { return impl_->compression(); }
std::uint64_t DecompressingFileSource::file_size() const { return impl_->file_size(); }

}  // namespace asyncopt::io
