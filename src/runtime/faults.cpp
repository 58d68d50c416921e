// The text form of an injected fault (Options::faults, --fault).
#include <charconv>
#include <cmath>
#include <string>
#include <string_view>

#include "asyncopt/solver.hpp"

namespace asyncopt {
namespace {

// The whole of `s` as a number of type T (no sign for integers, no spaces).
template <class T>
bool WholeNumber(std::string_view s, T* out) {
  if (s.empty() || s.front() == '+' || s.front() == '-') return false;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

// The shortest text that reads back as the same number.
std::string Shortest(double v) {
  char buf[40];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

}  // namespace

bool ParseFault(std::string_view text, Fault* out, std::string* error) {
  auto fail = [&](const std::string& why) {
    if (error != nullptr) {
      *error = "fault \"" + std::string(text) + "\": " + why +
               " (allowed: slow:MEMBER:FACTOR, stall:MEMBER@STEP:SECONDS, crash:MEMBER@STEP, "
               "crash-sending:MEMBER@STEP, restart:MEMBER@STEP:SECONDS)";
    }
    return false;
  };
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos) return fail("no ':' after the kind");
  const std::string_view kind_text = text.substr(0, colon);
  Fault f;
  if (kind_text == "slow") {
    f.kind = Fault::Kind::kSlow;
  } else if (kind_text == "stall") {
    f.kind = Fault::Kind::kStall;
  } else if (kind_text == "crash") {
    f.kind = Fault::Kind::kCrash;
  } else if (kind_text == "crash-sending") {
    f.kind = Fault::Kind::kCrashSending;
  } else if (kind_text == "restart") {
    f.kind = Fault::Kind::kRestart;
  } else {
    return fail("unknown kind \"" + std::string(kind_text) + "\"");
  }
  std::string_view rest = text.substr(colon + 1);
  // MEMBER, then ":FACTOR" (slow) or "@STEP" and, for stall, ":SECONDS".
  const std::size_t member_end = rest.find_first_of(":@");
  const std::string_view member = rest.substr(0, member_end);
  if (!WholeNumber(member, &f.member) || f.member > kMaxThreads) {
    return fail("the member \"" + std::string(member) + "\" is not an integer in [0, " +
                std::to_string(kMaxThreads) + "]");
  }
  rest = member_end == std::string_view::npos ? std::string_view() : rest.substr(member_end);
  if (f.kind == Fault::Kind::kSlow) {
    if (rest.empty() || rest.front() != ':') return fail("slow needs ':FACTOR' after the member");
    const std::string_view factor = rest.substr(1);
    if (!WholeNumber(factor, &f.factor) || !(f.factor >= 1.0 && f.factor <= kMaxFaultFactor)) {
      return fail("the factor \"" + std::string(factor) + "\" is not a number in [1, 1e9]");
    }
  } else {
    if (rest.empty() || rest.front() != '@') {
      return fail(std::string(kind_text) + " needs '@STEP' after the member");
    }
    rest.remove_prefix(1);
    const std::size_t step_end = rest.find(':');
    const std::string_view step = rest.substr(0, step_end);
    if (!WholeNumber(step, &f.at_step)) {
      return fail("the step \"" + std::string(step) + "\" is not an integer >= 0");
    }
    rest = step_end == std::string_view::npos ? std::string_view() : rest.substr(step_end);
    if (f.kind == Fault::Kind::kStall || f.kind == Fault::Kind::kRestart) {
      if (rest.empty()) return fail(std::string(kind_text) + " needs ':SECONDS' after the step");
      const std::string_view seconds = rest.substr(1);
      if (!WholeNumber(seconds, &f.seconds) ||
          !(f.seconds >= 0.0 && f.seconds <= kMaxStallSeconds)) {
        return fail("the " + std::string(f.kind == Fault::Kind::kStall ? "stall" : "downtime") + " \"" +
                    std::string(seconds) + "\" is not a number of seconds in [0, 86400]");
      }
    } else if (!rest.empty()) {
      return fail(std::string(kind_text) + " takes nothing after the step");
    }
  }
  *out = f;
  return true;
}

std::string ToString(const Fault& f) {
  std::string s = std::string(ToString(f.kind)) + ":" + std::to_string(f.member);
  switch (f.kind) {
    case Fault::Kind::kSlow:
      return s + ":" + Shortest(f.factor);
    case Fault::Kind::kStall:
    case Fault::Kind::kRestart:
      return s + "@" + std::to_string(f.at_step) + ":" + Shortest(f.seconds);
    case Fault::Kind::kCrash:
    case Fault::Kind::kCrashSending:
      return s + "@" + std::to_string(f.at_step);
  }
  return s;
}

}  // namespace asyncopt
