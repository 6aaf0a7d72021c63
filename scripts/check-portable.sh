#!/usr/bin/env bash
# Proves the portable path: runs a max-server binary under qemu-user emulating a Nehalem (SSE4.2,
# no AVX, AVX2 or AVX-512), which passes this machine's /proc/cpuinfo through unchanged. The
# binary must notice (its kernel probe faults), choose the portable kernels, say so in its log,
# and still read the digit; MAX_CPU=avx2 must be refused with a clear message, not a SIGILL.
#   scripts/check-portable.sh [BINARY]   (default .build/dist/max-server; needs qemu-user)
set -euo pipefail
cd "$(dirname "$0")/.."
binary="${1:-.build/dist/max-server}"
command -v qemu-x86_64 > /dev/null || { echo "check-portable: qemu-x86_64 is required (apt-get install qemu-user)" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# emulate LOG COMMAND...: runs COMMAND on the emulated CPU, its stderr (without qemu's notes
# about host features it cannot emulate) into LOG.
emulate() {
    local log="$1" status=0
    shift
    qemu-x86_64 -cpu Nehalem "$@" 2> "$work/stderr" || status=$?
    grep -v "TCG doesn't support" "$work/stderr" > "$log" || true
    return "$status"
}

answer="$(emulate "$work/log" "$binary" predict samples/8_mnist_2.jpg)"
cat "$work/log"
echo "$answer"
grep -q '"prediction": 8' <<<"$answer" || { echo "check-portable: expected digit 8" >&2; exit 1; }
grep -q 'CPU: portable kernels' "$work/log" || { echo "check-portable: the portable kernels were not chosen" >&2; exit 1; }

if MAX_CPU=avx2 emulate "$work/refused" "$binary" predict samples/8_mnist_2.jpg > /dev/null; then
    echo "check-portable: MAX_CPU=avx2 was accepted on a CPU without AVX2" >&2
    exit 1
fi
cat "$work/refused"
grep -q 'MAX_CPU=avx2: this CPU cannot run it' "$work/refused" || { echo "check-portable: no clear refusal" >&2; exit 1; }
echo "check-portable: OK"
