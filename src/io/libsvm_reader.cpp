// LIBSVM / SVMlight text reader.
//
// The text is cut into blocks at line boundaries. A oneTBB pipeline reads (and
// decompresses) blocks serially, parses them in parallel into per-block CSR
// scratch arrays, and collects them in file order into exactly sized chunks,
// which are concatenated into the Dataset at the end (freeing each chunk as it
// is copied), so peak memory is about twice the final CSR plus the blocks in
// flight. Errors are recorded per block with a block-relative line number and
// raised in file order, so the first error of the file is reported whatever
// the number of threads.
//
// Hostile input costs bounded memory: a line longer than the block makes the
// block grow, but only while the line can still be LIBSVM text (no byte that
// never occurs in text, no error among its complete tokens, no token, blank
// run or comment longer than kMaxSpanBytes), so a compressed stream of zeros,
// of "1 1:1 1:1 ..." or of blanks without a newline is rejected after a few
// blocks instead of being inflated whole.
#include <sys/mman.h>

#include <oneapi/tbb/info.h>
#include <oneapi/tbb/parallel_pipeline.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "asyncopt/dataset.hpp"
#include "asyncopt/error.hpp"
#include "io/decompress.hpp"
#include "io/labels.hpp"
#include "io/libsvm_reader_internal.hpp"

namespace asyncopt::io {
namespace {

constexpr std::size_t kMaxBlockBytes = std::size_t{8} << 20;
constexpr std::size_t kMinAutoBlockBytes = std::size_t{256} << 10;
constexpr std::size_t kUnknownSizeBlockBytes = std::size_t{4} << 20;
constexpr std::int64_t kMaxIndex = std::numeric_limits<std::int32_t>::max();
// Longest token, run of blanks or comment accepted. No LIBSVM file needs
// more; the limit lets a line longer than the block be rejected without
// reading it whole when it is a run of blanks, one comment or one token.
constexpr std::ptrdiff_t kMaxSpanBytes = std::ptrdiff_t{1} << 20;

constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                             1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                             1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

inline bool IsDigit(char c) { return static_cast<unsigned char>(c - '0') < 10; }

// Value of a number that std::from_chars found out of range (rare path):
// +-inf for overflow, the (sub)normal or zero strtod gives for underflow.
double OutOfRangeValue(const char* begin, const char* end) {
  const std::string copy(begin, end);
  return std::strtod(copy.c_str(), nullptr);
}

// Parses the decimal number starting at `p` ([+-]digits[.digits][e[+-]digits],
// or nan/inf spellings). Returns the end of the number, or nullptr when no
// number starts at `p`. `*out` may be non-finite. `end` is the end of the
// buffer, which holds a '\0' sentinel at *end.
inline const char* ParseNumber(const char* p, const char* end, double* out) {
  const char* s = p;
  const bool negative = (*s == '-');
  if (*s == '-' || *s == '+') ++s;
  const char* const digits = s;
  std::uint64_t mantissa = 0;
  while (IsDigit(*s)) {
    mantissa = mantissa * 10 + static_cast<unsigned>(*s - '0');
    ++s;
  }
  const std::ptrdiff_t int_digits = s - digits;
  std::ptrdiff_t frac_digits = 0;
  if (*s == '.') {
    const char* const frac = s + 1;
    s = frac;
    while (IsDigit(*s)) {
      mantissa = mantissa * 10 + static_cast<unsigned>(*s - '0');
      ++s;
    }
    frac_digits = s - frac;
  }
  const std::ptrdiff_t total = int_digits + frac_digits;
  // Clinger's fast path: an integer below 2^53 divided by an exact power of
  // ten is correctly rounded by one IEEE division.
  if (total > 0 && total <= 19 && frac_digits <= 22 && (*s | 0x20) != 'e' &&
      mantissa <= (std::uint64_t{1} << 53)) {
    double v = static_cast<double>(mantissa);
    if (frac_digits > 0) v /= kPow10[frac_digits];
    *out = negative ? -v : v;
    return s;
  }
  if (*digits == '+' || *digits == '-') return nullptr;
  double v = 0.0;
  const auto [ptr, ec] = std::from_chars(digits, end, v, std::chars_format::general);
  if (ec == std::errc::invalid_argument) return nullptr;
  if (ec == std::errc::result_out_of_range) v = OutOfRangeValue(digits, ptr);
  *out = negative ? -v : v;
  return ptr;
}

// True when a token may end at `q`: blank, line end, comment or end of data.
inline bool EndsToken(const char* q, const char* end) {
  const char c = *q;
  return c == ' ' || c == '\t' || c == '\n' || c == '#' || q == end ||
         (c == '\r' && (q[1] == '\n' || q + 1 == end));
}

// End of the whitespace-delimited token starting at `p` (for messages).
const char* TokenEnd(const char* p, const char* end) {
  while (p < end && *p != ' ' && *p != '\t' && *p != '\n' && *p != '#' &&
         !(*p == '\r' && (p + 1 == end || p[1] == '\n'))) {
    ++p;
  }
  return p;
}

// Token text as shown in messages: non-printable bytes escaped, long tokens
// cut.
std::string ShowToken(const char* begin, const char* end) {
  constexpr std::ptrdiff_t kMaxShown = 40;
  std::string out;
  const char* stop = end - begin > kMaxShown ? begin + kMaxShown : end;
  for (const char* p = begin; p < stop; ++p) {
    const auto c = static_cast<unsigned char>(*p);
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (stop != end) out += "...";
  return out;
}

// What the parser checks beyond the syntax.
struct ParseContext {
  // Every row's label must be one of these (empty: any finite label).
  std::span<const double> expected_labels;
};

bool Contains(std::span<const double> set, double v) {
  return std::find(set.begin(), set.end(), v) != set.end();
}

struct ParseError {
  std::int64_t line = 0;    // 0-based, relative to the block
  std::int64_t column = 0;  // 1-based byte column
  std::string what;
  bool not_text = false;
  unsigned byte = 0;
};

// Allocator for the parsed chunks: large arrays come straight from mmap, so
// freeing a chunk while the chunks are concatenated returns its memory to the
// system at once (glibc would keep freed heap blocks of this size in the
// process, and the peak would be chunks + Dataset instead of about one copy).
template <typename T>
struct ChunkAllocator {
  using value_type = T;
  static constexpr std::size_t kMmapBytes = std::size_t{64} << 10;

  ChunkAllocator() = default;
  template <typename U>
  ChunkAllocator(const ChunkAllocator<U>&) {}  // NOLINT(google-explicit-constructor)

  T* allocate(std::size_t n) {
    if (n > std::size_t(-1) / sizeof(T)) throw std::bad_alloc();
    const std::size_t bytes = n * sizeof(T);
    if (bytes < kMmapBytes) return std::allocator<T>().allocate(n);
    void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    return static_cast<T*>(p);
  }
  void deallocate(T* p, std::size_t n) {
    const std::size_t bytes = n * sizeof(T);
    if (bytes < kMmapBytes) {
      std::allocator<T>().deallocate(p, n);
    } else {
      ::munmap(p, bytes);
    }
  }
  friend bool operator==(const ChunkAllocator&, const ChunkAllocator&) { return true; }
};

template <typename T>
using ChunkVector = std::vector<T, ChunkAllocator<T>>;

// A parsed block in its final, exactly sized form.
struct Chunk {
  ChunkVector<std::int64_t> row_end;  // exclusive end offset of each row (local)
  ChunkVector<std::int32_t> col_index;
  ChunkVector<double> values;
  ChunkVector<double> labels;  // original label values
};

template <typename T>
void EnsureCapacity(std::unique_ptr<T[]>& array, std::size_t& capacity, std::size_t needed) {
  if (capacity >= needed) return;
  array = std::make_unique_for_overwrite<T[]>(needed);
  capacity = needed;
}

// Explicit happens-before edges between pipeline stages. oneTBB orders the
// stages with its own synchronisation, which ThreadSanitizer cannot see when
// libtbb is not instrumented (the distribution's is not); these
// release/acquire pairs (plain moves on x86, a few per block) make the same
// ordering visible so that TSan reports only real races.
class StageSync {
 public:
  void Acquire() const { (void)count_.load(std::memory_order_acquire); }
  void Release() { count_.fetch_add(1, std::memory_order_release); }

 private:
  std::atomic<std::uint64_t> count_{0};
};

// A block of text (with a '\0' sentinel after it) and its parse results.
struct Block {
  StageSync sync;
  std::unique_ptr<char[]> text;
  std::size_t capacity = 0;  // bytes of `text`, sentinel included
  std::size_t size = 0;
  std::optional<Error> io_error;  // reading failed after the text in this block

  // Parse results, in scratch arrays reused across blocks. Upper bounds: a
  // row takes at least 2 bytes ("1\n"), a stored entry at least 4 (" 1:1").
  std::unique_ptr<std::int64_t[]> row_end;
  std::unique_ptr<double[]> labels;
  std::size_t row_capacity = 0;
  std::size_t label_capacity = 0;
  std::unique_ptr<std::int32_t[]> col_index;
  std::unique_ptr<double[]> values;
  std::size_t col_capacity = 0;
  std::size_t value_capacity = 0;
  std::int64_t rows = 0;
  std::int64_t nnz = 0;
  std::int64_t lines = 0;  // newlines consumed
  std::int64_t max_col = 0;
  std::int64_t max_col_line = 0;  // 0-based line (in the block) of the first row with max_col
  bool failed = false;
  ParseError error;

  void Reset() {
    size = 0;
    io_error.reset();
    rows = nnz = lines = max_col = max_col_line = 0;
    failed = false;
  }

  void Reserve(std::size_t bytes) {
    if (capacity >= bytes) return;
    auto bigger = std::make_unique_for_overwrite<char[]>(bytes);
    if (size > 0) std::memcpy(bigger.get(), text.get(), size);
    text = std::move(bigger);
    capacity = bytes;
  }
};

enum class Problem {
  kLabel,
  kLabelNotFinite,
  kMissingColon,
  kIndex,
  kIndexOverflow,
  kValue,
  kValueNotFinite,
  kOrder,
  kQid,
  kBinary,
  kUnexpectedLabel,
  kTokenTooLong,
  kBlankRun,
  kCommentTooLong,
};

// Details some problems name in their message.
struct FailDetail {
  std::int64_t previous_index = 0;          // kOrder
  std::int64_t index = 0;                   // kOrder
  std::span<const double> expected_labels;  // kUnexpectedLabel
};

// Records the first problem of a block. `token` points at the offending text,
// `token_start` (when not null) at the start of the whole token holding it
// (the index of an index:value pair whose value is bad). A token longer than
// kMaxSpanBytes is reported as such whatever else is wrong with it, so that
// the message is the same whether the parser saw the whole token or, in a
// line too long for its block, only its first kMaxSpanBytes.
[[gnu::noinline, gnu::cold]] void Fail(Block& b, Problem problem, const char* line_start,
                                       const char* token, std::int64_t line,
                                       const char* token_start = nullptr,
                                       const FailDetail& detail = {}) {
  const char* const end = b.text.get() + b.size;
  b.failed = true;
  b.error.line = line;
  // A line holding bytes that never occur in text: report the file as binary.
  const char* const line_end = static_cast<const char*>(
      std::memchr(line_start, '\n', static_cast<std::size_t>(end - line_start)));
  for (const char* p = line_start; p < (line_end ? line_end : end); ++p) {
    if (IsBinaryByte(static_cast<unsigned char>(*p))) {
      b.error.not_text = true;
      b.error.byte = static_cast<unsigned char>(*p);
      b.error.column = p - line_start + 1;
      return;
    }
  }
  if (problem == Problem::kBinary) return;  // not reached: caller saw the byte
  if (token_start == nullptr) token_start = token;
  const bool about_token = problem != Problem::kOrder && problem != Problem::kBlankRun &&
                           problem != Problem::kCommentTooLong;
  if (about_token && TokenEnd(token_start, end) - token_start > kMaxSpanBytes) {
    problem = Problem::kTokenTooLong;
    token = token_start;
  }
  b.error.column = token - line_start + 1;
  const std::string shown = "'" + ShowToken(token, TokenEnd(token, end)) + "'";
  const char* colon = static_cast<const char*>(
      std::memchr(token, ':', static_cast<std::size_t>(TokenEnd(token, end) - token)));
  switch (problem) {
    case Problem::kLabel:
      b.error.what = "expected label (a number), found " + shown;
      break;
    case Problem::kLabelNotFinite:
      b.error.what = "expected finite label, found " + shown;
      break;
    case Problem::kMissingColon:
      b.error.what = "expected index:value, found " + shown;
      break;
    case Problem::kIndex:
    case Problem::kIndexOverflow: {
      const std::string index_text =
          "'" + ShowToken(token, colon ? colon : TokenEnd(token, end)) + "'";
      b.error.what = problem == Problem::kIndex
                         ? "expected feature index (integer >= 1), found " + index_text
                         : "expected feature index <= 2147483647, found " + index_text;
      break;
    }
    case Problem::kValue:
      b.error.what = "expected feature value (a number), found " + shown;
      break;
    case Problem::kValueNotFinite:
      b.error.what = "expected finite feature value, found " + shown;
      break;
    case Problem::kOrder:
      b.error.what = "indices must be strictly increasing: " + std::to_string(detail.index) +
                     " after " + std::to_string(detail.previous_index);
      break;
    case Problem::kQid:
      b.error.what = "expected qid:<integer>, found " + shown;
      break;
    case Problem::kUnexpectedLabel:
      b.error.what = "label " + shown + " is not one of the expected labels " +
                     JoinLabels(detail.expected_labels);
      break;
    case Problem::kTokenTooLong:
      b.error.what = "token longer than " + std::to_string(kMaxSpanBytes) + " bytes: " + shown;
      break;
    case Problem::kBlankRun:
      b.error.what = "more than " + std::to_string(kMaxSpanBytes) + " blanks in a row";
      break;
    case Problem::kCommentTooLong:
      b.error.what = "comment longer than " + std::to_string(kMaxSpanBytes) + " bytes";
      break;
    case Problem::kBinary:
      break;
  }
}

// Skips a comment starting at `p` ('#'). Returns the '\n' ending it, `end`,
// or the first binary byte in it.
inline const char* SkipComment(const char* p, const char* end) {
  for (++p; p < end; ++p) {
    const auto c = static_cast<unsigned char>(*p);
    if (c == '\n' || (c < 0x20 && IsBinaryByte(c)) || c == 0x7f) return p;
  }
  return end;
}

// Parses the text of `b` into its scratch arrays. On malformed input sets
// b.failed and b.error and stops.
void ParseBlock(Block& b, const ParseContext& context) {
  const char* const begin = b.text.get();
  const char* const end = begin + b.size;  // *end == '\0'
  EnsureCapacity(b.row_end, b.row_capacity, b.size / 2 + 2);
  EnsureCapacity(b.labels, b.label_capacity, b.size / 2 + 2);
  EnsureCapacity(b.col_index, b.col_capacity, b.size / 4 + 2);
  EnsureCapacity(b.values, b.value_capacity, b.size / 4 + 2);
  std::int64_t* const row_end = b.row_end.get();
  double* const labels = b.labels.get();
  std::int32_t* const col_index = b.col_index.get();
  double* const values = b.values.get();
  const std::span<const double> expected = context.expected_labels;

  std::int64_t rows = 0;
  std::int64_t nnz = 0;
  std::int64_t lines = 0;
  std::int64_t max_col = 0;
  std::int64_t max_col_line = 0;
  const char* p = begin;
  while (p < end) {
    const char* const line_start = p;
    while (*p == ' ' || *p == '\t') ++p;
    if (p - line_start > kMaxSpanBytes) [[unlikely]] {
      return Fail(b, Problem::kBlankRun, line_start, line_start, lines);
    }
    // Blank and comment-only lines.
    if (*p == '\n') {
      ++p;
      ++lines;
      continue;
    }
    if (*p == '\r' && (p[1] == '\n' || p + 1 == end)) {
      p += (p + 1 == end) ? 1 : 2;
      lines += (p[-1] == '\n');
      continue;
    }
    if (*p == '#') {
      const char* const hash = p;
      p = SkipComment(p, end);
      if (p < end && *p != '\n') return Fail(b, Problem::kBinary, line_start, p, lines);
      if (p - hash > kMaxSpanBytes) [[unlikely]] {
        return Fail(b, Problem::kCommentTooLong, line_start, hash, lines);
      }
      if (p < end) {
        ++p;
        ++lines;
      }
      continue;
    }
    if (p == end) break;

    const std::int64_t row_line = lines;
    double label = 0.0;
    const char* q = ParseNumber(p, end, &label);
    if (q == nullptr || !EndsToken(q, end)) {
      return Fail(b, Problem::kLabel, line_start, p, lines);
    }
    if (q - p > kMaxSpanBytes) [[unlikely]] {
      return Fail(b, Problem::kTokenTooLong, line_start, p, lines);
    }
    if (!std::isfinite(label)) return Fail(b, Problem::kLabelNotFinite, line_start, p, lines);
    if (!expected.empty() && !Contains(expected, label)) {
      FailDetail detail;
      detail.expected_labels = expected;
      return Fail(b, Problem::kUnexpectedLabel, line_start, p, lines, p, detail);
    }
    p = q;
    labels[rows] = label;

    std::int64_t last_index = 0;
    for (;;) {
      const char* const blanks = p;
      while (*p == ' ' || *p == '\t') ++p;
      if (p - blanks > kMaxSpanBytes) [[unlikely]] {
        return Fail(b, Problem::kBlankRun, line_start, blanks, lines);
      }
      const char c = *p;
      if (c == '\n') {
        ++p;
        ++lines;
        break;
      }
      if (c == '#') {
        const char* const hash = p;
        p = SkipComment(p, end);
        if (p < end && *p != '\n') return Fail(b, Problem::kBinary, line_start, p, lines);
        if (p - hash > kMaxSpanBytes) [[unlikely]] {
          return Fail(b, Problem::kCommentTooLong, line_start, hash, lines);
        }
        if (p < end) {
          ++p;
          ++lines;
        }
        break;
      }
      if (c == '\r' && (p[1] == '\n' || p + 1 == end)) {
        p += (p + 1 == end) ? 1 : 2;
        lines += (p[-1] == '\n');
        break;
      }
      if (p == end) break;

      const char* const token = p;
      if (IsDigit(c)) {
        std::uint64_t index = static_cast<unsigned>(c - '0');
        ++p;
        while (IsDigit(*p)) {
          if (index <= static_cast<std::uint64_t>(kMaxIndex)) {
            index = index * 10 + static_cast<unsigned>(*p - '0');
          }
          ++p;
        }
        if (*p != ':') {
          const char* t_end = TokenEnd(token, end);
          const bool has_colon = std::memchr(token, ':', t_end - token) != nullptr;
          return Fail(b, has_colon ? Problem::kIndex : Problem::kMissingColon, line_start,
                      token, lines);
        }
        if (index == 0) return Fail(b, Problem::kIndex, line_start, token, lines);
        if (index > static_cast<std::uint64_t>(kMaxIndex)) {
          return Fail(b, Problem::kIndexOverflow, line_start, token, lines);
        }
        ++p;
        double value = 0.0;
        q = ParseNumber(p, end, &value);
        if (q == nullptr || !EndsToken(q, end)) {
          return Fail(b, Problem::kValue, line_start, p, lines, token);
        }
        if (q - token > kMaxSpanBytes) [[unlikely]] {
          return Fail(b, Problem::kTokenTooLong, line_start, token, lines);
        }
        if (!std::isfinite(value)) {
          return Fail(b, Problem::kValueNotFinite, line_start, p, lines, token);
        }
        const auto signed_index = static_cast<std::int64_t>(index);
        if (signed_index <= last_index) {
          FailDetail detail;
          detail.previous_index = last_index;
          detail.index = signed_index;
          return Fail(b, Problem::kOrder, line_start, token, lines, token, detail);
        }
        last_index = signed_index;
        if (value != 0.0) {
          col_index[nnz] = static_cast<std::int32_t>(signed_index - 1);
          values[nnz] = value;
          ++nnz;
        }
        p = q;
        continue;
      }
      if (c == 'q' && last_index == 0 && std::strncmp(p, "qid:", 4) == 0) {
        const char* r = p + 4;
        if (*r == '-' || *r == '+') ++r;
        const char* const qid_digits = r;
        while (IsDigit(*r)) ++r;
        if (r == qid_digits || !EndsToken(r, end)) {
          return Fail(b, Problem::kQid, line_start, token, lines);
        }
        if (r - token > kMaxSpanBytes) [[unlikely]] {
          return Fail(b, Problem::kTokenTooLong, line_start, token, lines);
        }
        p = r;
        continue;
      }
      const char* t_end = TokenEnd(token, end);
      const bool has_colon = std::memchr(token, ':', t_end - token) != nullptr;
      return Fail(b, has_colon ? Problem::kIndex : Problem::kMissingColon, line_start, token,
                  lines);
    }
    if (last_index > max_col) {
      max_col = last_index;
      max_col_line = row_line;
    }
    row_end[rows] = nnz;
    ++rows;
  }
  b.rows = rows;
  b.nnz = nnz;
  b.lines = lines;
  b.max_col = max_col;
  b.max_col_line = max_col_line;
}

// Blocks in flight; owns every block so that none leaks when a stage throws.
class BlockPool {
 public:
  Block* Acquire() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!free_.empty()) {
      Block* b = free_.back();
      free_.pop_back();
      return b;
    }
    all_.push_back(std::make_unique<Block>());
    return all_.back().get();
  }
  void Release(Block* b) {
    std::lock_guard<std::mutex> lock(mutex_);
    free_.push_back(b);
  }
  // Called by the owning thread once the pipeline has ended.
  void Join() {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& b : all_) b->sync.Acquire();
  }
  ~BlockPool() { Join(); }

 private:
  std::mutex mutex_;
  std::vector<std::unique_ptr<Block>> all_;
  std::vector<Block*> free_;
};

// Parses text[0, size) of `b` as if the block ended there (a byte of the
// block at `size` is restored afterwards). True when that text holds an
// error, recorded in `b`.
bool PrefixFails(Block& b, std::size_t size, const ParseContext& context) {
  const std::size_t full = b.size;
  const char saved = size < full ? b.text[size] : '\0';
  b.text[size] = '\0';
  b.size = size;
  ParseBlock(b, context);
  b.size = full;
  b.text[size] = saved;
  return b.failed;
}

// `b` holds the beginning of one line, without its end, and would have to
// grow to hold more of it. True when that beginning already shows the line to
// be bad; `b` then records the error a parse of the whole line gives (except
// that a binary byte further on in the line is not seen). Bytes from
// `unscanned` on have not been looked at yet.
bool LongLineFails(Block& b, std::size_t unscanned, const ParseContext& context) {
  const char* const text = b.text.get();
  // Bytes that never occur in text: a binary file, or a stream of zeros.
  for (std::size_t i = unscanned; i < b.size; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (IsBinaryByte(c)) {
      b.failed = true;
      b.error = ParseError{};
      b.error.not_text = true;
      b.error.byte = c;
      b.error.column = static_cast<std::int64_t>(i) + 1;
      return true;
    }
  }
  // The tokens before the last blank are complete: an error among them is
  // the error of the line.
  std::size_t tail = b.size;  // start of the unfinished token at the end
  while (tail > 0 && text[tail - 1] != ' ' && text[tail - 1] != '\t') --tail;
  if (tail > 0 && PrefixFails(b, tail - 1, context)) return true;
  // An unfinished token or comment already longer than any accepted one.
  return static_cast<std::ptrdiff_t>(b.size - tail) > kMaxSpanBytes &&
         PrefixFails(b, b.size, context);
}

// Serial first stage: fills blocks from the source, cut after the last
// newline; the rest is carried into the next block.
class BlockReader {
 public:
  BlockReader(ByteSource& source, BlockPool& pool, std::size_t block_bytes,
              const ParseContext& context)
      : source_(source), pool_(pool), block_bytes_(block_bytes), context_(context) {}

  Block* Next(tbb::flow_control& control) {
    sync_.Acquire();
    struct ReleaseOnExit {
      StageSync& sync;
      ~ReleaseOnExit() { sync.Release(); }
    } release{sync_};
    if (done_) {
      control.stop();
      return nullptr;
    }
    Block* b = pool_.Acquire();
    b->Reset();
    b->Reserve(std::max(block_bytes_, carry_.size()) + 1);
    if (!carry_.empty()) std::memcpy(b->text.get(), carry_.data(), carry_.size());
    b->size = carry_.size();
    carry_.clear();
    bool eof = false;
    bool bad_line = false;
    try {
      while (b->size < block_bytes_) {
        const std::size_t n = source_.Read(b->text.get() + b->size, block_bytes_ - b->size);
        if (n == 0) {
          eof = true;
          break;
        }
        b->size += n;
      }
      if (!eof) {
        std::size_t searched = 0;
        std::size_t cut = 0;
        for (;;) {
          const void* nl = memrchr(b->text.get() + searched, '\n', b->size - searched);
          if (nl != nullptr) {
            cut = static_cast<std::size_t>(static_cast<const char*>(nl) - b->text.get()) + 1;
            break;
          }
          // A line longer than the block: grow it until the line ends, unless
          // its beginning is bad already (then the error ends the reading).
          if (LongLineFails(*b, searched, context_)) {
            bad_line = true;
            cut = b->size;
            break;
          }
          searched = b->size;
          b->Reserve(2 * b->capacity);
          const std::size_t n =
              source_.Read(b->text.get() + b->size, b->capacity - 1 - b->size);
          if (n == 0) {
            eof = true;
            cut = b->size;
            break;
          }
          b->size += n;
        }
        carry_.assign(b->text.get() + cut, b->text.get() + b->size);
        b->size = cut;
      }
    } catch (const Error& e) {
      b->io_error.emplace(e);
      eof = true;
    }
    b->text[b->size] = '\0';
    done_ = eof || bad_line;
    b->sync.Release();
    return b;
  }

 private:
  ByteSource& source_;
  BlockPool& pool_;
  std::size_t block_bytes_;
  const ParseContext& context_;
  std::vector<char> carry_;
  bool done_ = false;
  StageSync sync_;

 public:
  void Join() const { sync_.Acquire(); }
  ~BlockReader() { Join(); }
};

// Serial last stage: raises the first error in file order, otherwise copies
// the block's results into an exactly sized chunk.
class ChunkCollector {
 public:
  ChunkCollector(const std::string& name, const TextOrigin& origin, BlockPool& pool)
      : name_(name), origin_(origin), pool_(pool) {}

  void Take(Block* b) {
    sync_.Acquire();
    b->sync.Acquire();
    struct ReleaseOnExit {
      StageSync& sync;
      ~ReleaseOnExit() { sync.Release(); }
    } release{sync_};
    if (b->io_error) throw *b->io_error;
    if (b->failed) throw MakeError(*b);
    if (b->max_col > max_col_) {  // ties keep the first line in file order
      max_col_ = b->max_col;
      max_col_line_ = line_base_ + b->max_col_line + 1;
    }
    line_base_ += b->lines;
    Chunk chunk;
    chunk.row_end.assign(b->row_end.get(), b->row_end.get() + b->rows);
    chunk.labels.assign(b->labels.get(), b->labels.get() + b->rows);
    chunk.col_index.assign(b->col_index.get(), b->col_index.get() + b->nnz);
    chunk.values.assign(b->values.get(), b->values.get() + b->nnz);
    rows_ += b->rows;
    nnz_ += b->nnz;
    chunks_.push_back(std::move(chunk));
    b->sync.Release();
    pool_.Release(b);
  }

  void Join() const { sync_.Acquire(); }
  ~ChunkCollector() { Join(); }

  std::vector<Chunk>& chunks() { return chunks_; }
  std::int64_t rows() const { return rows_; }
  std::int64_t nnz() const { return nnz_; }
  std::int64_t max_col() const { return max_col_; }
  std::int64_t max_col_line() const { return max_col_line_; }

 private:
  Error MakeError(const Block& b) const {
    const ParseError& e = b.error;
    // Lines before the text (a part read from the middle of a file): counted
    // only now, on the error path.
    const std::int64_t before = origin_.lines_before ? origin_.lines_before() : 0;
    const std::string line = std::to_string(before + line_base_ + e.line + 1);
    const std::string column = std::to_string(e.column);
    if (e.not_text) {
      return Error(ErrorKind::kInvalidInput,
                   NotTextMessage(name_, before + line_base_ + e.line + 1, e.column, e.byte));
    }
    return Error(ErrorKind::kInvalidInput, name_ + ":" + line + ":" + column + ": " + e.what);
  }

  const std::string& name_;
  const TextOrigin& origin_;
  BlockPool& pool_;
  std::vector<Chunk> chunks_;
  std::int64_t line_base_ = 0;
  std::int64_t rows_ = 0;
  std::int64_t nnz_ = 0;
  std::int64_t max_col_ = 0;
  std::int64_t max_col_line_ = 0;  // 1-based file line of max_col_, 0 = none
  StageSync sync_;
};

// Concatenates the chunks into `data`, freeing each after copying it.
void Assemble(ChunkCollector& collector, Dataset& data) {
  std::vector<Chunk>& chunks = collector.chunks();
  data.num_rows = collector.rows();
  data.num_cols = static_cast<std::int32_t>(collector.max_col());
  data.num_cols_line = collector.max_col_line();
  data.row_ptr.clear();
  data.row_ptr.reserve(static_cast<std::size_t>(collector.rows()) + 1);
  data.row_ptr.push_back(0);
  data.labels.reserve(static_cast<std::size_t>(collector.rows()));
  data.col_index.reserve(static_cast<std::size_t>(collector.nnz()));
  data.values.reserve(static_cast<std::size_t>(collector.nnz()));
  std::int64_t offset = 0;
  for (Chunk& chunk : chunks) {
    for (const std::int64_t e : chunk.row_end) data.row_ptr.push_back(offset + e);
    data.labels.insert(data.labels.end(), chunk.labels.begin(), chunk.labels.end());
    data.col_index.insert(data.col_index.end(), chunk.col_index.begin(), chunk.col_index.end());
    data.values.insert(data.values.end(), chunk.values.begin(), chunk.values.end());
    offset += static_cast<std::int64_t>(chunk.col_index.size());
    chunk = Chunk{};
  }
  chunks.clear();
}

// Checks the options; returns the number of threads to use.
int ResolveOptions(const ReadOptions& options) {
  for (const double v : options.expected_labels) {
    if (!std::isfinite(v)) {
      throw Error(ErrorKind::kInvalidOption, "expected labels must be finite, not " + LabelText(v));
    }
  }
  if (options.keep_targets && (!options.positive_labels.empty() || !options.expected_labels.empty())) {
    throw Error(ErrorKind::kInvalidOption,
                "keep_targets keeps every label as read: positive_labels and expected_labels "
                "(a mapping to classes) cannot be given with it");
  }
  if (options.class_ids && (options.keep_targets || !options.positive_labels.empty())) {
    throw Error(ErrorKind::kInvalidOption,
                "class_ids keeps one id per class: keep_targets (real targets) and "
                "positive_labels (a mapping to two classes) cannot be given with it");
  }
  const int threads = options.threads;
  if (threads < 0) {
    throw Error(ErrorKind::kInvalidOption,
                "threads must be >= 0 (0 = all), not " + std::to_string(threads));
  }
  // More threads than TBB may run only makes it print warnings; inside a
  // host's tbb::task_arena(k), k is what the reader may use.
  const int available = std::max(1, tbb::this_task_arena::max_concurrency());
  return threads == 0 ? available : std::min(threads, available);
}

}  // namespace

std::string NotTextMessage(const std::string& name, std::int64_t line, std::int64_t column,
                           unsigned byte) {
  char hex[8];
  std::snprintf(hex, sizeof hex, "0x%02x", byte);
  const std::string at_line = std::to_string(line);
  const std::string at_column = std::to_string(column);
  return name + ":" + at_line + ":" + at_column + ": not a text file (byte " + hex + " at line " +
         at_line + " column " + at_column + ")";
}

Dataset ParseLibsvmRaw(ByteSource& source, const std::string& name, const ReadOptions& options,
                       const ParseTuning& tuning, std::size_t size_hint,
                       const TextOrigin& origin) {
  const int threads = ResolveOptions(options);
  std::size_t block_bytes = tuning.block_bytes;
  if (block_bytes == 0) {
    block_bytes = size_hint == 0
                      ? kUnknownSizeBlockBytes
                      : std::clamp(size_hint / (16 * static_cast<std::size_t>(threads)),
                                   kMinAutoBlockBytes, kMaxBlockBytes);
  }
  ParseContext context;
  context.expected_labels = options.expected_labels;
  BlockPool pool;
  BlockReader reader(source, pool, block_bytes, context);
  ChunkCollector collector(name, origin, pool);
  const std::size_t max_tokens = 2 * static_cast<std::size_t>(threads);

  tbb::task_arena arena(threads);
  arena.execute([&] {
    tbb::parallel_pipeline(
        max_tokens,
        tbb::make_filter<void, Block*>(
            tbb::filter_mode::serial_in_order,
            [&](tbb::flow_control& control) { return reader.Next(control); }) &
            tbb::make_filter<Block*, Block*>(tbb::filter_mode::parallel,
                                             [&context](Block* b) {
                                               b->sync.Acquire();
                                               if (!b->io_error && !b->failed) {
                                                 ParseBlock(*b, context);
                                               }
                                               b->sync.Release();
                                               return b;
                                             }) &
            tbb::make_filter<Block*, void>(tbb::filter_mode::serial_in_order,
                                           [&](Block* b) { collector.Take(b); }));
  });
  reader.Join();
  collector.Join();
  pool.Join();

  Dataset data;
  data.source = name;
  Assemble(collector, data);
  return data;
}

Dataset ParseLibsvmSource(ByteSource& source, const std::string& name,
                          const ReadOptions& options, const ParseTuning& tuning,
                          std::size_t size_hint) {
  Dataset data = ParseLibsvmRaw(source, name, options, tuning, size_hint, TextOrigin{});
  // Throws "no data rows" when there is none.
  AssignLabels(&data, options.keep_targets ? std::vector<double>{} : DistinctLabels(data.labels),
               data.num_rows, options);
  return data;
}

Dataset ReadLibsvmTuned(const std::string& path, const ReadOptions& options,
                        const ParseTuning& tuning) {
  ResolveOptions(options);
  DecompressingFileSource source(path);
  std::size_t hint = static_cast<std::size_t>(source.file_size());
  if (source.compression() != Compression::kNone) hint *= 4;
  return ParseLibsvmSource(source, path, options, tuning, hint);
}

Dataset ParseLibsvmTuned(std::string_view text, const std::string& name,
                         const ReadOptions& options, const ParseTuning& tuning) {
  MemorySource source(text);
  return ParseLibsvmSource(source, name, options, tuning, text.size());
}

}  // namespace asyncopt::io

namespace asyncopt {

Dataset ReadLibsvm(const std::string& path, const ReadOptions& options) {
  return io::ReadLibsvmTuned(path, options, io::ParseTuning{});
}

Dataset ParseLibsvm(std::string_view text, const std::string& name,
                    const ReadOptions& options) {
  return io::ParseLibsvmTuned(text, name, options, io::ParseTuning{});
}

}  // namespace asyncopt
