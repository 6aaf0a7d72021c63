#!/usr/bin/env python3
"""Writes Tests/KerasTests/Fixtures: small Keras models covering every layer and activation the
engine supports, each with Keras's own outputs for a few inputs; and Tests/TrainingTests/Fixtures:
what tf-keras's fit does to a small model in a few steps with each optimizer.

For every model NAME it writes the model file(s) Keras saves (the loaders' inputs) and NAME.json:
  {"keras": "2"|"3", "files": [[file] or [architecture.json, weights.h5], ...], "input_shape": [...],
   "inputs": [...], "outputs": [...], "params": {"total", "trainable"},
   "config": <model.to_json() as an object>, "weights": {layer: [{"shape": [...], "values": [...]}]}}
so the engine can be checked from the JSON alone (config + weights in memory) and every file
format against the same answers. Needs tensorflow-cpu, tf-keras (Keras 2) and keras 3, h5py.

Tests/TrainingTests/Fixtures/keras_steps.json holds one model (Conv2D + BatchNormalization on a
4-D input, Dense + BatchNormalization on a 2-D one, max and average pooling, no dropout, whose
masks could not match), its initial weights, one batch, and for each optimizer configuration the
weights (including BatchNormalization's moving statistics) and the loss after each of three
`fit` steps on that batch.
Run: python3 scripts/make-keras-fixtures.py
"""
import json, os, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "Tests", "KerasTests", "Fixtures")

COMMON = r'''
import os, json, sys, numpy as np
out_dir = sys.argv[1]

def perturb(m, rng, scale=0.2):
    """Non-trivial weights everywhere, including BatchNormalization statistics."""
    for layer in m.layers:
        ws = layer.get_weights()
        if not ws:
            continue
        new = [rng.normal(0, scale, w.shape).astype("float32") for w in ws]
        if type(layer).__name__ == "BatchNormalization":
            new[-1] = np.abs(new[-1]) + 0.5
        if type(layer).__name__ == "Normalization":
            new = ws  # keep the adapted statistics (mean, variance, count)
        layer.set_weights(new)

def record(m, name, files, keras_major, x):
    y = np.asarray(m(x, training=False))
    weights = {}
    for layer in m.layers:
        ws = layer.get_weights()
        if ws:
            weights[layer.name] = [{"shape": list(w.shape), "values": [float(v) for v in np.ravel(w).astype("float32")]}
                                   for w in ws]
    trainable = int(sum(np.prod(w.shape) for w in m.trainable_weights))
    doc = {"keras": keras_major, "files": files, "input_shape": list(x.shape[1:]),
           "params": {"total": int(m.count_params()), "trainable": trainable},
           "inputs": x.tolist(), "outputs": y.astype("float32").tolist(),
           "config": json.loads(m.to_json()), "weights": weights}
    with open(os.path.join(out_dir, name + ".json"), "w") as f:
        json.dump(doc, f, separators=(",", ":"))
'''

K2 = COMMON + r'''
os.environ["TF_USE_LEGACY_KERAS"] = "1"
import tf_keras as keras
from tf_keras import layers as L
import h5py
rng = np.random.default_rng(2024)

# Every activation, each applied to the same Dense output.
acts = ["linear", "relu", "sigmoid", "hard_sigmoid", "tanh", "softmax", "softplus", "softsign", "elu",
        "selu", "gelu", "swish", "exponential", "relu6", "silu"]
inp = keras.Input((16,), name="x")
pre = L.Dense(16, name="pre")(inp)
branches = [L.Activation(a, name="act_" + a)(pre) for a in acts]
branches.append(L.Dense(5, activation="gelu", name="dense_gelu")(pre))
m = keras.Model(inp, L.Concatenate(name="all")(branches), name="activations")
perturb(m, rng, 0.25)
m.save(f"{out_dir}/k2_activations.h5")
open(f"{out_dir}/k2_activations_arch.json", "w").write(m.to_json())
m.save_weights(f"{out_dir}/k2_activations_weights.h5")
record(m, "k2_activations", [["k2_activations.h5"], ["k2_activations_arch.json", "k2_activations_weights.h5"]], "2", rng.normal(0, 1, (3, 16)).astype("float32"))

# Convolutions, BatchNormalization (foldable and not), padding, cropping, pooling.
m = keras.Sequential([
    L.ZeroPadding2D(((1, 2), (0, 1)), input_shape=(16, 16, 3)),
    L.Conv2D(6, 3, strides=2, padding="same", use_bias=False),
    L.BatchNormalization(),
    L.Activation("relu"),
    L.Conv2D(8, (2, 3), dilation_rate=2, activation="elu"),
    L.BatchNormalization(center=False, epsilon=0.01),
    L.DepthwiseConv2D(3, depth_multiplier=2, padding="same", activation="tanh"),
    L.SeparableConv2D(6, 3, padding="same", activation="swish"),
    L.Cropping2D(((1, 0), (0, 1))),
    L.MaxPooling2D(3, strides=2, padding="same"),
    L.Conv2D(5, 1, strides=1),
    L.BatchNormalization(scale=False),
    L.AveragePooling2D(2, strides=1, padding="same"),
    L.SpatialDropout2D(0.3),
    L.Flatten(),
    L.GaussianNoise(0.5),
    L.Dense(7, activation="sigmoid"),
    L.Dense(4, use_bias=False),
    L.BatchNormalization(),
], name="conv_stack")
perturb(m, rng, 0.3)
m.save(f"{out_dir}/k2_conv_stack.h5")
record(m, "k2_conv_stack", [["k2_conv_stack.h5"], ["k2_conv_stack_h5py2.h5"]], "2", rng.random((3, 16, 16, 3)).astype("float32"))

# The same file as h5py 2 wrote it: fixed-length byte strings, weight_names split in chunks.
src = h5py.File(f"{out_dir}/k2_conv_stack.h5", "r")
with h5py.File(f"{out_dir}/k2_conv_stack_h5py2.h5", "w") as dst:
    for k, v in src.attrs.items():
        dst.attrs[k] = np.bytes_(v.encode() if isinstance(v, str) else v)
    g = dst.create_group("model_weights")
    names = [n.encode() for n in src["model_weights"].attrs["layer_names"]]
    g.attrs["layer_names"] = np.array(names, dtype="S%d" % max(len(n) for n in names))
    for k, v in src["model_weights"].attrs.items():
        if k != "layer_names":
            g.attrs[k] = np.bytes_(v.encode() if isinstance(v, str) else v)
    for lname in src["model_weights"]:
        sl = src["model_weights"][lname]; dl = g.create_group(lname)
        wn = [n.encode() for n in sl.attrs["weight_names"]]
        if len(wn) >= 2:  # split as Keras does for lists over 64 KiB
            half = len(wn) // 2
            dl.attrs["weight_names0"] = np.array(wn[:half], dtype="S%d" % max(len(n) for n in wn))
            dl.attrs["weight_names1"] = np.array(wn[half:], dtype="S%d" % max(len(n) for n in wn))
        else:
            dl.attrs["weight_names"] = np.array(wn, dtype="S%d" % max([len(n) for n in wn] + [1]))
        for n in sl.attrs["weight_names"]:
            dl.create_dataset(n, data=sl[n][()])

# A functional graph: merges, normalization, pooling variants, Dense on a rank-3 tensor.
inp = keras.Input((12, 12, 2), name="image")
x = L.Rescaling(0.5, offset=-0.25)(inp)
norm = L.Normalization()
norm.adapt(rng.normal(1.0, 2.0, (64, 12, 12, 2)).astype("float32"))
x = norm(x)
x = L.Normalization(mean=[0.1, -0.2], variance=[1.5, 0.5])(x)
a = L.Conv2D(4, 3, padding="same", activation="relu")(x)
b = L.Conv2D(4, 1)(x)
b = L.GaussianNoise(1.0)(b)
merged = L.Concatenate()([L.Add()([a, b]), L.Subtract()([a, b]), L.Multiply()([a, b]),
                          L.Average()([a, b]), L.Maximum()([a, b])])
p1 = L.AveragePooling2D(3, strides=2, padding="same")(merged)
p2 = L.MaxPooling2D(2)(merged)
g = L.Concatenate()([L.GlobalAveragePooling2D()(p1), L.GlobalMaxPooling2D()(p2)])
r = L.Reshape((4, 10))(g)
d1 = L.Dense(6)(r)
d1 = L.LeakyReLU(0.2)(d1)
d1 = L.ELU(0.7)(d1)
d1 = L.ReLU(max_value=1.5, negative_slope=0.05, threshold=0.1)(d1)
d2 = L.Dense(6, activation="tanh")(r)
c = L.Concatenate(axis=1)([d1, d2])
s = L.Softmax(axis=1)(c)
o = L.Dropout(0.5)(L.Flatten()(s))
m = keras.Model(inp, o, name="merges")
perturb(m, rng, 0.3)
m.save(f"{out_dir}/k2_functional.h5")
record(m, "k2_functional", [["k2_functional.h5"]], "2", rng.normal(0, 1, (3, 12, 12, 2)).astype("float32"))
'''

K3 = COMMON + r'''
import keras, zipfile
from keras import layers as L
rng = np.random.default_rng(3033)

acts = ["linear", "relu", "relu6", "sigmoid", "hard_sigmoid", "tanh", "softmax", "softplus", "softsign", "elu",
        "selu", "gelu", "swish", "silu", "exponential"]
inp = keras.Input((16,), name="x")
pre = L.Dense(16, name="pre")(inp)
branches = [L.Activation(a, name="act_" + a)(pre) for a in acts]
m = keras.Model(inp, L.Concatenate(name="all")(branches), name="activations")
perturb(m, rng, 0.25)
m.save(f"{out_dir}/k3_activations.keras")
record(m, "k3_activations", [["k3_activations.keras"]], "3", rng.normal(0, 1, (3, 16)).astype("float32"))

inp = keras.Input((10, 10, 3), name="image")
x = L.Rescaling(1 / 255.0)(inp)
norm = L.Normalization()
norm.adapt(rng.random((32, 10, 10, 3)).astype("float32"))
x = norm(x)
x = L.Conv2D(8, 3, padding="same", use_bias=False)(x)
x = L.BatchNormalization()(x)
x = L.ReLU(max_value=6.0)(x)
y = L.DepthwiseConv2D(3, strides=2, padding="same", activation="relu6")(x)
y = L.SeparableConv2D(8, 3, padding="same", depth_multiplier=2, activation="gelu")(y)
z = L.Conv2D(8, 2, strides=2, activation="hard_sigmoid")(x)
z = L.LeakyReLU(negative_slope=0.1)(z)
x = L.Add()([y, z])
x = L.Concatenate()([x, L.Activation("silu")(x)])
x = L.ZeroPadding2D(1)(x)
x = L.Cropping2D(((0, 1), (1, 0)))(x)
x = L.MaxPooling2D(2, padding="same")(x)
x = L.SpatialDropout2D(0.2)(x)
x = L.GlobalAveragePooling2D()(x)
x = L.Dense(12, activation="selu")(x)
x = L.Reshape((3, 4))(x)
x = L.Dense(5)(x)
x = L.Softmax(axis=-1)(x)
x = L.Flatten()(x)
m = keras.Model(inp, L.Dense(6)(x), name="mix")
perturb(m, rng, 0.3)
m.save(f"{out_dir}/k3_mix.keras")
m.save(f"{out_dir}/k3_mix_legacy.h5")
# The same archive with deflated entries, as zip tools other than Keras write it.
with zipfile.ZipFile(f"{out_dir}/k3_mix.keras") as src, \
        zipfile.ZipFile(f"{out_dir}/k3_mix_deflated.keras", "w", zipfile.ZIP_DEFLATED) as dst:
    for item in src.infolist():
        dst.writestr(item.filename, src.read(item.filename))
record(m, "k3_mix", [["k3_mix.keras"], ["k3_mix_legacy.h5"], ["k3_mix_deflated.keras"]], "3",
       (rng.random((3, 10, 10, 3)) * 255).astype("float32"))
'''

TRAIN = r'''
import os, json, sys, numpy as np
os.environ["TF_USE_LEGACY_KERAS"] = "1"
import tensorflow as tf
import tf_keras as keras
from tf_keras import layers as L
out_dir = sys.argv[1]
rng = np.random.default_rng(77)
x = (rng.random((8, 8, 8, 1)) * 255).astype("float32")
y = np.array([0, 1, 2, 3, 4, 0, 1, 2], dtype="int64")

def build():
    keras.backend.clear_session()  # the same layer names in every model
    keras.utils.set_random_seed(5)
    return keras.Sequential([
        L.InputLayer(input_shape=(8, 8, 1)),
        L.Rescaling(1 / 255.0),
        L.Conv2D(4, 3, padding="same", activation="relu"),
        L.BatchNormalization(),
        L.Conv2D(6, 3, strides=2, activation="tanh"),
        L.MaxPooling2D(2, padding="same"),
        L.AveragePooling2D(1),
        L.Flatten(),
        L.Dense(7, activation="sigmoid"),
        L.BatchNormalization(momentum=0.9, epsilon=0.01),
        L.Dense(5, activation="softmax"),
    ], name="steps")

def weights(m):
    return {layer.name: [np.ravel(w).astype("float32").tolist() for w in layer.get_weights()] for layer in m.layers if layer.get_weights()}

O = keras.optimizers
S = O.schedules
configs = [
    ("sgd", lambda: O.SGD(0.1)),
    ("sgd_momentum", lambda: O.SGD(0.05, momentum=0.9)),
    ("sgd_nesterov", lambda: O.SGD(0.05, momentum=0.8, nesterov=True)),
    ("adam", lambda: O.Adam(0.01)),
    ("adam_amsgrad_schedule", lambda: O.Adam(S.CosineDecay(0.02, decay_steps=4, alpha=0.1), amsgrad=True)),
    ("rmsprop", lambda: O.RMSprop(0.01)),
    ("rmsprop_centered_momentum", lambda: O.RMSprop(S.ExponentialDecay(0.01, decay_steps=1, decay_rate=0.5), momentum=0.5, centered=True)),
    ("adadelta", lambda: O.Adadelta()),
    ("adadelta_fast", lambda: O.Adadelta(1.0)),
]
initial = build()
doc = {"config": json.loads(initial.to_json()), "initial": weights(initial), "inputs": x.tolist(), "labels": y.tolist(), "runs": {}}
for name, make in configs:
    m = build()
    m.set_weights(initial.get_weights())
    m.compile(optimizer=make(), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    steps = []
    for _ in range(3):
        h = m.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
        steps.append({"loss": float(h.history["loss"][0]), "weights": weights(m)})
    doc["runs"][name] = {"optimizer": m.optimizer.get_config(), "steps": steps}
schedules = {
    "exponential": S.ExponentialDecay(0.1, decay_steps=3, decay_rate=0.5),
    "exponential_staircase": S.ExponentialDecay(0.1, decay_steps=3, decay_rate=0.5, staircase=True),
    "inverse_time": S.InverseTimeDecay(0.1, decay_steps=2, decay_rate=0.7),
    "cosine": S.CosineDecay(0.1, decay_steps=8, alpha=0.2),
    "cosine_warmup": S.CosineDecay(0.0, decay_steps=6, alpha=0.1, warmup_target=0.05, warmup_steps=3),
    "piecewise": S.PiecewiseConstantDecay([2, 5], [0.1, 0.05, 0.01]),
}
doc["schedules"] = {name: [float(schedule(step)) for step in range(12)] for name, schedule in schedules.items()}
with open(os.path.join(out_dir, "keras_steps.json"), "w") as f:
    json.dump(doc, f, separators=(",", ":"), default=float)
'''

# The default model's pattern: BatchNormalization after ReLU / ReLU6 (applied as the kernels store,
# not foldable into the weights), channel counts that are not multiples of a vector (24, 48, 20),
# 'same' padding, max pooling, and Dense(relu) -> BatchNormalization.
K2_RELU_BN = COMMON + r'''
os.environ["TF_USE_LEGACY_KERAS"] = "1"
import tf_keras as keras
from tf_keras import layers as L
rng = np.random.default_rng(2026)
m = keras.Sequential([
    L.Rescaling(1 / 255, input_shape=(8, 8, 1)),
    L.Conv2D(24, 3, padding="same", activation="relu"),
    L.BatchNormalization(),
    L.MaxPooling2D(2),
    L.Conv2D(48, 2, padding="same", activation="relu"),
    L.BatchNormalization(epsilon=0.01),
    L.MaxPooling2D(2),
    L.Conv2D(20, 1, activation="relu6"),
    L.BatchNormalization(center=False),
    L.Flatten(),
    L.Dense(24, activation="relu"),
    L.BatchNormalization(),
    L.Dense(11),
    L.Activation("softmax"),
], name="relu_bn")
perturb(m, rng, 0.3)
record(m, "k2_relu_bn", [], "2", rng.integers(0, 256, (3, 8, 8, 1)).astype("float32"))
'''

def main():
    os.makedirs(OUT, exist_ok=True)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    for code in (K2, K3, K2_RELU_BN):
        subprocess.run([sys.executable, "-c", code, OUT], check=True, env=env)
    train_out = os.path.join(HERE, "..", "Tests", "TrainingTests", "Fixtures")
    os.makedirs(train_out, exist_ok=True)
    subprocess.run([sys.executable, "-c", TRAIN, train_out], check=True, env=env)
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print(sorted(os.listdir(OUT)), total, "bytes")

if __name__ == "__main__":
    main()
