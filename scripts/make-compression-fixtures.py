#!/usr/bin/env python3
"""Writes the Compression module's test fixtures into Tests/CompressionTests/Fixtures.

Everything here is made by Python's own zlib and zipfile (the references), from deterministic
inputs, so re-running the script reproduces the committed files byte for byte:

  inputs/<name>.bin              the uncompressed inputs
  zlib/<name>.<variant>.zz       zlib streams of each input (levels 0-9, strategies, window sizes)
  raw/<name>.<variant>.deflate   raw deflate streams (wbits = -15)
  zip/*.zip                      zip archives: stored + deflated entries and a directory entry;
                                 the same with ZIP64 extra fields and end records; and written as
                                 a stream (data descriptors, sizes absent from local headers)
  manifest.json                  for every stream: its input, and Python's CRC-32 and Adler-32 of it

Run from the package root:  python3 scripts/make-compression-fixtures.py
"""
import io
import json
import os
import random
import zipfile
import zlib

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "CompressionTests", "Fixtures")

WORDS = ("the model serves digits from images over http with swift and no dependencies "
         "inflate deflate huffman lz77 distance length literal block window checksum adler crc "
         "tensor layer kernel weights bias convolution pooling dense softmax relu").split()


def make_inputs():
    rng = random.Random(20240601)
    text = []
    size = 0
    while size < 32 * 1024:
        line = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 14))) + ".\n"
        text.append(line)
        size += len(line)
    runs = bytearray()
    while len(runs) < 24 * 1024:
        runs += bytes([rng.randrange(256)]) * rng.choice([1, 3, 4, 10, 258, 259, 1000, 5000])
    # Random bytes repeated as far back as zlib reaches (32768 - 262), separated by text.
    marker = bytes(rng.randrange(256) for _ in range(600))
    filler = "".join(text).encode()
    far = marker + filler[: 32768 - 262 - 600] + marker
    mixed = bytearray()
    for i in range(60):
        if i % 3 == 0:
            mixed += bytes(rng.randrange(256) for _ in range(rng.randint(10, 600)))
        else:
            mixed += "".join(text[rng.randrange(len(text))] for _ in range(3)).encode()
    return {
        "empty": b"",
        "one": b"A",
        "text": "".join(text).encode()[: 32 * 1024],
        "runs": bytes(runs[: 24 * 1024]),
        "random": bytes(rng.randrange(256) for _ in range(8 * 1024)),
        "far": far,
        "mixed": bytes(mixed),
    }


def compress(data, level=6, wbits=15, mem_level=8, strategy=zlib.Z_DEFAULT_STRATEGY):
    c = zlib.compressobj(level, zlib.DEFLATED, wbits, mem_level, strategy)
    return c.compress(data) + c.flush()


def main():
    for sub in ("inputs", "zlib", "raw", "zip"):
        os.makedirs(os.path.join(ROOT, sub), exist_ok=True)
    inputs = make_inputs()
    manifest = {"inputs": {}, "zlib": {}, "raw": {}, "zip": {}}
    for name, data in inputs.items():
        with open(os.path.join(ROOT, "inputs", name + ".bin"), "wb") as f:
            f.write(data)
        manifest["inputs"][name] = {"size": len(data), "crc32": zlib.crc32(data), "adler32": zlib.adler32(data)}

    variants = {}
    for name in inputs:
        levels = range(10) if name == "text" else (0, 1, 6, 9) if len(inputs[name]) < 10000 else (1, 6, 9)
        for level in levels:
            variants[f"{name}.level{level}"] = (name, dict(level=level))
    for name in ("text", "runs", "mixed", "one"):
        variants[f"{name}.fixed"] = (name, dict(strategy=zlib.Z_FIXED))
        variants[f"{name}.huffman"] = (name, dict(strategy=zlib.Z_HUFFMAN_ONLY))
        variants[f"{name}.rle"] = (name, dict(strategy=zlib.Z_RLE))
    variants["text.window9"] = ("text", dict(wbits=9))
    variants["mixed.memlevel1"] = ("mixed", dict(mem_level=1, level=9))
    for variant, (name, options) in variants.items():
        stream = compress(inputs[name], **options)
        assert zlib.decompress(stream) == inputs[name]
        with open(os.path.join(ROOT, "zlib", variant + ".zz"), "wb") as f:
            f.write(stream)
        manifest["zlib"][variant] = name

    for name in ("empty", "one", "text", "runs", "mixed"):
        for level in (0, 1, 9) if len(inputs[name]) < 10000 else (1, 9):
            stream = compress(inputs[name], level=level, wbits=-15)
            assert zlib.decompress(stream, -15) == inputs[name]
            with open(os.path.join(ROOT, "raw", f"{name}.level{level}.deflate"), "wb") as f:
                f.write(stream)
            manifest["raw"][f"{name}.level{level}"] = name

    # A plain archive: a directory entry, stored and deflated files, an empty file.
    date = (2024, 6, 1, 12, 0, 0)

    def info(name, method):
        zi = zipfile.ZipInfo(name, date_time=date)
        zi.compress_type = method
        return zi

    # (name, method, source): the data is a prefix of one of the inputs, or given text.
    entries = [
        ("model/", None, ("text", b"")),
        ("model/config.json", zipfile.ZIP_STORED, ("literal", b'{"layers": [1, 2, 3]}\n')),
        ("model/weights.bin", zipfile.ZIP_STORED, ("random", 3000)),
        ("docs/readme.txt", zipfile.ZIP_DEFLATED, ("text", 20000)),
        ("docs/empty.txt", zipfile.ZIP_DEFLATED, ("text", 0)),
        ("runs.dat", zipfile.ZIP_DEFLATED, ("runs", 10000)),
    ]

    def entry_data(source):
        kind, value = source
        if kind == "literal":
            return value
        return inputs[kind][: value if isinstance(value, int) else 0]

    def entry_source(source):
        kind, value = source
        if kind == "literal":
            return {"text": value.decode()}
        return {"input": kind, "length": value if isinstance(value, int) else 0}

    def write_archive(path, stream_to=None, zip64=False):
        buffer = io.BytesIO()
        target = stream_to(buffer) if stream_to else buffer
        with zipfile.ZipFile(target, "w") as zf:
            for name, method, source in entries:
                data = entry_data(source)
                if method is None:
                    zf.writestr(info(name, zipfile.ZIP_STORED), b"")
                else:
                    with zf.open(info(name, method), "w", force_zip64=zip64) as w:
                        w.write(data)
        with open(os.path.join(ROOT, "zip", path), "wb") as f:
            f.write(buffer.getvalue())
        manifest["zip"][path] = [
            {"name": n, "isDirectory": m is None, "size": len(entry_data(src)), "crc32": zlib.crc32(entry_data(src)),
             "method": 0 if m in (None, zipfile.ZIP_STORED) else 8, "source": entry_source(src)}
            for n, m, src in entries
        ]

    class Unseekable(io.RawIOBase):
        """Forces zipfile to stream, i.e. to write data descriptors after each entry."""
        def __init__(self, sink):
            self.sink = sink
        def writable(self):
            return True
        def write(self, b):
            return self.sink.write(b)
        def seekable(self):
            return False
        def tell(self):
            raise io.UnsupportedOperation

    write_archive("plain.zip")
    # Python switches to ZIP64 records above zipfile.ZIP64_LIMIT; lowering it makes a small
    # archive with real ZIP64 extra fields in the central directory and a ZIP64 end record.
    saved_limit = zipfile.ZIP64_LIMIT
    zipfile.ZIP64_LIMIT = 1000
    try:
        write_archive("zip64.zip", zip64=True)
    finally:
        zipfile.ZIP64_LIMIT = saved_limit
    write_archive("streamed.zip", stream_to=Unseekable)
    with open(os.path.join(ROOT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
