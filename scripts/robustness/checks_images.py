"""Checks of image handling under load (issue 13 findings 2 and 8): heavy decodes neither exhaust
memory nor starve light requests; GIF, TIFF and 16-bit images are served.
"""
import os
import struct
import tempfile
import threading
import time
import zlib

from harness import Server, connect, mib, predict_request, read_response

SAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "samples", "digit-8.png")


def png(width, height, bit_depth, colour_type, row):
    """A PNG whose every row is `row` (filter byte included), compressed as it is written."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def heavy_png():
    """7000x7000 16-bit RGBA of one colour (under the 50 MP limit): 392 MB of samples in ~0.6 MB."""
    path = os.path.join(tempfile.gettempdir(), "robustness-rgba16-7000.png")
    if not os.path.exists(path):
        data = png(7000, 7000, 16, 6, b"\0" + bytes([0x30, 0, 0x60, 0, 0x90, 0, 0xFF, 0xFF]) * 7000)
        with open(path + ".tmp", "wb") as out:
            out.write(data)
        os.rename(path + ".tmp", path)
    with open(path, "rb") as source:
        return source.read()


def heavy_decodes_do_not_starve_light_requests(ctx):
    """Finding 2: six 7000x7000 16-bit RGBA PNGs at once; memory stays bounded and a normal
    predict is answered promptly meanwhile. The picture holds no digit, so one that is decoded
    is answered 400 by the MNIST plugin; those that find the budget taken get 503."""
    heavy = predict_request(heavy_png(), filename="huge.png")
    with open(SAMPLE, "rb") as sample:
        light = predict_request(sample.read())
    with Server(ctx.binary) as server:
        baseline = server.rss()
        statuses = []
        lock = threading.Lock()

        def post_heavy():
            try:
                with connect(server.port, timeout=120) as sock:
                    sock.sendall(heavy)
                    status, _, _ = read_response(sock)
            except OSError as error:
                status = f"error {error}"
            with lock:
                statuses.append(status)

        threads = [threading.Thread(target=post_heavy) for _ in range(6)]
        for thread in threads:
            thread.start()
        time.sleep(0.5)
        peak = baseline
        light_times = []
        light_statuses = set()
        with connect(server.port, timeout=30) as sock:
            while any(thread.is_alive() for thread in threads) and len(light_times) < 400:
                started = time.time()
                sock.sendall(light)
                status, _, _ = read_response(sock)
                light_times.append(time.time() - started)
                light_statuses.add(status)
                peak = max(peak, server.rss() or 0)
                time.sleep(0.05)
        for thread in threads:
            thread.join()
        time.sleep(3)
        after = server.rss()
    worst = max(light_times) if light_times else None
    median = sorted(light_times)[len(light_times) // 2] if light_times else None
    counts = {status: statuses.count(status) for status in set(statuses)}
    passed = (light_statuses == {200} and worst is not None and worst < 1.0 and peak < (1200 << 20)
              and all(status in (200, 400, 413, 503) for status in statuses) and after < baseline + (100 << 20))
    detail = (f"heavy requests answered {counts}; {len(light_times)} light predicts meanwhile, median "
              f"{(median or 0) * 1000:.0f} ms, worst {(worst or 0) * 1000:.0f} ms; RSS {mib(baseline)} before, "
              f"peak {mib(peak)}, {mib(after)} 3 s after")
    return passed, detail
