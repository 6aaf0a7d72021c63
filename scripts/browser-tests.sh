#!/usr/bin/env bash
# The web tests (scripts/webtests, under pytest) against a max-server they start on port 0:
# the docs page (/) and the demo app (/app) in headless Chromium driven by selenium, the two
# API documents checked by openapi-spec-validator, and X-Fields masks and operationIds compared
# with flask-restx itself. Installs what it needs: chromium and chromium-driver (Debian);
# selenium, pytest, Pillow, openapi-spec-validator, flask-restx and axe-core-python (PyPI; its
# axe.min.js is injected by the tests only, never served). Builds max-server unless
# MAX_SERVER_BIN names one. Screenshots go to $BROWSER_ARTIFACTS (default .build/browser-artifacts).
#     scripts/browser-tests.sh [pytest arguments, e.g. -k docs]
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi; }

missing=()
command -v chromium > /dev/null 2>&1 || missing+=(chromium)
command -v chromedriver > /dev/null 2>&1 || missing+=(chromium-driver)
# Fonts for readable screenshots (the pages name DejaVu and Liberation after the system UI font).
[ -d /usr/share/fonts/truetype/dejavu ] || missing+=(fonts-dejavu-core)
if [ "${#missing[@]}" -gt 0 ]; then
    as_root apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

pip_install() {
    python3 -m pip install --quiet "$@" < /dev/null \
        || python3 -m pip install --quiet --break-system-packages "$@" < /dev/null
}
python3 -c "import selenium" 2> /dev/null || pip_install "selenium>=4.10"
python3 -c "import pytest" 2> /dev/null || pip_install pytest
python3 -c "import PIL" 2> /dev/null || pip_install pillow
python3 -c "import openapi_spec_validator" 2> /dev/null || pip_install openapi-spec-validator
python3 -c "import flask_restx" 2> /dev/null || pip_install flask-restx
python3 -c "import importlib.util, sys; sys.exit(importlib.util.find_spec('axe_core_python') is None)" \
    || pip_install --no-deps "axe-core-python==0.1.0"

if [ -z "${MAX_SERVER_BIN:-}" ]; then
    swift build --product max-server
    MAX_SERVER_BIN="$(swift build --show-bin-path)/max-server"
fi
export MAX_SERVER_BIN
export BROWSER_ARTIFACTS="${BROWSER_ARTIFACTS:-$PWD/.build/browser-artifacts}"
mkdir -p "$BROWSER_ARTIFACTS"

echo "chromium: $(chromium --version 2> /dev/null || echo unknown); server: $MAX_SERVER_BIN; artifacts: $BROWSER_ARTIFACTS"
python3 -m pytest -p no:cacheprovider -rxXs -v -s scripts/webtests "$@"
