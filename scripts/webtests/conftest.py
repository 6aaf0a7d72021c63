"""Shared by the web tests: the server under test (max-server on 127.0.0.1, port 0, the
repository's config) and where things live. Run through scripts/browser-tests.sh."""
import os
import re
import subprocess
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVER_BIN = Path(os.environ.get("MAX_SERVER_BIN", ROOT / ".build" / "debug" / "max-server"))


@pytest.fixture(scope="session")
def server():
    """max-server on 127.0.0.1, port 0; yields its base URL and stops it afterwards."""
    if not SERVER_BIN.exists():
        pytest.exit(f"no server binary at {SERVER_BIN}: run `swift build --product max-server` or set MAX_SERVER_BIN", 2)
    process = subprocess.Popen(
        [str(SERVER_BIN), "--config", str(ROOT / "config.json"), "--host", "127.0.0.1", "--port", "0", "--log-level", "info"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = None
    lines = []
    deadline = time.time() + 60
    while time.time() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        match = re.search(r"serving .* on (http://[^/\s]+)/", line)
        if match:
            base = match.group(1)
            break
    if base is None:
        process.kill()
        pytest.exit("max-server did not start:\n" + "".join(lines), 2)
    # Keep draining the log so the server never blocks on a full pipe.
    threading.Thread(target=lambda: [None for _ in process.stdout], daemon=True).start()
    yield base
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
