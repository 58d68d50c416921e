// asyncopt internal: the text helpers of the model files (runtime/model.cpp,
// LIBLINEAR's format; runtime/multiclass_model.cpp, the multiclass formats):
// one reader, one tokenizer, one number parser, one error text.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "asyncopt/error.hpp"

namespace asyncopt::runtime::model_text {

[[noreturn]] inline void Malformed(const std::string& path, std::int64_t line, const std::string& what) {
  throw Error(ErrorKind::kInvalidInput,
              path + ":" + std::to_string(line) + ": malformed model file: " + what);
}

[[noreturn]] inline void BadModel(const std::string& what) {
  throw Error(ErrorKind::kInvalidOption, what);
}

inline double ParseDouble(std::string_view token, const std::string& path, std::int64_t line) {
  double v = 0.0;
  const char* b = token.data();
  const char* e = b + token.size();
  if (b < e && *b == '+') ++b;  // LIBLINEAR's %g never writes one, but C's scanf reads it
  auto [p, ec] = std::from_chars(b, e, v);
  if (ec != std::errc() || p != e || b == e || !std::isfinite(v)) {
    Malformed(path, line, "expected a finite number, found '" + std::string(token) + "'");
  }
  return v;
}

inline std::vector<std::string_view> Tokens(std::string_view line) {
  std::vector<std::string_view> tokens;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    const std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) tokens.push_back(line.substr(start, i - start));
  }
  return tokens;
}

// Two label spellings name the same class when they are the same number
// ("1", "+1", "1.0") or the same text.
inline bool SameLabel(const std::string& a, const std::string& b) {
  if (a == b) return true;
  auto number = [](const std::string& t, double* v) {
    const char* p = t.data();
    const char* e = p + t.size();
    if (p < e && *p == '+') ++p;
    auto [end, ec] = std::from_chars(p, e, *v);
    return ec == std::errc() && end == e && p != e;
  };
  double x = 0.0, y = 0.0;
  return number(a, &x) && number(b, &y) && x == y;
}

inline bool ValidLabel(const std::string& label) {
  return !label.empty() && label.find_first_of(" \t\r\n\v\f") == std::string::npos;
}

inline std::string ReadWholeFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(ErrorKind::kIo, path + ": cannot open model: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    throw Error(ErrorKind::kIo, path + ": cannot read model: is a directory");
  }
  std::string text;
  char buffer[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n > 0) {
      text.append(buffer, static_cast<std::size_t>(n));
      continue;
    }
    if (n == 0) break;
    if (errno == EINTR) continue;
    const int error = errno;
    ::close(fd);
    throw Error(ErrorKind::kIo, path + ": cannot read model: " + std::strerror(error));
  }
  ::close(fd);
  return text;
}

// Splits `text` into lines (without "\n" and a trailing "\r").
class LineReader {
 public:
  explicit LineReader(std::string_view text) : text_(text) {}
  bool Next(std::string_view* line) {
    if (pos_ >= text_.size()) return false;
    std::size_t end = text_.find('\n', pos_);
    if (end == std::string_view::npos) end = text_.size();
    *line = text_.substr(pos_, end - pos_);
    if (!line->empty() && line->back() == '\r') line->remove_suffix(1);
    pos_ = end + 1;
    ++number_;
    return true;
  }
  std::int64_t number() const { return number_; }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
  std::int64_t number_ = 0;
};

}  // namespace asyncopt::runtime::model_text
