"""Checks of start-up asset downloads against a loopback server that drips, stalls or sends
too much (issue 13 finding 6), run through `max-server verify-assets`.
"""
import hashlib
import http.server
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time

CONTENT = bytes((i * 7 + (i >> 9)) & 0xFF for i in range(300_000))


class FaultyHandler(http.server.BaseHTTPRequestHandler):
    """/good serves the file, /drip one byte every 50 ms, /stall 1000 bytes then silence,
    /unsized the file without a Content-Length."""

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        if self.path != "/unsized":
            self.send_header("Content-Length", str(len(CONTENT)))
        self.end_headers()
        try:
            if self.path == "/drip":
                for index in range(len(CONTENT)):
                    self.wfile.write(CONTENT[index:index + 1])
                    self.wfile.flush()
                    time.sleep(0.05)
            elif self.path == "/stall":
                self.wfile.write(CONTENT[:1000])
                self.wfile.flush()
                time.sleep(8)
            else:
                self.wfile.write(CONTENT)
        except OSError:
            pass  # the downloader gave up: that is the point


class FaultyServer:
    def __enter__(self):
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FaultyHandler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    def url(self, path):
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


class AssetFolder:
    """A folder with config.json and md5sums.txt naming one asset fetched from `url`."""

    def __init__(self, url, env=None):
        self.path = tempfile.mkdtemp(prefix="robustness-assets-")
        with open(os.path.join(self.path, "md5sums.txt"), "w") as sums:
            sums.write(f"{hashlib.md5(CONTENT).hexdigest()}  assets/model.bin\n")
        with open(os.path.join(self.path, "config.json"), "w") as config:
            json.dump({"assets": {"download_timeout": 1, "files": [{"path": "assets/model.bin", "url": url}]}}, config)
        self.env = dict(os.environ)
        self.env.update(env or {})

    def start(self, binary):
        return subprocess.Popen([binary, "verify-assets", "--config", os.path.join(self.path, "config.json")],
                                env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def leftovers(self):
        folder = os.path.join(self.path, "assets")
        return sorted(name for name in os.listdir(folder) if name != "model.bin") if os.path.isdir(folder) else []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        shutil.rmtree(self.path, ignore_errors=True)


def run_verify(binary, folder, timeout=30):
    started = time.time()
    process = folder.start(binary)
    output, _ = process.communicate(timeout=timeout)
    last = [line for line in output.strip().splitlines() if line][-1] if output.strip() else ""
    return process.returncode, last, time.time() - started


def dripping_download_times_out(ctx):
    with FaultyServer() as server, AssetFolder(server.url("/drip")) as folder:
        code, message, seconds = run_verify(ctx.binary, folder)
        passed = code == 1 and "timed out after 1 s" in message and seconds < 5 and not folder.leftovers()
        return passed, f"exit {code} after {seconds:.1f} s: {message}; left in assets/: {folder.leftovers()}"


def stalled_download_is_reported_in_words(ctx):
    with FaultyServer() as server, AssetFolder(server.url("/stall")) as folder:
        code, message, seconds = run_verify(ctx.binary, folder)
        passed = (code == 1 and "timed out after 1 s" in message and "NSURLErrorDomain" not in message
                  and not folder.leftovers())
        return passed, f"exit {code} after {seconds:.1f} s: {message}"


def oversized_download_is_refused(ctx):
    results = []
    for path in ("/good", "/unsized"):
        with FaultyServer() as server, AssetFolder(server.url(path), env={"MAX_DOWNLOAD_BYTES": "100000"}) as folder:
            code, message, _ = run_verify(ctx.binary, folder)
            results.append((code == 1 and "assets.max_download_bytes" in message and not folder.leftovers(), path, message))
    return all(ok for ok, _, _ in results), "; ".join(f"{path}: {message}" for _, path, message in results)


def sigterm_during_a_download_leaves_no_part_file(ctx):
    with FaultyServer() as server, AssetFolder(server.url("/drip"), env={"MAX_DOWNLOAD_TIMEOUT": "30"}) as folder:
        process = folder.start(ctx.binary)
        deadline = time.time() + 10
        while time.time() < deadline and not folder.leftovers():
            time.sleep(0.05)
        seen = folder.leftovers()
        time.sleep(0.3)
        process.send_signal(signal.SIGTERM)
        started = time.time()
        output, _ = process.communicate(timeout=10)
        seconds = time.time() - started
        last = output.strip().splitlines()[-1] if output.strip() else ""
        passed = bool(seen) and process.returncode != 0 and not folder.leftovers() and "interrupted by SIGTERM" in last
        return passed, (f"partial file during the download: {seen}; after SIGTERM: exit {process.returncode} in "
                        f"{seconds:.1f} s, left in assets/: {folder.leftovers()}; {last}")
