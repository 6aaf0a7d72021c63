#!/usr/bin/env python3
"""Checks that Pillow reads the PNGs our encoder writes back to identical pixels: every image
fixture is decoded by `max-server decode FIXTURE --out X.png` (our decoder, then our encoder)
and Pillow's reading of X.png must equal our decoder's output written as PAM beside it.
Usage: python3 scripts/check-png-encoder-with-pillow.py [path/to/max-server]"""
import os, subprocess, sys, tempfile
from PIL import Image

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
server = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, ".build", "debug", "max-server")
fixtures = os.path.join(root, "Tests", "ImageCodecsTests", "Fixtures")
modes = {"GRAYSCALE": "L", "GRAYSCALE_ALPHA": "LA", "RGB": "RGB", "RGB_ALPHA": "RGBA"}


def read_pam(path):
    data = open(path, "rb").read()
    header, _, pixels = data.partition(b"ENDHDR\n")
    fields = dict(line.split(b" ", 1) for line in header.splitlines()[1:])
    return int(fields[b"WIDTH"]), int(fields[b"HEIGHT"]), modes[fields[b"TUPLTYPE"].decode()], pixels


checked = failed = 0
with tempfile.TemporaryDirectory() as work:
    for name in sorted(os.listdir(fixtures)):
        if name.endswith((".expected", ".samples16", ".json", ".gitkeep")):
            continue
        png_out, pam_out = os.path.join(work, "out.png"), os.path.join(work, "out.pam")
        for out in (png_out, pam_out):
            subprocess.run([server, "decode", os.path.join(fixtures, name), "--out", out], check=True,
                           stdout=subprocess.DEVNULL)
        width, height, mode, pixels = read_pam(pam_out)
        im = Image.open(png_out)
        ok = im.size == (width, height) and im.mode == mode and im.tobytes() == pixels
        checked += 1
        if not ok:
            failed += 1
            print(f"MISMATCH {name}: Pillow {im.mode} {im.size}, ours {mode} {(width, height)}")
print(f"{checked - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)
