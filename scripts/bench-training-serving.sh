#!/usr/bin/env bash
# Does training slow serving down? POST /model/predict latency at 16 connections (wrk, 2
# threads, a 28x28 JPEG digit as multipart) with no training job, then while a job trains
# (POST /model/train, mnist_cnn on ../shared/data at the configured niceness), then idle again.
# Prints requests/s, p50 and p99 of each phase and the ratio p99 while training / p99 idle
# (issue 11's target: at most 2). One server (release build) for every phase, on a free port.
#
# usage: scripts/bench-training-serving.sh [SECONDS]   (default 10 s per phase; needs wrk, curl)
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${1:-10}"
DATA="../shared/data"
WORK="$(mktemp -d /tmp/bench-training-serving.XXXXXX)"
SERVER_PID=""
cleanup() {
    [ -n "$SERVER_PID" ] && kill -TERM "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

for tool in wrk curl python3; do
    command -v "$tool" >/dev/null || { echo "bench-training-serving: '$tool' is required (apt-get install wrk curl)" >&2; exit 1; }
done
[ -f "$DATA/mnist_train.csv.gz" ] || { echo "bench-training-serving: $DATA/mnist_train.csv.gz is missing" >&2; exit 1; }

echo "building max-server (release)..."
swift build -c release --product max-server >/dev/null
BIN="$(swift build -c release --show-bin-path)/max-server"
PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
BASE="http://127.0.0.1:$PORT"
MAX_TRAINING=true MAX_TRAINING_DATA="$DATA/mnist_train.csv.gz" MAX_TRAINING_TEST_DATA="$DATA/mnist_test.csv.gz" \
MAX_TRAINING_OUTPUT_DIRECTORY="$WORK/trained" \
    "$BIN" serve --host 127.0.0.1 --port "$PORT" --log-level warning 2>"$WORK/server.log" &
SERVER_PID=$!
for _ in $(seq 1 300); do
    curl -fsS -o /dev/null --max-time 1 "$BASE/health/ready" 2>/dev/null && break
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "bench-training-serving: server exited; log:" >&2; cat "$WORK/server.log" >&2; exit 1; }
    sleep 0.1
done

# The multipart body wrk sends with every request, and the Lua script that sends it.
python3 - "$WORK" <<'PY'
import sys
work = sys.argv[1]
image = open("samples/8_mnist_2.jpg", "rb").read()
body = (b"--bench\r\nContent-Disposition: form-data; name=\"image\"; filename=\"8.jpg\"\r\n"
        b"Content-Type: image/jpeg\r\n\r\n" + image + b"\r\n--bench--\r\n")
open(f"{work}/body", "wb").write(body)
open(f"{work}/post.lua", "w").write(
    'wrk.method = "POST"\n'
    'wrk.headers["Content-Type"] = "multipart/form-data; boundary=bench"\n'
    f'local f = io.open("{work}/body", "rb"); wrk.body = f:read("*all"); f:close()\n')
PY
echo "one answer: $(curl -fsS -F 'image=@samples/8_mnist_2.jpg;type=image/jpeg' "$BASE/model/predict")"

phase() {  # NAME: runs wrk, keeps its output, prints a summary line
    wrk -t2 -c16 -d"${DURATION}s" --latency -s "$WORK/post.lua" "$BASE/model/predict" > "$WORK/wrk-$1.txt" 2>&1
    python3 - "$WORK/wrk-$1.txt" "$1" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
def ms(label):
    m = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    value, unit = float(m.group(1)), m.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
rate = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
print(f"{sys.argv[2]:9} {rate:9.1f} req/s  p50 {ms(50):8.2f} ms  p99 {ms(99):8.2f} ms  non-2xx {errors.group(1) if errors else 0}")
open(sys.argv[1] + ".p99", "w").write(str(ms(99)))
PY
}

job_status() { curl -fsS "$BASE/model/train/$1" | python3 -c 'import json, sys; d = json.load(sys.stdin); print(d["status"], d.get("current_epoch", 0), d.get("batch", 0))'; }

echo "uptime: $(uptime)"
echo "phase      throughput     latency at 16 connections, ${DURATION} s each"
phase idle
key="$(curl -fsS -H 'Content-Type: application/json' \
    -d '{"network": "mnist_cnn", "train_args": {"epochs": 50, "batch_size": 64, "optimizer": "adam"}}' \
    "$BASE/model/train" | python3 -c 'import json, sys; print(json.load(sys.stdin)["key"])')"
for _ in $(seq 1 100); do
    read -r state epoch batch <<<"$(job_status "$key")"
    [ "$state" = training_in_progress ] && [ "$batch" -gt 0 ] && break
    sleep 0.2
done
[ "$state" = training_in_progress ] || { echo "bench-training-serving: the job did not start ($state)" >&2; exit 1; }
phase training
read -r state epoch batch <<<"$(job_status "$key")"
echo "          (job $key: $state, epoch $epoch, batch $batch when the phase ended)"
[ "$state" = training_in_progress ] || { echo "bench-training-serving: the job stopped during the phase ($state)" >&2; exit 1; }
curl -fsS -o /dev/null -X DELETE "$BASE/model/train/$key"
for _ in $(seq 1 100); do
    read -r state epoch batch <<<"$(job_status "$key")"
    [ "$state" = cancelled ] && break
    sleep 0.2
done
phase idle2
echo "uptime: $(uptime)"
python3 - "$WORK" <<'PY'
import sys
p99 = {name: float(open(f"{sys.argv[1]}/wrk-{name}.txt.p99").read()) for name in ("idle", "training", "idle2")}
idle = (p99["idle"] + p99["idle2"]) / 2
print(f"p99 while training / p99 idle (mean of both idle phases): {p99['training'] / idle:.2f} (target <= 2)")
PY
