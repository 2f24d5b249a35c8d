"""The OpenAPI document describes every API route with its auth."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient


def test_every_api_rule_is_described(app: Flask, client: FlaskClient) -> None:
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.1")
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        assert path in doc["paths"], f"{rule.rule} is not in the OpenAPI document"
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            operation = doc["paths"][path][method.lower()]
            assert operation["summary"] and operation["responses"]


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
