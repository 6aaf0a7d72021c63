#!/usr/bin/env python3
"""The training set of the default model (assets/mnist_cnn.h5), as one Kaggle CSV for `max-server train`.

    swift build -c release --product max-server
    python3 scripts/make_training_fields.py --out /tmp/fields
    python3 scripts/make_default_model_data.py --fields /tmp/fields --out /tmp/digits.csv.gz \
        --outliers-out /tmp/nondigits.csv.gz

Eleven classes, "not a digit" last (label 10; the training config's dataset_args.class_names
names them). Rows, nothing from a test set:
- the 4,000 digits of ../shared/data/mnist_train.csv.gz, raw;
- the digit finder's fields of sheets of mnist_train digits and of DejaVu-typed digits
  (scripts/make_training_fields.py), with their digits;
- as "not a digit": the finder's fields of generated non-digits (letters, words, symbols,
  shapes, textures, noise, photo crops, blanks, fragments) and its wrong cuts of sheets (two
  digits joined, pieces), `--outlier-share` as many as there are digits, drawn with a seed.
  Single strokes from pieces, fragments and textures are left out: to the model they are 1s
  (the same policy as scripts/compare_not_a_digit.py, whose measurements chose this recipe).
The rows are shuffled with the seed, so the file is the same for the same fields.

With `--outliers-out`, the digits alone go to `--out` and every non-digit field (the whole
pool, label 10) to that file instead: `max-server train ... --outliers FILE` with
`train_args.outliers_per_epoch` then draws a fresh sample of them every epoch (the default
model's recipe, scripts/default-model.json), as scripts/compare_not_a_digit.py does.

With `--plain-out`, only the mnist_train digits go to `--out` and the finder's fields (sheet
and font digits, and the non-digits drawn when there is no `--outliers-out`) to that file:
`max-server train ... --data OUT --plain-data PLAIN` distorts (`train_args.augment`) the MNIST
digits only and trains the finder's fields as the finder cuts them, as the non-digits are.
"""
import argparse
import gzip
import os

import numpy as np

from make_training_fields import read_fields, strokes

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data")


def load_csv(name):
    """Images (N, 28, 28, 1) and labels of a Kaggle CSV in ../shared/data."""
    with gzip.open(os.path.join(DATA, name), "rt") as f:
        rows = np.loadtxt(f, delimiter=",", skiprows=1, dtype=np.int32)
    return rows[:, 1:].reshape(-1, 28, 28, 1).astype(np.float32), rows[:, 0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fields", required=True, help="directory written by make_training_fields.py")
    parser.add_argument("--out", required=True, help="the CSV to write (.csv.gz)")
    parser.add_argument("--outlier-share", type=float, default=0.6, help="non-digit rows per digit row")
    parser.add_argument("--outliers-out", help="write every non-digit field here (label 10) and only digits to --out")
    parser.add_argument("--plain-out", help="write the finder's fields here (never augmented) and only mnist_train to --out")
    parser.add_argument("--seed", type=int, default=20261201)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)

    mnist_x, mnist_y = load_csv("mnist_train.csv.gz")
    sheets_x, sheets_y, sheets_kind, sheets_box = read_fields(os.path.join(args.fields, "sheets.csv.gz"))
    fonts_x, fonts_y, _, _ = read_fields(os.path.join(args.fields, "fonts.csv.gz"))
    other_x, _, other_kind, other_box = read_fields(os.path.join(args.fields, "nondigits.csv.gz"))
    digit_mask = sheets_y < 10
    negatives_x = np.concatenate([other_x, sheets_x[~digit_mask]])
    negatives_kind = np.concatenate([other_kind, sheets_kind[~digit_mask]])
    negatives_box = np.concatenate([other_box, sheets_box[~digit_mask]])
    dropped = np.isin(negatives_kind, ["piece", "fragment", "texture"]) & strokes(negatives_x, negatives_box)
    negatives_x, negatives_kind = negatives_x[~dropped], negatives_kind[~dropped]

    digits_x = np.concatenate([mnist_x, sheets_x[digit_mask], fonts_x])
    digits_y = np.concatenate([mnist_y, sheets_y[digit_mask], fonts_y])
    if args.outliers_out:
        wanted, pick = 0, np.zeros(0, dtype=np.int64)
    else:
        wanted = min(len(negatives_x), int(args.outlier_share * len(digits_x)))
        pick = rng.choice(len(negatives_x), size=wanted, replace=False)
    x = np.concatenate([digits_x, negatives_x[pick]])
    y = np.concatenate([digits_y, np.full(wanted, 10)])
    plain_start = len(mnist_x) if args.plain_out else len(x)
    order = np.concatenate([rng.permutation(plain_start), plain_start + rng.permutation(len(x) - plain_start)])
    x, y = x[order].reshape(len(x), 784), y[order]
    kinds = negatives_kind[pick] if not args.outliers_out else negatives_kind
    print(f"{len(x)} rows: {len(mnist_x)} mnist_train, {int(digit_mask.sum())} sheet digits, {len(fonts_x)} font digits, "
          f"{len(kinds) if args.outliers_out else wanted} not a digit{' (to ' + args.outliers_out + ')' if args.outliers_out else ''} "
          f"(of {len(negatives_x)}; {int(dropped.sum())} single strokes left out; "
          + ", ".join(f"{k} {int((kinds == k).sum())}" for k in sorted(set(kinds))) + ")")
    write_csv(args.out, x[:plain_start], y[:plain_start])
    if args.plain_out:
        write_csv(args.plain_out, x[plain_start:], y[plain_start:])
    if args.outliers_out:
        pool = negatives_x[rng.permutation(len(negatives_x))]
        write_csv(args.outliers_out, pool.reshape(len(pool), 784), np.full(len(pool), 10))


def write_csv(path, x, y):
    """Kaggle CSV rows; no name and no time in the gzip header: the same rows give the same bytes."""
    with open(path, "wb") as raw, gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) as f:
        f.write(("label," + ",".join(f"pixel{i}" for i in range(784)) + "\n").encode())
        for label, row in zip(y, np.clip(np.rint(x), 0, 255).astype(np.int64)):
            f.write((str(int(label)) + "," + ",".join(map(str, row)) + "\n").encode())
    print(f"wrote {path} ({len(y)} rows)")


if __name__ == "__main__":
    main()
