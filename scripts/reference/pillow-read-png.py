#!/usr/bin/env python3
"""Reads our PNG encoder's files with Pillow, the reference decoder.

    python3 scripts/reference/pillow-read-png.py FOLDER

FOLDER holds, per case NAME, NAME.png and NAME.raw (the samples we encoded, row by row) and
NAME.mode (Pillow's mode name and the size: "RGBA 17 11"). Pillow must read each PNG, with
full verification, to exactly that mode, size and bytes. Prints "ok NAME" or "MISMATCH NAME: why"
per case and exits 1 if any mismatched. Run by Tests/ImageCodecsTests/PNGEncoderReferenceTests.swift.
"""
import os
import sys

from PIL import Image


def main(folder):
    failures = 0
    for name in sorted(os.listdir(folder)):
        stem, ext = os.path.splitext(name)
        if ext != ".png":
            continue
        with open(os.path.join(folder, stem + ".mode")) as f:
            mode, width, height = f.read().split()
        with open(os.path.join(folder, stem + ".raw"), "rb") as f:
            expected = f.read()
        problem = None
        try:
            with Image.open(os.path.join(folder, name)) as image:
                image.verify()  # chunk CRCs and structure
            with Image.open(os.path.join(folder, name)) as image:
                image.load()
                if image.mode != mode or image.size != (int(width), int(height)):
                    problem = f"Pillow reads {image.mode} {image.size}, expected {mode} {(int(width), int(height))}"
                elif image.tobytes() != expected:
                    got = image.tobytes()
                    first = next(i for i, (a, b) in enumerate(zip(got, expected)) if a != b) if len(got) == len(expected) else -1
                    problem = f"pixels differ (first at byte {first})"
        except Exception as error:  # Pillow raises many kinds; any of them is a finding
            problem = f"Pillow refuses it: {type(error).__name__}: {error}"
        if problem:
            failures += 1
            print(f"MISMATCH {stem}: {problem}")
        else:
            print(f"ok {stem}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
