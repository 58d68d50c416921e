// The files a command writes, checked before any work and written at the
// end so that a failure in one never costs the others.
//
//  * Check(): every output path can be written (io::CheckOutputPath: not a
//    directory, its folder exists and takes new files, ...), none names an
//    input of the command, and no two name the same file (unless both are
//    special targets such as a FIFO or /dev/stdout, written directly).
//    Errors are usage errors (exit 2) naming the options and the path.
//  * Write(): each output through io::WriteOutputFile (regular files are
//    replaced atomically through a unique temporary file; devices, FIFOs
//    and descriptors are written in place); a failure is recorded, the
//    other outputs are still written, and the command exits with
//    kExitOutputFailed naming every output that failed.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "cli/args.hpp"

namespace asyncopt::cli {

class Outputs {
 public:
  // Registers output option `key` if the user gave it.
  void Add(const Args& a, const std::string& key);
  // Registers input option `key` (a file read by the command) if given.
  void AddInput(const Args& a, const std::string& key);
  // Registers an input file given otherwise (a positional argument), named
  // `what` in messages; `what` holds a space ("the trace").
  void AddInputPath(const std::string& what, const std::string& path);
  // See the file comment; throws UsageError.
  void Check() const;

  bool Has(const std::string& key) const;
  const std::string& Path(const std::string& key) const;
  // Writes output `key` (if registered); records a failure instead of
  // throwing.
  void Write(const std::string& key, const std::string& text);
  // Runs `write` for output `key` (if registered), recording an exception
  // as that output's failure (for writers of their own, e.g. SaveModel).
  void WriteWith(const std::string& key, const std::function<void(const std::string&)>& write);
  // Records a failure (e.g. a streamed output's error) for `key`.
  void Fail(const std::string& key, const std::string& message);

  bool failed() const { return !failures_.empty(); }
  // Prints "error: --KEY was not written: MESSAGE" for each failure.
  void ReportFailures(const char* command) const;

 private:
  struct Entry {
    std::string key;
    std::string path;
  };
  std::vector<Entry> outputs_, inputs_;
  std::vector<std::string> failures_;
};

}  // namespace asyncopt::cli
