// Text helpers shared by the CLI's messages and its JSON writer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace asyncopt::cli {

// Length of the valid UTF-8 sequence starting at s[i]: 1 for ASCII, 2-4 for
// a well-formed multi-byte sequence (no overlong forms, surrogates or code
// points above U+10FFFF), 0 when the bytes there are not valid UTF-8.
inline std::size_t Utf8Length(std::string_view s, std::size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return 1;
  std::size_t n = 0;
  std::uint32_t min = 0;
  if ((c & 0xe0) == 0xc0) {
    n = 2;
    min = 0x80;
  } else if ((c & 0xf0) == 0xe0) {
    n = 3;
    min = 0x800;
  } else if ((c & 0xf8) == 0xf0) {
    n = 4;
    min = 0x10000;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  std::uint32_t cp = c & (0x7fu >> n);
  for (std::size_t k = 1; k < n; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3fu);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

}  // namespace asyncopt::cli
