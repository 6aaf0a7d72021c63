"""Operations with the real tools: promtool on /metrics, the health probes, SIGTERM's drain (not
ready at once, still serving for server.drain_delay, then closed), `max-server healthcheck`,
JSON logs and X-Request-ID."""
import json
import os
import signal
import subprocess
import time

import requests

from conftest import ROOT, sample_digits


def test_promtool_accepts_the_metrics(server):
    with open(sample_digits()[0][1], "rb") as handle:
        requests.post(f"{server.url}/model/predict", files={"file": handle}, timeout=10)
    requests.post(f"{server.url}/model/predict", files={"file": ("x.png", b"junk")}, timeout=10)
    text = requests.get(f"{server.url}/metrics", timeout=10).text
    checked = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True)
    print("promtool check metrics:", checked.returncode, checked.stdout.strip(), checked.stderr.strip())
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.strip() == "" and checked.stderr.strip() == ""
    assert 'maxswift_http_requests_total{route="/model/predict",method="POST",status="200"}' in text
    assert 'maxswift_model_stage_duration_seconds_count{model="mnist",stage="inference"}' in text
    assert "process_resident_memory_bytes" in text


def test_sigterm_turns_readiness_off_first_and_closes_after_the_delay(start_server):
    server = start_server({"MAX_DRAIN_DELAY": "2"})
    assert requests.get(f"{server.url}/health/ready", timeout=5).status_code == 200
    sent = time.time()
    server.signal(signal.SIGTERM)
    time.sleep(0.3)
    ready = requests.get(f"{server.url}/health/ready", timeout=5)
    assert ready.status_code == 503 and ready.json() == {"ready": False, "state": "draining"}
    assert requests.get(f"{server.url}/v2/health/ready", timeout=5).status_code == 503
    assert requests.get(f"{server.url}/health/live", timeout=5).status_code == 200
    assert requests.get(f"{server.url}/model/metadata", timeout=5).status_code == 200
    server.process.wait(15)
    assert time.time() - sent >= 2
    assert server.process.returncode == 0
    try:
        requests.get(f"{server.url}/health/live", timeout=2)
        raise AssertionError("still listening after the drain")
    except requests.ConnectionError:
        pass


def test_healthcheck_command(server):
    binary = os.environ["MAX_SERVER_BIN"]
    ok = subprocess.run([binary, "healthcheck", "--port", str(server.port)], capture_output=True, text=True, cwd=ROOT)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == f"http://127.0.0.1:{server.port}/health/ready answered 200"
    env = {**os.environ, "APP_PORT": str(server.port)}
    assert subprocess.run([binary, "healthcheck", "--path", "/health/live"], env=env, cwd=ROOT).returncode == 0
    refused = subprocess.run([binary, "healthcheck", "--port", "1"], capture_output=True, text=True, cwd=ROOT)
    assert refused.returncode == 1
    assert "Connection refused" in refused.stderr and len(refused.stderr.strip().split("\n")) == 1


def test_json_logs_and_request_ids(start_server):
    server = start_server({"MAX_LOG_FORMAT": "json"})
    answer = requests.get(f"{server.url}/model/metadata", headers={"X-Request-ID": "trace-77"}, timeout=5)
    assert answer.headers["X-Request-ID"] == "trace-77"
    generated = requests.get(f"{server.url}/model/metadata", timeout=5).headers["X-Request-ID"]
    assert generated and generated != "trace-77"
    line = server.wait_for_log(r'"request_id": "trace-77"')
    entry = json.loads(line)
    assert entry["method"] == "GET" and entry["path"] == "/model/metadata" and entry["status"] == 200
    assert entry["bytes"] == len(answer.content) and entry["duration_ms"] >= 0 and entry["level"] == "INFO"
    for line in server.log():
        json.loads(line)  # every line the server writes is one JSON object
