#!/usr/bin/env bash
# Builds the libFuzzer target for the LIBSVM reader with clang and runs it for
# a bounded time. Exits non-zero when the fuzzer finds a crash, a sanitizer
# report, a timeout or an out-of-memory input (artifacts in BUILD/artifacts/).
#
#   scripts/fuzz.sh [SECONDS=60] [extra libFuzzer flags...]
#   ASYNCOPT_FUZZ_BUILD_DIR=... overrides the build directory (build/fuzz).
set -euo pipefail

seconds="${1:-60}"
shift || true
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${ASYNCOPT_FUZZ_BUILD_DIR:-${root}/build/fuzz}"
jobs="${ASYNCOPT_FUZZ_BUILD_JOBS:-2}"

generator=()
if command -v ninja >/dev/null 2>&1; then generator=(-G Ninja); fi

CC=clang CXX=clang++ cmake -S "${root}" -B "${build}" "${generator[@]}" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DASYNCOPT_BUILD_FUZZ=ON -DASYNCOPT_BUILD_TESTS=OFF \
  -DASYNCOPT_BUILD_CLI=OFF -DASYNCOPT_BUILD_BENCH=OFF >/dev/null
cmake --build "${build}" --target fuzz_libsvm_reader -j "${jobs}"

binary="${build}/tests/fuzz/fuzz_libsvm_reader"
work_corpus="${build}/corpus"        # grows; the checked-in seeds stay small
artifacts="${build}/artifacts/"
mkdir -p "${work_corpus}" "${artifacts}"

echo "fuzzing for ${seconds}s (corpus ${work_corpus}, artifacts ${artifacts})"
status=0
"${binary}" -max_total_time="${seconds}" -timeout=5 -rss_limit_mb=2048 \
  -artifact_prefix="${artifacts}" -print_final_stats=1 "$@" \
  "${work_corpus}" "${root}/tests/fuzz/corpus" || status=$?
if [[ ${status} -ne 0 ]]; then
  echo "fuzz.sh: fuzzer failed with status ${status}; see ${artifacts}" >&2
  exit "${status}"
fi
echo "fuzz.sh: no crash in ${seconds}s"
