#!/usr/bin/env bash
# Inflate throughput of the Compression module against Python's zlib (C zlib) on the same
# ~10 MB of mixed data (text, float32 weights, image-like rows), side by side in one run.
#
# Usage: scripts/bench-inflate.sh [LEVEL]      (zlib level used to make the stream, default 6)
#
# Builds scripts/bench/CompressionBenchmark.swift with Sources/Compression/*.swift into
# .build-bench/ with -O (one module, no SwiftPM), writes the test stream there, and prints MB/s
# of decompressed output for each side (best of 5), then compression speed and ratio of
# Deflate against zlib, and checks that Python's zlib decodes Deflate's output. ~1 min, one core.
set -euo pipefail
cd "$(dirname "$0")/.."
level="${1:-6}"
out=.build-bench
mkdir -p "$out"

python3 - "$out/bench.zz" "$level" <<'PY'
import random, struct, sys, zlib, math
rng = random.Random(7)
words = "model weights layer tensor kernel image pixel digit inflate deflate huffman stream".split()
parts = []
text = " ".join(rng.choice(words) for _ in range(400_000)).encode()[: 3_000_000]
parts.append(text)
# float32 weights: smooth values, like a trained kernel (compresses modestly)
parts.append(struct.pack("<750000f", *(math.sin(i / 50.0) * 0.1 + rng.gauss(0, 0.01) for i in range(750_000))))
# image-like rows: gradients and flat areas, as PNG filtering leaves them
row = bytearray()
for y in range(2000):
    row += bytes(((x * y) >> 6) & 0xFF if (x // 64 + y // 64) % 2 else 0 for x in range(2000))
parts.append(bytes(row[: 4_000_000]))
data = b"".join(parts)
stream = zlib.compress(data, int(sys.argv[2]))
open(sys.argv[1], "wb").write(stream)
import time
best = min((lambda t: (zlib.decompress(stream), time.perf_counter() - t)[1])(time.perf_counter()) for _ in range(5))
print(f"stream: {len(stream)} bytes -> {len(data)} bytes (zlib level {sys.argv[2]})")
print(f"{'python zlib.decompress':44} {len(data) / best / 1e6:8.1f} MB/s  ({len(data)} bytes in {best * 1000:.1f} ms)")
best = min((lambda t: (zlib.crc32(data), time.perf_counter() - t)[1])(time.perf_counter()) for _ in range(5))
print(f"{'python zlib.crc32':44} {len(data) / best / 1e6:8.1f} MB/s")
best = min((lambda t: (zlib.adler32(data), time.perf_counter() - t)[1])(time.perf_counter()) for _ in range(5))
print(f"{'python zlib.adler32':44} {len(data) / best / 1e6:8.1f} MB/s")
for lvl in (1, 6, 9):
    t = time.perf_counter(); c = zlib.compress(data, lvl); s = time.perf_counter() - t
    print(f"{'python zlib.compress level %d (ratio %.3f)' % (lvl, len(c) / len(data)):44} {len(data) / s / 1e6:8.1f} MB/s")
PY

defines=()
if grep -qs "public enum Deflate" Sources/Compression/*.swift; then defines=(-D COMPRESSION_BENCH_DEFLATE); fi
swiftc -O -wmo -parse-as-library -module-name CompressionBench "${defines[@]}" \
    Sources/Compression/*.swift scripts/bench/CompressionBenchmark.swift -o "$out/compression-bench"
"$out/compression-bench" "$out/bench.zz"

if [ ${#defines[@]} -gt 0 ]; then
    python3 - "$out" <<'PY'
import sys, zlib
original = zlib.decompress(open(sys.argv[1] + "/bench.zz", "rb").read())
for level in (1, 6, 9):
    ok = zlib.decompress(open(f"{sys.argv[1]}/swift-level{level}.zz", "rb").read()) == original
    print(f"python zlib decodes swift Deflate level {level}: {'identical' if ok else 'MISMATCH'}")
    if not ok:
        sys.exit(1)
PY
fi
