"""Shared by the web tests: the server under test (max-server on 127.0.0.1, port 0, the
repository's config) and where things live. Run through scripts/browser-tests.sh."""
import json
import os
import re
import subprocess
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVER_BIN = Path(os.environ.get("MAX_SERVER_BIN", ROOT / ".build" / "debug" / "max-server"))


def start_server(*arguments, environment=None):
    """max-server on 127.0.0.1, port 0, with `arguments`; returns (process, base URL)."""
    if not SERVER_BIN.exists():
        pytest.exit(f"no server binary at {SERVER_BIN}: run `swift build --product max-server` or set MAX_SERVER_BIN", 2)
    process = subprocess.Popen(
        [str(SERVER_BIN), *arguments, "--host", "127.0.0.1", "--port", "0", "--log-level", "info"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, **(environment or {})})
    lines = []
    deadline = time.time() + 60
    while time.time() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        match = re.search(r"serving .* on (http://[^/\s]+)/", line)
        if match:
            # Keep draining the log so the server never blocks on a full pipe.
            threading.Thread(target=lambda: [None for _ in process.stdout], daemon=True).start()
            return process, match.group(1)
    process.kill()
    pytest.exit("max-server did not start:\n" + "".join(lines), 2)


def stop_server(process):
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="session")
def server():
    """The repository's configuration (the MNIST model); yields the base URL."""
    process, base = start_server("--config", str(ROOT / "config.json"))
    yield base
    stop_server(process)


@pytest.fixture(scope="session")
def json_server():
    """A model that takes JSON (logistic-regression), for the docs page's JSON bodies."""
    process, base = start_server("--model", str(ROOT / "samples" / "models" / "exam-pass.json"),
                                 environment={"MAX_MODEL_PLUGIN": "logistic-regression"})
    yield base
    stop_server(process)


@pytest.fixture(scope="session")
def two_models_server(tmp_path_factory):
    """Two MNIST models (`digits`, the default, and `digits-b`), for the app's choice of model."""
    model = str(ROOT / "assets" / "mnist_cnn.h5")
    config = tmp_path_factory.mktemp("two-models") / "config.json"
    config.write_text(json.dumps({
        "api": {"title": "Two models"},
        "models": [{"id": "digits", "plugin": "mnist", "file": model},
                   {"id": "digits-b", "plugin": "mnist", "file": model, "metadata": {"name": "Second digit model"}}],
    }))
    process, base = start_server("--config", str(config))
    yield base
    stop_server(process)


@pytest.fixture(scope="session")
def training_server(tmp_path_factory):
    """The repository's configuration with the training routes on, training on the project's own
    tiny MNIST fixture (Tests/DatasetsTests/Fixtures/mnist.npz: 12 training, 4 test images), so
    a job finishes in seconds and needs nothing from ../shared."""
    data = ROOT / "Tests" / "DatasetsTests" / "Fixtures" / "mnist.npz"
    assert data.exists(), f"the training fixture {data} is part of the repository"
    process, base = start_server("--config", str(ROOT / "config.json"), environment={
        "MAX_TRAINING": "true", "MAX_TRAINING_DATA": str(data), "MAX_TRAINING_THREADS": "1",
        "MAX_TRAINING_OUTPUT_DIRECTORY": str(tmp_path_factory.mktemp("trained"))})
    yield base
    stop_server(process)
