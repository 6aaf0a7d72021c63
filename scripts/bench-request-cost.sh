#!/usr/bin/env bash
# The CPU a POST /model/predict costs outside inference (HTTP parsing, multipart, JPEG decode,
# preprocessing, JSON, logging, hand-offs), as callgrind instruction counts per request: a stable
# figure on a busy machine. The release server runs under valgrind; after a warm-up the counters
# are zeroed, N requests are sent one after another over one kept-alive connection (the client runs
# outside valgrind), and the counts are dumped. Inference is the inclusive count of
# KerasModel.predict; everything else the server's threads executed is "outside inference".
# The top functions outside inference are listed, so a change shows where it saved.
#
#   scripts/bench-request-cost.sh [N] [IMAGE] [MODEL]
#     N      requests counted (default 200)
#     IMAGE  the upload (default samples/8_mnist_2.jpg, a 28x28 JPEG digit)
#     MODEL  --model for the server (default: config.json's, the default model)
# Needs valgrind (callgrind_control, callgrind_annotate) and python3. Target: <= 20 us of CPU per
# 28x28 request outside inference; the instruction count is printed with a time at the rate this
# machine ran the same instructions outside valgrind (wall figure, noisy).
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-200}"
IMAGE="${2:-samples/8_mnist_2.jpg}"
MODEL="${3:-}"
PORT=5303
WORK="$(mktemp -d /tmp/bench-request-cost.XXXXXX)"
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then kill -KILL "$SERVER_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT
for tool in valgrind callgrind_control callgrind_annotate python3; do
    command -v "$tool" >/dev/null || { echo "bench-request-cost: '$tool' is required (apt-get install valgrind)" >&2; exit 1; }
done

swift build -c release --product max-server > /dev/null
BIN="$(swift build -c release --show-bin-path)/max-server"
ARGS=(serve --host 127.0.0.1 --port "$PORT" --log-level warning)
[ -n "$MODEL" ] && ARGS+=(--model "$MODEL")

cat > "$WORK/client.py" <<'PY'
import http.client, sys, time
port, count, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
image = open(path, "rb").read()
boundary = "----max-swift-bench"
body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"digit.jpg\"\r\n"
        f"Content-Type: image/jpeg\r\n\r\n").encode() + image + f"\r\n--{boundary}--\r\n".encode()
headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
deadline = time.time() + 300
while True:
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        connection.request("GET", "/model/metadata")
        connection.getresponse().read()
        break
    except OSError:
        if time.time() > deadline:
            sys.exit("the server did not start")
        time.sleep(0.2)
for _ in range(count):
    connection.request("POST", "/model/predict", body, headers)
    response = connection.getresponse()
    answer = response.read()
    if response.status != 200:
        sys.exit(f"answer {response.status}: {answer!r}")
print(answer.decode())
PY

valgrind --tool=callgrind --callgrind-out-file="$WORK/callgrind.out.%p" --dump-instr=no --collect-systime=no \
    "$BIN" "${ARGS[@]}" > "$WORK/server.log" 2>&1 &
SERVER_PID=$!
python3 "$WORK/client.py" "$PORT" 50 "$IMAGE" > /dev/null      # warm-up: workspaces, caches, lazy state
callgrind_control --zero "$SERVER_PID" > /dev/null 2>&1
answer="$(python3 "$WORK/client.py" "$PORT" "$N" "$IMAGE")"
callgrind_control --dump="measured" "$SERVER_PID" > /dev/null 2>&1
kill -KILL "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=""
dump="$(ls -t "$WORK"/callgrind.out.* | head -n 1)"
[ -n "${KEEP_CALLGRIND:-}" ] && cp "$dump" "$KEEP_CALLGRIND"

callgrind_annotate --inclusive=yes "$dump" > "$WORK/inclusive.txt" 2>/dev/null
python3 - "$WORK/inclusive.txt" "$dump" "$N" "$IMAGE" "$answer" <<'PY'
import re, sys
inclusive, dump, n, image, answer = open(sys.argv[1]).read(), sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
def rows(text):
    for line in text.splitlines():
        match = re.match(r"\s*([\d,]+) \([ \d.]+%\)\s+(.*)", line)
        if match:
            yield int(match.group(1).replace(",", "")), match.group(2)
total = next(count for count, name in rows(inclusive) if "PROGRAM TOTALS" in name)
# KerasModel.predict(input:batchSize:output:), mangled: $s5Keras0A5ModelC7predict5input9batchSize6output...
inference = max((count for count, name in rows(inclusive) if "5Keras0A5ModelC7predict5input9batchSize6output" in name), default=0)
outside = total - inference
print(f"{n} requests of {image}; last answer: {answer}")
print(f"instructions per request: {total / n:,.0f} in all; {inference / n:,.0f} inference (KerasModel.predict);"
      f" {outside / n:,.0f} outside inference")

# Self cost per function, read from the dump itself: cost lines under fn=, except the one after
# each calls= line (that is the callee's inclusive cost).
names, self_cost, current, after_call = {}, {}, None, False
for line in open(dump):
    if line.startswith("fn="):
        match = re.match(r"fn=\((\d+)\)(?: (.*))?", line.strip())
        if match.group(2):
            names[match.group(1)] = match.group(2)
        current, after_call = match.group(1), False
    elif line.startswith("cfn="):
        match = re.match(r"cfn=\((\d+)\)(?: (.*))?", line.strip())
        if match.group(2):
            names[match.group(1)] = match.group(2)
    elif line.startswith("calls="):
        after_call = True
    elif line[:1].isdigit() or line[:1] in "+-*":
        if after_call:
            after_call = False
        elif current is not None:
            parts = line.split()
            if len(parts) >= 2:
                self_cost[current] = self_cost.get(current, 0) + int(parts[1])
def inside_inference(name):
    return any(tag in name for tag in ("Kernels", "5Keras", "expf"))
print("top functions outside inference (self instructions per request):")
ranked = sorted(((cost, names.get(key, key)) for key, cost in self_cost.items() if not inside_inference(names.get(key, ""))),
                reverse=True)
for cost, name in ranked[:18]:
    print(f"  {cost / n:>9,.0f}  {name[:120]}")
PY
