// asyncopt::io: the one way the library and the CLI write output files.
//
// What a path may name, and what happens to it:
//  * a regular file, existing or not: written to a UNIQUE temporary file in
//    the target's folder (".NAME.XXXXXX", created with O_EXCL) and renamed
//    over the target, so readers see the old or the new file, never half of
//    one; the new file keeps the old one's permission bits (else it gets
//    0666 & ~umask, like any new file). Streams (OutputStream) are the one
//    exception: they write the file in place, so an interrupted run keeps
//    the rows written so far.
//  * a symbolic link: followed (also when dangling; relative targets are
//    relative to the link's folder; at most kMaxSymlinkHops links); the final
//    target is written and the link stays a link.
//  * a character or block device, FIFO or socket: written directly, never
//    renamed over, truncated or removed.
//  * a name for a descriptor this process already has open: /dev/stdout,
//    /dev/stderr, /dev/stdin, /dev/fd/N, /proc/self/fd/N (and
//    /proc/<own pid>/fd/N, /proc/thread-self/fd/N): written to that
//    descriptor through a duplicate, never reopened (reopening
//    /proc/self/fd/1 with O_TRUNC would truncate a shell's redirect target).
//
// Nothing waits without a deadline: a FIFO without a reader fails after
// OutputOptions::reader_timeout, a pipe/FIFO/socket whose reader stops
// reading fails after OutputOptions::stall_timeout without progress. A
// reader that goes away gives an error (EPIPE), never a SIGPIPE.
//
// Errors are asyncopt::Error whose message starts with the path as given:
//  * ErrorKind::kInvalidOption: the path cannot name an output at all (empty,
//    ends with '/', is a directory, too many symbolic links);
//  * ErrorKind::kIo: the system refuses (missing or unwritable folder,
//    descriptor not open for writing, no reader, a failed write/flush/close:
//    "PATH: cannot write: <strerror text>").
// On failure only our own temporary file is removed; the target is untouched.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace asyncopt::io {

inline constexpr int kMaxSymlinkHops = 40;

struct OutputOptions {
  // Longest wait for a process to open a FIFO for reading (or for a socket's
  // listener to accept) before "no process is reading the FIFO".
  std::chrono::milliseconds reader_timeout{10'000};
  // Longest wait without progress when a pipe, FIFO or socket is full
  // because its reader stopped reading.
  std::chrono::milliseconds stall_timeout{60'000};
  // fsync a regular file (and, after the rename, its folder) before
  // returning: survives a power loss, at the cost of a disk flush.
  bool sync = false;
};

// What an output path names, after following symbolic links.
enum class OutputKind {
  kNewFile,      // nothing yet: a regular file will be created
  kRegularFile,  // an existing regular file: replaced (or rewritten in place by streams)
  kDescriptor,   // a descriptor this process has open (/dev/stdout, /proc/self/fd/N, ...)
  kCharDevice,
  kBlockDevice,
  kFifo,
  kSocket,
};

// Result of the preflight check of one output path.
struct OutputCheck {
  OutputKind kind = OutputKind::kNewFile;
  // Final path after following symbolic links (the path as given for
  // kDescriptor).
  std::string target;
  int descriptor = -1;  // kDescriptor: the descriptor number
  // Devices, FIFOs, sockets and descriptors: several outputs may share them.
  bool special() const { return kind != OutputKind::kNewFile && kind != OutputKind::kRegularFile; }
};

// Preflight, for the CLI before any work: throws Error naming the path and
// the reason when `path` cannot be written: a directory; a missing folder; a
// folder where no file can be created (probed by creating and removing a
// unique temporary file, which is what the atomic write needs); an existing
// file, device or socket without write permission; a descriptor that is not
// open for writing. A FIFO is checked without opening it (opening and
// closing would send its reader an end of file).
OutputCheck CheckOutputPath(const std::string& path);

// True when `a` and `b` name the same file: the same (st_dev, st_ino) when
// both exist (following symbolic links; descriptor names use the open
// file), else the same absolute path after resolving the symbolic links of
// the existing folder part and of the final component. Never throws.
bool SameFile(const std::string& a, const std::string& b);

// True for devices, FIFOs, sockets and descriptor names (after following
// symbolic links); false for regular files, missing paths and errors.
// Never throws.
bool IsSpecialOutput(const std::string& path);

// Writes `text` to `path` as described at the top of this file (atomically
// for regular files). Throws Error(kIo / kInvalidOption) naming the path.
void WriteOutputFile(const std::string& path, std::string_view text,
                     const OutputOptions& options = {});

// A whole-file output written in pieces (for outputs too large to build in
// memory first): regular files go to a unique temporary file that Commit()
// renames over the target; special targets are written directly. Destroying
// an OutputFile without Commit() removes the temporary file (bytes already
// sent to a device or pipe cannot be taken back).
class OutputFile {
 public:
  // Resolves and opens the target; throws Error naming the path.
  explicit OutputFile(const std::string& path, const OutputOptions& options = {});
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  // Throws Error(kIo, "PATH: cannot write: ...") and removes the temporary
  // file on failure.
  void Write(std::string_view bytes);
  // Flushes (fsync when options.sync), closes and renames into place.
  void Commit();

 private:
  void Abandon() noexcept;
  [[noreturn]] void FailWith(const std::string& reason);

  std::string path_;
  OutputOptions options_;
  OutputKind kind_ = OutputKind::kNewFile;
  std::string target_;  // final path (regular files)
  std::string temp_;    // our temporary file, empty for special targets
  int fd_ = -1;
  bool socket_ = false;
  bool committed_ = false;
};

// A streamed output (the trace CSV): opened once, written row by row, each
// Flush() handing the bytes to the kernel so an interrupted run keeps its
// rows. Regular files are written in place (O_TRUNC after following
// symbolic links: a stream is never renamed); special targets as above.
// Write() and Flush() never throw: the first error is recorded, later
// writes are dropped, and ok()/error() report it; Close() throws it.
class OutputStream {
 public:
  // Opens the target; throws Error naming the path when it cannot.
  explicit OutputStream(const std::string& path, const OutputOptions& options = {});
  ~OutputStream();  // closes without throwing
  OutputStream(const OutputStream&) = delete;
  OutputStream& operator=(const OutputStream&) = delete;

  // Buffers `bytes` (hands them to the kernel when the buffer fills).
  void Write(std::string_view bytes);
  // Hands everything buffered to the kernel; returns ok().
  bool Flush();
  // Flushes and closes (checking close); throws Error(kIo, error()) if any
  // write, flush or the close failed. Later calls do nothing.
  void Close();

  bool ok() const { return error_.empty(); }
  // Empty while ok(); else "PATH: cannot write: <reason>".
  const std::string& error() const { return error_; }

 private:
  std::string path_;
  OutputOptions options_;
  std::string buffer_;
  std::string error_;
  int fd_ = -1;
  bool socket_ = false;
  bool guard_sigpipe_ = false;
};

}  // namespace asyncopt::io
