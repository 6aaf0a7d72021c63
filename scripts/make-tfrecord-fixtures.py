#!/usr/bin/env python3
"""Writes Tests/DatasetsTests/Fixtures/tfrecord: TFRecord files written by TensorFlow itself
(tf.io.TFRecordWriter, tf.train.Example, tf.io.encode_png) holding the twelve synthetic images of
../expected.json (made by make-dataset-fixtures.py), in the layouts TensorFlow's MNIST code uses,
plus damaged copies for the reader's error paths.

  tf_raw.tfrecord        convert_to_records.py: image_raw (bytes), label, height, width, depth
  tf_raw.tfrecord.gz     the same through TFRecordOptions(compression_type="GZIP")
  tf_png.tfrecord        TensorFlow Datasets' mnist: image (PNG), label
  tf_slim.tfrecord       TF-slim / object detection: image/encoded (PNG), image/format,
                         image/class/label, image/height, image/width
  tf_floats.tfrecord     image as a float_list of x / 255 (float32), label, height, width, depth
  tf_shard.tfrecord-0000{0,1,2}-of-00003   tf_raw's images in three shards (4 each)
  bad_data_crc.tfrecord  tf_raw with one byte of record 3's data changed
  bad_length_crc.tfrecord   tf_raw with a byte of record 5's length changed
  truncated.tfrecord     tf_raw cut off inside record 11's data
  claims_4gb.tfrecord    tf_raw with record 2's length set to 2^32 and its length CRC made valid
  ../protobuf/*.pb       the first serialized Example of each layout, unframed (fuzzing seeds)

Run: python3 scripts/make-tfrecord-fixtures.py   (needs tensorflow; prints nothing on success)
"""
import json, os, struct
import numpy as np
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow as tf
from tfrecord_framing import claim_length, record_offsets

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "DatasetsTests", "Fixtures")
OUT = os.path.join(FIXTURES, "tfrecord")




def int64(values):
    return tf.train.Feature(int64_list=tf.train.Int64List(value=list(values)))


def bytes_feature(value):
    return tf.train.Feature(bytes_list=tf.train.BytesList(value=[value]))


def write(name, examples, options=None):
    with tf.io.TFRecordWriter(os.path.join(OUT, name), options=options) as writer:
        for example in examples:
            writer.write(example.SerializeToString(deterministic=True))  # map keys sorted: the same bytes each run




def main():
    os.makedirs(OUT, exist_ok=True)
    expected = json.load(open(os.path.join(FIXTURES, "expected.json")))
    x = np.array(expected["train"]["pixels"], dtype=np.uint8).reshape(-1, 28, 28)
    y = expected["train"]["labels"]

    def raw(image, label):
        return tf.train.Example(features=tf.train.Features(feature={
            "height": int64([28]), "width": int64([28]), "depth": int64([1]),
            "label": int64([label]), "image_raw": bytes_feature(image.tobytes())}))

    def png(image):
        return tf.io.encode_png(image[:, :, None]).numpy()

    write("tf_raw.tfrecord", [raw(i, l) for i, l in zip(x, y)])
    write("tf_raw.tfrecord.gz", [raw(i, l) for i, l in zip(x, y)], tf.io.TFRecordOptions(compression_type="GZIP"))
    write("tf_png.tfrecord", [tf.train.Example(features=tf.train.Features(feature={
        "image": bytes_feature(png(i)), "label": int64([l])})) for i, l in zip(x, y)])
    write("tf_slim.tfrecord", [tf.train.Example(features=tf.train.Features(feature={
        "image/encoded": bytes_feature(png(i)), "image/format": bytes_feature(b"png"),
        "image/class/label": int64([l]), "image/height": int64([28]), "image/width": int64([28])})) for i, l in zip(x, y)])
    write("tf_floats.tfrecord", [tf.train.Example(features=tf.train.Features(feature={
        "image": tf.train.Feature(float_list=tf.train.FloatList(value=(i.astype(np.float32) / np.float32(255)).ravel())),
        "label": int64([l]), "height": int64([28]), "width": int64([28]), "depth": int64([1])})) for i, l in zip(x, y)])
    for shard in range(3):
        write(f"tf_shard.tfrecord-{shard:05d}-of-00003", [raw(i, l) for i, l in zip(x[shard * 4:(shard + 1) * 4], y[shard * 4:(shard + 1) * 4])])

    seeds = os.path.join(FIXTURES, "protobuf")
    os.makedirs(seeds, exist_ok=True)
    for layout in ["raw", "png", "slim", "floats"]:
        data = open(os.path.join(OUT, f"tf_{layout}.tfrecord"), "rb").read()
        (length,) = struct.unpack_from("<Q", data, 0)
        open(os.path.join(seeds, f"{layout}.pb"), "wb").write(data[12:12 + length])

    data = bytearray(open(os.path.join(OUT, "tf_raw.tfrecord"), "rb").read())
    offsets = record_offsets(data)
    bad = bytearray(data); bad[offsets[3] + 12 + 100] ^= 0x01
    open(os.path.join(OUT, "bad_data_crc.tfrecord"), "wb").write(bad)
    bad = bytearray(data); bad[offsets[5] + 1] ^= 0x04
    open(os.path.join(OUT, "bad_length_crc.tfrecord"), "wb").write(bad)
    open(os.path.join(OUT, "truncated.tfrecord"), "wb").write(data[:offsets[11] + 12 + 300])
    open(os.path.join(OUT, "claims_4gb.tfrecord"), "wb").write(claim_length(data, offsets[2], 1 << 32))


if __name__ == "__main__":
    main()
