#!/usr/bin/env bash
# Validates deploy/ (Kubernetes manifests, KServe, compose, Prometheus, Grafana) with yamllint,
# kubernetes-validate, promtool and a real Prometheus scraping a real max-server; see
# scripts/check_deploy.py. Installs what it needs (PyPI: yamllint, kubernetes-validate, pyyaml;
# Debian: prometheus). MAX_SERVER_BIN picks the server binary (default: a debug build).
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi; }
pip_install() {
    python3 -m pip install --quiet "$@" < /dev/null || python3 -m pip install --quiet --break-system-packages "$@" < /dev/null
}
command -v yamllint > /dev/null 2>&1 && command -v kubernetes-validate > /dev/null 2>&1 && python3 -c "import yaml" 2> /dev/null \
    || pip_install yamllint kubernetes-validate pyyaml
if ! command -v promtool > /dev/null 2>&1 || ! command -v prometheus > /dev/null 2>&1; then
    as_root apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends prometheus
fi
if [ -z "${MAX_SERVER_BIN:-}" ]; then
    swift build --product max-server
    export MAX_SERVER_BIN="$PWD/.build/debug/max-server"
fi
exec python3 scripts/check_deploy.py
