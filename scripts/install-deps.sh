#!/usr/bin/env bash
# Installs the Debian 12 packages asyncopt needs, only those missing.
#   scripts/install-deps.sh run    build + run the CLI
#   scripts/install-deps.sh test   + test tools (GoogleTest, clang/libFuzzer, LIBLINEAR, Python)
#   scripts/install-deps.sh bench  + benchmark tools (scikit-learn, matplotlib, Google Benchmark)
set -euo pipefail
what=${1:-test}

pkgs=(build-essential g++ cmake ninja-build git pkg-config
      libtbb-dev libeigen3-dev libboost-program-options-dev
      zlib1g-dev libbz2-dev liblzma-dev xz-utils bzip2 gzip
      openmpi-bin libopenmpi-dev  # the MPI engine: the default build uses MPI when present
      libplplot-dev plplot-driver-cairo)  # the figures of `asyncopt plot` and `contention`
case "$what" in
  run) ;;
  test|bench|all)
    pkgs+=(libgtest-dev libgmock-dev clang libclang-rt-14-dev liblinear-tools
           python3 python3-numpy python3-scipy python3-sklearn python3-matplotlib
           libbenchmark-dev dpkg-dev)
    ;;
  *) echo "usage: $0 run|test|bench" >&2; exit 2 ;;
esac

missing=()
for p in "${pkgs[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#pkgs[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
