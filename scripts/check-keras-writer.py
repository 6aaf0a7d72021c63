#!/usr/bin/env python3
"""Checks that Keras 2 .h5 files written by our KerasModelFile open in tf-keras and predict as
the engine does, within 1e-5.

1. Runs the writer's test with KERAS_WRITER_DUMP set: each Keras 2 fixture of
   Tests/KerasTests/Fixtures is read, written again by KerasModelFile, and left in a folder.
2. Loads each written file with tf_keras.models.load_model, lists it with h5py, and compares
   its predictions on the fixture's inputs with the outputs recorded in the fixture (which the
   Swift test also matched within 1e-5).
3. With --trained FILE [FILE...], also loads files written by `max-server train` and compares
   their predictions with `max-server`'s on the digits given by --data (first 200 rows).
Exits 1 on any difference. Needs tensorflow-cpu, tf-keras, h5py.
Run: python3 scripts/check-keras-writer.py [--trained model.h5 --data ../shared/data/mnist_test.csv.gz]
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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--trained", nargs="*", default=[])
    parser.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data", "mnist_test.csv.gz"))
    parser.add_argument("--server", default=None, help="max-server binary (default: swift build's)")
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
    if args.trained:
        import gzip
        rows = np.loadtxt(gzip.open(args.data, "rt") if args.data.endswith(".gz") else open(args.data),
                          delimiter=",", skiprows=1, max_rows=200, dtype=np.float32)
        pixels = rows[:, 1:].reshape(-1, 28, 28, 1)
        server = args.server or os.path.join(ROOT, ".build", "release", "max-server")
        print(f"check-keras-writer: {len(args.trained)} trained files, {len(pixels)} digits")
        for path in args.trained:
            with tempfile.NamedTemporaryFile(suffix=".json") as out:
                subprocess.run([server, "train-predict", "--model", path, "--data", args.data, "--limit", str(len(pixels)),
                                "--out", out.name], check=True)
                ours = np.array(json.load(open(out.name))["outputs"], dtype="float32")
            check(path, pixels, ours, os.path.basename(path))
    print("check-keras-writer: all files load in tf-keras and match")


if __name__ == "__main__":
    sys.exit(main())
