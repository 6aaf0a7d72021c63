#!/usr/bin/env python3
"""Checks deploy/ against the real tools and the real server (scripts/check-deploy.sh runs it).

1. yamllint on every YAML file; kubernetes-validate --strict on the built-in kinds.
2. The KServe manifests (CRDs kubernetes-validate has no schema for): the fields we rely on, and
   that the InferenceService names our ServingRuntime, which takes the v2 protocol.
3. promtool check config / check rules on Prometheus's files, and every PromQL expression of the
   Grafana dashboard through promtool (as recording rules).
4. A real max-server: every probe path the manifests name answers 200 on it; then a real
   Prometheus with deploy/compose/prometheus.yml (target pointed at that server) scrapes it, the
   alert rules load, and every dashboard query evaluates and returns data.
5. compose.yaml: the files it mounts and builds from exist; the ports it maps are the server's.
"""
import json
import os
import pathlib
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
KUBE = DEPLOY / "kubernetes"
COMPOSE = DEPLOY / "compose"
failures = []


def check(condition, message):
    print(("ok    " if condition else "FAIL  ") + message)
    if not condition:
        failures.append(message)


def run(command, **kwargs):
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    output = (result.stdout + result.stderr).strip()
    return result.returncode, output


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url, timeout=5):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except OSError:
        return None, b""


def documents(path):
    with open(path) as handle:
        return [doc for doc in yaml.safe_load_all(handle) if doc]


# 1. Lint and schema-validate.
yaml_files = sorted(str(p) for p in DEPLOY.rglob("*.y*ml"))
code, output = run(["yamllint", "-c", str(DEPLOY / ".yamllint"), *yaml_files])
check(code == 0, f"yamllint on {len(yaml_files)} files" + (f":\n{output}" if code else ""))
builtin = [p for p in sorted(KUBE.glob("*.yaml")) if not p.name.startswith("kserve-")]
code, output = run(["kubernetes-validate", "--strict", *map(str, builtin)])
print(output)
check(code == 0 and "ERROR" not in output, f"kubernetes-validate --strict on {', '.join(p.name for p in builtin)}")

manifests = {doc["kind"]: doc for path in KUBE.glob("*.yaml") for doc in documents(path)}
deployment = manifests["Deployment"]
container = deployment["spec"]["template"]["spec"]["containers"][0]
pod_security = deployment["spec"]["template"]["spec"]["securityContext"]
check(pod_security.get("runAsNonRoot") is True and pod_security.get("runAsUser") == 10001, "the pod runs as the image's user 10001, non-root")
check(container["securityContext"].get("readOnlyRootFilesystem") is True, "the root filesystem is read-only")
check(container["securityContext"].get("capabilities", {}).get("drop") == ["ALL"], "every capability is dropped")
check(all(k in container["resources"].get(kind, {}) for kind in ("requests", "limits") for k in ("cpu", "memory")),
      "requests and limits set for CPU and memory")
selector = deployment["spec"]["selector"]["matchLabels"]
for kind in ("Service", "PodDisruptionBudget"):
    spec = manifests[kind]["spec"]
    chosen = spec.get("selector", {}).get("matchLabels", spec.get("selector"))
    check(chosen == selector, f"the {kind} selects the Deployment's pods")
check(manifests["HorizontalPodAutoscaler"]["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"],
      "the HorizontalPodAutoscaler scales the Deployment")

# 2. KServe.
runtime = manifests["ServingRuntime"]
service = manifests["InferenceService"]
check(runtime["apiVersion"] == "serving.kserve.io/v1alpha1" and service["apiVersion"] == "serving.kserve.io/v1beta1",
      "KServe API versions (ServingRuntime v1alpha1, InferenceService v1beta1)")
model = service["spec"]["predictor"]["model"]
check(model["runtime"] == runtime["metadata"]["name"], "the InferenceService uses the max-swift ServingRuntime")
check(model["protocolVersion"] == "v2" and "v2" in runtime["spec"]["protocolVersions"], "the InferenceService and runtime use the v2 protocol")
check(any(f["name"] == model["modelFormat"]["name"] for f in runtime["spec"]["supportedModelFormats"]),
      "the runtime supports the InferenceService's model format")
runtime_container = runtime["spec"]["containers"][0]
check(runtime_container["name"] == "kserve-container", "the runtime's container is named kserve-container")
check(runtime_container["image"] == container["image"], "the runtime and the Deployment run the same image")

# 3. promtool.
code, output = run(["promtool", "check", "config", str(COMPOSE / "prometheus.yml")])
check(code == 0, "promtool check config deploy/compose/prometheus.yml" + (f":\n{output}" if code else ""))
code, output = run(["promtool", "check", "rules", str(COMPOSE / "alerts.yml")])
check(code == 0, "promtool check rules deploy/compose/alerts.yml" + (f":\n{output}" if code else ""))
dashboard = json.loads((COMPOSE / "grafana/dashboards/max-swift.json").read_text())
expressions = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as rules:
    yaml.safe_dump({"groups": [{"name": "dashboard", "rules": [
        {"record": f"dashboard:query{index}", "expr": expr} for index, expr in enumerate(expressions)]}]}, rules)
code, output = run(["promtool", "check", "rules", rules.name])
os.unlink(rules.name)
check(code == 0, f"every dashboard query ({len(expressions)}) is valid PromQL" + (f":\n{output}" if code else ""))

# 5. compose.yaml.
compose = yaml.safe_load((COMPOSE / "compose.yaml").read_text())
services = compose["services"]
check((COMPOSE / services["max-swift"]["build"]["context"] / "Dockerfile").exists(), "compose builds from the repository's Dockerfile")
for name, spec in services.items():
    for volume in spec.get("volumes", []):
        source = volume.split(":")[0]
        check((COMPOSE / source).exists(), f"compose service {name} mounts {source}, which exists")
check(services["max-swift"]["ports"] == ["5000:5000"], "compose maps the server's port 5000")
check(services["max-swift"].get("read_only") is True and services["max-swift"]["user"].startswith("10001"),
      "compose runs the server read-only as user 10001")
targets = [t for job in yaml.safe_load((COMPOSE / "prometheus.yml").read_text())["scrape_configs"]
           for group in job["static_configs"] for t in group["targets"]]
check(targets == ["max-swift:5000"], "Prometheus scrapes the compose service max-swift:5000")

# 4. Against a real server and a real Prometheus.
binary = os.environ.get("MAX_SERVER_BIN", str(ROOT / ".build/debug/max-server"))
port = free_port()
server = subprocess.Popen([binary, "serve", "--host", "127.0.0.1", "--port", str(port)], cwd=ROOT,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
prometheus = None
workdir = tempfile.mkdtemp(prefix="check-deploy-")
try:
    deadline = time.time() + 60
    while get(f"http://127.0.0.1:{port}/health/ready")[0] != 200 and time.time() < deadline:
        time.sleep(0.2)
    probes = set()
    for probe_owner in [container, runtime_container]:
        for key in ("startupProbe", "livenessProbe", "readinessProbe"):
            if key in probe_owner:
                probes.add(probe_owner[key]["httpGet"]["path"])
    probes.add(deployment["spec"]["template"]["metadata"]["annotations"]["prometheus.io/path"])
    for path in sorted(probes):
        status, _ = get(f"http://127.0.0.1:{port}{path}")
        check(status == 200, f"the manifests' probe path {path} answers 200 on a real max-server (got {status})")

    config = yaml.safe_load((COMPOSE / "prometheus.yml").read_text())
    config["scrape_configs"][0]["static_configs"][0]["targets"] = [f"127.0.0.1:{port}"]
    config["scrape_configs"][0]["scrape_interval"] = "1s"
    config["global"]["evaluation_interval"] = "1s"
    config["rule_files"] = [str(COMPOSE / "alerts.yml")]
    (pathlib.Path(workdir) / "prometheus.yml").write_text(yaml.safe_dump(config))
    web = free_port()
    prometheus = subprocess.Popen(["prometheus", f"--config.file={workdir}/prometheus.yml", f"--storage.tsdb.path={workdir}/data",
                                   f"--web.listen-address=127.0.0.1:{web}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    api = f"http://127.0.0.1:{web}/api/v1"

    def query(expr):
        status, body = get(f"{api}/query?" + urllib.parse.urlencode({"query": expr}))
        return json.loads(body) if status == 200 else {"status": "error", "error": body.decode(errors="replace")}

    # Traffic for the rate() windows: predictions, an error, a scrape or two.
    sample = next((ROOT / "samples").glob("7_mnist_*.png")).read_bytes()
    boundary = "check-deploy"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"7.png\"\r\nContent-Type: image/png\r\n\r\n"
            .encode() + sample + f"\r\n--{boundary}--\r\n".encode())
    deadline = time.time() + 30
    up = []
    while time.time() < deadline:
        request = urllib.request.Request(f"http://127.0.0.1:{port}/model/predict", data=body,
                                         headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
        urllib.request.urlopen(request, timeout=5).read()
        get(f"http://127.0.0.1:{port}/no-such-route")
        result = query('up{job="max-swift"}')
        up = result.get("data", {}).get("result", [])
        if up and up[0]["value"][1] == "1" and len(query("maxswift_http_requests_total").get("data", {}).get("result", [])) > 1:
            time.sleep(3)  # a few more scrapes, so rate() over 1m has two points
            break
        time.sleep(0.5)
    check(bool(up) and up[0]["value"][1] == "1", "a real Prometheus with deploy/compose/prometheus.yml scrapes max-swift (up == 1)")
    status, rules_body = get(f"{api}/rules")
    loaded = [rule["name"] for group in json.loads(rules_body)["data"]["groups"] for rule in group["rules"]] if status == 200 else []
    check(len(loaded) == 4, f"Prometheus loaded the alert rules: {', '.join(loaded)}")
    for expr in expressions:
        result = query(expr)
        series = result.get("data", {}).get("result", [])
        check(result.get("status") == "success" and len(series) > 0,
              f"dashboard query returns data: {expr[:90]}" + ("" if series else f" -> {result}"))
finally:
    for process in (prometheus, server):
        if process and process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
    shutil.rmtree(workdir, ignore_errors=True)

print(f"\n{len(failures)} check(s) failed" if failures else "\nall deploy checks passed")
sys.exit(1 if failures else 0)
