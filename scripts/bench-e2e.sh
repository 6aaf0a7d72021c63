#!/usr/bin/env bash
# End-to-end: POST /model/predict with a 28x28 JPEG digit under wrk, our server (the stripped
# release binary, scripts/build-release.sh) against FastAPI + ONNX Runtime + Pillow serving the same
# model and image, in one run:
#   - ours with the default model (built in, assets/mnist_cnn.h5) and with the MAX-MNIST-shaped
#     model (../shared/conformance/keras/k2_mnist_cnn.h5, or a random-weight copy of that
#     architecture when ../shared is absent);
#   - FastAPI + ONNX Runtime on each of them (1 and 2 uvicorn workers, the better one counts).
# For each, at every connection count: requests/s, p50 and p99 latency, server CPU per request
# (its process tree's CPU time over the run / requests answered), resident memory at the end of the
# run (VmRSS, whole process tree), errors; then start-up to first answer (median of 5 starts, from
# exec to the first 200 of POST /model/predict) and the ratios the issue's targets name.
# wrk runs on the same machine (2 cores here), so it takes its share of the CPU from every server
# alike. `uptime` is printed before and after: on a busy machine figures are low and noisy.
#
#   scripts/bench-e2e.sh [SECONDS] [CONNECTIONS...]     (defaults: 10 s; 64 256)
# env: E2E_BATCH=16   also run ours on the default model with dynamic batching (max_batch_size 16)
#      E2E_SKIP_FASTAPI=1   ours only
#      E2E_BIN=path   measure this binary (scripts/build-release.sh's) instead of building one
# On a machine busy with other work, run the whole script at a high CPU share (e.g. a cgroup v1
# cpu group with cpu.shares 262144) and say so: wrk and the servers then get the cores.
# Needs: wrk, curl, python3 with tf-keras, tf2onnx, onnxruntime, pillow, fastapi, uvicorn,
# python-multipart (pip install fastapi uvicorn python-multipart). Never needed at run time.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-10}"
shift || true
CONNECTIONS=("${@:-64 256}")
read -r -a CONNECTIONS <<<"${CONNECTIONS[*]}"
IMAGE="samples/8_mnist_2.jpg"
PORT_OURS=5301
PORT_FASTAPI=5302
WORK="$(mktemp -d /tmp/bench-e2e.XXXXXX)"
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

for tool in wrk curl python3; do
    command -v "$tool" >/dev/null || { echo "bench-e2e: '$tool' is required" >&2; exit 1; }
done

if [ -n "${E2E_BIN:-}" ]; then
    BIN="$E2E_BIN"
    echo "using $BIN (E2E_BIN; made by scripts/build-release.sh?)"
else
    echo "building the release binary (scripts/build-release.sh)..."
    scripts/build-release.sh "$WORK/dist" > "$WORK/build.log" 2>&1 || { cat "$WORK/build.log" >&2; exit 1; }
    BIN="$WORK/dist/max-server"
    echo "$(grep '^built' "$WORK/build.log")"
fi
echo "stripped: $(file -b "$BIN" | grep -o 'not stripped\|stripped' | head -1)"

# The models as Keras .h5 (ours) and ONNX (ORT), from the same weights.
MAXMNIST_H5="../shared/conformance/keras/k2_mnist_cnn.h5"
TF_CPP_MIN_LOG_LEVEL=3 TF_USE_LEGACY_KERAS=1 python3 - "$WORK" "$MAXMNIST_H5" <<'PY' 2>"$WORK/convert.log" || { cat "$WORK/convert.log" >&2; exit 1; }
import os, sys
import numpy as np
import tf_keras as keras, tensorflow as tf, tf2onnx
work, maxmnist = sys.argv[1], sys.argv[2]
if os.path.exists(maxmnist):
    model = keras.models.load_model(maxmnist, compile=False)
else:  # MAX-MNIST's architecture with seeded random weights
    L = keras.layers
    model = keras.Sequential([L.Conv2D(32, 3, activation="relu", input_shape=(28, 28, 1)), L.MaxPooling2D(2),
                              L.Conv2D(64, 3, activation="relu"), L.MaxPooling2D(2), L.Flatten(), L.Dropout(0.5),
                              L.Dense(10, activation="softmax")])
    rng = np.random.default_rng(1)
    for layer in model.layers:
        if layer.get_weights():
            layer.set_weights([rng.normal(0, 0.05, w.shape).astype("float32") for w in layer.get_weights()])
model.save(os.path.join(work, "maxmnist.h5"))
default = keras.models.load_model("assets/mnist_cnn.h5", compile=False)
for name, m in (("maxmnist", model), ("default", default)):
    tf2onnx.convert.from_keras(m, input_signature=(tf.TensorSpec((None, 28, 28, 1), tf.float32, name="input"),),
                               output_path=os.path.join(work, name + ".onnx"))
PY

# FastAPI + ONNX Runtime + Pillow: MAX-MNIST's route and answer, one ORT thread per worker.
cat > "$WORK/fastapi_app.py" <<'PY'
import io, os
import numpy as np, onnxruntime as ort
from fastapi import FastAPI, File, UploadFile
from PIL import Image

options = ort.SessionOptions()
options.intra_op_num_threads = 1
options.inter_op_num_threads = 1
session = ort.InferenceSession(os.environ["ONNX_MODEL"], options, providers=["CPUExecutionProvider"])
input_name = session.get_inputs()[0].name
app = FastAPI()

@app.post("/model/predict")
def predict(file: UploadFile = File(...)):
    image = Image.open(io.BytesIO(file.file.read())).convert("L")
    if image.size != (28, 28):
        image = image.resize((28, 28))
    pixels = np.asarray(image, dtype=np.float32).reshape(1, 28, 28, 1)
    scores = session.run(None, {input_name: pixels})[0][0]
    best = int(scores.argmax())
    return {"status": "ok", "predictions": [{"prediction": best, "probability": float(scores[best])}]}
PY

cat > "$WORK/post.lua" <<'LUA'
local file = io.open(os.getenv("BENCH_IMAGE"), "rb")
local data = file:read("*all")
file:close()
local boundary = "----max-swift-bench"
wrk.method = "POST"
wrk.headers["Content-Type"] = "multipart/form-data; boundary=" .. boundary
wrk.body = "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"digit.jpg\"\r\n"
    .. "Content-Type: image/jpeg\r\n\r\n" .. data .. "\r\n--" .. boundary .. "--\r\n"
LUA

# CPU seconds (user + system) and resident KiB of a process and all its descendants.
cat > "$WORK/proctree.py" <<'PY'
import os, sys
def children(pid):
    kids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                kids.append(int(entry))
    return kids
def tree(pid):
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        todo += children(p)
    return pids
ticks = os.sysconf("SC_CLK_TCK")
cpu = rss = 0
for p in tree(int(sys.argv[1])):
    try:
        fields = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()
        cpu += (int(fields[11]) + int(fields[12])) / ticks
        for line in open(f"/proc/{p}/status"):
            if line.startswith("VmRSS:"):
                rss += int(line.split()[1])
    except OSError:
        pass
print(f"{cpu:.3f} {rss}")
PY

# Start-up to first answer: exec to the first 200 of POST /model/predict, median of 5, in ms.
cat > "$WORK/startup.py" <<'PY'
import http.client, os, statistics, subprocess, sys, time
port, command = int(sys.argv[1]), sys.argv[2:]
image = open(os.environ["BENCH_IMAGE"], "rb").read()
boundary = "----max-swift-bench"
body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"digit.jpg\"\r\n"
        f"Content-Type: image/jpeg\r\n\r\n").encode() + image + f"\r\n--{boundary}--\r\n".encode()
times = []
for _ in range(5):
    start = time.perf_counter()
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while True:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("POST", "/model/predict", body, {"Content-Type": f"multipart/form-data; boundary={boundary}"})
            if connection.getresponse().status == 200:
                break
        except OSError:
            pass
        if server.poll() is not None:
            sys.exit(f"the server exited during start-up ({server.returncode})")
        if time.perf_counter() - start > 60:
            sys.exit("no answer within 60 s")
        time.sleep(0.0005)
    times.append((time.perf_counter() - start) * 1000)
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:  # a server that misses SIGTERM must not stall the benchmark
        print(f"warning: start {len(times)}: the server did not exit within 10 s of SIGTERM; killed", file=sys.stderr)
        server.kill()
        server.wait()
print(f"{statistics.median(times):.1f}")
PY
export BENCH_IMAGE="$IMAGE"

wait_ready() {  # PORT PID
    for _ in $(seq 1 600); do
        if curl -fsS -o /dev/null --max-time 1 -F "file=@$IMAGE;type=image/jpeg" "http://127.0.0.1:$1/model/predict" 2>/dev/null; then
            return 0
        fi
        kill -0 "$2" 2>/dev/null || { echo "bench-e2e: the server exited; its log:" >&2; cat "$WORK/server.log" >&2; exit 1; }
        sleep 0.1
    done
    echo "bench-e2e: no answer within 60 s" >&2
    exit 1
}

stop_server() {
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}

RESULTS="$WORK/results"
: > "$RESULTS"
# measure NAME PORT: wrk at each connection count against the running $SERVER_PID.
measure() {
    local name="$1" port="$2" connections output before after requests rps p50 p99 errors cpu_us rss
    echo "  $name: $(curl -fsS -F "file=@$IMAGE;type=image/jpeg" "http://127.0.0.1:$port/model/predict")"
    for connections in "${CONNECTIONS[@]}"; do
        # A short warm-up at this concurrency, then the measured run.
        wrk -t2 -c"$connections" -d2s -s "$WORK/post.lua" "http://127.0.0.1:$port/model/predict" > /dev/null 2>&1 || true
        before="$(python3 "$WORK/proctree.py" "$SERVER_PID")"
        output="$(wrk -t2 -c"$connections" -d"${DURATION}s" --latency -s "$WORK/post.lua" "http://127.0.0.1:$port/model/predict" 2>&1)"
        after="$(python3 "$WORK/proctree.py" "$SERVER_PID")"
        requests="$(awk '/requests in/ {print $1}' <<<"$output")"
        rps="$(awk '/Requests\/sec/ {print $2}' <<<"$output")"
        p50="$(awk '$1 == "50%" {print $2}' <<<"$output")"
        p99="$(awk '$1 == "99%" {print $2}' <<<"$output")"
        errors="$(awk '/Socket errors/ {sub(/.*Socket errors: /, ""); print}' <<<"$output")"
        non2xx="$(awk '/Non-2xx/ {print $NF}' <<<"$output")"
        cpu_us="$(awk -v a="${before% *}" -v b="${after% *}" -v n="$requests" 'BEGIN { printf "%.0f", (n > 0 ? (b - a) * 1e6 / n : 0) }')"
        rss="$(awk -v k="${after#* }" 'BEGIN { printf "%.1f", k / 1024 }')"
        printf '%-34s %5s %10s %9s %9s %8s %8s  %s\n' "$name" "$connections" "$rps" "$p50" "$p99" "$cpu_us" "$rss" \
            "${errors:-none}${non2xx:+; non-2xx $non2xx}" | tee -a "$RESULTS"
    done
}

start_ours() {  # PORT ARGS...
    local port="$1"
    shift
    "$BIN" serve --host 127.0.0.1 --port "$port" --log-level warning "$@" > "$WORK/server.log" 2>&1 &
    SERVER_PID=$!
    wait_ready "$port" "$SERVER_PID"
}

start_fastapi() {  # PORT MODEL WORKERS
    ONNX_MODEL="$2" python3 -m uvicorn --app-dir "$WORK" fastapi_app:app --host 127.0.0.1 --port "$1" \
        --workers "$3" --log-level warning --no-access-log > "$WORK/server.log" 2>&1 &
    SERVER_PID=$!
    wait_ready "$1" "$SERVER_PID"
}

echo "load before: $(uptime)"
echo "$(nproc) cores; $DURATION s per run; image $IMAGE ($(wc -c < "$IMAGE") bytes)"
printf '\n%-34s %5s %10s %9s %9s %8s %8s  %s\n' server conns "req/s" p50 p99 "cpu/req" "RSS MiB" errors
printf '%-34s %5s %10s %9s %9s %8s %8s\n' "" "" "" "" "" "(us)" ""

start_ours "$PORT_OURS"
measure "ours, default model" "$PORT_OURS"
stop_server
if [ -n "${E2E_BATCH:-}" ]; then
    MAX_BATCH_SIZE="$E2E_BATCH" start_ours "$PORT_OURS"
    measure "ours, default, batch $E2E_BATCH" "$PORT_OURS"
    stop_server
fi
start_ours "$PORT_OURS" --model "$WORK/maxmnist.h5"
measure "ours, MAX-MNIST model" "$PORT_OURS"
stop_server
if [ -z "${E2E_SKIP_FASTAPI:-}" ]; then
    for workers in 1 2; do
        start_fastapi "$PORT_FASTAPI" "$WORK/maxmnist.onnx" "$workers"
        measure "fastapi+ort, MAX-MNIST, ${workers}w" "$PORT_FASTAPI"
        stop_server
    done
    start_fastapi "$PORT_FASTAPI" "$WORK/default.onnx" 2
    measure "fastapi+ort, default model, 2w" "$PORT_FASTAPI"
    stop_server
fi

echo
echo "start-up to first answer (median of 5):"
echo "  ours, default model:    $(python3 "$WORK/startup.py" "$PORT_OURS" "$BIN" serve --host 127.0.0.1 --port "$PORT_OURS" --log-level warning) ms"
echo "  ours, MAX-MNIST model:  $(python3 "$WORK/startup.py" "$PORT_OURS" "$BIN" serve --host 127.0.0.1 --port "$PORT_OURS" --log-level warning --model "$WORK/maxmnist.h5") ms"

echo
python3 - "$RESULTS" "${CONNECTIONS[0]}" <<'PY'
import sys
rows = [line.rstrip("\n") for line in open(sys.argv[1]) if line.strip()]
first = sys.argv[2]
def get(prefix, conns):
    for row in rows:
        name, rest = row[:34].strip(), row[34:].split()
        if name.startswith(prefix) and rest[0] == conns:
            return float(rest[1])
    return None
for conns in sorted({row[34:].split()[0] for row in rows}, key=int):
    ours = get("ours, MAX-MNIST", conns)
    theirs = [x for x in (get("fastapi+ort, MAX-MNIST, 1w", conns), get("fastapi+ort, MAX-MNIST, 2w", conns)) if x]
    if ours and theirs:
        print(f"MAX-MNIST model, {conns} connections: ours / FastAPI+ORT (better of 1 or 2 workers) = {ours / max(theirs):.1f}x (target >= 8x)")
    default = get("ours, default model", conns)
    if default:
        print(f"default model, {conns} connections: {default:,.0f} req/s (target >= 10,000 at 64 connections with p99 <= 5 ms)")
PY
echo "load after: $(uptime)"
