#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls exactly this):
# installs what is missing, then builds and runs every test in Release, under
# ThreadSanitizer and under AddressSanitizer + UBSan, then a short libFuzzer
# run of the LIBSVM reader. Fails on the first failing stage.
#   scripts/test.sh [release tsan asan fuzz]   (default: all four)
set -euo pipefail
cd "$(dirname "$0")/.."
stages=("$@")
((${#stages[@]})) || stages=(release tsan asan fuzz)
jobs=$(nproc)
log=build/test-logs
mkdir -p "$log"
scripts/install-deps.sh test

passed=0; failed=0
run_ctest() {  # preset
  local preset=$1
  cmake --preset "$preset" >"$log/$preset-configure.log" 2>&1 || { cat "$log/$preset-configure.log"; return 1; }
  cmake --build --preset "$preset" -j"$jobs" 2>&1 | tail -n 3
  set +e
  ctest --preset "$preset" -j"$jobs" 2>&1 | tee "$log/$preset-ctest.log"
  local rc=${PIPESTATUS[0]}
  set -e
  local line
  line=$(grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' "$log/$preset-ctest.log" | tail -n 1 || true)
  if [[ -n "$line" ]]; then
    local total nfail
    total=$(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$line")
    nfail=$(sed -E 's/.*tests passed, ([0-9]+) tests failed.*/\1/' <<<"$line")
    passed=$((passed + total - nfail)); failed=$((failed + nfail))
  fi
  return "$rc"
}

status=0
for stage in "${stages[@]}"; do
  echo "=== test stage: $stage ==="
  case "$stage" in
    release|asan) run_ctest "$stage" || status=1 ;;
    tsan) scripts/build-tbb-tsan.sh && run_ctest tsan || status=1 ;;
    fuzz) if scripts/fuzz.sh 60; then passed=$((passed + 1)); else failed=$((failed + 1)); status=1; fi ;;
    *) echo "unknown stage $stage" >&2; exit 2 ;;
  esac
  ((status == 0)) || break
done
echo "$passed passed, $failed failed"
exit "$status"
