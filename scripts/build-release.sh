#!/usr/bin/env bash
# Release build of max-server as the Docker image ships it: the Swift runtime linked in
# (--static-swift-stdlib), so the binary needs only libc, libstdc++ and libcurl4 at run time.
# Docker's build stage and CI both run this; it fails if the binary does not run. The copy in
# OUTPUT_DIR is stripped (symbols stay in the .build one, for profiling).
# Usage: scripts/build-release.sh [OUTPUT_DIR]   (default: .build/dist)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-.build/dist}"

swift build -c release --static-swift-stdlib --product max-server
bin_dir="$(swift build -c release --static-swift-stdlib --show-bin-path)"
mkdir -p "$out"
cp "$bin_dir/max-server" "$out/max-server"
if command -v strip > /dev/null; then strip "$out/max-server"; fi

# The binary must start and answer --help without the toolchain's libraries.
"$out/max-server" --help > /dev/null
echo "built $out/max-server ($(du -h "$out/max-server" | cut -f1))"
# Direct dependencies: libc, libm, libstdc++, libgcc_s and libcurl; never the Swift runtime.
if command -v readelf > /dev/null; then
    needed="$(readelf -d "$out/max-server" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p')"
    echo "needs: $(echo "$needed" | tr '\n' ' ')"
    if echo "$needed" | grep -q 'libswift\|libFoundation\|libdispatch'; then
        echo "error: the binary links Swift runtime libraries dynamically" >&2
        exit 1
    fi
fi
