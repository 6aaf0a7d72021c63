#!/usr/bin/env bash
# Benchmark: open a ~1 MB Keras weights file and read every weight, in our reader
# (`max-server h5ls --bench`) and in h5py, in the same run on the same file.
#   scripts/bench-hdf5.sh [FILE.h5] [ITERATIONS]
# Without FILE a Keras-2-like file (~1 MB of float32 weights, h5py's default 'earliest'
# format, as Keras writes) is generated in a temporary folder.
set -euo pipefail
cd "$(dirname "$0")/.."
iterations="${2:-200}"
file="${1:-}"
if [[ -z "$file" ]]; then
    file="$(mktemp -d)/keras-like.h5"
    python3 - "$file" <<'PY'
import json, sys
import h5py, numpy as np
rng = np.random.default_rng(0)
layers = [("conv2d_1", [(3, 3, 1, 32), (32,)]), ("conv2d_2", [(3, 3, 32, 64), (64,)]),
          ("dense_1", [(1600, 128), (128,)]), ("dense_2", [(128, 10), (10,)])]
with h5py.File(sys.argv[1], "w") as f:
    f.attrs["keras_version"] = b"2.2.4"
    f.attrs["backend"] = b"tensorflow"
    f.attrs["model_config"] = json.dumps({"class_name": "Sequential", "config": {"layers": []}}).encode()
    weights = f.create_group("model_weights")
    weights.attrs["layer_names"] = np.array([name.encode() for name, _ in layers])
    for name, shapes in layers:
        group = weights.create_group(name)
        names = [f"{name}/kernel:0".encode(), f"{name}/bias:0".encode()]
        group.attrs["weight_names"] = np.array(names)
        for weight, shape in zip(names, shapes):
            group.create_dataset(weight.decode(), data=rng.normal(size=shape).astype("float32"))
PY
fi
echo "file: $file ($(stat -c %s "$file") bytes), $iterations iterations"

swift build -c release --product max-server >/dev/null
.build/release/max-server h5ls "$file" --bench "$iterations"

python3 - "$file" "$iterations" <<'PY'
import sys, time
import h5py
path, iterations = sys.argv[1], int(sys.argv[2])
def read_all():
    values = 0
    with h5py.File(path, "r") as f:
        datasets = []
        f.visititems(lambda name, obj: datasets.append(obj) if isinstance(obj, h5py.Dataset) else None)
        for dataset in datasets:
            values += dataset[()].size
    return len(datasets), values
times = []
for _ in range(iterations):
    start = time.perf_counter()
    count, values = read_all()
    times.append((time.perf_counter() - start) * 1000)
print(f"h5py {h5py.__version__}: {count} datasets, {values} values; mean {sum(times) / len(times):.3f} ms, "
      f"best {min(times):.3f} ms over {iterations} runs (open + read all)")
PY
