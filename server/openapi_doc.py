"""Build the OpenAPI 3.1 document from the URL map and the marshmallow wire schemas."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask

from sync.wire import PROTOCOL_VERSION

from .api_spec import OPERATIONS, USER, components

_PARAM = re.compile(r"<(?:([^:<>]+):)?([^<>]+)>")


def build_document(app: Flask) -> dict[str, Any]:
    """Return the OpenAPI document for every ``/api/`` route of the app."""
    paths: dict[str, dict[str, Any]] = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        path = _PARAM.sub(r"{\2}", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            operation = OPERATIONS.get((method, rule.rule)) or _generic(app, rule.endpoint)
            params = [
                {
                    "name": name,
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer" if conv == "int" else "string"},
                }
                for conv, name in _PARAM.findall(rule.rule)
            ]
            if params:
                operation = {**operation, "parameters": params + operation.get("parameters", [])}
            paths.setdefault(path, {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "doorstep server API",
            "version": f"{PROTOCOL_VERSION}",
            "description": "Sync protocol v1 and the coordinator API. Errors are always "
            '{"error": {"code", "message", "details"}}.',
        },
        "paths": dict(sorted(paths.items())),
        "components": components(),
    }


def _generic(app: Flask, endpoint: str) -> dict[str, Any]:
    """Describe a route with no hand-written entry from its view's docstring and roles."""
    view = app.view_functions[endpoint]
    roles = getattr(view, "doorstep_roles", ())
    op: dict[str, Any] = {
        "summary": (view.__doc__ or endpoint).strip().splitlines()[0],
        "operationId": endpoint,
        "responses": {
            "200": {"description": "OK"},
            "default": {"$ref": "#/components/responses/Error"},
        },
    }
    if roles:
        op["security"] = USER
        op["x-roles"] = list(roles)
    return op
