// Output files: atomic replacement of regular files, direct writes to
// devices, FIFOs, sockets and already-open descriptors (see output_file.hpp).
#include "io/output_file.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <random>
#include <string>
#include <system_error>
#include <thread>

#include "asyncopt/error.hpp"

namespace asyncopt::io {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Bytes OutputStream buffers before handing them to the kernel.
constexpr std::size_t kStreamBuffer = std::size_t{1} << 16;
// Longest name component we give a temporary file (NAME_MAX is 255).
constexpr std::size_t kMaxTempStem = 200;
// Largest single write(2); larger texts go in pieces.
constexpr std::size_t kMaxWriteChunk = std::size_t{1} << 30;

std::string ErrnoText(int error) { return std::strerror(error); }

[[noreturn]] void Fail(ErrorKind kind, const std::string& path, const std::string& reason) {
  throw Error(kind, path + ": " + reason);
}

std::string Quote(const std::string& s) { return "'" + s + "'"; }

// Folder part of `path` as the OS resolves it ("." for a bare name). Purely
// textual: "a/../b" keeps its "..", which the OS resolves through symlinks.
std::string FolderOf(const std::string& path) {
  const std::size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string NameOf(const std::string& path) {
  const std::size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::optional<int> ParseDescriptor(std::string_view text) {
  if (text.empty() || text.size() > 10) return std::nullopt;
  int fd = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), fd);
  if (ec != std::errc() || end != text.data() + text.size() || fd < 0) return std::nullopt;
  return fd;
}

std::optional<std::string> RealFolder(const std::string& folder) {
  char* real = ::realpath(folder.c_str(), nullptr);
  if (real == nullptr) return std::nullopt;
  std::string result(real);
  std::free(real);
  return result;
}

// The descriptor `path` names, if it is one of the names for a descriptor
// this process has open. The folder is resolved first (/dev/fd is a link to
// /proc/self/fd, itself a link to /proc/<pid>/fd), the name is not: the
// name in /proc is a "magic" link that must not be followed.
std::optional<int> DescriptorOf(const std::string& path) {
  const std::string name = NameOf(path);
  if (name.empty() || name == "." || name == "..") return std::nullopt;
  const std::optional<std::string> folder = RealFolder(FolderOf(path));
  if (!folder) return std::nullopt;
  if (*folder == "/dev") {
    if (name == "stdin") return 0;
    if (name == "stdout") return 1;
    if (name == "stderr") return 2;
    return std::nullopt;
  }
  const std::optional<int> fd = ParseDescriptor(name);
  if (!fd) return std::nullopt;
  if (*folder == "/dev/fd") return fd;
  const std::string self = "/proc/" + std::to_string(::getpid());
  if (*folder == self + "/fd") return fd;
  // /proc/thread-self/fd resolves to /proc/<pid>/task/<tid>/fd.
  const std::string task = self + "/task/";
  if (folder->size() > task.size() + 3 && folder->compare(0, task.size(), task) == 0 &&
      folder->compare(folder->size() - 3, 3, "/fd") == 0 &&
      folder->find('/', task.size()) == folder->size() - 3) {
    return fd;
  }
  return std::nullopt;
}

// Where an output path leads after following symbolic links.
struct Target {
  OutputKind kind = OutputKind::kNewFile;
  std::string path;  // final path: not a symlink (or the descriptor name)
  int descriptor = -1;
  struct stat st {};  // of `path`, when it exists
};

struct Refusal {
  ErrorKind kind = ErrorKind::kIo;
  std::string reason;
};

// Follows `path` to its final target without throwing.
std::optional<Target> Resolve(const std::string& path, Refusal* refusal) {
  if (path.empty()) {
    *refusal = {ErrorKind::kInvalidOption, "empty output path"};
    return std::nullopt;
  }
  if (path.back() == '/') {
    *refusal = {ErrorKind::kInvalidOption, "names a folder (ends with '/'), not a file"};
    return std::nullopt;
  }
  std::string current = path;
  for (int hop = 0; hop <= kMaxSymlinkHops; ++hop) {
    // Where a link led us, for messages ("'target': reason").
    const std::string where = hop == 0 ? "" : Quote(current) + ": ";
    Target t;
    t.path = current;
    if (const std::optional<int> fd = DescriptorOf(current)) {
      t.kind = OutputKind::kDescriptor;
      t.descriptor = *fd;
      return t;
    }
    if (::lstat(current.c_str(), &t.st) != 0) {
      const int error = errno;
      if (error != ENOENT) {
        *refusal = {ErrorKind::kIo, where + ErrnoText(error)};
        return std::nullopt;
      }
      // Nothing there: a new file, if its folder exists.
      const std::string folder = FolderOf(current);
      struct stat fst {};
      if (::stat(folder.c_str(), &fst) != 0) {
        const int ferror = errno;
        *refusal = {ErrorKind::kIo, ferror == ENOENT
                                        ? "folder " + Quote(folder) + " does not exist"
                                        : "folder " + Quote(folder) + ": " + ErrnoText(ferror)};
        return std::nullopt;
      }
      if (!S_ISDIR(fst.st_mode)) {
        *refusal = {ErrorKind::kIo, Quote(folder) + " is not a folder"};
        return std::nullopt;
      }
      t.kind = OutputKind::kNewFile;
      return t;
    }
    if (S_ISLNK(t.st.st_mode)) {
      std::error_code ec;
      const fs::path link = fs::read_symlink(current, ec);
      if (ec) {
        *refusal = {ErrorKind::kIo, where + "cannot read symbolic link: " + ec.message()};
        return std::nullopt;
      }
      const std::string next = link.string();
      if (next.empty()) {
        *refusal = {ErrorKind::kIo, where + "empty symbolic link"};
        return std::nullopt;
      }
      if (next.front() == '/') {
        current = next;
      } else {
        const std::string folder = FolderOf(current);
        current = folder == "." ? next : (folder == "/" ? "" : folder) + "/" + next;
      }
      if (current.back() == '/') {
        *refusal = {ErrorKind::kInvalidOption,
                    "symbolic link leads to " + Quote(current) + ", a folder"};
        return std::nullopt;
      }
      continue;
    }
    const mode_t type = t.st.st_mode & S_IFMT;
    switch (type) {
      case S_IFREG:
        t.kind = OutputKind::kRegularFile;
        return t;
      case S_IFCHR:
        t.kind = OutputKind::kCharDevice;
        return t;
      case S_IFBLK:
        t.kind = OutputKind::kBlockDevice;
        return t;
      case S_IFIFO:
        t.kind = OutputKind::kFifo;
        return t;
      case S_IFSOCK:
        t.kind = OutputKind::kSocket;
        return t;
      case S_IFDIR:
        *refusal = {ErrorKind::kInvalidOption, where + "is a directory"};
        return std::nullopt;
      default:
        *refusal = {ErrorKind::kInvalidOption, where + "is not a file that can be written"};
        return std::nullopt;
    }
  }
  *refusal = {ErrorKind::kInvalidOption, "too many levels of symbolic links (more than " +
                                             std::to_string(kMaxSymlinkHops) + ")"};
  return std::nullopt;
}

Target ResolveOrThrow(const std::string& path) {
  Refusal refusal;
  std::optional<Target> t = Resolve(path, &refusal);
  if (!t) Fail(refusal.kind, path, refusal.reason);
  return *t;
}

void CloseQuietly(int fd) {
  if (fd >= 0) ::close(fd);
}

// Blocks SIGPIPE in this thread while writing to a pipe, FIFO or socket, so a
// reader that goes away gives EPIPE instead of killing the process; a
// SIGPIPE raised meanwhile is consumed before the old mask returns.
class SigpipeBlock {
 public:
  explicit SigpipeBlock(bool active) : active_(active) {
    if (!active_) return;
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
    sigset_t pending;
    sigemptyset(&pending);
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
  }
  ~SigpipeBlock() {
    if (!active_) return;
    if (!was_pending_) {
      sigset_t pending;
      sigemptyset(&pending);
      sigpending(&pending);
      if (sigismember(&pending, SIGPIPE) == 1) {
        const timespec zero{0, 0};
        while (sigtimedwait(&pipe_, nullptr, &zero) < 0 && errno == EINTR) {
        }
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;

 private:
  bool active_;
  bool was_pending_ = false;
  sigset_t pipe_{};
  sigset_t old_{};
};

int RemainingMs(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::clamp<std::int64_t>(left.count(), 0, INT_MAX));
}

// Writes all of `bytes` to `fd` (EINTR and partial writes handled; a full
// non-blocking pipe is waited for up to `stall` without progress). Returns
// the reason on failure, an empty string on success.
std::string WriteAll(int fd, std::string_view bytes, bool socket, bool guard_sigpipe,
                     std::chrono::milliseconds stall) {
  SigpipeBlock block(guard_sigpipe);
  Clock::time_point deadline = Clock::now() + stall;
  while (!bytes.empty()) {
    const std::size_t chunk = std::min(bytes.size(), kMaxWriteChunk);
    const ssize_t n =
        socket ? ::send(fd, bytes.data(), chunk, MSG_NOSIGNAL) : ::write(fd, bytes.data(), chunk);
    if (n > 0) {
      bytes.remove_prefix(static_cast<std::size_t>(n));
      deadline = Clock::now() + stall;
      continue;
    }
    if (n == 0) return "the system accepted no bytes";
    const int error = errno;
    if (error == EINTR) continue;
    if (error != EAGAIN && error != EWOULDBLOCK) return ErrnoText(error);
    const int wait_ms = RemainingMs(deadline);
    if (wait_ms == 0) {
      return "the reader accepted nothing for " + std::to_string(stall.count()) + " ms";
    }
    pollfd p{fd, POLLOUT, 0};
    if (::poll(&p, 1, wait_ms) < 0 && errno != EINTR) return ErrnoText(errno);
  }
  return {};
}

// An open output descriptor and how to write to it.
struct Sink {
  int fd = -1;
  bool socket = false;         // use send(MSG_NOSIGNAL)
  bool guard_sigpipe = false;  // pipe-like: block SIGPIPE while writing
};

bool IsPipeOrSocket(int fd, bool* socket) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return true;  // unknown: guard anyway
  *socket = S_ISSOCK(st.st_mode);
  return S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || S_ISCHR(st.st_mode);
}

Sink OpenDescriptor(const std::string& path, int descriptor) {
  const int flags = ::fcntl(descriptor, F_GETFL);
  if (flags < 0) {
    Fail(ErrorKind::kIo, path, "descriptor " + std::to_string(descriptor) + " is not open");
  }
  if ((flags & O_ACCMODE) == O_RDONLY) {
    Fail(ErrorKind::kIo, path,
         "descriptor " + std::to_string(descriptor) + " is open for reading only");
  }
  Sink sink;
  sink.fd = ::fcntl(descriptor, F_DUPFD_CLOEXEC, 3);
  if (sink.fd < 0) Fail(ErrorKind::kIo, path, "cannot duplicate descriptor: " + ErrnoText(errno));
  sink.guard_sigpipe = IsPipeOrSocket(sink.fd, &sink.socket);
  return sink;
}

void SleepUntilNextTry(Clock::time_point deadline, std::chrono::milliseconds* pause) {
  const auto left = deadline - Clock::now();
  std::this_thread::sleep_for(
      std::min<Clock::duration>(*pause, std::max(left, Clock::duration(0))));
  *pause = std::min(*pause * 2, std::chrono::milliseconds(100));
}

Sink OpenFifo(const std::string& path, const std::string& target, const OutputOptions& options) {
  const Clock::time_point deadline = Clock::now() + options.reader_timeout;
  std::chrono::milliseconds pause(1);
  for (;;) {
    const int fd = ::open(target.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd >= 0) return Sink{fd, false, true};  // stays non-blocking: writes poll with a deadline
    const int error = errno;
    if (error == EINTR) continue;
    if (error != ENXIO) Fail(ErrorKind::kIo, path, "cannot open FIFO: " + ErrnoText(error));
    if (Clock::now() >= deadline) {
      Fail(ErrorKind::kIo, path,
           "cannot write: no process is reading the FIFO (waited " +
               std::to_string(options.reader_timeout.count()) + " ms)");
    }
    SleepUntilNextTry(deadline, &pause);
  }
}

Sink OpenSocket(const std::string& path, const std::string& target, const OutputOptions& options) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (target.size() >= sizeof(address.sun_path)) {
    Fail(ErrorKind::kIo, path, "socket path is too long to connect to");
  }
  std::memcpy(address.sun_path, target.c_str(), target.size() + 1);
  const Clock::time_point deadline = Clock::now() + options.reader_timeout;
  std::chrono::milliseconds pause(1);
  for (;;) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) Fail(ErrorKind::kIo, path, "cannot create a socket: " + ErrnoText(errno));
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0) {
      return Sink{fd, true, true};
    }
    const int error = errno;
    CloseQuietly(fd);
    if (error == ECONNREFUSED) {
      Fail(ErrorKind::kIo, path, "cannot write: no process is listening on the socket");
    }
    if (error != EAGAIN && error != EINTR) {
      Fail(ErrorKind::kIo, path, "cannot connect to socket: " + ErrnoText(error));
    }
    if (Clock::now() >= deadline) {
      Fail(ErrorKind::kIo, path, "cannot write: the socket's listener accepts no connection");
    }
    SleepUntilNextTry(deadline, &pause);
  }
}

Sink OpenDevice(const std::string& path, const std::string& target) {
  // O_NONBLOCK: opening some devices (serial lines) waits for a carrier.
  const int fd = ::open(target.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) Fail(ErrorKind::kIo, path, "cannot open for writing: " + ErrnoText(errno));
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0) ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  return Sink{fd, false, true};
}

// Opens a special target (not a regular file) for writing.
Sink OpenSpecial(const std::string& path, const Target& t, const OutputOptions& options) {
  switch (t.kind) {
    case OutputKind::kDescriptor:
      return OpenDescriptor(path, t.descriptor);
    case OutputKind::kFifo:
      return OpenFifo(path, t.path, options);
    case OutputKind::kSocket:
      return OpenSocket(path, t.path, options);
    case OutputKind::kCharDevice:
    case OutputKind::kBlockDevice:
      return OpenDevice(path, t.path);
    case OutputKind::kNewFile:
    case OutputKind::kRegularFile:
      break;
  }
  Fail(ErrorKind::kIo, path, "internal error: not a special file");
}

std::string RandomSuffix() {
  static std::atomic<std::uint64_t> counter{0};
  thread_local std::mt19937_64 rng([] {
    std::random_device device;
    return (static_cast<std::uint64_t>(device()) << 32) ^ device() ^
           (static_cast<std::uint64_t>(::getpid()) << 16) ^ counter.fetch_add(1);
  }());
  static constexpr char kAlphabet[] =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::string s(8, 'x');
  for (char& c : s) c = kAlphabet[rng() % (sizeof(kAlphabet) - 1)];
  return s;
}

// Creates a new, unique ".NAME.XXXXXXXX" next to `target` (O_EXCL: never
// an existing file) with creation mode `mode` (the umask applies). Returns
// the descriptor, or -1 with errno set.
int CreateTemp(const std::string& target, mode_t mode, std::string* temp) {
  const std::string folder = FolderOf(target);
  std::string stem = NameOf(target);
  if (stem.size() > kMaxTempStem) stem.resize(kMaxTempStem);
  const std::string prefix = (folder == "/" ? "" : folder) + "/." + stem + ".";
  for (int attempt = 0; attempt < 100; ++attempt) {
    *temp = prefix + RandomSuffix();
    const int fd =
        ::open(temp->c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd >= 0) return fd;
    if (errno != EEXIST && errno != EINTR) return -1;
  }
  errno = EEXIST;
  return -1;
}

// Refuses an existing file/device the caller may not write (root may).
void CheckWritePermission(const std::string& path, const Target& t) {
  if (t.kind == OutputKind::kNewFile || t.kind == OutputKind::kDescriptor) return;
  if (::faccessat(AT_FDCWD, t.path.c_str(), W_OK, AT_EACCESS) != 0) {
    Fail(ErrorKind::kIo, path, "cannot write: " + ErrnoText(errno));
  }
}

}  // namespace

// ----------------------------------------------------------- OutputFile --

OutputFile::OutputFile(const std::string& path, const OutputOptions& options)
    : path_(path), options_(options) {
  const Target t = ResolveOrThrow(path);
  kind_ = t.kind;
  target_ = t.path;
  CheckWritePermission(path, t);
  if (t.kind != OutputKind::kNewFile && t.kind != OutputKind::kRegularFile) {
    const Sink sink = OpenSpecial(path, t, options);
    fd_ = sink.fd;
    socket_ = sink.socket;
    return;
  }
  const bool existed = t.kind == OutputKind::kRegularFile;
  fd_ = CreateTemp(target_, existed ? 0600 : 0666, &temp_);
  if (fd_ < 0) {
    const int error = errno;
    temp_.clear();
    Fail(ErrorKind::kIo, path,
         "cannot create a file in folder " + Quote(FolderOf(target_)) + ": " + ErrnoText(error));
  }
  if (existed) {
    // The replacement keeps the old file's owner (when we may) and mode.
    if (t.st.st_uid != ::geteuid() || t.st.st_gid != ::getegid()) {
      [[maybe_unused]] const int ignored = ::fchown(fd_, t.st.st_uid, t.st.st_gid);
    }
    if (::fchmod(fd_, t.st.st_mode & 07777) != 0) {
      FailWith("cannot set permissions: " + ErrnoText(errno));
    }
  }
}

OutputFile::~OutputFile() {
  if (!committed_) Abandon();
}

void OutputFile::Abandon() noexcept {
  CloseQuietly(fd_);
  fd_ = -1;
  if (!temp_.empty()) ::unlink(temp_.c_str());
  temp_.clear();
}

void OutputFile::FailWith(const std::string& reason) {
  Abandon();
  committed_ = true;  // nothing left to clean up
  Fail(ErrorKind::kIo, path_, reason);
}

void OutputFile::Write(std::string_view bytes) {
  if (fd_ < 0) Fail(ErrorKind::kIo, path_, "cannot write: the file is already closed");
  const bool special = temp_.empty();
  const std::string reason = WriteAll(fd_, bytes, socket_, special, options_.stall_timeout);
  if (!reason.empty()) FailWith("cannot write: " + reason);
}

void OutputFile::Commit() {
  if (fd_ < 0) Fail(ErrorKind::kIo, path_, "cannot write: the file is already closed");
  if (options_.sync && !temp_.empty() && ::fsync(fd_) != 0) {
    FailWith("cannot write: " + ErrnoText(errno));
  }
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) {
    const int error = errno;
    // close() failing with EINTR still closes the descriptor on Linux; any
    // failure means the bytes may not have reached the file.
    FailWith("cannot write: " + ErrnoText(error));
  }
  if (!temp_.empty()) {
    if (::rename(temp_.c_str(), target_.c_str()) != 0) {
      FailWith("cannot write: cannot rename " + Quote(temp_) + " into place: " + ErrnoText(errno));
    }
    temp_.clear();
    if (options_.sync) {
      const int dir = ::open(FolderOf(target_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (dir >= 0) {
        const bool synced = ::fsync(dir) == 0;
        const int error = errno;
        ::close(dir);
        if (!synced && error != EINVAL) {
          committed_ = true;
          Fail(ErrorKind::kIo, path_, "cannot write: " + ErrnoText(error));
        }
      }
    }
  }
  committed_ = true;
}

void WriteOutputFile(const std::string& path, std::string_view text, const OutputOptions& options) {
  OutputFile file(path, options);
  file.Write(text);
  file.Commit();
}

// --------------------------------------------------------- OutputStream --

OutputStream::OutputStream(const std::string& path, const OutputOptions& options)
    : path_(path), options_(options) {
  const Target t = ResolveOrThrow(path);
  CheckWritePermission(path, t);
  if (t.kind == OutputKind::kNewFile || t.kind == OutputKind::kRegularFile) {
    fd_ = ::open(t.path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0666);
    if (fd_ < 0) Fail(ErrorKind::kIo, path, "cannot open for writing: " + ErrnoText(errno));
    return;
  }
  const Sink sink = OpenSpecial(path, t, options);
  fd_ = sink.fd;
  socket_ = sink.socket;
  guard_sigpipe_ = sink.guard_sigpipe;
}

OutputStream::~OutputStream() {
  Flush();
  CloseQuietly(fd_);
}

void OutputStream::Write(std::string_view bytes) {
  if (!ok() || fd_ < 0) return;
  buffer_.append(bytes);
  if (buffer_.size() >= kStreamBuffer) Flush();
}

bool OutputStream::Flush() {
  if (ok() && fd_ >= 0 && !buffer_.empty()) {
    const std::string reason =
        WriteAll(fd_, buffer_, socket_, guard_sigpipe_, options_.stall_timeout);
    if (!reason.empty()) error_ = path_ + ": cannot write: " + reason;
  }
  buffer_.clear();
  return ok();
}

void OutputStream::Close() {
  if (fd_ < 0) return;
  Flush();
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0 && ok()) error_ = path_ + ": cannot write: " + ErrnoText(errno);
  if (!ok()) throw Error(ErrorKind::kIo, error_);
}

// ------------------------------------------------- preflight and identity --

OutputCheck CheckOutputPath(const std::string& path) {
  const Target t = ResolveOrThrow(path);
  OutputCheck check;
  check.kind = t.kind;
  check.target = t.path;
  check.descriptor = t.descriptor;
  switch (t.kind) {
    case OutputKind::kDescriptor: {
      const Sink sink = OpenDescriptor(path, t.descriptor);  // checks open + writable
      CloseQuietly(sink.fd);
      return check;
    }
    case OutputKind::kFifo:  // never opened: a reader would see end of file
    case OutputKind::kSocket:
    case OutputKind::kCharDevice:
    case OutputKind::kBlockDevice:
      CheckWritePermission(path, t);
      return check;
    case OutputKind::kRegularFile:
      CheckWritePermission(path, t);
      break;
    case OutputKind::kNewFile:
      break;
  }
  // What the atomic write needs: a new file in the target's folder.
  std::string probe;
  const int fd = CreateTemp(t.path, 0600, &probe);
  if (fd < 0) {
    Fail(ErrorKind::kIo, path,
         "cannot create a file in folder " + Quote(FolderOf(t.path)) + ": " + ErrnoText(errno));
  }
  ::close(fd);
  ::unlink(probe.c_str());
  return check;
}

namespace {

struct Identity {
  bool exists = false;
  dev_t dev = 0;
  ino_t ino = 0;
  std::string name;  // absolute path with symlinks resolved, when !exists
};

Identity IdentityOf(const std::string& path) {
  Identity id;
  Refusal refusal;
  const std::optional<Target> t = Resolve(path, &refusal);
  struct stat st {};
  if (t && t->kind == OutputKind::kDescriptor) {
    if (::fstat(t->descriptor, &st) == 0) {
      id.exists = true;
      id.dev = st.st_dev;
      id.ino = st.st_ino;
    } else {
      id.name = "descriptor " + std::to_string(t->descriptor);
    }
    return id;
  }
  const std::string final_path = t ? t->path : path;
  if (::stat(final_path.c_str(), &st) == 0) {
    id.exists = true;
    id.dev = st.st_dev;
    id.ino = st.st_ino;
    return id;
  }
  std::error_code ec;
  fs::path name = fs::weakly_canonical(fs::path(final_path), ec);
  if (ec) name = fs::absolute(fs::path(final_path), ec).lexically_normal();
  id.name = name.string();
  return id;
}

}  // namespace

bool SameFile(const std::string& a, const std::string& b) {
  try {
    const Identity x = IdentityOf(a);
    const Identity y = IdentityOf(b);
    if (x.exists != y.exists) return false;
    if (x.exists) return x.dev == y.dev && x.ino == y.ino;
    return !x.name.empty() && x.name == y.name;
  } catch (const std::exception&) {
    return a == b;  // allocation failure: fall back to the spelling
  }
}

bool IsSpecialOutput(const std::string& path) {
  Refusal refusal;
  const std::optional<Target> t = Resolve(path, &refusal);
  return t && t->kind != OutputKind::kNewFile && t->kind != OutputKind::kRegularFile;
}

}  // namespace asyncopt::io
