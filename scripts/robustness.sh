#!/usr/bin/env bash
# The robustness suite of issue 13: every finding of the audit (idle and slow clients, memory
# bounds, blank lines, the drain, Host rules, truncated bodies, asset faults, the access log,
# GIF/TIFF/16-bit) and the cases it found holding (limits, pipelining, slowloris, SIGTERM under
# load, malformed uploads and bombs), each one PASS/FAIL line, against a real max-server.
#
# usage: scripts/robustness.sh [--short | --full] [--only WORD ...] [--soak-minutes N]
#   --short   (default; CI) every check at a size that finishes in under 3 minutes, with a
#             30 s soak at 128 connections
#   --full    the same, and the soak of 10 minutes at 256 connections instead (RSS sampled)
# env: MAX_SERVER_BIN=path   the binary to test (default: a release build made here)
# Needs python3 (standard library only). Exits non-zero if any check fails.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${MAX_SERVER_BIN:-}" ]; then
    echo "robustness: building max-server (release)..." >&2
    swift build -c release --product max-server >/dev/null
    MAX_SERVER_BIN="$(swift build -c release --show-bin-path)/max-server"
fi
[ -x "$MAX_SERVER_BIN" ] || { echo "robustness: no executable at $MAX_SERVER_BIN" >&2; exit 2; }
command -v python3 >/dev/null || { echo "robustness: python3 is required" >&2; exit 2; }

# The checks open over 2,000 sockets (1,030 silent ones, 1,000 partial uploads).
hard_limit="$(ulimit -Hn)"
if [ "$hard_limit" = "unlimited" ] || [ "$hard_limit" -gt 8192 ]; then ulimit -n 8192; else ulimit -n "$hard_limit"; fi
if [ "$(ulimit -n)" -lt 2300 ]; then
    echo "robustness: only $(ulimit -n) file descriptors available; 2300 are needed" >&2
    exit 2
fi

exec python3 scripts/robustness/suite.py --bin "$MAX_SERVER_BIN" "$@"
