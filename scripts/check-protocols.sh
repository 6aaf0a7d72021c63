#!/usr/bin/env bash
# Protocol tests with real clients against a real max-server: tritonclient (KServe v2), a fake
# orchestration engine, Kaggle rows and CSV, Prometheus's promtool on /metrics, health and the
# SIGTERM drain. Installs what it needs (PyPI: pytest, tritonclient[http], numpy, pillow,
# requests; Debian: prometheus for promtool), builds the server if needed, fails if any test fails.
# Usage: scripts/check-protocols.sh [pytest args]   (MAX_SERVER_BIN picks another binary)
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi; }
pip_install() {
    python3 -m pip install --quiet "$@" < /dev/null || python3 -m pip install --quiet --break-system-packages "$@" < /dev/null
}
python3 -c "import pytest, tritonclient.http, numpy, PIL, requests" 2> /dev/null \
    || pip_install pytest "tritonclient[http]" numpy pillow requests
if ! command -v promtool > /dev/null 2>&1; then
    as_root apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends prometheus
fi

if [ -z "${MAX_SERVER_BIN:-}" ]; then
    swift build --product max-server
    export MAX_SERVER_BIN="$PWD/.build/debug/max-server"
fi
cd scripts/protocols
exec python3 -m pytest -q -p no:cacheprovider "$@"
