"""What the collector's OpenAPI document says of its contract endpoints (DESIGN.md).

The admin endpoints (``export``, ``sync``, ``device``, ``rejected``) serve the ``doorstep``
command on the same machine with a local key; they are not part of the contract and are left
out. Every ``/api/`` error is the one error body.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from marshmallow import Schema, fields

from collector.api.openapi import Converter, Op, build
from survey_schemas import ResponseSchema

SESSION = "volunteerSession"
SECURITY_SCHEMES = {
    SESSION: {
        "type": "apiKey",
        "in": "cookie",
        "name": "session",
        "description": "the web app's session cookie once a volunteer signed in; a client on "
        "loopback (this machine) needs none",
    }
}


class HealthSchema(Schema):
    """``{"status": "ok"}``."""

    status = fields.Str(required=True)


class SavedSchema(Schema):
    """The id of a response that is durable on disk."""

    id = fields.Str(required=True)


class StatusSchema(Schema):
    """Counts of stored, unsynced, rejected and conflicting responses; the last sync time."""

    stored = fields.Int(required=True)
    unsynced = fields.Int(required=True)
    rejected = fields.Int(required=True)
    conflicts = fields.Int(required=True)
    last_sync = fields.Str(required=True, allow_none=True)


class SurveyListSchema(Schema):
    """The latest version of each survey, in the core format (docs/survey-format.md)."""

    surveys = fields.List(fields.Dict(), required=True)


class AreaSchema(Schema):
    """An area this collector knows (pulled from its server, or the demo set)."""

    code = fields.Str(required=True)
    name = fields.Str()
    group = fields.Str()
    group_name = fields.Str()
    households = fields.Int(allow_none=True)
    streets = fields.List(fields.Str())


class AreaListSchema(Schema):
    """``{"areas": [...]}``."""

    areas = fields.List(fields.Nested(AreaSchema), required=True)


# The collector fills ``id`` and ``collected_at`` when a client leaves them out.
NEW_RESPONSE = ResponseSchema(partial=("id", "collected_at"))
# Kiosk mode hides every URL but health (404) from callers without the local key.
KIOSK = (404,)

OPERATIONS: dict[tuple[str, str], Op] = {
    ("GET", "/api/v1/health"): Op("Say the collector is up", "none", "Health"),
    ("GET", "/api/v1/openapi.json"): Op(
        "This document",
        "none",
        raw_answer={"type": "object", "required": ["openapi", "paths"]},
        errors=KIOSK,
    ),
    ("POST", "/api/v1/responses"): Op(
        "Store a submitted response; 201 only once it is durable on disk",
        SESSION,
        "Saved",
        status=201,
        body=NEW_RESPONSE,
        errors=(400, 403, 404, 409, 413, 415, 422, 503, 507),
        description="Who may post: a client on loopback, or a browser whose session holds a "
        "signed-in volunteer. 422 invalid_response (details.fields maps each field to its "
        "problems); 409 conflict (same id, other content: the first is kept); 507 storage_full "
        "and 503 storage_error save nothing. The same id and content again is a safe retry "
        "(201).",
        extra={"security": [{}, {SESSION: []}]},
    ),
    ("GET", "/api/v1/status"): Op(
        "Report stored, unsynced and rejected counts and the last sync time",
        "none",
        "Status",
        errors=KIOSK,
    ),
    ("GET", "/api/v1/surveys"): Op(
        "List the latest version of each survey this collector takes",
        "none",
        "SurveyList",
        errors=KIOSK,
    ),
    ("GET", "/api/v1/areas"): Op(
        "List the areas this collector knows", "none", "AreaList", errors=KIOSK
    ),
}
ANSWERS: tuple[Schema, ...] = (
    HealthSchema(),
    SavedSchema(),
    StatusSchema(),
    SurveyListSchema(),
    AreaListSchema(),
)


def build_document(app: Flask) -> dict[str, Any]:
    """Return the OpenAPI document of the collector's contract endpoints."""
    conv = Converter()
    for schema in ANSWERS:
        conv.ref(schema)
    info = {
        "title": "doorstep collector local API",
        "version": "1",
        "description": "The collector's contract endpoints. Errors are always "
        '{"error": {"code", "message", "details"}}.',
    }
    return build(app, OPERATIONS, conv, info, SECURITY_SCHEMES)
