// asyncopt: version and build provenance (recorded in every run summary).
#pragma once

namespace asyncopt {

struct BuildInfo {
  const char* version;     // "0.1.0"
  const char* git_commit;  // short hash, "-dirty" suffix for local changes
  const char* compiler;    // "GNU-12.2.0"
  const char* build_type;  // "Release", "Debug", ...
  const char* sanitizer;   // "", "thread", "address"
};

BuildInfo GetBuildInfo();

}  // namespace asyncopt
