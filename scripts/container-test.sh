#!/usr/bin/env bash
# The container, for real: builds the image from the Dockerfile's run-time stages on a locally
# debootstrapped Debian bookworm (no image registry is reachable here; the base stands in for
# debian:bookworm-slim) with the binary from scripts/build-release.sh, runs it as
# `docker run -p 5000:5000` would (another host port when 5000 is taken), and checks: metadata,
# a prediction, the image's HEALTHCHECK, that the service runs as uid 10001 (not root), a
# read-only root filesystem with every capability dropped (as deploy/kubernetes runs it), a
# graceful stop, that the binary is stripped and the image is at most 100 MB.
#
# Installs podman, runc and debootstrap (apt) if missing. Everything it makes, podman's storage
# included, lives under .build/container (reused by the next run); it removes the containers it
# starts. podman runs with runc and cgroupfs (crun refuses this machine's hybrid cgroups) and
# the ulimits these machines allow.
# Usage: scripts/container-test.sh   (MAX_RELEASE_BIN: a release binary to use instead of building;
#        MAX_CONTAINER_PORT: the host port to try first, default 5000)
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
work="$root/.build/container"
limit_mb=100
mkdir -p "$work"

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi; }
missing=()
for tool in podman runc debootstrap; do command -v "$tool" > /dev/null 2>&1 || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
    as_root apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
podman() {
    # podman's health-check timers want systemd, which these machines do not run; the checks
    # themselves run on demand (`podman healthcheck run`), so that complaint is filtered out.
    as_root command podman --root "$work/storage" --runroot "$work/run" --tmpdir "$work/tmp" \
        --runtime runc --cgroup-manager=cgroupfs --events-backend=file "$@" \
        2> >(grep -v "unable to get systemd connection" >&2)
}
mkdir -p "$work/tmp"
step() { echo "== container-test: $*"; }
fail() { echo "container-test: FAILED: $*" >&2; exit 1; }

# 1. The release binary, stripped (issue 12's build-release.sh strips its copy; strip is idempotent).
binary="${MAX_RELEASE_BIN:-}"
if [ -z "$binary" ]; then
    step "scripts/build-release.sh"
    scripts/build-release.sh "$work/dist"
    binary="$work/dist/max-server"
fi
mkdir -p "$work/context/scripts"
cp "$binary" "$work/context/max-server"
strip "$work/context/max-server"
if readelf -S "$work/context/max-server" | grep -q '\.symtab'; then fail "the binary still has a symbol table"; fi
step "binary: $(du -h "$work/context/max-server" | cut -f1), stripped"

# 2. The base: debootstrap once (about 20 s), kept as a tarball under .build/container.
base_tar="$work/base-bookworm.tar"
if [ ! -s "$base_tar" ]; then
    step "debootstrap --variant=minbase --include=libcurl4,ca-certificates bookworm"
    as_root rm -rf "$work/base-root"
    as_root debootstrap --variant=minbase --include=libcurl4,ca-certificates bookworm "$work/base-root" \
        http://deb.debian.org/debian > "$work/debootstrap.log" 2>&1 || { tail -20 "$work/debootstrap.log"; fail "debootstrap"; }
    as_root tar -C "$work/base-root" -cf "$base_tar.partial" .
    as_root rm -rf "$work/base-root"
    mv "$base_tar.partial" "$base_tar"
fi
if ! podman image exists localhost/max-swift-base:bookworm; then
    podman import "$base_tar" localhost/max-swift-base:bookworm > /dev/null
fi

# 3. The Dockerfile's run-time stages, with the local base for debian:bookworm-slim and the
# host-built binary for the build stage's; any other change of shape fails here.
awk '/^FROM debian:bookworm-slim AS runtime-libs$/ { found = 1 } found' Dockerfile \
    | sed -e 's|^FROM debian:bookworm-slim AS runtime-libs$|FROM localhost/max-swift-base:bookworm AS runtime-libs|' \
          -e 's|^COPY --from=build /staging/max-server |COPY max-server |' > "$work/context/Dockerfile"
grep -q '^FROM localhost/max-swift-base:bookworm AS runtime-libs$' "$work/context/Dockerfile" \
    && grep -q '^COPY max-server /rootfs/usr/local/bin/max-server$' "$work/context/Dockerfile" \
    && ! grep -q -- '--from=build' "$work/context/Dockerfile" \
    || fail "the Dockerfile's runtime stages are not in the expected shape (FROM debian:bookworm-slim AS runtime-libs, COPY --from=build /staging/max-server)"
rm -rf "$work/context/samples" "$work/context/assets" "$work/context/profiles"
cp -r config.json md5sums.txt samples assets profiles "$work/context/"
cp scripts/make-runtime-root.sh "$work/context/scripts/"
step "podman build (the Dockerfile's runtime-libs and runtime stages)"
podman build --format docker --network host --layers -t localhost/max-swift:test -f "$work/context/Dockerfile" "$work/context" \
    > "$work/build.log" 2>&1 || { tail -30 "$work/build.log"; fail "podman build"; }
grep "make-runtime-root.sh:" "$work/build.log" | tail -1 || echo "(run-time files from the layer cache)"

size=$(podman image inspect --format '{{.Size}}' localhost/max-swift:test)
size_mb=$(( (size + 999999) / 1000000 ))
step "image size: $size bytes ($size_mb MB; target <= $limit_mb MB)"
[ "$size" -le $((limit_mb * 1000000)) ] || fail "the image is $size_mb MB, over $limit_mb MB"

# 4. Run it as `docker run -p 5000:5000` would.
port="${MAX_CONTAINER_PORT:-5000}"
if python3 -c 'import socket,sys; s=socket.socket(); s.bind(("0.0.0.0", int(sys.argv[1])))' "$port" 2> /dev/null; then :; else
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("0.0.0.0", 0)); print(s.getsockname()[1])')
fi
names=()
cleanup() { for name in "${names[@]}"; do podman rm -f -t 0 "$name" > /dev/null 2>&1 || true; done; }
trap cleanup EXIT
name="max-swift-test-$$"
names+=("$name")
step "podman run -d -p $port:5000 localhost/max-swift:test"
podman run -d --name "$name" --health-interval disable --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 -p "$port:5000" localhost/max-swift:test > /dev/null

python3 - "$port" "$root/samples" <<'PY' || { podman logs "$name" 2>&1 | tail -20; fail "the service in the container"; }
import json, pathlib, sys, time, urllib.request
port, samples = sys.argv[1], pathlib.Path(sys.argv[2])
base = f"http://127.0.0.1:{port}"
started = time.time()
deadline = started + 60
while True:
    try:
        with urllib.request.urlopen(f"{base}/health/ready", timeout=2) as answer:
            if answer.status == 200:
                break
    except OSError:
        pass
    if time.time() > deadline:
        sys.exit("not ready within 60 s")
    time.sleep(0.3)
print(f"GET /health/ready -> 200 after {time.time() - started:.1f} s")
metadata = json.load(urllib.request.urlopen(f"{base}/model/metadata", timeout=5))
print("GET /model/metadata ->", json.dumps(metadata))
assert metadata["id"] and metadata["name"], metadata
sample = samples / "7_mnist_0.png"
boundary = "container-test"
body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{sample.name}\"\r\n"
        "Content-Type: image/png\r\n\r\n").encode() + sample.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
request = urllib.request.Request(f"{base}/model/predict", data=body,
                                 headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
answer = json.load(urllib.request.urlopen(request, timeout=10))
print(f"POST /model/predict {sample.name} ->", json.dumps(answer))
assert answer["status"] == "ok" and answer["predictions"][0]["prediction"] == 7, answer
metrics = urllib.request.urlopen(f"{base}/metrics", timeout=5).read().decode()
assert 'maxswift_http_requests_total{route="/model/predict",method="POST",status="200"} 1' in metrics
print("GET /metrics: the prediction is counted")
PY

step "the image's HEALTHCHECK (max-server healthcheck, no curl in the image)"
podman healthcheck run "$name" || fail "podman healthcheck run exited $?"
echo "podman healthcheck run: healthy ($(podman inspect --format '{{json .Config.Healthcheck.Test}}' "$name"))"

pid=$(podman inspect --format '{{.State.Pid}}' "$name")
uid=$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")
step "the server process (host pid $pid) runs as uid $uid"
[ "$uid" = "10001" ] || fail "the service runs as uid $uid, not 10001"
[ "$(podman inspect --format '{{.Config.User}}' localhost/max-swift:test)" = "10001:10001" ] || fail "the image's USER is not 10001:10001"
if podman exec "$name" /bin/sh -c true > /dev/null 2>&1; then fail "the image has a shell"; fi
echo "no shell in the image (podman exec /bin/sh fails)"

step "graceful stop: SIGTERM, drained, exit status 0"
podman stop -t 20 "$name" > /dev/null
status=$(podman inspect --format '{{.State.ExitCode}}' "$name")
podman logs "$name" 2>&1 | grep -E "received SIGTERM|server stopped" || true
[ "$status" = "0" ] || fail "exit status $status after SIGTERM"

# 5. As deploy/kubernetes runs it: read-only root filesystem, a tmpfs /tmp, no capabilities.
name="max-swift-test-ro-$$"
names+=("$name")
step "podman run --read-only --tmpfs /tmp --cap-drop ALL --security-opt no-new-privileges"
podman run -d --name "$name" --health-interval disable --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --read-only --tmpfs /tmp \
    --cap-drop ALL --security-opt no-new-privileges -p "$port:5000" localhost/max-swift:test > /dev/null
deadline=$((SECONDS + 60))
until podman exec "$name" max-server healthcheck > /dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || { podman logs "$name" 2>&1 | tail -20; fail "not ready read-only"; }
    sleep 0.5
done
podman exec "$name" max-server healthcheck
podman stop -t 20 "$name" > /dev/null
step "passed: image $size_mb MB, served on host port $port"
