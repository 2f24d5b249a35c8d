"""``GET /api/v1/areas/<code>/priorities``: an area's ranked issues over a period."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, request

from server.auth import area_for, current_user, roles_required
from server.clock import now
from server.db import db
from server.issues import priorities
from server.period import period_asked
from server.schemas import PeriodQuery, load_query

bp = Blueprint("priorities", __name__, url_prefix="/api/v1")


@bp.get("/areas/<code>/priorities")
@roles_required("admin", "coordinator")
def area_priorities(code: str) -> dict[str, Any]:
    """Rank an area's issues over a period: mentions, share, severity, score, trend, methods.
    ---
    get:
      parameters: [{in: query, schema: PeriodQuery}]
      responses:
        200: {content: {application/json: {schema: PrioritiesSchema}}}
    """
    area = area_for(current_user(), code)
    q = load_query(PeriodQuery(), request.args)
    period = period_asked(q["since"], q["until"], now().date())
    weights = priorities.weights_from(current_app.config)
    return priorities.area_priorities(db.session, area, period, q["method"], weights).as_dict()
