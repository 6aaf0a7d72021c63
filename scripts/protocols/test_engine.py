"""The orchestration engine's digit-service contract against a fake engine on loopback.

The fake engine records every request: the announcements (POST /services, at start-up and every
APP_NOTIFY_CRON seconds, with exactly the body the engine expects) and the results of /compute
posted to its callback (POST {callback_url}?task_id=ID).
"""
import http.server
import json
import threading
import time

import pytest
import requests

from conftest import sample_digits

EXPECTED_ANNOUNCEMENT = {
    "url": "http://digits.internal:8080/compute",
    "api": {
        "route": "digit-recognition",
        "body": ["image"],
        "bodyType": ["[image/png, image/jpeg]"],
        "resultType": ["[application/json]"],
        "summary": "Recognizes a digit in an image using mnist trained model",
    },
    "type": "service",
}


class FakeEngine:
    def __init__(self, status=200):
        self.status = status
        self.received = []
        self.lock = threading.Condition()
        engine = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                with engine.lock:
                    engine.received.append((self.path, json.loads(body) if body else None, time.time()))
                    engine.lock.notify_all()
                self.send_response(engine.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, count, predicate, timeout=15):
        deadline = time.time() + timeout
        with self.lock:
            while len([r for r in self.received if predicate(r)]) < count and time.time() < deadline:
                self.lock.wait(0.1)
            return [r for r in self.received if predicate(r)]

    def close(self):
        self.server.shutdown()


@pytest.fixture
def engine():
    fake = FakeEngine()
    yield fake
    fake.close()


def test_announces_at_start_and_every_interval(engine, start_server):
    server = start_server({"APP_ENGINE": engine.url, "APP_SERVICE": "http://digits.internal:8080", "APP_NOTIFY_CRON": "1"})
    announcements = engine.wait(3, lambda r: r[0] == "/services")
    assert len(announcements) >= 3
    for _, body, _ in announcements:
        assert body == EXPECTED_ANNOUNCEMENT
    gaps = [b[2] - a[2] for a, b in zip(announcements, announcements[1:])]
    assert all(0.7 < gap < 2.5 for gap in gaps), gaps
    print("fake engine received:", json.dumps(announcements[0][1]))
    assert requests.get(f"{server.url}/health/ready", timeout=5).status_code == 200


def test_a_failing_engine_is_a_warning_not_a_crash(start_server):
    failing = FakeEngine(status=500)
    try:
        server = start_server({"APP_ENGINE": failing.url, "APP_SERVICE": "http://x", "APP_NOTIFY_CRON": "0.5"})
        assert len(failing.wait(2, lambda r: r[0] == "/services")) >= 2
        server.wait_for_log(r"WARNING .*answered 500; retrying in 0.5 s")
        assert server.process.poll() is None
    finally:
        failing.close()
    unreachable = start_server({"APP_ENGINE": "http://127.0.0.1:1", "APP_SERVICE": "http://x", "APP_NOTIFY_CRON": "0.5"})
    unreachable.wait_for_log(r"WARNING .*announcing to the engine failed")
    assert requests.get(f"{unreachable.url}/model/metadata", timeout=5).status_code == 200


def test_compute_answers_at_once_and_calls_back(engine, start_server):
    server = start_server()
    samples = sample_digits()[:5]
    task_ids = []
    for index, (label, path) in enumerate(samples):
        with open(path, "rb") as handle:
            answer = requests.post(f"{server.url}/compute",
                                   params={"callback_url": f"{engine.url}/callback", "task_id": f"t-{index}"},
                                   files={"image": (path.name, handle, "image/png")}, timeout=10)
        assert answer.status_code == 200
        assert answer.json() == {"task_id": f"t-{index}"}
        task_ids.append(f"t-{index}")
    callbacks = engine.wait(len(samples), lambda r: r[0].startswith("/callback"))
    by_task = {path.split("task_id=")[1]: body for path, body, _ in callbacks}
    for index, (label, _) in enumerate(samples):
        assert by_task[f"t-{index}"] == {"digit": label}

    # No task_id: a counter supplies one. Not an image: the error goes to the callback.
    answer = requests.post(f"{server.url}/compute", params={"callback_url": f"{engine.url}/errors"},
                           files={"image": ("x.png", b"not an image at all", "image/png")}, timeout=10)
    task = answer.json()["task_id"]
    assert task.isdigit()
    [(path, body, _)] = engine.wait(1, lambda r: r[0].startswith("/errors"))
    assert path == f"/errors?task_id={task}"
    assert body["type"] == "error"
    assert body["message"].startswith("Failed to process image: ")


def test_compute_refuses_without_a_callback(server):
    answer = requests.post(f"{server.url}/compute", files={"image": ("x.png", b"x", "image/png")}, timeout=10)
    assert answer.status_code == 400
    assert "callback_url is required" in answer.json()["message"]
