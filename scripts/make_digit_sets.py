#!/usr/bin/env python3
"""Write the behavioural test sets of the digit finder: Tests/MNISTTests/Fixtures/digit-sets/.

    python3 scripts/make_digit_sets.py [--out DIR] [--seed 10]

Made from the project's own generators (scripts/digit_pictures.py), seeded, small enough to
commit; scripts/measure_digits.py and the MNIST tests read them through `manifest.json`:

- `fonts.png`: every digit in every TrueType font under /usr/share/fonts/truetype (the
  weights, slants and widths are the font files), five ways each: sizes 16-80 px, dark ink
  on white, coloured ink on coloured paper, light ink on dark (the minimum functionality test);
- `invariance.png`: 80 mnist_test digits as 80x80 pictures and 13 variants of each: rotation
  by +-5 and +-10 degrees, two shifts, scale 0.8 and 1.2, thicker and thinner strokes, JPEG
  quality 30, added noise, colour inversion (the answer should not change);
- `nondigits.png`: letters (O, o, I and l left out: they are digits in most fonts), short words,
  symbols, shapes, textures, noise, crops of generated photos, blank pictures (all refused);
- `sheets/`: multi-digit sheets of mnist_test digits laid in lines at random sizes on plain,
  coloured, gradient, light-on-dark and photographed-paper backgrounds (JPEG), some with
  touching pairs, broken strokes and specks, with each digit's label and box in reading order.

Each atlas holds many pictures; `manifest.json` gives each one's rectangle in its atlas
(`cell`: [x, y, width, height]) with its label or kind. A picture is cut out of the atlas and
used alone. It also writes samples/sheet_ten_digits.png (400x300, ten digits; the benchmark).
"""
import argparse
import io
import json
import os

import numpy as np
from PIL import Image

import digit_pictures as dp

OUT = os.path.join(dp.ROOT, "Tests", "MNISTTests", "Fixtures", "digit-sets")

FONT_VARIANTS = [  # (name, digit height, paper, ink)
    ("black-on-white-28", 28, (255, 255, 255), (0, 0, 0)),
    ("blue-on-yellow-48", 48, (250, 240, 190), (20, 40, 140)),
    ("white-on-black-36", 36, (0, 0, 0), (255, 255, 255)),
    ("red-on-grey-16", 16, (225, 225, 225), (180, 20, 20)),
    ("green-on-pink-64", 64, (250, 225, 230), (20, 100, 40)),
]

INVARIANCE_TRANSFORMS = ["rotate-10", "rotate-5", "rotate+5", "rotate+10", "shift-a", "shift-b",
                         "scale-0.8", "scale-1.2", "stroke+1", "stroke-1", "jpeg-30", "noise-25", "invert"]

#: kind -> (count, atlas). Photos and textures are stored as JPEG (they are photo-like; the
#: picture is what the JPEG decodes to), noise as PNG (JPEG would smooth it).
NON_DIGIT_COUNTS = {"letter": (240, "flat"), "word": (40, "flat"), "symbol": (120, "flat"),
                    "shape": (40, "flat"), "blank": (20, "flat"), "texture": (100, "photo"),
                    "photo": (100, "photo"), "noise": (40, "noise")}


class Atlas:
    """Pictures packed on shelves into one image; each remembers its cell."""

    def __init__(self, width=1024, mode="RGB"):
        self.width, self.mode = width, mode
        self.pictures, self.cells = [], []
        self.x = self.y = self.shelf = 0

    def add(self, picture):
        picture = dp.to_uint8(picture)
        h, w = picture.shape[:2]
        if self.x + w > self.width:
            self.x, self.y, self.shelf = 0, self.y + self.shelf, 0
        cell = [self.x, self.y, w, h]
        self.pictures.append(picture)
        self.cells.append(cell)
        self.x += w
        self.shelf = max(self.shelf, h)
        return cell

    def save(self, path):
        if path.endswith(".jpg"):
            canvas = np.zeros((self.y + self.shelf, self.width, 3), dtype=np.uint8)
            for picture, (x, y, w, h) in zip(self.pictures, self.cells):
                canvas[y:y + h, x:x + w] = picture
            Image.fromarray(canvas, "RGB").save(path, quality=88)
            return
        height = self.y + self.shelf
        channels = 1 if self.mode == "L" else 3
        # Unused space takes the first picture's corner colour (no extra colour in the palette).
        canvas = np.empty((height, self.width, channels), dtype=np.uint8)
        canvas[...] = self.pictures[0].reshape(self.pictures[0].shape[0], self.pictures[0].shape[1], -1)[0, 0, :channels]
        for picture, (x, y, w, h) in zip(self.pictures, self.cells):
            canvas[y:y + h, x:x + w] = picture.reshape(h, w, -1)[..., :channels]
        if channels == 1:
            Image.fromarray(canvas[..., 0], "L").save(path, optimize=True)
            return
        # Pictures of two colours blended hold at most 256 colours: store them exactly in a palette.
        colours, indexes = np.unique(canvas.reshape(-1, 3), axis=0, return_inverse=True)
        if len(colours) <= 256:
            image = Image.fromarray(indexes.reshape(canvas.shape[:2]).astype(np.uint8), "P")
            image.putpalette(colours.astype(np.uint8).flatten().tolist())
        else:
            image = Image.fromarray(canvas, "RGB")
        image.save(path, optimize=True)


def font_set(out):
    """One atlas per variant (two colours each, so each fits a palette)."""
    fonts = dp.fonts_with("0123456789")
    items, atlases = [], []
    for name, height, paper, ink in FONT_VARIANTS:
        atlas, file = Atlas(), f"fonts-{name}.png"
        for path in fonts:
            for digit in range(10):
                mask = dp.font_mask(path, str(digit), height)
                margin = max(4, int(0.25 * height))
                canvas = dp.plain(mask.shape[0] + 2 * margin, mask.shape[1] + 2 * margin, paper)
                dp.lay_ink(canvas, mask, margin, margin, ink)
                items.append([len(atlases)] + atlas.add(canvas) + [digit, fonts.index(path), len(atlases)])
        atlases.append(file)
        atlas.save(os.path.join(out, file))
    return {"columns": ["atlas", "x", "y", "width", "height", "label", "font", "variant"],
            "atlases": atlases, "fonts": [dp.font_name(p) for p in fonts],
            "variants": [v[0] for v in FONT_VARIANTS], "rows": items}


def invariance_set(out, rng, labels, digits):
    side, height, paper, ink = 64, 36, 240.0, 25.0
    chosen = [int(i) for d in range(10) for i in rng.choice(np.flatnonzero(labels == d), 8, replace=False)]

    def picture(mask, dx=0, dy=0):
        canvas = np.full((side, side), paper)
        h, w = mask.shape
        left, top = (side - w) // 2 + dx, (side - h) // 2 + dy
        region = canvas[top:top + h, left:left + w]
        canvas[top:top + h, left:left + w] = region * (1 - mask) + ink * mask
        return canvas

    atlas, items = Atlas(mode="L", width=side * 14), []
    for index in chosen:
        mask = dp.mnist_mask(digits[index], height, max_width=46)
        base = picture(mask)
        base_number = len(items)
        items.append([0] + atlas.add(base) + [int(labels[index]), index, 0, base_number])
        for transform in INVARIANCE_TRANSFORMS:
            if transform.startswith("rotate"):
                angle = float(transform[len("rotate"):])
                variant = np.asarray(Image.fromarray(dp.to_uint8(base)).rotate(
                    angle, resample=Image.BICUBIC, fillcolor=int(paper)), dtype=np.float64)
            elif transform == "shift-a":
                variant = picture(mask, dx=7, dy=-5)
            elif transform == "shift-b":
                variant = picture(mask, dx=-6, dy=6)
            elif transform.startswith("scale"):
                factor = float(transform.split("-")[1])
                variant = picture(dp.mnist_mask(digits[index], int(round(height * factor)), max_width=int(46 * factor)))
            elif transform.startswith("stroke"):
                variant = picture(np.clip(dp.stroke_changed(mask, 1 if transform == "stroke+1" else -1), 0, 1))
            elif transform == "jpeg-30":
                variant = dp.jpeg_roundtrip(base, 30)
            elif transform == "noise-25":
                variant = base + rng.normal(0, 25, base.shape)
            else:
                variant = 255 - base
            items.append([0] + atlas.add(variant) + [int(labels[index]), index,
                                                     1 + INVARIANCE_TRANSFORMS.index(transform), base_number])
    atlas.save(os.path.join(out, "invariance.png"))
    return {"columns": ["atlas", "x", "y", "width", "height", "label", "mnist_index", "transform", "base"],
            "atlases": ["invariance.png"], "transforms": ["base"] + INVARIANCE_TRANSFORMS, "rows": items}


def non_digit_set(out, rng):
    fonts = dp.fonts_with("AB")
    atlases = {"flat": Atlas(), "photo": Atlas(), "noise": Atlas()}
    files = {"flat": "nondigits-flat.png", "photo": "nondigits-photo.jpg", "noise": "nondigits-noise.png"}
    pending = []
    for kind, (count, group) in NON_DIGIT_COUNTS.items():
        for _ in range(count):
            picture = dp.non_digit_picture(rng, kind, fonts)
            pending.append((group, kind, atlases[group].add(picture)))
    for group, atlas in atlases.items():
        atlas.save(os.path.join(out, files[group]))
    groups, kinds = list(files), list(NON_DIGIT_COUNTS)
    rows = [[groups.index(group)] + cell + [kinds.index(kind)] for group, kind, cell in pending]
    return {"columns": ["atlas", "x", "y", "width", "height", "kind"], "atlases": [files[g] for g in groups],
            "kinds": kinds, "excluded_letters": "".join(sorted(dp.AMBIGUOUS_LETTERS)), "rows": rows}


def save_picture(picture, path, jpeg):
    image = Image.fromarray(dp.to_uint8(picture), "RGB")
    if jpeg:
        image.save(path, quality=jpeg)
    else:
        image.save(path, optimize=True)


def sheet_set(out, rng, labels, digits):
    folder = os.path.join(out, "sheets")
    os.makedirs(folder, exist_ok=True)
    plan = (["plain"] * 8 + ["coloured"] * 8 + ["gradient"] * 4 + ["dark"] * 4 + ["photographed"] * 12)
    sizes = [(400, 300)] * 5 + [(640, 480), (320, 240), (300, 400)]
    sheets = []
    for number, style in enumerate(plan):
        width, height = sizes[number % len(sizes)]
        picture, truth, jpeg = dp.sheet(
            rng, digits, labels, width, height, style,
            big=number % 4 == 1, tiny=int(number % 3 == 0) * 2, touching=int(number % 3 == 2),
            specks=int(rng.integers(0, 40)) if style in ("plain", "coloured") and number % 2 == 0 else 0)
        name = f"sheet_{number:02d}_{style}.{'jpg' if jpeg else 'png'}"
        save_picture(picture, os.path.join(folder, name), jpeg)
        sheets.append({"file": "sheets/" + name, "style": style, "width": width, "height": height, "digits": truth})
    return {"rows": sheets}


def benchmark_sheet(rng, labels, digits):
    """samples/sheet_ten_digits.png: 400x300, exactly ten digits in two lines, for speed figures."""
    for _ in range(100):
        picture, truth, _ = dp.sheet(rng, digits, labels, 400, 300, "plain", count=(10, 10), broken=0)
        if len(truth) == 10:
            break
    path = os.path.join(dp.ROOT, "samples", "sheet_ten_digits.png")
    save_picture(picture, path, None)
    with open(os.path.join(dp.ROOT, "samples", "sheet_ten_digits.json"), "w") as f:
        json.dump({"digits": truth}, f, indent=1)
        f.write("\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=OUT)
    parser.add_argument("--seed", type=int, default=10)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    labels, digits = dp.load_mnist("mnist_test.csv.gz")
    manifest = {
        "generator": "scripts/make_digit_sets.py",
        "seed": args.seed,
        "fonts": font_set(args.out),
        "invariance": invariance_set(args.out, np.random.default_rng([args.seed, 1]), labels, digits),
        "nondigits": non_digit_set(args.out, np.random.default_rng([args.seed, 2])),
        "sheets": sheet_set(args.out, np.random.default_rng([args.seed, 3]), labels, digits),
    }
    benchmark_sheet(np.random.default_rng([args.seed, 4]), labels, digits)
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        # One line per picture: small, and a change to one picture is one line of diff.
        f.write("{\n")
        for n, (key, value) in enumerate(manifest.items()):
            if isinstance(value, dict):
                f.write(f'"{key}": {{\n')
                for m, (k, v) in enumerate(value.items()):
                    end = "," if m < len(value) - 1 else ""
                    if k == "rows":
                        f.write('"rows": [\n' + ",\n".join(json.dumps(i, separators=(",", ":")) for i in v) + f"\n]{end}\n")
                    else:
                        f.write(f'"{k}": {json.dumps(v)}{end}\n')
                f.write("}" + ("," if n < len(manifest) - 1 else "") + "\n")
            else:
                f.write(f'"{key}": {json.dumps(value)}' + ("," if n < len(manifest) - 1 else "") + "\n")
        f.write("}\n")
    for name in ("fonts", "invariance", "nondigits", "sheets"):
        print(f"{name}: {len(manifest[name]['rows'])} pictures")
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(args.out) for f in fs)
    print(f"wrote {args.out} ({total / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
