#!/usr/bin/env python3
"""Accuracy per multiply-add: train candidate architectures for the default MNIST model.

Each candidate is trained the way scripts/train_mnist.py trains the default model (same
augmentation, optimiser and schedule), on 3,500 of the 4,000 digits of
../shared/data/mnist_train.csv.gz; the other 500 are the validation set the choice is made on.
The 1,000 digits of mnist_test.csv.gz are only measured, once per candidate, at the end.

    python3 scripts/explore_mnist_architectures.py [--epochs 30] [--only NAME,...] [--save DIR]
    python3 scripts/explore_mnist_architectures.py --full --epochs 40 --seeds 1,2 --only NAME,...

With --full, candidates are trained as the final model is (all 4,000 digits, no validation set)
once per seed, and only the test accuracy is printed: the figure the issue's 98.7 % refers to.

Prints one line per candidate: multiply-adds per digit (convolutions and dense layers, counted
from the layer shapes), parameters, validation and test accuracy. With --save, writes each
trained candidate as DIR/NAME.h5 so `max-server bench --model DIR/NAME.h5` can time it.
Needs tensorflow-cpu, tf-keras and scipy.
"""
import argparse
import os
import random
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train_mnist  # noqa: E402  (augmentation and data loading are shared with the real recipe)

import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402

L = keras.layers


def conv_bn(filters, kernel=3, padding="same", strides=1):
    """Conv2D (linear, no bias) -> BatchNormalization -> ReLU: folds into one Conv2D at load."""
    return [L.Conv2D(filters, kernel, padding=padding, strides=strides, use_bias=False),
            L.BatchNormalization(), L.Activation("relu")]


def head(units=None, dropout=0.3):
    layers = [L.Flatten()]
    if units:
        layers += [L.Dense(units, activation="relu"), L.Dropout(dropout)]
    return layers + [L.Dense(10, activation="softmax")]


# Each entry builds the layers after Rescaling(1/255); all take (28, 28, 1) raw 0-255 pixels.
CANDIDATES = {
    # The current default (assets/mnist_cnn.h5), for reference.
    "current": lambda: [
        L.Conv2D(32, 3, padding="same", activation="relu"), L.BatchNormalization(),
        L.Conv2D(32, 3, activation="relu"), L.MaxPooling2D(2), L.Dropout(0.25),
        L.Conv2D(64, 3, padding="same", activation="relu"), L.BatchNormalization(),
        L.Conv2D(64, 3, activation="relu"), L.MaxPooling2D(2), L.Dropout(0.25),
        L.Flatten(), L.Dense(128, activation="relu"), L.Dropout(0.4), L.Dense(10, activation="softmax")],
    # MAX-MNIST's shape (2.5 M multiply-adds) with BatchNormalization and the same head size.
    "maxmnist_bn": lambda: [
        *conv_bn(32, padding="valid"), L.MaxPooling2D(2),
        *conv_bn(64, padding="valid"), L.MaxPooling2D(2), L.Dropout(0.25), *head(128, 0.4)],
    # Three stages at 16/32/64 channels, 'same' padding, a small head.
    "c16_c32_c64": lambda: [
        *conv_bn(16), L.MaxPooling2D(2),
        *conv_bn(32), L.MaxPooling2D(2),
        *conv_bn(64), L.MaxPooling2D(2), L.Dropout(0.25), *head(64)],
    # The same at 32/32/64: channel counts that fill whole AVX-512 register panels.
    "c32_c32_c64": lambda: [
        *conv_bn(32), L.MaxPooling2D(2),
        *conv_bn(32), L.MaxPooling2D(2),
        *conv_bn(64), L.MaxPooling2D(2), L.Dropout(0.25), *head(64)],
    # Strided 5x5 first layer instead of conv + pool.
    "s5x5_c32_c64": lambda: [
        *conv_bn(32, kernel=5, strides=2), *conv_bn(64, padding="valid"), L.MaxPooling2D(2),
        *conv_bn(64, padding="valid"), L.Dropout(0.25), *head(64)],
    # Smallest: 8/16/32 channels.
    "c8_c16_c32": lambda: [
        *conv_bn(8), L.MaxPooling2D(2),
        *conv_bn(16), L.MaxPooling2D(2),
        *conv_bn(32), L.MaxPooling2D(2), L.Dropout(0.2), *head(None)],
    # Between c8 and c16: 12/24/48 channels.
    "c12_c24_c48": lambda: [
        *conv_bn(12), L.MaxPooling2D(2),
        *conv_bn(24), L.MaxPooling2D(2),
        *conv_bn(48), L.MaxPooling2D(2), L.Dropout(0.2), *head(64)],
    # c16_c32_c64 without the hidden dense layer.
    "c16_c32_c64_nohead": lambda: [
        *conv_bn(16), L.MaxPooling2D(2),
        *conv_bn(32), L.MaxPooling2D(2),
        *conv_bn(64), L.MaxPooling2D(2), L.Dropout(0.25), *head(None)],
    # A strided 5x5 start at 16 channels, then two valid 3x3 convolutions.
    "s5x5_c16_c32": lambda: [
        *conv_bn(16, kernel=5, strides=2), *conv_bn(32, padding="valid"), L.MaxPooling2D(2),
        *conv_bn(64, padding="valid"), L.Dropout(0.25), *head(64)],
    # Two convolutions per stage at low width (VGG-style), global pooling head.
    "vgg_16_32": lambda: [
        *conv_bn(16), *conv_bn(16), L.MaxPooling2D(2),
        *conv_bn(32), *conv_bn(32), L.MaxPooling2D(2),
        *conv_bn(64, padding="valid"), L.GlobalAveragePooling2D(), L.Dense(10, activation="softmax")],
}


def build(name):
    model = keras.Sequential([L.InputLayer(input_shape=(28, 28, 1)), L.Rescaling(1.0 / 255.0)]
                             + CANDIDATES[name](), name=name)
    return model


def multiply_adds(model):
    """Multiply-adds per digit of every Conv2D, DepthwiseConv2D and Dense layer."""
    total = 0
    for layer in model.layers:
        if isinstance(layer, L.Conv2D):
            _, h, w, out = layer.output_shape
            kh, kw = layer.kernel_size
            total += h * w * out * kh * kw * layer.input_shape[-1]
        elif isinstance(layer, L.Dense):
            total += layer.input_shape[-1] * layer.units
    return total


def train(name, x, y, x_val, y_val, epochs, seed):
    random.seed(seed)
    np.random.seed(seed)
    tf.random.set_seed(seed)
    rng = np.random.default_rng(seed)
    model = build(name)
    steps = epochs * int(np.ceil(len(x) / 64))
    schedule = keras.optimizers.schedules.CosineDecay(2e-3, decay_steps=steps, alpha=0.02)
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    for _ in range(epochs):
        model.fit(train_mnist.augment(x, rng), y, batch_size=64, epochs=1, verbose=0, shuffle=True)
    validation = model.evaluate(x_val, y_val, verbose=0)[1] if len(x_val) else float("nan")
    return model, validation


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--only", default="", help="comma-separated candidate names")
    parser.add_argument("--save", default="", help="directory for the trained candidates")
    parser.add_argument("--full", action="store_true", help="train on all 4,000 digits, report test accuracy only")
    parser.add_argument("--seeds", default="", help="with --full: comma-separated seeds (default: --seed)")
    args = parser.parse_args()
    names = [n for n in args.only.split(",") if n] or list(CANDIDATES)

    x_all, y_all = train_mnist.load_csv("mnist_train.csv.gz")
    x_test, y_test = train_mnist.load_csv("mnist_test.csv.gz")
    if args.full:
        seeds = [int(s) for s in args.seeds.split(",") if s] or [args.seed]
        print(f"{'candidate':<20} {'mult-adds':>10} {'params':>8} {'seed':>6} {'test (1000)':>12}", flush=True)
        for name in names:
            for seed in seeds:
                model, _ = train(name, x_all, y_all, x_test[:0], y_test[:0], args.epochs, seed)
                _, test = model.evaluate(x_test, y_test, verbose=0)
                print(f"{name:<20} {multiply_adds(model):>10,} {model.count_params():>8,} {seed:>6} {test:>12.4f}", flush=True)
                if args.save:
                    os.makedirs(args.save, exist_ok=True)
                    model.save(os.path.join(args.save, f"{name}-{seed}.h5"), include_optimizer=False, save_format="h5")
        return
    order = np.random.default_rng(7).permutation(len(x_all))
    x_train, y_train = x_all[order[:3500]], y_all[order[:3500]]
    x_val, y_val = x_all[order[3500:]], y_all[order[3500:]]

    print(f"{'candidate':<14} {'mult-adds':>10} {'params':>8} {'val (500)':>10} {'test (1000)':>12}", flush=True)
    for name in names:
        model, validation = train(name, x_train, y_train, x_val, y_val, args.epochs, args.seed)
        _, test = model.evaluate(x_test, y_test, verbose=0)
        print(f"{name:<14} {multiply_adds(model):>10,} {model.count_params():>8,} {validation:>10.4f} {test:>12.4f}",
              flush=True)
        if args.save:
            os.makedirs(args.save, exist_ok=True)
            model.save(os.path.join(args.save, name + ".h5"), include_optimizer=False, save_format="h5")


if __name__ == "__main__":
    main()
