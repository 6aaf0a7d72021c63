#!/usr/bin/env python3
"""Train the default MNIST model and write it as a Keras 2 full-model .h5.

The model takes raw 0-255 grayscale pixels, shape (28, 28, 1), like MAX-MNIST's, and scales
them itself with a Rescaling(1/255) layer, so every model the server loads shares one input
convention. It is trained only on ../shared/data/mnist_train.csv.gz (4,000 digits), with
augmentation that each epoch redraws: shifts, small rotations, zoom, shear and stroke width.

    python3 scripts/train_mnist.py [--epochs 40] [--out assets/mnist_cnn.h5]

Prints the accuracy on ../shared/data/mnist_test.csv.gz (1,000 held-out digits), measured with
Keras on the saved file. Needs tensorflow-cpu and tf-keras (Keras 2 API, which writes .h5).
"""
import argparse
import gzip
import os
import random

import numpy as np
import scipy.ndimage as ndimage

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "..", "shared", "data")


def load_csv(name):
    with gzip.open(os.path.join(DATA, name), "rt") as f:
        rows = np.loadtxt(f, delimiter=",", skiprows=1, dtype=np.int32)
    labels = rows[:, 0]
    pixels = rows[:, 1:].reshape(-1, 28, 28, 1).astype(np.float32)
    return pixels, labels


def augment(images, rng):
    """One random affine warp and stroke change per digit; output stays 0-255 float32."""
    out = np.empty_like(images)
    centre = np.array([13.5, 13.5])
    for i, image in enumerate(images[..., 0]):
        angle = np.deg2rad(rng.uniform(-12, 12))
        zoom = rng.uniform(0.88, 1.12)
        shear = rng.uniform(-0.15, 0.15)
        shift = rng.uniform(-2.5, 2.5, size=2)
        rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        matrix = rotation @ np.array([[1.0, shear], [0.0, 1.0]]) / zoom
        offset = centre - matrix @ (centre + shift)
        warped = ndimage.affine_transform(image, matrix, offset=offset, order=1, mode="constant", cval=0.0)
        stroke = rng.random()
        if stroke < 0.2:
            warped = ndimage.grey_dilation(warped, size=(2, 2))
        elif stroke < 0.35:
            warped = ndimage.grey_erosion(warped, size=(2, 2))
        out[i, ..., 0] = np.clip(warped, 0, 255)
    return out


def build_model():
    layers = keras.layers
    return keras.Sequential([
        layers.InputLayer(input_shape=(28, 28, 1)),
        layers.Rescaling(1.0 / 255.0),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.BatchNormalization(),
        layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Dropout(0.25),
        layers.Conv2D(64, 3, padding="same", activation="relu"),
        layers.BatchNormalization(),
        layers.Conv2D(64, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Dropout(0.25),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dropout(0.4),
        layers.Dense(10, activation="softmax"),
    ], name="mnist_cnn")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--out", default=os.path.join(ROOT, "assets", "mnist_cnn.h5"))
    args = parser.parse_args()

    random.seed(args.seed)
    np.random.seed(args.seed)
    tf.random.set_seed(args.seed)
    rng = np.random.default_rng(args.seed)

    x_train, y_train = load_csv("mnist_train.csv.gz")
    x_test, y_test = load_csv("mnist_test.csv.gz")

    model = build_model()
    steps = args.epochs * int(np.ceil(len(x_train) / 64))
    schedule = keras.optimizers.schedules.CosineDecay(2e-3, decay_steps=steps, alpha=0.02)
    model.compile(optimizer=keras.optimizers.Adam(schedule),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    for epoch in range(args.epochs):
        batch = augment(x_train, rng)
        history = model.fit(batch, y_train, batch_size=64, epochs=1, verbose=0, shuffle=True)
        _, test_accuracy = model.evaluate(x_test, y_test, verbose=0)
        print(f"epoch {epoch + 1:2d}: loss {history.history['loss'][0]:.4f} "
              f"train {history.history['accuracy'][0]:.4f} test {test_accuracy:.4f}", flush=True)

    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    model.save(args.out, include_optimizer=False, save_format="h5")
    saved = keras.models.load_model(args.out, compile=False)
    predictions = saved.predict(x_test, verbose=0).argmax(axis=1)
    accuracy = float((predictions == y_test).mean())
    print(f"saved {args.out}: {saved.count_params()} parameters; "
          f"accuracy on {len(y_test)} test digits: {accuracy:.4f}")


if __name__ == "__main__":
    main()
