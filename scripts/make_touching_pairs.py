#!/usr/bin/env python3
"""Write the touching-pair fixture of the digit finder: Tests/MNISTTests/Fixtures/touching-pairs/.

    python3 scripts/make_touching_pairs.py [--out DIR] [--seed 11] [--count 16]

Pairs of mnist_test digits written in one slant (italic, 0.2-0.45 px per row, either way) and
slid together until their strokes touch: the join is slanted, so no straight column parts the
two. Made by scripts/digit_pictures.py's `touching_pair`, seeded; `pairs.json` gives each
picture's two digits, left to right, with their labels and true boxes. Read by
Tests/MNISTTests/TouchingPairTests.swift.
"""
import argparse
import json
import os

import numpy as np
from PIL import Image

import digit_pictures as dp

OUT = os.path.join(dp.ROOT, "Tests", "MNISTTests", "Fixtures", "touching-pairs")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=OUT)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--count", type=int, default=16)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    labels, digits = dp.load_mnist("mnist_test.csv.gz")
    rng = np.random.default_rng(args.seed)
    rows = []
    while len(rows) < args.count:
        made = dp.touching_pair(rng, digits, labels)
        if made is None:
            continue
        picture, truth, slant = made
        name = f"pair_{len(rows):02d}.png"
        Image.fromarray(dp.to_uint8(picture), "RGB").save(os.path.join(args.out, name), optimize=True)
        rows.append({"file": name, "slant": round(slant, 3), "digits": truth})
    with open(os.path.join(args.out, "pairs.json"), "w") as f:
        f.write('{"generator": "scripts/make_touching_pairs.py", "seed": %d,\n"pairs": [\n' % args.seed)
        f.write(",\n".join(json.dumps(row, separators=(",", ":")) for row in rows) + "\n]}\n")
    total = sum(os.path.getsize(os.path.join(args.out, n)) for n in os.listdir(args.out))
    print(f"wrote {len(rows)} pairs to {args.out} ({total / 1e3:.1f} kB)")


if __name__ == "__main__":
    main()
