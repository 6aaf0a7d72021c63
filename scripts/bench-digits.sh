#!/usr/bin/env bash
# Time of reading digits, per request, on one core (release build): the whole pipeline of
# POST /model/predict without HTTP (decode, find, normalise, one batch through the model,
# JSON), via `max-server predict --bench`, for the 400x300 sheet with ten digits beside one
# 28x28 digit and a 400x300 photo of one digit. Then callgrind's instruction count per request
# for the same files: a figure that does not move with the machine's load.
#
# usage: scripts/bench-digits.sh [RUNS]      (default 200 requests per round, 5 rounds)
#        NO_CALLGRIND=1 scripts/bench-digits.sh   (skip the valgrind part)
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS="${1:-200}"
FILES=(samples/sheet_ten_digits.png samples/8_mnist_2.jpg samples/3_photo_dark_on_light.png)

echo "building max-server (release)..."
swift build -c release --product max-server >/dev/null
BIN="$(swift build -c release --show-bin-path)/max-server"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"

for file in "${FILES[@]}"; do
    "$BIN" predict --log-level warning --bench "$RUNS" "$file" | tail -1
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

if [ -n "${NO_CALLGRIND:-}" ]; then exit 0; fi
command -v valgrind >/dev/null || { echo "bench-digits: valgrind not installed; skipping instruction counts" >&2; exit 0; }
WORK="$(mktemp -d /tmp/bench-digits.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
instructions() {  # FILE RUNS -> total instructions of `predict --bench RUNS FILE`
    valgrind --tool=callgrind --callgrind-out-file="$WORK/out" "$BIN" predict --log-level warning --bench "$2" "$1" \
        >/dev/null 2>"$WORK/log"
    sed -n 's/^summary: //p' "$WORK/out"
}
for file in "${FILES[@]}"; do
    few="$(instructions "$file" 2)"
    many="$(instructions "$file" 6)"
    # --bench N runs 5 rounds of N: the difference is 20 requests, start-up cancels out.
    python3 -c "import sys; print(f'callgrind {sys.argv[1]}: {(int(sys.argv[3]) - int(sys.argv[2])) / 20 / 1e6:.2f} M instructions per request')" \
        "$file" "$few" "$many"
done
