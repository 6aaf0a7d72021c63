#!/usr/bin/env python3
"""Writes the HTTPServer test fixtures: multipart bodies encoded by the `requests` library
(what MAX clients use to upload images) and the parts each must decode to.

Run from the repository root: python3 scripts/make_http_fixtures.py
"""
import json
import os

import requests

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "HTTPServerTests", "Fixtures")


def encode(name, files, data):
    prepared = requests.Request("POST", "http://localhost/model/predict", files=files, data=data).prepare()
    body = prepared.body
    content_type = prepared.headers["Content-Type"]
    with open(os.path.join(OUT, name + ".bin"), "wb") as handle:
        handle.write(body)
    parts = []
    for field, value in (data or {}).items():
        raw = value.encode("utf-8")
        parts.append({"name": field, "filename": None, "content_type": None,
                      "size": len(raw), "hex": raw.hex()})
    for field, (filename, raw, mime) in files.items():
        parts.append({"name": field, "filename": filename, "content_type": mime,
                      "size": len(raw), "hex": raw.hex()})
    with open(os.path.join(OUT, name + ".json"), "w") as handle:
        json.dump({"content_type": content_type, "parts": parts}, handle, indent=1)
        handle.write("\n")


def main():
    os.makedirs(OUT, exist_ok=True)
    # Binary content with bytes that look like line ends and boundaries' dashes.
    image = bytes(range(256)) * 8 + b"\r\n--\r\n\r\n" + bytes(reversed(range(256)))
    encode("multipart_image_upload", {"file": ("digit 8.png", image, "image/png")}, {"threshold": "0.5"})
    encode("multipart_two_files", {
        "image": ("a.jpg", b"\xff\xd8\xff\xe0 jpeg-ish \xff\xd9", "image/jpeg"),
        "notes": ("notes.txt", "héllo wörld\n".encode("utf-8"), "text/plain"),
    }, None)


if __name__ == "__main__":
    main()
