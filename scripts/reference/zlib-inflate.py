#!/usr/bin/env python3
"""Inflates our deflate encoder's output with Python's zlib, the reference implementation.

    python3 scripts/reference/zlib-inflate.py FOLDER

FOLDER holds, per input NAME (no dots in it), NAME.input (the original bytes) and any number
of streams of it: NAME.<variant>.deflate (raw deflate) and NAME.<variant>.zz (zlib). Each stream must inflate with zlib to exactly the input,
with nothing left over (zlib also checks the Adler-32 of .zz). Prints one line per stream,
"ok NAME.ext" or "MISMATCH NAME.ext: why", and exits 1 if any mismatched.
Run by Tests/CompressionTests/DeflateReferenceTests.swift.
"""
import os
import sys
import zlib


def main(folder):
    failures = 0
    for name in sorted(os.listdir(folder)):
        stem, ext = os.path.splitext(name)
        if ext not in (".deflate", ".zz"):
            continue
        with open(os.path.join(folder, name.split(".")[0] + ".input"), "rb") as f:
            expected = f.read()
        with open(os.path.join(folder, name), "rb") as f:
            stream = f.read()
        decoder = zlib.decompressobj(-15 if ext == ".deflate" else 15)
        try:
            output = decoder.decompress(stream) + decoder.flush()
            problem = None
            if not decoder.eof:
                problem = "the stream has no final block"
            elif decoder.unused_data:
                problem = f"{len(decoder.unused_data)} bytes after the end of the stream"
            elif output != expected:
                first = next((i for i, (a, b) in enumerate(zip(output, expected)) if a != b), min(len(output), len(expected)))
                problem = f"inflates to {len(output)} bytes, expected {len(expected)}; first difference at {first}"
        except zlib.error as error:
            problem = f"zlib refuses it: {error}"
        if problem:
            failures += 1
            print(f"MISMATCH {name}: {problem}")
        else:
            print(f"ok {name}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
