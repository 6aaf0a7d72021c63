#!/usr/bin/env bash
# The DVC pipeline (pipeline/dvc.yaml, params.yaml) end to end, as a user runs it, in a copy of
# pipeline/ (so the checkout stays clean) on the digits in ../shared/data:
#   1. `dvc repro` runs prepare -> train -> evaluate (each a max-server command); the model,
#      trained on the digits params.yaml names (0, 1, 7), reaches at least MIN_ACCURACY on them;
#   2. a second `dvc repro` with nothing changed runs nothing;
#   3. changing train.epochs reruns train and evaluate, not prepare;
#   4. the model is served by the MNIST plugin answering only those digits (/model/labels,
#      /model/predict on the samples of those digits).
# Installs dvc (PyPI) quietly when missing. Builds max-server unless MAX_SERVER_BIN names one.
# Skips (exit 0, with a message) when ../shared/data is absent.
#     scripts/dvc-pipeline-test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
MIN_ACCURACY=${MIN_ACCURACY:-0.97}

if [ ! -f ../shared/data/mnist_train.csv.gz ] || [ ! -f ../shared/data/mnist_test.csv.gz ]; then
    echo "dvc-pipeline-test.sh: skipped: ../shared/data/mnist_{train,test}.csv.gz are absent"
    exit 0
fi
if ! command -v dvc > /dev/null 2>&1; then
    echo "dvc-pipeline-test.sh: installing dvc (PyPI)"
    python3 -m pip install --quiet --progress-bar off dvc < /dev/null \
        || python3 -m pip install --quiet --progress-bar off --break-system-packages dvc < /dev/null
fi
if [ -z "${MAX_SERVER_BIN:-}" ]; then
    swift build --product max-server
    MAX_SERVER_BIN="$(swift build --show-bin-path)/max-server"
fi
export PATH="$(cd "$(dirname "$MAX_SERVER_BIN")" && pwd):$PATH"
command -v max-server > /dev/null || { echo "no max-server at $MAX_SERVER_BIN" >&2; exit 1; }

work=$(mktemp -d)
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2> /dev/null || true; wait "$server_pid" 2> /dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
# What the repository holds of the pipeline, not what earlier runs left beside it.
mkdir -p "$work/.dvc"
cp pipeline/dvc.yaml pipeline/params.yaml pipeline/.dvcignore "$work/"
cp pipeline/.dvc/config "$work/.dvc/"
cd "$work"
# The copy is outside any Git repository; its data paths are made absolute.
dvc config core.no_scm true
shared=$(cd "$root/../shared/data" && pwd)
sed -i "s|\.\./\.\./shared/data|$shared|" params.yaml
fail() { echo "dvc-pipeline-test.sh: FAIL: $*" >&2; exit 1; }

echo "== dvc repro (first run)"
dvc repro 2>&1 | tee first.log
for stage in prepare train evaluate; do
    grep -q "Running stage '$stage'" first.log || fail "the first dvc repro did not run $stage"
done
echo "== dvc metrics show"
dvc metrics show
accuracy=$(python3 -c "import json; print(json.load(open('metrics.json'))['accuracy'])")
python3 -c "import sys; sys.exit(0 if $accuracy >= $MIN_ACCURACY else 1)" \
    || fail "accuracy $accuracy on the test digits is below $MIN_ACCURACY"
python3 - <<'PY' || fail "metrics.json does not hold the digits 0, 1 and 7 only"
import json
metrics = json.load(open("metrics.json"))
assert sorted(metrics["classes"]) == ["0", "1", "7"], metrics["classes"]
assert metrics["images"] == 300 and metrics["left_out"] == 0, metrics
PY

echo "== dvc repro (nothing changed)"
dvc repro 2>&1 | tee second.log
grep -q "Running stage" second.log && fail "the second dvc repro ran a stage"
grep -q "Data and pipelines are up to date" second.log || fail "the second dvc repro did not say it was up to date"

echo "== dvc repro after changing train.epochs"
sed -i 's/^  epochs: .*/  epochs: 2/' params.yaml
dvc repro 2>&1 | tee third.log
grep -q "Stage 'prepare' didn't change, skipping" third.log || fail "changing train.epochs reran prepare"
grep -q "Running stage 'train'" third.log || fail "changing train.epochs did not rerun train"
grep -q "Running stage 'evaluate'" third.log || fail "changing train.epochs did not rerun evaluate"
dvc metrics show
echo "== dvc repro after restoring train.epochs (DVC's run cache brings the first run back)"
sed -i 's/^  epochs: 2$/  epochs: 6/' params.yaml
dvc repro 2>&1 | tee fourth.log
grep -q "Stage 'train' is cached - skipping run" fourth.log || fail "restoring train.epochs did not restore the first run from the run cache"
[ "$(python3 -c "import json; print(json.load(open('metrics.json'))['accuracy'])")" = "$accuracy" ] \
    || fail "the restored metrics differ from the first run's"

echo "== the model served by the MNIST plugin"
max-server serve --model model.h5 --host 127.0.0.1 --port 0 > serve.log 2>&1 &
server_pid=$!
port=""
for _ in $(seq 1 100); do
    port=$(grep -oE "serving '[^']*' on http://[^ ]*:[0-9]+/" serve.log | grep -oE ":[0-9]+/" | tr -d ':/' | head -n 1 || true)
    [ -n "$port" ] && break
    kill -0 "$server_pid" 2> /dev/null || { cat serve.log; fail "max-server serve exited"; }
    sleep 0.1
done
[ -n "$port" ] || { cat serve.log; fail "max-server serve did not start"; }
labels=$(curl -s "http://127.0.0.1:$port/model/labels")
echo "GET /model/labels: $labels"
[ "$labels" = '{"count": 3, "labels": [{"id": "0", "name": "0"}, {"id": "1", "name": "1"}, {"id": "7", "name": "7"}]}' ] \
    || fail "the served labels are not the digits 0, 1, 7"
right=0; total=0
for sample in "$root"/samples/[017]_mnist_*.png; do
    digit=$(basename "$sample" | cut -c1)
    answer=$(curl -s -F "file=@$sample" "http://127.0.0.1:$port/model/predict?top_k=3")
    echo "POST /model/predict?top_k=3 $(basename "$sample"): $answer"
    predicted=$(python3 -c "import json,sys; r=json.loads(sys.argv[1]); p=[x['prediction'] for x in r['predictions']]; assert sorted(p)==[0,1,7], p; print(p[0])" "$answer") \
        || fail "the answer for $(basename "$sample") is not a ranking of 0, 1 and 7"
    total=$((total + 1)); [ "$predicted" = "$digit" ] && right=$((right + 1))
done
[ "$right" -eq "$total" ] || fail "$right of $total samples of 0, 1 and 7 predicted right"
echo "dvc-pipeline-test.sh: passed: accuracy $accuracy on the test digits 0, 1, 7; second repro ran nothing; served model answers 0, 1, 7 ($right of $total samples right)"
