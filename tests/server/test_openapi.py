"""The OpenAPI document describes every API route with its auth, inputs and answers."""

from __future__ import annotations

import re

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient

from tests.collector.test_openapi import dangling_refs
from tests.server.conftest import bearer, user_token

ERROR = {"$ref": "#/components/responses/Error"}


def api_operations(app: Flask) -> list[tuple[str, str, str]]:
    """Return ``(method, OpenAPI path, endpoint)`` of every ``/api/`` rule in the URL map."""
    out = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                out.append((method, path, rule.endpoint))
    return out


def test_every_api_rule_is_described_with_its_auth(app: Flask, client: FlaskClient) -> None:
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.1")
    operations = api_operations(app)
    assert len(operations) >= 20
    for method, path, endpoint in operations:
        assert path in doc["paths"], f"{path} is not in the OpenAPI document"
        op = doc["paths"][path].get(method.lower())
        assert op is not None, f"{method} {path} is not in the OpenAPI document"
        assert op["summary"] and op["operationId"] == endpoint
        assert "security" in op, f"{method} {path} names no security requirement"
        roles = getattr(app.view_functions[endpoint], "doorstep_roles", ())
        if roles:  # a role-checked view takes a user's API token, and says which roles
            assert op["security"] == [{"apiToken": []}] and op["x-roles"] == list(roles)
        if op["security"]:
            assert op["responses"]["401"] == ERROR, f"{method} {path} does not document 401"


def test_every_write_has_a_body_schema_and_documented_errors(
    app: Flask, client: FlaskClient
) -> None:
    doc = client.get("/api/v1/openapi.json").json
    schemas = doc["components"]["schemas"]
    for method, path, _ in api_operations(app):
        op = doc["paths"][path][method.lower()]
        success = [code for code in op["responses"] if code.startswith("2")]
        assert len(success) == 1
        answer = op["responses"][success[0]]["content"]["application/json"]["schema"]
        if "$ref" in answer:
            assert answer["$ref"].rsplit("/", 1)[1] in schemas
        if method in ("POST", "PUT", "PATCH"):
            body = op["requestBody"]["content"]["application/json"]["schema"]
            assert schemas[body["$ref"].rsplit("/", 1)[1]]["properties"], path
            for code in ("400", "413", "415"):
                assert op["responses"][code] == ERROR, f"{method} {path} lacks {code}"


def test_error_body_is_the_one_error_body(client: FlaskClient) -> None:
    doc = client.get("/api/v1/openapi.json").json
    body = doc["components"]["schemas"]["ErrorBody"]
    assert body["required"] == ["error"]
    error = doc["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"code", "message", "details"}
    assert {"invalid_input", "payload_too_large"} <= set(error["properties"]["code"]["enum"])


def test_request_schemas_come_from_the_views_marshmallow_schemas(client: FlaskClient) -> None:
    schemas = client.get("/api/v1/openapi.json").json["components"]["schemas"]
    agree = schemas["Agree"]
    assert set(agree["required"]) == {"category", "owner", "report_back"}
    assert agree["properties"]["owner"] == {"type": "string", "minLength": 1, "maxLength": 100}
    assert agree["additionalProperties"] is False
    assert schemas["Status"]["properties"]["status"]["enum"][0] == "open"


def test_sync_operations_name_their_auth_and_schemas(client: FlaskClient) -> None:
    doc = client.get("/api/v1/openapi.json").json
    push = doc["paths"]["/api/v1/sync/push"]["post"]
    assert push["security"] == [{"deviceToken": []}]
    assert doc["paths"]["/api/v1/devices/enroll"]["post"]["security"] == []
    response = doc["components"]["schemas"]["Response"]
    assert {
        "id",
        "survey_id",
        "survey_version",
        "area",
        "method",
        "collected_at",
        "answers",
    } <= set(response["required"])
    assert doc["components"]["securitySchemes"]["deviceToken"]["scheme"] == "bearer"


@pytest.mark.parametrize("issue_id", ["2147483648", "99999999999999999999999"])
def test_an_id_too_large_for_the_database_is_404(
    app: Flask, client: FlaskClient, issue_id: str
) -> None:
    token = user_token(app, "ann", "admin")
    reply = client.post(
        f"/api/v1/issues/{issue_id}/actions", json={"text": "x"}, headers=bearer(token)
    )
    assert reply.status_code == 404
    assert reply.json["error"]["code"] == "not_found"


def test_the_document_is_valid_openapi_3_1(client: FlaskClient) -> None:
    doc = client.get("/api/v1/openapi.json").json
    schemathesis.openapi.from_dict(doc).validate()  # raises on a document that breaks the spec
    assert dangling_refs(doc) == []  # every schema a docstring names was found
