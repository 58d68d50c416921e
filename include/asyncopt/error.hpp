// asyncopt: the one error kind thrown across the public API.
//
// Choice made once for the whole library (see solver.hpp): functions report
// bad input, bad options and I/O failures by throwing asyncopt::Error. Numeric
// trouble inside a solver (NaN, divergence) is NOT an exception: it ends the
// run with Status::kDiverged in the Result.
#pragma once

#include <stdexcept>
#include <string>

namespace asyncopt {

enum class ErrorKind {
  kInvalidInput,   // malformed data file (message names file, line, column)
  kInvalidOption,  // option/key with a value outside its allowed range
  kIo,             // a file cannot be opened, read or written
  kUnsupported,    // a valid request this build/solver cannot serve
  kResource,       // the machine cannot provide what the run needs: threads, memory
                   // (the message names the resource, the amount asked for and what to do)
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message)
      : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const noexcept { return kind_; }

 private:
  ErrorKind kind_;
};

}  // namespace asyncopt
