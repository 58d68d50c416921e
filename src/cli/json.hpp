// A minimal JSON writer for run summaries: objects, strings, numbers (NaN and
// infinities become null, so a summary never holds a NaN), booleans.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "cli/text.hpp"

namespace asyncopt::cli {

class JsonWriter {
 public:
  JsonWriter& BeginObject(std::string_view key = {}) {
    Key(key);
    out_ += '{';
    first_.push_back(true);
    return *this;
  }
  JsonWriter& EndObject() {
    first_.pop_back();
    Newline();
    out_ += '}';
    return *this;
  }
  JsonWriter& Field(std::string_view key, std::string_view v) {
    Key(key);
    Quote(v);
    return *this;
  }
  JsonWriter& Field(std::string_view key, const char* v) { return Field(key, std::string_view(v)); }
  JsonWriter& Field(std::string_view key, const std::string& v) {
    return Field(key, std::string_view(v));
  }
  JsonWriter& Field(std::string_view key, double v) {
    Key(key);
    if (!std::isfinite(v)) {
      out_ += "null";
    } else {
      char buf[40];
      std::snprintf(buf, sizeof buf, "%.17g", v);
      out_ += buf;
    }
    return *this;
  }
  JsonWriter& Field(std::string_view key, std::int64_t v) {
    Key(key);
    out_ += std::to_string(v);
    return *this;
  }
  JsonWriter& Field(std::string_view key, int v) { return Field(key, static_cast<std::int64_t>(v)); }
  JsonWriter& Field(std::string_view key, std::uint64_t v) {
    Key(key);
    out_ += std::to_string(v);
    return *this;
  }
  JsonWriter& Field(std::string_view key, bool v) {
    Key(key);
    out_ += v ? "true" : "false";
    return *this;
  }
  // A list of integers on one line: "key": [1, 2, 3].
  JsonWriter& Field(std::string_view key, const std::vector<std::int64_t>& v) {
    Key(key);
    out_ += '[';
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (i > 0) out_ += ", ";
      out_ += std::to_string(v[i]);
    }
    out_ += ']';
    return *this;
  }
  // An array whose elements are written with an empty key (BeginObject()).
  JsonWriter& BeginArray(std::string_view key = {}) {
    Key(key);
    out_ += '[';
    first_.push_back(true);
    return *this;
  }
  JsonWriter& EndArray() {
    first_.pop_back();
    Newline();
    out_ += ']';
    return *this;
  }
  JsonWriter& Null(std::string_view key) {
    Key(key);
    out_ += "null";
    return *this;
  }
  const std::string& str() const { return out_; }

 private:
  void Newline() {
    out_ += '\n';
    out_.append(2 * first_.size(), ' ');
  }
  void Key(std::string_view key) {
    if (!first_.empty()) {
      if (!first_.back()) out_ += ',';
      first_.back() = false;
      Newline();
    }
    if (!key.empty()) {
      Quote(key);
      out_ += ": ";
    }
  }
  // Always valid UTF-8 (RFC 8259): valid sequences are copied, and any other
  // byte is read as Latin-1 (a file name in a Latin-1 locale, "caf\xe9.svm",
  // becomes "caf\u00e9.svm") so the summary stays parseable.
  void Quote(std::string_view s) {
    out_ += '"';
    for (std::size_t i = 0; i < s.size(); ++i) {
      const char c = s[i];
      const auto u = static_cast<unsigned char>(c);
      if (u >= 0x80) {
        const std::size_t n = Utf8Length(s, i);
        if (n > 0) {
          out_.append(s.substr(i, n));
          i += n - 1;
        } else {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(u));
          out_ += buf;
        }
        continue;
      }
      switch (c) {
        case '"': out_ += "\\\""; break;
        case '\\': out_ += "\\\\"; break;
        case '\n': out_ += "\\n"; break;
        case '\r': out_ += "\\r"; break;
        case '\t': out_ += "\\t"; break;
        default:
          if (static_cast<unsigned char>(c) < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
            out_ += buf;
          } else {
            out_ += c;
          }
      }
    }
    out_ += '"';
  }

  std::string out_;
  std::vector<bool> first_;
};

}  // namespace asyncopt::cli
