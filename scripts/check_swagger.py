#!/usr/bin/env python3
"""Validates a running server's /swagger.json against the Swagger 2.0 specification with
openapi-spec-validator (pip install openapi-spec-validator). Not part of the test command.
    python3 scripts/check_swagger.py [http://127.0.0.1:5000]
"""
import json
import sys
import urllib.request

from openapi_spec_validator import validate
from openapi_spec_validator.validation import OpenAPIV2SpecValidator


def main():
    base = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:5000"
    with urllib.request.urlopen(base.rstrip("/") + "/swagger.json") as response:
        document = json.load(response)
    validate(document, cls=OpenAPIV2SpecValidator)
    paths = ", ".join(f"{method.upper()} {path}" for path, item in document["paths"].items() for method in item)
    print(f"valid Swagger {document['swagger']}: {document['info']['title']} {document['info']['version']}: {paths}")


if __name__ == "__main__":
    main()
