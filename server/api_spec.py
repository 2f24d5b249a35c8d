"""The hand-written parts of the OpenAPI document: operations and schemas from marshmallow."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields

from survey_schemas import ResponseSchema
from sync import wire

DEVICE = [{"deviceToken": []}]
USER = [{"apiToken": []}]

_TYPES: dict[type[fields.Field], dict[str, Any]] = {
    fields.UUID: {"type": "string", "format": "uuid"},
    fields.AwareDateTime: {"type": "string", "format": "date-time"},
    fields.DateTime: {"type": "string", "format": "date-time"},
    fields.Str: {"type": "string"},
    fields.Int: {"type": "integer"},
    fields.Float: {"type": "number"},
    fields.Bool: {"type": "boolean"},
    fields.Dict: {"type": "object"},
    fields.Raw: {},
}


def _field(field: fields.Field) -> dict[str, Any]:
    """Return the JSON Schema of one marshmallow field."""
    if isinstance(field, fields.Nested):
        name = type(field.schema).__name__.removesuffix("Schema")
        return {"$ref": f"#/components/schemas/{name}"}
    if isinstance(field, fields.List):
        return {"type": "array", "items": _field(field.inner)}
    for cls, spec in _TYPES.items():
        if isinstance(field, cls):
            out = dict(spec)
            break
    else:
        out = {}
    if field.allow_none and "type" in out:
        out["type"] = [out["type"], "null"]
    return out


def schema_json(schema: Schema) -> dict[str, Any]:
    """Return the JSON Schema (2020-12, as OpenAPI 3.1 uses) of a marshmallow schema."""
    props = {name: _field(f) for name, f in schema.fields.items()}
    required = sorted(name for name, f in schema.fields.items() if f.required)
    out: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        out["required"] = required
    return out


SCHEMAS: dict[str, Schema] = {
    "Error": wire.ErrorSchema(),
    "ErrorBody": wire.ErrorBodySchema(),
    "Health": wire.HealthSchema(),
    "EnrollRequest": wire.EnrollRequestSchema(),
    "EnrollResponse": wire.EnrollResponseSchema(),
    "Response": ResponseSchema(),
    "PushRequest": wire.PushRequestSchema(),
    "PushResult": wire.PushResultSchema(),
    "PushResponse": wire.PushResponseSchema(),
    "AreaWire": wire.AreaWireSchema(),
    "IssueWire": wire.IssueWireSchema(),
    "PullResponse": wire.PullResponseSchema(),
}


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(name: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(name)}}}


def _errors(*codes: int) -> dict[str, Any]:
    return {str(c): {"$ref": "#/components/responses/Error"} for c in codes}


def components() -> dict[str, Any]:
    """Return the components: every wire schema, the error response and the two auth schemes."""
    schemas = {name: schema_json(s) for name, s in SCHEMAS.items()}
    # Items are checked one by one, but each should look like a Response.
    schemas["PushRequest"]["properties"]["responses"]["items"] = _ref("Response")
    schemas["AreaList"] = {
        "type": "object",
        "properties": {"areas": {"type": "array", "items": _ref("AreaWire")}},
    }
    return {
        "schemas": schemas,
        "responses": {"Error": _json("ErrorBody", "an error, in the one error body")},
        "securitySchemes": {
            "deviceToken": {
                "type": "http",
                "scheme": "bearer",
                "description": "a device token from POST /api/v1/devices/enroll",
            },
            "apiToken": {
                "type": "http",
                "scheme": "bearer",
                "description": "a user's API token from `doorstep server create-user`",
            },
        },
    }


OPERATIONS: dict[tuple[str, str], dict[str, Any]] = {
    ("GET", "/api/v1/health"): {
        "summary": "Say the server is up and which sync protocol it speaks",
        "operationId": "health",
        "security": [],
        "responses": {"200": _json("Health", "up")},
    },
    ("GET", "/api/v1/openapi.json"): {
        "summary": "This document",
        "operationId": "openapi",
        "security": [],
        "responses": {"200": {"description": "the OpenAPI 3.1 document"}},
    },
    ("POST", "/api/v1/devices/enroll"): {
        "summary": "Enroll a device with a single-use, expiring code",
        "operationId": "enroll",
        "security": [],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _ref("EnrollRequest")}},
        },
        "responses": {
            "201": _json("EnrollResponse", "enrolled; the token is shown only now"),
            **_errors(400, 401, 410, 415, 429),
        },
        "description": "401 invalid_enrollment_code; 410 enrollment_code_used or "
        "enrollment_code_expired; 429 too_many_attempts after repeated failures from one address.",
    },
    ("POST", "/api/v1/sync/push"): {
        "summary": "Push a batch of responses; one result per response, in request order",
        "operationId": "push",
        "security": DEVICE,
        "description": "Body may be gzip (Content-Encoding: gzip). Status per item: accepted, "
        "duplicate, conflict or rejected (with errors). Committed before the answer.",
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _ref("PushRequest")}},
        },
        "responses": {
            "200": _json("PushResponse", "the results, in request order"),
            **_errors(400, 401, 413, 415),
        },
    },
    ("GET", "/api/v1/sync/pull"): {
        "summary": "Pull what changed since the cursor: surveys, areas and issue statuses",
        "operationId": "pull",
        "security": DEVICE,
        "parameters": [
            {
                "name": "since",
                "in": "query",
                "required": False,
                "schema": {"type": "string"},
                "description": "the cursor of the previous page; none: everything",
            },
            {"name": "limit", "in": "query", "required": False, "schema": {"type": "integer"}},
        ],
        "responses": {
            "200": _json("PullResponse", "one page, oldest first; ask again while more"),
            **_errors(400, 401, 410),
        },
    },
    ("GET", "/api/v1/areas"): {
        "summary": "List the areas the caller may see, with their group",
        "operationId": "areas",
        "security": USER,
        "x-roles": ["admin", "coordinator"],
        "responses": {"200": _json("AreaList", "the areas"), **_errors(401, 403)},
    },
}
