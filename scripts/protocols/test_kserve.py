"""KServe v2 / Open Inference Protocol, spoken by Triton's own Python client (tritonclient[http]).

tritonclient sends tensors with the binary extension by default; the tests also send JSON data,
BYTES inputs (encoded images), and the classification extension, and check the answers against
MAX's own /model/predict on the same pictures.
"""
import io

import numpy as np
import pytest
import requests
import tritonclient.http as triton
from PIL import Image
from tritonclient.utils import InferenceServerException

from conftest import kaggle_rows, sample_digits

MODEL = "mnist"


@pytest.fixture(scope="module")
def client(server):
    return triton.InferenceServerClient(url=f"127.0.0.1:{server.port}")


def pixels(path):
    """A 28x28 sample as the network's own input: raw 0-255, shape (28, 28, 1)."""
    return np.asarray(Image.open(path).convert("L"), dtype=np.float32).reshape(28, 28, 1)


def test_server_and_model_metadata(client):
    assert client.is_server_live()
    assert client.is_server_ready()
    metadata = client.get_server_metadata()
    assert metadata["name"] == "max-swift"
    assert "binary_tensor_data" in metadata["extensions"]
    model = client.get_model_metadata(MODEL)
    assert model["name"] == MODEL
    assert model["versions"] == ["1"]
    assert model["inputs"] == [
        {"name": "pixels", "datatype": "FP32", "shape": [-1, 28, 28, 1]},
        {"name": "image", "datatype": "BYTES", "shape": [-1, 1]},
    ]
    assert model["outputs"] == [{"name": "probabilities", "datatype": "FP32", "shape": [-1, 10]},
                                {"name": "digit_score", "datatype": "FP32", "shape": [-1, 1]}]
    assert client.is_model_ready(MODEL)
    assert client.is_model_ready(MODEL, model_version="1")
    assert not client.is_model_ready(MODEL, model_version="7")
    assert not client.is_model_ready("no-such-model")


def test_binary_fp32_batch_matches_the_max_route(client, server):
    samples = sample_digits()
    batch = np.stack([pixels(path) for _, path in samples])
    tensor = triton.InferInput("pixels", list(batch.shape), "FP32")
    tensor.set_data_from_numpy(batch)  # binary by default
    result = client.infer(MODEL, [tensor], outputs=[triton.InferRequestedOutput("probabilities")])
    probabilities = result.as_numpy("probabilities")
    assert probabilities.shape == (len(samples), 10)
    assert np.allclose(probabilities.sum(axis=1), 1, atol=1e-4)
    assert list(probabilities.argmax(axis=1)) == [label for label, _ in samples]
    # The same pictures through MAX's route: the same probabilities (a 28x28 grayscale is used as is).
    for (label, path), row in zip(samples, probabilities):
        with open(path, "rb") as handle:
            answer = requests.post(f"{server.url}/model/predict?top_k=10", files={"file": handle}, timeout=30).json()
        by_digit = {entry["prediction"]: entry["probability"] for entry in answer["predictions"]}
        assert np.allclose([by_digit[d] for d in range(10)], row, atol=1e-5), path.name
    assert result.get_response()["model_name"] == MODEL


def test_json_uint8_tensors_and_json_outputs(client):
    label, path = sample_digits()[3]
    batch = pixels(path).astype(np.uint8)[np.newaxis]
    tensor = triton.InferInput("pixels", [1, 28, 28, 1], "UINT8")
    tensor.set_data_from_numpy(batch, binary_data=False)
    result = client.infer(MODEL, [tensor], request_id="req-42",
                          outputs=[triton.InferRequestedOutput("probabilities", binary_data=False)])
    response = result.get_response()
    assert response["id"] == "req-42"
    assert response["outputs"][0]["datatype"] == "FP32"
    assert len(response["outputs"][0]["data"]) == 10
    assert result.as_numpy("probabilities").argmax() == label


def test_encoded_images_as_bytes(client, server):
    samples = [(label, path) for label, path in sample_digits() if path.suffix == ".png"][:6]
    photos = sorted(samples[0][1].parent.glob("*_photo_*"))
    files = [path.read_bytes() for _, path in samples] + [path.read_bytes() for path in photos]
    labels = [label for label, _ in samples] + [int(path.name[0]) for path in photos]
    tensor = triton.InferInput("image", [len(files), 1], "BYTES")
    tensor.set_data_from_numpy(np.array(files, dtype=np.object_).reshape(-1, 1))
    result = client.infer(MODEL, [tensor])  # no outputs named: all of them, binary
    probabilities = result.as_numpy("probabilities")
    assert probabilities.shape == (len(files), 10)
    for index, path in enumerate([p for _, p in samples] + photos):
        with open(path, "rb") as handle:
            answer = requests.post(f"{server.url}/model/predict", files={"file": handle}, timeout=30).json()
        top = answer["predictions"][0]
        assert probabilities[index].argmax() == top["prediction"], path.name
        assert abs(probabilities[index].max() - top["probability"]) < 1e-5, path.name
    assert sum(int(p.argmax() == l) for p, l in zip(probabilities, labels)) >= len(files) - 1


def test_classification_extension(client):
    label, path = sample_digits()[0]
    tensor = triton.InferInput("pixels", [1, 28, 28, 1], "FP32")
    tensor.set_data_from_numpy(pixels(path)[np.newaxis])
    result = client.infer(MODEL, [tensor], outputs=[triton.InferRequestedOutput("probabilities", class_count=3)])
    top = result.as_numpy("probabilities")
    assert top.shape == (1, 3)
    fields = top[0][0].decode().split(":")
    assert int(fields[1]) == label
    scores = [float(entry.decode().split(":")[0]) for entry in top[0]]
    assert scores == sorted(scores, reverse=True)


def test_accuracy_on_a_thousand_kaggle_digits(client):
    rows = kaggle_rows()
    batch = np.array([values for _, values in rows], dtype=np.uint8).reshape(-1, 28, 28, 1)
    tensor = triton.InferInput("pixels", list(batch.shape), "UINT8")
    tensor.set_data_from_numpy(batch)
    predicted = client.infer(MODEL, [tensor]).as_numpy("probabilities").argmax(axis=1)
    accuracy = float(np.mean(predicted == np.array([label for label, _ in rows])))
    print(f"tritonclient UINT8 batch of {len(rows)}: accuracy {accuracy:.4f}")
    assert accuracy >= 0.97


@pytest.mark.parametrize("shape", [[1, 28, 28], [2, 784], [0, 28, 28, 1]])
def test_wrong_shapes_are_400_naming_the_models_shape(client, shape):
    tensor = triton.InferInput("pixels", shape, "FP32")
    tensor.set_data_from_numpy(np.zeros(shape, dtype=np.float32))
    with pytest.raises(InferenceServerException) as raised:
        client.infer(MODEL, [tensor])
    assert raised.value.status() == "400"
    assert "the model takes [-1, 28, 28, 1]" in raised.value.message(), raised.value.message()


def test_errors_are_json_error_bodies(server, client):
    tensor = triton.InferInput("pixels", [1, 28, 28, 1], "FP32")
    tensor.set_data_from_numpy(np.zeros([1, 28, 28, 1], dtype=np.float32))
    with pytest.raises(InferenceServerException) as raised:
        client.infer("no-such-model", [tensor])
    assert raised.value.status() == "404"
    assert "unknown model 'no-such-model'" in raised.value.message()

    image = triton.InferInput("image", [1, 1], "BYTES")
    image.set_data_from_numpy(np.array([[b"this is not an image"]], dtype=np.object_))
    with pytest.raises(InferenceServerException) as raised:
        client.infer(MODEL, [image])
    assert raised.value.status() == "400"
    assert "item 0" in raised.value.message()

    for body in [b"{not json", b'{"inputs": []}', b'{"inputs": [{"name": "pixels", "shape": [1], "datatype": "FP99", "data": [1]}]}',
                 b'{"inputs": [{"name": "volume", "shape": [1], "datatype": "FP32", "data": [1]}]}',
                 b'{"inputs": [{"name": "pixels", "shape": [1, 28, 28, 1], "datatype": "UINT8", "data": [300]}]}']:
        answer = requests.post(f"{server.url}/v2/models/{MODEL}/infer", data=body, timeout=30)
        assert answer.status_code == 400, body
        assert set(answer.json()) == {"error"}, answer.text
        assert answer.json()["error"], body


def test_curl_style_json_request(server):
    label, path = sample_digits()[5]
    body = {"id": "curl-1", "inputs": [{"name": "pixels", "shape": [1, 28, 28, 1], "datatype": "FP32",
                                        "data": pixels(path).reshape(28, 28).tolist()}]}
    answer = requests.post(f"{server.url}/v2/models/{MODEL}/infer", json=body, timeout=30)
    assert answer.status_code == 200
    result = answer.json()
    assert result["model_name"] == MODEL and result["model_version"] == "1" and result["id"] == "curl-1"
    assert int(np.argmax(result["outputs"][0]["data"])) == label
