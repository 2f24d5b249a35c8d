"""The collector's OpenAPI document describes every contract route with its auth and answers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from collector.api import ADMIN
from collector.app import close_app
from tests.collector.test_api import make_app

ERROR = {"$ref": "#/components/responses/Error"}


def dangling_refs(doc: dict[str, Any]) -> list[str]:
    """Return every ``$ref`` of ``doc`` that names no component (say, a misspelled schema)."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                _, _, kind, name = ref.split("/", 3)
                if name not in doc["components"].get(kind, {}):
                    found.append(ref)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(doc)
    return found


@pytest.fixture
def collector(tmp_path: Path) -> Iterator[Flask]:
    app = make_app(tmp_path)
    yield app
    close_app(app)


def test_every_contract_route_is_described_and_no_admin_route(collector: Flask) -> None:
    app = collector
    doc = app.test_client().get("/api/v1/openapi.json").json
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            op = doc["paths"].get(rule.rule, {}).get(method.lower())
            if rule.endpoint in ADMIN:
                assert op is None, f"{method} {rule.rule} is an admin route"
                continue
            assert op is not None, f"{method} {rule.rule} is not in the OpenAPI document"
            assert op["summary"] and op["operationId"] == rule.endpoint and "security" in op
            assert len([code for code in op["responses"] if code.startswith("2")]) == 1
    assert dangling_refs(doc) == []


def test_posting_a_response_names_its_body_errors_and_who_may(collector: Flask) -> None:
    doc = collector.test_client().get("/api/v1/openapi.json").json
    op = doc["paths"]["/api/v1/responses"]["post"]
    assert op["security"] == [{}, {"volunteerSession": []}]
    body = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    required = doc["components"]["schemas"][body.rsplit("/", 1)[1]]["required"]
    assert {"survey_id", "area", "answers"} <= set(required)
    assert not {"id", "collected_at"} & set(required)  # the collector fills them in
    for code in ("400", "403", "404", "409", "413", "415", "422", "503", "507"):
        assert op["responses"][code] == ERROR, code


def test_a_route_without_documentation_is_left_out(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    app.add_url_rule("/api/v1/extra", "extra", lambda: {"extra": True})
    doc = app.test_client().get("/api/v1/openapi.json").json
    close_app(app)
    assert "/api/v1/extra" not in doc["paths"]  # so the test above fails for it
