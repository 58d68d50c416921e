#include "cli/outputs.hpp"

#include <cstdio>
#include <exception>

#include "asyncopt/error.hpp"
#include "io/output_file.hpp"

namespace asyncopt::cli {

void Outputs::Add(const Args& a, const std::string& key) {
  if (a.Has(key)) outputs_.push_back({key, a.Str(key)});
}

void Outputs::AddInput(const Args& a, const std::string& key) {
  if (a.Has(key)) inputs_.push_back({key, a.Str(key)});
}

void Outputs::AddInputPath(const std::string& what, const std::string& path) {
  inputs_.push_back({what, path});
}

void Outputs::Check() const {
  for (std::size_t i = 0; i < outputs_.size(); ++i) {
    const Entry& out = outputs_[i];
    const std::string shown = "--" + out.key + " '" + Printable(out.path) + "'";
    try {
      io::CheckOutputPath(out.path);
    } catch (const Error& e) {
      throw UsageError(shown + ": " + Printable(e.what(), 4096));
    }
    for (const Entry& in : inputs_) {
      if (io::SameFile(out.path, in.path)) {
        // An option's key, or a positional input's description ("the trace").
        const std::string in_name = in.key.find(' ') != std::string::npos ? in.key : "--" + in.key;
        throw UsageError(shown + " and " + in_name + " '" + Printable(in.path) +
                         "' name the same file: the output would overwrite an input");
      }
    }
    for (std::size_t k = 0; k < i; ++k) {
      const Entry& other = outputs_[k];
      if (io::SameFile(out.path, other.path) &&
          !(io::IsSpecialOutput(out.path) && io::IsSpecialOutput(other.path))) {
        throw UsageError(shown + " and --" + other.key + " '" + Printable(other.path) +
                         "' name the same file: one output would overwrite the other");
      }
    }
  }
}

bool Outputs::Has(const std::string& key) const {
  for (const Entry& e : outputs_) {
    if (e.key == key) return true;
  }
  return false;
}

const std::string& Outputs::Path(const std::string& key) const {
  for (const Entry& e : outputs_) {
    if (e.key == key) return e.path;
  }
  static const std::string kNone;
  return kNone;
}

void Outputs::Write(const std::string& key, const std::string& text) {
  WriteWith(key, [&text](const std::string& path) { io::WriteOutputFile(path, text); });
}

void Outputs::WriteWith(const std::string& key,
                        const std::function<void(const std::string&)>& write) {
  if (!Has(key)) return;
  try {
    write(Path(key));
  } catch (const std::bad_alloc&) {
    Fail(key, "out of memory while writing it");
  } catch (const std::exception& e) {
    Fail(key, e.what());
  }
}

void Outputs::Fail(const std::string& key, const std::string& message) {
  failures_.push_back("--" + key + " '" + Printable(Path(key)) + "' was not written: " +
                      Printable(message, 4096));
}

void Outputs::ReportFailures(const char* command) const {
  for (const std::string& f : failures_) {
    std::fprintf(stderr, "asyncopt %s: error: %s\n", command, f.c_str());
  }
}

}  // namespace asyncopt::cli
