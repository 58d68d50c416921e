#!/usr/bin/env bash
# ThreadSanitizer only understands synchronisation it can see: Debian's
# libtbb.so is not instrumented, so TSan reports false races inside oneTBB's
# own scheduler. This builds the SAME oneTBB version from Debian's source
# package with TBB_SANITIZE=thread into build/deps/tbb-tsan (once; reused
# while the version matches). The tsan preset points TBB_DIR there.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
prefix="$root/build/deps/tbb-tsan"
version=$(dpkg-query -W -f='${Version}' libtbb-dev)
if [[ -f "$prefix/.version" && "$(cat "$prefix/.version")" == "$version" ]]; then
  echo "build-tbb-tsan: instrumented oneTBB $version already in $prefix"
  exit 0
fi
work="$root/build/deps/tbb-src"
rm -rf "$work" "$prefix"
mkdir -p "$work/parts" "$work/lists/partial"
cat > "$work/parts/debian-src.sources" <<SRC
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
# A private source list: the machine's apt configuration is left untouched.
aptopts=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$work/parts"
         -o "Dir::State::Lists=$work/lists")
apt-get "${aptopts[@]}" update -qq
(cd "$work" && apt-get "${aptopts[@]}" source --download-only "onetbb=$version" >/dev/null 2>&1 \
  || apt-get "${aptopts[@]}" source --download-only onetbb >/dev/null)
tarball=$(ls "$work"/onetbb_*.orig.tar.* | head -n 1)
tar -C "$work" -xf "$tarball"
src=$(find "$work" -maxdepth 1 -type d -iname 'onetbb-*' | head -n 1)
cmake -S "$src" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DTBB_TEST=OFF -DTBB_EXAMPLES=OFF -DTBB_STRICT=OFF -DTBBMALLOC_BUILD=OFF \
  -DTBB_SANITIZE=thread -DCMAKE_INSTALL_PREFIX="$prefix" >/dev/null
cmake --build "$work/build" -j"$(nproc)" >/dev/null
cmake --install "$work/build" >/dev/null
echo "$version" > "$prefix/.version"
rm -rf "$work"
echo "build-tbb-tsan: instrumented oneTBB $version installed in $prefix"
