#!/usr/bin/env bash
# POST /model/predict latency of the MNIST plugin (release build): N requests over ONE kept-alive
# connection (a single curl process, so no process start-up is timed) for a 28x28 JPEG digit and
# for the 400x300 PNG photo. Prints median, p90 and p99 of curl's per-request total time.
#
# usage: scripts/bench-predict.sh [N]     (default 1000)
set -euo pipefail
cd "$(dirname "$0")/.."

N="${1:-1000}"
WORK="$(mktemp -d /tmp/bench-predict.XXXXXX)"
SERVER_PID=""
cleanup() {
    [ -n "$SERVER_PID" ] && kill -TERM "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

for tool in curl python3; do
    command -v "$tool" >/dev/null || { echo "bench-predict: '$tool' is required" >&2; exit 1; }
done

echo "building max-server (release)..."
swift build -c release --product max-server >/dev/null
BIN="$(swift build -c release --show-bin-path)/max-server"
PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
"$BIN" serve --host 127.0.0.1 --port "$PORT" --log-level warning 2>"$WORK/server.log" &
SERVER_PID=$!
URL="http://127.0.0.1:$PORT/model/predict"
for _ in $(seq 1 200); do
    curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$PORT/model/metadata" 2>/dev/null && break
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "bench-predict: server exited; log:" >&2; cat "$WORK/server.log" >&2; exit 1; }
    sleep 0.1
done

bench() {  # FILE CONTENT-TYPE
    local file="$1" type="$2"
    echo "$file: $(curl -fsS -F "file=@$file;type=$type" "$URL")"
    # One curl, N transfers of the same form: curl reuses the connection for every URL.
    : > "$WORK/urls"
    for _ in $(seq 1 "$N"); do printf "url = \"%s\"\noutput = \"/dev/null\"\n" "$URL" >> "$WORK/urls"; done
    curl -sS -K "$WORK/urls" -F "file=@$file;type=$type" -w '%{time_total} %{num_connects}\n' > "$WORK/times"
    python3 - "$WORK/times" "$file" <<'PY'
import sys, statistics
rows = [line.split() for line in open(sys.argv[1]) if line.strip()]
times = sorted(float(r[0]) * 1000 for r in rows)
connects = sum(int(r[1]) for r in rows)
q = lambda p: times[min(len(times) - 1, int(p * len(times)))]
print(f"  {len(times)} requests, {connects} connection(s): median {statistics.median(times):.3f} ms, "
      f"p90 {q(0.9):.3f} ms, p99 {q(0.99):.3f} ms")
PY
}

bench samples/8_mnist_2.jpg image/jpeg
bench samples/3_photo_dark_on_light.png image/png
