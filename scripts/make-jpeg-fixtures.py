#!/usr/bin/env python3
"""Writes the JPEG decoder's own small test fixtures to Tests/ImageCodecsTests/Fixtures/jpeg/.

Each `<name>.jpg` that decodes gets `<name>.pgm` / `<name>.ppm` beside it: the pixels Pillow
(libjpeg-turbo, accurate integer IDCT, fancy upsampling) decodes from it. `refused_*.jpg`
files must be refused by our decoder with an error naming the problem.

Needs Pillow and numpy. 4:1:1 / 4:4:0 sampling and arithmetic coding need libjpeg-turbo's
`cjpeg` (Debian package libjpeg-turbo-progs); without it those fixtures are skipped.
12-bit and lossless files cannot be written by Pillow or that cjpeg, so those two are made by
patching a baseline file's frame header (SOF1 with precision 12; SOF3), which is exactly what
the decoder inspects to refuse them.

Usage: python3 scripts/make-jpeg-fixtures.py
"""
import io
import os
import shutil
import subprocess
import tempfile

import numpy as np
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "ImageCodecsTests", "Fixtures", "jpeg")


def photo_like(width, height, seed=1):
    """A deterministic colour image with gradients, hard edges and noise (so every
    coefficient band and the chroma upsampling matter)."""
    rng = np.random.RandomState(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    r = 128 + 100 * np.sin(x / 5.0) * np.cos(y / 7.0)
    g = 255 * x / max(width - 1, 1)
    b = np.where((x // 6 + y // 5) % 2 == 0, 220.0, 30.0)
    img = np.stack([r, g, b], axis=-1) + rng.normal(0, 12, (height, width, 3))
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), "RGB")


def save_with_reference(name, data):
    path = os.path.join(OUT, name + ".jpg")
    with open(path, "wb") as f:
        f.write(data)
    decoded = Image.open(path)
    decoded.load()
    decoded.save(os.path.join(OUT, name + (".pgm" if decoded.mode == "L" else ".ppm")))


def pillow_jpeg(image, **options):
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", **options)
    return buffer.getvalue()


def cjpeg(image, *arguments):
    with tempfile.TemporaryDirectory() as folder:
        source = os.path.join(folder, "in.ppm")
        image.save(source)
        return subprocess.run(["cjpeg", *arguments, source], check=True, capture_output=True).stdout


def main():
    os.makedirs(OUT, exist_ok=True)
    # Files are overwritten, never wiped first: without cjpeg the committed 4:1:1 / 4:4:0 /
    # arithmetic fixtures stay as they are.
    colour = photo_like(37, 21)
    gray = colour.convert("L")

    cases = {
        "gray_q85": pillow_jpeg(gray, quality=85),
        "rgb_444_q90": pillow_jpeg(colour, quality=90, subsampling=0),
        "rgb_422_q80": pillow_jpeg(colour, quality=80, subsampling=1),
        "rgb_420_q75": pillow_jpeg(colour, quality=75, subsampling=2),
        "gray_progressive": pillow_jpeg(gray, quality=80, progressive=True),
        "rgb_420_progressive": pillow_jpeg(colour, quality=85, subsampling=2, progressive=True),
        "rgb_444_progressive": pillow_jpeg(colour, quality=95, subsampling=0, progressive=True),
        "rgb_420_restart": pillow_jpeg(colour, quality=75, subsampling=2, restart_marker_blocks=2),
        "rgb_420_progressive_restart": pillow_jpeg(colour, quality=75, subsampling=2, progressive=True,
                                                   restart_marker_blocks=3),
        "rgb_420_optimized": pillow_jpeg(colour, quality=80, subsampling=2, optimize=True),
        # Chroma 2 samples wide: libjpeg-turbo replicates instead of interpolating.
        "rgb_420_tiny_3x5": pillow_jpeg(colour.crop((0, 0, 3, 5)), quality=90, subsampling=2),
        "rgb_422_1x1": pillow_jpeg(colour.crop((4, 4, 5, 5)), quality=90, subsampling=1),
        "gray_odd_9x17": pillow_jpeg(gray.crop((3, 2, 12, 19)), quality=70),
        "rgb_420_exif_icc_comment": pillow_jpeg(colour, quality=80, subsampling=2,
                                                exif=exif_bytes(), icc_profile=b"not a real profile" * 20,
                                                comment=b"fixture comment"),
        # RGB stored without colour transform (Adobe APP14 transform 0).
        "rgb_444_adobe_rgb": pillow_jpeg(colour, quality=90, subsampling=0, keep_rgb=True),
    }
    if shutil.which("cjpeg"):
        cases["rgb_411_cjpeg"] = cjpeg(colour, "-quality", "85", "-sample", "4x1,1x1,1x1")
        cases["rgb_440_cjpeg"] = cjpeg(colour, "-quality", "85", "-sample", "1x2,1x1,1x1")
        cases["rgb_420_cjpeg_restart_rows"] = cjpeg(colour, "-quality", "60", "-restart", "1")
    else:
        print("cjpeg not found: keeping the existing 4:1:1, 4:4:0 and arithmetic fixtures (apt-get install libjpeg-turbo-progs)")
    # Entropy-coded data cut short but followed by EOI: libjpeg-turbo fills the MCU being decoded
    # with zero bits and leaves the rest of the scan gray (with a warning); Pillow returns that.
    whole = cases["rgb_420_q75"]
    cases["rgb_420_short_segment"] = whole[: whole.index(b"\xff\xda") + 300] + b"\xff\xd9"
    for name, data in cases.items():
        save_with_reference(name, data)

    baseline = cases["rgb_420_q75"]
    sof = baseline.index(b"\xff\xc0")
    refused = {
        "refused_truncated": baseline[: len(baseline) // 2],
        "refused_cmyk": pillow_jpeg(colour.convert("CMYK"), quality=80),
        # SOF1 with 12-bit precision; SOF3 (lossless): see the docstring.
        "refused_12bit": baseline[:sof] + b"\xff\xc1" + baseline[sof + 2: sof + 4] + b"\x0c" + baseline[sof + 5:],
        "refused_lossless": baseline[:sof] + b"\xff\xc3" + baseline[sof + 2:],
    }
    if shutil.which("cjpeg"):
        refused["refused_arithmetic"] = cjpeg(colour, "-quality", "80", "-arithmetic")
    for name, data in refused.items():
        with open(os.path.join(OUT, name + ".jpg"), "wb") as f:
            f.write(data)
    total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print(f"wrote {len(os.listdir(OUT))} files, {total} bytes, to {OUT}")


def exif_bytes():
    exif = Image.Exif()
    exif[0x010F] = "MAX test camera"   # Make
    exif[0x0112] = 1                   # Orientation: normal
    return exif.tobytes()


if __name__ == "__main__":
    main()
