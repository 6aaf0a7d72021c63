#!/usr/bin/env python3
"""Writes samples/requests/: the files README.md's curl examples post, made from the project's
own samples so that a fresh clone can run every example as it is shown.

    python3 scripts/make-readme-requests.py

Needs Pillow and numpy. Seeded, so the files (and the answers README shows) do not change.
"""
import base64
import json
import os
import random

import numpy as np
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLES = os.path.join(ROOT, "samples")
OUT = os.path.join(SAMPLES, "requests")


def sample_pixels(name):
    """The 784 gray levels of a 28x28 sample, row-major, ink high (MNIST's layout)."""
    image = Image.open(os.path.join(SAMPLES, name))
    assert image.size == (28, 28) and image.mode == "L", name
    return list(image.tobytes())


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as out:
        out.write(data)


def main():
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(SAMPLES, "digit-8.png"), "rb") as png:
        digit_png = png.read()
    # Bad uploads: an empty file, a PNG cut inside its image data.
    write("empty.png", b"")
    write("truncated.png", digit_png[:100])
    # Pictures with no digit: uniform random colour noise (the picture the browser tests post,
    # scripts/webtests/test_pages.py) and a white page.
    generator = random.Random(15)
    noise = [[tuple(generator.randrange(256) for _ in range(3)) for _ in range(200)] for _ in range(200)]
    Image.fromarray(np.array(noise, dtype=np.uint8), "RGB").save(os.path.join(OUT, "noise.png"))
    Image.new("L", (160, 120), 255).save(os.path.join(OUT, "blank.png"))
    # Pixel rows: {"pixels": [...]}, one Kaggle row, and Kaggle's test.csv layout (3 rows).
    seven = sample_pixels("7_mnist_0.png")
    write("pixels.json", json.dumps({"pixels": seven}).encode())
    write("row.json", json.dumps({f"pixel{i}": v for i, v in enumerate(seven)}).encode())
    rows = [sample_pixels(f"{digit}_mnist_0.png") for digit in (7, 5, 4)]
    csv = ",".join(f"pixel{i}" for i in range(784)) + "\n" + "".join(",".join(map(str, row)) + "\n" for row in rows)
    write("test.csv", csv.encode())
    # Training data with the wrong header (two columns).
    write("bad.csv", b"label,pixel0\n7,0\n")
    # KServe v2 requests: raw UINT8 pixels, and an encoded picture asked for its top 3 classes.
    write("v2.json", json.dumps({"id": "readme-1", "inputs": [
        {"name": "pixels", "shape": [1, 28, 28, 1], "datatype": "UINT8", "data": seven}]}).encode())
    with open(os.path.join(SAMPLES, "7_photo_phone.jpg"), "rb") as jpeg:
        photo = base64.b64encode(jpeg.read()).decode()
    write("v2-image.json", json.dumps({
        "inputs": [{"name": "image", "shape": [1, 1], "datatype": "BYTES", "data": [photo]}],
        "outputs": [{"name": "probabilities", "parameters": {"classification": 3}}]}).encode())
    print(f"wrote {len(os.listdir(OUT))} files to {os.path.relpath(OUT, ROOT)}")


if __name__ == "__main__":
    main()
