#!/usr/bin/env python3
"""Checks that Keras 2 .h5 files written by our KerasModelFile open in tf-keras and predict as
the engine does, within 1e-5.

1. Runs the writer's test with KERAS_WRITER_DUMP set: each Keras 2 fixture of
   Tests/KerasTests/Fixtures is read, written again by KerasModelFile, and left in a folder.
2. Loads each written file with tf_keras.models.load_model, lists it with h5py, and compares
   its predictions on the fixture's inputs with the outputs recorded in the fixture (which the
   Swift test also matched within 1e-5).
3. Trains each catalog network (mlp, lenet5, mnist_cnn: Dense, Conv2D, pooling,
   BatchNormalization, Dropout) for one epoch with `max-server train` on a few hundred digits
   (../shared/data, or synthetic digits when it is absent), loads each written file in tf-keras
   and compares its predictions on the test digits with the engine's (`--predictions`).
Exits 1 on any difference. Needs tensorflow-cpu, tf-keras, h5py, and a built max-server.
Run: python3 scripts/check-keras-writer.py [--server .build/debug/max-server]
"""
import argparse, glob, json, os, subprocess, sys, tempfile
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["TF_USE_LEGACY_KERAS"] = "1"
import h5py
import numpy as np
import tf_keras as keras

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Tests", "KerasTests", "Fixtures")


def check(path, inputs, expected, label):
    with h5py.File(path, "r") as f:
        names = []
        f.visit(names.append)
        assert "model_weights" in names, f"{label}: h5py lists no model_weights"
    model = keras.models.load_model(path, compile=False)
    got = model.predict(inputs, verbose=0)
    worst = float(np.max(np.abs(got - expected)))
    assert worst <= 1e-5, f"{label}: tf-keras predicts up to {worst} away from the engine"
    print(f"  {label}: tf-keras loads it ({model.count_params()} parameters, {len(names)} HDF5 objects); "
          f"largest difference {worst:.2e}")


def digits_csv(path, count, seed):
    """Kaggle CSV rows: the shared digits when present, else synthetic strokes."""
    shared = os.path.join(ROOT, "..", "shared", "data", "mnist_train.csv.gz")
    if os.path.exists(shared):
        import gzip
        lines = gzip.open(shared, "rt").read().splitlines()
        rows = [lines[0]] + lines[1 + seed * count:1 + (seed + 1) * count]
    else:
        rng = np.random.default_rng(seed)
        rows = ["label," + ",".join(f"pixel{i}" for i in range(784))]
        for index in range(count):
            image = np.zeros((28, 28), dtype=int)
            image[4 + 2 * (index % 10), 4:24] = 200
            image += rng.integers(0, 30, (28, 28))
            rows.append(f"{index % 10}," + ",".join(str(v) for v in image.ravel()))
    open(path, "w").write("\n".join(rows) + "\n")
    data = np.array([[float(v) for v in row.split(",")] for row in rows[1:]], dtype="float32")
    return data[:, 1:].reshape(-1, 28, 28, 1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", default=os.path.join(ROOT, ".build", "debug", "max-server"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        env = dict(os.environ, KERAS_WRITER_DUMP=folder)
        subprocess.run(["swift", "test", "--filter", "KerasTests.ModelFileWriterTests/testRewrittenFixturesPredictAsKeras"],
                       cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        written = sorted(glob.glob(os.path.join(folder, "*.h5")))
        assert written, "the test wrote no files"
        print(f"check-keras-writer: {len(written)} rewritten fixtures")
        for path in written:
            name = os.path.basename(path)[:-3]
            fixture = json.load(open(os.path.join(FIXTURES, name + ".json")))
            check(path, np.array(fixture["inputs"], dtype="float32"), np.array(fixture["outputs"], dtype="float32"), name)
    with tempfile.TemporaryDirectory() as folder:
        train, test = os.path.join(folder, "train.csv"), os.path.join(folder, "test.csv")
        digits_csv(train, 300, 0)
        test_pixels = digits_csv(test, 100, 1)
        print(f"check-keras-writer: files from max-server train ({args.server})")
        for network in ["mlp", "lenet5", "mnist_cnn"]:
            model = os.path.join(folder, network + ".h5")
            predictions = os.path.join(folder, network + ".json")
            subprocess.run([args.server, "train", json.dumps({"network": network, "train_args": {"epochs": 1, "batch_size": 30}}),
                            "--data", train, "--test-data", test, "--out", model, "--predictions", predictions,
                            "--progress", "none"], check=True, stdout=subprocess.DEVNULL)
            ours = np.array(json.load(open(predictions))["outputs"], dtype="float32")
            check(model, test_pixels, ours, f"trained {network}")
    print("check-keras-writer: all files load in tf-keras and match")


if __name__ == "__main__":
    sys.exit(main())
