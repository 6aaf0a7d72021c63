"""Pictures of digits and of things that are not digits: the project's own generators.

Imported by scripts/make_digit_sets.py (the committed behavioural test sets) and by
scripts/train_mnist.py (the "not a digit" training images). Both draw from the same
generators with different seeds; nothing here reads a test set except `sheet()`, which
composites the digits it is given (the test-set maker passes mnist_test digits).

Every picture is an RGB float array, 0-255, shape (height, width, 3); `to_uint8` rounds it.
Ink is laid on paper through a coverage mask in 0..1, so a digit's true box is where its
coverage reaches one half.
"""
import glob
import gzip
import io
import os

import numpy as np
import scipy.ndimage as ndimage
from PIL import Image, ImageDraw, ImageFilter, ImageFont

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "..", "shared", "data")
FONT_ROOT = "/usr/share/fonts/truetype"

#: Letters that are digits in most fonts (O/o as 0, I/l as 1): never used as "not a digit".
AMBIGUOUS_LETTERS = set("OoIl")
LETTERS = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" if c not in AMBIGUOUS_LETTERS]
#: Symbols that are not digit-shaped. Left out: ! / \ | ( ) ' , . : ; (a 1 or a speck).
SYMBOLS = list("+*=%&#@?$<>~^{}[]€£§¶©®★♥∞Σπ¥¢µ¿♦♣♠†‡✓✗☺Ωß")

PAPERS = [(250, 250, 250), (255, 255, 255), (245, 240, 225), (250, 244, 200), (225, 238, 250),
          (250, 225, 230), (225, 245, 225), (235, 235, 235), (240, 230, 250), (255, 235, 205)]
INKS = [(20, 20, 20), (0, 0, 0), (25, 40, 140), (160, 20, 25), (20, 100, 40), (90, 30, 120),
        (100, 60, 30), (70, 70, 80), (10, 60, 110)]
DARK_PAPERS = [(20, 20, 20), (35, 60, 45), (25, 30, 70), (50, 50, 55), (0, 0, 0)]
LIGHT_INKS = [(245, 245, 245), (255, 255, 255), (250, 240, 150), (200, 230, 255), (255, 210, 220)]


# ---------------------------------------------------------------------------------------------
# Sources


def load_mnist(name):
    """Labels and (N, 28, 28) uint8 digits from ../shared/data/<name> (MNIST CSV, gzipped)."""
    with gzip.open(os.path.join(DATA, name), "rt") as f:
        rows = np.loadtxt(f, delimiter=",", skiprows=1, dtype=np.uint8)
    return rows[:, 0].astype(np.int64), rows[:, 1:].reshape(-1, 28, 28)


def has_glyphs(font, chars):
    """True when the font draws every one of `chars` (not its 'missing glyph' box)."""
    missing = bytes(font.getmask("\uffff"))
    return all(bytes(font.getmask(c)) != missing for c in chars)


def fonts_with(chars):
    """Every TrueType font on the machine that has all of `chars`, sorted by path."""
    paths = sorted(glob.glob(os.path.join(FONT_ROOT, "**", "*.ttf"), recursive=True))
    return [p for p in paths if has_glyphs(ImageFont.truetype(p, 32), chars)]


def font_name(path):
    return os.path.splitext(os.path.basename(path))[0]


# ---------------------------------------------------------------------------------------------
# Ink masks (coverage 0..1)


def resize_mask(mask, width, height):
    """Coverage resampled to width x height: bicubic up, area-averaging down."""
    image = Image.fromarray(np.clip(mask * 255, 0, 255).astype(np.uint8))
    shrinking = width < mask.shape[1] or height < mask.shape[0]
    resized = image.resize((max(1, width), max(1, height)), Image.BOX if shrinking else Image.BICUBIC)
    return np.asarray(resized, dtype=np.float64) / 255.0


def trim(mask, level=0.02):
    """The mask cropped to where coverage exceeds `level`."""
    ys, xs = np.nonzero(mask > level)
    if len(ys) == 0:
        return mask
    return mask[ys.min():ys.max() + 1, xs.min():xs.max() + 1]


def mnist_mask(digit, height, max_width=None):
    """An MNIST digit (28x28, ink high) as coverage whose ink box is `height` pixels tall (less
    when that would make it wider than `max_width`)."""
    crop = trim(digit.astype(np.float64) / 255.0)
    scale = height / crop.shape[0]
    if max_width is not None:
        scale = min(scale, max_width / crop.shape[1])
    width = max(1, int(round(crop.shape[1] * scale)))
    mask = resize_mask(crop, width, max(1, int(round(crop.shape[0] * scale))))
    # A pen's edge stays sharp at any size: undo the blur of a large upscale.
    sharpen = min(4.0, max(1.0, scale / 3))
    return np.clip((mask - 0.5) * sharpen + 0.5, 0, 1) if sharpen > 1 else mask


def font_mask(path, text, height):
    """`text` rendered in the font, as coverage whose ink box is `height` pixels tall."""
    probe = ImageFont.truetype(path, 100)
    box = probe.getbbox(text)
    ink_height = max(1, box[3] - box[1])
    size = max(4, int(round(100 * height / ink_height)))
    font = ImageFont.truetype(path, size)
    box = font.getbbox(text)
    canvas = Image.new("L", (box[2] - box[0] + 8, box[3] - box[1] + 8), 0)
    ImageDraw.Draw(canvas).text((4 - box[0], 4 - box[1]), text, fill=255, font=font)
    return trim(np.asarray(canvas, dtype=np.float64) / 255.0)


def true_box(mask, left, top):
    """[x, y, width, height] of the coverage >= 0.5 pixels, placed at (left, top); None if none."""
    ys, xs = np.nonzero(mask >= 0.5)
    if len(ys) == 0:
        return None
    return [int(left + xs.min()), int(top + ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)]


def break_stroke(mask, rng):
    """The mask with a thin band erased across it, as a pen that skipped (a digit in pieces)."""
    out = mask.copy()
    h, w = mask.shape
    band = max(1, int(round(0.06 * h)))
    if rng.random() < 0.5 or w < 0.45 * h:
        y = int(rng.uniform(0.25, 0.75) * h)
        out[y:y + band, :] = 0
    else:
        x = int(rng.uniform(0.3, 0.7) * w)
        out[:, x:x + band] = 0
    return out


def stroke_changed(mask, pixels):
    """Thicker (pixels > 0) or thinner (pixels < 0) strokes by grey dilation or erosion."""
    size = (abs(pixels) + 1,) * 2
    if pixels > 0:
        return ndimage.grey_dilation(mask, size=size)
    return ndimage.grey_erosion(mask, size=size)


# ---------------------------------------------------------------------------------------------
# Backgrounds


def smooth_field(height, width, rng, cells=4):
    """A smooth random field in -1..1 (bicubic upsampling of a coarse random grid)."""
    coarse = rng.uniform(-1, 1, size=(cells + 1, cells + 1))
    image = Image.fromarray(((coarse + 1) * 127.5).astype(np.uint8))
    field = np.asarray(image.resize((width, height), Image.BICUBIC), dtype=np.float64)
    return field / 127.5 - 1


def plain(height, width, colour):
    return np.ones((height, width, 3)) * np.array(colour, dtype=np.float64)


def gradient(height, width, first, second, rng):
    """A linear blend from `first` to `second` at a random angle."""
    angle = rng.uniform(0, 2 * np.pi)
    y, x = np.mgrid[0:height, 0:width]
    t = (np.cos(angle) * x / width + np.sin(angle) * y / height)
    t = (t - t.min()) / max(1e-9, t.max() - t.min())
    return np.array(first) * (1 - t[..., None]) + np.array(second) * t[..., None]


def paper_texture(height, width, rng, strength=6.0):
    """Fibres and blotches of paper, zero mean, to add to a background."""
    fibres = ndimage.gaussian_filter(rng.normal(0, 1, (height, width)), sigma=(0.6, 2.5))
    blotches = smooth_field(height, width, rng, cells=12)
    return strength * (fibres * 1.5 + blotches * 0.8)


def illumination(height, width, rng):
    """A photo's light: a vignette, a smooth unevenness and sometimes a soft shadow; 0.55..1."""
    y, x = np.mgrid[0:height, 0:width]
    cy, cx = height * rng.uniform(0.3, 0.7), width * rng.uniform(0.3, 0.7)
    r = np.hypot((y - cy) / height, (x - cx) / width)
    light = 1 - rng.uniform(0.1, 0.3) * r ** 2 + 0.06 * smooth_field(height, width, rng, cells=3)
    if rng.random() < 0.6:
        angle = rng.uniform(0, 2 * np.pi)
        d = (np.cos(angle) * (x - width / 2) + np.sin(angle) * (y - height / 2)) / max(width, height)
        edge = rng.uniform(-0.3, 0.3)
        light -= rng.uniform(0.12, 0.3) / (1 + np.exp(-(d - edge) * rng.uniform(8, 30)))
    return np.clip(light, 0.55, 1.0)


def to_uint8(picture):
    return np.clip(np.round(picture), 0, 255).astype(np.uint8)


def jpeg_roundtrip(picture, quality):
    """The picture as a JPEG of `quality` would decode (Pillow)."""
    buffer = io.BytesIO()
    mode = "L" if picture.ndim == 2 else "RGB"
    Image.fromarray(to_uint8(picture), mode).save(buffer, format="JPEG", quality=quality)
    buffer.seek(0)
    return np.asarray(Image.open(buffer).convert(mode), dtype=np.float64)


def lay_ink(canvas, mask, left, top, ink):
    """Composite ink of colour `ink` through `mask` at (left, top); clipped at the edges."""
    h, w = mask.shape
    H, W = canvas.shape[:2]
    x0, y0, x1, y1 = max(0, left), max(0, top), min(W, left + w), min(H, top + h)
    if x0 >= x1 or y0 >= y1:
        return
    m = mask[y0 - top:y1 - top, x0 - left:x1 - left][..., None]
    canvas[y0:y1, x0:x1] = canvas[y0:y1, x0:x1] * (1 - m) + np.array(ink, dtype=np.float64) * m


def colours(rng, light_on_dark=None):
    """(paper, ink) from the palettes; light ink on dark paper a fifth of the time."""
    if light_on_dark is None:
        light_on_dark = rng.random() < 0.2
    if light_on_dark:
        return DARK_PAPERS[rng.integers(len(DARK_PAPERS))], LIGHT_INKS[rng.integers(len(LIGHT_INKS))]
    return PAPERS[rng.integers(len(PAPERS))], INKS[rng.integers(len(INKS))]


def framed(mask, paper, ink, rng, margin=(0.3, 0.9)):
    """A picture of one mask on plain paper with a random margin around it."""
    h, w = mask.shape
    scale = max(h, w)
    left, right, top, bottom = (int(rng.uniform(*margin) * scale) + 2 for _ in range(4))
    canvas = plain(h + top + bottom, w + left + right, paper)
    lay_ink(canvas, mask, left, top, ink)
    return canvas


# ---------------------------------------------------------------------------------------------
# Multi-digit sheets


SHEET_STYLES = ["plain", "coloured", "gradient", "dark", "photographed"]


def sheet(rng, digits, labels, width=400, height=300, style="plain", count=(6, 12),
          big=False, tiny=0, touching=0, broken=0.1, specks=0):
    """A sheet of handwritten digits laid out in lines, and its truth in reading order.

    `digits`/`labels` is the pool digits are drawn from. Returns (picture, truth, jpeg) where
    truth is a list of {"label", "box", "touching", "broken"} in reading order (lines top to
    bottom, each left to right) and jpeg the quality to save it with (None: save as PNG).
    """
    if style == "dark":
        paper, ink = colours(rng, light_on_dark=True)
    elif style == "plain":
        paper, ink = (rng.choice([250, 255, 245]),) * 3, INKS[rng.integers(3)]
    else:
        paper, ink = colours(rng, light_on_dark=False)
    if style == "gradient":
        other = PAPERS[rng.integers(len(PAPERS))]
        canvas = gradient(height, width, paper, other, rng)
    elif style == "photographed":
        canvas = plain(height, width, paper) + paper_texture(height, width, rng)[..., None]
    else:
        canvas = plain(height, width, paper)

    margin = 6
    wanted = int(rng.integers(count[0], count[1] + 1))
    rows = int(rng.integers(1, 4)) if wanted <= 8 else int(rng.integers(2, 5))
    per_row = np.bincount(rng.integers(rows, size=wanted - rows), minlength=rows) + 1
    if big:
        # One line holds a digit most of the picture tall, with smaller digits beside it.
        heights = [int(rng.uniform(0.45, 0.7) * height)]
        rows = 1 + min(rows - 1, 1)
        per_row = [max(1, wanted // 3), wanted - max(1, wanted // 3)][:rows]
    else:
        heights = []
    limit = (height - 2 * margin - sum(heights)) / max(1, rows - len(heights)) * 0.6
    while len(heights) < rows:
        heights.append(int(np.exp(rng.uniform(np.log(16), np.log(max(17, min(80, limit)))))))
    order = rng.permutation(rows)
    heights = [heights[i] for i in order]
    per_row = [per_row[i] for i in order]
    spare = height - 2 * margin - sum(heights)
    gaps = rng.dirichlet(np.ones(rows + 1)) * max(0, spare - 8 * (rows + 1)) + 8
    truth = []
    y = margin + gaps[0]
    tiny_left, touching_left = tiny, touching
    for row_height, count_in_row, gap_after in zip(heights, per_row, gaps[1:]):
        if y + row_height > height - margin:
            break
        row = []
        for n in range(count_in_row):
            if n == 0 and row_height > 0.4 * height:
                h = row_height
            elif tiny_left and rng.random() < 0.4:
                h = int(rng.integers(9, 12))
                tiny_left -= 1
            else:
                h = max(12, int(min(row_height, 80) * rng.uniform(0.75, 1.0)))
            index = int(rng.integers(len(digits)))
            mask = mnist_mask(digits[index], h, max_width=width - 2 * margin - 8)
            is_broken = rng.random() < broken
            if is_broken:
                mask = break_stroke(mask, rng)
            row.append({"mask": mask, "h": h, "label": int(labels[index]), "broken": bool(is_broken)})
        # Spread the row across the width: touching pairs overlap by a pixel or two.
        widths = sum(entry["mask"].shape[1] for entry in row)
        room = width - 2 * margin - widths
        if room < 4 * len(row):
            row = row[: max(1, len(row) // 2)]
            room = width - 2 * margin - sum(entry["mask"].shape[1] for entry in row)
        spacing = rng.dirichlet(np.ones(len(row) + 1)) * max(0, room - 4 * len(row)) + 4
        x = margin + spacing[0] - 4
        for n, entry in enumerate(row):
            entry["touching"] = False
            if n > 0 and touching_left > 0 and rng.random() < 0.5 and entry["h"] > 14 and row[n - 1]["h"] > 14:
                x -= int(rng.integers(1, 3))
                entry["touching"] = row[n - 1]["touching"] = True
                touching_left -= 1
            elif n > 0:
                x += spacing[n]
            h = entry["h"]
            entry["left"] = int(x)
            top = y + (row_height - h) / 2 + rng.uniform(-0.08, 0.08) * h
            entry["top"] = int(min(max(top, y), y + row_height - h))
            x += entry["mask"].shape[1]
        for entry in row:
            box = true_box(entry["mask"], entry["left"], entry["top"])
            if box is None:
                continue
            lay_ink(canvas, entry["mask"], entry["left"], entry["top"], ink)
            truth.append({"label": entry["label"], "box": box, "touching": entry["touching"],
                          "broken": entry["broken"]})
        y += row_height + gap_after

    for _ in range(specks):
        r = rng.uniform(0.5, 1.5)
        cx, cy = rng.uniform(0, width), rng.uniform(0, height)
        yy, xx = np.mgrid[0:5, 0:5]
        dot = np.clip(r + 0.5 - np.hypot(yy - 2, xx - 2), 0, 1)
        lay_ink(canvas, dot, int(cx) - 2, int(cy) - 2, ink)

    jpeg = None
    if style == "photographed":
        canvas = canvas * illumination(height, width, rng)[..., None] + rng.normal(0, 3, canvas.shape)
        jpeg = int(rng.integers(70, 92))
    return canvas, truth, jpeg


def slanted(mask, slant):
    """The mask sheared as italic writing: each row shifted right by `slant` pixels per row
    above the bottom (left for a negative slant); the result is wider, nothing is cut off."""
    h, w = mask.shape
    extra = int(np.ceil(abs(slant) * (h - 1)))
    start = slant * (h - 1) if slant > 0 else 0.0
    # output (y, x) reads input (y, x + slant * y - start)
    out = ndimage.affine_transform(mask, np.array([[1.0, 0.0], [slant, 1.0]]), offset=(0.0, -start),
                                   output_shape=(h, w + extra), order=1, mode="constant", cval=0.0)
    return trim(np.clip(out, 0, 1))


def touching_pair(rng, digits, labels, height=(22, 48), slant=(0.2, 0.45)):
    """Two mnist_test digits written in one slant and slid together until their strokes
    touch (coverage >= 0.5 in both at a pixel), on plain paper. Returns (picture, truth, slant)
    with truth [{"label", "box"}, ...] left to right, or None when the two would only touch by
    overlapping more than a third of the narrower's width (a 1 slid into a 7's gap)."""
    h = int(rng.integers(height[0], height[1] + 1))
    tilt = float(rng.uniform(*slant)) * (1 if rng.random() < 0.7 else -1)
    picks = [int(rng.integers(len(digits))) for _ in range(2)]
    masks = [slanted(mnist_mask(digits[i], h), tilt) for i in picks]
    (h1, w1), (h2, w2) = masks[0].shape, masks[1].shape
    dy = int(round(rng.uniform(-0.08, 0.08) * h))
    margin = 8
    top1, top2 = margin + max(0, -dy), margin + max(0, dy)
    height_px = max(top1 + h1, top2 + h2) + margin
    width_px = margin * 2 + w1 + w2
    left1 = margin
    ink1 = np.zeros((height_px, width_px))
    ink1[top1:top1 + h1, left1:left1 + w1] = masks[0]
    for overlap in range(0, max(1, min(w1, w2) // 3) + 1):
        left2 = left1 + w1 - overlap
        ink2 = np.zeros((height_px, width_px))
        ink2[top2:top2 + h2, left2:left2 + w2] = masks[1]
        if np.any((ink1 >= 0.5) & (ink2 >= 0.5)):
            break
    else:
        return None
    width_px = left2 + w2 + margin
    paper, ink = colours(rng, light_on_dark=False)
    canvas = plain(height_px, width_px, paper)
    truth = []
    for mask, left, top, index in ((masks[0], left1, top1, picks[0]), (masks[1], left2, top2, picks[1])):
        lay_ink(canvas, mask, left, top, ink)
        truth.append({"label": int(labels[index]), "box": true_box(mask, left, top)})
    return canvas, truth, tilt


# ---------------------------------------------------------------------------------------------
# Things that are not digits


def letter_picture(rng, fonts, text=None):
    """A letter (or a short word when `text` is given) in a random font, size and colour."""
    text = text or LETTERS[rng.integers(len(LETTERS))]
    path = fonts[rng.integers(len(fonts))]
    mask = font_mask(path, text, int(rng.integers(14, 72)))
    paper, ink = colours(rng)
    return framed(mask, paper, ink, rng)


def symbol_picture(rng, fonts):
    """A symbol from SYMBOLS in a font that has it."""
    for _ in range(20):
        symbol = SYMBOLS[rng.integers(len(SYMBOLS))]
        path = fonts[rng.integers(len(fonts))]
        if has_glyphs(ImageFont.truetype(path, 32), symbol):
            break
    mask = font_mask(path, symbol, int(rng.integers(14, 72)))
    paper, ink = colours(rng)
    return framed(mask, paper, ink, rng)


def word_picture(rng, fonts):
    length = int(rng.integers(2, 6))
    return letter_picture(rng, fonts, "".join(LETTERS[i] for i in rng.integers(len(LETTERS), size=length)))


def shape_picture(rng):
    """A drawn geometric shape that is no digit: square, triangle, star, cross, arrow, heart."""
    size = int(rng.integers(24, 96))
    image = Image.new("L", (size * 2, size * 2), 0)
    draw = ImageDraw.Draw(image)
    kind = rng.integers(6)
    c, r = size, size * 0.8
    stroke = max(1, int(rng.uniform(0.04, 0.12) * size * 2))
    filled = rng.random() < 0.4
    if kind == 0:
        draw.rectangle([c - r, c - r * rng.uniform(0.5, 1), c + r, c + r], outline=255, width=stroke,
                       fill=255 if filled else None)
    elif kind in (1, 2):
        n = 3 if kind == 1 else 5
        points = []
        for i in range(n * (1 if kind == 1 else 2)):
            radius = r if kind == 1 or i % 2 == 0 else r * 0.45
            angle = -np.pi / 2 + i * np.pi * 2 / (n * (1 if kind == 1 else 2))
            points.append((c + radius * np.cos(angle), c + radius * np.sin(angle)))
        draw.polygon(points, outline=255, fill=255 if filled else None, width=stroke)
    elif kind == 3:
        draw.line([c - r, c - r, c + r, c + r], fill=255, width=stroke)
        draw.line([c - r, c + r, c + r, c - r], fill=255, width=stroke)
    elif kind == 4:
        draw.line([c - r, c, c + r, c], fill=255, width=stroke)
        draw.line([c + r, c, c + r * 0.4, c - r * 0.5], fill=255, width=stroke)
        draw.line([c + r, c, c + r * 0.4, c + r * 0.5], fill=255, width=stroke)
    else:
        draw.ellipse([c - r, c - r * 0.7, c, c + r * 0.1], fill=255)
        draw.ellipse([c, c - r * 0.7, c + r, c + r * 0.1], fill=255)
        draw.polygon([(c - r * 0.97, c - r * 0.2), (c + r * 0.97, c - r * 0.2), (c, c + r)], fill=255)
    image = image.rotate(rng.uniform(-30, 30), resample=Image.BICUBIC)
    mask = trim(np.asarray(image.resize((size, size), Image.BOX), dtype=np.float64) / 255.0)
    paper, ink = colours(rng)
    return framed(mask, paper, ink, rng)


TEXTURES = ["stripes", "checks", "grid", "dots", "bricks", "wood", "marble", "gravel", "weave", "cells", "clouds"]


def texture_picture(rng, kind=None, size=None):
    """A procedural texture filling the whole picture in two colours."""
    kind = kind or TEXTURES[rng.integers(len(TEXTURES))]
    h = w = size or int(rng.integers(40, 112))
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    period = rng.uniform(4, 24)
    angle = rng.uniform(0, np.pi)
    u = np.cos(angle) * x + np.sin(angle) * y
    v = -np.sin(angle) * x + np.cos(angle) * y
    if kind == "stripes":
        t = (np.sin(2 * np.pi * u / period) > rng.uniform(-0.5, 0.5)).astype(float)
    elif kind == "checks":
        t = ((np.floor(u / period) + np.floor(v / period)) % 2).astype(float)
    elif kind == "grid":
        width = rng.uniform(1, 3)
        t = (((u % period) < width) | ((v % period) < width)).astype(float)
    elif kind == "dots":
        cu, cv = (u % period) - period / 2, (v % period) - period / 2
        t = (np.hypot(cu, cv) < period * rng.uniform(0.15, 0.4)).astype(float)
    elif kind == "bricks":
        row = np.floor(y / period)
        shifted = x + (row % 2) * period
        t = (((y % period) < 2) | ((shifted % (2 * period)) < 2)).astype(float)
    elif kind == "wood":
        r = np.hypot(x - rng.uniform(-w, 2 * w), y - rng.uniform(-h, 2 * h)) + 8 * smooth_field(h, w, rng, 5)
        t = 0.5 + 0.5 * np.sin(2 * np.pi * r / period)
    elif kind == "marble":
        t = 0.5 + 0.5 * np.sin(2 * np.pi * u / (period * 3) + 6 * smooth_field(h, w, rng, 6))
    elif kind == "gravel":
        t = np.zeros((h, w))
        for _ in range(int(h * w / rng.uniform(30, 90))):
            cy, cx, r = rng.uniform(0, h), rng.uniform(0, w), rng.uniform(1, 4)
            t[max(0, int(cy - r)):int(cy + r) + 1, max(0, int(cx - r)):int(cx + r) + 1] = rng.uniform(0.3, 1)
        t = ndimage.gaussian_filter(t, 0.7)
    elif kind == "weave":
        t = 0.5 + 0.25 * np.sin(2 * np.pi * u / period) + 0.25 * np.sin(2 * np.pi * v / period) * \
            np.sign(np.sin(np.pi * u / period))
    elif kind == "cells":
        points = rng.uniform(0, max(h, w), size=(int(rng.integers(6, 30)), 2))
        d = np.sort(np.stack([np.hypot(y - py, x - px) for py, px in points]), axis=0)
        t = ((d[1] - d[0]) < rng.uniform(1.5, 3)).astype(float)
    else:
        t = 0.5 + 0.5 * smooth_field(h, w, rng, int(rng.integers(3, 12)))
    paper, ink = colours(rng)
    if rng.random() < 0.5:
        ink = PAPERS[rng.integers(len(PAPERS))] if rng.random() < 0.5 else INKS[rng.integers(len(INKS))]
    picture = np.array(paper) * (1 - t[..., None]) + np.array(ink) * t[..., None]
    return picture + rng.normal(0, rng.uniform(0, 4), picture.shape)


NOISES = ["uniform", "uniform-gray", "gaussian", "salt-pepper", "blobs"]


def noise_picture(rng, kind=None, size=None):
    """Random pixels: uniform (as a client's random-noise test), gaussian, salt and pepper, blobs."""
    kind = kind or NOISES[rng.integers(len(NOISES))]
    h = w = size or int(rng.integers(32, 80))
    if kind == "uniform":
        return rng.uniform(0, 256, (h, w, 3))
    if kind == "uniform-gray":
        return np.repeat(rng.uniform(0, 256, (h, w, 1)), 3, axis=2)
    if kind == "gaussian":
        base = rng.uniform(60, 200)
        return np.repeat(rng.normal(base, rng.uniform(20, 60), (h, w, 1)), 3, axis=2)
    if kind == "salt-pepper":
        picture = np.full((h, w, 3), rng.uniform(100, 200))
        flips = rng.random((h, w))
        density = rng.uniform(0.02, 0.2)
        picture[flips < density / 2] = 0
        picture[flips > 1 - density / 2] = 255
        return picture
    blobs = ndimage.gaussian_filter(rng.normal(0, 1, (h, w)), rng.uniform(1, 3))
    blobs = (blobs - blobs.mean()) / max(1e-9, blobs.std())
    return np.repeat(np.clip(128 + 50 * blobs, 0, 255)[..., None], 3, axis=2)


def scene(rng, height=300, width=400):
    """A generated 'photo': sky, hills, sun, clouds, trees, a house, an animal; blurred, grainy."""
    image = Image.fromarray(to_uint8(gradient(height, width, (90, 140, 220), (210, 225, 245), rng)))
    draw = ImageDraw.Draw(image)
    horizon = int(rng.uniform(0.4, 0.75) * height)
    if rng.random() < 0.6:
        r = rng.uniform(15, 40)
        cx, cy = rng.uniform(0, width), rng.uniform(0, horizon * 0.6)
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=(255, 230, 120))
    for _ in range(int(rng.integers(1, 5))):
        cx, cy = rng.uniform(0, width), rng.uniform(0, horizon * 0.7)
        for _ in range(4):
            rx, ry = rng.uniform(15, 45), rng.uniform(8, 20)
            ox, oy = rng.uniform(-30, 30), rng.uniform(-8, 8)
            draw.ellipse([cx + ox - rx, cy + oy - ry, cx + ox + rx, cy + oy + ry], fill=(245, 245, 250))
    points = [(0, height)] + [(x, horizon + 25 * np.sin(x / rng.uniform(30, 90) + rng.uniform(0, 6)))
                              for x in range(0, width + 20, 20)] + [(width, height)]
    ground = tuple(int(v) for v in rng.choice([(70, 130, 50), (120, 100, 60), (90, 150, 70), (160, 150, 110)]))
    draw.polygon(points, fill=ground)
    for _ in range(int(rng.integers(0, 5))):
        tx, ty = rng.uniform(0, width), horizon + rng.uniform(-10, 40)
        tw, th = rng.uniform(4, 12), rng.uniform(20, 60)
        draw.rectangle([tx - tw / 2, ty - th, tx + tw / 2, ty], fill=(90, 60, 30))
        cr = rng.uniform(15, 40)
        draw.ellipse([tx - cr, ty - th - cr * 1.4, tx + cr, ty - th + cr * 0.4],
                     fill=tuple(int(v) for v in rng.choice([(30, 100, 40), (50, 120, 30), (20, 80, 50)])))
    if rng.random() < 0.6:
        hx, hy = rng.uniform(0, width - 80), horizon + rng.uniform(0, 30)
        hw, hh = rng.uniform(60, 120), rng.uniform(40, 80)
        wall = tuple(int(v) for v in rng.choice([(200, 180, 150), (180, 80, 60), (230, 230, 220)]))
        draw.rectangle([hx, hy - hh, hx + hw, hy], fill=wall)
        draw.polygon([(hx - 8, hy - hh), (hx + hw + 8, hy - hh), (hx + hw / 2, hy - hh - hh * 0.6)], fill=(120, 40, 30))
        for i in range(2):
            wx = hx + hw * (0.2 + 0.45 * i)
            draw.rectangle([wx, hy - hh * 0.7, wx + hw * 0.18, hy - hh * 0.4], fill=(80, 120, 160))
    if rng.random() < 0.7:
        ax, ay = rng.uniform(40, width - 80), rng.uniform(horizon, height - 20)
        s = rng.uniform(0.6, 1.6)
        fur = tuple(int(v) for v in rng.choice([(60, 50, 40), (200, 140, 60), (30, 30, 30), (220, 220, 210)]))
        draw.ellipse([ax - 40 * s, ay - 22 * s, ax + 30 * s, ay + 12 * s], fill=fur)
        draw.ellipse([ax + 18 * s, ay - 42 * s, ax + 48 * s, ay - 12 * s], fill=fur)
        draw.polygon([(ax + 20 * s, ay - 34 * s), (ax + 24 * s, ay - 52 * s), (ax + 32 * s, ay - 38 * s)], fill=fur)
        draw.polygon([(ax + 36 * s, ay - 38 * s), (ax + 44 * s, ay - 52 * s), (ax + 47 * s, ay - 32 * s)], fill=fur)
        draw.line([(ax - 38 * s, ay - 10 * s), (ax - 60 * s, ay - 35 * s)], fill=fur, width=max(2, int(6 * s)))
        for lx in (-30, -10, 10, 22):
            draw.rectangle([ax + lx * s, ay, ax + (lx + 6) * s, ay + 20 * s], fill=fur)
    for _ in range(int(rng.integers(0, 4))):
        bx, by, br = rng.uniform(0, width), rng.uniform(horizon, height), rng.uniform(5, 18)
        draw.ellipse([bx - br, by - br, bx + br, by + br], fill=tuple(int(v) for v in rng.integers(0, 256, 3)))
    image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.4, 1.2)))
    picture = np.asarray(image, dtype=np.float64)
    picture = picture * illumination(height, width, rng)[..., None] + rng.normal(0, 4, picture.shape)
    return picture


def photo_picture(rng, size=None):
    """A crop of a generated scene, resized to a small picture (as an upload might be)."""
    full = scene(rng)
    h, w = full.shape[:2]
    side = int(rng.uniform(50, 300))
    ch = min(h, side)
    cw = min(w, int(side * rng.uniform(0.8, 1.3)))
    top, left = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
    crop = full[top:top + ch, left:left + cw]
    out = size or int(rng.integers(48, 128))
    ow = max(8, int(out * cw / ch))
    return np.asarray(Image.fromarray(to_uint8(crop)).resize((ow, out), Image.BOX), dtype=np.float64)


def fragment_picture(rng, digit):
    """A piece of a handwritten digit (training only: teaches that half a digit is no digit)."""
    mask = trim(digit.astype(np.float64) / 255.0)
    h, w = mask.shape
    kind = rng.integers(4)
    if kind == 0:
        mask = mask[: max(3, int(h * rng.uniform(0.25, 0.5)))]
    elif kind == 1:
        mask = mask[int(h * rng.uniform(0.5, 0.75)):]
    elif kind == 2:
        mask = mask[:, : max(3, int(w * rng.uniform(0.2, 0.45)))]
    else:
        mask = mask[:, int(w * rng.uniform(0.55, 0.8)):]
    mask = trim(mask)
    scale = rng.uniform(1, 3)
    mask = resize_mask(mask, max(1, int(mask.shape[1] * scale)), max(1, int(mask.shape[0] * scale)))
    paper, ink = colours(rng)
    return framed(mask, paper, ink, rng)


NON_DIGIT_KINDS = ["letter", "word", "symbol", "shape", "texture", "noise", "photo", "blank"]


def non_digit_picture(rng, kind, fonts):
    if kind == "letter":
        return letter_picture(rng, fonts)
    if kind == "word":
        return word_picture(rng, fonts)
    if kind == "symbol":
        return symbol_picture(rng, fonts)
    if kind == "shape":
        return shape_picture(rng)
    if kind == "texture":
        return texture_picture(rng)
    if kind == "noise":
        return noise_picture(rng)
    if kind == "photo":
        return photo_picture(rng)
    if kind == "blank":
        size = int(rng.integers(28, 128))
        paper, _ = colours(rng)
        picture = plain(size, size, paper) if rng.random() < 0.5 else gradient(size, size, paper, colours(rng)[0], rng)
        return picture + rng.normal(0, rng.uniform(0, 3), picture.shape)
    raise ValueError(kind)
