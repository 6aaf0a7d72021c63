#!/usr/bin/env python3
"""Writes the sample images (samples/) and the image-stats test fixtures
(Tests/ImageStatsTests/Fixtures/) with the statistics Pillow computes for them.

Everything is drawn here (no external data), so the files are small and reproducible:
    python3 scripts/make_framework_fixtures.py
Needs Pillow and numpy. Rewrites md5sums.txt's sample lines as `md5sum samples/*` would.
"""
import hashlib
import io
import json
import os

import numpy as np
from PIL import Image, ImageDraw

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLES = os.path.join(ROOT, "samples")
FIXTURES = os.path.join(ROOT, "Tests", "ImageStatsTests", "Fixtures")


def digit_eight():
    """A light-on-dark '8' in a 28x28 field, drawn like an MNIST digit."""
    image = Image.new("L", (28, 28), 0)
    draw = ImageDraw.Draw(image)
    draw.ellipse((9, 4, 19, 13), outline=255, width=3)
    draw.ellipse((8, 12, 20, 24), outline=255, width=3)
    return image


def gradient_rgb(width, height):
    y, x = np.mgrid[0:height, 0:width]
    pixels = np.stack([x * 255 // (width - 1), y * 255 // (height - 1), (x + y) * 255 // (width + height - 2)], axis=-1)
    return Image.fromarray(pixels.astype(np.uint8), "RGB")


def rgba_badge():
    image = gradient_rgb(17, 9).convert("RGBA")
    alpha = np.zeros((9, 17), dtype=np.uint8)
    alpha[:, 5:] = 255
    image.putalpha(Image.fromarray(alpha, "L"))
    return image


def encode(image, fmt, **options):
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def statistics(data):
    """What the image-stats plugin should answer, from Pillow's own decode."""
    image = Image.open(io.BytesIO(data))
    image.load()
    channels = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4}[image.mode]
    samples = np.asarray(image, dtype=np.float64).reshape(image.height, image.width, channels)
    colour = samples[:, :, :channels - 1] if channels in (2, 4) else samples
    return {"width": image.width, "height": image.height, "channels": channels,
            "mean_intensity": round(float(colour.mean()), 4)}


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(data)


def main():
    samples = {
        "digit-8.png": encode(digit_eight(), "PNG"),
        "gradient.jpg": encode(gradient_rgb(64, 48), "JPEG", quality=90),
    }
    for name, data in samples.items():
        write(os.path.join(SAMPLES, name), data)

    gray_png = encode(digit_eight(), "PNG")
    fixtures = {
        "gray.png": gray_png,
        "rgb.bmp": encode(gradient_rgb(33, 21), "BMP"),
        "rgb.jpg": encode(gradient_rgb(33, 21), "JPEG", quality=95, subsampling=0),
        "rgba.png": encode(rgba_badge(), "PNG"),
        "truncated.png": gray_png[: len(gray_png) // 2],
        "not-an-image.txt": b"this is plain text, not an image\n",
    }
    expected = {}
    for name, data in fixtures.items():
        write(os.path.join(FIXTURES, name), data)
        if name in ("gray.png", "rgb.bmp", "rgb.jpg", "rgba.png"):
            expected[name] = statistics(data)
    with open(os.path.join(FIXTURES, "expected.json"), "w") as handle:
        json.dump(expected, handle, indent=2, sort_keys=True)
        handle.write("\n")

    with open(os.path.join(ROOT, "md5sums.txt"), "w") as handle:
        for name in sorted(samples):
            handle.write(f"{hashlib.md5(samples[name]).hexdigest()}  samples/{name}\n")


if __name__ == "__main__":
    main()
