"""Checks of the HTTP layer under hostile or unlucky clients (issue 13 findings 1-5 and 7, and
the audit's cases that already held: limits, pipelining, slowloris, SIGTERM under load). Each
check returns (passed, detail) and starts the servers it needs.
"""
import os
import signal
import socket
import threading
import time

from harness import (Server, closed_by_peer, connect, json_body, mib, predict_request, read_response, request,
                     send_nonblocking)

GET = "GET /model/metadata HTTP/1.1\r\nHost: r\r\n\r\n"
SAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "samples", "digit-8.png")


def timed_get(port, timeout=10):
    started = time.time()
    status, _, _ = request(port, GET, timeout=timeout)
    return status, time.time() - started


def silent_sockets_do_not_lock_clients_out(ctx):
    """Finding 1: 1,030 sockets that send nothing fill the 1,024 cap; others must still be served."""
    with Server(ctx.binary, env={"MAX_HEADER_TIMEOUT": "3"}) as server:
        silent = [connect(server.port) for _ in range(1030)]
        time.sleep(0.5)
        results = [timed_get(server.port) for _ in range(20)]
        served = sum(1 for status, _ in results if status == 200)
        slowest = max(elapsed for _, elapsed in results)
        time.sleep(4)  # past the header deadline: the silent sockets must be gone
        closed = sum(1 for sock in silent if closed_by_peer(sock, 0.01))
        for sock in silent:
            sock.close()
        passed = served == 20 and closed >= 1020
        return passed, (f"with 1030 silent sockets open, {served}/20 requests answered 200 (slowest {slowest * 1000:.0f} ms); "
                        f"{closed}/1030 silent sockets closed by the 3 s header deadline")


def trickled_head_gets_408_at_the_header_deadline(ctx):
    """Finding 1: a head that trickles in is cut at the header deadline, not the 30 s request timeout."""
    with Server(ctx.binary, env={"MAX_HEADER_TIMEOUT": "2"}) as server:
        sock = connect(server.port)
        started = time.time()
        status = None
        try:
            for byte in b"GET /model/metadata HTTP/1.1\r\nHost: r\r\nX-Slow: ":
                sock.sendall(bytes([byte]))
                time.sleep(0.1)
            for _ in range(60):
                sock.sendall(b"a")
                time.sleep(0.1)
        except OSError:
            pass
        try:
            status, _, _ = read_response(sock)
        except OSError:
            pass
        elapsed = time.time() - started
        sock.close()
        return status == 408 and elapsed < 6, f"answered {status} after {elapsed:.1f} s (header deadline 2 s)"


def idle_keepalive_connections_make_room_at_the_cap(ctx):
    """Finding 1: at the cap, kept-alive idle connections are closed for newcomers instead of 503."""
    with Server(ctx.binary, env={"MAX_CONNECTIONS": "64"}) as server:
        kept = []
        for _ in range(64):
            sock = connect(server.port)
            sock.sendall(GET.encode())
            read_response(sock)
            kept.append(sock)
        statuses = [timed_get(server.port)[0] for _ in range(10)]
        for sock in kept:
            sock.close()
        return statuses == [200] * 10, f"64 kept-alive idle connections at a cap of 64; newcomers got {statuses}"


def body_memory_is_bounded(ctx):
    """Finding 2: 1,000 connections each holding a partial 16 MiB body; RSS stays under 300 MB.
    The bodies admitted to the budget then time out (408, after 3 s here), the others get 503."""
    with Server(ctx.binary, env={"MAX_REQUEST_TIMEOUT": "3"}) as server:
        baseline = server.rss()
        head = b"POST /model/predict HTTP/1.1\r\nHost: r\r\nContent-Type: image/png\r\nContent-Length: 16777216\r\n\r\n"
        partial = b"\x89PNG" + b"\0" * (4 << 20)
        holders, sent = [], 0
        for _ in range(1000):
            sock = connect(server.port)
            sock.sendall(head)
            sent += send_nonblocking(sock, partial)
            holders.append(sock)
        peak = baseline
        started = time.time()
        get_status, get_time = None, None
        while time.time() - started < 3:
            peak = max(peak, server.rss() or 0)
            if get_status is None:
                get_status, get_time = timed_get(server.port)
            time.sleep(0.1)
        answered = {}
        for sock in holders:
            sock.setblocking(True)
            sock.settimeout(5)
            try:
                status, _, _ = read_response(sock)
                answered[status] = answered.get(status, 0) + 1
            except OSError:
                answered["none"] = answered.get("none", 0) + 1
            peak = max(peak, server.rss() or 0)
        for sock in holders:
            sock.close()
        time.sleep(3)  # let the server trim after the peak
        after = server.rss()
        passed = peak < 300 * (1 << 20) and get_status == 200 and after < baseline + (64 << 20)
        return passed, (f"RSS {mib(baseline)} before, peak {mib(peak)} with 1000 partial 16 MiB bodies "
                        f"({mib(sent)} sent), {mib(after)} 3 s after they left; a GET meanwhile: {get_status} in "
                        f"{(get_time or 0) * 1000:.0f} ms; the holders got {answered}")


def blank_line_split_across_segments(ctx):
    """Finding 3: a request after a blank line, its final CRLF 0.3 s later, is answered at once."""
    with Server(ctx.binary) as server, connect(server.port, timeout=5) as sock:
        sock.sendall(b"\r\nGET /model/metadata HTTP/1.1\r\nHost: x\r\n")
        time.sleep(0.3)
        started = time.time()
        sock.sendall(b"\r\n")
        try:
            status, _, _ = read_response(sock)
        except OSError as error:
            return False, f"no answer: {error}"
        elapsed = time.time() - started
        return status == 200 and elapsed < 1, f"answered {status} {elapsed * 1000:.0f} ms after the final CRLF"


def drain_refuses_new_connections(ctx):
    """Finding 4: during the SIGTERM drain new connections are refused at once, not accepted and reset."""
    with open(SAMPLE, "rb") as sample:
        upload = predict_request(sample.read())
    server = Server(ctx.binary, env={"MAX_LOG_LEVEL": "warning"})
    try:
        busy = connect(server.port)
        busy.sendall(upload[:-10])  # an upload in progress keeps the drain going
        time.sleep(0.2)
        server.process.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        outcomes = {"refused": 0, "accepted": 0}
        for _ in range(32):
            try:
                sock = socket.create_connection(("127.0.0.1", server.port), timeout=2)
                outcomes["accepted"] += 1
                sock.close()
            except ConnectionRefusedError:
                outcomes["refused"] += 1
        busy.sendall(upload[-10:])
        status, headers, _ = read_response(busy)
        busy.close()
        code = server.process.wait(20)
        passed = outcomes["refused"] == 32 and status == 200 and headers.get("connection") == "close" and code == 0
        return passed, (f"32 connects during the drain: {outcomes}; the upload in progress was answered {status} "
                        f"(Connection: {headers.get('connection')}); exit status {code}")
    finally:
        server.stop()


def host_rules(ctx):
    """Finding 5: HTTP/1.1 without Host, with two, or with an invalid one is 400 (RFC 9112 section 3.2)."""
    cases = {
        "no Host": "GET /model/metadata HTTP/1.1\r\n\r\n",
        "two Hosts": "GET /model/metadata HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        "bad Host": "GET /model/metadata HTTP/1.1\r\nHost: a b\r\n\r\n",
        "HTTP/1.0 without Host": "GET /model/metadata HTTP/1.0\r\n\r\n",
    }
    with Server(ctx.binary) as server:
        got = {name: request(server.port, raw)[0] for name, raw in cases.items()}
    expected = {"no Host": 400, "two Hosts": 400, "bad Host": 400, "HTTP/1.0 without Host": 200}
    return got == expected, f"{got}"


def truncated_chunked_body_is_answered(ctx):
    """Finding 5: a chunked body cut inside a chunk-size line gets an answer, not a silent close."""
    with Server(ctx.binary) as server, connect(server.port, timeout=5) as sock:
        sock.sendall(b"POST /model/predict HTTP/1.1\r\nHost: r\r\nContent-Type: image/png\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n4\r\n\x89PNG\r\n1")
        sock.shutdown(socket.SHUT_WR)
        try:
            status, _, body = read_response(sock)
        except OSError as error:
            return False, f"no answer: {error}"
        message = (json_body(body) or {}).get("message", "")
        return status == 400 and "chunk size" in message, f"{status}: {message}"


def access_log_cannot_be_forged(ctx):
    """Finding 7: quotes and control-like bytes in the target are escaped in the access log."""
    with Server(ctx.binary) as server:
        request(server.port, 'GET /x"_200_0_"forged\\%0a?q=caf\xc3\xa9 HTTP/1.1\r\nHost: r\r\n\r\n')
        time.sleep(0.2)
        lines = [line for line in server.log_text().splitlines() if "forged" in line]
    if not lines:
        return False, "no access-log line for the request"
    line = lines[0]
    passed = line.count('"') == 2 and "\\x22" in line and "\\xC3\\xA9" in line
    return passed, f"logged as: {line.split(' INFO ', 1)[-1]}"


def limits_are_enforced(ctx):
    """Audit (held before): header and URL limits, a 10 GB upload refused from its Content-Length."""
    with Server(ctx.binary) as server:
        long_url = request(server.port, "GET /" + "a" * 9000 + " HTTP/1.1\r\nHost: r\r\n\r\n")[0]
        big_headers = request(server.port, "GET / HTTP/1.1\r\nHost: r\r\n" + "X-A: " + "b" * 70000 + "\r\n\r\n")[0]
        started = time.time()
        huge = request(server.port, "POST /model/predict HTTP/1.1\r\nHost: r\r\nContent-Type: image/png\r\n"
                       "Content-Length: 10000000000\r\n\r\n")[0]
        elapsed = time.time() - started
    got = {"9 KB URL": long_url, "70 KB header": big_headers, "10 GB upload": huge}
    return got == {"9 KB URL": 414, "70 KB header": 431, "10 GB upload": 413} and elapsed < 1, f"{got}"


def pipelined_requests_are_answered_in_order(ctx):
    """Audit (held before): 100 pipelined requests, 100 answers in order."""
    with Server(ctx.binary) as server, connect(server.port) as sock:
        sock.sendall(b"".join(f"GET /model/metadata?n={i} HTTP/1.1\r\nHost: r\r\n\r\n".encode() for i in range(99))
                     + b"GET /nope HTTP/1.1\r\nHost: r\r\n\r\n")
        statuses = []
        buffered = b""
        while len(statuses) < 100:
            chunk = sock.recv(1 << 16)
            if not chunk:
                break
            buffered += chunk
            while b"\r\n\r\n" in buffered:
                head, rest = buffered.split(b"\r\n\r\n", 1)
                length = int([line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")][0])
                if len(rest) < length:
                    break
                statuses.append(int(head.split(b" ")[1]))
                buffered = rest[length:]
        passed = statuses == [200] * 99 + [404]
        return passed, f"{len(statuses)} answers, the first 99 200 and the last {statuses[-1] if statuses else None}"


def slowloris_does_not_slow_others(ctx):
    """Audit (held before): 500 clients trickling heads do not slow a normal one."""
    with Server(ctx.binary, env={"MAX_HEADER_TIMEOUT": "30"}) as server:
        slow = [connect(server.port) for _ in range(500)]
        stop = threading.Event()

        def trickle():
            while not stop.is_set():
                for sock in slow:
                    try:
                        sock.send(b"X")
                    except OSError:
                        pass
                time.sleep(0.5)

        for sock in slow:
            sock.sendall(b"GET /model/metadata HTTP/1.1\r\nHost: r\r\nX-Slow: ")
        thread = threading.Thread(target=trickle, daemon=True)
        thread.start()
        time.sleep(0.5)
        times = [timed_get(server.port)[1] for _ in range(20)]
        stop.set()
        thread.join()
        for sock in slow:
            sock.close()
    p50 = sorted(times)[10] * 1000
    worst = max(times) * 1000
    return worst < 500, f"with 500 trickling clients, 20 requests: p50 {p50:.1f} ms, worst {worst:.1f} ms"


def sigterm_under_load_loses_nothing(ctx):
    """Audit (held before): SIGTERM while 64 clients predict: every request sent is answered or refused, no 5xx."""
    with open(SAMPLE, "rb") as sample:
        upload = predict_request(sample.read())
    server = Server(ctx.binary, env={"MAX_LOG_LEVEL": "warning"})
    results = {"200": 0, "5xx": 0, "other": 0, "refused": 0, "lost": 0, "closed between requests": 0}
    lock = threading.Lock()
    stop_at = time.time() + 3

    def client():
        sock = None
        reused = False
        while time.time() < stop_at:
            try:
                if sock is None:
                    sock = connect(server.port, timeout=10)
                    reused = False
                sock.sendall(upload)
            except ConnectionRefusedError:
                with lock:
                    results["refused"] += 1
                time.sleep(0.05)
                continue
            except OSError:
                # The server closed a kept-alive connection between requests (drain): nothing was lost.
                sock = None
                continue
            try:
                status, headers, _ = read_response(sock)
            except OSError:
                # On a reused connection this is the race RFC 9112 section 9.3.1 leaves to clients
                # (the server closed it as idle while the request was on its way); on a fresh one
                # the request is lost.
                with lock:
                    results["closed between requests" if reused else "lost"] += 1
                sock = None
                continue
            reused = True
            key = "200" if status == 200 else "5xx" if status >= 500 else "other"
            with lock:
                results[key] += 1
            if headers.get("connection") == "close":
                sock.close()
                sock = None
        if sock:
            sock.close()

    threads = [threading.Thread(target=client) for _ in range(64)]
    for thread in threads:
        thread.start()
    time.sleep(1.5)
    server.process.send_signal(signal.SIGTERM)
    for thread in threads:
        thread.join()
    code = server.process.wait(20)
    server.stop()
    passed = results["5xx"] == 0 and results["lost"] == 0 and results["200"] > 0 and code == 0
    return passed, f"{results}; exit status {code}"
