// asyncopt: version and build provenance (recorded in every run summary).
#pragma once

// Compile-time version of these headers. This file is the one place the
// version is written: the top-level CMakeLists.txt reads the three numbers
// below into project(VERSION), so the package version, the shared library's
// VERSION/SOVERSION and these macros cannot disagree.
#define ASYNCOPT_VERSION_MAJOR 0
#define ASYNCOPT_VERSION_MINOR 1
#define ASYNCOPT_VERSION_PATCH 0

// One comparable integer: MAJOR * 10000 + MINOR * 100 + PATCH (0.1.0 -> 100,
// 1.2.3 -> 10203), so `#if ASYNCOPT_VERSION >= 200` means "0.2.0 or later".
// MINOR and PATCH stay below 100.
#define ASYNCOPT_VERSION \
  (ASYNCOPT_VERSION_MAJOR * 10000 + ASYNCOPT_VERSION_MINOR * 100 + ASYNCOPT_VERSION_PATCH)

// "MAJOR.MINOR.PATCH", spelled from the numbers above.
// clang-format off
#define ASYNCOPT_VERSION_STRING                     \
  ASYNCOPT_VERSION_STR_(ASYNCOPT_VERSION_MAJOR) "." \
  ASYNCOPT_VERSION_STR_(ASYNCOPT_VERSION_MINOR) "." \
  ASYNCOPT_VERSION_STR_(ASYNCOPT_VERSION_PATCH)
// clang-format on
#define ASYNCOPT_VERSION_STR_(x) ASYNCOPT_VERSION_STR2_(x)
#define ASYNCOPT_VERSION_STR2_(x) #x

#if ASYNCOPT_VERSION_MINOR >= 100 || ASYNCOPT_VERSION_PATCH >= 100
#error "asyncopt: ASYNCOPT_VERSION needs MINOR and PATCH below 100"
#endif

namespace asyncopt {

// The library's own record of how it was built. `version` is the version of
// the compiled library, which may differ from ASYNCOPT_VERSION_STRING (the
// headers') when an application runs against a newer compatible library.
struct BuildInfo {
  const char* version;     // "0.1.0"
  const char* git_commit;  // short hash, "-dirty" suffix for local changes
  const char* compiler;    // "GNU-12.2.0"
  const char* build_type;  // "Release", "Debug", ...
  const char* sanitizer;   // "", "thread", "address"
};

BuildInfo GetBuildInfo();

}  // namespace asyncopt
