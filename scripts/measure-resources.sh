#!/usr/bin/env bash
# The figures deploy/kubernetes's requests and limits come from: the release server's resident
# memory idle, its peak under wrk load (POST /model/predict with a 28x28 PNG, and KServe v2 batches
# of 64 digits), CPU seconds per request, and requests/s. Prints one line per figure.
# usage: scripts/measure-resources.sh [SECONDS] [CONNECTIONS]   (defaults 15 s, 64; needs wrk)
# env:   MAX_RELEASE_BIN (default .build/dist/max-server, from scripts/build-release.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-15}"
connections="${2:-64}"
binary="${MAX_RELEASE_BIN:-.build/dist/max-server}"
[ -x "$binary" ] || { echo "measure-resources: no $binary (run scripts/build-release.sh)" >&2; exit 1; }
command -v wrk > /dev/null || { echo "measure-resources: wrk is required (apt-get install wrk)" >&2; exit 1; }
work="$(mktemp -d /tmp/measure-resources.XXXXXX)"
pid=""
cleanup() { [ -n "$pid" ] && kill -TERM "$pid" 2> /dev/null && wait "$pid" 2> /dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
MAX_WORKERS=2 "$binary" serve --host 127.0.0.1 --port "$port" --log-level warning &
pid=$!
for _ in $(seq 1 600); do
    curl -fs -o /dev/null "http://127.0.0.1:$port/health/ready" && break
    sleep 0.1
done

kib() { awk "/^$1:/ { print \$2 }" "/proc/$pid/status"; }
cpu() { awk '{ print ($14 + $15) / 100 }' "/proc/$pid/stat"; }
echo "idle resident memory: $(( $(kib VmRSS) / 1024 )) MiB"

# Bodies: a multipart upload of one 28x28 PNG, and a v2 request of 64 digits as UINT8 JSON.
python3 - "$work" samples/7_mnist_0.png <<'PY'
import json, sys
from pathlib import Path
work, sample = Path(sys.argv[1]), Path(sys.argv[2])
boundary = "measure"
body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"d.png\"\r\nContent-Type: image/png\r\n\r\n").encode() \
    + sample.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
(work / "predict.body").write_bytes(body)
pixels = [0] * 784
(work / "infer.body").write_text(json.dumps({"inputs": [{"name": "pixels", "shape": [64, 28, 28, 1], "datatype": "UINT8", "data": pixels * 64}]}))
for name, kind in [("predict", f"multipart/form-data; boundary={boundary}"), ("infer", "application/json")]:
    (work / f"{name}.lua").write_text(
        f'local f = io.open("{work}/{name}.body", "rb")\nwrk.method = "POST"\nwrk.body = f:read("*a")\nf:close()\n'
        f'wrk.headers["Content-Type"] = "{kind}"\n')
PY

run() {  # NAME PATH: wrk, then requests/s, CPU per request and peak memory so far
    local before after requests
    before=$(cpu)
    wrk -t 2 -c "$connections" -d "${seconds}s" --latency -s "$work/$1.lua" "http://127.0.0.1:$port$2" > "$work/$1.out"
    after=$(cpu)
    requests=$(awk '/requests in/ { print $1 }' "$work/$1.out")
    echo "$1 ($2, $connections connections, ${seconds} s): $(awk '/Requests\/sec/ { print $2 }' "$work/$1.out") req/s," \
         "p50 $(awk '$1 == "50%" { print $2 }' "$work/$1.out"), p99 $(awk '$1 == "99%" { print $2 }' "$work/$1.out")," \
         "$(python3 -c "print(f'{($after - $before) / max(1, $requests) * 1e6:.0f}')") us CPU per request," \
         "non-2xx: $(awk '/Non-2xx/ { print $4 }' "$work/$1.out" | grep . || echo 0)"
}
run predict /model/predict
run infer /v2/models/mnist/infer
echo "peak resident memory under load: $(( $(kib VmHWM) / 1024 )) MiB; now $(( $(kib VmRSS) / 1024 )) MiB"
echo "load while measuring: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
