"""The soak of issue 13: many connections sending a seeded mix of good and bad requests for
minutes, every answer checked, the server's resident memory sampled. Passes with no 5xx, no
request left without its answer, no answer other than the one expected, and RSS never more
than 10 % above its value at the end of the warm-up.
"""
import os
import random
import threading
import time

from harness import Server, connect, mib, predict_request, read_response

SAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "samples")


def read_sample(name):
    with open(os.path.join(SAMPLES, name), "rb") as sample:
        return sample.read()


def request_mix():
    """(weight, name, raw bytes, expected status, whether the server closes after it)."""
    digit = read_sample("digit-8.png")
    chunked_body = predict_request(digit).split(b"\r\n\r\n", 1)[1]
    content_type = predict_request(digit).split(b"Content-Type: ", 1)[1].split(b"\r\n", 1)[0]
    chunked = (b"POST /model/predict HTTP/1.1\r\nHost: r\r\nContent-Type: " + content_type
               + b"\r\nTransfer-Encoding: chunked\r\n\r\n"
               + b"".join(b"%x\r\n%s\r\n" % (len(chunked_body[i:i + 100]), chunked_body[i:i + 100])
                          for i in range(0, len(chunked_body), 100)) + b"0\r\n\r\n")
    return [
        (30, "metadata", b"GET /model/metadata HTTP/1.1\r\nHost: r\r\n\r\n", 200, False),
        (25, "predict PNG", predict_request(digit), 200, False),
        (5, "predict GIF", predict_request(read_sample("digit-8.gif"), "d.gif", "image/gif"), 200, False),
        (3, "predict TIFF", predict_request(read_sample("digit-8.tif"), "d.tif", "image/tiff"), 200, False),
        (3, "predict chunked", chunked, 200, False),
        (8, "truncated PNG", predict_request(digit[:len(digit) // 2]), 400, False),
        (5, "not an image", predict_request(b"just some text", "a.txt", "text/plain"), 415, False),
        (3, "not an image, labelled PNG", predict_request(b"just some text", "a.png", "image/png"), 400, False),
        (5, "unknown route", b"GET /nope HTTP/1.1\r\nHost: r\r\n\r\n", 404, False),
        (5, "HEAD", b"HEAD /model/metadata HTTP/1.1\r\nHost: r\r\n\r\n", 200, False),
        (4, "garbage request line", b"GARBAGE\r\n\r\n", 400, True),
        (4, "no Host", b"GET /model/metadata HTTP/1.1\r\n\r\n", 400, True),
        (3, "100 MB upload", b"POST /model/predict HTTP/1.1\r\nHost: r\r\nContent-Type: image/png\r\nContent-Length: 100000000\r\n\r\n",
         413, True),
    ]


def soak(ctx, seconds, connections, warmup):
    mix = request_mix()
    weights = [item[0] for item in mix]
    lock = threading.Lock()
    counts = {"answers": 0, "5xx": 0, "lost": 0, "unexpected": 0, "connections": 0}
    unexpected = {}
    with Server(ctx.binary, env={"MAX_LOG_LEVEL": "warning"}) as server:
        stop_at = time.time() + seconds

        def client(seed):
            generator = random.Random(seed)
            sock = None
            while time.time() < stop_at:
                _, name, raw, expected, closes = generator.choices(mix, weights)[0]
                try:
                    if sock is None:
                        sock = connect(server.port, timeout=30)
                        with lock:
                            counts["connections"] += 1
                    sock.sendall(raw)
                    status, headers, _ = read_response(sock, head_only=name == "HEAD")
                except OSError as error:
                    with lock:
                        counts["lost"] += 1
                        unexpected[f"{name}: {type(error).__name__}"] = unexpected.get(f"{name}: {type(error).__name__}", 0) + 1
                    if sock:
                        sock.close()
                    sock = None
                    continue
                with lock:
                    counts["answers"] += 1
                    if status >= 500:
                        counts["5xx"] += 1
                    if status != expected:
                        counts["unexpected"] += 1
                        unexpected[f"{name}: {status}"] = unexpected.get(f"{name}: {status}", 0) + 1
                if closes or headers.get("connection") == "close":
                    sock.close()
                    sock = None
            if sock:
                sock.close()

        threads = [threading.Thread(target=client, args=(index,), daemon=True) for index in range(connections)]
        started = time.time()
        for thread in threads:
            thread.start()
        samples = []
        thread_counts = []
        while any(thread.is_alive() for thread in threads):
            samples.append((time.time() - started, server.rss() or 0))
            thread_counts.append(server.threads() or 0)
            time.sleep(2)
        for thread in threads:
            thread.join()
    settled = [rss for at, rss in samples if at >= warmup]
    reference = next((rss for at, rss in samples if at >= warmup), 0)
    highest = max(settled) if settled else 0
    rate = counts["answers"] / max(1, seconds)
    # RSS at every tenth of the run, to tell a steady climb from a step.
    # Threads beside it: each extra worker (started while handlers run long, as on a loaded
    # machine) holds its own stack and allocator caches, so RSS follows the thread count.
    steps = [min(len(samples) - 1, len(samples) * step // 10) for step in range(11)] if samples else []
    curve = " ".join(f"{samples[index][1] >> 20}" for index in steps)
    thread_curve = " ".join(f"{thread_counts[index]}" for index in steps)
    passed = (counts["5xx"] == 0 and counts["lost"] == 0 and counts["unexpected"] == 0 and counts["answers"] > 0
              and reference > 0 and highest <= reference * 1.10)
    detail = (f"{seconds:.0f} s at {connections} connections: {counts['answers']} answers ({rate:.0f}/s) on "
              f"{counts['connections']} connections, {counts['5xx']} 5xx, {counts['lost']} lost, "
              f"{counts['unexpected']} unexpected {unexpected or ''}; RSS {mib(reference)} after {warmup} s, "
              f"at most {mib(highest)} after ({(highest / reference - 1) * 100 if reference else 0:+.1f} %), "
              f"{mib(samples[-1][1]) if samples else '?'} at the end (MiB by tenths: {curve}); server threads "
              f"{min(thread_counts) if thread_counts else '?'}-{max(thread_counts) if thread_counts else '?'} "
              f"(by tenths: {thread_curve})")
    return passed, detail


def medium_soak(ctx):
    """For looking at memory over a few minutes (run with --only medium)."""
    return soak(ctx, seconds=180, connections=256, warmup=30)


def short_soak(ctx):
    return soak(ctx, seconds=30, connections=128, warmup=10)


def full_soak(ctx):
    return soak(ctx, seconds=ctx.soak_minutes * 60, connections=256, warmup=60)
