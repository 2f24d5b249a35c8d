"""schemathesis against the live server on loopback: no 5xx, every answer as documented."""

from __future__ import annotations

from typing import Any

from flask import Flask

from tests.conftest import ON_ONE_DATABASE
from tests.fuzz.runner import documented_operations, fuzz
from tests.hostile.server_targets import world
from tests.server.conftest import bearer, device_token, user_token

EXAMPLES = 6


def token_headers(app: Flask) -> Any:
    """Return a function giving each operation the credential its security names."""
    device = bearer(device_token(app)[1])
    admin = bearer(user_token(app, "fuzz-admin", "admin"))
    provider = bearer(user_token(app, "fuzz-provider", "provider"))

    def headers_for(operation: Any) -> dict[str, str]:
        spec = operation.definition.raw
        schemes = {name for req in spec.get("security", []) for name in req}
        if "deviceToken" in schemes:
            return device
        if "apiToken" in schemes:
            return admin if "admin" in spec.get("x-roles", ["admin"]) else provider
        return {}

    return headers_for


def known(app: Flask, url: str) -> dict[str, Any]:
    """Make an issue and a triage text; return path parameters that exist."""
    w = world(app, url)
    return {"code": "abbey", "group": "northfield", "issue_id": w["issue"], "item_id": w["triage"]}


@ON_ONE_DATABASE
def test_server_api_has_no_server_errors_and_keeps_to_its_document(
    app: Flask, live_server: str
) -> None:
    report = fuzz(
        "server", live_server, token_headers(app), EXAMPLES, known=known(app, live_server)
    )
    assert report.operations == documented_operations(live_server)
    assert report.cases >= report.operations * 2
    assert report.server_errors == 0 and report.violations == 0, report.summary()
