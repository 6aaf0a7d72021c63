#!/usr/bin/env python3
"""Writes Tests/KerasClassifierTests/Fixtures: two small image classifiers the `keras-classifier`
plugin serves from config.json alone, with sample pictures and Keras's own probabilities for them.

- fashion.h5: a Fashion-MNIST-shaped CNN (28x28x1 in, 10 softmax classes), tf-keras (Keras 2
  .h5), random weights from a fixed seed; fashion-labels.txt holds Fashion-MNIST's class names.
- colour.keras: a 32x32x3 CNN with 5 classes ending in logits (no softmax), Keras 3 archive.
- PNG samples at the models' sizes (gray 28x28, RGB 32x32, RGBA 32x32), so no resampling is
  involved and the pixels Keras is given follow from the plugin's documented recipe alone: alpha
  over white, gray as Pillow's convert("L"), optional inversion, then (v * scale - mean) / std.
expected.json: for every sample and plugin options, the probabilities Keras answered on those
pixels (softmax applied to the logits model's output).
Needs tensorflow-cpu, tf-keras, keras 3, pillow, numpy. Run: python3 scripts/make-classifier-fixtures.py
"""
import json, os, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "Tests", "KerasClassifierTests", "Fixtures")

FASHION = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

BUILD = r'''
import os, sys, json, numpy as np
out, which = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(7 if which == "fashion" else 11)
if which == "fashion":
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    import tf_keras as keras
    from tf_keras import layers as L
    m = keras.Sequential([L.Input((28, 28, 1)), L.Conv2D(6, 3, activation="relu"), L.MaxPooling2D(2),
                          L.Conv2D(8, 3, activation="relu"), L.Flatten(), L.Dense(10, activation="softmax")], name="fashion_cnn")
    path = os.path.join(out, "fashion.h5")
else:
    import keras
    from keras import layers as L
    m = keras.Sequential([keras.Input((32, 32, 3)), L.Conv2D(8, 3, strides=2, activation="relu"), L.Conv2D(8, 3, padding="same"),
                          L.GlobalAveragePooling2D(), L.Dense(5)], name="colour_cnn")
    path = os.path.join(out, "colour.keras")
for layer in m.layers:
    ws = layer.get_weights()
    if ws:
        layer.set_weights([rng.normal(0, 0.3, w.shape).astype("float32") for w in ws])
m.save(path)
inputs = json.load(open(os.path.join(out, "inputs-" + which + ".json")))
x = np.asarray([case["input"] for case in inputs], dtype="float32")
y = np.asarray(m(x, training=False)).astype("float64")
if which == "colour":
    y = np.exp(y - y.max(axis=1, keepdims=True)); y = y / y.sum(axis=1, keepdims=True)
json.dump([{"name": c["name"], "probabilities": p.tolist()} for c, p in zip(inputs, y)],
          open(os.path.join(out, "outputs-" + which + ".json"), "w"))
'''


def gray(img):
    """Alpha over white, then Pillow's L: (R*19595 + G*38470 + B*7471 + 0x8000) >> 16."""
    from PIL import Image
    import numpy as np
    rgba = np.asarray(img.convert("RGBA"), dtype=np.int64)
    a = rgba[..., 3:4]
    rgb = (rgba[..., :3] * a + 255 * (255 - a) + 127) // 255
    return ((rgb[..., 0] * 19595 + rgb[..., 1] * 38470 + rgb[..., 2] * 7471 + 0x8000) >> 16).astype(np.uint8)


def rgb(img):
    import numpy as np
    rgba = np.asarray(img.convert("RGBA"), dtype=np.int64)
    a = rgba[..., 3:4]
    return ((rgba[..., :3] * a + 255 * (255 - a) + 127) // 255).astype(np.uint8)


def main():
    import numpy as np
    from PIL import Image, ImageDraw
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(5)
    samples = {}
    # Exactly the models' sizes: the plugin feeds these pixels without resampling.
    g = Image.new("L", (28, 28), 20); d = ImageDraw.Draw(g); d.rectangle([6, 4, 21, 23], fill=230); d.line([6, 23, 21, 4], fill=90, width=3)
    samples["shirt-28.png"] = g
    g2 = Image.fromarray(rng.integers(0, 256, (28, 28), dtype=np.uint8), "L"); samples["noise-28.png"] = g2
    c = Image.new("RGB", (32, 32), (30, 90, 200)); d = ImageDraw.Draw(c); d.ellipse([4, 6, 27, 29], fill=(240, 200, 20)); d.line([0, 31, 31, 0], fill=(200, 10, 10), width=4)
    samples["sun-32.png"] = c
    c2 = Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8), "RGB"); samples["noise-32.png"] = c2
    a = Image.new("RGBA", (32, 32), (0, 0, 0, 0)); d = ImageDraw.Draw(a); d.rectangle([8, 8, 23, 23], fill=(10, 160, 40, 200)); samples["alpha-32.png"] = a
    for name, image in samples.items():
        image.save(os.path.join(OUT, name))

    # Inputs as the plugin's documented preprocessing makes them (no resampling at these sizes).
    fashion_inputs = []
    for name in ["shirt-28.png", "noise-28.png"]:
        px = gray(Image.open(os.path.join(OUT, name))).astype("float64") / 255.0
        fashion_inputs.append({"name": name, "options": {}, "input": px.reshape(28, 28, 1).tolist()})
        inverted = (255 - gray(Image.open(os.path.join(OUT, name)))).astype("float64") / 255.0
        fashion_inputs.append({"name": name, "options": {"invert": True}, "input": inverted.reshape(28, 28, 1).tolist()})
    mean, std = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
    colour_inputs = []
    for name in ["sun-32.png", "noise-32.png", "alpha-32.png"]:
        px = rgb(Image.open(os.path.join(OUT, name))).astype("float64") / 255.0
        colour_inputs.append({"name": name, "options": {"mean": mean, "std": std},
                              "input": ((px - mean) / std).tolist()})
        raw = rgb(Image.open(os.path.join(OUT, name))).astype("float64")
        colour_inputs.append({"name": name, "options": {"scale": 1}, "input": raw.tolist()})
    json.dump(fashion_inputs, open(os.path.join(OUT, "inputs-fashion.json"), "w"))
    json.dump(colour_inputs, open(os.path.join(OUT, "inputs-colour.json"), "w"))
    for which in ["fashion", "colour"]:
        subprocess.run([sys.executable, "-c", BUILD, OUT, which], check=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})

    expected = {"fashion": [], "colour": []}
    for which, inputs in [("fashion", fashion_inputs), ("colour", colour_inputs)]:
        outputs = json.load(open(os.path.join(OUT, "outputs-" + which + ".json")))
        for case, out in zip(inputs, outputs):
            expected[which].append({"file": case["name"], "options": case["options"], "probabilities": out["probabilities"]})
        os.remove(os.path.join(OUT, "inputs-" + which + ".json"))
        os.remove(os.path.join(OUT, "outputs-" + which + ".json"))
    with open(os.path.join(OUT, "fashion-labels.txt"), "w") as f:
        f.write("\n".join(FASHION) + "\n")
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
    print("wrote", sorted(os.listdir(OUT)))


if __name__ == "__main__":
    main()
