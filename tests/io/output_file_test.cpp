// Tests for io::WriteOutputFile, io::OutputFile, io::OutputStream and the
// preflight/identity helpers. Every device node, FIFO, pipe and symlink is
// made inside the test's own temporary folder: nothing here touches /dev.
#include "io/output_file.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "asyncopt/error.hpp"
#include "io/io_test_util.hpp"

namespace asyncopt::io {
namespace {

using io_test::ErrorMessage;
using io_test::ReadBytes;
using io_test::TempDir;
using io_test::WriteBytes;
namespace fs = std::filesystem;

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

mode_t TypeOf(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & S_IFMT;
}

// Names in `dir` (to catch leftover temporary files).
std::vector<std::string> Listing(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// Makes character device (1, minor) -- 3 is "null", 7 is "full" -- at
// `path`. Returns false with the reason when this system does not allow it.
bool MakeMemoryDevice(const std::string& path, unsigned minor, std::string* why) {
  if (::mknod(path.c_str(), S_IFCHR | 0666, makedev(1, minor)) != 0) {
    *why = "cannot mknod a device node here (" + std::string(std::strerror(errno)) +
           "): needs root / CAP_MKNOD";
    return false;
  }
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    *why = "device nodes cannot be opened in the temp folder (" +
           std::string(std::strerror(errno)) + "; mounted nodev?)";
    return false;
  }
  ::close(fd);
  return true;
}

// Reads a FIFO in a thread until the writer has finished and the FIFO is
// drained (or 10 s pass): never blocks without a deadline.
class FifoReader {
 public:
  explicit FifoReader(const std::string& path)
      : fd_(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC)) {
    thread_ = std::thread([this] { Run(); });
  }
  ~FifoReader() { Finish(); }
  bool opened() const { return fd_ >= 0; }
  // Call after the writer returned: waits for the rest and returns it all.
  std::string Finish() {
    writer_done_ = true;
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    return received_;
  }

 private:
  void Run() {
    if (fd_ < 0) return;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    char buffer[4096];
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      ::poll(&p, 1, 20);
      const ssize_t n = ::read(fd_, buffer, sizeof(buffer));
      if (n > 0) {
        received_.append(buffer, static_cast<std::size_t>(n));
      } else if (writer_done_ && (n == 0 || errno == EAGAIN)) {
        return;  // the writer closed and everything was read
      }
    }
  }

  int fd_;
  std::atomic<bool> writer_done_{false};
  std::string received_;
  std::thread thread_;
};

std::string BigText(char fill, std::size_t bytes) {
  std::string text;
  while (text.size() < bytes) text += std::string(63, fill) + "\n";
  return text;
}

TEST(OutputFile, NullDeviceNodeIsWrittenAndStaysADevice) {
  TempDir dir;
  const std::string null = dir.File("null");
  std::string why;
  if (!MakeMemoryDevice(null, 3, &why)) GTEST_SKIP() << why;
  WriteOutputFile(null, BigText('n', 100000));
  struct stat st {};
  ASSERT_EQ(::lstat(null.c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(1, 3));
  EXPECT_EQ(Listing(fs::path(null).parent_path().string()), std::vector<std::string>{"null"});
  EXPECT_TRUE(IsSpecialOutput(null));
}

TEST(OutputFile, FullDeviceNodeIsAnIoErrorAndStaysADevice) {
  TempDir dir;
  const std::string full = dir.File("full");
  std::string why;
  if (!MakeMemoryDevice(full, 7, &why)) GTEST_SKIP() << why;
  const std::string message =
      ErrorMessage([&] { WriteOutputFile(full, "some text\n"); }, ErrorKind::kIo);
  EXPECT_EQ(message, full + ": cannot write: No space left on device");
  EXPECT_EQ(TypeOf(full), S_IFCHR);
  EXPECT_EQ(Listing(fs::path(full).parent_path().string()), std::vector<std::string>{"full"});
}

TEST(OutputFile, FifoWithAReaderReceivesTheText) {
  TempDir dir;
  const std::string fifo = dir.File("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0) << std::strerror(errno);
  const std::string text = BigText('f', 300000);  // several pipe buffers: partial writes
  FifoReader reader(fifo);
  ASSERT_TRUE(reader.opened());
  WriteOutputFile(fifo, text);
  EXPECT_EQ(reader.Finish(), text);
  EXPECT_EQ(TypeOf(fifo), S_IFIFO);
  EXPECT_TRUE(IsSpecialOutput(fifo));
}

TEST(OutputFile, FifoWithoutAReaderFailsAfterTheDeadline) {
  TempDir dir;
  const std::string fifo = dir.File("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0) << std::strerror(errno);
  OutputOptions options;
  options.reader_timeout = std::chrono::milliseconds(200);
  const auto start = std::chrono::steady_clock::now();
  const std::string message =
      ErrorMessage([&] { WriteOutputFile(fifo, "x\n", options); }, ErrorKind::kIo);
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(Contains(message, fifo + ": ")) << message;
  EXPECT_TRUE(Contains(message, "no process is reading the FIFO")) << message;
  EXPECT_GE(waited, std::chrono::milliseconds(200));
  EXPECT_LT(waited, std::chrono::seconds(5));
  EXPECT_EQ(TypeOf(fifo), S_IFIFO);
  // The preflight accepts a FIFO without opening it (a reader would see EOF).
  EXPECT_EQ(CheckOutputPath(fifo).kind, OutputKind::kFifo);
}

TEST(OutputFile, UnixSocketListenerReceivesTheText) {
  TempDir dir;
  const std::string path = dir.File("sock");
  const int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(listener, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  ASSERT_LT(path.size(), sizeof(address.sun_path));
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  ASSERT_EQ(::bind(listener, reinterpret_cast<const sockaddr*>(&address), sizeof(address)), 0);
  ASSERT_EQ(::listen(listener, 1), 0);
  const std::string text = BigText('s', 200000);
  std::string received;
  std::thread reader([&] {
    pollfd p{listener, POLLIN, 0};
    if (::poll(&p, 1, 10000) != 1) return;
    const int connection = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (connection < 0) return;
    timeval limit{10, 0};
    ::setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit));
    char buffer[4096];
    ssize_t n = 0;
    while ((n = ::read(connection, buffer, sizeof(buffer))) > 0) {
      received.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(connection);
  });
  EXPECT_NO_THROW(WriteOutputFile(path, text));
  reader.join();
  ::close(listener);
  EXPECT_EQ(received, text);
  EXPECT_EQ(TypeOf(path), S_IFSOCK);
  // Nobody listening any more: a clear error, the socket file stays.
  EXPECT_EQ(ErrorMessage([&] { WriteOutputFile(path, "x"); }, ErrorKind::kIo),
            path + ": cannot write: no process is listening on the socket");
  EXPECT_EQ(TypeOf(path), S_IFSOCK);
}

TEST(OutputFile, SymlinkStaysALinkAndItsTargetGetsTheText) {
  TempDir dir;
  const std::string real = dir.File("real.txt");
  const std::string link = dir.File("link.txt");
  WriteBytes(real, "old contents\n");
  ASSERT_EQ(::symlink("real.txt", link.c_str()), 0);
  WriteOutputFile(link, "new contents\n");
  EXPECT_EQ(TypeOf(link), S_IFLNK);
  EXPECT_EQ(fs::read_symlink(link).string(), "real.txt");
  EXPECT_EQ(ReadBytes(real), "new contents\n");
  EXPECT_EQ(Listing(fs::path(real).parent_path().string()),
            (std::vector<std::string>{"link.txt", "real.txt"}));
  EXPECT_TRUE(SameFile(link, real));
  EXPECT_FALSE(IsSpecialOutput(link));
}

TEST(OutputFile, DanglingRelativeSymlinkCreatesTheTargetBesideTheLink) {
  TempDir dir;
  fs::create_directories(dir.File("sub"));
  const std::string link = dir.File("sub/link");
  // Relative to the link's folder: sub/../made.txt, not ./../made.txt.
  ASSERT_EQ(::symlink("../made.txt", link.c_str()), 0);
  WriteOutputFile(link, "created\n");
  EXPECT_EQ(TypeOf(link), S_IFLNK);
  EXPECT_EQ(ReadBytes(dir.File("made.txt")), "created\n");
  EXPECT_EQ(CheckOutputPath(link).kind, OutputKind::kRegularFile);
}

TEST(OutputFile, SymlinkLoopIsRejected) {
  TempDir dir;
  const std::string a = dir.File("a"), b = dir.File("b");
  ASSERT_EQ(::symlink("b", a.c_str()), 0);
  ASSERT_EQ(::symlink("a", b.c_str()), 0);
  const std::string message =
      ErrorMessage([&] { WriteOutputFile(a, "x"); }, ErrorKind::kInvalidOption);
  EXPECT_TRUE(Contains(message, a + ": too many levels of symbolic links")) << message;
  EXPECT_EQ(TypeOf(a), S_IFLNK);
}

TEST(OutputFile, ExistingDotTmpSiblingIsLeftAlone) {
  TempDir dir;
  const std::string out = dir.File("out.txt");
  WriteBytes(out + ".tmp", "somebody else's file\n");
  WriteOutputFile(out, "result\n");
  EXPECT_EQ(ReadBytes(out + ".tmp"), "somebody else's file\n");
  EXPECT_EQ(ReadBytes(out), "result\n");
  EXPECT_EQ(Listing(fs::path(out).parent_path().string()),
            (std::vector<std::string>{"out.txt", "out.txt.tmp"}));
}

TEST(OutputFile, ConcurrentWritersOfOnePathNeverFailNorTear) {
  TempDir dir;
  const std::string out = dir.File("shared.txt");
  const std::string texts[2] = {BigText('a', 40000), BigText('b', 50000)};
  WriteOutputFile(out, texts[0]);
  std::atomic<int> writers_left{2};
  std::atomic<int> failures{0}, torn{0}, reads{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 150; ++i) {
        try {
          WriteOutputFile(out, texts[t]);
        } catch (const Error&) {
          ++failures;
        }
      }
      --writers_left;
    });
  }
  threads.emplace_back([&] {
    while (writers_left.load() > 0) {
      const std::string seen = ReadBytes(out);
      ++reads;
      if (seen != texts[0] && seen != texts[1]) ++torn;
    }
  });
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(torn.load(), 0) << "of " << reads.load() << " reads";
  const std::string last = ReadBytes(out);
  EXPECT_TRUE(last == texts[0] || last == texts[1]);
  EXPECT_EQ(Listing(fs::path(out).parent_path().string()), std::vector<std::string>{"shared.txt"});
}

TEST(OutputFile, ExistingFileKeepsItsPermissionsAndNewFileFollowsUmask) {
  TempDir dir;
  const std::string out = dir.File("kept.txt");
  WriteBytes(out, "old\n");
  ASSERT_EQ(::chmod(out.c_str(), 0640), 0);
  WriteOutputFile(out, "new\n");
  struct stat st {};
  ASSERT_EQ(::stat(out.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_EQ(ReadBytes(out), "new\n");

  const mode_t mask = ::umask(022);  // read the umask (single-threaded here)
  ::umask(mask);
  const std::string fresh = dir.File("fresh.txt");
  WriteOutputFile(fresh, "x");
  ASSERT_EQ(::stat(fresh.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0666u & ~mask);
}

TEST(OutputFile, DirectoryPathIsRejected) {
  TempDir dir;
  const std::string sub = dir.File("sub");
  fs::create_directories(sub);
  EXPECT_EQ(ErrorMessage([&] { CheckOutputPath(sub); }, ErrorKind::kInvalidOption),
            sub + ": is a directory");
  EXPECT_EQ(ErrorMessage([&] { WriteOutputFile(sub, "x"); }, ErrorKind::kInvalidOption),
            sub + ": is a directory");
  EXPECT_TRUE(fs::is_directory(sub));
  EXPECT_TRUE(fs::is_empty(sub));
}

TEST(OutputFile, MissingFolderIsRejected) {
  TempDir dir;
  const std::string out = dir.File("nope/out.txt");
  const std::string expected = out + ": folder '" + dir.File("nope") + "' does not exist";
  EXPECT_EQ(ErrorMessage([&] { CheckOutputPath(out); }, ErrorKind::kIo), expected);
  EXPECT_EQ(ErrorMessage([&] { WriteOutputFile(out, "x"); }, ErrorKind::kIo), expected);
  EXPECT_FALSE(fs::exists(dir.File("nope")));
}

TEST(OutputFile, UnwritableFolderIsRejected) {
  TempDir dir;
  const std::string root = fs::path(dir.File("x")).parent_path().string();
  const std::string ro = dir.File("ro");
  fs::create_directories(ro);
  ASSERT_EQ(::chmod(root.c_str(), 0755), 0);
  ASSERT_EQ(::chmod(ro.c_str(), 0555), 0);
  const std::string out = ro + "/out.txt";
  std::string check_message, write_message, skip;
  // Root may write anywhere: drop to user "nobody" for file access in this
  // thread only (setfsuid is per thread and clears CAP_DAC_OVERRIDE).
  std::thread([&] {
    if (::geteuid() == 0) {
      ::syscall(SYS_setfsgid, 65534);
      ::syscall(SYS_setfsuid, 65534);
    }
    const int probe = ::open(out.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (probe >= 0) {
      ::close(probe);
      ::unlink(out.c_str());
      skip = "cannot make a folder unwritable for this process";
      return;
    }
    check_message = ErrorMessage([&] { CheckOutputPath(out); }, ErrorKind::kIo);
    write_message = ErrorMessage([&] { WriteOutputFile(out, "x"); }, ErrorKind::kIo);
  }).join();
  ::chmod(ro.c_str(), 0755);
  if (!skip.empty()) GTEST_SKIP() << skip;
  const std::string expected =
      out + ": cannot create a file in folder '" + ro + "': Permission denied";
  EXPECT_EQ(check_message, expected);
  EXPECT_EQ(write_message, expected);
  EXPECT_TRUE(fs::is_empty(ro));
}

TEST(OutputFile, DescriptorNameWritesIntoTheOpenPipe) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC | O_NONBLOCK), 0);
  const std::string name = "/proc/self/fd/" + std::to_string(fds[1]);
  EXPECT_TRUE(IsSpecialOutput(name));
  EXPECT_EQ(CheckOutputPath(name).kind, OutputKind::kDescriptor);
  WriteOutputFile(name, "through the pipe\n");
  char buffer[64] = {};
  const ssize_t n = ::read(fds[0], buffer, sizeof(buffer));
  EXPECT_EQ(std::string(buffer, n > 0 ? static_cast<std::size_t>(n) : 0), "through the pipe\n");
  // The descriptor stays open and usable: it was written through a duplicate.
  EXPECT_EQ(::write(fds[1], "y", 1), 1);
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST(OutputFile, DescriptorNameOfARegularFileIsNotTruncated) {
  TempDir dir;
  const std::string file = dir.File("redirect.txt");
  WriteBytes(file, "kept ");
  const int fd = ::open(file.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  WriteOutputFile("/proc/self/fd/" + std::to_string(fd), "appended\n");
  ::close(fd);
  EXPECT_EQ(ReadBytes(file), "kept appended\n");
}

TEST(OutputFile, PipeWithoutReaderIsAnErrorNotASignal) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  ::close(fds[0]);
  const std::string name = "/proc/self/fd/" + std::to_string(fds[1]);
  // Without the SIGPIPE guard this kills the test process.
  EXPECT_EQ(ErrorMessage([&] { WriteOutputFile(name, "nobody listens\n"); }, ErrorKind::kIo),
            name + ": cannot write: Broken pipe");
  ::close(fds[1]);
}

TEST(OutputFile, ReadOnlyDescriptorIsRejected) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  const std::string name = "/proc/self/fd/" + std::to_string(fds[0]);
  EXPECT_EQ(ErrorMessage([&] { CheckOutputPath(name); }, ErrorKind::kIo),
            name + ": descriptor " + std::to_string(fds[0]) + " is open for reading only");
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST(OutputFile, PiecewiseWriteIsInvisibleUntilCommitAndVanishesWithoutIt) {
  TempDir dir;
  const std::string out = dir.File("piece.txt");
  WriteBytes(out, "previous\n");
  {
    OutputFile file(out);
    file.Write("first ");
    file.Write("second\n");
    EXPECT_EQ(ReadBytes(out), "previous\n");
    file.Commit();
  }
  EXPECT_EQ(ReadBytes(out), "first second\n");
  {
    OutputFile abandoned(out);
    abandoned.Write("never published\n");
  }
  EXPECT_EQ(ReadBytes(out), "first second\n");
  EXPECT_EQ(Listing(fs::path(out).parent_path().string()), std::vector<std::string>{"piece.txt"});
}

TEST(OutputStream, FullDeviceRecordsTheErrorWithoutThrowing) {
  TempDir dir;
  const std::string full = dir.File("full");
  std::string why;
  if (!MakeMemoryDevice(full, 7, &why)) GTEST_SKIP() << why;
  OutputStream stream(full);
  EXPECT_TRUE(stream.ok());
  EXPECT_NO_THROW(stream.Write("epoch,objective\n"));
  EXPECT_FALSE(stream.Flush());
  EXPECT_FALSE(stream.ok());
  EXPECT_EQ(stream.error(), full + ": cannot write: No space left on device");
  EXPECT_NO_THROW(stream.Write("1,0.5\n"));
  EXPECT_NO_THROW(stream.Flush());
  EXPECT_EQ(ErrorMessage([&] { stream.Close(); }, ErrorKind::kIo), stream.error());
  EXPECT_EQ(TypeOf(full), S_IFCHR);
}

TEST(OutputStream, RegularFileIsWrittenInPlaceRowByRow) {
  TempDir dir;
  const std::string real = dir.File("trace.csv");
  const std::string link = dir.File("trace-link.csv");
  WriteBytes(real, "stale contents that must go\n");
  ASSERT_EQ(::symlink("trace.csv", link.c_str()), 0);
  struct stat before {};
  ASSERT_EQ(::stat(real.c_str(), &before), 0);
  OutputStream stream(link);
  stream.Write("a,b\n");
  ASSERT_TRUE(stream.Flush());
  EXPECT_EQ(ReadBytes(real), "a,b\n");  // an interrupted run keeps its rows
  stream.Write("1,2\n");
  stream.Close();
  EXPECT_TRUE(stream.ok());
  EXPECT_EQ(ReadBytes(real), "a,b\n1,2\n");
  struct stat after {};
  ASSERT_EQ(::stat(real.c_str(), &after), 0);
  EXPECT_EQ(after.st_ino, before.st_ino);  // not renamed
  EXPECT_EQ(TypeOf(link), S_IFLNK);
}

TEST(OutputStream, FifoReaderReceivesEveryRow) {
  TempDir dir;
  const std::string fifo = dir.File("trace.fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  FifoReader reader(fifo);
  ASSERT_TRUE(reader.opened());
  std::string expected;
  {
    OutputStream stream(fifo);
    for (int i = 0; i < 2000; ++i) {
      const std::string row = std::to_string(i) + ",0.125\n";
      expected += row;
      stream.Write(row);
      stream.Flush();
    }
    stream.Close();
  }
  EXPECT_EQ(reader.Finish(), expected);
  EXPECT_EQ(TypeOf(fifo), S_IFIFO);
}

TEST(SameFile, RecognisesOneFileUnderSeveralNames) {
  TempDir dir;
  fs::create_directories(dir.File("sub"));
  const std::string file = dir.File("sub/f.txt");
  const std::string other = dir.File("sub/g.txt");
  WriteBytes(file, "f");
  WriteBytes(other, "g");
  ASSERT_EQ(::symlink("sub/f.txt", dir.File("link").c_str()), 0);
  ASSERT_EQ(::symlink("sub", dir.File("sublink").c_str()), 0);
  EXPECT_TRUE(SameFile(file, dir.File("link")));
  EXPECT_TRUE(SameFile(file, dir.File("sub/../sub/f.txt")));
  EXPECT_TRUE(SameFile(file, file));
  EXPECT_FALSE(SameFile(file, other));
  EXPECT_FALSE(SameFile(file, dir.File("sub/new.txt")));
  // Not yet existing, named two (three) ways.
  EXPECT_TRUE(SameFile(dir.File("sub/new.txt"), dir.File("sub/../sub/new.txt")));
  EXPECT_TRUE(SameFile(dir.File("sub/new.txt"), dir.File("sublink/new.txt")));
  EXPECT_FALSE(SameFile(dir.File("sub/new.txt"), dir.File("sub/new2.txt")));
  // A dangling link names the file it would create.
  ASSERT_EQ(::symlink("sub/new.txt", dir.File("dangling").c_str()), 0);
  EXPECT_TRUE(SameFile(dir.File("dangling"), dir.File("sub/new.txt")));
}

TEST(SameFile, DescriptorNamesMatchTheOpenFile) {
  TempDir dir;
  const std::string file = dir.File("d.txt");
  WriteBytes(file, "d");
  const int fd = ::open(file.c_str(), O_WRONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  const std::string name = "/proc/self/fd/" + std::to_string(fd);
  EXPECT_TRUE(SameFile(name, file));
  EXPECT_TRUE(SameFile(name, "/dev/fd/" + std::to_string(fd)));
  EXPECT_FALSE(SameFile(name, dir.File("other.txt")));
  ::close(fd);
}

TEST(IsSpecialOutput, RegularAndMissingFilesAreNotSpecial) {
  TempDir dir;
  const std::string file = dir.File("r.txt");
  WriteBytes(file, "r");
  EXPECT_FALSE(IsSpecialOutput(file));
  EXPECT_FALSE(IsSpecialOutput(dir.File("missing.txt")));
  EXPECT_FALSE(CheckOutputPath(file).special());
}

}  // namespace
}  // namespace asyncopt::io
