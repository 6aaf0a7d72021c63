#!/usr/bin/env bash
# Benchmarks our Keras engine against ONNX Runtime on the MAX-MNIST CNN, side by side in one run,
# one thread each: microseconds per image at batch 1 and batch 64, and their ratio, for every CPU
# class of kernels this machine runs (MAX_CPU=avx512, avx2, portable; `max-server cpu`).
# Each row is measured ROUNDS times, ours and ORT's alternating, and the best of each is kept, so
# a busy machine slows both alike; `uptime` is printed before and after.
#
# ONNX Runtime's wheels choose their kernels from CPUID and have no setting that forbids AVX-512
# (its session options have none, and its detection cannot be fooled from user space), so on an
# AVX-512 machine the avx2 and portable rows compare our narrower kernels with ORT's AVX-512 ones.
#   scripts/bench-inference.sh [SECONDS_PER_MEASUREMENT] [ROUNDS]   (defaults 2 and 3)
# Needs python3 with tf-keras, tf2onnx and onnxruntime (scripts only; never at run time).
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH="${1:-2}"
ROUNDS="${2:-3}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

swift build -c release --product max-server >/dev/null
SERVER="$(swift build -c release --show-bin-path)/max-server"

# The MAX-MNIST shape with fixed random weights, saved as Keras 2 .h5 and converted to ONNX.
TF_CPP_MIN_LOG_LEVEL=3 TF_USE_LEGACY_KERAS=1 python3 - "$WORK" <<'PY' 2>/dev/null
import os, sys, numpy as np
import tf_keras as keras, tensorflow as tf, tf2onnx
from tf_keras import layers as L
out = sys.argv[1]
m = keras.Sequential([L.Conv2D(32, 3, activation="relu", input_shape=(28, 28, 1)), L.MaxPooling2D(2),
    L.Conv2D(64, 3, activation="relu"), L.MaxPooling2D(2), L.Flatten(), L.Dense(50, activation="relu"),
    L.Dense(10, activation="softmax")], name="max_mnist")
rng = np.random.default_rng(1)
for layer in m.layers:
    ws = layer.get_weights()
    if ws:
        layer.set_weights([rng.normal(0, 0.05, w.shape).astype("float32") for w in ws])
m.save(os.path.join(out, "mnist.h5"))
tf2onnx.convert.from_keras(m, input_signature=(tf.TensorSpec((None, 28, 28, 1), tf.float32, name="input"),),
                           output_path=os.path.join(out, "mnist.onnx"))
PY

ort_bench() {  # batch -> "wall cpu" microseconds per image, best of five rounds
    python3 - "$WORK/mnist.onnx" "$1" "$SECONDS_EACH" <<'PY'
import sys, time, numpy as np, onnxruntime as ort
path, batch, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
options = ort.SessionOptions()
options.intra_op_num_threads = 1
options.inter_op_num_threads = 1
options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
name = session.get_inputs()[0].name
x = (np.random.default_rng(0).random((batch, 28, 28, 1)) * 255).astype("float32")
start = time.thread_time()
runs = 0
while time.thread_time() - start < 0.2 or runs < 3:
    session.run(None, {name: x}); runs += 1
per_round = max(1, int(seconds / 5 / ((time.thread_time() - start) / runs)))
best_wall = best_cpu = float("inf")
for _ in range(5):
    w, c = time.perf_counter(), time.thread_time()
    for _ in range(per_round):
        session.run(None, {name: x})
    best_wall = min(best_wall, (time.perf_counter() - w) * 1e6 / (per_round * batch))
    best_cpu = min(best_cpu, (time.thread_time() - c) * 1e6 / (per_round * batch))
print(f"{best_wall:.1f} {best_cpu:.1f}")
PY
}

ours_bench() {  # CPU-CLASS BATCH -> "wall cpu"
    MAX_CPU="$1" "$SERVER" bench --model "$WORK/mnist.h5" --batch "$2" --seconds "$SECONDS_EACH" \
        | awk '/us\/image wall/ { print $3, $6 }'
}

best() { sort -g | head -n 1; }  # the smallest of the numbers on stdin

echo "load before: $(uptime)"
echo "MAX-MNIST CNN, one thread, microseconds per image (best of $ROUNDS alternating runs, each the best"
echo "of 5 rounds; cpu = this thread's CPU time; onnxruntime $(python3 -c 'import onnxruntime; print(onnxruntime.__version__)'))"
printf "%-9s %-6s %22s %22s %10s\n" kernels batch "ours wall / cpu" "onnxruntime wall / cpu" "cpu ratio"
for cpu in $("$SERVER" cpu --runnable); do
    for batch in 1 64; do
        : > "$WORK/ours" && : > "$WORK/ort"
        for _ in $(seq 1 "$ROUNDS"); do
            ours_bench "$cpu" "$batch" >> "$WORK/ours"
            ort_bench "$batch" >> "$WORK/ort"
        done
        ours_wall=$(cut -d' ' -f1 "$WORK/ours" | best); ours_cpu=$(cut -d' ' -f2 "$WORK/ours" | best)
        ort_wall=$(cut -d' ' -f1 "$WORK/ort" | best); ort_cpu=$(cut -d' ' -f2 "$WORK/ort" | best)
        ratio=$(awk -v a="$ours_cpu" -v b="$ort_cpu" 'BEGIN { printf "%.2f", a / b }')
        printf "%-9s %-6s %10s / %-9s %10s / %-9s %10s\n" "$cpu" "$batch" "$ours_wall" "$ours_cpu" "$ort_wall" "$ort_cpu" "$ratio"
    done
done
"$SERVER" bench --model "$WORK/mnist.h5" --batch 1 --seconds 0.5 | grep '^memory'
echo "(ratio < 1 means our engine is faster)"
echo "load after: $(uptime)"
