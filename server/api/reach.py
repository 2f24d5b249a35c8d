"""Reach endpoints: collectors send sessions and doors; coordinators read the ledger."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from server.auth import (
    area_for,
    current_device,
    current_user,
    device_area_codes,
    device_required,
    roles_required,
)
from server.clock import now
from server.db import db
from server.period import period_asked
from server.reach.ledger import ledger, reached, record_activity
from server.schemas import ActivitySchema, PeriodQuery, load_body, load_query

bp = Blueprint("reach", __name__, url_prefix="/api/v1")


@bp.post("/sync/activity")
@device_required
def push_activity() -> dict[str, Any]:
    """Store a collector's sessions and door outcomes; answer the ids it may mark as synced.
    ---
    post:
      requestBody: {content: {application/json: {schema: ActivitySchema}}}
      responses:
        200: {content: {application/json: {schema: ActivityStoredSchema}}}
    """
    device = current_device()
    data = load_body(ActivitySchema())
    stored = record_activity(
        db.session, data, device_id=device.id, allowed_areas=device_area_codes(device)
    )
    db.session.commit()
    return stored


@bp.get("/areas/<code>/reach")
@roles_required("admin", "coordinator")
def area_reach(code: str) -> dict[str, Any]:
    """Show an area's reach by method (doors, contacts, surveys, hours) and who was reached.
    ---
    get:
      parameters: [{in: query, schema: PeriodQuery}]
      responses:
        200: {content: {application/json: {schema: ReachSchema}}}
    """
    area = area_for(current_user(), code)
    q = load_query(PeriodQuery(), request.args)
    period = period_asked(q["since"], q["until"], now().date())
    return {
        "area": area.code,
        "since": period.since.isoformat(),
        "until": period.until.isoformat(),
        "methods": ledger(db.session, [area.code], period),
        "reached": reached(db.session, [area.code], period),
    }
