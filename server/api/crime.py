"""``GET /api/v1/areas/<code>/crime``: an area's recorded crime by category and month."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from server.auth import area_for, current_user, roles_required
from server.clock import now
from server.crime.compare import latest_month, month_of, months_to
from server.crime.records import area_crime
from server.db import db
from server.schemas import CrimeQuery, load_query

bp = Blueprint("crime", __name__, url_prefix="/api/v1")


@bp.get("/areas/<code>/crime")
@roles_required("admin", "coordinator")
def area_crime_counts(code: str) -> dict[str, Any]:
    """Count an area's recorded crime by category and month (default: the latest 12 months).

    From data.police.uk street-level files imported with `doorstep server import-crime`; the
    default period is the 12 months to the latest imported.
    ---
    get:
      parameters: [{in: query, schema: CrimeQuery}]
      responses:
        200: {content: {application/json: {schema: CrimeSchema}}}
    """
    area = area_for(current_user(), code)
    q = load_query(CrimeQuery(), request.args)
    until = q["until"] or latest_month(db.session) or month_of(now().date())
    since = q["since"] or months_to(until)[0]
    return area_crime(db.session, area, since, until)
