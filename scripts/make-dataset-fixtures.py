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
  augment.json        a 28x28 image distorted by scipy.ndimage as scripts/train_mnist.py does it
                      (affine_transform order 1 mode constant, grey_dilation/erosion 2x2), per
                      parameter set, for the augmentation test

The images are synthetic (seeded), not MNIST digits, so the fixtures carry no data licence.
Run: python3 scripts/make-dataset-fixtures.py  (needs numpy and scipy)
"""
import gzip, io, json, os, struct
import numpy as np
import scipy.ndimage as ndimage

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

    image = np.zeros((28, 28), dtype=np.float32)
    image[6:22, 12:16] = 255
    image[6:9, 9:19] = 200
    image[20:23, 8:20] = np.linspace(60, 255, 12)
    cases = []
    for angle, zoom, shear, shift, stroke in [(0, 1, 0, (0, 0), None), (10, 0.9, 0.1, (1.5, -2.0), None),
                                              (-12, 1.12, -0.15, (-2.5, 2.5), "dilate"), (5, 1.05, 0.05, (0.3, 0.7), "erode"),
                                              (90, 1, 0, (0, 0), None)]:
        centre = np.array([13.5, 13.5])
        theta = np.deg2rad(angle)
        rotation = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
        matrix = rotation @ np.array([[1.0, shear], [0.0, 1.0]]) / zoom
        offset = centre - matrix @ (centre + np.array(shift))
        warped = ndimage.affine_transform(image.astype(np.float64), matrix, offset=offset, order=1, mode="constant", cval=0.0)
        if stroke == "dilate":
            warped = ndimage.grey_dilation(warped, size=(2, 2))
        elif stroke == "erode":
            warped = ndimage.grey_erosion(warped, size=(2, 2))
        cases.append({"angle": angle, "zoom": zoom, "shear": shear, "shift": list(shift), "stroke": stroke,
                      "output": np.clip(warped, 0, 255).ravel().tolist()})
    json.dump({"image": image.ravel().tolist(), "cases": cases}, open(os.path.join(OUT, "augment.json"), "w"), separators=(",", ":"))

    expected = {"train": {"labels": y.tolist(), "pixels": x.ravel().tolist()},
                "test": {"labels": yt.tolist(), "pixels": xt.ravel().tolist()},
                "floats": {"shape": [2, 3], "values": [1.5, -2, 3, 0, 1e-3, 65504]}}
    json.dump(expected, open(os.path.join(OUT, "expected.json"), "w"), separators=(",", ":"))
    print(sorted(os.listdir(OUT)))


if __name__ == "__main__":
    main()
