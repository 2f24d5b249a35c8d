"""``GET /api/v1/areas``: the areas a coordinator may see, with their group."""

from __future__ import annotations

from flask import Blueprint

from server.auth import current_user, roles_required, visible_areas

bp = Blueprint("areas", __name__, url_prefix="/api/v1")


@bp.get("/areas")
@roles_required("admin", "coordinator")
def list_areas() -> dict[str, object]:
    """List the caller's areas (admins: all) with their group.
    ---
    get:
      responses:
        200: {content: {application/json: {schema: AreaListSchema}}}
    """
    return {"areas": [area.to_wire() for area in visible_areas(current_user())]}
