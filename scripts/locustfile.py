"""Load test in the style of Digits-Recognition's: real digits and random-noise pictures.

    pip install locust
    locust -f scripts/locustfile.py --host http://127.0.0.1:5000                 # web UI on :8089
    locust -f scripts/locustfile.py --host http://127.0.0.1:5000 --headless -u 16 -r 4 -t 1m

Users post the repository's MNIST samples (PNG and JPEG, label in the file name, checked against
the answer), noise pictures of 500-2000 px a side (PNG, made once per user from a seeded
generator), Kaggle pixel rows as JSON, and KServe v2 tensors; and poll the health probes. A wrong
digit on a real sample counts as a failure. MAX_LOCUST_SEED changes the noise.
"""
import io
import os
import pathlib
import random

from locust import HttpUser, between, task
from PIL import Image

SAMPLES = sorted(p for p in (pathlib.Path(__file__).resolve().parents[1] / "samples").glob("*_mnist_*.*"))
SEED = int(os.environ.get("MAX_LOCUST_SEED", "1234"))


def noise_png(generator, side_min=500, side_max=2000):
    """A picture of random gray (sometimes colour) noise, as Digits-Recognition's Locust file posted."""
    width, height = generator.randint(side_min, side_max), generator.randint(side_min, side_max)
    mode = generator.choice(["L", "RGB"])
    channels = 1 if mode == "L" else 3
    image = Image.frombytes(mode, (width, height), generator.randbytes(width * height * channels))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


class DigitUser(HttpUser):
    wait_time = between(0.05, 0.5)

    def on_start(self):
        self.generator = random.Random(SEED + id(self) % 1000)
        self.samples = [(int(path.name[0]), path.name, path.read_bytes()) for path in SAMPLES]
        self.noise = [noise_png(self.generator) for _ in range(3)]
        self.rows = []
        for label, name, data in self.samples:
            if name.endswith(".png"):
                pixels = list(Image.open(io.BytesIO(data)).convert("L").tobytes())
                self.rows.append((label, {f"pixel{i}": value for i, value in enumerate(pixels)}))

    @task(10)
    def predict_real_digit(self):
        label, name, data = self.generator.choice(self.samples)
        kind = "image/png" if name.endswith(".png") else "image/jpeg"
        with self.client.post("/model/predict", files={"file": (name, data, kind)}, name="/model/predict [digit]",
                              catch_response=True) as answer:
            if answer.status_code != 200:
                answer.failure(f"status {answer.status_code}")
            elif answer.json()["predictions"][0]["prediction"] != label:
                answer.failure(f"{name}: predicted {answer.json()['predictions'][0]['prediction']}, expected {label}")

    @task(3)
    def predict_noise(self):
        data = self.generator.choice(self.noise)
        with self.client.post("/model/predict", files={"file": ("noise.png", data, "image/png")},
                              name="/model/predict [noise]", catch_response=True) as answer:
            # Any answer but a server error is fine: noise has no right digit.
            if answer.status_code >= 500:
                answer.failure(f"status {answer.status_code}")
            else:
                answer.success()

    @task(3)
    def predict_kaggle_row(self):
        label, row = self.generator.choice(self.rows)
        with self.client.post("/predict", json=row, name="/predict [kaggle row]", catch_response=True) as answer:
            if answer.status_code != 200 or answer.json()["prediction"] != label:
                answer.failure(f"status {answer.status_code}: {answer.text[:100]}")

    @task(2)
    def infer_v2(self):
        label, row = self.generator.choice(self.rows)
        body = {"inputs": [{"name": "pixels", "shape": [1, 28, 28, 1], "datatype": "UINT8", "data": list(row.values())}]}
        with self.client.post("/v2/models/mnist/infer", json=body, name="/v2/models/{name}/infer", catch_response=True) as answer:
            if answer.status_code != 200:
                answer.failure(f"status {answer.status_code}: {answer.text[:100]}")
            else:
                scores = answer.json()["outputs"][0]["data"]
                if scores.index(max(scores)) != label:
                    answer.failure("wrong digit")

    @task(1)
    def health(self):
        self.client.get("/health/ready", name="/health/ready")
