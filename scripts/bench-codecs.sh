#!/usr/bin/env bash
# Decode time per image, our decoder (release build, `max-server decode --bench`) beside Pillow
# decoding the same bytes in the same run: a 28x28 grayscale JPEG, a 28x28 PNG and the 227x149
# colour JPEG from ../shared/conformance/jpeg. Targets: 28x28 under 10 us; the photo within 2x of
# Pillow. JPEG rows say "not built" until the JPEG decoder is wired into ImageDecoder.
# Usage: scripts/bench-codecs.sh [RUNS]   (default 20000 decodes per small file)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20000}
corpus=../shared/conformance/jpeg
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

swift build -c release --product max-server >/dev/null
server=$(swift build -c release --show-bin-path)/max-server

# The 28x28 PNG: the MNIST-sized JPEG's pixels re-encoded as PNG by Pillow (made per run,
# never committed), so both small rows show the same digit.
digit_jpeg="$corpus/digit_gray_q90.jpg"
photo_jpeg="$corpus/q75_420.jpg"
[ -f "$digit_jpeg" ] || digit_jpeg=""
[ -f "$photo_jpeg" ] || photo_jpeg=""
python3 - "$digit_jpeg" "$work/digit28.png" <<'PY'
import sys
from PIL import Image
source, out = sys.argv[1], sys.argv[2]
im = Image.open(source).convert("L") if source else Image.new("L", (28, 28), 0)
im.resize((28, 28)).save(out)
PY

pillow_us() {  # mean microseconds for Pillow to open + load the file
    python3 - "$1" "$2" <<'PY'
import io, sys, time
from PIL import Image
data = open(sys.argv[1], "rb").read()
runs = int(sys.argv[2])
start = time.perf_counter()
for _ in range(runs):
    Image.open(io.BytesIO(data)).load()
print(f"{(time.perf_counter() - start) / runs * 1e6:.2f}")
PY
}

printf "%-28s %10s %12s %12s\n" "file" "size" "ours (us)" "Pillow (us)"
for entry in "28x28 grayscale JPEG:$digit_jpeg:$runs" "28x28 PNG:$work/digit28.png:$runs" "227x149 colour JPEG:$photo_jpeg:$((runs / 20))"; do
    IFS=: read -r label file count <<<"$entry"
    if [ -z "$file" ] || [ ! -f "$file" ]; then
        printf "%-28s %10s %12s %12s\n" "$label" "-" "missing" "-"
        continue
    fi
    size=$(python3 -c "from PIL import Image; import sys; print('%dx%d' % Image.open(sys.argv[1]).size)" "$file")
    if output=$("$server" decode "$file" --bench "$count" 2>&1); then
        ours=$(sed -n 's/.*mean \([0-9.]*\) us.*/\1/p' <<<"$output")
    else
        ours="not built"
    fi
    printf "%-28s %10s %12s %12s\n" "$label" "$size" "$ours" "$(pillow_us "$file" "$count")"
done
