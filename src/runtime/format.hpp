// How numbers appear in result messages: six significant digits, in
// exponent form when that is shorter ("0.0001", "1e-07", "2.5e+12"), never
// "0.000000" (std::to_string of a small step) or hundreds of digits.
#pragma once

#include <cstdio>
#include <string>

namespace asyncopt::runtime {

inline std::string ShortNumber(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace asyncopt::runtime
