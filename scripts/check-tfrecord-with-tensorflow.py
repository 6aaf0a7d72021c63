#!/usr/bin/env python3
"""Checks our TFRecord files against TensorFlow itself, both ways, and our reader's refusals.

1. Ours -> TensorFlow: `max-server dataset convert` writes TFRecords (raw layout, PNG layout,
   GZIP, three shards, a subset --numbers 0,1,7) from the project's fixture digits and, when
   ../shared/data is present, from mnist_test.csv.gz; tf.data.TFRecordDataset with
   tf.io.parse_single_example (decode_raw / decode_png) must give the same pixels and labels.
2. TensorFlow -> ours: TensorFlow writes the same images (tf.io.TFRecordWriter, tf.train.Example)
   in the layouts TF's MNIST code uses (convert_to_records, TFDS PNG, TF-slim, float_list pixels,
   int64_list pixels, GZIP); `max-server dataset convert` turns each into an .npz, which must
   hold what TensorFlow was given.
3. Damaged files (a data CRC, a length CRC, a truncated record, a record claiming 4 GiB):
   max-server must exit 1 with one line naming the record, with a bounded peak memory;
   TensorFlow's own reader is shown refusing the same files.
Exits 1 on any difference. Needs tensorflow (tensorflow-cpu) and numpy.
Run: python3 scripts/check-tfrecord-with-tensorflow.py   (MAX_SERVER_BIN: the binary; default .build/debug/max-server)
"""
import csv, gzip, json, os, re, subprocess, sys, tempfile
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np
import tensorflow as tf
from tfrecord_framing import claim_length, record_offsets

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.environ.get("MAX_SERVER_BIN", os.path.join(ROOT, ".build", "debug", "max-server"))
FIXTURES = os.path.join(ROOT, "Tests", "DatasetsTests", "Fixtures")
SHARED = os.path.join(ROOT, "..", "shared", "data", "mnist_test.csv.gz")
failures = []


def fail(message):
    failures.append(message)
    print("  FAIL " + message)


# A small launcher measures max-server's peak memory: a child forked from this process would
# count TensorFlow's pages (copied at fork, before exec) in its ru_maxrss.
LAUNCHER = """import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
sys.stderr.write("\\npeak-kib %d\\n" % usage.ru_maxrss)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run(*arguments):
    """Runs max-server; returns (exit status, stdout, stderr, its peak resident KiB)."""
    process = subprocess.run([sys.executable, "-c", LAUNCHER, BINARY, *arguments], capture_output=True, text=True)
    err, _, peak = process.stderr.rstrip().rpartition("\npeak-kib ")
    return process.returncode, process.stdout, err, int(peak)


def convert(*arguments):
    status, out, err, _ = run("dataset", "convert", *arguments)
    if status != 0:
        raise SystemExit(f"max-server dataset convert {' '.join(arguments)} failed ({status}): {err.strip()}")
    return out


def read_csv(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        rows = [row for row in csv.reader(f) if row and row[0] != "label"]
    labels = np.array([int(row[0]) for row in rows], dtype=np.int64)
    return np.array([[int(v) for v in row[1:]] for row in rows], dtype=np.uint8).reshape(-1, 28, 28), labels


def tf_read(files, layout, gzip_compressed=False):
    """What TensorFlow reads from TFRecord files: (images N x H x W x C uint8, labels)."""
    if layout == "raw":
        spec = {"image_raw": tf.io.FixedLenFeature([], tf.string), "label": tf.io.FixedLenFeature([], tf.int64),
                "height": tf.io.FixedLenFeature([], tf.int64), "width": tf.io.FixedLenFeature([], tf.int64),
                "depth": tf.io.FixedLenFeature([], tf.int64)}
    else:
        spec = {"image": tf.io.FixedLenFeature([], tf.string), "label": tf.io.FixedLenFeature([], tf.int64)}
    images, labels = [], []
    dataset = tf.data.TFRecordDataset(files, compression_type="GZIP" if gzip_compressed else "")
    for record in dataset:
        example = tf.io.parse_single_example(record, spec)
        if layout == "raw":
            shape = [int(example["height"]), int(example["width"]), int(example["depth"])]
            image = tf.reshape(tf.io.decode_raw(example["image_raw"], tf.uint8), shape)
        else:
            image = tf.io.decode_png(example["image"])
        images.append(image.numpy())
        labels.append(int(example["label"]))
    return np.stack(images), np.array(labels)


def ours_to_tensorflow(name, source, x, y, work):
    print(f"ours -> TensorFlow ({name}: {len(y)} digits)")
    keep = np.isin(y, [0, 1, 7])
    cases = [
        ("raw", [], "raw", False, x, y),
        ("png", ["--image-format", "png"], "png", False, x, y),
        ("raw.gz", [], "raw", True, x, y),
        ("3 shards", ["--shards", "3"], "raw", False, x, y),
        ("--numbers 0,1,7", ["--numbers", "0,1,7"], "raw", False, x[keep], y[keep]),
    ]
    for label, options, layout, gzipped, want_x, want_y in cases:
        out = os.path.join(work, f"{name}-{label.replace(' ', '_').replace(',', '')}.tfrecord" + (".gz" if gzipped else ""))
        convert(source, out, *options)
        files = sorted(f for f in (os.path.join(work, n) for n in os.listdir(work)) if f.startswith(out + "-")) if "shards" in label else [out]
        got_x, got_y = tf_read(files, layout, gzipped)
        if len(want_y) == 0:
            fail(f"{label}: nothing to compare")
        elif got_x.shape != want_x.shape + (1,) or not np.array_equal(got_x[..., 0], want_x) or not np.array_equal(got_y, want_y):
            fail(f"{name} {label}: TensorFlow read {got_x.shape} / labels {got_y[:10]}..., expected {want_x.shape} / {want_y[:10]}...")
        else:
            print(f"  {label:16} {len(files)} file(s): tf.data read {len(got_y)} examples; pixels and labels identical "
                  f"(labels {dict((int(k), int(v)) for k, v in zip(*np.unique(got_y, return_counts=True)))})")


def example(features):
    return tf.train.Example(features=tf.train.Features(feature=features)).SerializeToString()


def int64(values):
    return tf.train.Feature(int64_list=tf.train.Int64List(value=[int(v) for v in values]))


def one_bytes(value):
    return tf.train.Feature(bytes_list=tf.train.BytesList(value=[value]))


def tensorflow_to_ours(name, x, y, work):
    print(f"TensorFlow -> ours ({name}: {len(y)} digits)")
    layouts = {
        "convert_to_records": lambda i, l: example({"image_raw": one_bytes(i.tobytes()), "label": int64([l]), "height": int64([28]),
                                                    "width": int64([28]), "depth": int64([1])}),
        "TFDS png": lambda i, l: example({"image": one_bytes(tf.io.encode_png(i[:, :, None]).numpy()), "label": int64([l])}),
        "TF-slim": lambda i, l: example({"image/encoded": one_bytes(tf.io.encode_png(i[:, :, None]).numpy()),
                                         "image/format": one_bytes(b"png"), "image/class/label": int64([l]),
                                         "image/height": int64([28]), "image/width": int64([28])}),
        "int64 pixels": lambda i, l: example({"image": int64(i.ravel()), "label": int64([l])}),
        "float pixels": lambda i, l: example({"image": tf.train.Feature(float_list=tf.train.FloatList(
            value=(i.astype(np.float32) / np.float32(255)).ravel())), "label": int64([l]),
            "height": int64([28]), "width": int64([28]), "depth": int64([1])}),
    }
    for label, make in layouts.items():
        for compression in ["", "GZIP"]:
            if compression and label != "convert_to_records":
                continue
            path = os.path.join(work, f"tf-{name}-{label.replace(' ', '_')}.tfrecord" + (".gz" if compression else ""))
            with tf.io.TFRecordWriter(path, options=tf.io.TFRecordOptions(compression_type=compression)) as writer:
                for image, digit in zip(x, y):
                    writer.write(make(image, digit))
            npz = path + ".npz"
            convert(path, npz)
            data = np.load(npz)
            want = (x.astype(np.float32) / np.float32(255)) if label == "float pixels" else x
            got = data["x_train"]
            if got.dtype != want.dtype or not np.array_equal(got, want) or not np.array_equal(data["y_train"], y):
                fail(f"{name} {label} {compression}: max-server read {got.shape} {got.dtype}, expected {want.shape} {want.dtype}")
            else:
                print(f"  {label + (' ' + compression if compression else ''):22} TFRecordWriter wrote {len(y)}; max-server read "
                      f"them all: pixels ({got.dtype}) and labels identical")




def damaged_files(x, y, work):
    print("damaged records")
    path = os.path.join(work, "tf-good.tfrecord")
    with tf.io.TFRecordWriter(path) as writer:
        for image, digit in zip(x, y):
            writer.write(example({"image_raw": one_bytes(image.tobytes()), "label": int64([digit])}))
    data = bytearray(open(path, "rb").read())
    offsets = record_offsets(data)
    k = min(7, len(offsets) - 1)
    cases = []
    bad = bytearray(data); bad[offsets[k] + 12 + 50] ^= 0x20; cases.append(("data CRC", bad))
    bad = bytearray(data); bad[offsets[k] + 2] ^= 0x01; cases.append(("length CRC", bad))
    cases.append(("truncated", data[:offsets[k] + 12 + 10]))
    cases.append(("claims 4 GiB", claim_length(data, offsets[k], 1 << 32)))
    for label, content in cases:
        damaged = os.path.join(work, f"damaged-{label.replace(' ', '_')}.tfrecord")
        open(damaged, "wb").write(content)
        status, out, err, peak_kib = run("dataset", "info", damaged)
        lines = err.strip().splitlines()
        try:
            sum(1 for _ in tf.data.TFRecordDataset([damaged]))
            tf_says = "TensorFlow read it without complaint"
        except tf.errors.DataLossError as error:
            tf_says = "TensorFlow refuses it too: " + re.sub(r"\{\{[^}]*\}\}\s*", "", error.message).split(" [Op:")[0][:90]
        if status != 1 or len(lines) != 1 or f"record {k} " not in lines[0]:
            fail(f"{label}: exit {status}, stderr {err!r}")
        elif peak_kib > 200 * 1024:
            fail(f"{label}: max-server peaked at {peak_kib // 1024} MiB")
        else:
            print(f"  {label:13} exit 1, peak {peak_kib // 1024} MiB: {lines[0].split('.tfrecord: ', 1)[1]}")
            print(f"  {'':13} {tf_says}")


def main():
    if not os.access(BINARY, os.X_OK):
        raise SystemExit(f"no max-server at {BINARY}: run swift build (or set MAX_SERVER_BIN)")
    print(f"TensorFlow {tf.__version__}; max-server {BINARY}")
    expected = json.load(open(os.path.join(FIXTURES, "expected.json")))
    sources = [("fixture", os.path.join(FIXTURES, "small.csv"),
                np.array(expected["train"]["pixels"], dtype=np.uint8).reshape(-1, 28, 28),
                np.array(expected["train"]["labels"], dtype=np.int64))]
    if os.path.exists(SHARED):
        sources.append(("mnist_test", SHARED, *read_csv(SHARED)))
    else:
        print(f"(../shared/data/mnist_test.csv.gz absent: checking the fixture digits only)")
    with tempfile.TemporaryDirectory() as work:
        for name, source, x, y in sources:
            ours_to_tensorflow(name, source, x, y, work)
            tensorflow_to_ours(name, x, y, work)
        damaged_files(*sources[-1][2:], work)
    if failures:
        print(f"{len(failures)} check(s) failed")
        return 1
    print("TFRecord interoperability: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
