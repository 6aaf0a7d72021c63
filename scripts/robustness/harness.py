"""What every robustness check needs: a max-server process started with its own settings on a
free loopback port, raw sockets that speak exactly the bytes a check wants, and the server's
resident memory. Python's standard library only, so CI needs nothing beyond python3.
"""
import errno
import json
import os
import select
import signal
import socket
import subprocess
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """`max-server serve` on 127.0.0.1 with environment overrides (MAX_*); its log is kept in a file."""

    def __init__(self, binary, env=None, config=None, args=()):
        self.port = free_port()
        self.log_path = tempfile.mktemp(prefix="robustness-server-", suffix=".log")
        environment = dict(os.environ)
        environment.update({"MAX_HOST": "127.0.0.1", "MAX_PORT": str(self.port), "MAX_LOG_LEVEL": "info"})
        environment.update(env or {})
        command = [binary, "serve"]
        if config:
            command += ["--config", config]
        command += list(args)
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=self.log, stderr=subprocess.STDOUT)
        try:
            self.wait_until_ready()
        except BaseException:
            self.stop()
            raise

    def wait_until_ready(self, seconds=120):
        deadline = time.time() + seconds
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"max-server exited during start-up:\n{self.log_text()[-2000:]}")
            try:
                status, _, _ = request(self.port, "GET /model/metadata HTTP/1.1\r\nHost: r\r\nConnection: close\r\n\r\n", timeout=2)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("max-server did not answer within 120 s")

    def rss(self):
        """Resident memory in bytes (VmRSS), or None once the process is gone."""
        try:
            with open(f"/proc/{self.process.pid}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) * 1024
        except OSError:
            return None
        return None

    def threads(self):
        """Threads of the server process, or None once it is gone."""
        try:
            with open(f"/proc/{self.process.pid}/status") as status:
                for line in status:
                    if line.startswith("Threads:"):
                        return int(line.split()[1])
        except OSError:
            return None
        return None

    def log_text(self):
        self.log.flush()
        with open(self.log_path, errors="replace") as log:
            return log.read()

    def stop(self, timeout=30):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        return self.process.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        try:
            os.unlink(self.log_path)
        except OSError:
            pass


def connect(port, timeout=10):
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def read_response(sock, head_only=False):
    """Reads one response: (status, headers as a lower-cased dict, body bytes). Raises on EOF."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"connection closed before a response head ({len(data)} bytes)")
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = 0 if head_only or status in (100, 204, 304) else int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed inside a response body")
        rest += chunk
    return status, headers, rest[:length]


def request(port, raw, timeout=10):
    """Sends `raw` (str or bytes) on a fresh connection and reads one response."""
    with connect(port, timeout) as sock:
        sock.sendall(raw.encode("latin-1") if isinstance(raw, str) else raw)
        return read_response(sock)


def closed_by_peer(sock, timeout):
    """True if the peer closes `sock` (EOF or reset) within `timeout` seconds without sending."""
    sock.settimeout(timeout)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def multipart(field, filename, content_type, payload):
    boundary = "----robustness-boundary-7f3a"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\"\r\n"
            f"Content-Type: {content_type}\r\n\r\n").encode() + payload + f"\r\n--{boundary}--\r\n".encode()
    return f"multipart/form-data; boundary={boundary}", body


def predict_request(payload, filename="digit.png", content_type="image/png", field="file", path="/model/predict"):
    kind, body = multipart(field, filename, content_type, payload)
    head = f"POST {path} HTTP/1.1\r\nHost: r\r\nContent-Type: {kind}\r\nContent-Length: {len(body)}\r\n\r\n"
    return head.encode() + body


def send_nonblocking(sock, data):
    """Sends what the socket takes now; returns the byte count (the rest stays unsent)."""
    sock.setblocking(False)
    sent = 0
    try:
        while sent < len(data):
            count = sock.send(data[sent:sent + 262144])
            if count <= 0:
                break
            sent += count
    except (BlockingIOError, InterruptedError):
        pass
    except OSError as error:
        if error.errno not in (errno.EAGAIN, errno.EWOULDBLOCK):
            raise
    return sent


def json_body(body):
    try:
        return json.loads(body)
    except ValueError:
        return None


def mib(value):
    return f"{value / (1 << 20):.0f} MiB"


def wait_readable(sockets, timeout):
    """Sockets among `sockets` that became readable within `timeout` seconds."""
    readable, _, _ = select.select(sockets, [], [], timeout)
    return readable
