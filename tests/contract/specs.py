"""The official OpenAPI specifications (reference data outside the repository, in ``shared/specs``) and a check
of a request as our client really sent it, through requests-mock's history, against them."""
import json
import os
from functools import cache
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

REPO = Path(__file__).resolve().parents[2]
CANDIDATES = [os.environ.get("SAAS_SPECS_DIR"), REPO.parent / "shared" / "specs", "/work/shared/specs"]
MIRAKL_HOST = "https://your-instance.mirakl.net"
VTEX_HOST = "https://apiexamples.vtexcommercestable.com.br"


def specs_dir() -> Path:
    for candidate in CANDIDATES:
        if candidate and (Path(candidate) / "mirakl").is_dir():
            return Path(candidate)
    pytest.skip("the official specs (shared/specs) are not on this machine; set SAAS_SPECS_DIR")


def _drop_binary_types(node):
    """openapi-core reads ``type: string, format: binary`` as text and rejects real file bytes (specs/README.md)."""
    if isinstance(node, dict):
        if node.get("format") == "binary":
            node.pop("type", None)
        for value in node.values():
            _drop_binary_types(value)
    elif isinstance(node, list):
        for value in node:
            _drop_binary_types(value)


def _fix_known_errors(name: str, document: dict) -> None:
    """Errors of the published files, each fixed the way the operation's own description reads."""
    # VTEX files declare the server variables (accountName, environment) again as path parameters of operations
    # whose paths do not contain them.
    shared = document.get("components", {}).get("parameters", {})

    def resolve(param):
        return shared.get(param["$ref"].rsplit("/", 1)[-1], {}) if "$ref" in param else param

    for path, item in document.get("paths", {}).items():
        for operation in item.values():
            if isinstance(operation, dict) and isinstance(operation.get("parameters"), list):
                operation["parameters"] = [
                    p for p in operation["parameters"]
                    if not (resolve(p).get("in") == "path" and "{" + str(resolve(p).get("name")) + "}" not in path)]
    if name.endswith("external-marketplace-orders.json"):
        # The simulation body lists the item fields as required on the body itself instead of on each item.
        body = document["paths"]["/api/checkout/pub/orderForms/simulation"]["post"]["requestBody"]
        schema = body["content"]["application/json"]["schema"]
        schema["properties"]["items"]["items"]["required"] = schema.pop("required")


@cache
def spec(name: str):
    from openapi_core import Config, OpenAPI
    document = json.loads((specs_dir() / name).read_text())
    _drop_binary_types(document)
    _fix_known_errors(name, document)
    return OpenAPI.from_dict(document, config=Config(spec_validator_cls=None))


def _body_bytes(request) -> bytes:
    body = request.body
    if body is None:
        return b""
    if hasattr(body, "to_string"):  # a streamed multipart encoder
        return body.to_string()
    return body if isinstance(body, bytes) else body.encode()


def as_mock_request(request, host: str):
    """The request requests-mock captured, re-addressed to the spec's server (same path, query, headers, body)."""
    from openapi_core.testing import MockRequest
    parts = urlsplit(request.url)
    args = {k: v[0] if len(v) == 1 else v for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    content_type = request.headers.get("Content-Type", "application/json")
    return MockRequest(host, request.method.lower(), parts.path, args=args, data=_body_bytes(request),
                       headers=dict(request.headers), content_type=content_type)


def validate(spec_name: str, request, host: str):
    spec(spec_name).validate_request(as_mock_request(request, host))


def validate_response(spec_name: str, method: str, path: str, response, host: str):
    """A simulator's answer (a Flask test response) against the spec's response schema for that operation."""
    from openapi_core.testing import MockRequest, MockResponse
    parts = urlsplit(path)
    args = {k: v[0] for k, v in parse_qs(parts.query).items()}
    request = MockRequest(host, method.lower(), parts.path, args=args)
    spec(spec_name).validate_response(request, MockResponse(response.get_data(), status_code=response.status_code,
                                                            content_type=response.content_type.split(";")[0]))
