#!/usr/bin/env python3
"""Training fields for the digit model: what the digit finder makes of generated pictures.

    swift build -c release --product max-server
    python3 scripts/make_training_fields.py --out /tmp/fields [--binary .build/release/max-server]

The server never shows the model a raw picture: it finds marks, cuts them out and brings each
to MNIST's 28x28 form. So the model is trained on exactly that: pictures from the project's own
generators (scripts/digit_pictures.py, seeds disjoint from the test sets', mnist_train digits
only, never a test set) go through `max-server find-digits --fields`, and every field it
yields is labelled:

- `sheets.csv.gz`: sheets of mnist_train digits (as the test sheets, other seeds); a region
  whose box is within 2 px of a true digit's gets that digit's label; one holding a third or
  more of two digits (two joined), or more than 5 px off every true digit and overlapping none
  by IoU 0.6 or more (a piece, a wrong cut), is "not a digit" (10); anything between is left
  out;
- `fonts.csv.gz`: digits typed in the DejaVu fonts (random size, colour, polarity, a small
  rotation), the region matching the digit labelled with it;
- `nondigits.csv.gz`: regions found in letters, words, symbols, shapes, textures, noise,
  photo crops, blank pictures and pieces of mnist_train digits (at most 25 per picture, drawn
  at random), labelled 10.

Each file is MNIST CSV rows (label, then 784 values 0-255), no header, with `<name>.meta.csv`
beside it giving each row's kind (digit, joined, piece, font, letter, word, symbol, shape,
texture, noise, photo, blank, fragment) and the region's width and height, so a training
recipe can choose what to leave out (scripts/compare_not_a_digit.py leaves out single strokes
from pieces, fragments and textures: see its `--keep-strokes`).
"""
import argparse
import gzip
import json
import os
import subprocess
import tempfile

import numpy as np
from PIL import Image

import digit_pictures as dp

KINDS = {"letter": 1800, "word": 700, "symbol": 900, "shape": 500, "texture": 1200, "noise": 700,
         "photo": 1200, "blank": 150, "fragment": 900}


def read_fields(path):
    """Fields, labels, and each row's kind and box size from the `.meta.csv` beside the file."""
    with gzip.open(path, "rt") as f:
        rows = np.loadtxt(f, delimiter=",", dtype=np.float32, ndmin=2)
    meta = np.genfromtxt(path.replace(".csv.gz", ".meta.csv"), delimiter=",", names=True, dtype=None, encoding="utf-8")
    kinds = np.array([str(k) for k in np.atleast_1d(meta["kind"])])
    boxes = np.stack([np.atleast_1d(meta["width"]), np.atleast_1d(meta["height"])], axis=1)
    return rows[:, 1:].reshape(-1, 28, 28, 1), rows[:, 0].astype(np.int64), kinds, boxes


def elongations(fields):
    """Per field, the ratio of the principal second moments of its ink (MNIST's 1s: above 14
    for 95 % of them; other digits mostly below 9)."""
    f = fields.reshape(len(fields), 28, 28).astype(np.float64)
    total = np.maximum(f.sum(axis=(1, 2)), 1e-9)
    ys, xs = np.mgrid[0:28, 0:28]
    my = (f * ys).sum(axis=(1, 2)) / total
    mx = (f * xs).sum(axis=(1, 2)) / total
    dy, dx = ys[None] - my[:, None, None], xs[None] - mx[:, None, None]
    cyy, cxx, cxy = ((f * dy * dy).sum(axis=(1, 2)) / total, (f * dx * dx).sum(axis=(1, 2)) / total,
                     (f * dx * dy).sum(axis=(1, 2)) / total)
    half, det = (cxx + cyy) / 2, cxx * cyy - cxy * cxy
    spread = np.sqrt(np.maximum(0, half * half - det))
    return (half + spread) / np.maximum(1e-6, half - spread)


def strokes(fields, boxes):
    """Single strokes, upright or slanted (a mark three times as tall as wide, or a field whose
    ink is elongated beyond 12): what MNIST calls a 1."""
    return (boxes[:, 0] * 10 < boxes[:, 1] * 3) | (elongations(fields) > 12)


def iou(a, b):
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(0, x1 - x0) * max(0, y1 - y0)
    return inter / float(a[2] * a[3] + b[2] * b[3] - inter)


def covers(region, digit):
    """The region holds at least a third of the digit's box."""
    x0, y0 = max(region[0], digit[0]), max(region[1], digit[1])
    x1, y1 = min(region[0] + region[2], digit[0] + digit[2]), min(region[1] + region[3], digit[1] + digit[3])
    return max(0, x1 - x0) * max(0, y1 - y0) * 3 >= digit[2] * digit[3]


def close(a, b, tolerance):
    return all(abs(p - q) <= tolerance for p, q in zip(
        (a[0], a[1], a[0] + a[2], a[1] + a[3]), (b[0], b[1], b[0] + b[2], b[1] + b[3])))


def find(binary, paths, workdir, nested=False):
    """Boxes per picture (every region of every reading, in order; with `nested`, as
    candidates -> readings -> boxes) and the fields CSV rows in the same order."""
    fields_path = os.path.join(workdir, "fields.csv")
    if os.path.exists(fields_path):
        os.remove(fields_path)
    boxes = []
    for start in range(0, len(paths), 400):
        chunk = paths[start:start + 400]
        out = subprocess.run([binary, "find-digits", "--fields", fields_path] + chunk,
                             capture_output=True, text=True, check=True).stdout.splitlines()
        for line in out:
            found = json.loads(line)
            if nested:
                boxes.append(found["candidates"])
            else:
                boxes.append([box for candidate in found["candidates"] for reading in candidate for box in reading])
    with open(fields_path) as f:
        rows = [line.rstrip("\n").split(",", 1)[1] for line in f]
    count = sum(len(box) for c in boxes for r in c for box in [r]) if nested else sum(len(b) for b in boxes)
    assert nested or len(rows) == count, "fields and boxes disagree"
    return boxes, rows


def save(path, labelled):
    """MNIST CSV rows, and beside them `<name>.meta.csv`: each row's kind and box width, height."""
    with gzip.open(path, "wt") as f:
        for label, row, _ in labelled:
            f.write(f"{label},{row}\n")
    with open(path.replace(".csv.gz", ".meta.csv"), "w") as f:
        f.write("kind,width,height\n")
        for _, _, (kind, box) in labelled:
            f.write(f"{kind},{box[2]},{box[3]}\n")
    print(f"{path}: {len(labelled)} fields, labels {np.bincount([l for l, _, _ in labelled], minlength=11).tolist()}")


def write_pictures(folder, pictures):
    paths = []
    for n, (picture, jpeg) in enumerate(pictures):
        path = os.path.join(folder, f"{n:05d}.{'jpg' if jpeg else 'png'}")
        image = Image.fromarray(dp.to_uint8(picture), "RGB")
        image.save(path, quality=jpeg) if jpeg else image.save(path)
        paths.append(path)
    return paths


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--binary", default=os.path.join(dp.ROOT, ".build", "release", "max-server"))
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--sheets", type=int, default=400)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every count (quick runs: 0.1)")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    labels, digits = dp.load_mnist("mnist_train.csv.gz")

    with tempfile.TemporaryDirectory() as work:
        # Sheets of training digits.
        rng = np.random.default_rng([args.seed, 1])
        sheets, truths = [], []
        sizes = [(400, 300), (640, 480), (320, 240), (300, 400), (500, 350)]
        for n in range(int(args.sheets * args.scale)):
            style = dp.SHEET_STYLES[n % len(dp.SHEET_STYLES)]
            width, height = sizes[n % len(sizes)]
            picture, truth, jpeg = dp.sheet(rng, digits, labels, width, height, style, big=n % 5 == 1,
                                            tiny=int(n % 3 == 0) * 2, touching=int(n % 3 == 2) * 2,
                                            specks=int(rng.integers(0, 40)) if n % 4 == 0 else 0)
            sheets.append((picture, jpeg))
            truths.append(truth)
        folder = os.path.join(work, "sheets")
        os.makedirs(folder)
        boxes, rows = find(args.binary, write_pictures(folder, sheets), work)
        labelled, row = [], 0
        for truth, found in zip(truths, boxes):
            for box in found:
                match = [d["label"] for d in truth if close(box, d["box"], 2)]
                if match:
                    labelled.append((match[0], rows[row], ("digit", box)))
                elif sum(covers(box, d["box"]) for d in truth) >= 2:
                    labelled.append((10, rows[row], ("joined", box)))
                elif not any(close(box, d["box"], 5) or iou(box, d["box"]) >= 0.6 for d in truth):
                    labelled.append((10, rows[row], ("piece", box)))
                row += 1
        save(os.path.join(args.out, "sheets.csv.gz"), labelled)

        # Typed digits in the DejaVu fonts (the Liberation fonts stay unseen by training).
        rng = np.random.default_rng([args.seed, 2])
        fonts = [f for f in dp.fonts_with("0123456789") if "DejaVu" in f]
        pictures, wanted = [], []
        for _ in range(int(3000 * args.scale)):
            digit = int(rng.integers(10))
            mask = dp.font_mask(fonts[rng.integers(len(fonts))], str(digit), int(rng.integers(12, 90)))
            paper, ink = dp.colours(rng)
            picture = dp.framed(mask, paper, ink, rng, margin=(0.15, 0.8))
            angle = rng.uniform(-6, 6)
            picture = np.asarray(Image.fromarray(dp.to_uint8(picture)).rotate(
                angle, resample=Image.BICUBIC, expand=False, fillcolor=tuple(int(c) for c in paper)), dtype=np.float64)
            pictures.append((picture, None))
            wanted.append(digit)
        folder = os.path.join(work, "fonts")
        os.makedirs(folder)
        boxes, rows = find(args.binary, write_pictures(folder, pictures), work, nested=True)
        labelled, row = [], 0
        for digit, candidates in zip(wanted, boxes):
            # One digit per picture: when the finder sees one mark, its unsplit reading is it.
            if len(candidates) == 1:
                labelled.append((digit, rows[row], ("font", candidates[0][0][0])))
            row += sum(len(reading) for candidate in candidates for reading in candidate)
        save(os.path.join(args.out, "fonts.csv.gz"), labelled)

        # Things that are not digits.
        rng = np.random.default_rng([args.seed, 3])
        letter_fonts = dp.fonts_with("AB")
        pictures, kinds = [], []
        for kind, count in KINDS.items():
            for _ in range(int(count * args.scale)):
                kinds.append(kind)
                if kind == "fragment":
                    pictures.append((dp.fragment_picture(rng, digits[rng.integers(len(digits))]), None))
                else:
                    pictures.append((dp.non_digit_picture(rng, kind, letter_fonts), None))
        folder = os.path.join(work, "nondigits")
        os.makedirs(folder)
        boxes, rows = find(args.binary, write_pictures(folder, pictures), work)
        # A texture yields up to max-digits regions and is refused only if every one is: keep
        # many of them, but few enough that no single picture dominates.
        labelled, row = [], 0
        for kind, found in zip(kinds, boxes):
            keep = rng.permutation(len(found))[:25]
            labelled += [(10, rows[row + int(k)], (kind, found[k])) for k in sorted(keep)]
            row += len(found)
        save(os.path.join(args.out, "nondigits.csv.gz"), labelled)


if __name__ == "__main__":
    main()
