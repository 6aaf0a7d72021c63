#!/usr/bin/env python3
"""Writes Tests/DatasetsTests/Fixtures: one small labelled digit set in every format the Datasets
module reads, as the reference tools write them, plus expected.json with the images and labels.

  small.csv           Kaggle layout with header (label,pixel0..pixel783), \\n line ends
  small.csv.gz        the same, gzipped by Python's gzip (with a file name in the header)
  small_crlf.csv      no header, \\r\\n line ends, spaces after commas
  train-images-idx3-ubyte.gz / train-labels-idx1-ubyte.gz   MNIST's IDX pair, gzipped
  t10k-images-idx3-ubyte / t10k-labels-idx1-ubyte           an uncompressed IDX pair (test split)
  mnist_stored.npz    numpy.savez (entries stored): x_train, y_train (uint8), x_test, y_test
  mnist.npz           numpy.savez_compressed (deflated), labels as int64, as Keras's mnist.npz
  floats.npy          a float32 array, big-endian, shape (2, 3)

The images are synthetic (seeded), not MNIST digits, so the fixtures carry no data licence.
Run: python3 scripts/make-dataset-fixtures.py  (needs numpy)
"""
import gzip, io, json, os, struct
import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "DatasetsTests", "Fixtures")


def idx(array):
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + b"".join(struct.pack(">I", d) for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(11)
    x = (rng.random((12, 28, 28)) ** 3 * 256).astype(np.uint8)
    y = np.array([3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8], dtype=np.uint8)
    xt, yt = x[:4][:, ::-1, :].copy(), np.array([0, 7, 7, 2], dtype=np.uint8)

    rows = ["label," + ",".join(f"pixel{i}" for i in range(784))]
    rows += [f"{label}," + ",".join(str(v) for v in image.ravel()) for image, label in zip(x, y)]
    csv = "\n".join(rows) + "\n"
    open(os.path.join(OUT, "small.csv"), "w").write(csv)
    with open(os.path.join(OUT, "small.csv.gz"), "wb") as raw:
        with gzip.GzipFile(filename="small.csv", mode="wb", fileobj=raw, mtime=0) as f:
            f.write(csv.encode())
    crlf = "\r\n".join(f"{label}, " + ", ".join(str(v) for v in image.ravel()) for image, label in zip(x[:3], y[:3])) + "\r\n"
    open(os.path.join(OUT, "small_crlf.csv"), "wb").write(crlf.encode())

    for name, data in [("train-images-idx3-ubyte", idx(x)), ("train-labels-idx1-ubyte", idx(y))]:
        with open(os.path.join(OUT, name + ".gz"), "wb") as raw:
            with gzip.GzipFile(filename=name, mode="wb", fileobj=raw, mtime=0) as f:
                f.write(data)
    open(os.path.join(OUT, "t10k-images-idx3-ubyte"), "wb").write(idx(xt))
    open(os.path.join(OUT, "t10k-labels-idx1-ubyte"), "wb").write(idx(yt))

    np.savez(os.path.join(OUT, "mnist_stored.npz"), x_train=x, y_train=y, x_test=xt, y_test=yt)
    np.savez_compressed(os.path.join(OUT, "mnist.npz"), x_train=x, y_train=y.astype(np.int64),
                        x_test=xt, y_test=yt.astype(np.int64))
    np.save(os.path.join(OUT, "floats.npy"), np.array([[1.5, -2, 3], [0, 1e-3, 65504]], dtype=">f4"))

    expected = {"train": {"labels": y.tolist(), "pixels": x.ravel().tolist()},
                "test": {"labels": yt.tolist(), "pixels": xt.ravel().tolist()},
                "floats": {"shape": [2, 3], "values": [1.5, -2, 3, 0, 1e-3, 65504]}}
    json.dump(expected, open(os.path.join(OUT, "expected.json"), "w"), separators=(",", ":"))
    print(sorted(os.listdir(OUT)))


if __name__ == "__main__":
    main()
