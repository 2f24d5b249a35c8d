"""``GET /api/v1/health``: the server is up and speaks protocol 1."""

from __future__ import annotations

from flask import Blueprint

from sync.wire import PROTOCOL_VERSION

bp = Blueprint("health", __name__, url_prefix="/api/v1")


@bp.get("/health")
def health() -> dict[str, object]:
    """Say the server is up and which sync protocol it speaks.
    ---
    get:
      responses:
        200: {content: {application/json: {schema: HealthSchema}}}
    """
    return {"status": "ok", "protocol": PROTOCOL_VERSION}
