// asyncopt internal: small text helpers shared by the data area.
#pragma once

#include <charconv>
#include <string>

namespace asyncopt::data {

// Shortest text that reads back as exactly `value` ("0.25", "1e-05").
inline std::string ShortestDouble(double value) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, result.ptr);
}

}  // namespace asyncopt::data
