"""``GET /api/v1/openapi.json``: the OpenAPI 3.1 document of every API route."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app

from server.api.openapi_doc import build_document

bp = Blueprint("openapi", __name__, url_prefix="/api/v1")


@bp.get("/openapi.json")
def openapi() -> dict[str, Any]:
    """Return the OpenAPI document describing every route and its auth."""
    return build_document(current_app)
