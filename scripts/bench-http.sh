#!/usr/bin/env bash
# HTTP throughput benchmark: wrk on loopback against GET /model/metadata of the real service
# (`max-server serve`, release build) and, in the same run, nginx serving a static JSON file of
# the same size. Reports requests/s, p50/p99 latency and socket errors at 16 and 256 connections,
# and our requests/s as a fraction of nginx's. Target: >= 0.5x nginx, p99 < 10 ms at 256
# connections, zero socket errors.
#
# usage: scripts/bench-http.sh [SECONDS]      (default 10 s per run; needs wrk and nginx-light)
# env:   BENCH_URL=http://127.0.0.1:PORT/path  bench an already running server instead of max-server
#        LOG_LEVEL=info|warning                max-server's log level (default info: one access-log
#                                              line per request, written to a file)
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${1:-10}"
LOG_LEVEL="${LOG_LEVEL:-info}"
WORK="$(mktemp -d /tmp/bench-http.XXXXXX)"
chmod 755 "$WORK"  # nginx workers run as an unprivileged user and must read the payload
SERVER_PID=""
NGINX_PID=""

cleanup() {
    [ -n "$SERVER_PID" ] && kill -TERM "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
    [ -n "$NGINX_PID" ] && kill -QUIT "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

for tool in wrk nginx curl python3; do
    command -v "$tool" >/dev/null || { echo "bench-http: '$tool' is required (apt-get install wrk nginx-light curl)" >&2; exit 1; }
done

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Polls until GET answers 200: the server verifies assets and loads its model before it binds,
# so readiness is the first successful request, not the process being up. Gives up after 120 s.
wait_until_ready() {
    local url="$1" pid="$2"
    for _ in $(seq 1 600); do
        if curl -fsS -o /dev/null --max-time 1 "$url" 2>/dev/null; then return 0; fi
        if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
            echo "bench-http: the server exited during start-up; its log:" >&2
            cat "$WORK/server.log" >&2 || true
            exit 1
        fi
        sleep 0.2
    done
    echo "bench-http: $url did not answer within 120 s" >&2
    exit 1
}

if [ -n "${BENCH_URL:-}" ]; then
    OURS_URL="$BENCH_URL"
    echo "benchmarking the running server at $OURS_URL"
else
    echo "building max-server (release)..."
    swift build -c release --product max-server >/dev/null
    BIN="$(swift build -c release --show-bin-path)/max-server"
    PORT="$(free_port)"
    "$BIN" serve --host 127.0.0.1 --port "$PORT" --log-level "$LOG_LEVEL" 2>"$WORK/server.log" &
    SERVER_PID=$!
    OURS_URL="http://127.0.0.1:$PORT/model/metadata"
fi
wait_until_ready "$OURS_URL" "$SERVER_PID"

# nginx serves the exact bytes our server returns, so both move the same payload.
mkdir -p "$WORK/www"
curl -fsS "$OURS_URL" -o "$WORK/www/metadata.json"
NGINX_PORT="$(free_port)"
cat >"$WORK/nginx.conf" <<EOF
worker_processes auto;
daemon off;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        root $WORK/www;
        location / { default_type application/json; }
    }
}
EOF
nginx -c "$WORK/nginx.conf" -p "$WORK" &
NGINX_PID=$!
NGINX_URL="http://127.0.0.1:$NGINX_PORT/metadata.json"
wait_until_ready "$NGINX_URL" "$NGINX_PID"
echo "payload: $(wc -c <"$WORK/www/metadata.json") bytes; $DURATION s per run; $(nproc) cores"

# Runs wrk and prints "requests/s p50 p99 errors".
measure() {
    local url="$1" connections="$2" output
    output="$(wrk -t2 -c"$connections" -d"${DURATION}s" --latency "$url" 2>&1)"
    echo "$output" >"$WORK/wrk-$connections-$(echo "$url" | md5sum | cut -c1-6).txt"
    local rps p50 p99 errors
    rps="$(echo "$output" | awk '/Requests\/sec/ {print $2}')"
    p50="$(echo "$output" | awk '$1 == "50%" {print $2}')"
    p99="$(echo "$output" | awk '$1 == "99%" {print $2}')"
    errors="$(echo "$output" | awk '/Socket errors/ {print $0}' | sed 's/.*Socket errors: //')"
    non2xx="$(echo "$output" | awk '/Non-2xx/ {print $NF}')"
    echo "$rps $p50 $p99 ${errors:-none}${non2xx:+, non-2xx: $non2xx}"
}

printf '\n%-12s %6s %12s %10s %10s  %s\n' server conns "req/s" p50 p99 "socket errors"
for connections in 16 256; do
    read -r nginx_rps nginx_p50 nginx_p99 nginx_errors <<<"$(measure "$NGINX_URL" "$connections")"
    read -r ours_rps ours_p50 ours_p99 ours_errors <<<"$(measure "$OURS_URL" "$connections")"
    printf '%-12s %6s %12s %10s %10s  %s\n' nginx "$connections" "$nginx_rps" "$nginx_p50" "$nginx_p99" "$nginx_errors"
    printf '%-12s %6s %12s %10s %10s  %s\n' max-server "$connections" "$ours_rps" "$ours_p50" "$ours_p99" "$ours_errors"
    python3 -c "print(f'{\"ratio\":<12} {$connections:>6} {$ours_rps / $nginx_rps:>11.2f}x   (target >= 0.50x)')"
done
