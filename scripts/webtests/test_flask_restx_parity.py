"""Our MAX routes against flask-restx itself, the framework MAX is built on: the operationIds
and the X-Fields parameter it documents for MAX-MNIST's routes, and the answers its fields
masks give (and the errors bad masks get), on the same data our server answers with."""
import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from flask import Flask
from flask_restx import Api, Model, Namespace, Resource, fields, marshal
from flask_restx.mask import MaskError, ParseError
from werkzeug.datastructures import FileStorage

from conftest import ROOT

SAMPLE = ROOT / "samples" / "7_mnist_0.png"


def max_mnist_api():
    """A flask-restx app declared as MAX-MNIST is (MAX-Framework's `model` namespace,
    api/metadata.py and api/predict.py): returns its Swagger document and marshalling models."""
    app = Flask("max-mnist")
    api = Api(app, title="MAX MNIST", version="1.0.0", description="parity")
    namespace = Namespace("model", description="Model information and inference operations")
    api.namespaces.clear()
    api.add_namespace(namespace)
    metadata = namespace.model("ModelMetadata", {
        name: fields.String(required=True, description=name) for name in ["id", "name", "description", "type", "source", "license"]})
    prediction = namespace.model("LabelPrediction", {"prediction": fields.Integer(required=True),
                                                     "probability": fields.Float(required=True)})
    response = namespace.model("ModelPredictResponse", {
        "status": fields.String(required=True, description="Response status message"),
        "predictions": fields.List(fields.Nested(prediction), description="Predicted labels and probabilities")})
    parser = namespace.parser()
    parser.add_argument("file", type=FileStorage, location="files", required=True)

    class ModelMetadataAPI(Resource):
        @namespace.marshal_with(metadata)
        def get(self):
            """Return the metadata associated with the model"""

    class ModelPredictAPI(Resource):
        @namespace.doc("predict")
        @namespace.expect(parser)
        @namespace.marshal_with(response)
        def post(self):
            """Make a prediction given input data"""

    # As MAX's image classifiers declare their labels route.
    label = namespace.model("ModelLabel", {"id": fields.String(required=True), "name": fields.String(required=True)})
    labels = namespace.model("ModelLabels", {"count": fields.Integer(required=True),
                                             "labels": fields.List(fields.Nested(label))})

    class ModelLabelsAPI(Resource):
        @namespace.doc("get_labels")
        @namespace.marshal_with(labels)
        def get(self):
            """Return the list of labels that can be predicted by the model"""

    namespace.add_resource(ModelMetadataAPI, "/metadata")
    namespace.add_resource(ModelPredictAPI, "/predict")
    namespace.add_resource(ModelLabelsAPI, "/labels")
    swagger = app.test_client().get("/swagger.json").get_json()
    return swagger, {"metadata": metadata, "predict": response, "labels": labels}


@pytest.fixture(scope="module")
def restx():
    return max_mnist_api()


def get_json(url, headers=None, data=None, content_type=None):
    request = urllib.request.Request(url, data=data, headers=dict(headers or {}))
    if content_type:
        request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def predict(server, mask=None):
    boundary = "parity-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{SAMPLE.name}\"\r\n"
            "Content-Type: image/png\r\n\r\n").encode() + SAMPLE.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    headers = {"X-Fields": mask} if mask is not None else {}
    return get_json(f"{server}/model/predict?top_k=3", headers, body, f"multipart/form-data; boundary={boundary}")


def metadata(server, mask=None):
    return get_json(f"{server}/model/metadata", {"X-Fields": mask} if mask is not None else {})


def labels(server, mask=None):
    return get_json(f"{server}/model/labels", {"X-Fields": mask} if mask is not None else {})


def test_operation_ids_and_the_mask_parameter_are_flask_restx_s(server, restx):
    theirs, _ = restx
    with urllib.request.urlopen(server + "/swagger.json") as response:
        ours = json.load(response)
    for path, method in [("/model/metadata", "get"), ("/model/predict", "post"), ("/model/labels", "get")]:
        their_operation, our_operation = theirs["paths"][path][method], ours["paths"][path][method]
        assert our_operation["operationId"] == their_operation["operationId"], path
        their_mask = next(p for p in their_operation["parameters"] if p["name"] == "X-Fields")
        our_mask = next(p for p in our_operation["parameters"] if p["name"] == "X-Fields")
        for key in ["in", "type", "format"]:
            assert our_mask[key] == their_mask[key], (path, key)
        # flask-restx lists the mask header last.
        assert our_operation["parameters"][-1]["name"] == "X-Fields"
        print(f"{method.upper()} {path}: operationId {our_operation['operationId']!r} as flask-restx names it")
    for name in ["ModelMetadata", "ModelPredictResponse"]:
        assert set(ours["definitions"][name]["required"]) >= set(theirs["definitions"][name]["required"]), name


MASKS = [
    "status", "predictions", "predictions{probability}", "{status,predictions{prediction}}", "predictions{prediction,*}",
    "*", "predictions{*}", "status,nope", "predictions{probability},predictions", "predictions{probability},status",
    " status , predictions { prediction } ", "{status", "status{", "status}", ",status", "status,,predictions",
    "{{status}}", "status{x}", "predictions{probability{x}}",
]
METADATA_MASKS = ["id", "name,id", "{license,id}", "*", "id,*", "id,nope", "id{x}", "{id", "id}", ",id"]
LABELS_MASKS = ["count", "labels{name}", "labels{id},count", "labels{*}", "labels{name{x}}"]


def restx_answer(data, model, mask):
    """What flask-restx's marshal_with answers for `data`: (status, body)."""
    try:
        return 200, json.loads(json.dumps(marshal(data, model, mask=mask)))
    except ParseError as error:
        return 400, {"message": f"Mask parse error: {error}"}
    except MaskError as error:
        return 400, {"message": f"Mask error: {error}"}


CASES = ([("predict", mask) for mask in MASKS] + [("metadata", mask) for mask in METADATA_MASKS]
         + [("labels", mask) for mask in LABELS_MASKS])
ROUTES = {"predict": predict, "metadata": metadata, "labels": labels}


@pytest.mark.parametrize("route,mask", CASES)
def test_masks_answer_as_flask_restx(server, restx, route, mask):
    _, models = restx
    ask = ROUTES[route]
    status, plain = ask(server)
    assert status == 200
    expected_status, expected = restx_answer(plain, models[route], mask)
    status, ours = ask(server, mask)
    assert status == expected_status, ours
    if status == 200:
        assert list(ours.items()) == list(expected.items()), f"X-Fields: {mask!r}"
    else:
        assert ours["status"] == "error" and ours["message"] == expected["message"]
