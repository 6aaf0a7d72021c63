"""Digits as numbers: one Kaggle row, a list of rows, {"pixels": [...]} (784 or 28x28) on
POST /model/predict, the Kaggle recognizer's POST /predict, and Kaggle's test.csv answered with a
submission CSV; 422 naming the first bad field."""
import io

import numpy as np
import requests
from PIL import Image

from conftest import kaggle_rows, post_json, sample_digits


def sample_pixels():
    label, path = sample_digits()[7]
    return label, np.asarray(Image.open(path).convert("L")).reshape(-1).tolist()


def test_one_row_a_list_and_pixels_give_the_same_answer_as_the_picture(server):
    label, pixels = sample_pixels()
    row = {f"pixel{i}": value for i, value in enumerate(pixels)}
    with open(sample_digits()[7][1], "rb") as handle:
        picture = requests.post(f"{server.url}/model/predict", files={"file": handle}, timeout=10).json()
    for body in [row, {"pixels": pixels}, {"pixels": np.array(pixels).reshape(28, 28).tolist()}]:
        answer = post_json(f"{server.url}/model/predict", body)
        assert answer.status_code == 200, answer.text
        assert answer.json() == picture
        assert answer.json()["predictions"][0]["prediction"] == label
    answer = post_json(f"{server.url}/model/predict", [row, {"pixels": pixels}])
    assert answer.json() == {"status": "ok", "results": [picture, picture]}
    kaggle = post_json(f"{server.url}/predict", row)
    assert kaggle.status_code == 200
    assert kaggle.json() == picture["predictions"][0]


def test_bad_rows_are_422_naming_the_first_bad_field(server):
    _, pixels = sample_pixels()
    row = {f"pixel{i}": value for i, value in enumerate(pixels)}
    cases = [
        ({**row, "pixel17": "dark"}, "body.pixel17: expected a number, got a string"),
        ({**row, "pixel300": 256}, "body.pixel300: 256 is above the maximum 255"),
        ({**row, "pixel3": -1}, "body.pixel3: -1 is below the minimum 0"),
        ({k: v for k, v in row.items() if k != "pixel783"}, "body.pixel783: missing"),
        ({**row, "pixel784": 0}, "body.pixel784: unknown member"),
        ({"pixels": pixels[:-1]}, "body.pixels: expected 784 items, got 783"),
        ({"pixels": pixels[:5] + ["x"] + pixels[6:]}, "body.pixels[5]: expected a number, got a string"),
    ]
    for body, message in cases:
        for route in ["/model/predict", "/predict"]:
            answer = post_json(f"{server.url}{route}", body)
            assert answer.status_code == 422, (route, answer.text)
            assert answer.json()["message"].startswith(message), (route, answer.json())


def test_kaggle_test_csv_is_answered_with_a_submission(server):
    rows = kaggle_rows(limit=300)
    csv = "pixel0," + ",".join(f"pixel{i}" for i in range(1, 784)) + "\n"
    csv += "".join(",".join(map(str, pixels)) + "\n" for _, pixels in rows)
    answer = requests.post(f"{server.url}/model/predict", data=csv, headers={"Content-Type": "text/csv"}, timeout=60)
    assert answer.status_code == 200, answer.text[:300]
    assert answer.headers["Content-Type"] == "text/csv; charset=utf-8"
    lines = answer.text.strip().split("\n")
    assert lines[0] == "ImageId,Label"
    assert [int(line.split(",")[0]) for line in lines[1:]] == list(range(1, len(rows) + 1))
    labels = [int(line.split(",")[1]) for line in lines[1:]]
    accuracy = np.mean(np.array(labels) == np.array([label for label, _ in rows]))
    print(f"submission CSV for {len(rows)} Kaggle rows: accuracy {accuracy:.4f}")
    assert accuracy >= 0.97


def test_csv_errors_name_line_and_column(server):
    header = ",".join(f"pixel{i}" for i in range(784))
    good = ",".join(["0"] * 784)
    bad = ",".join(["0"] * 100 + ["abc"] + ["0"] * 683)
    answer = requests.post(f"{server.url}/model/predict", data=f"{header}\n{good}\n{bad}\n",
                           headers={"Content-Type": "text/csv"}, timeout=10)
    assert answer.status_code == 422
    assert answer.json()["message"] == "line 3, pixel100: 'abc' is not a number"
    answer = requests.post(f"{server.url}/model/predict", data=f"{header}\n{good}\n" + ",".join(["999"] * 784) + "\n",
                           headers={"Content-Type": "text/csv"}, timeout=10)
    assert answer.status_code == 422
    assert answer.json()["message"].startswith("line 3: body.pixel0: 999 is above the maximum 255")
