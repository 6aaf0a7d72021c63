#!/usr/bin/env python3
"""Trains the same models with `max-server train` and with tf-keras, side by side, and reports
time per epoch (wall and CPU), peak memory and test accuracy.

Both sides get the same architecture (the JSON `max-server train --model-json` prints, loaded
into tf-keras with model_from_json), the same data (../shared/data: 4,000 training digits, 1,000
test digits), batch size, epochs, optimizer and learning rate, and two threads (tf-keras:
intra_op 2, inter_op 1; ours: --threads 2). Runs alternate between the two (ours, tf-keras,
ours, ...) so that load on a shared machine falls on both; each run is a fresh process whose
CPU time and peak RSS come from wait4(). Medians over --repeat runs are printed, with `uptime`.

    python3 scripts/bench-training.py [--models mlp,lenet5,mnist_cnn,mnist_small,default] [--epochs 3] [--repeat 2]

`default` is scripts/default-model.json's network, classes and batch (Adam at its default rate).

Time per epoch excludes the first epoch (warm-up: TensorFlow traces its graph then). CPU per
epoch is the process's CPU time (all threads) over the epoch: on a shared machine it moves far
less than wall time, which depends on what else runs.
Needs tensorflow-cpu and tf-keras, and a release build (swift build -c release).
"""
import argparse, gzip, json, os, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "..", "shared", "data")

CONFIGS = {
    "mlp": {"network": "mlp", "train_args": {"batch_size": 32, "optimizer": "rmsprop"}},
    "lenet5": {"network": "lenet5", "train_args": {"batch_size": 32, "optimizer": "rmsprop"}},
    "mnist_cnn": {"network": "mnist_cnn", "train_args": {"batch_size": 64, "optimizer": "adam"}},
    # The default model's network, as scripts/default-model.json trains it (batch 128, Adam).
    "mnist_small": {"network": "mnist_small", "train_args": {"batch_size": 128, "optimizer": "adam"}},
}


def default_recipe():
    """scripts/default-model.json's network (filters, dense units, 11 classes with the reject
    class) and batch, on the bench's data. Its learning-rate schedule, outliers and epochs are
    left out: both sides train with Adam's default rate on the same digits."""
    with open(os.path.join(ROOT, "scripts", "default-model.json")) as f:
        recipe = json.load(f)
    return {"network": recipe["network"], "network_args": recipe.get("network_args", {}),
            "dataset_args": {"class_names": recipe["dataset_args"]["class_names"]},
            "train_args": {"batch_size": recipe["train_args"]["batch_size"], "optimizer": "adam"}}

KERAS_SIDE = r'''
import json, os, sys, time, resource
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["TF_USE_LEGACY_KERAS"] = "1"
import numpy as np, gzip
import tensorflow as tf
tf.config.threading.set_intra_op_parallelism_threads(2)
tf.config.threading.set_inter_op_parallelism_threads(1)
import tf_keras as keras
model_json, optimizer, batch, epochs, seed, train_path, test_path = sys.argv[1:8]
keras.utils.set_random_seed(int(seed))
def load(path):
    rows = np.loadtxt(gzip.open(path, "rt"), delimiter=",", skiprows=1, dtype=np.float32)
    return rows[:, 1:].reshape(-1, 28, 28, 1), rows[:, 0].astype("int64")
x, y = load(train_path)
xt, yt = load(test_path)
model = keras.models.model_from_json(open(model_json).read())
model.compile(optimizer=keras.optimizers.get(optimizer), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
times = []
class Timer(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter(); self.cpu = time.process_time()
    def on_epoch_end(self, epoch, logs=None):
        times.append((time.perf_counter() - self.start, time.process_time() - self.cpu))
model.fit(x, y, batch_size=int(batch), epochs=int(epochs), shuffle=True, verbose=0, callbacks=[Timer()])
loss, accuracy = model.evaluate(xt, yt, verbose=0)
print(json.dumps({"epochs": times, "test_accuracy": accuracy, "test_loss": loss}))
'''


def run(command):
    """Runs a child; returns (stdout, wall seconds, CPU seconds, peak RSS MiB) from wait4."""
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    out = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"bench-training: {' '.join(command[:3])}... failed")
    return out, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", default="mlp,lenet5,mnist_cnn")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--server", default=os.path.join(ROOT, ".build", "release", "max-server"))
    args = parser.parse_args()
    train, test = os.path.join(DATA, "mnist_train.csv.gz"), os.path.join(DATA, "mnist_test.csv.gz")
    print("uptime:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for name in args.models.split(","):
            config = default_recipe() if name == "default" else json.loads(json.dumps(CONFIGS[name]))
            config["train_args"]["epochs"] = args.epochs
            text = json.dumps(config)
            model_json = os.path.join(folder, name + ".json")
            with open(model_json, "w") as f:
                f.write(subprocess.run([args.server, "train", text, "--model-json"], capture_output=True, text=True, check=True).stdout)
            ours, theirs = [], []
            for attempt in range(args.repeat):
                history = os.path.join(folder, "history.json")
                out, wall, cpu, rss = run([args.server, "train", text, "--data", train, "--test-data", test, "--threads", "2",
                                           "--out", os.path.join(folder, "model.h5"), "--progress", "none", "--history", history,
                                           "--seed", str(attempt)])
                epochs = json.load(open(history))
                result = json.loads(out.splitlines()[0])["message"]
                ours.append({"epoch": statistics.median(e["seconds"] for e in epochs[1:] or epochs),
                             "epoch_cpu": statistics.median(e["cpu_seconds"] for e in epochs[1:] or epochs), "cpu": cpu, "wall": wall,
                             "rss": rss, "accuracy": result["test"]["accuracy"]})
                out, wall, cpu, rss = run([sys.executable, "-c", KERAS_SIDE, model_json, config["train_args"]["optimizer"],
                                           str(config["train_args"]["batch_size"]), str(args.epochs), str(attempt), train, test])
                result = json.loads(out.strip().splitlines()[-1])
                theirs.append({"epoch": statistics.median(t[0] for t in result["epochs"][1:] or result["epochs"]),
                               "epoch_cpu": statistics.median(t[1] for t in result["epochs"][1:] or result["epochs"]),
                               "cpu": cpu, "wall": wall, "rss": rss, "accuracy": result["test_accuracy"]})
            rows.append((name, ours, theirs))
    print(f"{args.epochs} epochs per run, {args.repeat} runs each, medians; CPU is the whole process (load + train + test)")
    print(f"{'model':10} {'side':8} {'s/epoch':>8} {'CPU s/epoch':>11} {'run wall s':>10} {'run CPU s':>9} {'peak MiB':>8} {'test acc':>8}")
    for name, ours, theirs in rows:
        for side, runs in (("swift", ours), ("tf-keras", theirs)):
            m = lambda key: statistics.median(r[key] for r in runs)
            print(f"{name:10} {side:8} {m('epoch'):8.2f} {m('epoch_cpu'):11.2f} {m('wall'):10.1f} {m('cpu'):9.1f} {m('rss'):8.0f} {m('accuracy'):8.4f}")
        ratio = statistics.median(r["epoch"] for r in ours) / statistics.median(r["epoch"] for r in theirs)
        cpu_ratio = statistics.median(r["epoch_cpu"] for r in ours) / statistics.median(r["epoch_cpu"] for r in theirs)
        print(f"{name:10} ratio    {ratio:8.2f} {cpu_ratio:11.2f}  (swift / tf-keras, wall and CPU per epoch)")
    print("uptime:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())


if __name__ == "__main__":
    main()
