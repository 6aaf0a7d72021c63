#!/usr/bin/env python3
"""Writes Tests/MNISTTests/Fixtures/preprocessing: pictures of digits and the exact 28x28 field
the MNIST preprocessing must make of each, computed here by a second, independent
implementation of the same recipe (DigitPreprocessor.swift documents it):

 1. A 28x28 grayscale picture is used as is (MAX-MNIST's semantics); a flat one is refused.
 2. Anything else: alpha composited over white, (c * a + 255 * (255 - a) + 127) // 255; then
    luma as Pillow's convert("L"). A spread of gray values under 24 is refused as blank.
 3. Light on dark: inverted when the median of the outer ring of pixels is above the middle
    of the value range, (min + max) // 2.
 4. Otsu's threshold t (the first t maximising the between-class variance of {v <= t} and
    {v > t}); the digit is the bounding box of the pixels above t.
 5. Levels stretched: black point (min(background, t) + t) / 2, white point the 90th
    percentile of the ink (v > t), values rounded half away from zero and clamped.
 6. The longer side fitted to 20 pixels (sizes rounded half away from zero) by area
    averaging in single precision, as the Swift code does; values rounded and clamped.
 7. Pasted into 28x28 so the centre of mass lands on (13.5, 13.5), the offset rounded and
    kept inside the field; an empty field is refused.

expected.json maps each case to its input (a path relative to the package root: fixtures
written here, or pictures in samples/) and its 784 expected values, row by row, or null when
the picture must be refused as holding no digit. Inputs are PNG so that Pillow and our decoder
read the same pixels.

Needs Pillow and numpy. Run from anywhere: python3 scripts/make-mnist-fixtures.py
"""
import json
import math
import os

import numpy as np
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_RELATIVE = os.path.join("Tests", "MNISTTests", "Fixtures", "preprocessing")
OUT = os.path.join(ROOT, OUT_RELATIVE)
SIDE, BOX, MIN_CONTRAST = 28, 20, 24


def round_half_away(x):
    """Swift's `rounded()`: to nearest, ties away from zero (Python's round() ties to even)."""
    whole = math.trunc(x)
    fraction = x - whole  # exact in binary floating point
    if fraction >= 0.5:
        return whole + 1
    if fraction <= -0.5:
        return whole - 1
    return whole


def to_gray(image):
    """Step 2: composite over white, then luma. Returns a 2-D uint8 array."""
    mode = image.mode
    pixels = np.asarray(image).astype(np.int64)
    if mode in ("RGBA", "LA"):
        colour, alpha = pixels[..., :-1], pixels[..., -1:]
        composed = (colour * alpha + 255 * (255 - alpha) + 127) // 255
        pixels = composed if mode == "RGBA" else composed[..., 0]
        mode = "RGB" if mode == "RGBA" else "L"
    if mode == "RGB":
        r, g, b = pixels[..., 0], pixels[..., 1], pixels[..., 2]
        return ((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16).astype(np.uint8)
    if mode == "L":
        return pixels.astype(np.uint8)
    raise ValueError(f"unsupported mode {mode}")


def border_median(gray):
    ring = np.concatenate([gray[0, :], gray[-1, :], gray[:, 0], gray[:, -1]])
    return int(np.sort(ring)[len(ring) // 2])


def otsu(gray):
    histogram = np.bincount(gray.ravel(), minlength=256)
    total = float(gray.size)
    sum_all = float(sum(t * int(histogram[t]) for t in range(256)))
    weight_below = sum_below = 0.0
    best, best_t, found = 0.0, 0, False
    for t in range(256):
        weight_below += float(histogram[t])
        sum_below += float(t * int(histogram[t]))
        weight_above = total - weight_below
        if weight_below <= 0 or weight_above <= 0:
            continue
        mean_below = sum_below / weight_below
        mean_above = (sum_all - sum_below) / weight_above
        variance = weight_below * weight_above * (mean_below - mean_above) * (mean_below - mean_above)
        if not found or variance > best:
            best, best_t, found = variance, t, True
    return best_t if found else int(gray.ravel()[0])


def stretch(digit, background, threshold):
    ink = np.sort(digit[digit > threshold])
    white = float(ink[min(len(ink) - 1, len(ink) * 9 // 10)]) if len(ink) else 255.0
    black = (float(min(background, threshold)) + float(threshold)) / 2
    if not white > black:
        return digit
    scale = 255 / (white - black)
    out = np.empty_like(digit)
    for index, value in np.ndenumerate(digit):
        out[index] = max(0, min(255, round_half_away((float(value) - black) * scale)))
    return out


def coverage(out_count, in_count):
    """For each output index: (source index, float32 weight) pairs of the source it covers."""
    scale = in_count / out_count
    table = []
    for index in range(out_count):
        start, end = index * scale, (index + 1) * scale
        weights, source = [], int(start)
        while source < end and source < in_count:
            overlap = min(end, source + 1.0) - max(start, float(source))
            if overlap > 1e-9:
                weights.append((source, np.float32(overlap / scale)))
            source += 1
        table.append(weights)
    return table


def area_resize(gray, width, height):
    """Box-filter resize with single-precision sums in the Swift code's order."""
    in_height, in_width = gray.shape
    columns, rows = coverage(width, in_width), coverage(height, in_height)
    horizontal = np.zeros((in_height, width), dtype=np.float32)
    for y in range(in_height):
        for out_x, weights in enumerate(columns):
            total = np.float32(0)
            for x, weight in weights:
                total = np.float32(total + np.float32(np.float32(gray[y, x]) * weight))
            horizontal[y, out_x] = total
    result = np.zeros((height, width), dtype=np.uint8)
    for out_y, weights in enumerate(rows):
        for out_x in range(width):
            total = np.float32(0)
            for y, weight in weights:
                total = np.float32(total + np.float32(horizontal[y, out_x] * weight))
            result[out_y, out_x] = max(0, min(255, round_half_away(float(total))))
    return result


def centre_of_mass(gray):
    total = float(gray.sum())
    if total == 0:
        return None
    ys, xs = np.mgrid[0:gray.shape[0], 0:gray.shape[1]]
    return float((gray * xs).sum()) / total, float((gray * ys).sum()) / total


def normalize(image):
    """The 28x28 field as a uint8 array, or None when the picture must be refused."""
    if image.size == (SIDE, SIDE) and image.mode == "L":
        pixels = np.asarray(image)
        return pixels if pixels.max() > pixels.min() else None
    gray = to_gray(image)
    low, high = int(gray.min()), int(gray.max())
    if high - low < MIN_CONTRAST:
        return None
    if border_median(gray) > (low + high) // 2:
        gray = 255 - gray
    threshold = otsu(gray)
    ys, xs = np.nonzero(gray > threshold)
    if len(xs) == 0:
        return None
    left, top, right, bottom = xs.min(), ys.min(), xs.max() + 1, ys.max() + 1
    digit = stretch(gray[top:bottom, left:right], border_median(gray), threshold)
    box_width, box_height = right - left, bottom - top
    longer = max(box_width, box_height)
    scaled_width = max(1, round_half_away(box_width * BOX / longer))
    scaled_height = max(1, round_half_away(box_height * BOX / longer))
    scaled = area_resize(digit, scaled_width, scaled_height)
    centre = centre_of_mass(scaled) or ((scaled_width - 1) / 2, (scaled_height - 1) / 2)
    middle = (SIDE - 1) / 2
    x = min(max(round_half_away(middle - centre[0]), 0), SIDE - scaled_width)
    y = min(max(round_half_away(middle - centre[1]), 0), SIDE - scaled_height)
    field = np.zeros((SIDE, SIDE), dtype=np.uint8)
    field[y:y + scaled_height, x:x + scaled_width] = scaled
    return field if field.any() else None


# --- The pictures -----------------------------------------------------------------------

def mnist_digit(name):
    return np.asarray(Image.open(os.path.join(ROOT, "samples", name)).convert("L")).astype(np.float64)


def pictures(rng):
    """(name, Pillow image) for each generated case."""
    three = mnist_digit("3_mnist_0.png") / 255.0
    seven = mnist_digit("7_mnist_0.png") / 255.0
    cases = []

    # A 28x28 colour upload: dark red ink on yellow paper (must be converted, not passed through).
    paper = np.array([235, 220, 90], dtype=np.float64)
    ink = np.array([120, 10, 20], dtype=np.float64)
    rgb = paper * (1 - three[..., None]) + ink * three[..., None]
    cases.append(("rgb28_red_on_yellow", Image.fromarray(np.round(rgb).astype(np.uint8), "RGB")))

    # The same shape as gray passes through untouched.
    cases.append(("gray28_passthrough", Image.fromarray((three * 255).astype(np.uint8), "L")))

    # Dark on light, enlarged 3x, off centre on a grainy page.
    big = np.asarray(Image.fromarray((seven * 255).astype(np.uint8)).resize((84, 84), Image.BILINEAR)) / 255.0
    page = np.clip(225 + rng.normal(0, 4, size=(110, 150)), 0, 255)
    page[10:94, 50:134] = page[10:94, 50:134] * (1 - big) + 30 * big
    cases.append(("gray_dark_on_light_offset", Image.fromarray(np.round(page).astype(np.uint8), "L")))

    # Light on dark, not square: a digit squeezed to twice its width (the width is the longer side).
    wide = np.asarray(Image.fromarray((three * 255).astype(np.uint8)).resize((112, 56), Image.BILINEAR))
    canvas = np.full((90, 140), 12, dtype=np.uint8)
    canvas[20:76, 14:126] = np.maximum(canvas[20:76, 14:126], wide)
    cases.append(("gray_wide_light_on_dark", Image.fromarray(canvas, "L")))

    # Gray + alpha: ink only in the alpha channel, over a transparent background.
    alpha = np.asarray(Image.fromarray((seven * 255).astype(np.uint8)).resize((56, 56), Image.BILINEAR))
    la = np.stack([np.zeros_like(alpha), alpha], axis=-1)
    cases.append(("la_ink_in_alpha", Image.fromarray(la, "LA")))

    # A thin bar, 10x60, far off centre on a white page (fitted to 20 high, centred by mass).
    bar = np.full((150, 200), 255, dtype=np.uint8)
    bar[10:70, 150:160] = 0
    cases.append(("gray_thin_bar", Image.fromarray(bar, "L")))

    # The border median exactly at the middle of the range (low 0, high 200, border 100): a tie,
    # so the picture is not inverted.
    tie = np.full((40, 40), 100, dtype=np.uint8)
    tie[8:32, 17:23] = 200
    tie[20, 5] = 0
    cases.append(("gray_border_at_midpoint", Image.fromarray(tie, "L")))

    # Refused: a flat colour page, and a page whose only mark is too faint.
    cases.append(("rgb_blank", Image.new("RGB", (64, 48), (200, 180, 160))))
    faint = np.full((40, 40), 200, dtype=np.uint8)
    faint[10:30, 18:22] = 190
    cases.append(("gray_too_faint", Image.fromarray(faint, "L")))
    return cases


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(17)
    expected = {}
    for name, image in pictures(rng):
        relative = os.path.join(OUT_RELATIVE, name + ".png")
        image.save(os.path.join(ROOT, relative), optimize=True)
        expected[name] = relative
    # Pictures users send, already in the repository.
    for sample in ("3_photo_dark_on_light.png", "5_photo_colour_alpha.png", "8_mnist_0.png"):
        expected["sample_" + sample.rsplit(".", 1)[0]] = os.path.join("samples", sample)

    manifest = {}
    for name, relative in sorted(expected.items()):
        with Image.open(os.path.join(ROOT, relative)) as image:
            image.load()
            field = normalize(image)
        manifest[name] = {"input": relative.replace(os.sep, "/"),
                          "expected": None if field is None else [int(v) for v in field.ravel()]}
        print(f"{name}: {'refused' if field is None else 'field sum %d' % int(field.sum())}")
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        lines = [f"  {json.dumps(name)}: {json.dumps(manifest[name])}" for name in sorted(manifest)]
        f.write("{\n" + ",\n".join(lines) + "\n}\n")


if __name__ == "__main__":
    main()
