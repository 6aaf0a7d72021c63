"""Fixtures for the protocol tests: a real max-server process on a free loopback port.

The binary is $MAX_SERVER_BIN (default .build/debug/max-server), run from the repository root
with its config.json (the MNIST model), so these tests speak to exactly what users run.
"""
import gzip
import json
import os
import pathlib
import re
import signal
import subprocess
import threading
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"


class Server:
    """A running max-server: its base URL, its log lines, and a way to stop it."""

    def __init__(self, extra_env=None, args=()):
        binary = os.environ.get("MAX_SERVER_BIN", str(ROOT / ".build/debug/max-server"))
        if not os.path.exists(binary):
            raise RuntimeError(f"{binary} does not exist: run `swift build` first or set MAX_SERVER_BIN")
        env = dict(os.environ)
        for name in ("APP_ENGINE", "APP_SERVICE", "APP_PORT", "MAX_PORT", "MAX_CONFIG"):
            env.pop(name, None)
        env.update(extra_env or {})
        self.process = subprocess.Popen(
            [binary, "serve", "--host", "127.0.0.1", "--port", "0", *args],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.lines = []
        self._lock = threading.Lock()
        port_found = threading.Event()
        self.port = None

        def read_log():
            for line in self.process.stderr:
                with self._lock:
                    self.lines.append(line.rstrip("\n"))
                match = re.search(r"listening on http://[^ ]*:(\d+)", line)
                if match and self.port is None:
                    self.port = int(match.group(1))
                    port_found.set()

        threading.Thread(target=read_log, daemon=True).start()
        if not port_found.wait(60):
            self.stop()
            raise RuntimeError("max-server did not start:\n" + "\n".join(self.lines))
        self.url = f"http://127.0.0.1:{self.port}"

    def log(self):
        with self._lock:
            return list(self.lines)

    def wait_for_log(self, pattern, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for line in self.log():
                if re.search(pattern, line):
                    return line
            time.sleep(0.05)
        raise AssertionError(f"no log line matching {pattern!r} in:\n" + "\n".join(self.log()))

    def signal(self, number):
        self.process.send_signal(number)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture(scope="session")
def server():
    running = Server()
    yield running
    running.stop()


@pytest.fixture
def start_server():
    """Starts servers with their own environment; stops them after the test."""
    started = []

    def start(extra_env=None, args=()):
        running = Server(extra_env, args)
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()


def sample_digits():
    """The repository's own 28x28 MNIST samples: (label, path)."""
    return sorted((int(path.name[0]), path) for path in (ROOT / "samples").glob("*_mnist_*.png"))


def kaggle_rows(limit=None):
    """Labelled digits from ../shared/data/mnist_test.csv.gz (Kaggle layout), or skip."""
    path = SHARED / "data" / "mnist_test.csv.gz"
    if not path.exists():
        pytest.skip("../shared/data/mnist_test.csv.gz is absent beside the checkout; accuracy check skipped")
    rows = []
    with gzip.open(path, "rt") as handle:
        header = handle.readline().strip().split(",")
        assert header[0] == "label" and header[1] == "pixel0"
        for line in handle:
            values = [int(value) for value in line.strip().split(",")]
            rows.append((values[0], values[1:]))
            if limit and len(rows) >= limit:
                break
    return rows


def post_json(url, body, headers=None):
    import requests
    return requests.post(url, data=json.dumps(body), headers={"Content-Type": "application/json", **(headers or {})}, timeout=30)
