"""Reading the behavioural test sets written by scripts/make_digit_sets.py.

`pictures(name)` yields each picture of a set as a PIL image with its row of the manifest as a
dict (atlas pictures are cut out of their atlas; sheets are files). Used by
scripts/measure_digits.py and scripts/compare_not_a_digit.py.
"""
import io
import json
import os

from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SETS = os.path.join(ROOT, "Tests", "MNISTTests", "Fixtures", "digit-sets")


def manifest():
    with open(os.path.join(SETS, "manifest.json")) as f:
        return json.load(f)


def pictures(name, data=None):
    """(image, row) for every picture of set `name` ("fonts", "invariance", "nondigits", "sheets")."""
    data = data or manifest()
    section = data[name]
    if name == "sheets":
        for row in section["rows"]:
            yield Image.open(os.path.join(SETS, row["file"])), row
        return
    columns = section["columns"]
    atlases = {}
    for values in section["rows"]:
        row = dict(zip(columns, values))
        atlas = section["atlases"][row["atlas"]]
        if atlas not in atlases:
            atlases[atlas] = Image.open(os.path.join(SETS, atlas))
            atlases[atlas].load()
        x, y, w, h = row["x"], row["y"], row["width"], row["height"]
        image = atlases[atlas].crop((x, y, x + w, y + h))
        for key, names in (("font", "fonts"), ("variant", "variants"), ("transform", "transforms"), ("kind", "kinds")):
            if key in row and names in section:
                row[key] = section[names][row[key]]
        yield image, row


def png_bytes(image):
    """A picture as PNG bytes (palette pictures as RGB: what the picture shows)."""
    if image.mode == "P":
        image = image.convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def upload_bytes(image, row):
    """What a client posts: sheets as their files, atlas pictures as PNG."""
    if "file" in row:
        with open(os.path.join(SETS, row["file"]), "rb") as f:
            return f.read()
    return png_bytes(image)
