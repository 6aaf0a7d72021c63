#!/usr/bin/env bash
# Instructions the server spends per request, counted by callgrind: a stable figure beside
# scripts/bench-http.sh's wall-clock one on a busy machine. Each binary runs under
# `valgrind --tool=callgrind` twice, answering 0 and N requests (GET /model/metadata, or
# POST /model/predict of samples/digit-8.png with --predict) over one kept-alive connection;
# the difference divided by N is the per-request cost, start-up and shutdown cancelled out.
#
# usage: scripts/bench-http-callgrind.sh [--predict] [-n N] BINARY...
#        (default N=2000; e.g. an old and a new max-server side by side)
set -euo pipefail
cd "$(dirname "$0")/.."
path="/model/metadata"
count=2000
while [ $# -gt 0 ]; do
    case "$1" in
        --predict) path="/model/predict"; shift ;;
        -n) count="$2"; shift 2 ;;
        *) break ;;
    esac
done
[ $# -gt 0 ] || { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
command -v valgrind >/dev/null || { echo "bench-http-callgrind: valgrind is required (apt-get install valgrind)" >&2; exit 1; }
work="$(mktemp -d /tmp/bench-callgrind.XXXXXX)"
trap 'rm -rf "$work"' EXIT

# Runs BINARY under callgrind, sends N requests, stops it; prints the instructions counted.
instructions() {
    local binary="$1" requests="$2" port
    port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
    MAX_HOST=127.0.0.1 MAX_PORT="$port" MAX_LOG_LEVEL=warning valgrind --tool=callgrind \
        --callgrind-out-file="$work/out.%p" "$binary" serve >"$work/log" 2>&1 &
    local pid=$!
    python3 - "$port" "$requests" "$path" <<'PY'
import os, socket, sys, time
port, count, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
deadline = time.time() + 300
while True:
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=60)
        break
    except OSError:
        if time.time() > deadline:
            sys.exit("the server did not start")
        time.sleep(0.5)
if path == "/model/predict":
    payload = open("samples/digit-8.png", "rb").read()
    boundary = "bench-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"d.png\"\r\n"
            f"Content-Type: image/png\r\n\r\n").encode() + payload + f"\r\n--{boundary}--\r\n".encode()
    request = (f"POST {path} HTTP/1.1\r\nHost: b\r\nContent-Type: multipart/form-data; boundary={boundary}\r\n"
               f"Content-Length: {len(body)}\r\n\r\n").encode() + body
else:
    request = f"GET {path} HTTP/1.1\r\nHost: b\r\n\r\n".encode()
for _ in range(count):
    sock.sendall(request)
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, rest = data.split(b"\r\n\r\n", 1)
    length = int([line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")][0])
    while len(rest) < length:
        rest += sock.recv(65536)
sock.close()
PY
    kill -TERM "$pid"
    wait "$pid" || true
    grep -h "^summary:" "$work"/out.* | awk '{ total += $2 } END { print total }'
    rm -f "$work"/out.*
}

printf '%-50s %16s %16s %14s\n' binary "instr (0 req)" "instr ($count req)" "instr/request"
for binary in "$@"; do
    idle="$(instructions "$binary" 0)"
    busy="$(instructions "$binary" "$count")"
    printf '%-50s %16s %16s %14s\n' "$binary" "$idle" "$busy" "$(( (busy - idle) / count ))"
done
