#!/usr/bin/env python3
"""AUROC of the served model's digit score, and both refusal rates at every threshold.

    python3 scripts/digit_score_sweep.py --url http://127.0.0.1:5000 [--thresholds 0.05,0.1,...]

Posts the 1,000 digits of ../shared/data/mnist_test.csv.gz (28x28 PNGs) and the committed
non-digit pictures (Tests/MNISTTests/Fixtures/digit-sets) to POST /model/predict with
`threshold=0`, so every mark is answered with its `digit_score`. A digit's score is its
answer's; a non-digit picture's is the highest score of any mark in it (0 when it has none).
At threshold t a digit is refused when its score is below t, and a picture is refused when
every mark is. For a 28x28 digit that is exactly what the server does at t; for a picture it
is an estimate, since the digit reader chooses how to cut marks with the threshold in hand
(a cut is kept only when every piece reaches it), so confirm a chosen threshold with
scripts/measure_digits.py --query threshold=t, which also measures fonts, sheets and
invariance there. Prints the AUROC (probability that a digit scores above a non-digit, ties
half) and, per threshold, the share of digits refused and of non-digits refused, and the
largest listed threshold that refuses at most 1 % of the digits (issue 10's bound).
"""
import argparse
import gzip
import io
import os

import numpy as np
from PIL import Image

import digit_sets
from measure_digits import ROOT, post


def scores_of(url, pictures):
    scores = []
    for data in pictures:
        _, answer = post(url, data)
        scores.append(max([p.get("digit_score", 0.0) for p in answer.get("predictions", [])], default=0.0))
    return np.array(scores)


def mnist_pngs():
    with gzip.open(os.path.join(ROOT, "..", "shared", "data", "mnist_test.csv.gz"), "rt") as f:
        rows = np.loadtxt(f, delimiter=",", skiprows=1, dtype=np.uint8)
    for row in rows:
        buffer = io.BytesIO()
        Image.fromarray(row[1:].reshape(28, 28), "L").save(buffer, format="PNG")
        yield buffer.getvalue()


def auroc(positive, negative):
    """P(a positive scores above a negative), ties counted half (Mann-Whitney U / n m)."""
    above = (positive[:, None] > negative[None, :]).sum()
    ties = (positive[:, None] == negative[None, :]).sum()
    return (above + 0.5 * ties) / (len(positive) * len(negative))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="a running server, e.g. http://127.0.0.1:5000")
    parser.add_argument("--thresholds", default="0.02,0.05,0.1,0.15,0.2,0.25,0.3,0.4,0.5,0.6,0.7,0.8,0.9")
    args = parser.parse_args()
    url = args.url + "/model/predict?threshold=0"
    digits = scores_of(url, mnist_pngs())
    others = scores_of(url, (digit_sets.png_bytes(image) for image, _ in digit_sets.pictures("nondigits", digit_sets.manifest())))
    print(f"{len(digits)} mnist_test digits, {len(others)} non-digit pictures: AUROC {auroc(digits, others):.4f}")
    print("threshold  digits refused  non-digits refused")
    chosen = None
    for threshold in sorted(float(t) for t in args.thresholds.split(",")):
        refused_digits = 100.0 * (digits < threshold).mean()
        refused_others = 100.0 * (others < threshold).mean()
        print(f"{threshold:9.2f}  {refused_digits:13.1f} %  {refused_others:16.1f} %")
        if refused_digits <= 1.0:
            chosen = threshold
    print(f"largest listed threshold refusing at most 1 % of digits: {chosen}")


if __name__ == "__main__":
    main()
