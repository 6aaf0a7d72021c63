#!/usr/bin/env python3
"""Which "not a digit" method measures best? A tf-keras prototype (the served model is ours).

    swift build -c release --product max-server
    python3 scripts/make_training_fields.py --out /tmp/fields
    python3 scripts/compare_not_a_digit.py --fields /tmp/fields [--epochs 20] [--save-best assets/mnist_cnn.h5]

Trains one architecture three ways on the same data and scores each picture four ways:
- `softmax`: ten classes, digits only; score = the largest softmax probability (the baseline);
- `energy`: the same model; score = logsumexp of its logits (Liu et al. 2020);
- `uniform-oe`: ten classes; non-digit fields trained towards the uniform distribution with
  weight lambda (outlier exposure, Hendrycks et al. 2019); scored by its softmax maximum and by
  its energy;
- `reject-class`: eleven classes, the eleventh "not a digit", non-digits labelled 10;
  score = 1 - p(not a digit).
Training data (scripts/make_training_fields.py, nothing from a test set): mnist_train raw
(redrawn augmentation every epoch, as scripts/train_mnist.py), the finder's fields of sheets of
mnist_train digits and of DejaVu-typed digits, and the finder's fields of generated non-digits.

Evaluation, on the committed test sets (Tests/MNISTTests/Fixtures/digit-sets) through the
finder (`max-server find-digits`), as the server sees them: digits are mnist_test (raw
28x28, fed as is) and the font set (the unsplit field of pictures where one mark is found);
non-digits are the non-digit set, a picture scored by its most digit-like region (it is
refused only if every region is). Prints AUROC and, at the threshold refusing 1 % of
mnist_test, the share of non-digit pictures refused and of font digits kept.
"""
import argparse
import gzip
import os
import subprocess
import tempfile

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402

import digit_sets  # noqa: E402
from make_training_fields import read_fields, strokes  # noqa: E402
import train_mnist  # noqa: E402

ROOT = digit_sets.ROOT


def finder_fields(binary, images, work):
    """For each picture: the list of candidates (readings of regions) and the fields in order."""
    import json
    paths = []
    for n, image in enumerate(images):
        path = os.path.join(work, f"{n:05d}.png")
        with open(path, "wb") as f:
            f.write(digit_sets.png_bytes(image))
        paths.append(path)
    fields_path = os.path.join(work, "fields.csv")
    found = []
    for start in range(0, len(paths), 400):
        out = subprocess.run([binary, "find-digits", "--fields", fields_path] + paths[start:start + 400],
                             capture_output=True, text=True, check=True).stdout.splitlines()
        found += [json.loads(line)["candidates"] for line in out]
    fields = np.loadtxt(fields_path, delimiter=",", dtype=np.float32, ndmin=2)[:, 1:].reshape(-1, 28, 28, 1) \
        if os.path.getsize(fields_path) else np.zeros((0, 28, 28, 1), np.float32)
    result, row = [], 0
    for candidates in found:
        regions = []
        for candidate in candidates:
            readings = []
            for reading in candidate:
                readings.append(list(range(row, row + len(reading))))
                row += len(reading)
            regions.append(readings)
        result.append(regions)
    return result, fields


def evaluation_data(binary):
    data = digit_sets.manifest()
    with tempfile.TemporaryDirectory() as work:
        os.makedirs(os.path.join(work, "fonts"))
        os.makedirs(os.path.join(work, "nondigits"))
        fonts = list(digit_sets.pictures("fonts", data))
        font_found, font_fields = finder_fields(binary, [image for image, _ in fonts], os.path.join(work, "fonts"))
        nondigits = list(digit_sets.pictures("nondigits", data))
        other_found, other_fields = finder_fields(binary, [image for image, _ in nondigits], os.path.join(work, "nondigits"))
    font_index = [(n, candidates[0][0][0]) for n, candidates in enumerate(font_found) if len(candidates) == 1]
    print(f"fonts: {len(font_index)} of {len(fonts)} pictures with one mark found")
    families = np.array(["Liberation" in fonts[n][1]["font"] for n, _ in font_index])
    return {
        "font_x": font_fields[[i for _, i in font_index]],
        "font_y": np.array([fonts[n][1]["label"] for n, _ in font_index]),
        "font_liberation": families,
        "other_fields": other_fields,
        # Every region of every reading of each non-digit picture.
        "other_regions": [[i for c in candidates for r in c for i in r] for candidates in other_found],
        "other_kind": [row["kind"] for _, row in nondigits],
    }


def build(classes, filters=(16, 32, 64)):
    """The prototype architecture (16-32-64: ~2 M multiply-adds): three conv blocks (conv 3x3
    same, batch norm, max-pool 2), one hidden dense layer."""
    layers = keras.layers
    inputs = keras.Input((28, 28, 1))
    x = layers.Rescaling(1.0 / 255.0)(inputs)
    for filters in filters:
        x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = layers.BatchNormalization()(x)
        x = layers.MaxPooling2D(2)(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.25)(x)
    x = layers.Dense(128, activation="relu")(x)
    x = layers.Dropout(0.3)(x)
    scores = layers.Dense(classes, name="logits")(x)
    return keras.Model(inputs, scores, name=f"mnist_{classes}")


def train(method, data, epochs, seed, oe_weight, filters, outlier_share):
    tf.random.set_seed(seed)
    rng = np.random.default_rng(seed)
    classes = 11 if method == "reject-class" else 10
    model = build(classes, filters)
    steps = epochs * int(np.ceil(data["size"] / 128))
    optimizer = keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(2e-3, steps, alpha=0.02))

    @tf.function
    def step(x, y, outlier):
        with tf.GradientTape() as tape:
            logits = model(x, training=True)
            if method == "uniform-oe":
                inlier = tf.cast(tf.logical_not(outlier), tf.float32)
                ce = tf.keras.losses.sparse_categorical_crossentropy(tf.minimum(y, 9), logits, from_logits=True)
                uniform = -tf.reduce_mean(tf.nn.log_softmax(logits), axis=1)
                count_in = tf.maximum(1.0, tf.reduce_sum(inlier))
                count_out = tf.maximum(1.0, tf.reduce_sum(1 - inlier))
                loss = tf.reduce_sum(ce * inlier) / count_in + oe_weight * tf.reduce_sum(uniform * (1 - inlier)) / count_out
            else:
                loss = tf.reduce_mean(tf.keras.losses.sparse_categorical_crossentropy(y, logits, from_logits=True))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    for epoch in range(epochs):
        mnist = train_mnist.augment(data["mnist_x"], rng)
        if method == "softmax":
            x = np.concatenate([mnist, data["digit_x"]])
            y = np.concatenate([data["mnist_y"], data["digit_y"]])
        else:
            # Each epoch: every digit, and `outlier_share` as many non-digits drawn at random.
            wanted = int(outlier_share * (len(mnist) + len(data["digit_x"])))
            pick = rng.choice(len(data["other_x"]), size=min(len(data["other_x"]), wanted), replace=False)
            x = np.concatenate([mnist, data["digit_x"], data["other_x"][pick]])
            y = np.concatenate([data["mnist_y"], data["digit_y"], np.full(len(pick), 10)])
        order = rng.permutation(len(x))
        losses = []
        for start in range(0, len(x), 128):
            batch = order[start:start + 128]
            yb = y[batch]
            losses.append(float(step(tf.constant(x[batch]), tf.constant(yb), tf.constant(yb == 10))))
        print(f"  {method} epoch {epoch + 1}: loss {np.mean(losses):.4f}", flush=True)
    return model


def auroc(positive, negative):
    """P(score of a digit > score of a non-digit), ties counted half."""
    scores = np.concatenate([positive, negative])
    ranks = np.argsort(np.argsort(scores, kind="mergesort"), kind="mergesort").astype(np.float64) + 1
    # Average ranks over ties.
    order = np.argsort(scores, kind="mergesort")
    sorted_scores = scores[order]
    start = 0
    while start < len(scores):
        end = start
        while end + 1 < len(scores) and sorted_scores[end + 1] == sorted_scores[start]:
            end += 1
        ranks[order[start:end + 1]] = (start + end) / 2 + 1
        start = end + 1
    positive_ranks = ranks[:len(positive)].sum()
    return (positive_ranks - len(positive) * (len(positive) + 1) / 2) / (len(positive) * len(negative))


def scores(model, x, kind):
    logits = model.predict(x, verbose=0, batch_size=512) if len(x) else np.zeros((0, model.output_shape[-1]))
    probabilities = tf.nn.softmax(logits).numpy()
    if kind == "msp":
        return probabilities[:, :10].max(axis=1), probabilities
    if kind == "energy":
        return tf.reduce_logsumexp(logits, axis=1).numpy(), probabilities
    return 1 - probabilities[:, 10], probabilities


def evaluate(name, model, kind, evaluation, mnist_x, mnist_y, fixed=None):
    mnist_score, mnist_p = scores(model, mnist_x, kind)
    font_score, font_p = scores(model, evaluation["font_x"], kind)
    region_score, _ = scores(model, evaluation["other_fields"], kind)
    # A non-digit picture is as digit-like as its most digit-like region; no region: refused.
    floor = min(mnist_score.min(), region_score.min() if len(region_score) else 0) - 1
    other = np.array([region_score[r].max() if r else floor for r in evaluation["other_regions"]])
    digits = np.concatenate([mnist_score, font_score])
    threshold = np.quantile(mnist_score, 0.01) if fixed is None else fixed
    accuracy = (mnist_p[:, :10].argmax(1) == mnist_y).mean()
    font_right = (font_p[:, :10].argmax(1) == evaluation["font_y"])
    kept = font_score >= threshold
    refused = other < threshold
    kinds = sorted(set(evaluation["other_kind"]))
    per_kind = ", ".join(f"{k} {refused[[i for i, v in enumerate(evaluation['other_kind']) if v == k]].mean() * 100:.0f}%" for k in kinds)
    where = "at the threshold refusing 1 % of mnist_test" if fixed is None else \
        f"at the threshold {fixed} (refusing {(mnist_score < fixed).mean() * 100:.1f} % of mnist_test)"
    print(f"{name}: AUROC {auroc(digits, other):.4f} (mnist_test vs non-digits {auroc(mnist_score, other):.4f}); "
          f"{where} ({threshold:.4g}): non-digit pictures refused "
          f"{refused.mean() * 100:.1f} %, font digits kept {kept.mean() * 100:.1f} %, font digits right and kept "
          f"{(font_right & kept).mean() * 100:.1f} % (Liberation, unseen in training: "
          f"{(font_right & kept)[evaluation['font_liberation']].mean() * 100:.1f} %); mnist_test accuracy {accuracy * 100:.1f} %")
    print(f"    refused by kind: {per_kind}")
    return threshold


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fields", required=True, help="directory written by make_training_fields.py")
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "max-server"))
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--oe-weight", type=float, default=0.5)
    parser.add_argument("--methods", default="softmax,uniform-oe,reject-class")
    parser.add_argument("--filters", default="16,32,64", help="filters of the three conv blocks")
    parser.add_argument("--drop-strokes-from", default="piece,fragment,texture",
                        help="kinds of non-digit fields whose single strokes are left out of training")
    parser.add_argument("--exclude-kinds", default="", help="kinds of non-digit fields left out of training")
    parser.add_argument("--outlier-share", type=float, default=0.5, help="non-digits per digit in each epoch")
    parser.add_argument("--save", help="save the reject-class model (softmax output) to this .h5")
    args = parser.parse_args()

    mnist_x, mnist_y = train_mnist.load_csv("mnist_train.csv.gz")
    test_x, test_y = train_mnist.load_csv("mnist_test.csv.gz")
    sheets_x, sheets_y, sheets_kind, sheets_box = read_fields(os.path.join(args.fields, "sheets.csv.gz"))
    fonts_x, fonts_y, _, _ = read_fields(os.path.join(args.fields, "fonts.csv.gz"))
    other_x, _, other_kind, other_box = read_fields(os.path.join(args.fields, "nondigits.csv.gz"))
    digit_mask = sheets_y < 10
    negatives_x = np.concatenate([other_x, sheets_x[~digit_mask]])
    negatives_kind = np.concatenate([other_kind, sheets_kind[~digit_mask]])
    negatives_box = np.concatenate([other_box, sheets_box[~digit_mask]])
    # Single strokes from these kinds are 1s to the model: never taught as "not a digit".
    dropped = np.isin(negatives_kind, args.drop_strokes_from.split(",")) & strokes(negatives_x, negatives_box)
    dropped |= np.isin(negatives_kind, [k for k in args.exclude_kinds.split(",") if k])
    print(f"non-digit fields by kind: " + ", ".join(f"{k} {int((negatives_kind == k).sum())}" for k in sorted(set(negatives_kind)))
          + f"; left out (single strokes, excluded kinds): {int(dropped.sum())}")
    data = {
        "mnist_x": mnist_x, "mnist_y": mnist_y,
        "digit_x": np.concatenate([sheets_x[digit_mask], fonts_x]),
        "digit_y": np.concatenate([sheets_y[digit_mask], fonts_y]),
        "other_x": negatives_x[~dropped],
    }
    data["size"] = int((1 + args.outlier_share) * (len(mnist_x) + len(data["digit_x"])))
    print(f"training: {len(mnist_x)} mnist_train, {len(data['digit_x'])} finder digit fields, "
          f"{len(data['other_x'])} non-digit fields")
    evaluation = evaluation_data(args.binary)

    for method in args.methods.split(","):
        model = train(method, data, args.epochs, args.seed, args.oe_weight, tuple(int(f) for f in args.filters.split(",")),
                      args.outlier_share)
        if method == "reject-class":
            evaluate("reject-class (1 - p(not a digit))", model, "reject", evaluation, test_x, test_y)
            evaluate("reject-class (1 - p(not a digit))", model, "reject", evaluation, test_x, test_y, fixed=0.5)
            if args.save:
                served = keras.Model(model.input, keras.layers.Activation("softmax", name="softmax")(model.output),
                                     name="mnist_cnn")
                served.save(args.save, include_optimizer=False, save_format="h5")
                print(f"saved {args.save}")
        else:
            evaluate(f"{method} (softmax maximum)", model, "msp", evaluation, test_x, test_y)
            evaluate(f"{method} (energy)", model, "energy", evaluation, test_x, test_y)


if __name__ == "__main__":
    main()
