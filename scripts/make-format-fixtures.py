#!/usr/bin/env python3
"""Fixtures for issue 13's image work, made with Pillow and written under
Tests/ImageCodecsTests/Fixtures/:

  memory/gradient_2000x1500_420.jpg   a large 4:2:0 JPEG whose decode memory the tests measure

Run from the repository root: python3 scripts/make-format-fixtures.py (needs Pillow).
"""
import os

from PIL import Image

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "ImageCodecsTests", "Fixtures")


def write_memory_fixtures():
    folder = os.path.join(ROOT, "memory")
    os.makedirs(folder, exist_ok=True)
    width, height = 2000, 1500
    # A smooth gradient compresses to a few kilobytes yet has every component present.
    image = Image.linear_gradient("L").resize((width, height))
    colour = Image.merge("RGB", (image, image.transpose(Image.Transpose.FLIP_LEFT_RIGHT), image.rotate(180)))
    colour.save(os.path.join(folder, "gradient_2000x1500_420.jpg"), quality=10, subsampling=2)


if __name__ == "__main__":
    write_memory_fixtures()
