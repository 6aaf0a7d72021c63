"""/swagger.json and /openapi.json, as the server serves them, checked by
openapi-spec-validator against the Swagger 2.0 and OpenAPI 3.0 specifications."""
import json
import urllib.request

from openapi_spec_validator import validate
from openapi_spec_validator.validation import OpenAPIV2SpecValidator, OpenAPIV30SpecValidator


def fetch(server, name):
    with urllib.request.urlopen(f"{server}/{name}") as response:
        return json.load(response)


def operation_ids(document):
    return {(method, path): operation["operationId"]
            for path, item in document["paths"].items() for method, operation in item.items()}


def test_both_documents_are_valid_and_agree(server):
    swagger, openapi = fetch(server, "swagger.json"), fetch(server, "openapi.json")
    validate(swagger, cls=OpenAPIV2SpecValidator)
    validate(openapi, cls=OpenAPIV30SpecValidator)
    assert operation_ids(swagger) == operation_ids(openapi)
    assert len(set(operation_ids(openapi).values())) == len(operation_ids(openapi)), "operationIds are unique"
    print(f"valid Swagger {swagger['swagger']} and OpenAPI {openapi['openapi']}: {len(operation_ids(openapi))} operations")
