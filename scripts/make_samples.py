#!/usr/bin/env python3
"""Write samples/: MNIST test digits as PNG and JPEG, plus photo-like pictures of digits.

    python3 scripts/make_samples.py

Every file name starts with its label (`7_mnist_0.png`), which the tests use as the expected
prediction. Digits come from ../shared/data/mnist_test.csv.gz (white on black, 28x28), the
first two of each class for PNG and the next one for JPEG (quality 90, as MAX-MNIST's samples).
The photo-like pictures put a digit on a larger canvas the way a user's picture arrives:
 - `<label>_photo_dark_on_light.png`: 400x300, dark ink on a light, uneven, coloured paper;
 - `<label>_photo_colour_alpha.png`: 240x240 RGBA, a blue digit on a transparent background;
 - `<label>_photo_phone.jpg`: 480x360 colour JPEG of dark ink on grey-beige paper, off centre.
"""
import gzip
import os

import numpy as np
from PIL import Image, ImageFilter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "..", "shared", "data", "mnist_test.csv.gz")
OUT = os.path.join(ROOT, "samples")


def load_test_digits():
    with gzip.open(DATA, "rt") as f:
        rows = np.loadtxt(f, delimiter=",", skiprows=1, dtype=np.uint8)
    return rows[:, 0], rows[:, 1:].reshape(-1, 28, 28)


def paper(width, height, colour, rng):
    """A light coloured background with a soft gradient and a little grain."""
    y, x = np.mgrid[0:height, 0:width]
    shade = 1.0 - 0.08 * (x / width) - 0.05 * (y / height)
    grain = rng.normal(0, 3, size=(height, width))
    rgb = np.stack([np.clip(c * shade + grain, 0, 255) for c in colour], axis=-1)
    return rgb


def ink_mask(digit, size):
    """The digit, upscaled smoothly, as ink coverage in 0..1."""
    big = Image.fromarray(digit).resize((size, size), Image.BICUBIC).filter(ImageFilter.GaussianBlur(1.2))
    return np.asarray(big, dtype=np.float64) / 255.0


def place(canvas_rgb, mask, left, top, ink):
    h, w = mask.shape
    region = canvas_rgb[top:top + h, left:left + w]
    for c in range(3):
        region[..., c] = region[..., c] * (1 - mask) + ink[c] * mask
    return canvas_rgb


def main():
    rng = np.random.default_rng(7)
    labels, digits = load_test_digits()
    os.makedirs(OUT, exist_ok=True)
    for label in range(10):
        indexes = np.flatnonzero(labels == label)
        for n, index in enumerate(indexes[:2]):
            Image.fromarray(digits[index]).save(os.path.join(OUT, f"{label}_mnist_{n}.png"), optimize=True)
        Image.fromarray(digits[indexes[2]]).save(os.path.join(OUT, f"{label}_mnist_2.jpg"), quality=90)

    # Dark digit on light coloured paper.
    three = digits[np.flatnonzero(labels == 3)[4]]
    canvas = paper(400, 300, (236, 228, 205), rng)
    canvas = place(canvas, ink_mask(three, 200), 110, 50, (40, 35, 60))
    Image.fromarray(canvas.astype(np.uint8)).save(os.path.join(OUT, "3_photo_dark_on_light.png"), optimize=True)

    # Colour digit with alpha on a transparent background.
    five = digits[np.flatnonzero(labels == 5)[3]]
    mask = ink_mask(five, 180)
    rgba = np.zeros((240, 240, 4), dtype=np.uint8)
    rgba[30:210, 30:210, 0] = 30
    rgba[30:210, 30:210, 1] = 90
    rgba[30:210, 30:210, 2] = 220
    rgba[30:210, 30:210, 3] = (mask * 255).astype(np.uint8)
    Image.fromarray(rgba, "RGBA").save(os.path.join(OUT, "5_photo_colour_alpha.png"), optimize=True)

    # A phone-like JPEG: off-centre digit, grey-beige paper.
    seven = digits[np.flatnonzero(labels == 7)[3]]
    canvas = paper(480, 360, (205, 200, 188), rng)
    canvas = place(canvas, ink_mask(seven, 160), 250, 120, (25, 25, 30))
    Image.fromarray(canvas.astype(np.uint8)).save(os.path.join(OUT, "7_photo_phone.jpg"), quality=88)
    print(f"wrote {len(os.listdir(OUT))} files to {OUT}")


if __name__ == "__main__":
    main()
